#include "input.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>

namespace firebreak::event::detail {

namespace {
constexpr std::size_t kInChunk = 256u << 10;
}

Result<std::size_t> MemoryStream::read(char* buf, std::size_t n) {
  const std::size_t k = std::min(n, data_.size() - pos_);
  if (k) std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

ByteStream::Lent MemoryStream::lend() {
  const std::size_t end = padded_ ? data_.size()
                                  : (data_.size() > simdjson::SIMDJSON_PADDING
                                         ? data_.size() - simdjson::SIMDJSON_PADDING
                                         : 0);
  if (end <= pos_) return {};
  Lent out{data_.substr(pos_, end - pos_), end == data_.size()};
  pos_ = end;
  return out;
}

Result<std::unique_ptr<FileStream>> FileStream::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorCode::kIo, "is a directory", ErrorContext{.where = path.string()});
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    const int e = errno;
    return fail(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot open: {}", std::strerror(e)),
                ErrorContext{.where = path.string()});
  }
  return std::unique_ptr<FileStream>(new FileStream(f));
}

FileStream::~FileStream() { std::fclose(f_); }

Result<std::size_t> FileStream::read(char* buf, std::size_t n) {
  const std::size_t k = std::fread(buf, 1, n, f_);
  if (k == 0 && std::ferror(f_)) {
    return fail(ErrorCode::kIo, fmt::format("read failed: {}", std::strerror(errno)));
  }
  return k;
}

GzipStream::GzipStream(std::unique_ptr<ByteStream> src)
    : src_(std::move(src)), in_(new char[kInChunk]) {
  // 15 + 32: any window size, gzip or zlib header detected automatically.
  if (inflateInit2(&zs_, 15 + 32) != Z_OK) {
    error_ = Error(ErrorCode::kInternal, "zlib inflateInit failed");
    done_ = true;
  }
}

GzipStream::~GzipStream() { inflateEnd(&zs_); }

Result<std::size_t> GzipStream::read(char* buf, std::size_t n) {
  std::size_t out = 0;
  while (out < n && !done_) {
    if (zs_.avail_in == 0 && !src_eof_) {
      auto got = src_->read(in_.get(), kInChunk);
      if (!got) {
        error_ = got.error();
        done_ = true;
        break;
      }
      if (*got == 0) {
        src_eof_ = true;
      } else {
        zs_.next_in = reinterpret_cast<Bytef*>(in_.get());
        zs_.avail_in = static_cast<uInt>(*got);
      }
    }
    if (zs_.avail_in == 0 && src_eof_) {
      if (member_open_) {
        error_ = Error(ErrorCode::kParse,
                       fmt::format("truncated gzip data: the stream ends inside a member after {} "
                                   "inflated bytes",
                                   produced_));
      }
      done_ = true;
      break;
    }
    if (!member_open_) {
      // Bytes after a member's trailer: another member follows (concatenated gzip), unless they
      // are trailing zero padding, which some writers add.
      bool all_zero = true;
      for (uInt i = 0; i < zs_.avail_in; ++i) all_zero = all_zero && zs_.next_in[i] == 0;
      if (all_zero) {
        zs_.avail_in = 0;
        continue;
      }
      if (inflateReset(&zs_) != Z_OK) {
        error_ = Error(ErrorCode::kInternal, "zlib inflateReset failed");
        done_ = true;
        break;
      }
      member_open_ = true;
    }
    zs_.next_out = reinterpret_cast<Bytef*>(buf + out);
    zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(n - out, 1u << 30));
    const uInt before = zs_.avail_out;
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    const std::size_t made = before - zs_.avail_out;
    out += made;
    produced_ += made;
    if (rc == Z_STREAM_END) {
      member_open_ = false;
    } else if (rc == Z_BUF_ERROR) {
      // No progress possible: needs more input (handled above) or more output space.
      if (zs_.avail_in != 0 && made == 0 && zs_.avail_out != 0) {
        error_ = Error(ErrorCode::kParse, "corrupt gzip data");
        done_ = true;
      }
    } else if (rc != Z_OK) {
      error_ =
          Error(ErrorCode::kParse, fmt::format("corrupt gzip data after {} inflated bytes: {}",
                                               produced_, zs_.msg ? zs_.msg : "inflate failed"));
      done_ = true;
    }
  }
  if (out > 0) return out;
  if (error_) return std::unexpected(*error_);
  return std::size_t{0};
}

bool has_gzip_magic(std::string_view b) noexcept {
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
         static_cast<unsigned char>(b[1]) == 0x8b;
}

