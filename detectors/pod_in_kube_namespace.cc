// Pod created in a kube namespace (catalog C65; Falco "Pod Created in Kube Namespace"): a
// pod created in kube-system or kube-public (`namespaces`) whose images are not all in
// `allowed_images` (Falco's allowed_kube_namespace_image_list, by repository; Falco exempts a
// pod when any image is listed, kaudit only when all are). Like Falco, pods created by the
// controllers (replicaset-controller, ...) are judged too: a deployment in kube-system is how
// an intruder masquerades as a system component. Mirror pods of static pods (created by
// system:node:*) are allow-listed by default. At audit level Metadata the images are not
// visible and the pod is reported.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/pod_security.h"
#include "detectors/common/util.h"
#include "detectors/common/workloads.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class PodInKubeNamespace final : public Detector {
 public:
  PodInKubeNamespace(std::vector<std::string> namespaces, std::vector<std::string> images)
      : namespaces_(std::move(namespaces)) {
    for (const std::string& i : images)
      allowed_images_.push_back(ParseImageRef(i).NormalizedRepository());
    info_.id = "pod_in_kube_namespace";
    info_.title = "Pod created in a kube namespace";
    info_.description =
        "A pod was created in kube-system or kube-public from images not known to belong "
        "there: a workload masquerading as a cluster component, next to its privileges.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1036.005", "T1610"};
    info_.catalog_ids = {"C65"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::Stages({Stage::kResponseComplete, Stage::kPanic});
    info_.interest.resources = {"pods"};
    info_.judges_images = true;
    info_.default_allow_users = {"system:node:[^:]+"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !IsPodSpecWrite(e) || !e.object.subresource.empty()) return;
    if (std::find(namespaces_.begin(), namespaces_.end(), e.object.namespace_) == namespaces_.end())
      return;
    bool not_visible = false;
    const PodSpecView* spec = WrittenPodSpec(e, &not_visible);
    std::vector<std::string> images;
    bool all_allowed = spec != nullptr && !spec->containers.empty();
    if (spec != nullptr) {
      for (const ContainerView& c : spec->containers) {
        images.emplace_back(c.image);
        std::string repo = ParseImageRef(c.image).NormalizedRepository();
        if (std::find(allowed_images_.begin(), allowed_images_.end(), repo) ==
            allowed_images_.end())
          all_allowed = false;
      }
    }
    if (all_allowed) return;
    Alert a = MakeAlert(info_, e);
    std::string image_list = spec ? absl::StrJoin(images, ",") : "<not visible>";
    a.AddField("namespace", std::string(e.object.namespace_));
    a.AddField("images", image_list);
    a.message = absl::StrCat(ActorLabel(e), " created ", WorkloadLabel(e, spec), " (images ",
                             image_list, ") in ", ToAbsl(e.object.namespace_),
                             ": a pod there can pose as a cluster component and reach its "
                             "privileged service accounts");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> namespaces_;
  std::vector<std::string> allowed_images_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPodInKubeNamespace(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> namespaces,
                          p.List("namespaces", {"kube-system", "kube-public"}));
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> images,
                          p.List("allowed_images", {"gcr.io/google-containers/prometheus-to-sd",
                                                    "gcr.io/projectcalico-org/node",
                                                    "gke.gcr.io/addon-resizer",
                                                    "gke.gcr.io/heapster",
                                                    "gke.gcr.io/gke-metadata-server",
                                                    "k8s.gcr.io/ip-masq-agent-amd64",
                                                    "k8s.gcr.io/kube-apiserver",
                                                    "gke.gcr.io/kube-proxy",
                                                    "gke.gcr.io/netd-amd64",
                                                    "gke.gcr.io/watcher-daemonset",
                                                    "k8s.gcr.io/addon-resizer",
                                                    "k8s.gcr.io/prometheus-to-sd",
                                                    "k8s.gcr.io/k8s-dns-dnsmasq-nanny-amd64",
                                                    "k8s.gcr.io/k8s-dns-kube-dns-amd64",
                                                    "k8s.gcr.io/k8s-dns-sidecar-amd64",
                                                    "k8s.gcr.io/metrics-server-amd64",
                                                    "kope/kube-apiserver-healthcheck",
                                                    "registry.k8s.io/kube-proxy",
                                                    "registry.k8s.io/coredns/coredns",
                                                    "registry.k8s.io/metrics-server/metrics-server",
                                                    "registry.k8s.io/kube-apiserver",
                                                    "registry.k8s.io/kube-controller-manager",
                                                    "registry.k8s.io/kube-scheduler",
                                                    "registry.k8s.io/etcd"}));
  return std::make_unique<PodInKubeNamespace>(std::move(namespaces), std::move(images));
}

}  // namespace kaudit
