#include "firebreak/cloud/aws/provider.h"

#include <fmt/format.h>

#include "services.h"

namespace firebreak::cloud::aws {

namespace {

using detail::Client;
using detail::Shared;

class SessionImpl final : public AwsSession {
 public:
  SessionImpl(std::shared_ptr<Shared> shared, std::shared_ptr<CredentialProvider> creds,
              std::string account, std::string region,
              const std::vector<std::shared_ptr<CallHook>>& hooks)
      : client_(std::move(shared), std::move(creds), std::move(account), std::move(region)) {
    for (const auto& h : hooks) client_.add_hook(h);
    ec2_ = detail::make_ec2(client_);
    autoscaling_ = detail::make_autoscaling(client_);
    elbv2_ = detail::make_elbv2(client_);
    elb_ = detail::make_elb(client_);
    iam_ = detail::make_iam(client_);
    sts_ = detail::make_sts(client_);
    s3_ = detail::make_s3(client_);
    ssm_ = detail::make_ssm(client_);
    cloudtrail_ = detail::make_cloudtrail(client_);
    guardduty_ = detail::make_guardduty(client_);
    securityhub_ = detail::make_securityhub(client_);
    sns_ = detail::make_sns(client_);
    sqs_ = detail::make_sqs(client_);
    dynamodb_ = detail::make_dynamodb(client_);
  }

  const std::string& account_id() const override { return client_.account(); }
  const std::string& region() const override { return client_.region(); }
  Ec2& ec2() override { return *ec2_; }
  AutoScaling& autoscaling() override { return *autoscaling_; }
  Elbv2& elbv2() override { return *elbv2_; }
  ClassicElb& elb() override { return *elb_; }
  Iam& iam() override { return *iam_; }
  Sts& sts() override { return *sts_; }
  S3& s3() override { return *s3_; }
  Ssm& ssm() override { return *ssm_; }
  CloudTrail& cloudtrail() override { return *cloudtrail_; }
  GuardDuty& guardduty() override { return *guardduty_; }
  SecurityHub& securityhub() override { return *securityhub_; }
  Sns& sns() override { return *sns_; }
  Sqs& sqs() override { return *sqs_; }
  DynamoDb& dynamodb() override { return *dynamodb_; }
  void add_hook(std::shared_ptr<CallHook> hook) override { client_.add_hook(std::move(hook)); }
  std::string credential_source() const override {
    return const_cast<Client&>(client_).credentials().source();
  }
  std::string endpoint(std::string_view service_id) const override {
    static const detail::ServiceSpec* kAll[] = {
        &detail::spec::kEc2,        &detail::spec::kAutoScaling, &detail::spec::kElbv2,
        &detail::spec::kElb,        &detail::spec::kIam,         &detail::spec::kSts,
        &detail::spec::kS3,         &detail::spec::kS3Control,   &detail::spec::kSsm,
        &detail::spec::kCloudTrail, &detail::spec::kGuardDuty,   &detail::spec::kSecurityHub,
        &detail::spec::kSns,        &detail::spec::kSqs,         &detail::spec::kDynamoDb};
    for (const auto* s : kAll)
      if (s->id == service_id) return client_.endpoint(*s).base;
    return {};
  }

 private:
  Client client_;
  std::unique_ptr<Ec2> ec2_;
  std::unique_ptr<AutoScaling> autoscaling_;
  std::unique_ptr<Elbv2> elbv2_;
  std::unique_ptr<ClassicElb> elb_;
  std::unique_ptr<Iam> iam_;
  std::unique_ptr<Sts> sts_;
  std::unique_ptr<S3> s3_;
  std::unique_ptr<Ssm> ssm_;
  std::unique_ptr<CloudTrail> cloudtrail_;
  std::unique_ptr<GuardDuty> guardduty_;
  std::unique_ptr<SecurityHub> securityhub_;
  std::unique_ptr<Sns> sns_;
  std::unique_ptr<Sqs> sqs_;
  std::unique_ptr<DynamoDb> dynamodb_;
};

class ProviderImpl final : public AwsProvider {
 public:
  ProviderImpl(std::shared_ptr<Shared> shared, std::shared_ptr<CredentialProvider> creds,
               AwsOptions options, ChainDeps deps)
      : shared_(std::move(shared)),
        creds_(std::move(creds)),
        options_(std::move(options)),
        deps_(std::move(deps)) {}

  std::string_view backend() const override { return "aws"; }
  const ResolvedConfig& config() const override { return shared_->config; }
  std::string credential_source() const override { return creds_->source(); }

  void add_hook(std::shared_ptr<CallHook> hook) override {
    std::lock_guard lock(mu_);
    hooks_.push_back(std::move(hook));
  }

  Result<std::shared_ptr<CloudSession>> session(const SessionRequest& req) override {
    FIREBREAK_TRY(auto s, aws_session(req));
    return std::shared_ptr<CloudSession>(std::move(s));
  }

  Result<std::string> home_account() {
    {
      std::lock_guard lock(mu_);
      if (!home_account_.empty()) return home_account_;
    }
    Client client(shared_, creds_, "", shared_->config.region);
    FIREBREAK_TRY(auto doc, client.query(detail::spec::kSts, "GetCallerIdentity", {}));
    const std::string account =
        detail::xt(doc->document_element().child("GetCallerIdentityResult"), "Account");
    if (account.empty())
      return fail(ErrorCode::kParse, "sts GetCallerIdentity: no Account in the answer");
    std::lock_guard lock(mu_);
    home_account_ = account;
    return account;
  }

