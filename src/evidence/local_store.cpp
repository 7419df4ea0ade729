#include "firebreak/evidence/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "firebreak/core/fs.h"
#include "firebreak/core/hash.h"
#include "firebreak/core/log.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kDirectAlign = 4096;

Error os_error(const fs::path& path, std::string_view what, int err) {
  return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
               fmt::format("{}: {}", what, std::strerror(err)),
               ErrorContext{.where = path.string()});
}

Status fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(os_error(dir, "cannot open directory", errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(os_error(dir, "fsync of directory failed", err));
  return {};
}

Status make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return fail(os_error(dir, "cannot create directory", errno));
  }
  return {};
}

Status write_all(int fd, const char* data, std::size_t n) {
  std::size_t off = 0;
  while (off < n) {
    const ssize_t w = ::write(fd, data + off, n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, fmt::format("write failed: {}", std::strerror(errno)));
    }
    off += static_cast<std::size_t>(w);
  }
  return {};
}

// Writes `data` to a new file `path` with mode 0444; never replaces an existing file
// (kAlreadyExists). Temporary + fsync + link + fsync(dir).
Status write_new_readonly(const fs::path& path, std::string_view data) {
  const fs::path dir = path.parent_path();
  std::string tmpl = (dir / ".new-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return fail(os_error(path, "cannot create temporary file", errno));
  auto w = write_all(fd, data.data(), data.size());
  const bool ok = w && ::fchmod(fd, 0444) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmpl.c_str());
    return w ? fail(os_error(path, "cannot write", err)) : fail(w.error().at(path.string()));
  }
  const int rc = ::link(tmpl.c_str(), path.c_str());
  const int link_err = errno;
  ::unlink(tmpl.c_str());
  if (rc != 0) {
    if (link_err == EEXIST) {
      return fail(ErrorCode::kAlreadyExists, "already exists",
                  ErrorContext{.where = path.string()});
    }
    return fail(os_error(path, "cannot link into place", link_err));
  }
  return fsync_dir(dir);
}

// Replaces the retention file atomically (the date only ever moves later; callers check).
Status write_retention(const fs::path& path, TimePoint until) {
  return write_file_atomic(path, record_time(until) + "\n",
                           fs::perms::owner_read | fs::perms::group_read);
}

Result<TimePoint> read_retention(const fs::path& path) {
  FIREBREAK_TRY(std::string text, read_file(path, 256));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto t = parse_iso8601(text);
  if (!t) {
    return fail(ErrorCode::kParse, "retention file does not hold an RFC 3339 time",
                ErrorContext{.where = path.string()});
  }
  return *t;
}

// Hashes a whole file (dedupe check against an existing object).
Result<std::pair<std::string, std::uint64_t>> hash_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(os_error(path, "cannot open", errno));
  Sha256Stream h;
  std::vector<char> buf(1u << 20);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(os_error(path, "read failed", err));
    }
    if (n == 0) break;
    h.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return std::pair{to_hex(h.finish()), total};
}

struct AlignedFree {
  void operator()(char* p) const { std::free(p); }
};

class LocalReader final : public ArtifactReader {
 public:
  LocalReader(int fd, std::string sha256, std::uint64_t size, fs::path path)
      : fd_(fd), sha256_(std::move(sha256)), size_(size), path_(std::move(path)) {}
  ~LocalReader() override { ::close(fd_); }

  Result<std::size_t> read(std::span<char> buf) override {
    if (finished_) return std::size_t{0};
    for (;;) {
      const ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(os_error(path_, "read failed", errno));
      }
      if (n > 0) {
        hash_.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        read_ += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
      }
      break;
    }
    finished_ = true;
    const std::string actual = to_hex(hash_.finish());
    if (actual != sha256_ || read_ != size_) {
      return fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("artifact {} is corrupt: its {} bytes hash to {}", sha256_, read_, actual),
          ErrorContext{.where = path_.string()});
    }
    return std::size_t{0};
  }
  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::string sha256_;
  std::uint64_t size_;
  fs::path path_;
  Sha256Stream hash_;
  std::uint64_t read_ = 0;
  bool finished_ = false;
};

}  // namespace

class LocalWriter final : public ArtifactWriter {
 public:
  LocalWriter(LocalWormStore& store, ArtifactSpec spec, int fd, fs::path tmp, bool direct,
              std::unique_ptr<char, AlignedFree> buf, std::size_t cap)
      : store_(store),
        spec_(std::move(spec)),
        fd_(fd),
        tmp_(std::move(tmp)),
        direct_(direct),
        buf_(std::move(buf)),
        cap_(cap),
        started_(spec_.started.value_or(store.clock_.now())) {}
  ~LocalWriter() override { abort(); }

