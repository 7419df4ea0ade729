#include "firebreak/evidence/ledger.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "firebreak/core/log.h"
#include "firebreak/evidence/paths.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;

namespace {

Error os_error(const fs::path& path, std::string_view what, int err) {
  return Error(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(err)),
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

Status write_all(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, fmt::format("write failed: {}", std::strerror(errno)));
    }
    off += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::string> pread_exact(int fd, std::uint64_t offset, std::size_t n) {
  std::string buf(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, fmt::format("read failed: {}", std::strerror(errno)));
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  buf.resize(got);
  return buf;
}

// Holds flock(LOCK_EX) on a descriptor for its lifetime.
class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// Where the last complete line of a file ends and how much follows it (a torn write).
struct Tail {
  std::uint64_t complete_size = 0;  // bytes up to and including the last LF
  std::string last_line;            // the last complete line, without LF ("" if none)
};

Result<Tail> read_tail(int fd, std::uint64_t size, std::size_t max_line, const fs::path& path) {
  Tail t;
  if (size == 0) return t;
  // A complete line is at most max_line + 1 bytes; a torn one after it at most as long again.
  const std::uint64_t window = std::min<std::uint64_t>(size, 2 * (max_line + 1));
  FIREBREAK_TRY(std::string buf, pread_exact(fd, size - window, window));
  if (buf.size() != window) return fail(os_error(path, "file changed while reading", EIO));
  const std::size_t last_lf = buf.rfind('\n');
  if (last_lf == std::string::npos) {
    if (window < size) {
      return fail(ErrorCode::kFailedPrecondition,
                  "final line is longer than any record can be; the file is corrupt",
                  ErrorContext{.where = path.string()});
    }
    return t;  // no complete line at all: everything is torn
  }
  t.complete_size = size - window + last_lf + 1;
  const std::size_t prev_lf = last_lf == 0 ? std::string::npos : buf.rfind('\n', last_lf - 1);
  if (prev_lf == std::string::npos && size - window > 0) {
    return fail(ErrorCode::kFailedPrecondition,
                "last line is longer than any record can be; the file is corrupt",
                ErrorContext{.where = path.string()});
  }
  const std::size_t start = prev_lf == std::string::npos ? 0 : prev_lf + 1;
  t.last_line = buf.substr(start, last_lf - start);
  return t;
}

}  // namespace

struct Ledger::Pending {
  std::vector<RecordInput> inputs;
  std::vector<Appended> results;
  std::optional<Error> error;
  bool done = false;
};

Ledger::Ledger(fs::path dir, std::string incident, Clock& clock,
               std::shared_ptr<const SigningKey> key, LedgerOptions options)
    : dir_(std::move(dir)),
      incident_(std::move(incident)),
      clock_(clock),
      key_(std::move(key)),
      options_(options) {}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
  if (cp_fd_ >= 0) ::close(cp_fd_);
}

Result<std::unique_ptr<Ledger>> Ledger::open(const fs::path& dir, std::string incident,
                                             Clock& clock, std::shared_ptr<const SigningKey> key,
                                             LedgerOptions options) {
  FIREBREAK_TRY_STATUS(validate_incident_id(incident));
  if (options.max_batch == 0) options.max_batch = 1;
  std::unique_ptr<Ledger> ledger(
      new Ledger(dir, std::move(incident), clock, std::move(key), options));
  FIREBREAK_TRY_STATUS(ledger->init());
  return ledger;
}

Status Ledger::init() {
  std::error_code ec;
  const bool existed = fs::exists(ledger_path(), ec);
  fs::create_directories(dir_, ec);
  if (ec) {
    return fail(ErrorCode::kIo, "cannot create ledger directory: " + ec.message(),
                ErrorContext{.where = dir_.string()});
  }
  fd_ = ::open(ledger_path().c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) return fail(os_error(ledger_path(), "cannot open ledger", errno));
  cp_fd_ = ::open(checkpoints_path().c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (cp_fd_ < 0) return fail(os_error(checkpoints_path(), "cannot open checkpoints", errno));
  if (!existed) {
    FIREBREAK_TRY_STATUS(fsync_dir(dir_));
    if (dir_.has_parent_path()) FIREBREAK_TRY_STATUS(fsync_dir(dir_.parent_path()));
  }
  // Repairs a torn tail left by a crash (and records that it did) before anyone appends.
  std::vector<Pending*> none;
  FIREBREAK_TRY_STATUS(commit(none));
  published_ = head_;
  return {};
}

template <class F>
auto Ledger::exclusive(F&& f) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !committing_; });
  committing_ = true;
  lk.unlock();
  auto result = f();
  lk.lock();
  committing_ = false;
  cv_.notify_all();
  return result;
}

