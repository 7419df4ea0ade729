#pragma once
// Private helpers shared by the built-in actions: parameter access, common lookups, and the
// JSON forms of AWS state that go into the incident record.

#include <fmt/ranges.h>

#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloud/session.h"
#include "firebreak/respond/action.h"

namespace firebreak::respond::actions {

// Tag firebreak puts on what it creates, valued with the step's idempotency token, so a
// re-applied step finds what it already made.
inline constexpr std::string_view kStepTag = "FirebreakStep";
inline constexpr std::string_view kIncidentTag = "FirebreakIncident";

[[nodiscard]] std::string str(const ActionContext& ctx, std::string_view name);
[[nodiscard]] bool flag(const ActionContext& ctx, std::string_view name);
[[nodiscard]] std::vector<std::string> strings(const ActionContext& ctx, std::string_view name);

[[nodiscard]] ApiCall call(std::string_view service, std::string_view operation,
                           std::string detail = {});
[[nodiscard]] ParamSpec param(std::string name, ParamType type, std::string description,
                              Json default_value = nullptr);

// The instance, or kNotFound.
[[nodiscard]] Result<cloud::Instance> describe_instance(cloud::Ec2& ec2, const std::string& id);
// Every ENI attached to the instance.
[[nodiscard]] Result<std::vector<cloud::NetworkInterface>> instance_enis(cloud::Ec2& ec2,
                                                                         const std::string& id);
[[nodiscard]] std::vector<std::string> group_ids(const std::vector<cloud::GroupIdentifier>& g);
// The role name of an instance profile ARN's profile (via IAM), or "" when it has none.
[[nodiscard]] Result<std::string> role_of_instance_profile(cloud::Iam& iam,
                                                           const std::string& profile_arn);

[[nodiscard]] Json to_json(const cloud::Tags& tags);
[[nodiscard]] Json to_json(const cloud::Instance& i);
[[nodiscard]] Json to_json(const cloud::NetworkInterface& n);
[[nodiscard]] Json to_json(const cloud::IpPermission& p);
[[nodiscard]] Json to_json(const cloud::SecurityGroup& g);
[[nodiscard]] Json to_json(const cloud::Volume& v);

// The IAM policy that denies everything.
[[nodiscard]] std::string deny_all_policy();
// The policy that denies every action to sessions issued before `before` (session revocation).
[[nodiscard]] std::string revoke_sessions_policy(TimePoint before);

// "ec2.isolate_instance" etc. are registered in actions/registry.cpp from these factories.
std::unique_ptr<Action> make_ec2_record_instance();
std::unique_ptr<Action> make_ec2_preserve_instance();
std::unique_ptr<Action> make_autoscaling_detach_instance();
std::unique_ptr<Action> make_elb_deregister_instance();
std::unique_ptr<Action> make_ec2_isolate_instance();
std::unique_ptr<Action> make_ec2_disassociate_addresses();
std::unique_ptr<Action> make_ec2_replace_instance_profile();
std::unique_ptr<Action> make_ec2_snapshot_volumes();
std::unique_ptr<Action> make_ec2_wait_snapshots();
std::unique_ptr<Action> make_ec2_tag_resources();
std::unique_ptr<Action> make_ec2_verify_isolation();
std::unique_ptr<Action> make_ec2_nacl_block();
std::unique_ptr<Action> make_ssm_capture_memory();
std::unique_ptr<Action> make_iam_revoke_role_sessions();
std::unique_ptr<Action> make_iam_scope_access_key();
std::unique_ptr<Action> make_iam_deactivate_access_key();
std::unique_ptr<Action> make_iam_deny_all_user();
std::unique_ptr<Action> make_iam_revoke_user_sessions();
std::unique_ptr<Action> make_iam_delete_login_profile();
std::unique_ptr<Action> make_cloudtrail_hunt_access_key();
std::unique_ptr<Action> make_iam_contain_persistence();

}  // namespace firebreak::respond::actions

namespace firebreak::respond::actions {

// Holds the spec; concrete actions implement plan/apply/verify (and rollback).
class BasicAction : public Action {
 public:
  explicit BasicAction(ActionSpec spec) : spec_(std::move(spec)) {}
  [[nodiscard]] const ActionSpec& spec() const override { return spec_; }

 private:
  ActionSpec spec_;
};

// Scratch state helpers: ctx.state() as an object, and saving one key.
[[nodiscard]] Json scratch(const ActionContext& ctx);
[[nodiscard]] Status remember(ActionContext& ctx, std::string_view key, Json value);

}  // namespace firebreak::respond::actions
