#include "firebreak/cloud/aws/credentials.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdio>
#include <mutex>
#include <set>

#include "firebreak/core/json.h"
#include "firebreak/core/log.h"
#include "firebreak/core/redact.h"

namespace firebreak::cloud::aws {

namespace {

void register_credentials(const Credentials& c) {
  register_secret(c.secret_access_key);
  register_secret(c.session_token);
}

class StaticProvider final : public CredentialProvider {
 public:
  StaticProvider(Credentials c, std::string source) : c_(std::move(c)), source_(std::move(source)) {
    register_credentials(c_);
  }
  Result<Credentials> credentials() override { return c_; }
  std::string source() const override { return source_; }

 private:
  Credentials c_;
  std::string source_;
};

class RefreshingProvider final : public CredentialProvider {
 public:
  RefreshingProvider(std::function<Result<Credentials>()> fetch, std::string source, Clock& clock,
                     Duration window)
      : fetch_(std::move(fetch)), source_(std::move(source)), clock_(clock), window_(window) {}

  Result<Credentials> credentials() override {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.now();
    if (cached_ && (!cached_->expiration || *cached_->expiration - window_ > now)) return *cached_;
    auto fresh = fetch_();
    if (!fresh) {
      // Still valid (inside the refresh window): keep using them, try again next call.
      if (cached_ && cached_->expiration && *cached_->expiration > now) {
        log::warn(
            "credentials from {} could not be refreshed ({}); using the current ones until "
            "they expire",
            source_, fresh.error().describe());
        return *cached_;
      }
      return fail(fresh.error().wrap(fmt::format("credentials from {}", source_)));
    }
    register_credentials(*fresh);
    cached_ = std::move(*fresh);
    return *cached_;
  }
  std::string source() const override { return source_; }

