#pragma once
// Configuration the way AWS users already have it: explicit options, then environment variables,
// then the shared files (~/.aws/config, ~/.aws/credentials, AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE) under the profile AWS_PROFILE names. Covers region resolution,
// endpoint overrides (global and per service, as the SDKs do: AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_<SERVICE>, the profile's endpoint_url and its `services` section) and the
// settings of the credential chain (credentials.h).
//
// The environment is read through an Environment function so that tests are hermetic.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"

namespace firebreak::cloud::aws {

// getenv(name); nullopt when unset. empty values count as unset, as the SDKs treat them.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
[[nodiscard]] Environment process_environment();
// An environment made of the given variables only (tests).
[[nodiscard]] Environment fixed_environment(std::map<std::string, std::string> vars);

// One profile: its settings (lower-case keys) and nested sub-sections ("s3.addressing_style").
struct Profile {
  std::string name;
  std::map<std::string, std::string, std::less<>> values;
  [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
};

// The merged shared files: config's [profile x]/[default] sections and credentials' [x]
// sections (the credentials file wins on conflicts, as in the SDKs); [services x] sections kept
// apart for endpoint_url per service.
struct SharedConfig {
  std::map<std::string, Profile, std::less<>> profiles;
  std::map<std::string, Profile, std::less<>> services;
  std::string config_path;  // the files that were read (for messages and whoami)
  std::string credentials_path;
  [[nodiscard]] const Profile* profile(std::string_view name) const;
};

// Parses one INI file of the AWS shape; `credentials_file` selects the section naming rules.
// Size-limited (1 MiB); errors name file:line.
[[nodiscard]] Status parse_shared_file(std::string_view text, std::string_view path,
                                       bool credentials_file, SharedConfig& into);
// Loads both files as the environment names them (missing files are fine).
[[nodiscard]] Result<SharedConfig> load_shared_config(const Environment& env);

// What the user said explicitly (command line, firebreak configuration). Empty: not given.
struct AwsOptions {
  std::string profile;
  std::string region;
  std::string endpoint_url;  // applies to every service without its own override
  std::map<std::string, std::string> service_endpoints;  // service id ("ec2", "s3") -> URL
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // Cross-account: the role assumed in each target account, by name ("FirebreakResponder") or
  // ARN template with "{account}" ("arn:aws:iam::{account}:role/FirebreakResponder").
  std::string cross_account_role;
  // The account the credentials belong to, when known: sessions for it then skip the
  // GetCallerIdentity lookup.
  std::string account_id;
  std::string external_id;
  int role_duration_seconds = 3600;
  std::optional<bool> s3_path_style;  // default: path style exactly when an endpoint is custom
};

// The resolved settings.
struct ResolvedConfig {
  std::string profile;        // "default" unless chosen
  std::string region;         // never empty after resolve (error otherwise)
  std::string region_source;  // "option", "AWS_REGION", "AWS_DEFAULT_REGION", "profile x"
  std::string endpoint_url;   // global override ("" = AWS's own endpoints)
  std::map<std::string, std::string> service_endpoints;  // service id -> URL
  bool ignore_configured_endpoints = false;
  std::optional<bool> s3_path_style;
  SharedConfig shared;
};

// Resolves region and endpoints. Fails when no region can be found (kInvalidArgument, saying
// where it was looked for) or the named profile does not exist.
[[nodiscard]] Result<ResolvedConfig> resolve_config(const AwsOptions& options,
                                                    const Environment& env);

// The endpoint for `service_id` ("ec2", "s3", "sts", "iam", "autoscaling",
// "elasticloadbalancing", "elasticloadbalancingv2", "ssm", "cloudtrail", "guardduty",
// "securityhub", "sns", "sqs", "dynamodb", "s3control"): a per-service override, the global one,
// or empty (use AWS's default endpoint).
[[nodiscard]] std::string configured_endpoint(const ResolvedConfig& config,
                                              std::string_view service_id);

// The AWS_ENDPOINT_URL_<X> suffix the SDKs use for a service id ("elasticloadbalancingv2" ->
// "ELASTIC_LOAD_BALANCING_V2").
[[nodiscard]] std::string endpoint_env_suffix(std::string_view service_id);

}  // namespace firebreak::cloud::aws
