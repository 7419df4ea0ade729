// The "aws-moto" conformance backend: the aws client (firebreak_cloud_aws) talking to a
// moto_server started on a free loopback port and reset for every test. moto models AWS's API
// state, not its data plane: no connection tracking, no policy evaluation, snapshots complete at
// once (Capabilities say so).
#include <mutex>

#include "backend.h"
#include "firebreak/cloud/aws/provider.h"
#include "moto_server.h"

namespace firebreak::testing {

namespace {

class MotoWorld final : public ConformanceWorld {
 public:
  MotoWorld(MotoServer& moto, std::shared_ptr<cloud::aws::AwsProvider> provider,
            std::shared_ptr<cloud::CloudSession> session)
      : moto_(moto), provider_(std::move(provider)), session_(std::move(session)) {}

  cloud::CloudSession& session() override { return *session_; }
  const Capabilities& capabilities() const override { return caps_; }
  std::string image_id() const override { return "ami-12c6146b"; }
  std::string subnet_id() const override {
    lookup();
    return subnet_;
  }
  std::string vpc_id() const override {
    lookup();
    return vpc_;
  }
  // moto applies changes at once; nothing waits on time.
  void let_time_pass(Duration) override {}

 private:
  void lookup() const {
    std::call_once(once_, [this] {
      std::string out;
      if (moto_.boto3("s = "
                      "c('ec2').describe_subnets(Filters=[{'Name':'default-for-az','Values':['true'"
                      "]}])['Subnets'][0]\n"
                      "print(s['SubnetId'] + ' ' + s['VpcId'])",
                      &out)) {
        const auto sp = out.find(' ');
        subnet_ = out.substr(0, sp);
        vpc_ = sp == std::string::npos ? "" : out.substr(sp + 1);
      }
    });
  }

  MotoServer& moto_;
  std::shared_ptr<cloud::aws::AwsProvider> provider_;
  std::shared_ptr<cloud::CloudSession> session_;
  Capabilities caps_{};
  mutable std::once_flag once_;
  mutable std::string subnet_, vpc_;
};

Result<std::unique_ptr<ConformanceWorld>> make_moto_world() {
  std::string why;
  MotoServer* moto = MotoServer::shared(&why);
  if (moto == nullptr) return fail(ErrorCode::kUnavailable, "moto_server: " + why);
  if (!moto->reset()) return fail(ErrorCode::kUnavailable, "moto_server did not reset");
  cloud::aws::AwsProviderConfig cfg;
  cfg.env = cloud::aws::fixed_environment({});
  cfg.options.region = "us-east-1";
  cfg.options.endpoint_url = moto->endpoint();
  cfg.options.access_key_id = "AKIAFIREBREAKCONFORM";
  cfg.options.secret_access_key = "conformanceSecret/NotARealKey+0123456789";
  cfg.retry.max_attempts = 2;
  FIREBREAK_TRY(auto provider, cloud::aws::make_aws_provider(cfg));
  FIREBREAK_TRY(auto session, provider->session({}));
  return std::unique_ptr<ConformanceWorld>(std::make_unique<MotoWorld>(*moto, provider, session));
}

}  // namespace

FIREBREAK_REGISTER_CONFORMANCE_BACKEND(moto_registration,
                                       ConformanceBackend{"aws-moto", &make_moto_world});

}  // namespace firebreak::testing
