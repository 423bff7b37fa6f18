#include "src/parse/pod_spec_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::kaudit::testing::ParseString;
using ::kaudit::testing::ReadFile;
using ::kaudit::testing::SourcePath;
using ::testing::ElementsAre;

std::string RequestObjectOf(const std::string& file) {
  auto h = ParseString(ReadFile(SourcePath(file)));
  return h.events.empty() ? "" : h.events[0].request_object;
}

TEST(PodSpecParserTest, ReadsAllContainerListsOfThePluginFragment) {
  // Falco plugin's container-list test: privileged only in init and ephemeral containers.
  std::string frag = ReadFile(
      SourcePath("tests/data/falco/plugins_k8saudit_container_lists_test__pod_fragment.json"));
  std::string obj = frag.substr(frag.find("\"requestObject\":") + 16);
  obj = obj.substr(0, obj.rfind('}'));
  PodSpecParser p;
  const PodSpecView* spec = p.ParseCopy(obj);
  ASSERT_NE(spec, nullptr);
  ASSERT_EQ(spec->containers.size(), 3u);
  EXPECT_EQ(spec->containers[0].kind, ContainerKind::kContainer);
  EXPECT_EQ(spec->containers[0].security_context.privileged, false);
  EXPECT_EQ(spec->containers[1].kind, ContainerKind::kInit);
  EXPECT_EQ(spec->containers[1].security_context.privileged, true);
  EXPECT_EQ(spec->containers[1].image, "reg.example.com/i:1");
  EXPECT_EQ(spec->containers[2].kind, ContainerKind::kEphemeral);
  EXPECT_EQ(spec->containers[2].security_context.privileged, true);
}

TEST(PodSpecParserTest, ReadsSecurityFieldsOfRealPods) {
  PodSpecParser p;
  std::string hostpath = RequestObjectOf("tests/data/falco/psp__mount_etc_using_host_path.json");
  const PodSpecView* spec = p.ParseCopy(hostpath);
  ASSERT_NE(spec, nullptr);
  bool found = false;
  for (const auto& v : spec->volumes) found |= (v.type == "hostPath" && v.host_path == "/etc");
  EXPECT_TRUE(found);

  const PodSpecView* pid = p.ParseCopy(RequestObjectOf("tests/data/falco/psp__host_pid.json"));
  ASSERT_NE(pid, nullptr);
  EXPECT_TRUE(pid->host_pid);
  EXPECT_FALSE(pid->host_network);

  const PodSpecView* caps =
      p.ParseCopy(RequestObjectOf("tests/data/falco/psp__capability_add_sys_time.json"));
  ASSERT_NE(caps, nullptr);
  ASSERT_FALSE(caps->containers.empty());
  ASSERT_EQ(caps->containers[0].security_context.capabilities_add.size(), 1u);
  EXPECT_EQ(caps->containers[0].security_context.capabilities_add[0], "SYS_TIME");

  const PodSpecView* root =
      p.ParseCopy(RequestObjectOf("tests/data/falco/psp__run_as_user_0_sec_ctx.json"));
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->pod_security_context.run_as_user, 0);
}

TEST(PodSpecParserTest, FindsPodTemplatesOfWorkloads) {
  PodSpecParser p;
  const PodSpecView* dep = p.ParseCopy(
      R"({"kind":"Deployment","metadata":{"name":"api"},"spec":{"replicas":2,"template":{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}},"spec":{"hostNetwork":true,"containers":[{"name":"app","image":"r:5000/app:1","securityContext":{"privileged":true}}]}}}})");
  ASSERT_NE(dep, nullptr);
  EXPECT_EQ(dep->object_kind, "Deployment");
  EXPECT_EQ(dep->object_name, "api");
  EXPECT_TRUE(dep->host_network);
  ASSERT_EQ(dep->containers.size(), 1u);
  EXPECT_EQ(dep->containers[0].image, "r:5000/app:1");
  ASSERT_EQ(dep->apparmor_annotations.size(), 1u);
  EXPECT_EQ(dep->apparmor_annotations[0].first, "app");

  const PodSpecView* cron = p.ParseCopy(
      R"({"kind":"CronJob","spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"busybox","securityContext":{"privileged":true}}],"containers":[{"name":"c","image":"busybox"}]}}}}}})");
  ASSERT_NE(cron, nullptr);
  ASSERT_EQ(cron->containers.size(), 2u);
  EXPECT_EQ(cron->containers[0].kind, ContainerKind::kInit);
}

TEST(PodSpecParserTest, ReadsOsNameAndClearsItBetweenParses) {
  PodSpecParser p;
  const PodSpecView* win = p.ParseCopy(
      R"({"kind":"Pod","spec":{"os":{"name":"windows"},"containers":[{"name":"a","image":"x"}]}})");
  ASSERT_NE(win, nullptr);
  EXPECT_EQ(win->os_name, "windows");
  const PodSpecView* lin = p.ParseCopy(R"({"kind":"Pod","spec":{"containers":[{"name":"a"}]}})");
  ASSERT_NE(lin, nullptr);
  EXPECT_EQ(lin->os_name, "");
}

