#pragma once
// The cloud conformance suite: one set of tests written against the seam (firebreak/cloud/),
// run against every backend registered here: the simulator ("sim") and the AWS client talking to
// a moto_server it starts ("aws-moto"). Where a backend models less than AWS (moto has no
// connection tracking, ...), its Capabilities say so and the test skips with that reason; the
// test names which backend and why.
//
// Writing a case:
//   TEST_P(CloudConformance, terminate_refused_with_termination_protection) {
//     auto& ec2 = session().ec2();
//     ...
//   }
// Backends register with FIREBREAK_REGISTER_CONFORMANCE_BACKEND in their own .cpp file
// (sim_backend.cpp, moto_backend.cpp), compiled in when their library exists.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "firebreak/cloud/session.h"

namespace firebreak::testing {

// What a backend can be asked to set up or observe beyond the seam.
struct Capabilities {
  bool connection_tracking = false;  // simulated connections (sim only)
  bool policy_evaluation = false;    // IAM policies actually deny later calls
  bool async_snapshots = false;      // snapshots go pending -> completed over (simulated) time
  // Added with the simulator (all default to false, i.e. "the backend models less"):
  bool ssm_managed_instances = false;  // Run Command reaches only SSM-managed instances, and
                                       // ConformanceWorld::managed_instance() provides one
  bool s3_secure_defaults = false;     // new buckets have Block Public Access on, ACLs disabled
  bool strict_validation = false;      // refuses inputs AWS refuses that moto accepts or crashes
                                       // on (unknown association ids, unknown devices, ...)
  bool cloudtrail_records = false;     // calls become CloudTrail records LookupEvents returns
  bool fixtures = false;               // ConformanceWorld::fixture() builds ASG/ELB set-ups
  // API moto 5.2.1 lacks or answers wrongly (tests/integration covers these calls against
  // recorded AWS answers instead):
  bool exact_error_codes = false;      // every not-found error carries AWS's exact code
  bool guardduty_findings = false;     // GuardDuty ListFindings/GetFindings
  bool s3_object_retention = false;    // S3 GetObjectRetention
  bool s3_policy_status = false;       // S3 GetBucketPolicyStatus
  // ModifyInstanceAttribute InstanceInitiatedShutdownBehavior.Value (the SDKs' form) takes
  // effect; moto ignores it and runs its security-group handler instead.
  bool shutdown_behavior_modification = false;
};

// What ConformanceWorld::fixture() sets up (not creatable through the seam).
struct ConformanceFixture {
  std::string auto_scaling_group;  // min 1, max 4, desired 2, instances in the target group
  std::string target_group_arn;    // instance targets, deregistration delay 60 s
  std::string classic_load_balancer;
  std::vector<std::string> instance_ids;  // the group's instances (running, registered)
};

// A fresh, empty account for one test: created by the backend, destroyed after the test.
class ConformanceWorld {
 public:
  virtual ~ConformanceWorld() = default;
  [[nodiscard]] virtual cloud::CloudSession& session() = 0;
  [[nodiscard]] virtual const Capabilities& capabilities() const = 0;
  // An image id RunInstances accepts, and a subnet (with its VPC) in the default VPC.
  [[nodiscard]] virtual std::string image_id() const = 0;
  [[nodiscard]] virtual std::string subnet_id() const = 0;
  [[nodiscard]] virtual std::string vpc_id() const = 0;
  // Lets (simulated or real) time pass, e.g. for snapshots to complete or targets to drain.
  virtual void let_time_pass(Duration d) = 0;
  // An instance whose SSM agent is online (Capabilities::ssm_managed_instances).
  [[nodiscard]] virtual Result<std::string> managed_instance() {
    return fail(ErrorCode::kUnsupported, "this backend cannot provide an SSM-managed instance");
  }
  // A session for a principal with no permissions at all (Capabilities::policy_evaluation).
  [[nodiscard]] virtual Result<std::shared_ptr<cloud::CloudSession>> unprivileged_session() {
    return fail(ErrorCode::kUnsupported, "this backend does not evaluate IAM policies");
  }
  // An Auto Scaling group behind a target group and a classic ELB (Capabilities::fixtures).
  [[nodiscard]] virtual Result<ConformanceFixture> fixture() {
    return fail(ErrorCode::kUnsupported, "this backend cannot build load-balancing fixtures");
  }
};

struct ConformanceBackend {
  std::string name;
  // Creates the world for one test, or an error saying why the backend is unavailable (the
  // test then skips, or fails under CI=true).
  std::function<Result<std::unique_ptr<ConformanceWorld>>()> make;
};

std::vector<ConformanceBackend>& conformance_backends();

struct ConformanceRegistration {
  explicit ConformanceRegistration(ConformanceBackend b) {
    conformance_backends().push_back(std::move(b));
  }
};

#define FIREBREAK_REGISTER_CONFORMANCE_BACKEND(var, ...) \
  static ::firebreak::testing::ConformanceRegistration var { __VA_ARGS__ }

class CloudConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override { world_.reset(); }
  cloud::CloudSession& session() { return world_->session(); }
  ConformanceWorld& world() { return *world_; }
  const Capabilities& caps() { return world_->capabilities(); }
  // Error code helpers for assertions.
  static std::string aws_code(const Error& e) { return e.context().aws_code; }

 private:
  std::unique_ptr<ConformanceWorld> world_;
};

}  // namespace firebreak::testing
