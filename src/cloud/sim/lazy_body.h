#pragma once
// Private to the simulator: object bodies that are not held in memory.
//
// A generated body (a memory image, a large log) is a deterministic function of (seed, offset):
// its first 64 bytes carry a LiME-style header naming the seed, the rest is pseudo-random words.
// Reading any range regenerates it; its SHA-256 is computed once, on demand, and cached.
// Uploads that are byte-for-byte copies of a generated body are recognised (by the header) and
// stored as a reference to it; other large uploads spill to an anonymous temporary file.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "firebreak/core/error.h"

namespace firebreak::cloud::sim {

struct LazyBody {
  std::uint64_t size = 0;
  std::uint64_t seed = 0;
  bool generated = true;
  std::FILE* spill = nullptr;         // owned; content of a spilled upload
  std::optional<std::string> sha256;  // hex, cached
  std::string md5_hex;                // spilled uploads: MD5 of the content

  LazyBody() = default;
  LazyBody(const LazyBody&) = delete;
  LazyBody& operator=(const LazyBody&) = delete;
  ~LazyBody();

  static constexpr std::size_t kHeader = 64;
  // A generated body of `size` bytes.
  static std::shared_ptr<LazyBody> generate(std::uint64_t size, std::uint64_t seed);
  // The first min(64, size) bytes of a generated body with this seed and size.
  static std::string header_of(std::uint64_t size, std::uint64_t seed);

  // Copies bytes [offset, offset + n) into buf.
  [[nodiscard]] Status read(std::uint64_t offset, char* buf, std::size_t n) const;
  // SHA-256 (hex) of the whole body, computed on first use.
  [[nodiscard]] const std::string& sha256_hex();
  // ETag as S3 gives multipart uploads of this size ("<md5>-<parts>").
  [[nodiscard]] std::string etag() const;
};

}  // namespace firebreak::cloud::sim