  Status write(std::string_view chunk) override {
    if (fd_ < 0) return fail(ErrorCode::kFailedPrecondition, "artifact writer is finished");
    hash_.update(chunk);
    written_ += chunk.size();
    while (!chunk.empty()) {
      const std::size_t n = std::min(chunk.size(), cap_ - used_);
      std::memcpy(buf_.get() + used_, chunk.data(), n);
      used_ += n;
      chunk.remove_prefix(n);
      if (used_ == cap_) FIREBREAK_TRY_STATUS(flush(false));
    }
    return {};
  }

  Result<ArtifactInfo> commit() override {
    if (fd_ < 0) return fail(ErrorCode::kFailedPrecondition, "artifact writer is finished");
    auto r = commit_impl();
    abort();  // closes and removes the temporary (already linked into place on success)
    return r;
  }

  void abort() override {
    if (fd_ < 0) return;
    ::close(fd_);  // also releases the flock
    fd_ = -1;
    ::unlink(tmp_.c_str());
  }

  std::uint64_t bytes_written() const override { return written_; }

 private:
  // Writes the buffer. With O_DIRECT only whole aligned blocks can go; the remainder is written
  // through the page cache at the end (`last`).
  Status flush(bool last) {
    if (used_ == 0) return {};
    std::size_t n = used_;
    if (direct_) {
      n = used_ / kDirectAlign * kDirectAlign;
      if (n > 0) {
        if (auto w = write_all(fd_, buf_.get(), n); !w) return fail(w.error().at(tmp_.string()));
      }
      std::memmove(buf_.get(), buf_.get() + n, used_ - n);
      used_ -= n;
      if (!last || used_ == 0) return {};
      const int flags = ::fcntl(fd_, F_GETFL);
      if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) {
        return fail(os_error(tmp_, "cannot leave O_DIRECT", errno));
      }
      direct_ = false;
      n = used_;
    }
    if (auto w = write_all(fd_, buf_.get(), n); !w) return fail(w.error().at(tmp_.string()));
    used_ = 0;
    return {};
  }

  Result<ArtifactInfo> commit_impl() {
    FIREBREAK_TRY_STATUS(flush(true));
    if (::fchmod(fd_, 0444) != 0) return fail(os_error(tmp_, "chmod failed", errno));
    if (::fsync(fd_) != 0) return fail(os_error(tmp_, "fsync failed", errno));
    const std::string sha = to_hex(hash_.finish());
    if (spec_.expected_sha256 && *spec_.expected_sha256 != sha) {
      return fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("artifact content hashes to {}, expected {}", sha, *spec_.expected_sha256));
    }
    const fs::path& root = store_.root_;
    const std::string fan = sha.substr(0, 2);
    const fs::path obj_dir = root / "objects" / fan;
    FIREBREAK_TRY_STATUS(make_dir(obj_dir));
    const fs::path obj = obj_dir / sha;
    // link(2) never replaces: a committed object is never overwritten, not even by a racer.
    if (::link(tmp_.c_str(), obj.c_str()) != 0) {
      if (errno != EEXIST) return fail(os_error(obj, "cannot link object into place", errno));
      FIREBREAK_TRY(auto existing, hash_file(obj));
      if (existing.first != sha || existing.second != written_) {
        return fail(ErrorCode::kFailedPrecondition,
                    fmt::format("stored object {} is corrupt (hashes to {}); not replacing it", sha,
                                existing.first),
                    ErrorContext{.where = obj.string()});
      }
    }
    FIREBREAK_TRY_STATUS(fsync_dir(obj_dir));

    const TimePoint now = store_.clock_.now();
    TimePoint until = spec_.retain_until.value_or(
        now + std::chrono::hours(24) *
                  spec_.retain_days.value_or(store_.options_.default_retention_days));
    {
      std::lock_guard lk(store_.mu_);
      const fs::path ret_dir = root / "retention" / fan;
      FIREBREAK_TRY_STATUS(make_dir(ret_dir));
      const fs::path ret = ret_dir / sha;
      auto current = read_retention(ret);
      if (current && *current >= until) {
        until = *current;  // never shortened
      } else {
        FIREBREAK_TRY_STATUS(write_retention(ret, until));
      }
    }

    ArtifactInfo info{.incident = spec_.incident,
                      .name = spec_.name,
                      .source = spec_.source,
                      .tool = spec_.tool,
                      .tool_version = spec_.tool_version,
                      .media_type = spec_.media_type,
                      .sha256 = sha,
                      .size = written_,
                      .started = started_,
                      .committed = now,
                      .retain_until = until,
                      .backend = "local",
                      .location = "objects/" + fan + "/" + sha,
                      .lock_mode = ""};
    FIREBREAK_TRY(fs::path meta_dir, safe_join(root / "meta", spec_.incident));
    FIREBREAK_TRY_STATUS(make_dir(meta_dir));
    const std::string meta = canonical_json(to_json(info)) + "\n";
    for (int n = 1;; ++n) {
      auto w = write_new_readonly(meta_dir / fmt::format("{}.{}.json", sha, n), meta);
      if (w) break;
      if (w.error().code() != ErrorCode::kAlreadyExists || n > 100000) return fail(w.error());
    }
    return info;
  }

  LocalWormStore& store_;
  ArtifactSpec spec_;
  int fd_;
  fs::path tmp_;
  bool direct_;
  std::unique_ptr<char, AlignedFree> buf_;
  std::size_t cap_;
  std::size_t used_ = 0;
  TimePoint started_;
  Sha256Stream hash_;
  std::uint64_t written_ = 0;
};

