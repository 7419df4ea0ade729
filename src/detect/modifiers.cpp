#include "modifiers.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "firebreak/core/hash.h"

namespace firebreak::detect::detail {

Result<Modifiers> parse_modifiers(const std::vector<std::string>& names) {
  Modifiers m;
  bool have_position = false, have_type = false;
  auto set_type = [&](ValueType t, std::string_view name) -> Status {
    if (have_type && m.type != t) {
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("modifier '{}' cannot be combined with a previous type modifier", name));
    }
    have_type = true;
    m.type = t;
    return {};
  };
  for (const std::string& raw : names) {
    const std::string_view n = raw;
    if (n == "contains" || n == "startswith" || n == "endswith") {
      if (have_position) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("modifier '{}': only one of contains, startswith, endswith may "
                                "be used",
                                n));
      }
      have_position = true;
      m.position = n == "contains"     ? Position::kContains
                   : n == "startswith" ? Position::kStartsWith
                                       : Position::kEndsWith;
    } else if (n == "all") {
      m.all = true;
    } else if (n == "cased") {
      m.cased = true;
    } else if (n == "neq") {
      m.neq = true;
    } else if (n == "re") {
      FIREBREAK_TRY_STATUS(set_type(ValueType::kRegex, n));
    } else if (n == "i" || n == "m" || n == "s") {
      if (m.type != ValueType::kRegex) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("modifier '{}' is a sub-modifier of 're' and must follow it", n));
      }
      (n == "i" ? m.re_i : n == "m" ? m.re_m : m.re_s) = true;
    } else if (n == "cidr") {
      FIREBREAK_TRY_STATUS(set_type(ValueType::kCidr, n));
    } else if (n == "gt" || n == "gte" || n == "lt" || n == "lte") {
      FIREBREAK_TRY_STATUS(set_type(ValueType::kCompare, n));
      m.compare = n == "gt"    ? CompareOp::kGt
                  : n == "gte" ? CompareOp::kGte
                  : n == "lt"  ? CompareOp::kLt
                               : CompareOp::kLte;
    } else if (n == "exists") {
      FIREBREAK_TRY_STATUS(set_type(ValueType::kExists, n));
    } else if (n == "fieldref") {
      FIREBREAK_TRY_STATUS(set_type(ValueType::kFieldRef, n));
    } else if (n == "expand") {
      m.expand = true;
    } else if (n == "windash") {
      m.transforms.push_back(Transform::kWindash);
    } else if (n == "utf16le" || n == "wide") {
      m.transforms.push_back(Transform::kUtf16Le);
    } else if (n == "utf16be") {
      m.transforms.push_back(Transform::kUtf16Be);
    } else if (n == "utf16") {
      m.transforms.push_back(Transform::kUtf16Bom);
    } else if (n == "base64") {
      m.transforms.push_back(Transform::kBase64);
    } else if (n == "base64offset") {
      m.transforms.push_back(Transform::kBase64Offset);
    } else if (n == "minute" || n == "hour" || n == "day" || n == "week" || n == "month" ||
               n == "year") {
      return fail(ErrorCode::kUnsupported,
                  fmt::format("time modifier '{}' is not supported by firebreak", n));
    } else if (n.empty()) {
      return fail(ErrorCode::kInvalidArgument, "empty modifier (two '|' in a row)");
    } else {
      return fail(ErrorCode::kInvalidArgument, fmt::format("unknown modifier '{}'", n));
    }
  }

  // Combinations.
  const bool encoded = !m.transforms.empty();
  if (m.type != ValueType::kString && m.type != ValueType::kFieldRef) {
    if (have_position) {
      return fail(ErrorCode::kInvalidArgument,
                  "contains/startswith/endswith apply to strings and field references, not to "
                  "re, cidr, gt/gte/lt/lte or exists");
    }
    if (encoded) {
      return fail(ErrorCode::kInvalidArgument,
                  "encoding modifiers (base64, base64offset, utf16*, windash) apply to plain "
                  "string values only");
    }
    if (m.cased && m.type != ValueType::kRegex) {
      return fail(ErrorCode::kInvalidArgument, "'cased' applies to string values only");
    }
    if (m.neq) {
      return fail(ErrorCode::kInvalidArgument, "'neq' applies to string and numeric equality only");
    }
  }
  if (m.type == ValueType::kExists && (m.all || m.expand)) {
    return fail(ErrorCode::kInvalidArgument, "'exists' takes a single boolean and no modifiers");
  }
  if (m.type == ValueType::kFieldRef && (encoded || m.expand)) {
    return fail(ErrorCode::kInvalidArgument,
                "'fieldref' cannot be combined with encoding modifiers or expand");
  }
  bool seen_b64 = false;
  for (std::size_t i = 0; i < m.transforms.size(); ++i) {
    const Transform t = m.transforms[i];
    if (t == Transform::kBase64 || t == Transform::kBase64Offset) {
      if (seen_b64) return fail(ErrorCode::kInvalidArgument, "base64 applied twice");
      seen_b64 = true;
    } else if (t == Transform::kUtf16Le || t == Transform::kUtf16Be || t == Transform::kUtf16Bom) {
      // UTF-16 bytes only make sense inside an encoding: JSON event strings are UTF-8.
      bool followed = false;
      for (std::size_t j = i + 1; j < m.transforms.size(); ++j) {
        if (m.transforms[j] == Transform::kBase64 || m.transforms[j] == Transform::kBase64Offset)
          followed = true;
      }
      if (!followed) {
        return fail(ErrorCode::kUnsupported,
                    "utf16/utf16le/utf16be/wide without a following base64/base64offset cannot "
                    "match JSON logs (their strings are UTF-8)");
      }
    } else if (t == Transform::kWindash && seen_b64) {
      return fail(ErrorCode::kInvalidArgument, "windash must come before base64");
    }
  }
  for (Transform t : m.transforms) {
    if (t == Transform::kBase64Offset && m.position != Position::kContains) {
      return fail(ErrorCode::kInvalidArgument,
                  "'base64offset' needs 'contains' (the encoded value sits inside a longer "
                  "string)");
    }
  }
  return m;
}

