#include "record_arena.h"

#include "state.h"

namespace firebreak::cloud::sim {

namespace detail {

void release_chunk(RecordChunk* c) {
  if (c->owner == nullptr) {
    delete c;
    return;
  }
  c->owner->recycle(c);
}

}  // namespace detail

RecordArena::~RecordArena() {
  if (current_ != nullptr && --current_->refs == 0) recycle(current_);
  current_ = nullptr;
  for (auto* c : all_) {
    if (c->refs == 0) {
      delete c;
    } else {
      c->owner = nullptr;  // a handle outlives the arena: it frees the chunk
    }
  }
}

detail::RecordChunk* RecordArena::new_chunk(std::size_t cap) {
  auto* c = new detail::RecordChunk;
  // No zero-fill: only the bytes appended are ever read.
  c->data = std::make_unique_for_overwrite<char[]>(cap);
  c->cap = cap;
  c->owner = this;
  c->index = static_cast<std::uint32_t>(all_.size());
  all_.push_back(c);
  reserved_ += cap;
  return c;
}

void RecordArena::recycle(detail::RecordChunk* c) {
  if (c->cap == kChunk) {
    c->used = 0;
    free_.push_back(c);
    return;
  }
  // An oversized chunk (one large record): freed.
  all_.back()->index = c->index;
  all_[c->index] = all_.back();
  all_.pop_back();
  reserved_ -= c->cap;
  delete c;
}

void RecordArena::release_free() {
  for (auto* c : free_) {
    all_.back()->index = c->index;
    all_[c->index] = all_.back();
    all_.pop_back();
    reserved_ -= c->cap;
    delete c;
  }
  free_.clear();
}

RecordHandle RecordArena::append(std::span<const std::string_view> parts) {
  std::size_t size = 0;
  for (const auto& p : parts) size += p.size();
  if (size > UINT32_MAX) sim_bug("record larger than 4 GiB");
  detail::RecordChunk* c = nullptr;
  if (size > kChunk / 4) {
    c = new_chunk(size);
  } else {
    if (current_ == nullptr || current_->cap - current_->used < size) {
      if (current_ != nullptr && --current_->refs == 0) recycle(current_);
      if (!free_.empty()) {
        current_ = free_.back();
        free_.pop_back();
      } else {
        current_ = new_chunk(kChunk);
      }
      current_->refs = 1;
    }
    c = current_;
  }
  const auto off = static_cast<std::uint32_t>(c->used);
  char* out = c->data.get() + off;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    std::memcpy(out, p.data(), p.size());
    out += p.size();
  }
  c->used += size;
  return RecordHandle(c, off, static_cast<std::uint32_t>(size));
}

}  // namespace firebreak::cloud::sim
