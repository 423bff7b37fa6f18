#include "bench/baselines/corpus.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace kaudit::bench {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > 2 && line[0] == '{') out.push_back(line);
  }
  return out;
}

}  // namespace

std::string BuildCorpus(const std::string& dir, size_t target_bytes) {
  std::vector<std::string> lines =
      ReadLines(dir + "/tests/data/public/audit2rbac_demo_v1_2022.log");
  for (const char* f : {"k8s_audit__create_nginx_pod_privileged.json", "k8s_audit__exec_pod.json",
                        "k8s_audit__create_deployment.json", "k8s_audit__create_secret.json",
                        "k8s_audit__attach_cluster_admin_role.json"}) {
    for (auto& l : ReadLines(dir + "/tests/data/falco/" + f)) lines.push_back(l);
  }
  std::string out;
  out.reserve(target_bytes + (1 << 20));
  uint64_t n = 0;
  while (out.size() < target_bytes) {
    for (const auto& l : lines) {
      std::string ev = l;
      size_t id = ev.find("\"auditID\":\"");
      if (id != std::string::npos) {
        char buf[40];
        std::snprintf(buf, sizeof(buf), "%08llx-0000-4000-8000-%012llx",
                      static_cast<unsigned long long>(n >> 20), static_cast<unsigned long long>(n));
        ev.replace(id + 11, 36, buf);
      }
      ++n;
      out += ev;
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace kaudit::bench
