#include "client.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "firebreak/cloud/aws/provider.h"
#include "firebreak/core/hash.h"
#include "firebreak/core/log.h"

namespace firebreak::cloud::aws {

std::string user_agent() {
  return fmt::format("{}{} (aws-client; +sigv4)", kUserAgentPrefix, FIREBREAK_VERSION);
}

}  // namespace firebreak::cloud::aws

namespace firebreak::cloud::aws::detail {

namespace spec {
const ServiceSpec kEc2{"ec2", "ec2", "ec2", "2016-11-15", Protocol::kEc2, "", ""};
const ServiceSpec kAutoScaling{
    "autoscaling", "autoscaling", "autoscaling", "2011-01-01", Protocol::kQuery, "", ""};
const ServiceSpec kElbv2{"elasticloadbalancingv2",
                         "elasticloadbalancing",
                         "elasticloadbalancing",
                         "2015-12-01",
                         Protocol::kQuery,
                         "",
                         ""};
const ServiceSpec kElb{"elasticloadbalancing",
                       "elasticloadbalancing",
                       "elasticloadbalancing",
                       "2012-06-01",
                       Protocol::kQuery,
                       "",
                       ""};
const ServiceSpec kIam{"iam", "iam", "iam", "2010-05-08", Protocol::kQuery, "", "", true};
const ServiceSpec kSts{"sts", "sts", "sts", "2011-06-15", Protocol::kQuery, "", ""};
const ServiceSpec kS3{"s3", "s3", "s3", "2006-03-01", Protocol::kRestXml, "", ""};
const ServiceSpec kS3Control{"s3control", "s3", "s3-control", "2018-08-20", Protocol::kRestXml,
                             "",          ""};
const ServiceSpec kSsm{"ssm", "ssm", "ssm", "2014-11-06", Protocol::kJson, "1.1", "AmazonSSM"};
const ServiceSpec kCloudTrail{"cloudtrail",
                              "cloudtrail",
                              "cloudtrail",
                              "2013-11-01",
                              Protocol::kJson,
                              "1.1",
                              "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"};
const ServiceSpec kGuardDuty{"guardduty",         "guardduty", "guardduty", "2017-11-28",
                             Protocol::kRestJson, "",          ""};
const ServiceSpec kSecurityHub{
    "securityhub", "securityhub", "securityhub", "2018-10-26", Protocol::kRestJson, "", ""};
const ServiceSpec kSns{"sns", "sns", "sns", "2010-03-31", Protocol::kQuery, "", ""};
const ServiceSpec kSqs{"sqs", "sqs", "sqs", "2012-11-05", Protocol::kJson, "1.0", "AmazonSQS"};
const ServiceSpec kDynamoDb{"dynamodb",      "dynamodb", "dynamodb",         "2012-08-10",
                            Protocol::kJson, "1.0",      "DynamoDB_20120810"};
}  // namespace spec

namespace {

bool ends_with(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) {
  for (auto x : set)
    if (s == x) return true;
  return false;
}

// Cheap nesting pre-check for XML: counts open elements outside comments/CDATA/PIs.
std::size_t xml_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, max_depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '<' || i + 1 >= text.size()) continue;
    const char c = text[i + 1];
    if (c == '/') {
      if (depth) --depth;
    } else if (c == '!' || c == '?') {
      continue;
    } else {
      const auto close = text.find('>', i);
      if (close == std::string_view::npos) break;
      if (text[close - 1] != '/') {
        if (++depth > max_depth) max_depth = depth;
        if (max_depth > limit) return max_depth;
      }
      i = close;
    }
  }
  return max_depth;
}

std::string body_excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
  }
  return out;
}

}  // namespace

