#pragma once
// Fixture for tests of the aws backend against moto_server (started once per test process on a
// free loopback port, reset before each test). Every test process also checks, at exit, that
// no log line written during its tests contains the test credentials' secrets.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "firebreak/cloud/aws/provider.h"
#include "moto_server.h"

namespace firebreak::testing {

inline constexpr const char* kTestAccessKey = "AKIAFIREBREAKTEST001";
inline constexpr const char* kTestSecret = "fbTestSecret/DoNotLeak+9a8b7c6d5e4f3g2h1i0j";

// Every log line written in this process (after redaction), for the secret check.
std::string captured_log();

class MotoTest : public ::testing::Test {
 protected:
  void SetUp() override;
  cloud::aws::AwsSession& session() { return *session_; }
  cloud::aws::AwsProvider& provider() { return *provider_; }
  MotoServer& moto() { return *moto_; }
  // Provider settings the test may adjust before calling connect() again.
  cloud::aws::AwsProviderConfig base_config() const;
  void connect(cloud::aws::AwsProviderConfig cfg);

  static constexpr const char* kAmi = "ami-12c6146b";

 private:
  MotoServer* moto_ = nullptr;
  std::shared_ptr<cloud::aws::AwsProvider> provider_;
  std::shared_ptr<cloud::aws::AwsSession> session_;
};

}  // namespace firebreak::testing
