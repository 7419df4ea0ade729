#include "ids.h"

namespace firebreak::cloud::sim {
namespace {

constexpr std::uint64_t kM1 = 0xbf58476d1ce4e5b9ULL;
constexpr std::uint64_t kM2 = 0x94d049bb133111ebULL;

constexpr std::uint64_t inverse(std::uint64_t a) {
  // Newton iteration for the inverse modulo 2^64 of an odd number.
  std::uint64_t x = a;
  for (int i = 0; i < 6; ++i) x *= 2 - a * x;
  return x;
}
constexpr std::uint64_t kI1 = inverse(kM1);
constexpr std::uint64_t kI2 = inverse(kM2);
static_assert(kM1 * kI1 == 1 && kM2 * kI2 == 1);

constexpr std::uint64_t unxorshift(std::uint64_t y, int s) {
  std::uint64_t x = y;
  for (int i = s; i < 64; i += s) x = y ^ (x >> s);
  return x;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

constexpr std::string_view kPrefixes[] = {
    "i",   "eni",      "eni-attach", "vol",      "snap",      "sg",  "sgr", "vpc", "subnet",
    "acl", "aclassoc", "eipalloc",   "eipassoc", "iip-assoc", "ami", "r",   "fl"};
static_assert(std::size(kPrefixes) == static_cast<std::size_t>(Kind::kCount));

}  // namespace

std::string_view kind_prefix(Kind k) noexcept { return kPrefixes[static_cast<std::size_t>(k)]; }

std::uint64_t IdCodec::mix(Kind k, std::uint64_t x) const {
  x ^= key_ + 0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(k) + 1);
  x = (x ^ (x >> 30)) * kM1;
  x = (x ^ (x >> 27)) * kM2;
  return x ^ (x >> 31);
}

std::uint64_t IdCodec::unmix(Kind k, std::uint64_t y) const {
  std::uint64_t x = unxorshift(y, 31);
  x *= kI2;
  x = unxorshift(x, 27);
  x *= kI1;
  x = unxorshift(x, 30);
  return x ^ (key_ + 0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(k) + 1));
}

void IdCodec::append(std::string& out, Kind k, Serial s) const {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append(kind_prefix(k));
  out.append("-0");
  const std::uint64_t v = mix(k, s);
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xf]);
}

std::string IdCodec::format(Kind k, Serial s) const {
  std::string out;
  out.reserve(32);
  append(out, k, s);
  return out;
}

std::optional<Serial> IdCodec::parse(Kind k, std::string_view id) const {
  const auto prefix = kind_prefix(k);
  if (id.size() != prefix.size() + 18 || !id.starts_with(prefix) || id[prefix.size()] != '-' ||
      id[prefix.size() + 1] != '0')
    return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = prefix.size() + 2; i < id.size(); ++i) {
    const int h = hexval(id[i]);
    if (h < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(h);
  }
  const std::uint64_t s = unmix(k, v);
  if (s >= kNoSerial) return std::nullopt;
  return static_cast<Serial>(s);
}

bool IdCodec::well_formed(Kind k, std::string_view id) {
  const auto prefix = kind_prefix(k);
  if (!id.starts_with(prefix) || id.size() <= prefix.size() + 1 || id[prefix.size()] != '-')
    return false;
  const auto hex = id.substr(prefix.size() + 1);
  if (hex.size() != 8 && hex.size() != 17) return false;
  for (char c : hex) {
    if (hexval(c) < 0) return false;
  }
  return true;
}

}  // namespace firebreak::cloud::sim
