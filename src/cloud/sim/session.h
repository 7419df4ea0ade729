#pragma once
// Private to the simulator: the CloudSession and one class per service of the seam.

#include <memory>
#include <mutex>

#include "call.h"
#include "firebreak/cloud/session.h"
#include "firebreak/cloud/sim/provider.h"

namespace firebreak::cloud::sim {

class SimSession;

class SimEc2 final : public Ec2 {
 public:
  explicit SimEc2(SimSession& s) : s_(s) {}
  Result<std::vector<Instance>> describe_instances(const DescribeRequest& req) override;
  Result<std::string> describe_instance_attribute(const std::string& instance_id,
                                                  const std::string& attribute) override;
  Status modify_instance_attribute(const ModifyInstanceAttributeRequest& req) override;
  Result<std::vector<Instance>> run_instances(const RunInstancesRequest& req) override;
  Result<std::vector<InstanceStateChange>> stop_instances(const std::vector<std::string>& ids,
                                                          bool force) override;
  Result<std::vector<InstanceStateChange>> start_instances(
      const std::vector<std::string>& ids) override;
  Result<std::vector<InstanceStateChange>> terminate_instances(
      const std::vector<std::string>& ids) override;
  Result<std::string> get_console_output(const std::string& instance_id) override;
  Result<std::vector<NetworkInterface>> describe_network_interfaces(
      const DescribeRequest& req) override;
  Status modify_network_interface_groups(const std::string& eni,
                                         const std::vector<std::string>& group_ids) override;
  Result<std::vector<SecurityGroup>> describe_security_groups(const DescribeRequest& req) override;
  Result<std::string> create_security_group(const CreateSecurityGroupRequest& req) override;
  Status delete_security_group(const std::string& group_id) override;
  Status authorize_security_group_ingress(const std::string& group_id,
                                          const std::vector<IpPermission>& perms) override;
  Status authorize_security_group_egress(const std::string& group_id,
                                         const std::vector<IpPermission>& perms) override;
  Status revoke_security_group_ingress(const std::string& group_id,
                                       const std::vector<IpPermission>& perms) override;
  Status revoke_security_group_egress(const std::string& group_id,
                                      const std::vector<IpPermission>& perms) override;
  Result<std::vector<NetworkAcl>> describe_network_acls(const DescribeRequest& req) override;
  Status create_network_acl_entry(const std::string& acl, const NetworkAclEntry& entry) override;
  Status delete_network_acl_entry(const std::string& acl, int rule_number, bool egress) override;
  Result<std::vector<Address>> describe_addresses(const DescribeRequest& req) override;
  Status disassociate_address(const std::string& association_id) override;
  Result<std::string> associate_address(const std::string& allocation_id,
                                        const std::string& instance_id) override;
  Result<std::vector<IamInstanceProfileAssociation>> describe_iam_instance_profile_associations(
      const DescribeRequest& req) override;
  Result<IamInstanceProfileAssociation> replace_iam_instance_profile_association(
      const std::string& association_id, const std::string& profile) override;
  Result<IamInstanceProfileAssociation> associate_iam_instance_profile(
      const std::string& instance_id, const std::string& profile) override;
  Status disassociate_iam_instance_profile(const std::string& association_id) override;
  Result<std::vector<Volume>> describe_volumes(const DescribeRequest& req) override;
  Result<Snapshot> create_snapshot(const CreateSnapshotRequest& req) override;
  Result<std::vector<Snapshot>> create_snapshots(const CreateSnapshotsRequest& req) override;
  Result<std::vector<Snapshot>> describe_snapshots(const DescribeRequest& req) override;
  Status create_tags(const std::vector<std::string>& ids, const Tags& tags) override;
  Status delete_tags(const std::vector<std::string>& ids, const Tags& tags) override;

 private:
  Status change_rules(const std::string& op, const std::string& group_id,
                      const std::vector<IpPermission>& perms, bool egress, bool add);
  SimSession& s_;
};

class SimAutoScaling final : public AutoScaling {
 public:
  explicit SimAutoScaling(SimSession& s) : s_(s) {}
  Result<std::vector<AutoScalingInstance>> describe_auto_scaling_instances(
      const std::vector<std::string>& ids) override;
  Result<std::vector<AutoScalingGroup>> describe_auto_scaling_groups(
      const std::vector<std::string>& names) override;
  Result<std::vector<AutoScalingActivity>> detach_instances(const std::string& group,
                                                            const std::vector<std::string>& ids,
                                                            bool decrement) override;
  Status attach_instances(const std::string& group, const std::vector<std::string>& ids) override;
  Result<std::vector<AutoScalingActivity>> enter_standby(const std::string& group,
                                                         const std::vector<std::string>& ids,
                                                         bool decrement) override;
  Result<std::vector<AutoScalingActivity>> exit_standby(
      const std::string& group, const std::vector<std::string>& ids) override;