namespace {
// Replays the peeked head bytes, then continues with the stream.
class PrefixedStream final : public ByteStream {
 public:
  PrefixedStream(std::string head, std::unique_ptr<ByteStream> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}
  Result<std::size_t> read(char* buf, std::size_t n) override {
    if (pos_ < head_.size()) {
      const std::size_t k = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return rest_->read(buf, n);
  }

 private:
  std::string head_;
  std::size_t pos_ = 0;
  std::unique_ptr<ByteStream> rest_;
};
}  // namespace

namespace {

// Whole-buffer inflation: libdeflate inflates a gzip member in one call about twice as fast as
// zlib's streaming inflate, which matters for the many small files of a trail (a delivery file is
// ~10-200 KB compressed). Used when the compressed file and its inflated size (the gzip trailer's
// ISIZE) are both small; anything else streams through zlib with bounded memory.
constexpr std::size_t kWholeCompressedMax = 4u << 20;
constexpr std::size_t kWholeInflatedMax = 16u << 20;

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
};

// Per-thread scratch: the decompressor, and the output buffer of the last file (taken while a
// stream uses it, so it is never shared), so consecutive files reuse memory already faulted in.
struct InflateScratch {
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> decompressor;
  std::unique_ptr<char[]> out;  // cap bytes + simdjson padding
  std::size_t cap = 0;
};
thread_local InflateScratch t_scratch;

// Serves a gzip file held in memory. On first read it tries libdeflate on the whole input; if that
// cannot do it in one go (several members, trailing padding, corrupt or truncated data, a size
// mismatch) it streams the same bytes through GzipStream instead, so every error and every byte of
// partial output is exactly what the streaming path gives.
class WholeGzipStream final : public ByteStream {
 public:
  WholeGzipStream(std::string owned, std::string_view gz) : owned_(std::move(owned)), gz_(gz) {
    if (!owned_.empty()) gz_ = owned_;
  }
  ~WholeGzipStream() override {
    if (out_ && out_cap_ > t_scratch.cap && out_cap_ <= kWholeInflatedMax) {
      t_scratch.out = std::move(out_);
      t_scratch.cap = out_cap_;
    }
  }
  WholeGzipStream(const WholeGzipStream&) = delete;
  WholeGzipStream& operator=(const WholeGzipStream&) = delete;

  Result<std::size_t> read(char* buf, std::size_t n) override {
    if (!started_) start();
    if (fallback_) return fallback_->read(buf, n);
    const std::size_t k = std::min(n, size_ - pos_);
    if (k) std::memcpy(buf, out_.get() + pos_, k);
    pos_ += k;
    return k;
  }

  // The inflated bytes are parsed where libdeflate wrote them (the buffer has simdjson padding).
  Lent lend() override {
    if (!started_) start();
    if (fallback_ || pos_ == size_) return {};
    Lent out{std::string_view(out_.get() + pos_, size_ - pos_), true};
    pos_ = size_;
    return out;
  }

 private:
  void start() {
    started_ = true;
    if (!inflate_whole()) {
      fallback_ = std::make_unique<GzipStream>(std::make_unique<MemoryStream>(gz_));
    }
  }

  bool inflate_whole() {
    if (gz_.size() < 18) return false;
    const auto* t = reinterpret_cast<const unsigned char*>(gz_.data() + gz_.size() - 4);
    const std::size_t isize = static_cast<std::size_t>(t[0]) | static_cast<std::size_t>(t[1]) << 8 |
                              static_cast<std::size_t>(t[2]) << 16 |
                              static_cast<std::size_t>(t[3]) << 24;
    if (isize == 0 || isize > kWholeInflatedMax) return false;
    if (!t_scratch.decompressor) t_scratch.decompressor.reset(libdeflate_alloc_decompressor());
    if (!t_scratch.decompressor) return false;
    if (t_scratch.out && t_scratch.cap >= isize) {
      out_ = std::move(t_scratch.out);
      out_cap_ = t_scratch.cap;
      t_scratch.cap = 0;
    } else {
      out_.reset(new char[isize + simdjson::SIMDJSON_PADDING]);
      out_cap_ = isize;
    }
    std::size_t in_used = 0, out_used = 0;
    const auto rc =
        libdeflate_gzip_decompress_ex(t_scratch.decompressor.get(), gz_.data(), gz_.size(),
                                      out_.get(), isize, &in_used, &out_used);
    // One member that fills exactly ISIZE bytes and ends the input: anything else (another
    // member, padding, damage) is left to the streaming path.
    if (rc != LIBDEFLATE_SUCCESS || in_used != gz_.size() || out_used != isize) return false;
    size_ = out_used;
    std::memset(out_.get() + size_, 0, simdjson::SIMDJSON_PADDING);
    return true;
  }

  std::string owned_;
  std::string_view gz_;
  bool started_ = false;
  std::unique_ptr<char[]> out_;  // out_cap_ bytes + simdjson padding
  std::size_t out_cap_ = 0, size_ = 0, pos_ = 0;
  std::unique_ptr<GzipStream> fallback_;
};

}  // namespace

