#include "lazy_body.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <vector>

#include "firebreak/core/hash.h"

namespace firebreak::cloud::sim {
namespace {

inline std::uint64_t word_at(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

LazyBody::~LazyBody() {
  if (spill != nullptr) std::fclose(spill);
}

std::string LazyBody::header_of(std::uint64_t size, std::uint64_t seed) {
  // LiME header: magic "EMiL", version 1, start and end physical address, reserved.
  std::string h(kHeader, '\0');
  const std::uint32_t magic = 0x4C694D45, version = 1;
  const std::uint64_t start = 0, end = size > kHeader ? size - kHeader - 1 : 0;
  std::memcpy(h.data(), &magic, 4);
  std::memcpy(h.data() + 4, &version, 4);
  std::memcpy(h.data() + 8, &start, 8);
  std::memcpy(h.data() + 16, &end, 8);
  const std::string tag = fmt::format("FIREBREAK-SIM {:016x}\n", seed);
  std::memcpy(h.data() + 32, tag.data(), std::min<std::size_t>(tag.size(), 32));
  if (size < kHeader) h.resize(size);
  return h;
}

std::shared_ptr<LazyBody> LazyBody::generate(std::uint64_t size, std::uint64_t seed) {
  auto b = std::make_shared<LazyBody>();
  b->size = size;
  b->seed = seed;
  b->generated = true;
  return b;
}

Status LazyBody::read(std::uint64_t offset, char* buf, std::size_t n) const {
  if (offset + n > size) return fail(ErrorCode::kInternal, "read past the end of a body");
  if (!generated) {
    if (std::fseek(spill, static_cast<long>(offset), SEEK_SET) != 0 ||
        std::fread(buf, 1, n, spill) != n)
      return fail(ErrorCode::kIo, "reading a spilled object body failed");
    return {};
  }
  std::size_t done = 0;
  if (offset < kHeader) {
    const std::string h = header_of(size, seed);
    const std::size_t take = std::min<std::size_t>(n, h.size() - offset);
    std::memcpy(buf, h.data() + offset, take);
    done = take;
  }
  while (done < n) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t w = word_at(seed, pos / 8);
    const std::size_t in_word = pos % 8;
    const std::size_t take = std::min<std::size_t>(8 - in_word, n - done);
    std::memcpy(buf + done, reinterpret_cast<const char*>(&w) + in_word, take);
    done += take;
  }
  return {};
}

const std::string& LazyBody::sha256_hex() {
  if (sha256) return *sha256;
  Sha256Stream h;
  std::vector<char> buf(1 << 20);
  for (std::uint64_t off = 0; off < size;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - off));
    if (!read(off, buf.data(), n)) break;
    h.update(std::string_view(buf.data(), n));
    off += n;
  }
  sha256 = to_hex(h.finish());
  return *sha256;
}

std::string LazyBody::etag() const {
  if (!generated && !md5_hex.empty()) return md5_hex;
  const std::uint64_t part = 8ull << 20;
  const std::uint64_t parts = size == 0 ? 1 : (size + part - 1) / part;
  return fmt::format("{:016x}{:016x}-{}", word_at(seed, 0xe7a9), word_at(seed, 0x7a9e), parts);
}

}  // namespace firebreak::cloud::sim
