#pragma once
// The `aws` backend of the cloud seam: a CloudProvider whose sessions make real, SigV4-signed
// HTTP calls. Construction resolves configuration and the credential chain the way the AWS SDKs
// do (config.h, credentials.h); calls retry with backoff and pace mutating calls (retry.h).
//
// Cross-account: a session for another account assumes SessionRequest::role_arn, or the
// configured cross-account role (AwsOptions::cross_account_role) in that account, from the
// provider's own credentials, with the SessionRequest's role session name
// (cloud::role_session_name_for(incident)) so firebreak's calls are recognisable in CloudTrail.
//
// Thread-safety: as the seam (session.h): providers and sessions are thread-safe.

#include <map>
#include <memory>
#include <string>

#include "firebreak/cloud/aws/config.h"
#include "firebreak/cloud/aws/credentials.h"
#include "firebreak/cloud/aws/http.h"
#include "firebreak/cloud/aws/retry.h"
#include "firebreak/cloud/session.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud::aws {

struct AwsProviderConfig {
  AwsOptions options;
  Environment env;                           // default: the process environment
  Clock* clock = nullptr;                    // default: real_clock()
  std::shared_ptr<HttpTransport> transport;  // default: make_curl_transport()
  TransportOptions transport_options;        // for the default transport
  RetryPolicy retry;
  int retry_budget = 500;
  std::map<std::string, BucketConfig> pacing;  // per service signing name (see Pacer)
  std::uint64_t jitter_seed = 0;               // 0: from the OS
  // Replaces the credential chain (tests, embedding).
  std::shared_ptr<CredentialProvider> credentials;
  // S3 objects larger than this that arrive through a ByteSource use multipart upload.
  std::uint64_t multipart_threshold = 64ull << 20;
  std::uint64_t multipart_part_size = 16ull
                                      << 20;  // >= 5 MiB; larger when a body needs > 10000 parts
  // Cap on buffered response bodies and XML/JSON nesting of responses.
  std::size_t max_response_bytes = 64u << 20;
  std::size_t max_response_depth = 128;
};

// DynamoDB item access (JSON 1.0), for shared state. Items are in the API's attribute-value
// shape: {"pk": {"S": "x"}, "n": {"N": "1"}}.
class DynamoDb {
 public:
  virtual ~DynamoDb() = default;
  [[nodiscard]] virtual Status put_item(const std::string& table, const Json& item) = 0;
  // nullopt when no item has that key.
  [[nodiscard]] virtual Result<std::optional<Json>> get_item(const std::string& table,
                                                             const Json& key,
                                                             bool consistent_read = true) = 0;
  [[nodiscard]] virtual Status create_table(const std::string& table,
                                            const std::string& hash_key) = 0;
};

class AwsSession : public CloudSession {
 public:
  [[nodiscard]] virtual DynamoDb& dynamodb() = 0;
  // Where the credentials of this session come from (never a secret).
  [[nodiscard]] virtual std::string credential_source() const = 0;
  // The endpoint URL used for a service id ("ec2", "sts", "s3", ...).
  [[nodiscard]] virtual std::string endpoint(std::string_view service_id) const = 0;
};

class AwsProvider : public CloudProvider {
 public:
  [[nodiscard]] virtual const ResolvedConfig& config() const = 0;
  [[nodiscard]] virtual std::string credential_source() const = 0;
  // A session downcast to its AWS type.
  [[nodiscard]] virtual Result<std::shared_ptr<AwsSession>> aws_session(
      const SessionRequest& req) = 0;
};

// Resolves configuration and the credential chain; no network call is made until a session
// needs the caller's account (GetCallerIdentity) or a role.
[[nodiscard]] Result<std::shared_ptr<AwsProvider>> make_aws_provider(AwsProviderConfig config);

// The user agent sent with every call: "firebreak/<version> (aws-client)".
[[nodiscard]] std::string user_agent();

}  // namespace firebreak::cloud::aws
