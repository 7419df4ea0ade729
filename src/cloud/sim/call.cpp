#include "call.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <mutex>

namespace firebreak::cloud::sim {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view event_source_for(std::string_view service) {
  if (service == "elasticloadbalancing") return "elasticloadbalancing.amazonaws.com";
  return {};
}

// Services whose access-denied error is spelled AccessDeniedException (JSON protocols).
bool json_protocol(std::string_view service) {
  return service == "ssm" || service == "cloudtrail" || service == "guardduty" ||
         service == "securityhub";
}

}  // namespace

const OpDesc& op_desc(std::string_view service, std::string_view name, bool data_event) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<OpDesc>, std::less<>> cache;
  std::string key = fmt::format("{}:{}", service, name);
  std::lock_guard lock(mu);
  if (auto it = cache.find(key); it != cache.end()) return *it->second;
  auto d = std::make_unique<OpDesc>();
  d->service = std::string(service);
  d->name = std::string(name);
  auto src = event_source_for(service);
  d->event_source = src.empty() ? fmt::format("{}.amazonaws.com", service) : std::string(src);
  d->action = lower(key);
  d->read_only = is_read_only_operation(name);
  d->data_event = data_event;
  d->global = service == "iam" || service == "sts";
  auto& ref = *d;
  cache.emplace(std::move(key), std::move(d));
  return ref;
}

Call::Call(World::State& st, const Caller& c, std::uint16_t sc, const OpDesc& o)
    : s(st), caller(c), scope(sc), op(o), recipient(st.scopes[sc].account) {
  request_id = s.uuid();
  region = op.global ? std::string("us-east-1") : s.scopes[sc].region;
}

std::vector<ContextValue> caller_context(const World::State& s, const Caller& c,
                                         std::string_view region) {
  std::vector<ContextValue> keys;
  keys.reserve(14);
  const TimePoint now = s.now();
  keys.push_back({"aws:currenttime", {format_iso8601(now)}});
  keys.push_back({"aws:epochtime", {std::to_string(to_unix_seconds(now))}});
  keys.push_back({"aws:requestedregion", {std::string(region)}});
  keys.push_back({"aws:securetransport", {"true"}});
  keys.push_back({"aws:viaawsservice", {"false"}});
  if (!c.source_ip.empty()) keys.push_back({"aws:sourceip", {c.source_ip}});
  if (!c.user_agent.empty()) keys.push_back({"aws:useragent", {c.user_agent}});
  if (c.kind == CallerKind::kAnonymous) return keys;
  keys.push_back({"aws:principalarn", {c.ref.role_arn.empty() ? c.ref.arn : c.ref.role_arn}});
  keys.push_back({"aws:principalaccount", {s.accounts[c.account].id}});
  switch (c.kind) {
    case CallerKind::kUser: {
      const auto& u = s.accounts[c.account].iam.users[c.index];
      keys.push_back({"aws:principaltype", {"User"}});
      keys.push_back({"aws:userid", {u.id}});
      keys.push_back({"aws:username", {u.name}});
      break;
    }
    case CallerKind::kRole: {
      const auto& ses = s.sessions[c.index];
      const auto& r = s.accounts[ses.account].iam.roles[ses.role];
      keys.push_back({"aws:principaltype", {"AssumedRole"}});
      keys.push_back({"aws:userid", {fmt::format("{}:{}", r.id, ses.name)}});
      keys.push_back({"aws:tokenissuetime", {format_iso8601(ses.issued)}});
      keys.push_back({"aws:multifactorauthpresent", {ses.mfa ? "true" : "false"}});
      if (ses.instance != kNoSerial) {
        const auto& inst = s.instances[ses.instance];
        keys.push_back(
            {"ec2:sourceinstancearn",
             {fmt::format("arn:aws:ec2:{}:{}:instance/{}", s.region_of(inst.scope),
                          s.account_id(inst.scope), s.id(Kind::kInstance, ses.instance))}});
      }
      if (!ses.source_identity.empty())
        keys.push_back({"aws:sourceidentity", {ses.source_identity}});
      break;
    }
    case CallerKind::kRoot:
      keys.push_back({"aws:principaltype", {"Account"}});
      keys.push_back({"aws:userid", {s.accounts[c.account].id}});
      break;
    default: break;
  }
  return keys;
}