ErrorCode map_error_code(std::string_view c, int status) {
  static constexpr std::array<std::string_view, 16> kThrottle = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException_Throttle",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "EC2ThrottledException",
      "ThrottlingError",
      "Throttled"};
  static constexpr std::array<std::string_view, 15> kDenied = {"AccessDenied",
                                                               "AccessDeniedException",
                                                               "UnauthorizedOperation",
                                                               "UnrecognizedClientException",
                                                               "InvalidClientTokenId",
                                                               "SignatureDoesNotMatch",
                                                               "AuthFailure",
                                                               "ExpiredToken",
                                                               "ExpiredTokenException",
                                                               "InvalidAccessKeyId",
                                                               "Forbidden",
                                                               "MissingAuthenticationToken",
                                                               "IncompleteSignature",
                                                               "UnauthorizedAccess",
                                                               "OptInRequired"};
  static constexpr std::array<std::string_view, 22> kNotFound = {
      "NoSuchEntity",
      "NoSuchBucket",
      "NoSuchKey",
      "NoSuchVersion",
      "NoSuchBucketPolicy",
      "NoSuchPublicAccessBlockConfiguration",
      "OwnershipControlsNotFoundError",
      "ObjectLockConfigurationNotFoundError",
      "NoSuchObjectLockConfiguration",
      "ResourceNotFoundException",
      "TrailNotFoundException",
      "InvocationDoesNotExist",
      "NotFound",
      "NotFoundException",
      "TargetGroupNotFound",
      "LoadBalancerNotFound",
      "AccessPointNotFound",
      "AWS.SimpleQueueService.NonExistentQueue",
      "QueueDoesNotExist",
      "NoSuchTagSet",
      "InvalidInstanceId",
      "NoSuchConfiguration"};
  static constexpr std::array<std::string_view, 12> kExists = {
      "EntityAlreadyExists",         "BucketAlreadyExists",
      "BucketAlreadyOwnedByYou",     "AlreadyExists",
      "AlreadyExistsException",      "ResourceAlreadyExistsException",
      "TrailAlreadyExistsException", "QueueAlreadyExists",
      "DuplicateTargetGroupName",    "DuplicateLoadBalancerName",
      "InvalidKeyPair.Duplicate",    "AlreadyExistsFault"};
  static constexpr std::array<std::string_view, 12> kPrecondition = {"OperationNotPermitted",
                                                                     "IncorrectState",
                                                                     "IncorrectInstanceState",
                                                                     "DependencyViolation",
                                                                     "ScalingActivityInProgress",
                                                                     "InvalidObjectState",
                                                                     "ResourceInUse",
                                                                     "DeleteConflict",
                                                                     "ResourceContention",
                                                                     "ConflictException",
                                                                     "ObjectLocked",
                                                                     "InvalidBucketState"};
  static constexpr std::array<std::string_view, 10> kUnavailable = {
      "ServiceUnavailable", "ServiceUnavailableException", "InternalError",
      "InternalFailure",    "InternalServerError",         "InternalServiceError",
      "Unavailable",        "InternalException",           "InternalServerException",
      "ServiceFailure"};
  static constexpr std::array<std::string_view, 13> kInvalid = {"ValidationError",
                                                                "ValidationException",
                                                                "MalformedPolicyDocument",
                                                                "InvalidInput",
                                                                "MissingParameter",
                                                                "InvalidArgument",
                                                                "InvalidRequest",
                                                                "MalformedXML",
                                                                "BadRequestException",
                                                                "InvalidParameterValueException",
                                                                "InvalidParameterException",
                                                                "InvalidParameterCombination",
                                                                "UnknownOperationException"};
  if (c.empty()) {
    if (status == 403) return ErrorCode::kPermissionDenied;
    if (status == 404) return ErrorCode::kNotFound;
    if (status == 429) return ErrorCode::kThrottled;
    if (status == 408) return ErrorCode::kTimeout;
    if (status >= 500) return ErrorCode::kUnavailable;
    if (status == 409) return ErrorCode::kFailedPrecondition;
    return ErrorCode::kAws;
  }
  if (one_of(c, kThrottle)) return ErrorCode::kThrottled;
  if (one_of(c, kDenied)) return ErrorCode::kPermissionDenied;
  if (one_of(c, kNotFound) || ends_with(c, ".NotFound") || ends_with(c, "NotFoundException") ||
      ends_with(c, "NotFound"))
    return ErrorCode::kNotFound;
  if (one_of(c, kExists) || ends_with(c, ".Duplicate") || ends_with(c, "AlreadyExists") ||
      ends_with(c, "AlreadyExistsException"))
    return ErrorCode::kAlreadyExists;
  if (one_of(c, kPrecondition) || c.starts_with("IncorrectState") ||
      c.starts_with("InvalidState") || ends_with(c, ".InUse") || ends_with(c, "InUse"))
    return ErrorCode::kFailedPrecondition;
  if (one_of(c, kUnavailable)) return ErrorCode::kUnavailable;
  if (c == "RequestTimeout" || c == "RequestTimeoutException") return ErrorCode::kTimeout;
  if (one_of(c, kInvalid) || c.starts_with("InvalidParameter") || ends_with(c, ".Malformed") ||
      c.starts_with("Malformed") || c == "InvalidAction")
    return ErrorCode::kInvalidArgument;
  if (status >= 500) return ErrorCode::kUnavailable;
  if (status == 429) return ErrorCode::kThrottled;
  return ErrorCode::kAws;
}

