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
