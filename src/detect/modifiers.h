#pragma once
// Private to detect: Sigma value modifiers and value encodings, shared by the loader (which
// validates) and the compiler (which builds matchers).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak::detect::detail {

enum class Position : std::uint8_t { kEquals, kContains, kStartsWith, kEndsWith };
enum class ValueType : std::uint8_t { kString, kRegex, kCidr, kCompare, kExists, kFieldRef };
enum class CompareOp : std::uint8_t { kGt, kGte, kLt, kLte };
enum class Transform : std::uint8_t {
  kExpand,
  kWindash,
  kUtf16Le,
  kUtf16Be,
  kUtf16Bom,
  kBase64,
  kBase64Offset
};

struct Modifiers {
  Position position = Position::kEquals;
  ValueType type = ValueType::kString;
  CompareOp compare = CompareOp::kGt;
  bool all = false;
  bool cased = false;
  bool neq = false;
  bool re_i = false, re_m = false, re_s = false;
  bool expand = false;
  std::vector<Transform> transforms;  // value transformations in written order (not expand)
};

// Validates a modifier chain (names as written after the field). The error message names the
// offending modifier and why it is refused.
[[nodiscard]] Result<Modifiers> parse_modifiers(const std::vector<std::string>& names);

// A Sigma string value with its wildcards: `*` and `?` unless escaped (pySigma's escaping: a
// backslash escapes `*`, `?` and `\`; any other backslash is literal).
struct Glob {
  enum class Part : std::uint8_t { kLiteral, kStar, kQuestion };
  std::string chars;        // literal bytes (one per kLiteral part, placeholder otherwise)
  std::vector<Part> parts;  // same length as chars
  [[nodiscard]] bool has_wildcards() const noexcept;
  [[nodiscard]] std::string literal() const;  // the literal bytes (only valid without wildcards)
  void append_literal(std::string_view s);
  void append(const Glob& other);
  void prepend_star();
  void append_star();
};
[[nodiscard]] Glob parse_glob(std::string_view value);
// A glob whose every character is literal (wildcard characters included).
[[nodiscard]] Glob literal_glob(std::string_view value);

// Applies one transformation to a literal value (expand is handled by the loader). windash and
// base64offset produce several values.
[[nodiscard]] std::vector<std::string> apply_transform(Transform t, const std::string& value);

// IPv4 / IPv6 networks.
struct Network {
  std::array<std::uint8_t, 16> addr{};  // IPv4 in the first 4 bytes
  bool v6 = false;
  int prefix = 0;
};
// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128).
[[nodiscard]] std::optional<Network> parse_network(std::string_view text);
// Parses an address; returns false if `text` is not one.
[[nodiscard]] bool parse_address(std::string_view text, std::array<std::uint8_t, 16>& out,
                                 bool& v6);
[[nodiscard]] bool network_contains(const Network& net, const std::array<std::uint8_t, 16>& addr,
                                    bool v6) noexcept;

// Numbers in rule values and event values ("42", "-1.5", "1e3"); nullopt otherwise.
[[nodiscard]] std::optional<double> parse_number(std::string_view text) noexcept;

// ASCII lower-casing (Sigma's case-insensitive default is ASCII case folding in firebreak).
void fold_into(std::string_view in, std::string& out);
[[nodiscard]] std::string fold(std::string_view in);

}  // namespace firebreak::detect::detail