Result<std::shared_ptr<pugi::xml_document>> parse_xml(std::string_view body, const Limits& limits) {
  if (body.size() > limits.max_bytes)
    return fail(ErrorCode::kLimitExceeded, fmt::format("XML response of {} bytes exceeds {} bytes",
                                                       body.size(), limits.max_bytes));
  if (xml_depth(body, limits.max_depth) > limits.max_depth)
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("XML response nests deeper than {}", limits.max_depth));
  auto doc = std::make_shared<pugi::xml_document>();
  const pugi::xml_parse_result r =
      doc->load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r)
    return fail(ErrorCode::kParse,
                fmt::format("malformed XML response at byte {}: {}", r.offset, r.description()));
  if (!doc->document_element()) return fail(ErrorCode::kParse, "XML response has no root element");
  return doc;
}

Result<Json> parse_json_body(std::string_view body, const Limits& limits) {
  std::size_t start = 0;
  while (start < body.size() &&
         (body[start] == ' ' || body[start] == '\n' || body[start] == '\r' || body[start] == '\t'))
    ++start;
  if (start == body.size()) return Json::object();
  FIREBREAK_TRY(Json j, parse_json(body, JsonLimits{limits.max_bytes, limits.max_depth}));
  if (!j.is_object()) return fail(ErrorCode::kParse, "JSON response is not an object");
  return j;
}

std::string xt(const pugi::xml_node& n, const char* name) {
  return n.child(name).text().as_string();
}
bool xb(const pugi::xml_node& n, const char* name, bool fallback) {
  const pugi::xml_node c = n.child(name);
  if (!c) return fallback;
  const std::string_view v = c.text().as_string();
  return v == "true" || v == "True" || v == "1";
}
long long xi(const pugi::xml_node& n, const char* name, long long fallback) {
  const pugi::xml_node c = n.child(name);
  if (!c) return fallback;
  return c.text().as_llong(fallback);
}
std::optional<TimePoint> xtime_opt(const pugi::xml_node& n, const char* name) {
  const pugi::xml_node c = n.child(name);
  if (!c) return std::nullopt;
  return parse_iso8601(c.text().as_string());
}
TimePoint xtime(const pugi::xml_node& n, const char* name) {
  return xtime_opt(n, name).value_or(TimePoint{});
}

