#include "firebreak/cloud/aws/config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "firebreak/core/fs.h"

namespace firebreak::cloud::aws {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string expand_home(const std::string& path, const Environment& env) {
  if (path.starts_with("~/")) {
    if (auto home = env("HOME")) return *home + path.substr(1);
  }
  return path;
}

constexpr std::size_t kMaxSharedFile = 1u << 20;

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

Environment fixed_environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::optional<std::string> Profile::get(std::string_view key) const {
  const auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

const Profile* SharedConfig::profile(std::string_view name) const {
  const auto it = profiles.find(name);
  return it == profiles.end() ? nullptr : &it->second;
}

Status parse_shared_file(std::string_view text, std::string_view path, bool credentials_file,
                         SharedConfig& into) {
  if (text.size() > kMaxSharedFile)
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("{}: larger than {} bytes", path, kMaxSharedFile));
  Profile* current = nullptr;
  std::string parent_key;  // an "s3 =" line opening nested settings
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const std::string where = fmt::format("{}:{}", path, line_no);
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string_view::npos)
        return fail(ErrorCode::kParse, fmt::format("{}: section header without ']'", where));
      std::string_view name = trim(line.substr(1, close - 1));
      parent_key.clear();
      std::map<std::string, Profile, std::less<>>* table = &into.profiles;
      if (!credentials_file) {
        if (name.starts_with("profile ") || name.starts_with("profile\t")) {
          name = trim(name.substr(8));
        } else if (name.starts_with("services ")) {
          name = trim(name.substr(9));
          table = &into.services;
        } else if (name != "default") {
          // sso-session and other section kinds are not profiles.
          current = nullptr;
          continue;
        }
      }
      if (name.empty())
        return fail(ErrorCode::kParse, fmt::format("{}: empty section name", where));
      Profile& p = (*table)[std::string(name)];
      p.name = std::string(name);
      current = &p;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return fail(ErrorCode::kParse, fmt::format("{}: expected 'key = value'", where));
    if (current == nullptr) continue;  // settings outside a (known) section
    const std::string key = lower(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (indented && !parent_key.empty()) {
      current->values[parent_key + "." + key] = std::string(value);
      continue;
    }
    if (value.empty()) {
      parent_key = key;  // nested block follows
      continue;
    }
    parent_key.clear();
    // Comments after values need whitespace before them ("x = 1 # note").
    if (auto hash = value.find(" #"); hash != std::string_view::npos)
      value = trim(value.substr(0, hash));
    if (auto semi = value.find(" ;"); semi != std::string_view::npos)
      value = trim(value.substr(0, semi));
    current->values[key] = std::string(value);
  }
  return {};
}