 private:
  SimSession& s_;
};

class SimElbv2 final : public Elbv2 {
 public:
  explicit SimElbv2(SimSession& s) : s_(s) {}
  Result<std::vector<TargetGroup>> describe_target_groups(const std::vector<std::string>& arns,
                                                          const std::string& lb_arn) override;
  Result<std::vector<TargetHealth>> describe_target_health(const std::string& arn) override;
  Status register_targets(const std::string& arn,
                          const std::vector<TargetDescription>& targets) override;
  Status deregister_targets(const std::string& arn,
                            const std::vector<TargetDescription>& targets) override;

 private:
  SimSession& s_;
};

class SimClassicElb final : public ClassicElb {
 public:
  explicit SimClassicElb(SimSession& s) : s_(s) {}
  Result<std::vector<ClassicLoadBalancer>> describe_load_balancers(
      const std::vector<std::string>& names) override;
  Result<std::vector<ClassicInstanceHealth>> describe_instance_health(
      const std::string& name) override;
  Status register_instances(const std::string& name, const std::vector<std::string>& ids) override;
  Status deregister_instances(const std::string& name,
                              const std::vector<std::string>& ids) override;

 private:
  SimSession& s_;
};

class SimIam final : public Iam {
 public:
  explicit SimIam(SimSession& s) : s_(s) {}
  Result<IamUser> get_user(const std::string& user_name) override;
  Result<std::vector<IamUser>> list_users() override;
  Result<IamUser> create_user(const std::string& user_name, const Tags& tags) override;
  Result<std::vector<AccessKeyMetadata>> list_access_keys(const std::string& user_name) override;
  Result<AccessKey> create_access_key(const std::string& user_name) override;
  Status update_access_key(const std::string& user_name, const std::string& key,
                           const std::string& status) override;
  Status delete_access_key(const std::string& user_name, const std::string& key) override;
  Result<AccessKeyLastUsed> get_access_key_last_used(const std::string& key) override;
  Result<std::vector<AttachedPolicy>> list_attached_user_policies(const std::string& user) override;
  Status attach_user_policy(const std::string& user, const std::string& arn) override;
  Status detach_user_policy(const std::string& user, const std::string& arn) override;
  Result<std::vector<std::string>> list_user_policies(const std::string& user) override;
  Result<std::string> get_user_policy(const std::string& user, const std::string& name) override;
  Status put_user_policy(const std::string& user, const std::string& name,
                         const std::string& doc) override;
  Status delete_user_policy(const std::string& user, const std::string& name) override;
  Result<std::vector<IamGroup>> list_groups_for_user(const std::string& user) override;
  Result<std::vector<MfaDevice>> list_mfa_devices(const std::string& user) override;
  Status deactivate_mfa_device(const std::string& user, const std::string& serial) override;
  Result<LoginProfile> get_login_profile(const std::string& user) override;
  Result<LoginProfile> create_login_profile(const std::string& user, const std::string& password,
                                            bool reset_required) override;
  Status delete_login_profile(const std::string& user) override;
  Result<IamRole> get_role(const std::string& role) override;
  Result<IamRole> create_role(const std::string& role, const std::string& trust,
                              const Tags& tags) override;
  Status update_assume_role_policy(const std::string& role, const std::string& doc) override;
  Result<std::vector<std::string>> list_role_policies(const std::string& role) override;
  Result<std::string> get_role_policy(const std::string& role, const std::string& name) override;
  Status put_role_policy(const std::string& role, const std::string& name,
                         const std::string& doc) override;
  Status delete_role_policy(const std::string& role, const std::string& name) override;
  Result<std::vector<AttachedPolicy>> list_attached_role_policies(const std::string& role) override;
  Status attach_role_policy(const std::string& role, const std::string& arn) override;
  Status detach_role_policy(const std::string& role, const std::string& arn) override;
  Result<InstanceProfile> get_instance_profile(const std::string& name) override;
  Result<InstanceProfile> create_instance_profile(const std::string& name) override;
  Status add_role_to_instance_profile(const std::string& profile, const std::string& role) override;

 private:
  SimSession& s_;
};

class SimSts final : public Sts {
 public:
  explicit SimSts(SimSession& s) : s_(s) {}
  Result<CallerIdentity> get_caller_identity() override;
  Result<AssumedRole> assume_role(const AssumeRoleRequest& req) override;