LocalWormStore::LocalWormStore(fs::path root, Clock& clock, LocalStoreOptions options)
    : root_(std::move(root)), clock_(clock), options_(options) {}

Result<std::unique_ptr<LocalWormStore>> LocalWormStore::open(const fs::path& root, Clock& clock,
                                                             LocalStoreOptions options) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return fail(ErrorCode::kIo, "cannot create artifact store: " + ec.message(),
                ErrorContext{.where = root.string()});
  }
  for (const char* sub : {"objects", "retention", "meta", "tmp"}) {
    FIREBREAK_TRY_STATUS(make_dir(root / sub));
  }
  options.buffer_bytes =
      std::max<std::size_t>(kDirectAlign, options.buffer_bytes / kDirectAlign * kDirectAlign);
  std::unique_ptr<LocalWormStore> store(new LocalWormStore(root, clock, options));
  FIREBREAK_TRY(std::size_t removed, store->collect_abandoned_writes());
  if (removed > 0) log::info("{}: removed {} abandoned partial writes", root.string(), removed);
  return store;
}

Result<std::unique_ptr<ArtifactWriter>> LocalWormStore::begin(ArtifactSpec spec) {
  FIREBREAK_TRY_STATUS(validate_incident_id(spec.incident));
  if (spec.expected_sha256 && !is_sha256_hex(*spec.expected_sha256)) {
    return fail(ErrorCode::kInvalidArgument, "expected SHA-256 is not 64 lower-case hex digits");
  }
  for (const std::string* s : {&spec.name, &spec.source.id, &spec.source.detail, &spec.tool,
                               &spec.tool_version, &spec.media_type}) {
    if (s->size() > 4096) {
      return fail(ErrorCode::kLimitExceeded, "artifact metadata field longer than 4096 bytes");
    }
  }
  std::string tmpl = (root_ / "tmp" / "XXXXXX.part").string();
  const int fd = ::mkstemps(tmpl.data(), 5);
  if (fd < 0) return fail(os_error(root_ / "tmp", "cannot create temporary file", errno));
  // The lock tells collect_abandoned_writes() that a live writer owns the file.
  ::flock(fd, LOCK_EX | LOCK_NB);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  // O_DIRECT keeps multi-GB captures out of the page cache and makes the final fsync cheap; file
  // systems without it (tmpfs) fall back to buffered writes.
  const int flags = ::fcntl(fd, F_GETFL);
  const bool direct = flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0;
  void* mem = nullptr;
  if (::posix_memalign(&mem, kDirectAlign, options_.buffer_bytes) != 0) {
    ::close(fd);
    ::unlink(tmpl.c_str());
    return fail(ErrorCode::kInternal, "cannot allocate the write buffer");
  }
  return std::unique_ptr<ArtifactWriter>(new LocalWriter(
      *this, std::move(spec), fd, tmpl, direct,
      std::unique_ptr<char, AlignedFree>(static_cast<char*>(mem)), options_.buffer_bytes));
}

Result<fs::path> LocalWormStore::object_path(std::string_view sha256) const {
  if (!is_sha256_hex(sha256)) {
    return fail(ErrorCode::kInvalidArgument, "not a SHA-256 (64 lower-case hex digits)");
  }
  return root_ / "objects" / std::string(sha256.substr(0, 2)) / std::string(sha256);
}