namespace {

struct TailState {
  std::uint64_t size = 0;
  LedgerHead head;
  std::uint64_t torn_bytes = 0;
  std::uint64_t torn_offset = 0;
};

// Brings our view of the file up to date under the lock.
Result<TailState> refresh_tail(int fd, const fs::path& path, std::uint64_t known_size,
                               const LedgerHead& known_head, std::string_view incident) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(os_error(path, "fstat failed", errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  TailState s{.size = size, .head = known_head};
  if (size == known_size) return s;
  if (size < known_size) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("ledger shrank from {} to {} bytes since it was last written: it has "
                            "been truncated; run `firebreak evidence verify`",
                            known_size, size),
                ErrorContext{.where = path.string()});
  }
  FIREBREAK_TRY(Tail tail, read_tail(fd, size, kMaxLineBytes, path));
  if (tail.complete_size < size) {
    // A writer died mid-line (its append was never acknowledged): cut the torn bytes off so the
    // file is again a sequence of whole records.
    if (::ftruncate(fd, static_cast<off_t>(tail.complete_size)) != 0 || ::fdatasync(fd) != 0) {
      return fail(os_error(path, "cannot remove torn final line", errno));
    }
    log::warn("{}: removed a torn final line of {} bytes left by an interrupted append",
              path.string(), size - tail.complete_size);
    s.torn_bytes = size - tail.complete_size;
    s.torn_offset = tail.complete_size;
    s.size = tail.complete_size;
  }
  if (tail.last_line.empty()) {
    s.head = LedgerHead{};
    return s;
  }
  auto rec = parse_ledger_line(tail.last_line);
  if (!rec) {
    return fail(rec.error()
                    .wrap("the last record of the ledger is invalid; run `firebreak evidence "
                          "verify`")
                    .at(path.string()));
  }
  if (rec->incident != incident) {
    return fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("ledger belongs to incident \"{}\", not \"{}\"", rec->incident, incident),
        ErrorContext{.where = path.string()});
  }
  s.head = LedgerHead{.seq = rec->seq, .hash = rec->hash};
  return s;
}

}  // namespace

// Runs with committing_ set (only one commit at a time in this process) and takes the file lock
// (one writer at a time across processes).
Status Ledger::commit(std::vector<Pending*>& batch) {
  auto fail_all = [&](const Error& e) -> Status {
    for (auto* p : batch) p->error = e;
    return fail(e);
  };
  if (broken_) {
    return fail_all(Error(ErrorCode::kFailedPrecondition,
                          "ledger is unusable after an earlier write or sync failure; reopen it",
                          ErrorContext{.where = ledger_path().string()}));
  }
  FileLock lock(fd_);
  auto tail = refresh_tail(fd_, ledger_path(), known_size_, head_, incident_);
  if (!tail) return fail_all(tail.error());
  known_size_ = tail->size;
  head_ = tail->head;

  std::string buf;
  LedgerHead head = head_;
  auto add = [&](const RecordInput& in, TimePoint now) -> Result<Appended> {
    FIREBREAK_TRY(std::string body, canonical_body(head.seq + 1, head.hash, now, incident_,
                                                   in.actor, in.kind, in.payload));
    const std::string hash = body_hash(body);
    buf += ledger_line(hash, body);
    head = LedgerHead{.seq = head.seq + 1, .hash = hash};
    return Appended{.seq = head.seq, .hash = hash, .time = now};
  };
  if (tail->torn_bytes > 0) {
    Json payload = {{"event", "torn_tail_removed"},
                    {"bytes", tail->torn_bytes},
                    {"offset", tail->torn_offset},
                    {"reason",
                     "an append was interrupted before it completed; the incomplete "
                     "line was never acknowledged and has been removed"}};
    (void)add(RecordInput{.actor = "firebreak", .kind = RecordKind::kNote, .payload = payload},
              clock_.now());
  }
  for (auto* p : batch) {
    const std::size_t buf_mark = buf.size();
    const LedgerHead head_mark = head;
    for (const auto& in : p->inputs) {
      auto a = add(in, clock_.now());
      if (!a) {
        // Drop this caller's records only; the rest of the batch goes ahead.
        buf.resize(buf_mark);
        head = head_mark;
        p->results.clear();
        p->error = a.error();
        break;
      }
      p->results.push_back(std::move(*a));
    }
  }
  if (buf.empty()) return {};
  if (auto w = write_all(fd_, buf); !w) {
    // Undo a partial write so the file stays a sequence of whole records.
    if (::ftruncate(fd_, static_cast<off_t>(known_size_)) != 0) broken_ = true;
    return fail_all(w.error().at(ledger_path().string()));
  }
  if (::fdatasync(fd_) != 0) {
    // After a failed sync the kernel may have dropped the dirty pages: nothing is known any more.
    broken_ = true;
    return fail_all(os_error(ledger_path(), "fdatasync failed", errno));
  }
  known_size_ += buf.size();
  head_ = head;
  return {};
}