const Json& jget(const Json& j, std::string_view key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
std::string js(const Json& j, std::string_view key) {
  const Json& v = jget(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return {};
}
long long ji(const Json& j, std::string_view key, long long fallback) {
  const Json& v = jget(j, key);
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float()) return static_cast<long long>(v.get<double>());
  if (v.is_string()) {
    try {
      return std::stoll(v.get<std::string>());
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}
bool jb(const Json& j, std::string_view key, bool fallback) {
  const Json& v = jget(j, key);
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return v.get<std::string>() == "true";
  return fallback;
}
std::optional<TimePoint> jtime(const Json& j, std::string_view key) {
  const Json& v = jget(j, key);
  if (v.is_number()) {
    const double secs = v.get<double>();
    if (!(secs > -1e11 && secs < 1e11)) return std::nullopt;
    return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(secs)));
  }
  if (v.is_string()) return parse_iso8601(v.get<std::string>());
  return std::nullopt;
}

std::optional<TimePoint> parse_http_date(std::string_view t) {
  // "Wed, 12 Oct 2009 17:50:00 GMT"
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto comma = t.find(", ");
  if (comma == std::string_view::npos) return parse_iso8601(t);
  t.remove_prefix(comma + 2);
  if (t.size() < 20) return std::nullopt;
  const std::string_view day = t.substr(0, 2), mon = t.substr(3, 3), year = t.substr(7, 4),
                         clock = t.substr(12, 8);
  int m = 0;
  for (; m < 12; ++m)
    if (kMonths[static_cast<std::size_t>(m)] == mon) break;
  if (m == 12) return std::nullopt;
  return parse_iso8601(fmt::format("{}-{:02}-{}T{}Z", year, m + 1, day, clock));
}

Error decode_error(Protocol protocol, std::string_view service, std::string_view operation,
                   const HttpResponse& resp) {
  std::string code, message, request_id;
  request_id = resp.header("x-amzn-RequestId");
  if (request_id.empty()) request_id = resp.header("x-amz-request-id");
  if (request_id.empty()) request_id = resp.header("x-amzn-requestid");
  const Limits limits{1u << 20, 64};
  switch (protocol) {
    case Protocol::kEc2:
    case Protocol::kQuery:
    case Protocol::kRestXml: {
      auto doc = parse_xml(resp.body, limits);
      if (doc) {
        pugi::xml_node root = (*doc)->document_element();
        pugi::xml_node err = root;
        if (std::string_view(root.name()) == "Response") {
          err = root.child("Errors").child("Error");
          if (request_id.empty()) request_id = xt(root, "RequestID");
        } else if (std::string_view(root.name()) == "ErrorResponse") {
          err = root.child("Error");
          if (request_id.empty()) request_id = xt(root, "RequestId");
        }
        code = xt(err, "Code");
        message = xt(err, "Message");
        if (request_id.empty()) request_id = xt(err, "RequestId");
      }
      break;
    }
    case Protocol::kJson:
    case Protocol::kRestJson: {
      // awsQueryCompatible services (SQS) name the query-era code in this header.
      const std::string query_error = resp.header("x-amzn-query-error");
      std::string type = resp.header("x-amzn-ErrorType");
      auto j = parse_json_body(resp.body, limits);
      if (j) {
        if (type.empty()) type = js(*j, "__type");
        if (type.empty()) type = js(*j, "code");
        if (type.empty()) type = js(*j, "Code");
        message = js(*j, "message");
        if (message.empty()) message = js(*j, "Message");
        if (message.empty()) message = js(*j, "errorMessage");
      }
      // "aws.protocoltests#FooError:http://..." -> "FooError"
      if (auto colon = type.find(':'); colon != std::string::npos) type.resize(colon);
      if (auto hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
      code = type;
      if (!query_error.empty()) code = query_error.substr(0, query_error.find(';'));
      break;
    }
  }
  if (code.empty() && resp.status == 404) code = protocol == Protocol::kRestXml ? "NotFound" : "";
  if (message.empty())
    message = resp.body.empty() ? fmt::format("HTTP {}", resp.status)
                                : fmt::format("HTTP {}: {}", resp.status, body_excerpt(resp.body));
  ErrorContext ctx;
  ctx.where = fmt::format("{}:{}", service, operation);
  ctx.aws_code = code;
  ctx.request_id = request_id;
  ctx.http_status = resp.status;
  return Error(
      map_error_code(code, resp.status),
      fmt::format("{} {}: {}{}", service, operation, code.empty() ? "" : code + ": ", message),
      std::move(ctx));
}

std::uint64_t Shared::random_u64() {
  std::lock_guard lock(rng_mu);
  return rng->next_u64();
}

std::string Shared::client_token() {
  std::lock_guard lock(rng_mu);
  return "firebreak-" + rng->uuid();
}

Client::Client(std::shared_ptr<Shared> shared, std::shared_ptr<CredentialProvider> credentials,
               std::string account, std::string region)
    : shared_(std::move(shared)),
      credentials_(std::move(credentials)),
      account_(std::move(account)),
      region_(std::move(region)) {}

void Client::add_hook(std::shared_ptr<CallHook> hook) {
  std::lock_guard lock(hooks_mu_);
  hooks_.add(std::move(hook));
}

Endpoint Client::endpoint(const ServiceSpec& s) const {
  Endpoint e;
  e.signing_region = s.global ? "us-east-1" : region_;
  std::string custom = configured_endpoint(shared_->config, s.id);
  if (!custom.empty()) {
    while (!custom.empty() && custom.back() == '/') custom.pop_back();
    e.base = custom;
    e.custom = true;
    return e;
  }
  const std::string_view suffix = region_.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  if (s.global) {
    e.base = fmt::format("https://{}.{}", s.endpoint_prefix, suffix);
  } else {
    e.base = fmt::format("https://{}.{}.{}", s.endpoint_prefix, region_, suffix);
  }
  return e;
}

Result<HttpResponse> Client::send(const ServiceSpec& s, std::string_view op, bool mutating,
                                  const RawRequest& raw, const ByteSink* sink) {
  Shared& sh = *shared_;
  const Endpoint ep = endpoint(s);
  // Split "scheme://host[:port][/base]" to insert a virtual-host prefix and the base path.
  const auto scheme_end = ep.base.find("://");
  const std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto path_start = ep.base.find('/', host_start);
  std::string host = ep.base.substr(
      host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  const std::string base_path = path_start == std::string::npos ? "" : ep.base.substr(path_start);
  const std::string scheme =
      scheme_end == std::string::npos ? "https" : ep.base.substr(0, scheme_end);
  host = raw.host_prefix + host;
  const std::string path = base_path + raw.path;
  const std::string payload_hash =
      raw.unsigned_payload ? std::string(kUnsignedPayload) : sha256_hex(raw.body);

  Error last(ErrorCode::kInternal, "no attempt made");
  for (int attempt = 1; attempt <= std::max(1, sh.retry.max_attempts); ++attempt) {
    if (mutating && sh.pacer) sh.pacer->acquire(account_, region_, s.signing_name);
    auto creds = credentials_->credentials();
    if (!creds)
      return fail(creds.error().wrap(fmt::format("{} {}: credentials", s.signing_name, op)));

    SignableRequest sr;
    sr.method = raw.method;
    sr.path = path.empty() ? "/" : path;
    sr.query = raw.query;
    sr.headers = raw.headers;
    sr.headers.emplace_back("Host", host);
    sr.payload_hash = payload_hash;
    SigningParams sp;
    sp.credentials = *creds;
    sp.region = ep.signing_region;
    sp.service = std::string(s.signing_name);
    sp.time = sh.clock->now();
    sp.normalize_path = !raw.s3_signing;
    sp.double_encode_path = !raw.s3_signing;
    sp.add_content_sha256_header = raw.s3_signing;
    const SigningResult signed_req = sign_headers(sr, sp);

    HttpRequest req;
    req.method = raw.method;
    req.url = fmt::format("{}://{}{}", scheme, host, sr.path);
    if (!raw.query.empty()) req.url += "?" + encode_query(raw.query);
    req.headers = sr.headers;
    for (const auto& h : signed_req.added_headers) req.headers.push_back(h);
    req.headers.emplace_back("User-Agent", user_agent());
    req.headers.emplace_back("amz-sdk-request",
                             fmt::format("attempt={}; max={}", attempt, sh.retry.max_attempts));
    req.body = raw.body;

    auto resp = sh.transport->send(req, sink);
    Error err(ErrorCode::kInternal, "");
    if (resp && resp->status >= 200 && resp->status < 300) {
      if (sh.budget) sh.budget->on_success();
      return resp;
    }
    if (resp) {
      err = decode_error(s.protocol, s.signing_name, op, *resp);
    } else {
      err = resp.error().wrap(fmt::format("{} {}", s.signing_name, op));
      if (err.context().where.empty()) err = err.at(fmt::format("{}:{}", s.signing_name, op));
    }
    last = err;
    // Part of a streamed body may already have reached the sink: it cannot be replayed.
    if (sink != nullptr && !resp) break;
    if (!is_retryable(err) || attempt >= sh.retry.max_attempts) break;
    if (sh.budget && !sh.budget->acquire(err)) {
      log::warn("{} {}: retry budget exhausted; not retrying: {}", s.signing_name, op,
                err.describe());
      break;
    }
    Duration delay;
    {
      std::lock_guard lock(sh.rng_mu);
      delay = backoff_delay(sh.retry, attempt, err, *sh.rng);
    }
    log::debug("{} {}: attempt {} failed ({}); retrying in {}", s.signing_name, op, attempt,
               err.describe(), format_duration(delay));
    sh.clock->sleep_for(delay);
  }
  return fail(std::move(last));
}

Result<std::shared_ptr<pugi::xml_document>> Client::query(const ServiceSpec& s,
                                                          std::string_view action,
                                                          QueryList params) {
  RawRequest raw;
  raw.method = "POST";
  raw.path = "/";
  QueryList form;
  form.reserve(params.size() + 2);
  form.emplace_back("Action", std::string(action));
  form.emplace_back("Version", std::string(s.api_version));
  for (auto& p : params) form.push_back(std::move(p));
  raw.body = encode_query(form);
  raw.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  FIREBREAK_TRY(HttpResponse resp, send(s, action, !is_read_only_operation(action), raw));
  auto doc = parse_xml(resp.body, shared_->limits);
  if (!doc) return fail(doc.error().wrap(fmt::format("{} {}", s.signing_name, action)));
  return doc;
}

Result<Json> Client::json(const ServiceSpec& s, std::string_view op, const Json& body) {
  RawRequest raw;
  raw.method = "POST";
  raw.path = "/";
  raw.body = dump_json(body.is_null() ? Json::object() : body);
  raw.headers.emplace_back("Content-Type",
                           fmt::format("application/x-amz-json-{}", s.json_version));
  raw.headers.emplace_back("X-Amz-Target", fmt::format("{}.{}", s.target_prefix, op));
  FIREBREAK_TRY(HttpResponse resp, send(s, op, !is_read_only_operation(op), raw));
  auto j = parse_json_body(resp.body, shared_->limits);
  if (!j) return fail(j.error().wrap(fmt::format("{} {}", s.signing_name, op)));
  return j;
}

Result<Json> Client::rest_json(const ServiceSpec& s, std::string_view op, std::string method,
                               std::string path, QueryList query, const Json* body) {
  RawRequest raw;
  raw.method = std::move(method);
  raw.path = std::move(path);
  raw.query = std::move(query);
  if (body != nullptr) {
    raw.body = dump_json(*body);
    raw.headers.emplace_back("Content-Type", "application/json");
  }
  FIREBREAK_TRY(HttpResponse resp, send(s, op, !is_read_only_operation(op), raw));
  auto j = parse_json_body(resp.body, shared_->limits);
  if (!j) return fail(j.error().wrap(fmt::format("{} {}", s.signing_name, op)));
  return j;
}

void add_list(QueryList& q, const std::string& prefix, const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    q.emplace_back(fmt::format("{}.{}", prefix, i + 1), values[i]);
}

void add_filters(QueryList& q, const std::vector<Filter>& filters) {
  for (std::size_t i = 0; i < filters.size(); ++i) {
    q.emplace_back(fmt::format("Filter.{}.Name", i + 1), filters[i].name);
    for (std::size_t k = 0; k < filters[i].values.size(); ++k)
      q.emplace_back(fmt::format("Filter.{}.Value.{}", i + 1, k + 1), filters[i].values[k]);
  }
}

}  // namespace firebreak::cloud::aws::detail
