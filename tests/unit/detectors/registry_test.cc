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
      {"token_request_then_new_source", true},
      {"pod_token_used_elsewhere", true},
      {"csr_approved_then_used", true},
      {"admission_webhook_changed", true},
      {"allow_privilege_escalation", true},
      {"anonymous_probe", true},
      {"anonymous_request_allowed", true},
      {"anonymous_then_write", true},
      {"arc_proxy_secret_access", true},
      {"baseline_apparmor", true},
      {"baseline_capabilities", true},
      {"baseline_seccomp", true},
      {"baseline_selinux", true},
      {"capabilities_not_dropped", true},
      {"cluster_admin_binding", true},
      {"cluster_configmap_modified", true},
      {"configmap_credentials", true},
      {"container_without_limits", true},
      {"control_plane_placement", true},
      {"controller_service_account", true},
      {"create_then_exec", true},
      {"cronjob_changed", true},
      {"csr_client_certificate", true},
      {"csr_self_approval", true},
      {"daemonset_created", true},
      {"dashboard_exposed", true},
      {"debug_image_pod", true},
      {"default_service_account_used", true},
      {"denied_burst_by_ip", true},
      {"disallowed_namespace", true},
      {"disallowed_user", true},
      {"discovery_burst", true},
      {"ephemeral_container_added", true},
      {"events_deleted", true},
      {"exec_session_duration", true},
      {"exec_suspicious_command", true},
      {"first_exec_into_workload", true},
      {"first_seen", true},
      {"forbidden_request", true},
      {"full_admin_access", false},
      {"grant_then_first_use", true},
      {"host_namespaces", true},
      {"host_path_volume", true},
      {"host_ports", true},
      {"host_probe", true},
      {"image_latest_or_untagged", true},
      {"image_not_allowed", true},
      {"ingress_without_tls", true},
      {"kube_namespace_serviceaccount", true},
      {"mass_deletion", true},
      {"networkpolicy_allow_all", true},
      {"networkpolicy_deleted", true},
      {"node_proxy", true},
      {"offensive_user_agent", true},
      {"permission_enumeration", true},
      {"pod_exec_attach", true},
      {"pod_in_kube_namespace", true},
      {"pod_security_audit_violation", true},
      {"port_forward", true},
      {"privileged_container", true},
      {"privileged_impersonation", true},
      {"proc_mount_unmasked", true},
      {"psa_enforce_weakened", true},
      {"quota_deleted", true},
      {"rbac_anonymous_grant", true},
      {"rbac_binding_changed", true},
      {"rbac_pod_exec_role", true},
      {"rbac_role_changed", true},
      {"rbac_sensitive_role", true},
      {"rbac_wildcard_role", true},
      {"rbac_write_role", true},
      {"read_only_root_fs_missing", true},
      {"resource_activity", false},
      {"role_diff", true},
      {"role_then_workload", true},
      {"run_as_non_root", true},
      {"run_as_user_root", true},
      {"scanner_image_pulled", true},
      {"seccomp_not_set", true},
      {"secret_denied_burst", true},
      {"secret_enumeration", true},
      {"secret_list_cluster_wide", true},
      {"secret_read_by_workload", true},
      {"self_subject_review", true},
      {"sensitive_access_new_terms", true},
      {"sensitive_object_readers", false},
      {"service_exposed", true},
      {"serviceaccount_binding", true},
      {"serviceaccount_rbac_write", true},
      {"serviceaccount_token_request", true},
      {"system_identity_untrusted_source", true},
      {"system_role_modified", true},
      {"threat_intel_source", true},
      {"unsafe_sysctls", true},
      {"untrusted_node_join", true},
      {"volume_types", true},
      {"workload_defaults", true},
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