Result<std::vector<Appended>> Ledger::append_batch(std::vector<RecordInput> inputs) {
  if (inputs.empty()) return std::vector<Appended>{};
  Pending p;
  p.inputs = std::move(inputs);
  std::unique_lock lk(mu_);
  queue_.push_back(&p);
  while (!p.done) {
    if (!committing_) {
      committing_ = true;
      std::vector<Pending*> batch;
      std::size_t n = 0;
      while (!queue_.empty() &&
             (batch.empty() || n + queue_.front()->inputs.size() <= options_.max_batch)) {
        n += queue_.front()->inputs.size();
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lk.unlock();
      (void)commit(batch);  // errors are delivered to each Pending
      lk.lock();
      published_ = head_;
      committing_ = false;
      for (auto* b : batch) b->done = true;
      cv_.notify_all();
    } else {
      cv_.wait(lk);
    }
  }
  if (p.error) return fail(*p.error);
  return std::move(p.results);
}

Result<Appended> Ledger::append(RecordInput input) {
  std::vector<RecordInput> one;
  one.push_back(std::move(input));
  FIREBREAK_TRY(auto r, append_batch(std::move(one)));
  return std::move(r.front());
}

LedgerHead Ledger::head() const {
  std::lock_guard lk(mu_);
  return published_;
}

Result<LedgerHead> Ledger::refresh() {
  return exclusive([&]() -> Result<LedgerHead> {
    std::vector<Pending*> none;
    FIREBREAK_TRY_STATUS(commit(none));
    std::lock_guard lk(mu_);
    published_ = head_;
    return head_;
  });
}

Result<Checkpoint> Ledger::checkpoint() {
  if (!key_) {
    return fail(ErrorCode::kFailedPrecondition, "no signing key: cannot checkpoint the ledger",
                ErrorContext{.where = ledger_path().string()});
  }
  return exclusive([&]() -> Result<Checkpoint> {
    // Picks up other processes' appends and repairs a torn tail first.
    std::vector<Pending*> none;
    FIREBREAK_TRY_STATUS(commit(none));
    {
      std::lock_guard lk(mu_);
      published_ = head_;
    }
    FileLock lock(fd_);
    // Another process may have appended between commit() and taking the lock again.
    FIREBREAK_TRY(auto tail, refresh_tail(fd_, ledger_path(), known_size_, head_, incident_));
    known_size_ = tail.size;
    head_ = tail.head;
    if (head_.seq == 0) {
      return fail(ErrorCode::kFailedPrecondition, "the ledger is empty: nothing to checkpoint",
                  ErrorContext{.where = ledger_path().string()});
    }
    struct stat st {};
    if (::fstat(cp_fd_, &st) != 0) return fail(os_error(checkpoints_path(), "fstat", errno));
    FIREBREAK_TRY(Tail cp_tail, read_tail(cp_fd_, static_cast<std::uint64_t>(st.st_size), 4096,
                                          checkpoints_path()));
    if (cp_tail.complete_size < static_cast<std::uint64_t>(st.st_size)) {
      if (::ftruncate(cp_fd_, static_cast<off_t>(cp_tail.complete_size)) != 0) {
        return fail(os_error(checkpoints_path(), "cannot remove torn checkpoint", errno));
      }
    }
    if (!cp_tail.last_line.empty()) {
      auto last = parse_checkpoint_line(cp_tail.last_line);
      if (last && last->seq == head_.seq && last->head == head_.hash &&
          last->key == key_->fingerprint()) {
        return *last;
      }
    }
    Checkpoint c{.incident = incident_,
                 .seq = head_.seq,
                 .head = head_.hash,
                 .time = clock_.now(),
                 .key = key_->fingerprint(),
                 .signature = {}};
    FIREBREAK_TRY(c.signature, key_->sign(checkpoint_statement(c)));
    if (auto w = write_all(cp_fd_, checkpoint_line(c)); !w) {
      return fail(w.error().at(checkpoints_path().string()));
    }
    if (::fdatasync(cp_fd_) != 0) return fail(os_error(checkpoints_path(), "fdatasync", errno));
    std::lock_guard lk(mu_);
    published_ = head_;
    return c;
  });
}

}  // namespace firebreak::evidence
