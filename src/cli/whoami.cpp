// firebreak whoami: who firebreak acts as on AWS (GetCallerIdentity), where (region, endpoint)
// and with which credentials (their source, never a secret).
#include <fmt/format.h>

#include <iostream>

#include "aws_options.h"
#include "command.h"
#include "firebreak/core/json.h"

namespace firebreak::cli {

void add_whoami_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("whoami",
                                 "Show the AWS identity firebreak acts as: account, ARN, region, "
                                 "endpoint and where the credentials come from");
  auto opts = std::make_shared<AwsCliOptions>();
  auto json = std::make_shared<bool>(false);
  add_aws_options(*cmd, *opts);
  cmd->add_flag("--json", *json, "One JSON object instead of a table");
  cmd->callback([&ctx, opts, json] {
    auto provider = make_aws_provider(*opts);
    if (!provider) {
      std::cerr << "firebreak whoami: " << provider.error().describe() << "\n";
      ctx.exit_code =
          provider.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
      return;
    }
    auto session = (*provider)->aws_session({});
    if (!session) {
      std::cerr << "firebreak whoami: " << session.error().describe() << "\n";
      ctx.exit_code = kExitFailure;
      return;
    }
    auto id = (*session)->sts().get_caller_identity();
    if (!id) {
      std::cerr << "firebreak whoami: " << id.error().describe() << "\n";
      ctx.exit_code = kExitFailure;
      return;
    }
    const auto& cfg = (*provider)->config();
    const std::string endpoint = (*session)->endpoint("sts");
    const std::string source = (*session)->credential_source();
    if (*json) {
      std::string out;
      JsonWriter w(out);
      w.begin_object()
          .field("account", id->account)
          .field("arn", id->arn)
          .field("user_id", id->user_id)
          .field("region", cfg.region)
          .field("region_source", cfg.region_source)
          .field("profile", cfg.profile)
          .field("endpoint", endpoint)
          .field("credential_source", source)
          .end_object();
      fmt::print("{}\n", out);
    } else {
      fmt::print("{:<18}{}\n", "account", id->account);
      fmt::print("{:<18}{}\n", "arn", id->arn);
      fmt::print("{:<18}{}\n", "user id", id->user_id);
      fmt::print("{:<18}{} ({})\n", "region", cfg.region, cfg.region_source);
      fmt::print("{:<18}{}\n", "profile", cfg.profile);
      fmt::print("{:<18}{}\n", "endpoint", endpoint);
      fmt::print("{:<18}{}\n", "credentials", source);
    }
    ctx.exit_code = kExitOk;
  });
}

}  // namespace firebreak::cli
