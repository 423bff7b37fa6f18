// The detector table ships exactly these detectors, each enabled or off by default as listed:
// removing or renaming one (a stable id users configure and SIEMs match on) fails here.
#include "detectors/registry.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace kaudit {
namespace {

TEST(RegistryTest, TableListsEveryShippedDetectorWithItsDefaultState) {
  const std::map<std::string, bool> kShipped = {
      {"admission_webhook_changed", true},
      {"allow_privilege_escalation", true},
      {"anonymous_request_allowed", true},
      {"anonymous_then_write", true},
      {"baseline_apparmor", true},
      {"baseline_capabilities", true},
      {"baseline_seccomp", true},
      {"baseline_selinux", true},
      {"capabilities_not_dropped", true},
      {"cluster_admin_binding", true},
      {"configmap_credentials", true},
      {"container_without_limits", true},
      {"controller_service_account", true},
      {"create_then_exec", true},
      {"debug_image_pod", true},
      {"disallowed_namespace", true},
      {"disallowed_user", true},
      {"ephemeral_container_added", true},
      {"events_deleted", true},
      {"exec_session_duration", true},
      {"first_seen", true},
      {"full_admin_access", false},
      {"grant_then_first_use", true},
      {"host_namespaces", true},
      {"host_path_volume", true},
      {"host_ports", true},
      {"host_probe", true},
      {"image_latest_or_untagged", true},
      {"ingress_without_tls", true},
      {"kube_namespace_serviceaccount", true},
      {"networkpolicy_deleted", true},
      {"pod_exec_attach", true},
      {"pod_in_kube_namespace", true},
      {"pod_security_audit_violation", true},
      {"privileged_container", true},
      {"proc_mount_unmasked", true},
      {"rbac_anonymous_grant", true},
      {"rbac_binding_changed", true},
      {"rbac_pod_exec_role", true},
      {"rbac_sensitive_role", true},
      {"rbac_wildcard_role", true},
      {"rbac_write_role", true},
      {"read_only_root_fs_missing", true},
      {"resource_activity", false},
      {"role_diff", true},
      {"run_as_non_root", true},
      {"run_as_user_root", true},
      {"seccomp_not_set", true},
      {"secret_enumeration", true},
      {"self_subject_review", true},
      {"service_exposed", true},
      {"serviceaccount_binding", true},
      {"serviceaccount_rbac_write", true},
      {"system_role_modified", true},
      {"unsafe_sysctls", true},
      {"untrusted_node_join", true},
      {"volume_types", true},
      {"workload_diff", true},
  };
  std::map<std::string, bool> table;
  for (const auto& e : DetectorTable()) table[std::string(e.id)] = e.enabled_by_default;
  EXPECT_EQ(table, kShipped);
  // Each builds with its defaults and names itself by its table id.
  for (const auto& [id, on] : kShipped) {
    auto d = NewDetectorWithDefaults(id);
    ASSERT_TRUE(d.ok()) << id << ": " << d.status();
    EXPECT_EQ((*d)->info().id, id);
  }
  auto slots = BuildDetectors({});
  ASSERT_TRUE(slots.ok()) << slots.status();
  size_t enabled = 0;
  for (const auto& [id, on] : kShipped) enabled += on ? 1 : 0;
  EXPECT_EQ(slots->size(), enabled);
}

}  // namespace
}  // namespace kaudit