// ---- Glob ----

bool Glob::has_wildcards() const noexcept {
  for (Part p : parts)
    if (p != Part::kLiteral) return true;
  return false;
}

std::string Glob::literal() const { return chars; }

void Glob::append_literal(std::string_view s) {
  chars.append(s);
  parts.insert(parts.end(), s.size(), Part::kLiteral);
}

void Glob::append(const Glob& o) {
  chars += o.chars;
  parts.insert(parts.end(), o.parts.begin(), o.parts.end());
}

void Glob::prepend_star() {
  if (!parts.empty() && parts.front() == Part::kStar) return;
  chars.insert(chars.begin(), '*');
  parts.insert(parts.begin(), Part::kStar);
}

void Glob::append_star() {
  if (!parts.empty() && parts.back() == Part::kStar) return;
  chars.push_back('*');
  parts.push_back(Part::kStar);
}

Glob parse_glob(std::string_view v) {
  Glob g;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\' && i + 1 < v.size() && (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
      g.chars.push_back(v[i + 1]);
      g.parts.push_back(Glob::Part::kLiteral);
      ++i;
    } else if (c == '*') {
      if (g.parts.empty() || g.parts.back() != Glob::Part::kStar) {
        g.chars.push_back('*');
        g.parts.push_back(Glob::Part::kStar);
      }
    } else if (c == '?') {
      g.chars.push_back('?');
      g.parts.push_back(Glob::Part::kQuestion);
    } else {
      g.chars.push_back(c);
      g.parts.push_back(Glob::Part::kLiteral);
    }
  }
  return g;
}

Glob literal_glob(std::string_view v) {
  Glob g;
  g.append_literal(v);
  return g;
}

// ---- transformations ----

namespace {

void windash_variants(const std::string& v, std::size_t from, std::string& cur,
                      std::vector<std::string>& out) {
  static constexpr std::string_view kDashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94",
                                                 "\xE2\x80\x95"};
  if (out.size() >= 4096) return;  // bounded: 5^k grows fast
  for (std::size_t i = from; i < v.size(); ++i) {
    if (v[i] == '-' || v[i] == '/') {
      for (std::string_view d : kDashes) {
        const std::size_t keep = cur.size();
        cur.append(d);
        windash_variants(v, i + 1, cur, out);
        cur.resize(keep);
      }
      return;
    }
    cur.push_back(v[i]);
  }
  out.push_back(cur);
}

std::string utf16(const std::string& v, bool big_endian, bool bom) {
  // Values are UTF-8; code points beyond the BMP become surrogate pairs.
  std::string out;
  auto put = [&](std::uint16_t u) {
    if (big_endian) {
      out.push_back(static_cast<char>(u >> 8));
      out.push_back(static_cast<char>(u & 0xff));
    } else {
      out.push_back(static_cast<char>(u & 0xff));
      out.push_back(static_cast<char>(u >> 8));
    }
  };
  if (bom) put(0xFEFF);
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xF0 && i + 3 < v.size() + 0) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(v[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<unsigned char>(v[i + 2]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(v[i + 3]) & 0x3Fu);
      len = 4;
    } else if (c >= 0xE0 && i + 2 < v.size()) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(v[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(v[i + 2]) & 0x3Fu);
      len = 3;
    } else if (c >= 0xC0 && i + 1 < v.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(v[i + 1]) & 0x3Fu);
      len = 2;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      put(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      put(static_cast<std::uint16_t>(cp));
    }
    i += len;
  }
  return out;
}

}  // namespace