 private:
  SimSession& s_;
};

class SimS3 final : public S3 {
 public:
  explicit SimS3(SimSession& s) : s_(s) {}
  Status create_bucket(const CreateBucketRequest& req) override;
  Result<std::vector<std::string>> list_buckets() override;
  Status put_bucket_versioning(const std::string& bucket, bool enabled) override;
  Result<std::string> get_bucket_versioning(const std::string& bucket) override;
  Result<PutObjectResult> put_object(const PutObjectRequest& req) override;
  Result<ObjectInfo> get_object(const std::string& bucket, const std::string& key,
                                const std::string& version_id, const ByteSink& sink) override;
  Result<ObjectInfo> head_object(const std::string& bucket, const std::string& key,
                                 const std::string& version_id) override;
  Status delete_object(const std::string& bucket, const std::string& key,
                       const std::string& version_id, bool bypass) override;
  Result<std::vector<ObjectVersion>> list_object_versions(const std::string& bucket,
                                                          const std::string& prefix) override;
  Result<ObjectLockConfiguration> get_object_lock_configuration(const std::string& bucket) override;
  Status put_object_lock_configuration(const std::string& bucket,
                                       const ObjectLockConfiguration& config) override;
  Result<ObjectLockSettings> get_object_retention(const std::string& bucket, const std::string& key,
                                                  const std::string& version_id) override;
  Status put_object_retention(const std::string& bucket, const std::string& key,
                              const std::string& version_id, const ObjectLockSettings& retention,
                              bool bypass) override;
  Status put_object_legal_hold(const std::string& bucket, const std::string& key,
                               const std::string& version_id, bool on) override;
  Result<std::string> get_bucket_policy(const std::string& bucket) override;
  Status put_bucket_policy(const std::string& bucket, const std::string& policy) override;
  Status delete_bucket_policy(const std::string& bucket) override;
  Result<bool> get_bucket_policy_status(const std::string& bucket) override;
  Result<BucketAcl> get_bucket_acl(const std::string& bucket) override;
  Status put_bucket_acl(const std::string& bucket, const std::string& canned) override;
  Result<PublicAccessBlock> get_public_access_block(const std::string& bucket) override;
  Status put_public_access_block(const std::string& bucket, const PublicAccessBlock& b) override;
  Status delete_public_access_block(const std::string& bucket) override;
  Result<std::string> get_bucket_ownership_controls(const std::string& bucket) override;
  Status put_bucket_ownership_controls(const std::string& bucket,
                                       const std::string& ownership) override;
  Status put_account_public_access_block(const std::string& account,
                                         const PublicAccessBlock& b) override;

 private:
  SimSession& s_;
};

class SimSsm final : public Ssm {
 public:
  explicit SimSsm(SimSession& s) : s_(s) {}
  Result<std::vector<ManagedInstance>> describe_instance_information(
      const std::vector<std::string>& ids) override;
  Result<Command> send_command(const SendCommandRequest& req) override;
  Result<std::vector<Command>> list_commands(const std::string& instance_id) override;
  Result<CommandInvocation> get_command_invocation(const std::string& command_id,
                                                   const std::string& instance_id) override;

 private:
  SimSession& s_;
};

class SimCloudTrail final : public CloudTrail {
 public:
  explicit SimCloudTrail(SimSession& s) : s_(s) {}
  Result<std::vector<Trail>> describe_trails(const std::vector<std::string>& names) override;
  Result<TrailStatus> get_trail_status(const std::string& name) override;
  Status start_logging(const std::string& name) override;
  Status stop_logging(const std::string& name) override;
  Status delete_trail(const std::string& name) override;
  Result<Json> get_event_selectors(const std::string& name) override;
  Status put_event_selectors(const std::string& name, const Json& selectors) override;
  Result<std::vector<LookedUpEvent>> lookup_events(const LookupEventsRequest& req) override;

 private:
  SimSession& s_;
};

class SimGuardDuty final : public GuardDuty {
 public:
  explicit SimGuardDuty(SimSession& s) : s_(s) {}
  Result<std::vector<std::string>> list_detectors() override;
  Result<std::string> create_detector(bool enable) override;
  Status update_detector(const std::string& id, bool enable) override;
  Status delete_detector(const std::string& id) override;
  Result<std::vector<std::string>> list_findings(const std::string& id,
                                                 const Json& criteria) override;
  Result<std::vector<Json>> get_findings(const std::string& id,
                                         const std::vector<std::string>& ids) override;

