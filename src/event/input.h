#pragma once
// Private to the event module: byte sources read in chunks (files, memory, streaming gzip) and a
// sliding window over them with simdjson padding. Nothing here holds a whole file unless asked to.

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "firebreak/core/error.h"

namespace firebreak::event::detail {

// A source of bytes. read() returns the count read, 0 at the end, or an error (I/O, corrupt or
// truncated gzip). After an error or the end, further reads return the same.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  [[nodiscard]] virtual Result<std::size_t> read(char* buf, std::size_t n) = 0;

  // Bytes a stream already holds in memory can be lent instead of copied out by read(): a view
  // of its next bytes with simdjson::SIMDJSON_PADDING readable bytes after the view's end (their
  // content does not matter), valid as long as the stream; the stream moves past them. `rest`:
  // they are everything the stream has left. An empty view: nothing to lend (use read()).
  struct Lent {
    std::string_view bytes;
    bool rest = false;
  };
  [[nodiscard]] virtual Lent lend() { return {}; }
};

class MemoryStream final : public ByteStream {
 public:
  // `padded`: SIMDJSON_PADDING bytes after `data` are readable, so all of it can be lent;
  // otherwise all but its last SIMDJSON_PADDING bytes.
  explicit MemoryStream(std::string_view data, bool padded = false)
      : data_(data), padded_(padded) {}
  Result<std::size_t> read(char* buf, std::size_t n) override;
  Lent lend() override;

 private:
  std::string_view data_;
  bool padded_;
  std::size_t pos_ = 0;
};

class FileStream final : public ByteStream {
 public:
  static Result<std::unique_ptr<FileStream>> open(const std::filesystem::path& path);
  ~FileStream() override;
  Result<std::size_t> read(char* buf, std::size_t n) override;

 private:
  explicit FileStream(std::FILE* f) : f_(f) {}
  std::FILE* f_;
};

// Inflates a gzip (or zlib) stream from `src` as it is read, member after member (concatenated
// gzip members are one stream). Ending before the last member's trailer is an error ("truncated
// gzip data"), reported after every byte that could be inflated has been returned.
class GzipStream final : public ByteStream {
 public:
  explicit GzipStream(std::unique_ptr<ByteStream> src);
  ~GzipStream() override;
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;
  Result<std::size_t> read(char* buf, std::size_t n) override;

 private:
  std::unique_ptr<ByteStream> src_;
  z_stream zs_{};
  std::unique_ptr<char[]> in_;
  bool src_eof_ = false;
  bool done_ = false;
  bool member_open_ = true;  // inside a member (its trailer not yet seen)
  std::optional<Error> error_;
  std::uint64_t produced_ = 0;
};

[[nodiscard]] bool has_gzip_magic(std::string_view head) noexcept;

// Opens `path` for reading, inflating it when it starts with the gzip magic number.
[[nodiscard]] Result<std::unique_ptr<ByteStream>> open_input(const std::filesystem::path& path,
                                                             bool* gzipped = nullptr);
// The same over bytes in memory (not copied; they must outlive the stream). `padded`: see
// MemoryStream.
[[nodiscard]] std::unique_ptr<ByteStream> memory_input(std::string_view bytes, bool padded = false);

// Storage a Window can borrow and hand back, so a reader that reads many files reuses one buffer
// (fresh multi-megabyte buffers per file are mapped and page-faulted in every time).
struct WindowBuffer {
  std::unique_ptr<char[]> buf;  // cap bytes + simdjson padding
  std::size_t cap = 0;
};

// A growable window of bytes [begin, end) over a ByteStream. The buffer always has
// simdjson::SIMDJSON_PADDING readable bytes past `end`, so any slice can be handed to
// simdjson with realloc_if_needed = false. Consumed bytes are dropped when the window refills.
// When the stream lends its bytes (ByteStream::lend), the window starts as a view of them and
// copies nothing until fill() needs bytes beyond them; then the unconsumed part is copied into
// the window's own buffer and reading goes on from the stream.
class Window {
 public:
  // With `reuse`, the window starts with that buffer and gives its own back when destroyed.
  explicit Window(ByteStream& src, std::size_t chunk = 1u << 20, WindowBuffer* reuse = nullptr);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  [[nodiscard]] std::string_view view() const noexcept { return {base_ + begin_, end_ - begin_}; }
  [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }
  void consume(std::size_t n) noexcept { begin_ += n; }
  // Stream offset of view().data().
  [[nodiscard]] std::uint64_t offset() const noexcept { return dropped_ + begin_; }
  // Appends at least one more byte unless the stream is at its end (returns false then, and
  // error() says whether the end was an error). May move the data: views are invalidated.
  bool fill();
  [[nodiscard]] bool eof() const noexcept { return eof_; }
  // True while the window views bytes the stream lent (none copied into its own buffer yet).
  [[nodiscard]] bool lent() const noexcept { return lent_; }
  // True when the window already holds everything the stream has (it lent all its bytes, or the
  // end was reached without error): fill() would add nothing.
  [[nodiscard]] bool holds_all() const noexcept {
    return (lent_ && lent_rest_) || (eof_ && !error_);
  }
  [[nodiscard]] const std::optional<Error>& error() const noexcept { return error_; }
  // Fills until size() >= n or the end.
  void fill_to(std::size_t n) {
    while (size() < n && fill()) {
    }
  }

 private:
  void own_buffer();  // takes the reused buffer, or a fresh empty one

  ByteStream& src_;
  WindowBuffer* reuse_;
  std::size_t chunk_;
  std::size_t next_read_ = 64u << 10;
  std::unique_ptr<char[]> buf_;
  const char* base_ = nullptr;  // buf_, or the lent bytes
  bool lent_ = false, lent_rest_ = false;
  std::size_t cap_ = 0, begin_ = 0, end_ = 0;
  std::uint64_t dropped_ = 0;
  bool eof_ = false;
  std::optional<Error> error_;
};

}  // namespace firebreak::event::detail