std::vector<std::string> apply_transform(Transform t, const std::string& value) {
  switch (t) {
    case Transform::kExpand: return {value};
    case Transform::kWindash: {
      std::vector<std::string> out;
      std::string cur;
      windash_variants(value, 0, cur, out);
      return out;
    }
    case Transform::kUtf16Le: return {utf16(value, false, false)};
    case Transform::kUtf16Be: return {utf16(value, true, false)};
    case Transform::kUtf16Bom: return {utf16(value, false, true)};
    case Transform::kBase64: {
      // As pySigma: the standard encoding, padding included (use base64offset to find a value
      // inside a longer encoded string).
      return {base64_encode(value)};
    }
    case Transform::kBase64Offset: {
      // pySigma's algorithm: encode the value at byte offsets 0, 1 and 2 and keep the part of
      // each encoding that does not depend on the surrounding bytes.
      static constexpr std::size_t kStart[3] = {0, 2, 3};
      static constexpr int kEnd[3] = {0, -3, -2};
      std::vector<std::string> out;
      for (std::size_t i = 0; i < 3; ++i) {
        const std::string enc = base64_encode(std::string(i, ' ') + value);
        const int end = kEnd[(value.size() + i) % 3];
        const std::ptrdiff_t stop = static_cast<std::ptrdiff_t>(enc.size()) + end;
        if (stop <= static_cast<std::ptrdiff_t>(kStart[i])) continue;
        out.push_back(enc.substr(kStart[i], static_cast<std::size_t>(stop) - kStart[i]));
      }
      return out;
    }
  }
  return {value};
}

// ---- networks ----

bool parse_address(std::string_view text, std::array<std::uint8_t, 16>& out, bool& v6) {
  if (text.empty() || text.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out.fill(0);
  if (text.find(':') == std::string_view::npos) {
    v6 = false;
    return inet_pton(AF_INET, buf, out.data()) == 1;
  }
  v6 = true;
  return inet_pton(AF_INET6, buf, out.data()) == 1;
}

std::optional<Network> parse_network(std::string_view text) {
  Network n;
  const std::size_t slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  if (!parse_address(addr, n.addr, n.v6)) return std::nullopt;
  const int max = n.v6 ? 128 : 32;
  if (slash == std::string_view::npos) {
    n.prefix = max;
    return n;
  }
  const std::string_view p = text.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > max || p.empty())
    return std::nullopt;
  n.prefix = prefix;
  return n;
}

bool network_contains(const Network& net, const std::array<std::uint8_t, 16>& addr,
                      bool v6) noexcept {
  if (net.v6 != v6) return false;
  int bits = net.prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask =
        bits >= 8 ? std::uint8_t{0xFF} : static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((net.addr[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

std::optional<double> parse_number(std::string_view t) noexcept {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  if (t.front() == '+') t.remove_prefix(1);
  double d = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

void fold_into(std::string_view in, std::string& out) {
  // Called for every text a case-insensitive exact test meets (several per event), so it folds
  // eight bytes at a time: a byte is upper-case ASCII when its low seven bits are >= 'A' and
  // <= 'Z' and its top bit is clear; that byte gets 0x20 added (or'ed in).
  out.resize(in.size());
  const char* src = in.data();
  char* dst = out.data();
  const std::size_t n = in.size();
  std::size_t i = 0;
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, src + i, 8);
    const std::uint64_t low7 = x & (kOnes * 0x7f);
    const std::uint64_t ge_a = low7 + kOnes * (0x80 - 'A');
    const std::uint64_t gt_z = low7 + kOnes * (0x80 - 'Z' - 1);
    const std::uint64_t upper = ge_a & ~gt_z & ~x & (kOnes * 0x80);
    x |= upper >> 2;
    std::memcpy(dst + i, &x, 8);
  }
  for (; i < n; ++i) {
    const char c = src[i];
    dst[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
}

std::string fold(std::string_view in) {
  std::string out;
  fold_into(in, out);
  return out;
}

}  // namespace firebreak::detect::detail