  Result<std::string> role_arn_for(const std::string& account) const {
    const std::string& role = options_.cross_account_role;
    if (role.empty())
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("no cross-account role configured to act in account {} (set the role name "
                      "or ARN template, e.g. FirebreakResponder)",
                      account));
    if (role.starts_with("arn:")) {
      std::string arn = role;
      const auto pos = arn.find("{account}");
      if (pos != std::string::npos) arn.replace(pos, 9, account);
      return arn;
    }
    return fmt::format("arn:aws:iam::{}:role/{}", account, role);
  }

  Result<std::shared_ptr<AwsSession>> aws_session(const SessionRequest& req) override {
    const std::string region = req.region.empty() ? shared_->config.region : req.region;
    std::shared_ptr<CredentialProvider> creds = creds_;
    std::string account = req.account_id;
    std::string role_arn = req.role_arn;
    if (role_arn.empty()) {
      FIREBREAK_TRY(std::string home, home_account());
      if (account.empty()) account = home;
      if (account != home) {
        FIREBREAK_TRY(role_arn, role_arn_for(account));
      }
    }
    if (!role_arn.empty()) {
      AssumeRoleRequest ar;
      ar.role_arn = role_arn;
      ar.role_session_name =
          req.role_session_name.empty() ? role_session_name_for("session") : req.role_session_name;
      ar.duration_seconds = options_.role_duration_seconds;
      ar.external_id = options_.external_id;
      creds = assume_role_credentials(creds_, ar, deps_);
      // Fail now, with the reason, rather than on the first call of a playbook.
      FIREBREAK_TRY(Credentials c, creds->credentials());
      (void)c;
      if (account.empty()) {
        // arn:aws:iam::<account>:role/...
        const auto parts = role_arn.find("::");
        if (parts != std::string::npos)
          account = role_arn.substr(parts + 2, role_arn.find(':', parts + 2) - parts - 2);
      }
    }
    std::vector<std::shared_ptr<CallHook>> hooks;
    {
      std::lock_guard lock(mu_);
      hooks = hooks_;
    }
    return std::shared_ptr<AwsSession>(
        std::make_shared<SessionImpl>(shared_, creds, account, region, hooks));
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<CredentialProvider> creds_;
  AwsOptions options_;
  ChainDeps deps_;
  std::mutex mu_;
  std::vector<std::shared_ptr<CallHook>> hooks_;
  std::string home_account_;
};

}  // namespace

Result<std::shared_ptr<AwsProvider>> make_aws_provider(AwsProviderConfig config) {
  if (!config.env) config.env = process_environment();
  if (config.clock == nullptr) config.clock = &real_clock();
  FIREBREAK_TRY(ResolvedConfig resolved, resolve_config(config.options, config.env));
  auto shared = std::make_shared<Shared>();
  shared->config = std::move(resolved);
  if (!config.transport) {
    TransportOptions to = config.transport_options;
    to.max_response_bytes = config.max_response_bytes;
    if (to.ca_file.empty()) {
      if (auto ca = config.env("AWS_CA_BUNDLE")) to.ca_file = *ca;
    }
    config.transport = make_curl_transport(to);
  }
  shared->transport = config.transport;
  shared->clock = config.clock;
  shared->retry = config.retry;
  if (auto attempts = config.env("AWS_MAX_ATTEMPTS")) {
    try {
      shared->retry.max_attempts = std::max(1, std::stoi(*attempts));
    } catch (...) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("AWS_MAX_ATTEMPTS '{}' is not a number", *attempts));
    }
  }
  shared->budget = std::make_unique<RetryBudget>(config.retry_budget);
  shared->pacer = std::make_unique<Pacer>(*config.clock);
  for (const auto& [svc, bucket] : config.pacing) shared->pacer->configure(svc, bucket);
  shared->rng =
      std::make_unique<IdGenerator>(config.jitter_seed != 0 ? config.jitter_seed : random_seed());
  shared->limits = detail::Limits{config.max_response_bytes, config.max_response_depth};
  shared->multipart_threshold = config.multipart_threshold;
  shared->multipart_part_size = config.multipart_part_size;

  ChainDeps deps;
  deps.env = config.env;
  deps.clock = config.clock;
  const std::string region = shared->config.region;
  std::weak_ptr<Shared> weak = shared;
  deps.assume_role = [weak, region](const Credentials& src,
                                    const AssumeRoleRequest& req) -> Result<AssumedRole> {
    auto sh = weak.lock();
    if (!sh) return fail(ErrorCode::kCancelled, "the AWS provider is gone");
    return detail::assume_role_with(sh, src, region, req);
  };
  std::shared_ptr<CredentialProvider> creds = config.credentials;
  if (!creds) {
    FIREBREAK_TRY(creds, default_credential_chain(config.options, shared->config, deps));
  }
  return std::shared_ptr<AwsProvider>(std::make_shared<ProviderImpl>(
      std::move(shared), std::move(creds), std::move(config.options), std::move(deps)));
}

}  // namespace firebreak::cloud::aws
