#pragma once
// IAM and STS operations: scoping and containing compromised users, keys and roles, and the
// identities firebreak itself runs as. Policy documents are JSON text (URL-decoded).

#include <optional>
#include <string>
#include <vector>

#include "firebreak/cloud/types.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud {

struct IamUser {
  std::string user_name;
  std::string user_id;
  std::string arn;
  std::string path = "/";
  TimePoint create_date{};
  std::optional<TimePoint> password_last_used;
  Tags tags;
};

struct AccessKeyMetadata {
  std::string user_name;
  std::string access_key_id;
  std::string status;  // "Active" or "Inactive"
  TimePoint create_date{};
};

// CreateAccessKey's answer: the only time the secret is visible. Never log it.
struct AccessKey {
  AccessKeyMetadata metadata;
  std::string secret_access_key;
};

struct AccessKeyLastUsed {
  std::string user_name;
  std::optional<TimePoint> last_used_date;  // nullopt: never used
  std::string service_name;                 // "N/A" when never used, as AWS answers
  std::string region;
};

struct AttachedPolicy {
  std::string policy_name;
  std::string policy_arn;
};

struct IamGroup {
  std::string group_name;
  std::string arn;
};

struct MfaDevice {
  std::string user_name;
  std::string serial_number;
  TimePoint enable_date{};
};

struct LoginProfile {
  std::string user_name;
  TimePoint create_date{};
  bool password_reset_required = false;
};

struct IamRole {
  std::string role_name;
  std::string role_id;
  std::string arn;
  std::string path = "/";
  std::string assume_role_policy_document;  // JSON text
  TimePoint create_date{};
  Tags tags;
};

struct InstanceProfile {
  std::string instance_profile_name;
  std::string instance_profile_id;
  std::string arn;
  std::vector<IamRole> roles;
};

class Iam {
 public:
  virtual ~Iam() = default;

  // Users. get_user with an empty name answers for the caller (as AWS does).
  [[nodiscard]] virtual Result<IamUser> get_user(const std::string& user_name) = 0;
  [[nodiscard]] virtual Result<std::vector<IamUser>> list_users() = 0;
  [[nodiscard]] virtual Result<IamUser> create_user(const std::string& user_name,
                                                    const Tags& tags = {}) = 0;

  // Access keys. Containment deactivates and never deletes (the key id threads CloudTrail).
  [[nodiscard]] virtual Result<std::vector<AccessKeyMetadata>> list_access_keys(
      const std::string& user_name) = 0;
  [[nodiscard]] virtual Result<AccessKey> create_access_key(const std::string& user_name) = 0;
  [[nodiscard]] virtual Status update_access_key(const std::string& user_name,
                                                 const std::string& access_key_id,
                                                 const std::string& status) = 0;
  [[nodiscard]] virtual Status delete_access_key(const std::string& user_name,
                                                 const std::string& access_key_id) = 0;
  [[nodiscard]] virtual Result<AccessKeyLastUsed> get_access_key_last_used(
      const std::string& access_key_id) = 0;

  // User policies, groups, MFA, console password.
  [[nodiscard]] virtual Result<std::vector<AttachedPolicy>> list_attached_user_policies(
      const std::string& user_name) = 0;
  [[nodiscard]] virtual Status attach_user_policy(const std::string& user_name,
                                                  const std::string& policy_arn) = 0;
  [[nodiscard]] virtual Status detach_user_policy(const std::string& user_name,
                                                  const std::string& policy_arn) = 0;
  [[nodiscard]] virtual Result<std::vector<std::string>> list_user_policies(
      const std::string& user_name) = 0;
  [[nodiscard]] virtual Result<std::string> get_user_policy(const std::string& user_name,
                                                            const std::string& policy_name) = 0;
  [[nodiscard]] virtual Status put_user_policy(const std::string& user_name,
                                               const std::string& policy_name,
                                               const std::string& policy_document) = 0;
  [[nodiscard]] virtual Status delete_user_policy(const std::string& user_name,
                                                  const std::string& policy_name) = 0;
  [[nodiscard]] virtual Result<std::vector<IamGroup>> list_groups_for_user(
      const std::string& user_name) = 0;
  [[nodiscard]] virtual Result<std::vector<MfaDevice>> list_mfa_devices(
      const std::string& user_name) = 0;
  [[nodiscard]] virtual Status deactivate_mfa_device(const std::string& user_name,
                                                     const std::string& serial_number) = 0;
  // kNotFound (aws_code "NoSuchEntity") when the user has no console password.
  [[nodiscard]] virtual Result<LoginProfile> get_login_profile(const std::string& user_name) = 0;
  [[nodiscard]] virtual Result<LoginProfile> create_login_profile(const std::string& user_name,
                                                                  const std::string& password,
                                                                  bool reset_required) = 0;
  [[nodiscard]] virtual Status delete_login_profile(const std::string& user_name) = 0;

  // Roles.
  [[nodiscard]] virtual Result<IamRole> get_role(const std::string& role_name) = 0;
  [[nodiscard]] virtual Result<IamRole> create_role(const std::string& role_name,
                                                    const std::string& assume_role_policy,
                                                    const Tags& tags = {}) = 0;
  [[nodiscard]] virtual Status update_assume_role_policy(const std::string& role_name,
                                                         const std::string& policy_document) = 0;
  [[nodiscard]] virtual Result<std::vector<std::string>> list_role_policies(
      const std::string& role_name) = 0;
  [[nodiscard]] virtual Result<std::string> get_role_policy(const std::string& role_name,
                                                            const std::string& policy_name) = 0;
  [[nodiscard]] virtual Status put_role_policy(const std::string& role_name,
                                               const std::string& policy_name,
                                               const std::string& policy_document) = 0;
  [[nodiscard]] virtual Status delete_role_policy(const std::string& role_name,
                                                  const std::string& policy_name) = 0;
  [[nodiscard]] virtual Result<std::vector<AttachedPolicy>> list_attached_role_policies(
      const std::string& role_name) = 0;
  [[nodiscard]] virtual Status attach_role_policy(const std::string& role_name,
                                                  const std::string& policy_arn) = 0;
  [[nodiscard]] virtual Status detach_role_policy(const std::string& role_name,
                                                  const std::string& policy_arn) = 0;

  // Instance profiles.
  [[nodiscard]] virtual Result<InstanceProfile> get_instance_profile(
      const std::string& instance_profile_name) = 0;
  [[nodiscard]] virtual Result<InstanceProfile> create_instance_profile(
      const std::string& instance_profile_name) = 0;
  [[nodiscard]] virtual Status add_role_to_instance_profile(
      const std::string& instance_profile_name, const std::string& role_name) = 0;
};

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

struct AssumeRoleRequest {
  std::string role_arn;
  std::string role_session_name;  // firebreak uses "firebreak-<incident>" (see session.h)
  int duration_seconds = 3600;
  std::string external_id;
  std::string policy;  // optional session policy (JSON), empty for none
};

struct AssumedRole {
  Credentials credentials;
  std::string assumed_role_arn;  // arn:aws:sts::<acct>:assumed-role/<role>/<session>
  std::string assumed_role_id;
};

class Sts {
 public:
  virtual ~Sts() = default;
  [[nodiscard]] virtual Result<CallerIdentity> get_caller_identity() = 0;
  [[nodiscard]] virtual Result<AssumedRole> assume_role(const AssumeRoleRequest& req) = 0;
};

}  // namespace firebreak::cloud