namespace {

struct PolicySet {
  std::array<const Policy*, 32> p{};
  std::size_t n = 0;
  const Policy* session = nullptr;
  void add(const Policy* x) {
    if (x != nullptr && n < p.size()) p[n++] = x;
  }
};

void add_managed(const World::State& s, const AccountRec& acct,
                 const std::vector<std::string>& arns, PolicySet& out) {
  for (const auto& arn : arns) {
    if (auto it = acct.iam.policies.find(arn); it != acct.iam.policies.end()) {
      out.add(it->second.doc.parsed.get());
    } else if (const auto* m = s.managed_policy(arn)) {
      out.add(m->doc.parsed.get());
    }
  }
}

void collect_identity(const World::State& s, const Caller& c, PolicySet& out) {
  const auto& acct = s.accounts[c.account];
  if (c.kind == CallerKind::kUser) {
    const auto& u = acct.iam.users[c.index];
    for (const auto& [_, d] : u.inline_policies) out.add(d.parsed.get());
    add_managed(s, acct, u.attached, out);
    for (auto g : u.groups) {
      const auto& grp = acct.iam.groups[g];
      for (const auto& [_, d] : grp.inline_policies) out.add(d.parsed.get());
      add_managed(s, acct, grp.attached, out);
    }
  } else if (c.kind == CallerKind::kRole) {
    const auto& ses = s.sessions[c.index];
    const auto& r = s.accounts[ses.account].iam.roles[ses.role];
    for (const auto& [_, d] : r.inline_policies) out.add(d.parsed.get());
    add_managed(s, s.accounts[ses.account], r.attached, out);
    out.session = ses.session_policy.get();
  }
}

enum class Verdict { kAllow, kImplicitDeny, kExplicitDeny };

Verdict evaluate(const World::State& s, const Caller& c, std::string_view action,
                 std::string_view resource, std::span<const ContextValue> extra,
                 const Policy* resource_policy, std::uint16_t resource_account,
                 std::string_view region) {
  if (c.kind == CallerKind::kService) return Verdict::kAllow;
  PolicySet set;
  collect_identity(s, c, set);
  bool conditions = resource_policy != nullptr && resource_policy->has_conditions();
  for (std::size_t i = 0; i < set.n && !conditions; ++i) conditions = set.p[i]->has_conditions();
  if (set.session != nullptr && set.session->has_conditions()) conditions = true;
  std::vector<ContextValue> keys;
  if (conditions) {
    keys = caller_context(s, c, region);
    keys.insert(keys.end(), extra.begin(), extra.end());
  }
  const std::string res(resource);
  RequestContext ctx;
  ctx.action = action;
  if (resource != "*") ctx.resources = std::span<const std::string>(&res, 1);
  ctx.principal = &c.ref;
  ctx.keys = keys;
  ctx.username = c.username;
  ctx.now = s.now();

  bool identity_allow = false;
  for (std::size_t i = 0; i < set.n; ++i) {
    const Decision d = set.p[i]->evaluate(ctx);
    if (d == Decision::kDeny) return Verdict::kExplicitDeny;
    if (d == Decision::kAllow) identity_allow = true;
  }
  if (set.session != nullptr) {
    const Decision d = set.session->evaluate(ctx);
    if (d == Decision::kDeny) return Verdict::kExplicitDeny;
    if (d != Decision::kAllow) identity_allow = false;
  }
  bool resource_allow = false;
  if (resource_policy != nullptr) {
    const Decision d = resource_policy->evaluate(ctx);
    if (d == Decision::kDeny) return Verdict::kExplicitDeny;
    resource_allow = d == Decision::kAllow;
  }
  if (c.kind == CallerKind::kRoot) identity_allow = true;
  if (c.kind == CallerKind::kAnonymous)
    return resource_allow ? Verdict::kAllow : Verdict::kImplicitDeny;
  const bool same_account = resource_account == c.account;
  if (same_account)
    return identity_allow || resource_allow ? Verdict::kAllow : Verdict::kImplicitDeny;
  return identity_allow && resource_allow ? Verdict::kAllow : Verdict::kImplicitDeny;
}

}  // namespace

