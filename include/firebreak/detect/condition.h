#pragma once
// Sigma detection conditions: `and`, `or`, `not`, parentheses, `1 of pattern`, `all of pattern`,
// `1 of them`, `all of them` (precedence, loosest first: or, and, not, x of, parentheses).
// Keywords are case-insensitive; identifiers are case-sensitive. Patterns may use `*` anywhere.
//
// The obsolete aggregation syntax (`| count() > 5`, `| near`) is rejected with a precise reason:
// time-based logic belongs in correlation rules.
//
// Limits: a condition longer than kMaxConditionBytes or nested deeper than kMaxConditionDepth is
// rejected (never a crash or a stack overflow). Pure functions; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak::detect {

inline constexpr std::size_t kMaxConditionBytes = 16 * 1024;
inline constexpr std::size_t kMaxConditionDepth = 64;

struct ConditionNode {
  enum class Kind : std::uint8_t {
    kAnd,    // children: two or more
    kOr,     // children: two or more
    kNot,    // children: one
    kRef,    // text: a search identifier
    kOneOf,  // text: a pattern, or "them"
    kAllOf,  // text: a pattern, or "them"
  };
  Kind kind = Kind::kRef;
  std::string text;
  std::vector<ConditionNode> children;
  std::size_t offset = 0;  // byte offset in the condition text (for messages)

  // Canonical text with full parentheses, for tests and messages.
  [[nodiscard]] std::string to_string() const;
};

// Parses one condition. Errors name the byte offset and what was expected.
[[nodiscard]] Result<ConditionNode> parse_condition(std::string_view text);

// True if `name` matches the `x of` pattern (`*` = any run of characters).
[[nodiscard]] bool identifier_matches(std::string_view pattern, std::string_view name) noexcept;

}  // namespace firebreak::detect
