#pragma once
// Private to the simulator: storage for CloudTrail records between the call that makes them and
// the consumers that read them later (trail delivery files, event history, EventBridge).
//
// A record is appended once into a chunk (1 MiB) and referred to by RecordHandles; the event
// history, each trail's pending list and a scheduled EventBridge envelope share the same bytes.
// A chunk goes back to the arena's free list when its last handle is gone and is reused, so
// that steady-state recording neither calls malloc per record nor touches fresh pages (both
// showed in profiles when every record was its own ~1.5 KiB heap string).
//
// Not thread-safe: like the rest of World::State, used with the world lock held. The arena must
// outlive every handle (World::State declares it before anything that holds one).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace firebreak::cloud::sim {

class RecordArena;

namespace detail {
struct RecordChunk {
  std::unique_ptr<char[]> data;
  std::size_t cap = 0;
  std::size_t used = 0;
  std::uint32_t refs = 0;
  std::uint32_t index = 0;       // position in the owner's list of chunks
  RecordArena* owner = nullptr;  // null once the arena is gone: the last handle frees the chunk
};
void release_chunk(RecordChunk* c);
}  // namespace detail

// A shared, immutable reference to a record's bytes.
class RecordHandle {
 public:
  RecordHandle() = default;
  RecordHandle(const RecordHandle& o) : c_(o.c_), off_(o.off_), len_(o.len_) {
    if (c_ != nullptr) ++c_->refs;
  }
  RecordHandle(RecordHandle&& o) noexcept : c_(o.c_), off_(o.off_), len_(o.len_) {
    o.c_ = nullptr;
    o.off_ = o.len_ = 0;
  }
  RecordHandle& operator=(RecordHandle o) noexcept {
    std::swap(c_, o.c_);
    std::swap(off_, o.off_);
    std::swap(len_, o.len_);
    return *this;
  }
  ~RecordHandle() {
    if (c_ != nullptr && --c_->refs == 0) detail::release_chunk(c_);
  }

  [[nodiscard]] std::string_view view() const {
    return c_ == nullptr ? std::string_view() : std::string_view(c_->data.get() + off_, len_);
  }
  [[nodiscard]] std::size_t size() const { return len_; }
  // A handle on bytes [off, off + len) of this one.
  [[nodiscard]] RecordHandle sub(std::uint32_t off, std::uint32_t len) const {
    if (c_ == nullptr) return {};
    return RecordHandle(c_, off_ + off, std::min(len, len_ - std::min(off, len_)));
  }
  [[nodiscard]] bool empty() const { return len_ == 0; }

 private:
  friend class RecordArena;
  RecordHandle(detail::RecordChunk* c, std::uint32_t off, std::uint32_t len)
      : c_(c), off_(off), len_(len) {
    ++c_->refs;
  }
  detail::RecordChunk* c_ = nullptr;
  std::uint32_t off_ = 0, len_ = 0;
};

class RecordArena {
 public:
  static constexpr std::size_t kChunk = std::size_t{1} << 20;

  RecordArena() = default;
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;
  ~RecordArena();

  // Copies `bytes` into the arena. Records larger than a quarter chunk get a chunk of their own
  // (freed, not pooled, when released).
  RecordHandle append(std::string_view bytes) { return append(std::span(&bytes, 1)); }
  // Appends the concatenation of `parts` as one record.
  RecordHandle append(std::span<const std::string_view> parts);

  // Frees the chunks on the free list (kept for reuse otherwise).
  void release_free();

  // Bytes held by chunks in use or on the free list.
  [[nodiscard]] std::size_t reserved_bytes() const { return reserved_; }

 private:
  friend void detail::release_chunk(detail::RecordChunk* c);
  detail::RecordChunk* new_chunk(std::size_t cap);
  void recycle(detail::RecordChunk* c);

  detail::RecordChunk* current_ = nullptr;  // holds one reference while current
  std::vector<detail::RecordChunk*> all_;   // every chunk (owned)
  std::vector<detail::RecordChunk*> free_;
  std::size_t reserved_ = 0;
};

}  // namespace firebreak::cloud::sim