Result<SharedConfig> load_shared_config(const Environment& env) {
  SharedConfig cfg;
  const std::string config_path =
      expand_home(env("AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
  const std::string creds_path =
      expand_home(env("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  cfg.config_path = config_path;
  cfg.credentials_path = creds_path;
  std::error_code ec;
  if (!config_path.starts_with("~") && std::filesystem::is_regular_file(config_path, ec)) {
    FIREBREAK_TRY(std::string text, read_file(config_path, kMaxSharedFile));
    FIREBREAK_TRY_STATUS(parse_shared_file(text, config_path, false, cfg));
  }
  // The credentials file is parsed into its own table, then merged over the config's.
  SharedConfig creds;
  if (!creds_path.starts_with("~") && std::filesystem::is_regular_file(creds_path, ec)) {
    FIREBREAK_TRY(std::string text, read_file(creds_path, kMaxSharedFile));
    FIREBREAK_TRY_STATUS(parse_shared_file(text, creds_path, true, creds));
  }
  for (auto& [name, p] : creds.profiles) {
    Profile& dst = cfg.profiles[name];
    dst.name = name;
    for (auto& [k, v] : p.values) dst.values[k] = v;
  }
  return cfg;
}

std::string endpoint_env_suffix(std::string_view id) {
  // The SDKs derive the name from the service id (botocore "serviceId"), upper-cased with
  // spaces as underscores.
  static const std::map<std::string, std::string, std::less<>> kIds = {
      {"ec2", "EC2"},
      {"s3", "S3"},
      {"s3control", "S3_CONTROL"},
      {"sts", "STS"},
      {"iam", "IAM"},
      {"autoscaling", "AUTO_SCALING"},
      {"elasticloadbalancing", "ELASTIC_LOAD_BALANCING"},
      {"elasticloadbalancingv2", "ELASTIC_LOAD_BALANCING_V2"},
      {"ssm", "SSM"},
      {"cloudtrail", "CLOUDTRAIL"},
      {"guardduty", "GUARDDUTY"},
      {"securityhub", "SECURITYHUB"},
      {"sns", "SNS"},
      {"sqs", "SQS"},
      {"dynamodb", "DYNAMODB"},
  };
  const auto it = kIds.find(id);
  if (it != kIds.end()) return it->second;
  std::string out(id);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == ' ' || c == '-') c = '_';
  }
  return out;
}

namespace {
// The key in a [services x] section: the service id lower-cased with underscores
// ("elastic_load_balancing_v2").
std::string services_section_key(std::string_view id) { return lower(endpoint_env_suffix(id)); }
}  // namespace

Result<ResolvedConfig> resolve_config(const AwsOptions& options, const Environment& env) {
  ResolvedConfig rc;
  FIREBREAK_TRY(rc.shared, load_shared_config(env));
  bool profile_named = true;
  if (!options.profile.empty()) {
    rc.profile = options.profile;
  } else if (auto p = env("AWS_PROFILE")) {
    rc.profile = *p;
  } else if (auto p2 = env("AWS_DEFAULT_PROFILE")) {
    rc.profile = *p2;
  } else {
    rc.profile = "default";
    profile_named = false;
  }
  const Profile* prof = rc.shared.profile(rc.profile);
  if (prof == nullptr && profile_named)
    return fail(ErrorCode::kNotFound,
                fmt::format("profile '{}' not found in {} or {}", rc.profile, rc.shared.config_path,
                            rc.shared.credentials_path));

  if (!options.region.empty()) {
    rc.region = options.region;
    rc.region_source = "option";
  } else if (auto r = env("AWS_REGION")) {
    rc.region = *r;
    rc.region_source = "AWS_REGION";
  } else if (auto r2 = env("AWS_DEFAULT_REGION")) {
    rc.region = *r2;
    rc.region_source = "AWS_DEFAULT_REGION";
  } else if (prof != nullptr && prof->get("region")) {
    rc.region = *prof->get("region");
    rc.region_source = fmt::format("profile {}", rc.profile);
  }
  if (rc.region.empty())
    return fail(ErrorCode::kInvalidArgument,
                "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or add "
                "'region' to the profile in ~/.aws/config");
  for (char c : rc.region) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok)
      return fail(ErrorCode::kInvalidArgument, fmt::format("invalid AWS region '{}'", rc.region));
  }

  if (auto ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); ignore && lower(*ignore) == "true")
    rc.ignore_configured_endpoints = true;
  if (prof != nullptr && prof->get("ignore_configured_endpoint_urls").value_or("") == "true")
    rc.ignore_configured_endpoints = true;

  // Precedence, as in the SDKs: explicit option > service env > global env > profile's
  // services section > profile's endpoint_url.
  rc.endpoint_url = options.endpoint_url;
  rc.service_endpoints = options.service_endpoints;
  if (!rc.ignore_configured_endpoints) {
    if (rc.endpoint_url.empty()) {
      if (auto e = env("AWS_ENDPOINT_URL")) rc.endpoint_url = *e;
    }
    for (std::string_view id :
         {"ec2", "s3", "s3control", "sts", "iam", "autoscaling", "elasticloadbalancing",
          "elasticloadbalancingv2", "ssm", "cloudtrail", "guardduty", "securityhub", "sns", "sqs",
          "dynamodb"}) {
      const std::string key(id);
      if (rc.service_endpoints.contains(key)) continue;
      if (!options.endpoint_url.empty()) continue;  // --endpoint-url beats the environment
      if (auto e = env("AWS_ENDPOINT_URL_" + endpoint_env_suffix(id))) {
        rc.service_endpoints[key] = *e;
        continue;
      }
      if (!rc.endpoint_url.empty()) continue;
      if (prof != nullptr) {
        if (auto services = prof->get("services")) {
          const auto it = rc.shared.services.find(*services);
          if (it != rc.shared.services.end()) {
            if (auto url = it->second.get(services_section_key(id) + ".endpoint_url"))
              rc.service_endpoints[key] = *url;
          }
        }
      }
    }
    if (rc.endpoint_url.empty() && prof != nullptr) {
      if (auto e = prof->get("endpoint_url")) rc.endpoint_url = *e;
    }
  }
  rc.s3_path_style = options.s3_path_style;
  if (!rc.s3_path_style && prof != nullptr) {
    if (auto style = prof->get("s3.addressing_style")) {
      if (*style == "path") rc.s3_path_style = true;
      if (*style == "virtual") rc.s3_path_style = false;
    }
  }
  return rc;
}

std::string configured_endpoint(const ResolvedConfig& config, std::string_view service_id) {
  const auto it = config.service_endpoints.find(std::string(service_id));
  if (it != config.service_endpoints.end()) return it->second;
  return config.endpoint_url;
}

}  // namespace firebreak::cloud::aws
