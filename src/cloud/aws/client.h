#pragma once
// Private core of the AWS backend: service descriptions, endpoint resolution, the signed and
// retried HTTP call, protocol codecs (ec2/query XML, JSON 1.0/1.1, REST-JSON, REST-XML) and error
// mapping. Service implementations (ec2.cpp, iam.cpp, ...) build on Client.

#include <memory>
#include <mutex>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "firebreak/cloud/aws/credentials.h"
#include "firebreak/cloud/aws/http.h"
#include "firebreak/cloud/aws/retry.h"
#include "firebreak/cloud/operation.h"
#include "firebreak/core/ids.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud::aws::detail {

enum class Protocol { kEc2, kQuery, kJson, kRestJson, kRestXml };

struct ServiceSpec {
  std::string_view id;               // configuration / endpoint id ("elasticloadbalancingv2")
  std::string_view signing_name;     // SigV4 service and OperationInfo::service
  std::string_view endpoint_prefix;  // "<prefix>.<region>.amazonaws.com"
  std::string_view api_version;      // query protocols
  Protocol protocol;
  std::string_view json_version;   // "1.0" / "1.1"
  std::string_view target_prefix;  // X-Amz-Target prefix of JSON protocols
  bool global = false;             // one endpoint for every region (IAM), signed in us-east-1
};

namespace spec {
extern const ServiceSpec kEc2, kAutoScaling, kElbv2, kElb, kIam, kSts, kS3, kS3Control, kSsm,
    kCloudTrail, kGuardDuty, kSecurityHub, kSns, kSqs, kDynamoDb;
}

// Maps an AWS error code (and the HTTP status when the code is unknown) to an ErrorCode.
[[nodiscard]] ErrorCode map_error_code(std::string_view aws_code, int http_status);

struct Limits {
  std::size_t max_bytes = 64u << 20;
  std::size_t max_depth = 128;
};

// Decodes the error of a failed call for any protocol (body and headers). Never fails: an
// unreadable body still yields an Error with the HTTP status.
[[nodiscard]] Error decode_error(Protocol protocol, std::string_view service,
                                 std::string_view operation, const HttpResponse& resp);

// Parses an XML response body with size and depth limits.
[[nodiscard]] Result<std::shared_ptr<pugi::xml_document>> parse_xml(std::string_view body,
                                                                    const Limits& limits);
// Parses a JSON response body (empty body: an empty object).
[[nodiscard]] Result<Json> parse_json_body(std::string_view body, const Limits& limits);

// XML accessors: text of child `name` ("" when absent).
[[nodiscard]] std::string xt(const pugi::xml_node& n, const char* name);
[[nodiscard]] bool xb(const pugi::xml_node& n, const char* name, bool fallback = false);
[[nodiscard]] long long xi(const pugi::xml_node& n, const char* name, long long fallback = 0);
[[nodiscard]] TimePoint xtime(const pugi::xml_node& n, const char* name);
[[nodiscard]] std::optional<TimePoint> xtime_opt(const pugi::xml_node& n, const char* name);
// JSON accessors, tolerant of absent keys and wrong types.
[[nodiscard]] std::string js(const Json& j, std::string_view key);
[[nodiscard]] long long ji(const Json& j, std::string_view key, long long fallback = 0);
[[nodiscard]] bool jb(const Json& j, std::string_view key, bool fallback = false);
// Timestamps in JSON protocols are epoch seconds (numbers) or ISO 8601 strings.
[[nodiscard]] std::optional<TimePoint> jtime(const Json& j, std::string_view key);
[[nodiscard]] const Json& jget(const Json& j, std::string_view key);
// RFC 7231 date ("Wed, 12 Oct 2009 17:50:00 GMT").
[[nodiscard]] std::optional<TimePoint> parse_http_date(std::string_view text);

struct Shared {
  ResolvedConfig config;
  std::shared_ptr<HttpTransport> transport;
  Clock* clock = nullptr;
  RetryPolicy retry;
  std::unique_ptr<RetryBudget> budget;
  std::unique_ptr<Pacer> pacer;
  std::mutex rng_mu;
  std::unique_ptr<IdGenerator> rng;
  Limits limits;
  std::uint64_t multipart_threshold = 64ull << 20;
  std::uint64_t multipart_part_size = 16ull << 20;

  std::uint64_t random_u64();
  std::string client_token();
};

struct Endpoint {
  std::string base;  // "https://host[:port]" plus a base path, no trailing '/'
  std::string signing_region;
  bool custom = false;  // from configuration (enables S3 path-style addressing)
};

struct RawRequest {
  std::string method = "POST";
  std::string path = "/";  // encoded, relative to the endpoint's base path
  QueryList query;
  HeaderList headers;
  std::string body;
  std::string host_prefix;  // virtual-hosted S3: "bucket."
  bool s3_signing = false;
  bool unsigned_payload = false;
};

class Client {
 public:
  Client(std::shared_ptr<Shared> shared, std::shared_ptr<CredentialProvider> credentials,
         std::string account, std::string region);

  [[nodiscard]] const std::string& account() const { return account_; }
  [[nodiscard]] const std::string& region() const { return region_; }
  [[nodiscard]] Shared& shared() { return *shared_; }
  [[nodiscard]] CredentialProvider& credentials() { return *credentials_; }
  [[nodiscard]] HookChain& hooks() { return hooks_; }
  void add_hook(std::shared_ptr<CallHook> hook);

  [[nodiscard]] Endpoint endpoint(const ServiceSpec& s) const;

  // Runs the session's hooks around one typed operation.
  template <class F>
  auto run(const ServiceSpec& s, std::string_view op, F&& fn) -> decltype(fn()) {
    OperationInfo info{s.signing_name, op, !is_read_only_operation(op), account_, region_};
    HookChain chain;
    {
      std::lock_guard lock(hooks_mu_);
      chain = hooks_;
    }
    return chain.run(info, std::forward<F>(fn));
  }

  // One API call: pacing (mutating calls), signing, sending, retrying, error decoding.
  // Non-2xx statuses become Errors; `sink` receives 2xx bodies when given.
  [[nodiscard]] Result<HttpResponse> send(const ServiceSpec& s, std::string_view op, bool mutating,
                                          const RawRequest& raw, const ByteSink* sink = nullptr);

  // Query protocols (ec2 and query): Action/Version plus params, XML answer (root element).
  [[nodiscard]] Result<std::shared_ptr<pugi::xml_document>> query(const ServiceSpec& s,
                                                                  std::string_view action,
                                                                  QueryList params);
  // JSON 1.0/1.1: X-Amz-Target operation with a JSON body.
  [[nodiscard]] Result<Json> json(const ServiceSpec& s, std::string_view op, const Json& body);
  // REST-JSON.
  [[nodiscard]] Result<Json> rest_json(const ServiceSpec& s, std::string_view op,
                                       std::string method, std::string path, QueryList query,
                                       const Json* body);

 private:
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<CredentialProvider> credentials_;
  std::string account_;
  std::string region_;
  std::mutex hooks_mu_;
  HookChain hooks_;
};

// Query-protocol list helpers: "Prefix.member.N" (query) or "Prefix.N" (ec2).
void add_list(QueryList& q, const std::string& prefix, const std::vector<std::string>& values);
// EC2 filters: Filter.N.Name / Filter.N.Value.M.
void add_filters(QueryList& q, const std::vector<Filter>& filters);
// "true"/"false".
[[nodiscard]] inline std::string tf(bool b) { return b ? "true" : "false"; }

}  // namespace firebreak::cloud::aws::detail
