#pragma once
// Identifier generation. IdGenerator is a seeded PRNG (xoshiro256**): the same seed gives the same
// ids, which game days and the simulator depend on for reproducibility. For live use, seed it from
// random_seed(). Not thread-safe: each owner (a simulator, a run) keeps its own.

#include <cstdint>
#include <string>
#include <string_view>

namespace firebreak {

class IdGenerator {
 public:
  explicit IdGenerator(std::uint64_t seed);

  [[nodiscard]] std::uint64_t next_u64();
  // Uniform in [0, bound); bound > 0.
  [[nodiscard]] std::uint64_t uniform(std::uint64_t bound);
  // Uniform double in [0, 1).
  [[nodiscard]] double unit();

  // `n` lower-case hex digits.
  [[nodiscard]] std::string hex(std::size_t n);
  // AWS resource id: "<prefix>-" + 17 hex digits ("i-0a1b2c3d4e5f67890").
  [[nodiscard]] std::string aws_id(std::string_view prefix);
  // RFC 4122 version-4 UUID text, as CloudTrail eventID and request ids use.
  [[nodiscard]] std::string uuid();
  // Access key id: prefix ("AKIA" long-term, "ASIA" temporary) + 16 of [A-Z2-7].
  [[nodiscard]] std::string access_key_id(std::string_view prefix = "AKIA");
  // 40-character secret access key from the base64 alphabet.
  [[nodiscard]] std::string secret_access_key();
  // `n` characters of [A-Za-z0-9].
  [[nodiscard]] std::string alnum(std::size_t n);

 private:
  std::uint64_t s_[4];
};

// A seed from the operating system's entropy source (for live, non-reproducible use).
[[nodiscard]] std::uint64_t random_seed();

}  // namespace firebreak
