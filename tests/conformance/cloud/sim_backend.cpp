// Registers the simulator ("sim") with the cloud conformance suite: every test gets a fresh world
// with one account (123456789012, like moto's default), us-east-1, a default VPC with one subnet,
// one image, and an administrator whose key the session uses.
#include "backend.h"
#include "firebreak/cloud/sim/provider.h"
#include "firebreak/cloud/sim/world.h"

namespace firebreak::testing {
namespace {

using cloud::sim::World;

constexpr const char* kAccount = "123456789012";
constexpr const char* kAdminPolicy = "arn:aws:iam::aws:policy/AdministratorAccess";

class SimConformanceWorld final : public ConformanceWorld {
 public:
  static Result<std::unique_ptr<ConformanceWorld>> make() {
    auto w = std::unique_ptr<SimConformanceWorld>(new SimConformanceWorld());
    FIREBREAK_TRY_STATUS(w->build());
    return std::unique_ptr<ConformanceWorld>(std::move(w));
  }

  cloud::CloudSession& session() override { return *session_; }
  const Capabilities& capabilities() const override { return caps_; }
  std::string image_id() const override { return image_; }
  std::string subnet_id() const override { return subnet_; }
  std::string vpc_id() const override { return vpc_; }
  void let_time_pass(Duration d) override { world_->advance(d); }

  Result<std::string> managed_instance() override {
    cloud::sim::InstanceSpec spec;
    spec.name = "managed-" + std::to_string(++managed_);
    spec.account = kAccount;
    spec.region = "us-east-1";
    spec.ssm_agent = true;
    spec.memory_mib = 16;
    spec.instance_profile = "ssm-managed";
    return world_->add_instance(spec);
  }

  Result<std::shared_ptr<cloud::CloudSession>> unprivileged_session() override {
    cloud::sim::UserSpec u;
    u.name = "nobody-" + std::to_string(++unprivileged_);
    u.access_keys = 1;
    FIREBREAK_TRY(auto keys, world_->add_user(kAccount, u));
    cloud::sim::Identity id;
    id.credentials = keys.at(0);
    return cloud::sim::make_session(world_, id, "us-east-1");
  }

  Result<ConformanceFixture> fixture() override {
    ConformanceFixture f;
    cloud::sim::TargetGroupSpec tg;
    tg.name = "conformance-tg";
    tg.account = kAccount;
    tg.region = "us-east-1";
    tg.deregistration_delay_seconds = 60;
    FIREBREAK_TRY(f.target_group_arn, world_->add_target_group(tg));
    cloud::sim::ClassicLbSpec lb;
    lb.name = "conformance-clb";
    lb.account = kAccount;
    lb.region = "us-east-1";
    FIREBREAK_TRY_STATUS(world_->add_classic_load_balancer(lb));
    f.classic_load_balancer = lb.name;
    cloud::sim::AutoScalingGroupSpec asg;
    asg.name = "conformance-asg";
    asg.account = kAccount;
    asg.region = "us-east-1";
    asg.min_size = 1;
    asg.max_size = 4;
    asg.desired = 2;
    asg.target_group_arns = {f.target_group_arn};
    asg.load_balancer_names = {lb.name};
    FIREBREAK_TRY_STATUS(world_->add_auto_scaling_group(asg));
    f.auto_scaling_group = asg.name;
    for (int i = 1; i <= 2; ++i) {
      FIREBREAK_TRY(auto id, world_->resolve("conformance-asg-" + std::to_string(i)));
      f.instance_ids.push_back(id);
    }
    return f;
  }

 private:
  SimConformanceWorld() = default;

  Status build() {
    cloud::sim::WorldOptions o;
    o.seed = 20240601;
    world_ = std::make_shared<World>(o);
    FIREBREAK_TRY_STATUS(
        world_->add_account({kAccount, "conformance", true, false, {"us-east-1"}}));
    FIREBREAK_TRY(vpc_, world_->add_vpc(kAccount, "us-east-1", "172.31.0.0/16", true));
    FIREBREAK_TRY(subnet_, world_->add_subnet(vpc_, "172.31.0.0/20", "us-east-1a"));
    FIREBREAK_TRY(image_, world_->add_image(kAccount, "us-east-1", "amzn2023-ami"));
    cloud::sim::UserSpec admin;
    admin.name = "admin";
    admin.access_keys = 1;
    admin.managed_policy_arns = {kAdminPolicy};
    FIREBREAK_TRY(auto keys, world_->add_user(kAccount, admin));
    cloud::sim::RoleSpec ssm_role;
    ssm_role.name = "ssm-managed";
    ssm_role.managed_policy_arns = {"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                                    "arn:aws:iam::aws:policy/AmazonS3FullAccess"};
    FIREBREAK_TRY(auto role, world_->add_role(kAccount, ssm_role));
    (void)role;
    FIREBREAK_TRY_STATUS(world_->add_instance_profile(kAccount, "ssm-managed", "ssm-managed"));
    cloud::sim::Identity id;
    id.credentials = keys.at(0);
    id.user_agent = "firebreak/0.1.0 conformance";
    auto provider = std::make_shared<cloud::sim::SimProvider>(world_, id);
    FIREBREAK_TRY(session_, provider->session({}));
    caps_.connection_tracking = true;
    caps_.policy_evaluation = true;
    caps_.async_snapshots = true;
    caps_.ssm_managed_instances = true;
    caps_.s3_secure_defaults = true;
    caps_.strict_validation = true;
    caps_.cloudtrail_records = true;
    caps_.fixtures = true;
    caps_.exact_error_codes = true;
    caps_.guardduty_findings = true;
    caps_.s3_object_retention = true;
    caps_.s3_policy_status = true;
    caps_.shutdown_behavior_modification = true;
    return {};
  }

  std::shared_ptr<World> world_;
  std::shared_ptr<cloud::CloudSession> session_;
  Capabilities caps_;
  std::string image_, subnet_, vpc_;
  int managed_ = 0, unprivileged_ = 0;
};

}  // namespace

FIREBREAK_REGISTER_CONFORMANCE_BACKEND(sim_backend,
                                       ConformanceBackend{
                                           "sim", [] { return SimConformanceWorld::make(); }});

}  // namespace firebreak::testing
