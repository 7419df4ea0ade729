#include "aws_options.h"

namespace firebreak::cli {

void add_aws_options(CLI::App& cmd, AwsCliOptions& o) {
  cmd.add_option("--profile", o.profile,
                 "Named profile from ~/.aws/config and ~/.aws/credentials (AWS_PROFILE)");
  cmd.add_option("--region", o.region,
                 "AWS region (AWS_REGION, AWS_DEFAULT_REGION, the profile's region)");
  cmd.add_option(
      "--endpoint-url", o.endpoint_url,
      "Endpoint for every service (AWS_ENDPOINT_URL; per service: AWS_ENDPOINT_URL_<SERVICE>)");
  cmd.add_option("--cross-account-role", o.cross_account_role,
                 "Role assumed in other accounts: a name (FirebreakResponder) or an ARN template "
                 "with {account}");
}

Result<std::shared_ptr<cloud::aws::AwsProvider>> make_aws_provider(const AwsCliOptions& o) {
  cloud::aws::AwsProviderConfig cfg;
  cfg.options.profile = o.profile;
  cfg.options.region = o.region;
  cfg.options.endpoint_url = o.endpoint_url;
  cfg.options.cross_account_role = o.cross_account_role;
  return cloud::aws::make_aws_provider(std::move(cfg));
}

}  // namespace firebreak::cli
