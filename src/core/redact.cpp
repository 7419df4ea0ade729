#include "firebreak/core/redact.h"

#include <re2/re2.h>

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace firebreak {
namespace {

// Names whose value is a secret, in any of the shapes AWS material takes: ini/env
// (`aws_secret_access_key = x`), HTTP/query (`X-Amz-Security-Token: x`, `X-Amz-Signature=x`),
// JSON (`"SecretAccessKey": "x"`) and XML (`<SessionToken>x</SessionToken>`).
constexpr std::string_view kSecretNames =
    R"((?:aws_)?secret_?access_?key|secretkey|aws_session_token|session_?token|security_?token|)"
    R"(x-amz-security-token|x-amz-signature|password|client_?secret|private_?key)";

const RE2& value_pattern() {
  // 1: name and separator kept; the value (up to a quote, whitespace, '<', '&', ',', ';' or '}')
  // is replaced. The separator allows `"name": "`, `name=`, `name: ` and `<name>`.
  static const RE2 re(std::string("(?i)(\"?(?:") + std::string(kSecretNames) +
                      R"()\"?(?:\s*[:=]\s*\"?|>))[^\"\s<&,;}]+)");
  return re;
}

const RE2& authorization_pattern() {
  // The whole Authorization header value carries the signature and access key scope.
  static const RE2 re(R"re((?i)(\"?authorization\"?\s*[:=]\s*\"?)[^\"\r\n]+)re");
  return re;
}

std::shared_mutex& secrets_mutex() {
  static std::shared_mutex m;
  return m;
}
std::vector<std::string>& secrets() {
  static std::vector<std::string> s;
  return s;
}

}  // namespace

std::string redact(std::string_view text) {
  std::string out(text);
  {
    std::shared_lock lock(secrets_mutex());
    for (const auto& secret : secrets()) {
      for (std::size_t pos = out.find(secret); pos != std::string::npos;
           pos = out.find(secret, pos + kRedacted.size())) {
        out.replace(pos, secret.size(), kRedacted);
      }
    }
  }
  // Cheap screen before the regular expressions: most messages mention no secret name.
  static const RE2 screen(std::string("(?i)authorization|") + std::string(kSecretNames));
  if (!RE2::PartialMatch(out, screen)) return out;
  RE2::GlobalReplace(&out, authorization_pattern(), "\\1[REDACTED]");
  RE2::GlobalReplace(&out, value_pattern(), "\\1[REDACTED]");
  return out;
}

void register_secret(std::string_view secret) {
  if (secret.size() < 8) return;
  std::unique_lock lock(secrets_mutex());
  auto& s = secrets();
  if (std::find(s.begin(), s.end(), secret) != s.end()) return;
  s.emplace_back(secret);
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void clear_registered_secrets_for_testing() {
  std::unique_lock lock(secrets_mutex());
  secrets().clear();
}

}  // namespace firebreak
