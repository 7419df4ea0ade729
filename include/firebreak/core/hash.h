#pragma once
// Hashing and encoding through OpenSSL: SHA-256 (one-shot and streaming), HMAC-SHA256, hex and
// base64. Used by SigV4, the evidence ledger and the artifact store.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace firebreak {

using Sha256Digest = std::array<std::uint8_t, 32>;

[[nodiscard]] Sha256Digest sha256(std::string_view data);
[[nodiscard]] Sha256Digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);
[[nodiscard]] Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// Incremental SHA-256 for streams of any length in constant memory. Not copyable.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;

  void update(std::string_view data);
  void update(std::span<const std::uint8_t> data);
  // Returns the digest; the stream must not be updated afterwards.
  [[nodiscard]] Sha256Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
[[nodiscard]] inline std::string to_hex(const Sha256Digest& d) { return to_hex(std::span(d)); }
[[nodiscard]] std::string sha256_hex(std::string_view data);
// Decodes lower- or upper-case hex; nullopt on odd length or a non-hex digit.
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex);

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Decodes standard base64 (with or without padding); nullopt if malformed.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace firebreak
