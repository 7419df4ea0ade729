#pragma once
// Private to the CLI: the AWS options every command that talks to AWS accepts, named as the AWS
// CLI names them, and the provider built from them (the rest comes from the environment and
// ~/.aws as the SDKs read it).

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "firebreak/cloud/aws/provider.h"

namespace firebreak::cli {

struct AwsCliOptions {
  std::string profile;
  std::string region;
  std::string endpoint_url;
  std::string cross_account_role;
};

// Adds --profile, --region, --endpoint-url and --cross-account-role to `cmd`.
void add_aws_options(CLI::App& cmd, AwsCliOptions& o);

// Resolves configuration and credentials (no network call yet).
[[nodiscard]] Result<std::shared_ptr<cloud::aws::AwsProvider>> make_aws_provider(
    const AwsCliOptions& o);

}  // namespace firebreak::cli