Result<std::unique_ptr<ByteStream>> open_input(const std::filesystem::path& path, bool* gzipped) {
  FIREBREAK_TRY(auto file, FileStream::open(path));
  char head[2];
  std::size_t got = 0;
  while (got < 2) {
    FIREBREAK_TRY(std::size_t k, file->read(head + got, 2 - got));
    if (k == 0) break;
    got += k;
  }
  const bool gz = has_gzip_magic(std::string_view(head, got));
  if (gzipped) *gzipped = gz;
  if (gz) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size <= kWholeCompressedMax) {
      // Small enough to inflate whole: read the compressed bytes in one go.
      std::string bytes(head, got);
      bytes.resize(static_cast<std::size_t>(size) + 1);
      std::size_t have = got;
      for (;;) {
        if (have == bytes.size()) bytes.resize(bytes.size() * 2);
        FIREBREAK_TRY(std::size_t k, file->read(bytes.data() + have, bytes.size() - have));
        if (k == 0) break;
        have += k;
      }
      bytes.resize(have);
      return std::unique_ptr<ByteStream>(
          std::make_unique<WholeGzipStream>(std::move(bytes), std::string_view{}));
    }
  }
  auto raw = std::make_unique<PrefixedStream>(std::string(head, got), std::move(file));
  if (gz) return std::unique_ptr<ByteStream>(std::make_unique<GzipStream>(std::move(raw)));
  return std::unique_ptr<ByteStream>(std::move(raw));
}

std::unique_ptr<ByteStream> memory_input(std::string_view bytes, bool padded) {
  if (has_gzip_magic(bytes)) {
    if (bytes.size() <= kWholeCompressedMax) {
      return std::make_unique<WholeGzipStream>(std::string{}, bytes);
    }
    return std::make_unique<GzipStream>(std::make_unique<MemoryStream>(bytes));
  }
  return std::make_unique<MemoryStream>(bytes, padded);
}

Window::Window(ByteStream& src, std::size_t chunk, WindowBuffer* reuse)
    : src_(src), reuse_(reuse), chunk_(chunk) {
  if (const auto lent = src_.lend(); !lent.bytes.empty()) {
    lent_ = true;
    lent_rest_ = lent.rest;
    base_ = lent.bytes.data();
    end_ = lent.bytes.size();
    return;
  }
  own_buffer();
}

void Window::own_buffer() {
  if (reuse_ && reuse_->buf) {
    buf_ = std::move(reuse_->buf);
    cap_ = reuse_->cap;
    std::memset(buf_.get(), 0, simdjson::SIMDJSON_PADDING);
  } else {
    buf_.reset(new char[simdjson::SIMDJSON_PADDING]());
    cap_ = 0;
  }
  base_ = buf_.get();
}

Window::~Window() {
  // Buffers that grew for an unusually large document are not kept.
  constexpr std::size_t kKeepAtMost = 16u << 20;
  if (reuse_ && cap_ > 0 && cap_ <= kKeepAtMost) {
    reuse_->buf = std::move(buf_);
    reuse_->cap = cap_;
  }
}

bool Window::fill() {
  if (eof_) return false;
  if (lent_) {
    if (lent_rest_) {
      eof_ = true;
      return false;
    }
    // Bytes beyond the lent ones are wanted: keep the unconsumed lent bytes in an own buffer.
    const char* lent = base_ + begin_;
    const std::size_t keep = end_ - begin_;
    dropped_ += begin_;
    begin_ = end_ = 0;
    lent_ = false;
    own_buffer();
    if (cap_ < keep + chunk_) {
      cap_ = keep + chunk_;
      buf_.reset(new char[cap_ + simdjson::SIMDJSON_PADDING]);
      base_ = buf_.get();
    }
    std::memcpy(buf_.get(), lent, keep);
    end_ = keep;
    std::memset(buf_.get() + end_, 0, simdjson::SIMDJSON_PADDING);
  }
  if (begin_ > 0 && (begin_ >= cap_ / 2 || cap_ - end_ < chunk_ / 2)) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    dropped_ += begin_;
    begin_ = 0;
  }
  // Reads start small and grow to `chunk_`, so small files (most delivery files, findings) do not
  // pay for a large buffer.
  const std::size_t want = std::min(chunk_, std::max<std::size_t>(next_read_, 4096));
  next_read_ = std::min(chunk_, want * 2);
  if (cap_ - end_ < want) {
    std::size_t cap = std::max(cap_ * 2, end_ + want);
    std::unique_ptr<char[]> grown(new char[cap + simdjson::SIMDJSON_PADDING]);
    if (end_) std::memcpy(grown.get(), buf_.get(), end_);
    buf_ = std::move(grown);
    base_ = buf_.get();
    cap_ = cap;
  }
  for (;;) {
    auto got = src_.read(buf_.get() + end_, cap_ - end_);
    if (!got) {
      error_ = got.error();
      eof_ = true;
      break;
    }
    if (*got == 0) {
      eof_ = true;
      break;
    }
    end_ += *got;
    std::memset(buf_.get() + end_, 0, simdjson::SIMDJSON_PADDING);
    return true;
  }
  if (buf_) std::memset(buf_.get() + end_, 0, simdjson::SIMDJSON_PADDING);
  return false;
}

}  // namespace firebreak::event::detail