bool caller_allowed(const World::State& s, const Caller& c, std::string_view action,
                    std::string_view resource, std::string_view region,
                    const Policy* resource_policy, std::optional<std::uint16_t> resource_account) {
  return evaluate(s, c, action, resource, {}, resource_policy, resource_account.value_or(c.account),
                  region) == Verdict::kAllow;
}

bool Call::allowed(std::string_view action, std::string_view resource,
                   std::span<const ContextValue> extra, const Policy* resource_policy,
                   std::optional<std::uint16_t> resource_account) {
  return evaluate(s, caller, action, resource, extra, resource_policy,
                  resource_account.value_or(caller.account), session_region()) == Verdict::kAllow;
}

Status Call::authorize(std::string_view resource, std::span<const ContextValue> extra,
                       const Policy* resource_policy, std::optional<std::uint16_t> resource_account,
                       std::string_view action) {
  const std::string_view act = action.empty() ? std::string_view(op.action) : action;
  const Verdict v = evaluate(s, caller, act, resource, extra, resource_policy,
                             resource_account.value_or(caller.account), session_region());
  if (v == Verdict::kAllow) return {};
  return denied(act, resource, v == Verdict::kExplicitDeny);
}

std::unexpected<Error> Call::denied(std::string_view action, std::string_view resource,
                                    bool explicit_deny) {
  // IAM spells actions "ec2:TerminateInstances" in messages.
  std::string pretty(action);
  if (auto colon = pretty.find(':'); colon != std::string::npos) {
    const std::string_view svc = std::string_view(pretty).substr(0, colon);
    if (svc == op.service && lower(op.name) == pretty.substr(colon + 1))
      pretty = fmt::format("{}:{}", op.service, op.name);
  }
  const std::string who =
      caller.kind == CallerKind::kAnonymous ? std::string("anonymous") : caller.ref.arn;
  const std::string why =
      explicit_deny ? "with an explicit deny in an identity-based policy"
                    : fmt::format("because no identity-based policy allows the {} action", pretty);
  const std::string res = resource == "*" ? std::string("*") : std::string(resource);
  if (op.service == "ec2") {
    return error(ErrorCode::kPermissionDenied, "UnauthorizedOperation",
                 fmt::format("You are not authorized to perform this operation. User: {} is not "
                             "authorized to perform: {} on resource: {} {}. Encoded authorization "
                             "failure message: {}",
                             who, pretty, res, why, s.events.alnum(48)),
                 403);
  }
  if (op.service == "sns") {
    return error(ErrorCode::kPermissionDenied, "AuthorizationError",
                 fmt::format("User: {} is not authorized to perform: {} on resource: {} {}", who,
                             pretty, res, why),
                 403);
  }
  if (op.service == "s3" && caller.kind == CallerKind::kAnonymous) {
    return error(ErrorCode::kPermissionDenied, "AccessDenied", "Access Denied", 403);
  }
  return error(ErrorCode::kPermissionDenied,
               json_protocol(op.service) ? "AccessDeniedException" : "AccessDenied",
               fmt::format("User: {} is not authorized to perform: {} on resource: {} {}", who,
                           pretty, res, why),
               403);
}