Result<std::unique_ptr<ArtifactReader>> open_verified_file(const fs::path& path,
                                                           std::string_view sha256) {
  if (!is_sha256_hex(sha256)) {
    return fail(ErrorCode::kInvalidArgument, "not a SHA-256 (64 lower-case hex digits)");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return fail(ErrorCode::kNotFound, fmt::format("artifact {} is missing", sha256),
                  ErrorContext{.where = path.string()});
    }
    return fail(os_error(path, "cannot open artifact", err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    return fail(os_error(path, "not a regular file", S_ISREG(st.st_mode) ? err : EINVAL));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<ArtifactReader>(
      new LocalReader(fd, std::string(sha256), static_cast<std::uint64_t>(st.st_size), path));
}

Result<std::unique_ptr<ArtifactReader>> LocalWormStore::open(std::string_view sha256) {
  FIREBREAK_TRY(fs::path path, object_path(sha256));
  auto r = open_verified_file(path, sha256);
  if (!r && r.error().code() == ErrorCode::kNotFound) {
    return fail(ErrorCode::kNotFound, fmt::format("artifact {} is not in the store", sha256),
                ErrorContext{.where = path.string()});
  }
  return r;
}

Result<std::vector<ArtifactInfo>> LocalWormStore::list(std::string_view incident) {
  FIREBREAK_TRY_STATUS(validate_incident_id(incident));
  FIREBREAK_TRY(fs::path dir, safe_join(root_ / "meta", incident));
  std::vector<ArtifactInfo> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.size() > 5 && name.ends_with(".json") && name[0] != '.') files.push_back(it->path());
  }
  if (ec) return fail(os_error(dir, "cannot list metadata", ec.value()));
  for (const auto& f : files) {
    FIREBREAK_TRY(std::string text, read_file(f, 64 * 1024));
    auto j = parse_json(text);
    if (!j) return fail(j.error().at(f.string()));
    auto info = artifact_info_from_json(*j);
    if (!info) return fail(info.error().at(f.string()));
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const ArtifactInfo& a, const ArtifactInfo& b) {
    return std::tie(a.committed, a.sha256) < std::tie(b.committed, b.sha256);
  });
  return out;
}

Result<TimePoint> LocalWormStore::retention(std::string_view sha256) {
  FIREBREAK_TRY(fs::path obj, object_path(sha256));
  struct stat st {};
  if (::stat(obj.c_str(), &st) != 0) {
    return fail(ErrorCode::kNotFound, fmt::format("artifact {} is not in the store", sha256));
  }
  return read_retention(root_ / "retention" / std::string(sha256.substr(0, 2)) /
                        std::string(sha256));
}

Status LocalWormStore::extend_retention(std::string_view sha256, TimePoint until) {
  std::lock_guard lk(mu_);
  FIREBREAK_TRY(TimePoint current, retention(sha256));
  if (until < current) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("artifact {} is retained until {}; retention can only be extended",
                            sha256, record_time(current)));
  }
  return write_retention(
      root_ / "retention" / std::string(sha256.substr(0, 2)) / std::string(sha256), until);
}

Status LocalWormStore::remove(std::string_view sha256) {
  std::lock_guard lk(mu_);
  FIREBREAK_TRY(TimePoint until, retention(sha256));
  const TimePoint now = clock_.now();
  if (now < until) {
    return fail(ErrorCode::kPermissionDenied,
                fmt::format("artifact {} is under retention until {}: it cannot be deleted", sha256,
                            record_time(until)));
  }
  FIREBREAK_TRY(fs::path obj, object_path(sha256));
  if (::unlink(obj.c_str()) != 0) return fail(os_error(obj, "cannot delete", errno));
  ::unlink((root_ / "retention" / std::string(sha256.substr(0, 2)) / std::string(sha256)).c_str());
  return fsync_dir(obj.parent_path());
}

std::string LocalWormStore::describe() const {
  return fmt::format("local WORM store at {}", root_.string());
}

Result<std::size_t> LocalWormStore::collect_abandoned_writes() {
  const fs::path dir = root_ / "tmp";
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path p = it->path();
    if (!p.filename().string().ends_with(".part")) continue;
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    // A live writer holds the lock; a dead one released it with its descriptors.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      if (::unlink(p.c_str()) == 0) ++removed;
    }
    ::close(fd);
  }
  if (ec) return fail(os_error(dir, "cannot list", ec.value()));
  return removed;
}

}  // namespace firebreak::evidence
