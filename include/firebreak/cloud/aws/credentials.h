#pragma once
// The credential chain, in the official SDKs' order:
//   1. explicit options (AwsOptions access key / secret / token)
//   2. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   3. the profile (AWS_PROFILE / option) in the shared files: static keys; role_arn with
//      source_profile (chained AssumeRole, any depth, cycles refused) or credential_source;
//      credential_process
//   4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (169.254.170.2) or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
//   5. EC2 instance metadata with IMDSv2 session tokens (unless AWS_EC2_METADATA_DISABLED)
// Temporary credentials are refreshed before they expire (refresh_window before expiration).
// Every secret and session token loaded is registered with the redactor (core/redact.h).
//
// Thread-safety: providers are thread-safe; credentials() may be called concurrently.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "firebreak/cloud/aws/config.h"
#include "firebreak/cloud/aws/http.h"
#include "firebreak/cloud/iam.h"
#include "firebreak/core/clock.h"

namespace firebreak::cloud::aws {

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Current credentials; refreshes temporary ones close to expiry.
  [[nodiscard]] virtual Result<Credentials> credentials() = 0;
  // Where they come from, for `whoami` and messages: "explicit", "environment",
  // "profile dev (shared credentials file)", "assume-role arn:... via profile base",
  // "credential_process", "container", "imds". Never a secret.
  [[nodiscard]] virtual std::string source() const = 0;
};

// Calls STS AssumeRole with `source` credentials (wired to the real STS client by the provider;
// tests may substitute).
using AssumeRoleFn =
    std::function<Result<AssumedRole>(const Credentials& source, const AssumeRoleRequest& req)>;

struct ChainDeps {
  Environment env;
  Clock* clock = nullptr;
  std::shared_ptr<HttpTransport> transport;  // for container credentials and IMDS
  AssumeRoleFn assume_role;
  Duration refresh_window = std::chrono::minutes(5);
  std::string imds_endpoint;  // default http://169.254.169.254 (AWS_EC2_METADATA_SERVICE_ENDPOINT)
  // Runs a credential_process command line and returns its standard output (default: /bin/sh -c).
  std::function<Result<std::string>(const std::string& command)> run_process;
};

[[nodiscard]] std::shared_ptr<CredentialProvider> static_credentials(Credentials c,
                                                                     std::string source);

// Wraps a provider of temporary credentials: caches them and calls `fetch` again when they are
// within `refresh_window` of expiring.
[[nodiscard]] std::shared_ptr<CredentialProvider> refreshing_credentials(
    std::function<Result<Credentials>()> fetch, std::string source, Clock& clock,
    Duration refresh_window);

// AssumeRole from `base`'s credentials, refreshed before expiry.
[[nodiscard]] std::shared_ptr<CredentialProvider> assume_role_credentials(
    std::shared_ptr<CredentialProvider> base, AssumeRoleRequest req, const ChainDeps& deps);

// Parses credential_process output ({"Version":1,"AccessKeyId":..,"SecretAccessKey":..,
// "SessionToken":..,"Expiration":..}).
[[nodiscard]] Result<Credentials> parse_process_credentials(std::string_view json);
// Parses container / IMDS credential documents ({"AccessKeyId", "SecretAccessKey", "Token",
// "Expiration"}).
[[nodiscard]] Result<Credentials> parse_metadata_credentials(std::string_view json);

// The chain for `config` and `options` (explicit keys first). Resolution happens here for the
// cheap sources (explicit, env, profile); container and IMDS are tried lazily on first use.
[[nodiscard]] Result<std::shared_ptr<CredentialProvider>> default_credential_chain(
    const AwsOptions& options, const ResolvedConfig& config, const ChainDeps& deps);

// Runs `command` with /bin/sh -c and returns its stdout (bounded to 1 MiB; non-zero exit is an
// error that does not include the output).
[[nodiscard]] Result<std::string> run_credential_process(const std::string& command);

}  // namespace firebreak::cloud::aws