ErrorCode error_code_for(std::string_view c, int status) {
  if (c == "Throttling" || c == "ThrottlingException" || c == "RequestLimitExceeded" ||
      c == "SlowDown")
    return ErrorCode::kThrottled;
  if (c == "AccessDenied" || c == "AccessDeniedException" || c == "UnauthorizedOperation" ||
      c == "InvalidClientTokenId" || c == "SignatureDoesNotMatch" || c == "ExpiredToken" ||
      c == "AuthFailure" || c == "AuthorizationError" || c == "InvalidAccessKeyId" ||
      c == "UnrecognizedClientException")
    return ErrorCode::kPermissionDenied;
  if (c.ends_with("NotFound") || c.ends_with("NotFoundException") || c.starts_with("NoSuch") ||
      c == "InvocationDoesNotExist" || c == "InvalidInstanceId" || c == "LoadBalancerNotFound" ||
      c == "TargetGroupNotFound" || c == "AccessPointNotFound" || c == "QueueDoesNotExist" ||
      c == "AWS.SimpleQueueService.NonExistentQueue" || c == "OwnershipControlsNotFoundError" ||
      c == "ObjectLockConfigurationNotFoundError" || c == "ResourceNotFoundException" ||
      c == "NotFound" || c == "BadRequestException.NotFound")
    return ErrorCode::kNotFound;
  if (c.ends_with("AlreadyExists") || c.ends_with(".Duplicate") || c == "BucketAlreadyExists" ||
      c == "BucketAlreadyOwnedByYou" || c == "EntityAlreadyExists" ||
      c.ends_with("AlreadyExistsException"))
    return ErrorCode::kAlreadyExists;
  if (c == "OperationNotPermitted" || c == "IncorrectState" || c == "IncorrectInstanceState" ||
      c == "DependencyViolation" || c == "InvalidBucketState" || c == "DeleteConflict" ||
      c == "ResourceInUse" || c == "InvalidObjectState" || c == "ScalingActivityInProgress" ||
      c.starts_with("IncorrectState") || c.starts_with("InvalidState") || c.ends_with(".InUse") ||
      c.ends_with("InUse"))
    return ErrorCode::kFailedPrecondition;
  if (status >= 500) return ErrorCode::kUnavailable;
  if (c == "ValidationError" || c == "ValidationException" || c == "MalformedPolicyDocument" ||
      c == "InvalidInput" || c == "MissingParameter" || c == "InvalidArgument" ||
      c == "InvalidRequest" || c == "MalformedXML" || c.starts_with("InvalidParameter") ||
      c.ends_with(".Malformed") || c.starts_with("Malformed") || c == "InvalidBucketName")
    return ErrorCode::kInvalidArgument;
  return ErrorCode::kAws;
}

std::unexpected<Error> Call::error(ErrorCode code, std::string_view aws_code,
                                   std::string_view message, int http_status) {
  (void)code;
  // The ErrorCode is derived from the AWS code exactly as the AWS client derives it, so both
  // backends classify the same failure the same way.
  const ErrorCode derived = error_code_for(aws_code, http_status);
  error_message = std::string(message);
  if (op.service == "ec2") {
    error_code = fmt::format("Client.{}", aws_code);
  } else if (op.service == "iam" && aws_code != "AccessDenied" && aws_code != "ValidationError" &&
             !aws_code.ends_with("Exception")) {
    error_code = fmt::format("{}Exception", aws_code);
  } else {
    error_code = std::string(aws_code);
  }
  return std::unexpected(Error(derived, message,
                               ErrorContext{.where = {},
                                            .aws_code = std::string(aws_code),
                                            .request_id = request_id,
                                            .http_status = http_status}));
}

std::string cloudtrail_console_time(TimePoint t, bool comma_after_year) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - days)};
  int hour = static_cast<int>(hms.hours().count());
  const char* ampm = hour >= 12 ? "PM" : "AM";
  int h12 = hour % 12;
  if (h12 == 0) h12 = 12;
  return fmt::format("{} {}, {}{} {}:{:02}:{:02} {}", kMonths[unsigned(ymd.month()) - 1],
                     unsigned(ymd.day()), int(ymd.year()), comma_after_year ? "," : "", h12,
                     hms.minutes().count(), hms.seconds().count(), ampm);
}

