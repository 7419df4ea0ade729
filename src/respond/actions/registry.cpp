// The one place built-in actions are registered.
#include "common.h"

namespace firebreak::respond {

void register_builtin_actions(ActionRegistry& registry) {
  using namespace actions;
  // EC2 containment, in the order the ec2-contain playbook uses them.
  registry.add(make_ec2_record_instance());
  registry.add(make_ec2_preserve_instance());
  registry.add(make_autoscaling_detach_instance());
  registry.add(make_elb_deregister_instance());
  registry.add(make_ec2_isolate_instance());
  registry.add(make_ec2_disassociate_addresses());
  registry.add(make_iam_revoke_role_sessions());
  registry.add(make_ec2_replace_instance_profile());
  registry.add(make_ec2_snapshot_volumes());
  registry.add(make_ec2_wait_snapshots());
  registry.add(make_ssm_capture_memory());
  registry.add(make_ec2_tag_resources());
  registry.add(make_ec2_verify_isolation());
  registry.add(make_ec2_nacl_block());
  // Access key compromise.
  registry.add(make_iam_scope_access_key());
  registry.add(make_iam_deactivate_access_key());
  registry.add(make_iam_deny_all_user());
  registry.add(make_iam_revoke_user_sessions());
  registry.add(make_iam_delete_login_profile());
  registry.add(make_cloudtrail_hunt_access_key());
  registry.add(make_iam_contain_persistence());
}

}  // namespace firebreak::respond