// Scheduling constraints: tolerations as written, and the node labels the pod requires
// (nodeSelector keys, required node affinity's In/Exists keys; not NotIn/DoesNotExist, not
// preferred terms), in a workload's template too; cleared between parses.
TEST(PodSpecParserTest, ReadsTolerationsAndRequiredNodeLabels) {
  PodSpecParser p;
  const PodSpecView* s = p.ParseCopy(R"({"kind":"Deployment","spec":{"template":{"spec":{
      "tolerations":[{"key":"node-role.kubernetes.io/control-plane","operator":"Exists",
                      "effect":"NoSchedule"},{"operator":"Exists"},"bad"],
      "nodeSelector":{"disktype":"ssd","node-role.kubernetes.io/control-plane":""},
      "affinity":{"podAntiAffinity":{},"nodeAffinity":{
        "preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{
          "matchExpressions":[{"key":"preferred","operator":"Exists"}]}}],
        "requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
          {"matchExpressions":[{"key":"zone","operator":"In","values":["a"]},
                               {"key":"spot","operator":"DoesNotExist"}]},
          {"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}],
           "matchExpressions":[{"operator":"Exists","key":"gpu"}]}]}}},
      "containers":[{"name":"a","image":"x"}]}}}})");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->tolerations.size(), 2u);
  EXPECT_EQ(s->tolerations[0].key, "node-role.kubernetes.io/control-plane");
  EXPECT_EQ(s->tolerations[0].op, "Exists");
  EXPECT_EQ(s->tolerations[0].effect, "NoSchedule");
  EXPECT_EQ(s->tolerations[1].key, "");
  EXPECT_EQ(s->tolerations[1].op, "Exists");
  EXPECT_THAT(s->required_node_labels,
              ElementsAre("disktype", "node-role.kubernetes.io/control-plane", "zone", "gpu"));
  ASSERT_EQ(s->containers.size(), 1u);  // the walk goes on after the scheduling fields
  const PodSpecView* plain = p.ParseCopy(R"({"kind":"Pod","spec":{"containers":[{"name":"a"}]}})");
  ASSERT_NE(plain, nullptr);
  EXPECT_TRUE(plain->tolerations.empty());
  EXPECT_TRUE(plain->required_node_labels.empty());
}

TEST(PodSpecParserTest, ReadsPodStatusAlsoFromStatusOnlyWrites) {
  PodSpecParser p;
  // A pod read: spec and status in one pass.
  const PodSpecView* spec = p.ParseCopy(
      R"({"kind":"Pod","metadata":{"name":"web-1","uid":"u-1","managedFields":[{"f":{}}]},)"
      R"("spec":{"nodeName":"node-a","containers":[{"name":"c"}]},)"
      R"("status":{"hostIP":"10.0.0.5","podIP":"10.244.1.7",)"
      R"("podIPs":[{"ip":"10.244.1.7"},{"ip":"fd00::7"}]}})");
  ASSERT_NE(spec, nullptr);
  const PodStatusView* st = p.status();
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->name, "web-1");
  EXPECT_EQ(st->uid, "u-1");
  EXPECT_EQ(st->node_name, "node-a");
  EXPECT_EQ(st->host_ip, "10.0.0.5");
  EXPECT_THAT(st->pod_ips, ElementsAre("10.244.1.7", "10.244.1.7", "fd00::7"));
  // A kubelet's pods/status patch: no pod spec, but a status.
  EXPECT_EQ(p.ParseCopy(R"({"metadata":{"uid":"u-2"},"status":{"podIP":"10.244.2.9"}})"), nullptr);
  st = p.status();
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->uid, "u-2");
  EXPECT_THAT(st->pod_ips, ElementsAre("10.244.2.9"));
  EXPECT_EQ(st->host_ip, "");
  // No address: no status; and nothing left over from the previous parse.
  EXPECT_NE(p.ParseCopy(R"({"kind":"Pod","spec":{"containers":[{"name":"c"}]},)"
                        R"("status":{"phase":"Pending"}})"),
            nullptr);
  EXPECT_EQ(p.status(), nullptr);
  EXPECT_EQ(p.ParseCopy(R"({"status":{"podIP":)"), nullptr);
  EXPECT_EQ(p.status(), nullptr);
}

TEST(PodSpecParserTest, ObjectsWithoutPodSpecsAndBadJson) {
  PodSpecParser p;
  EXPECT_EQ(p.ParseCopy(R"({"kind":"Namespace","metadata":{"name":"foo"},"spec":{}})"), nullptr);
  EXPECT_EQ(p.ParseCopy(R"([{"op":"add","path":"/spec"}])"), nullptr);
  EXPECT_EQ(p.ParseCopy(R"({"spec":{"containers":[{"name":)"), nullptr);
  EXPECT_EQ(p.ParseCopy(""), nullptr);
}

}  // namespace
}  // namespace kaudit