void Call::finish() {
  struct RunAfter {
    Call& c;
    ~RunAfter() {
      for (auto& f : c.after_record) f();
    }
  } run_after{*this};
  if (!record) return;
  // userIdentity
  std::string ui;
  switch (caller.kind) {
    case CallerKind::kUser: {
      const auto& u = s.accounts[caller.account].iam.users[caller.index];
      ui = u.identity_json;
      ui.pop_back();
      ui += ",\"accessKeyId\":";
      jstr(ui, caller.access_key_id);
      ui += ",\"userName\":";
      jstr(ui, u.name);
      ui += '}';
      break;
    }
    case CallerKind::kRole: ui = s.sessions[caller.index].identity_json; break;
    case CallerKind::kRoot: {
      ui = s.accounts[caller.account].root_identity_json;
      if (!caller.access_key_id.empty()) {
        ui.pop_back();
        ui += ",\"accessKeyId\":";
        jstr(ui, caller.access_key_id);
        ui += '}';
      }
      break;
    }
    case CallerKind::kService:
      ui = "{\"type\":\"AWSService\",\"invokedBy\":";
      jstr(ui, caller.service);
      ui += '}';
      break;
    case CallerKind::kAnonymous:
      ui = R"({"type":"AWSAccount","principalId":"","accountId":"anonymous"})";
      break;
  }
  const TimePoint now = s.now();
  const std::string time = format_iso8601(now);
  const bool read_only = op.read_only || read_only_override;
  auto build = [&](std::uint16_t recipient_account, const std::string& shared_id) {
    // Built in the world's scratch buffer (no allocation once it has grown); emit_record copies
    // the bytes where they are kept.
    std::string r = std::move(s.record_scratch);
    r.clear();
    r.reserve(1024 + params.size() + response.size() + additional.size() + ui.size() +
              resources.size() * 160);
    r += R"({"eventVersion":")";
    r += op.data_event ? "1.10" : "1.09";
    r += R"(","userIdentity":)";
    r += ui;
    r += R"(,"eventTime":")";
    r += time;
    r += R"(","eventSource":")";
    r += op.event_source;
    r += R"(","eventName":")";
    r += op.name;
    r += R"(","awsRegion":")";
    r += region;
    r += R"(","sourceIPAddress":)";
    jstr(r, caller.kind == CallerKind::kService ? caller.service : caller.source_ip);
    r += R"(,"userAgent":)";
    jstr(r, caller.kind == CallerKind::kService ? caller.service : caller.user_agent);
    if (!error_code.empty()) {
      r += R"(,"errorCode":)";
      jstr(r, error_code);
      r += R"(,"errorMessage":)";
      jstr(r, error_message);
    }
    r += R"(,"requestParameters":)";
    r += params.empty() ? "null" : params;
    r += R"(,"responseElements":)";
    r += response.empty() || !error_code.empty() ? "null" : response;
    if (!additional.empty()) {
      r += R"(,"additionalEventData":)";
      r += additional;
    }
    r += R"(,"requestID":")";
    r += request_id;
    const std::string event_id = s.uuid();
    r += R"(","eventID":")";
    r += event_id;
    r += R"(","readOnly":)";
    r += read_only ? "true" : "false";
    if (!resources.empty()) {
      r += R"(,"resources":[)";
      bool first = true;
      for (const auto& [type, arn] : resources) {
        if (!first) r += ',';
        first = false;
        r += R"({"accountId":")";
        r += s.accounts[recipient_account].id;
        r += R"(","type":)";
        jstr(r, type);
        r += R"(,"ARN":)";
        jstr(r, arn);
        r += '}';
      }
      r += ']';
    }
    r += R"(,"eventType":"AwsApiCall","managementEvent":)";
    r += op.data_event ? "false" : "true";
    r += R"(,"recipientAccountId":")";
    r += s.accounts[recipient_account].id;
    r += '"';
    if (!shared_id.empty()) {
      r += R"(,"sharedEventID":")";
      r += shared_id;
      r += '"';
    }
    r += R"(,"eventCategory":")";
    r += op.data_event ? "Data" : "Management";
    r +=
        R"(","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":")";
    if (op.global) {
      r += op.service;
      r += ".amazonaws.com";
    } else if (op.service == "s3") {
      r += "s3.";
      r += region;
      r += ".amazonaws.com";
    } else {
      r += op.service;
      r += '.';
      r += region;
      r += ".amazonaws.com";
    }
    r += "\"}}";

    RecordMeta meta;
    meta.time = now;
    meta.event_id = event_id;
    meta.event_name = op.name;
    meta.event_source = op.event_source;
    meta.username = caller.username;
    meta.access_key_id = caller.access_key_id;
    meta.read_only = read_only;
    meta.resources = history_resources;
    s.emit_record(recipient_account, region, r, meta, !op.data_event, read_only, op.data_event,
                  op.event_source,
                  resources.empty() ? std::string_view() : std::string_view(resources[0].second));
    s.record_scratch = std::move(r);
  };
  if (also_to.empty()) {
    build(recipient, {});
  } else {
    const std::string shared = s.uuid();
    build(recipient, shared);
    for (auto a : also_to) build(a, shared);
  }
}

}  // namespace firebreak::cloud::sim
