#include "moto_fixture.h"

#include <fstream>
#include <mutex>
#include <sstream>

#include "firebreak/core/log.h"
#include "testdata.h"

namespace firebreak::testing {

namespace {

std::mutex g_log_mu;
std::string g_log;

// Captures every log line at debug level for the whole process and, at the end, fails if a
// secret appears in it or in moto's own log.
class SecretGrep final : public ::testing::Environment {
 public:
  void SetUp() override {
    log::set_level(log::Level::kDebug);
    log::set_sink([](log::Level, std::string_view line) {
      std::lock_guard lock(g_log_mu);
      g_log.append(line);
      g_log.push_back('\n');
    });
  }
  void TearDown() override {
    log::set_sink(nullptr);
    std::string text = captured_log();
    if (MotoServer* m = MotoServer::shared()) {
      std::ifstream in(m->log_path());
      std::stringstream ss;
      ss << in.rdbuf();
      text += ss.str();
    }
    EXPECT_EQ(text.find(kTestSecret), std::string::npos) << "a test secret reached a log";
  }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new SecretGrep);

}  // namespace

std::string captured_log() {
  std::lock_guard lock(g_log_mu);
  return g_log;
}

cloud::aws::AwsProviderConfig MotoTest::base_config() const {
  cloud::aws::AwsProviderConfig cfg;
  cfg.env = cloud::aws::fixed_environment({});  // hermetic: no HOME, no AWS_* of the developer
  cfg.options.region = "us-east-1";
  cfg.options.endpoint_url = moto_->endpoint();
  cfg.options.access_key_id = kTestAccessKey;
  cfg.options.secret_access_key = kTestSecret;
  cfg.retry.max_attempts = 2;
  cfg.jitter_seed = 42;
  return cfg;
}

void MotoTest::connect(cloud::aws::AwsProviderConfig cfg) {
  auto p = cloud::aws::make_aws_provider(std::move(cfg));
  ASSERT_TRUE(p) << p.error().describe();
  provider_ = *p;
  auto s = provider_->aws_session({});
  ASSERT_TRUE(s) << s.error().describe();
  session_ = *s;
}

void MotoTest::SetUp() {
  std::string why;
  moto_ = MotoServer::shared(&why);
  if (moto_ == nullptr) {
    if (running_in_ci()) FAIL() << "moto_server unavailable: " << why;
    GTEST_SKIP() << "skipped: moto_server unavailable: " << why;
  }
  ASSERT_TRUE(moto_->reset()) << "moto reset failed";
  connect(base_config());
}

}  // namespace firebreak::testing
