#include "firebreak/core/ids.h"

#include <random>

namespace firebreak {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

__extension__ using uint128 = unsigned __int128;

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

IdGenerator::IdGenerator(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t IdGenerator::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t IdGenerator::uniform(std::uint64_t bound) {
  // Lemire's unbiased bounded integers, rejection on the low product.
  const std::uint64_t threshold = -bound % bound;
  for (;;) {
    const uint128 m = static_cast<uint128>(next_u64()) * bound;
    if (static_cast<std::uint64_t>(m) >= threshold) return static_cast<std::uint64_t>(m >> 64);
  }
}

double IdGenerator::unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::string IdGenerator::hex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = kHex[uniform(16)];
  return out;
}

std::string IdGenerator::aws_id(std::string_view prefix) {
  return std::string(prefix) + "-" + hex(17);
}

std::string IdGenerator::uuid() {
  std::string h = hex(32);
  h[12] = '4';
  h[16] = "89ab"[uniform(4)];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string IdGenerator::access_key_id(std::string_view prefix) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(prefix);
  for (int i = 0; i < 16; ++i) out += kAlphabet[uniform(32)];
  return out;
}

std::string IdGenerator::secret_access_key() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(40, 'A');
  for (auto& c : out) c = kAlphabet[uniform(64)];
  return out;
}

std::string IdGenerator::alnum(std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(n, 'A');
  for (auto& c : out) c = kAlphabet[uniform(62)];
  return out;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace firebreak