 private:
  std::mutex mu_;
  std::function<Result<Credentials>()> fetch_;
  std::string source_;
  Clock& clock_;
  Duration window_;
  std::optional<Credentials> cached_;
};

// Tries providers in order; the first that yields credentials is used from then on.
class ChainProvider final : public CredentialProvider {
 public:
  explicit ChainProvider(std::vector<std::shared_ptr<CredentialProvider>> links)
      : links_(std::move(links)) {}
  Result<Credentials> credentials() override {
    std::lock_guard lock(mu_);
    if (chosen_) return chosen_->credentials();
    std::string tried;
    for (auto& l : links_) {
      auto c = l->credentials();
      if (c) {
        chosen_ = l;
        return c;
      }
      tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", l->source(), c.error().message());
    }
    return fail(ErrorCode::kPermissionDenied,
                fmt::format("no AWS credentials found (tried explicit options, environment, shared "
                            "files, container, instance metadata: {})",
                            tried));
  }
  std::string source() const override {
    std::lock_guard lock(mu_);
    if (chosen_) return chosen_->source();
    std::string s;
    for (const auto& l : links_) s += (s.empty() ? "" : " | ") + l->source();
    return s.empty() ? "none" : s;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<CredentialProvider>> links_;
  std::shared_ptr<CredentialProvider> chosen_;
};

std::shared_ptr<HttpTransport> metadata_transport(const ChainDeps& deps) {
  if (deps.transport) return deps.transport;
  TransportOptions o;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.request_timeout = std::chrono::milliseconds(2000);
  o.max_response_bytes = 64u << 10;
  return make_curl_transport(o);
}

Result<Credentials> fetch_container(const Environment& env, HttpTransport& transport) {
  HttpRequest req;
  req.method = "GET";
  if (auto rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    req.url = "http://169.254.170.2" + *rel;
  } else if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    req.url = *full;
  } else {
    return fail(ErrorCode::kNotFound, "container credentials not configured");
  }
  std::string token;
  if (auto file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::FILE* f = std::fopen(file->c_str(), "rb");
    if (f == nullptr)
      return fail(ErrorCode::kIo,
                  fmt::format("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}", *file));
    char buf[4096];
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    token.assign(buf, n);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  } else if (auto t = env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    token = *t;
  }
  if (!token.empty()) {
    register_secret(token);
    req.headers.emplace_back("Authorization", token);
  }
  FIREBREAK_TRY(HttpResponse resp, transport.send(req));
  if (resp.status != 200)
    return fail(ErrorCode::kUnavailable,
                fmt::format("container credentials endpoint answered HTTP {}", resp.status));
  return parse_metadata_credentials(resp.body);
}

Result<Credentials> fetch_imds(const std::string& endpoint, HttpTransport& transport) {
  HttpRequest token_req;
  token_req.method = "PUT";
  token_req.url = endpoint + "/latest/api/token";
  token_req.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
  FIREBREAK_TRY(HttpResponse token_resp, transport.send(token_req));
  if (token_resp.status != 200)
    return fail(ErrorCode::kUnavailable,
                fmt::format("IMDSv2 token request answered HTTP {}", token_resp.status));
  const std::string token = token_resp.body;
  register_secret(token);
  HttpRequest role_req;
  role_req.url = endpoint + "/latest/meta-data/iam/security-credentials/";
  role_req.headers.emplace_back("X-aws-ec2-metadata-token", token);
  FIREBREAK_TRY(HttpResponse role_resp, transport.send(role_req));
  if (role_resp.status == 404)
    return fail(ErrorCode::kNotFound, "the instance has no IAM role (instance profile)");
  if (role_resp.status != 200)
    return fail(ErrorCode::kUnavailable,
                fmt::format("IMDS role listing answered HTTP {}", role_resp.status));
  std::string role = role_resp.body.substr(0, role_resp.body.find('\n'));
  while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
  if (role.empty() || role.size() > 128 || role.find('/') != std::string::npos)
    return fail(ErrorCode::kParse, "IMDS returned no usable role name");
  HttpRequest cred_req;
  cred_req.url = endpoint + "/latest/meta-data/iam/security-credentials/" + role;
  cred_req.headers.emplace_back("X-aws-ec2-metadata-token", token);
  FIREBREAK_TRY(HttpResponse cred_resp, transport.send(cred_req));
  if (cred_resp.status != 200)
    return fail(
        ErrorCode::kUnavailable,
        fmt::format("IMDS credentials for role {} answered HTTP {}", role, cred_resp.status));
  return parse_metadata_credentials(cred_resp.body);
}

Result<Credentials> credentials_from_json(std::string_view text, std::string_view what,
                                          std::string_view token_key) {
  auto j = parse_json(text, JsonLimits{1u << 20, 16});
  if (!j) return fail(ErrorCode::kParse, fmt::format("{}: not valid JSON", what));
  if (!j->is_object()) return fail(ErrorCode::kParse, fmt::format("{}: not a JSON object", what));
  auto str = [&](std::string_view k) -> std::string {
    const auto it = j->find(k);
    return it != j->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Credentials c;
  c.access_key_id = str("AccessKeyId");
  c.secret_access_key = str("SecretAccessKey");
  c.session_token = str(token_key);
  register_credentials(c);
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return fail(ErrorCode::kParse, fmt::format("{}: AccessKeyId or SecretAccessKey missing", what));
  const std::string exp = str("Expiration");
  if (!exp.empty()) {
    c.expiration = parse_iso8601(exp);
    if (!c.expiration)
      return fail(ErrorCode::kParse, fmt::format("{}: Expiration '{}' is not ISO 8601", what, exp));
  }
  return c;
}

struct ProfileResolver {
  const ResolvedConfig& config;
  const ChainDeps& deps;
  std::set<std::string> visiting;

  Result<std::shared_ptr<CredentialProvider>> resolve(const std::string& name, bool as_source) {
    const Profile* p = config.shared.profile(name);
    if (p == nullptr)
      return fail(ErrorCode::kNotFound, fmt::format("profile '{}' not found", name));
    if (!visiting.insert(name).second)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("profile '{}': source_profile chain has a cycle", name));
    auto role_arn = p->get("role_arn");
    const bool has_keys = p->get("aws_access_key_id") && p->get("aws_secret_access_key");
    if (role_arn) {
      std::shared_ptr<CredentialProvider> base;
      if (auto src = p->get("source_profile")) {
        if (*src == name && has_keys) {
          base = static_from(*p);
        } else {
          FIREBREAK_TRY(base, resolve(*src, true));
        }
      } else if (auto cs = p->get("credential_source")) {
        if (*cs == "Environment") {
          auto id = deps.env("AWS_ACCESS_KEY_ID");
          auto secret = deps.env("AWS_SECRET_ACCESS_KEY");
          if (!id || !secret)
            return fail(ErrorCode::kNotFound,
                        fmt::format("profile '{}': credential_source Environment but "
                                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set",
                                    name));
          base = static_credentials(
              Credentials{*id, *secret, deps.env("AWS_SESSION_TOKEN").value_or(""), std::nullopt},
              "environment");
        } else if (*cs == "Ec2InstanceMetadata") {
          base = imds_provider(deps);
        } else if (*cs == "EcsContainer") {
          base = container_provider(deps);
        } else {
          return fail(ErrorCode::kInvalidArgument,
                      fmt::format("profile '{}': unknown credential_source '{}'", name, *cs));
        }
      } else {
        return fail(
            ErrorCode::kInvalidArgument,
            fmt::format("profile '{}': role_arn needs source_profile or credential_source", name));
      }
      AssumeRoleRequest req;
      req.role_arn = *role_arn;
      req.role_session_name =
          p->get("role_session_name")
              .value_or(fmt::format("firebreak-{}", to_unix_seconds(deps.clock->now())));
      if (auto ext = p->get("external_id")) req.external_id = *ext;
      if (auto d = p->get("duration_seconds")) {
        try {
          req.duration_seconds = std::stoi(*d);
        } catch (...) {
          return fail(ErrorCode::kInvalidArgument,
                      fmt::format("profile '{}': duration_seconds '{}' is not a number", name, *d));
        }
      }
      auto provider = assume_role_credentials(std::move(base), std::move(req), deps);
      visiting.erase(name);
      return provider;
    }
    if (auto proc = p->get("credential_process"); proc && !as_source) {
      visiting.erase(name);
      return process_provider(*proc, name);
    }
    if (auto proc = p->get("credential_process"); proc && !has_keys) {
      visiting.erase(name);
      return process_provider(*proc, name);
    }
    if (has_keys) {
      visiting.erase(name);
      return static_from(*p);
    }
    return fail(ErrorCode::kNotFound, fmt::format("profile '{}' has no credentials", name));
  }

  std::shared_ptr<CredentialProvider> static_from(const Profile& p) const {
    return static_credentials(Credentials{p.get("aws_access_key_id").value_or(""),
                                          p.get("aws_secret_access_key").value_or(""),
                                          p.get("aws_session_token").value_or(""), std::nullopt},
                              fmt::format("profile {} (shared files)", p.name));
  }

  std::shared_ptr<CredentialProvider> process_provider(const std::string& command,
                                                       const std::string& profile) const {
    auto run = deps.run_process ? deps.run_process : &run_credential_process;
    return refreshing_credentials(
        [run, command]() -> Result<Credentials> {
          FIREBREAK_TRY(std::string out, run(command));
          return parse_process_credentials(out);
        },
        fmt::format("credential_process of profile {}", profile), *deps.clock, deps.refresh_window);
  }

  static std::shared_ptr<CredentialProvider> container_provider(const ChainDeps& deps) {
    auto transport = metadata_transport(deps);
    auto env = deps.env;
    return refreshing_credentials([env, transport]() { return fetch_container(env, *transport); },
                                  "container", *deps.clock, deps.refresh_window);
  }

  static std::shared_ptr<CredentialProvider> imds_provider(const ChainDeps& deps) {
    auto transport = metadata_transport(deps);
    std::string endpoint =
        deps.env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .value_or(deps.imds_endpoint.empty() ? "http://169.254.169.254" : deps.imds_endpoint);
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    return refreshing_credentials(
        [endpoint, transport]() { return fetch_imds(endpoint, *transport); },
        "imds (EC2 instance metadata)", *deps.clock, deps.refresh_window);
  }
};

}  // namespace

std::shared_ptr<CredentialProvider> static_credentials(Credentials c, std::string source) {
  return std::make_shared<StaticProvider>(std::move(c), std::move(source));
}

std::shared_ptr<CredentialProvider> refreshing_credentials(
    std::function<Result<Credentials>()> fetch, std::string source, Clock& clock,
    Duration refresh_window) {
  return std::make_shared<RefreshingProvider>(std::move(fetch), std::move(source), clock,
                                              refresh_window);
}

std::shared_ptr<CredentialProvider> assume_role_credentials(
    std::shared_ptr<CredentialProvider> base, AssumeRoleRequest req, const ChainDeps& deps) {
  const std::string source = fmt::format("assume-role {} via {}", req.role_arn, base->source());
  auto assume = deps.assume_role;
  return refreshing_credentials(
      [base, req, assume]() -> Result<Credentials> {
        if (!assume) return fail(ErrorCode::kUnsupported, "no STS client to assume roles with");
        FIREBREAK_TRY(Credentials src, base->credentials());
        FIREBREAK_TRY(AssumedRole role, assume(src, req));
        return role.credentials;
      },
      source, *deps.clock, deps.refresh_window);
}

Result<Credentials> parse_process_credentials(std::string_view json) {
  auto j = parse_json(json, JsonLimits{1u << 20, 16});
  if (!j || !j->is_object())
    return fail(ErrorCode::kParse, "credential_process output is not a JSON object");
  const auto v = j->find("Version");
  if (v == j->end() || !v->is_number_integer() || v->get<int>() != 1)
    return fail(ErrorCode::kParse, "credential_process output: Version must be 1");
  return credentials_from_json(json, "credential_process output", "SessionToken");
}

Result<Credentials> parse_metadata_credentials(std::string_view json) {
  auto j = parse_json(json, JsonLimits{1u << 20, 16});
  if (j && j->is_object()) {
    const auto code = j->find("Code");
    if (code != j->end() && code->is_string() && code->get<std::string>() != "Success")
      return fail(
          ErrorCode::kUnavailable,
          fmt::format("metadata credentials not available: Code {}", code->get<std::string>()));
  }
  return credentials_from_json(json, "metadata credentials", "Token");
}

Result<std::string> run_credential_process(const std::string& command) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return fail(ErrorCode::kIo, "credential_process: cannot start the command");
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    if (out.size() + n > (1u << 20)) {
      ::pclose(p);
      return fail(ErrorCode::kLimitExceeded, "credential_process: output larger than 1 MiB");
    }
    out.append(buf, n);
  }
  const int status = ::pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(ErrorCode::kUnavailable,
                fmt::format("credential_process: the command failed (exit status {})",
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  return out;
}

Result<std::shared_ptr<CredentialProvider>> default_credential_chain(const AwsOptions& options,
                                                                     const ResolvedConfig& config,
                                                                     const ChainDeps& deps) {
  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty())
      return fail(ErrorCode::kInvalidArgument,
                  "explicit credentials need both an access key id and a secret access key");
    return static_credentials(Credentials{options.access_key_id, options.secret_access_key,
                                          options.session_token, std::nullopt},
                              "explicit");
  }
  const auto id = deps.env("AWS_ACCESS_KEY_ID");
  const auto secret = deps.env("AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    return static_credentials(
        Credentials{*id, *secret, deps.env("AWS_SESSION_TOKEN").value_or(""), std::nullopt},
        "environment");
  }
  ProfileResolver resolver{config, deps, {}};
  if (config.shared.profile(config.profile) != nullptr) {
    auto p = resolver.resolve(config.profile, false);
    if (p) return p;
    // A profile that exists but holds no credentials (only a region, say) falls through to
    // the container and instance metadata, as in the SDKs; a broken one is an error.
    if (p.error().code() != ErrorCode::kNotFound) return fail(p.error());
  }
  std::vector<std::shared_ptr<CredentialProvider>> lazy;
  if (deps.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
      deps.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    lazy.push_back(ProfileResolver::container_provider(deps));
  }
  const auto disabled = deps.env("AWS_EC2_METADATA_DISABLED");
  if (!disabled || (*disabled != "true" && *disabled != "TRUE" && *disabled != "True")) {
    lazy.push_back(ProfileResolver::imds_provider(deps));
  }
  return std::shared_ptr<CredentialProvider>(std::make_shared<ChainProvider>(std::move(lazy)));
}

}  // namespace firebreak::cloud::aws
