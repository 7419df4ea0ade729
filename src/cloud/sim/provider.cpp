#include "firebreak/cloud/sim/provider.h"

#include <fmt/format.h>

#include "firebreak/core/redact.h"
#include "session.h"

namespace firebreak::cloud::sim {

bool is_known_region(std::string_view r);

SimSession::SimSession(std::shared_ptr<World> world, Identity identity, std::string region,
                       std::string account, HookChain hooks)
    : world_(std::move(world)),
      identity_(std::move(identity)),
      region_(std::move(region)),
      account_(std::move(account)),
      hooks_(std::move(hooks)) {}

Result<const Caller*> SimSession::resolve_caller(const OpDesc& op) {
  auto& s = state();
  if (cached_) {
    bool valid = false;
    if (cached_session_) {
      valid = s.now() < s.sessions[cached_key_].expires;
    } else {
      auto& k = s.keys[cached_key_];
      valid = k.active && !k.deleted &&
              (k.user == kRootUser || !s.accounts[k.account].iam.users[k.user].deleted);
      if (valid) {
        k.last_used = s.now();
        k.last_service = op.service;
        k.last_region = op.global ? std::string("us-east-1") : region_;
      }
    }
    if (valid) return &*cached_;
    cached_.reset();
  }
  auto c = s.authenticate(identity_.credentials, op.service);
  if (!c) {
    const auto& ctx = c.error().context();
    return std::unexpected(Error(c.error().code(), c.error().message(),
                                 ErrorContext{.where = {},
                                              .aws_code = ctx.aws_code,
                                              .request_id = s.uuid(),
                                              .http_status = ctx.http_status}));
  }
  c->source_ip = identity_.source_ip;
  c->user_agent = identity_.user_agent;
  if (c->kind != CallerKind::kAnonymous) {
    const auto& entry = s.credential_index.at(identity_.credentials.access_key_id);
    cached_session_ = entry.first;
    cached_key_ = entry.second;
    if (!cached_session_) {
      auto& k = s.keys[cached_key_];
      k.last_used = s.now();
      k.last_service = op.service;
      k.last_region = op.global ? std::string("us-east-1") : region_;
    }
  } else {
    // Anonymous callers have nothing to re-validate; they are rebuilt every call.
    anonymous_ = std::move(*c);
    return &*anonymous_;
  }
  cached_ = std::move(*c);
  return &*cached_;
}

Status SimSession::throttle(Call& call) {
  auto& s = call.s;
  if (!s.options.throttling || call.caller.kind == CallerKind::kService) return {};
  struct Class {
    const char* name;
    double capacity, rate;
    const char* code;
    int http;
  };
  const auto& op = call.op;
  Class cls{"default", 40, 10, "Throttling", 400};
  if (op.service == "ec2") {
    cls = op.read_only ? Class{"ec2-describe", 100, 20, "RequestLimitExceeded", 503}
                       : Class{"ec2-mutating", 50, 5, "RequestLimitExceeded", 503};
  } else if (op.service == "iam") {
    cls = Class{"iam", 40, 15, "Throttling", 400};
  } else if (op.service == "sts") {
    cls = Class{"sts", 100, 50, "Throttling", 400};
  } else if (op.service == "s3") {
    cls = Class{"s3", 3500, 3500, "SlowDown", 503};
  } else if (op.service == "cloudtrail" && op.name == "LookupEvents") {
    cls = Class{"cloudtrail-lookup", 2, 2, "ThrottlingException", 400};
  } else if (op.service == "ssm" || op.service == "cloudtrail" || op.service == "guardduty" ||
             op.service == "securityhub") {
    cls = Class{op.service == "ssm" ? "ssm" : "json", 40, 10, "ThrottlingException", 400};
  }
  auto& acct = s.accounts[call.caller.account];
  const std::string key = fmt::format("{}/{}", call.region, cls.name);
  auto [it, inserted] = acct.buckets.try_emplace(key);
  if (inserted) {
    it->second.capacity = cls.capacity;
    it->second.tokens = cls.capacity;
    it->second.refill_per_second = cls.rate;
    it->second.last = s.now();
  }
  if (it->second.take(s.now())) return {};
  return call.error(ErrorCode::kThrottled, cls.code,
                    op.service == "ec2" ? "Request limit exceeded." : "Rate exceeded", cls.http);
}

bool TokenBucket::take(TimePoint now) {
  const double elapsed = std::chrono::duration<double>(now - last).count();
  if (elapsed > 0) {
    tokens = std::min(capacity, tokens + elapsed * refill_per_second);
    last = now;
  }
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

void SimSession::after_call(Call& call, bool ok) {
  call.s.guardduty_observe_call(call.caller, call.scope, call.op.service, call.op.name, ok,
                                call.params);
}

// ---------------------------------------------------------------------------------------------

struct SimProvider::Impl {
  std::shared_ptr<World> world;
  Identity identity;
  ProviderOptions options;
  std::mutex mu;
  HookChain hooks;
  std::string home_account;
};

SimProvider::SimProvider(std::shared_ptr<World> world, Identity identity, ProviderOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->world = std::move(world);
  impl_->identity = std::move(identity);
  impl_->options = std::move(options);
  if (!impl_->identity.credentials.secret_access_key.empty())
    register_secret(impl_->identity.credentials.secret_access_key);
  if (!impl_->identity.credentials.session_token.empty())
    register_secret(impl_->identity.credentials.session_token);
  auto& s = impl_->world->state();
  std::lock_guard lock(s.mu);
  if (auto it = s.credential_index.find(impl_->identity.credentials.access_key_id);
      it != s.credential_index.end()) {
    const auto acct = it->second.first ? s.sessions[it->second.second].account
                                       : s.keys[it->second.second].account;
    impl_->home_account = s.accounts[acct].id;
  }
}

SimProvider::~SimProvider() = default;

const Identity& SimProvider::identity() const { return impl_->identity; }
World& SimProvider::world() { return *impl_->world; }

void SimProvider::add_hook(std::shared_ptr<CallHook> hook) {
  std::lock_guard lock(impl_->mu);
  impl_->hooks.add(std::move(hook));
}

Result<std::shared_ptr<CloudSession>> SimProvider::session(const SessionRequest& req) {
  const std::string region = req.region.empty() ? impl_->options.default_region : req.region;
  if (!is_known_region(region))
    return fail(ErrorCode::kInvalidArgument, fmt::format("unknown region '{}'", region));
  HookChain hooks;
  {
    std::lock_guard lock(impl_->mu);
    hooks = impl_->hooks;
  }
  const std::string account = req.account_id.empty() ? impl_->home_account : req.account_id;
  auto base = std::make_shared<SimSession>(impl_->world, impl_->identity, region,
                                           impl_->home_account, hooks);
  if (account == impl_->home_account && req.role_arn.empty()) return base;

  const std::string role_arn =
      req.role_arn.empty()
          ? fmt::format("arn:aws:iam::{}:role/{}", account, impl_->options.cross_account_role)
          : req.role_arn;
  AssumeRoleRequest ar;
  ar.role_arn = role_arn;
  ar.role_session_name =
      req.role_session_name.empty() ? impl_->options.default_session_name : req.role_session_name;
  FIREBREAK_TRY(auto assumed, base->sts().assume_role(ar));
  // The role's account, from its ARN (arn:aws:iam::<account>:role/...).
  std::string role_account = account;
  if (role_arn.size() > 25) role_account = role_arn.substr(13, 12);
  Identity id = impl_->identity;
  id.credentials = assumed.credentials;
  return std::shared_ptr<CloudSession>(
      std::make_shared<SimSession>(impl_->world, std::move(id), region, role_account, hooks));
}

std::shared_ptr<CloudSession> make_session(std::shared_ptr<World> world, Identity identity,
                                           const std::string& region) {
  std::string account;
  {
    auto& s = world->state();
    std::lock_guard lock(s.mu);
    if (auto it = s.credential_index.find(identity.credentials.access_key_id);
        it != s.credential_index.end()) {
      const auto acct = it->second.first ? s.sessions[it->second.second].account
                                         : s.keys[it->second.second].account;
      account = s.accounts[acct].id;
    }
  }
  return std::make_shared<SimSession>(std::move(world), std::move(identity), region,
                                      std::move(account), HookChain{});
}

}  // namespace firebreak::cloud::sim