 private:
  SimSession& s_;
};

class SimSecurityHub final : public SecurityHub {
 public:
  explicit SimSecurityHub(SimSession& s) : s_(s) {}
  Result<std::vector<Json>> get_findings(const Json& filters, std::size_t max) override;

 private:
  SimSession& s_;
};

class SimSns final : public Sns {
 public:
  explicit SimSns(SimSession& s) : s_(s) {}
  Result<std::string> create_topic(const std::string& name) override;
  Result<std::string> publish(const std::string& topic_arn, const std::string& subject,
                              const std::string& message) override;

 private:
  SimSession& s_;
};

class SimSqs final : public Sqs {
 public:
  explicit SimSqs(SimSession& s) : s_(s) {}
  Result<std::string> create_queue(const std::string& name) override;
  Result<std::string> get_queue_url(const std::string& name) override;
  Result<std::string> send_message(const std::string& url, const std::string& body) override;
  Result<std::vector<SqsMessage>> receive_message(const std::string& url, int max, int wait,
                                                  int visibility) override;
  Status delete_message(const std::string& url, const std::string& receipt) override;
  Status change_message_visibility(const std::string& url, const std::string& receipt,
                                   int visibility) override;

 private:
  SimSession& s_;
};

class SimSession final : public CloudSession {
 public:
  SimSession(std::shared_ptr<World> world, Identity identity, std::string region,
             std::string account, HookChain hooks);

  const std::string& account_id() const override { return account_; }
  const std::string& region() const override { return region_; }
  Ec2& ec2() override { return ec2_; }
  AutoScaling& autoscaling() override { return autoscaling_; }
  Elbv2& elbv2() override { return elbv2_; }
  ClassicElb& elb() override { return elb_; }
  Iam& iam() override { return iam_; }
  Sts& sts() override { return sts_; }
  S3& s3() override { return s3_; }
  Ssm& ssm() override { return ssm_; }
  CloudTrail& cloudtrail() override { return cloudtrail_; }
  GuardDuty& guardduty() override { return guardduty_; }
  SecurityHub& securityhub() override { return securityhub_; }
  Sns& sns() override { return sns_; }
  Sqs& sqs() override { return sqs_; }
  void add_hook(std::shared_ptr<CallHook> hook) override {
    std::lock_guard lock(hooks_mu_);
    hooks_.add(std::move(hook));
  }

  World::State& state() { return world_->state(); }
  const Identity& identity() const { return identity_; }

  // Runs one operation through the pipeline (see call.h). `handler(Call&)` returns R.
  template <class R, class F>
  R run(const OpDesc& op, F&& handler) {
    HookChain hooks;
    {
      std::lock_guard lock(hooks_mu_);
      hooks = hooks_;
    }
    OperationInfo info{op.service, op.name, !op.read_only, account_, region_};
    return hooks.run(info, [&]() -> R {
      auto& s = world_->state();
      std::lock_guard lock(s.mu);
      s.catch_up();
      auto caller = resolve_caller(op);
      if (!caller) return std::unexpected(caller.error());
      const std::uint16_t scope = s.scope_for((*caller)->account, region_);
      Call call(s, **caller, scope, op);
      if (auto t = throttle(call); !t) {
        call.finish();
        return std::unexpected(t.error());
      }
      R result = handler(call);
      call.finish();
      after_call(call, result.has_value());
      return result;
    });
  }

 private:
  // Authenticates (caching the resolved caller; re-validating keys and expiry every call).
  Result<const Caller*> resolve_caller(const OpDesc& op);
  Status throttle(Call& call);
  void after_call(Call& call, bool ok);

  std::shared_ptr<World> world_;
  Identity identity_;
  std::string region_;
  std::string account_;
  std::mutex hooks_mu_;
  HookChain hooks_;
  std::optional<Caller> cached_;
  std::optional<Caller> anonymous_;
  std::uint32_t cached_key_ = 0xffffffffu;
  bool cached_session_ = false;

  SimEc2 ec2_{*this};
  SimAutoScaling autoscaling_{*this};
  SimElbv2 elbv2_{*this};
  SimClassicElb elb_{*this};
  SimIam iam_{*this};
  SimSts sts_{*this};
  SimS3 s3_{*this};
  SimSsm ssm_{*this};
  SimCloudTrail cloudtrail_{*this};
  SimGuardDuty guardduty_{*this};
  SimSecurityHub securityhub_{*this};
  SimSns sns_{*this};
  SimSqs sqs_{*this};
};

// Shorthand used by every service implementation.
#define SIM_OP(service, name) static const OpDesc& kOp = op_desc(service, name)

}  // namespace firebreak::cloud::sim
