#pragma once
// Central redaction of secrets. Logging and Error construction pass every message through
// redact(); callers never redact by hand. Two mechanisms:
//  - patterns: values after names that mean "secret" (secret access keys, session and security
//    tokens, passwords, X-Amz-Signature) and the whole value of Authorization headers, in
//    key=value, key: value, JSON and XML shapes;
//  - registered values: a credential provider registers every secret it loads, and any later
//    occurrence of that exact text is replaced wherever it appears.
// Access key ids (AKIA…/ASIA…) are identifiers, not secrets, and stay visible: CloudTrail hunts
// depend on them. Thread-safe.

#include <string>
#include <string_view>

namespace firebreak {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Returns `text` with every secret replaced by kRedacted.
[[nodiscard]] std::string redact(std::string_view text);

// Remembers `secret` (ignored when shorter than 8 bytes, to avoid blanking common words).
void register_secret(std::string_view secret);

// For tests only: forgets every registered secret.
void clear_registered_secrets_for_testing();

}  // namespace firebreak
