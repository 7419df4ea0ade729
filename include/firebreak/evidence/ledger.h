#pragma once
// The per-incident ledger: an append-only, hash-chained file of records (record.h) plus signed
// checkpoints over its head. Layout of one incident's directory:
//
//   ledger.log        one record per line (record.h)
//   checkpoints.log   one signed checkpoint per line (checkpoint.h)
//
// Durability and concurrency. append() returns only once its record is on disk (fdatasync).
// Appends are group-committed: while one caller writes and syncs a batch, others queue, and the
// next caller to find no commit in progress writes and syncs everything queued in one write() and
// one fdatasync(). A lone synchronous appender therefore pays one sync per record; N concurrent
// appenders share syncs (see docs/evidence.md and docs/performance.md). append_batch() commits
// many records with one sync. Every commit holds an exclusive flock() on ledger.log, and re-reads
// the tail if another process (or another Ledger object) appended since, so several runs of one
// incident - threads or processes - interleave into one valid chain.
//
// Crashes. A record is one line written by one write(); a crash can leave at most a torn final
// line, which was never acknowledged. The next writer to take the lock cuts it off (the prefix
// before it stays verifiable) and appends a note record saying how many bytes it removed.
//
// Ledger is thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/evidence/checkpoint.h"
#include "firebreak/evidence/record.h"
#include "firebreak/evidence/signing.h"

namespace firebreak::evidence {

struct Appended {
  std::uint64_t seq = 0;
  std::string hash;
  TimePoint time;
};

struct LedgerHead {
  std::uint64_t seq = 0;           // 0 for an empty ledger
  std::string hash{kGenesisHash};  // hash of record `seq`
};

struct LedgerOptions {
  std::size_t max_batch = 4096;  // records per group commit
};

class Ledger {
 public:
  // Opens (creating if needed) the ledger of `incident` in directory `dir`. `key` signs
  // checkpoints; it may be null for a ledger that is only appended to or read.
  [[nodiscard]] static Result<std::unique_ptr<Ledger>> open(
      const std::filesystem::path& dir, std::string incident, Clock& clock,
      std::shared_ptr<const SigningKey> key = nullptr, LedgerOptions options = {});
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Appends one record; returns when it is durable. Thread-safe (group commit).
  [[nodiscard]] Result<Appended> append(RecordInput input);
  // Appends several records, consecutively, with one sync.
  [[nodiscard]] Result<std::vector<Appended>> append_batch(std::vector<RecordInput> inputs);

  // Signs the current head (re-read under the lock) and appends the checkpoint durably. If the
  // head is already covered by the last checkpoint, returns that one. Fails on an empty ledger
  // or without a key.
  [[nodiscard]] Result<Checkpoint> checkpoint();

  // The head as of the last commit or refresh in this process.
  [[nodiscard]] LedgerHead head() const;
  // Re-reads the head from disk (under the lock), picking up other processes' appends.
  [[nodiscard]] Result<LedgerHead> refresh();

  [[nodiscard]] const std::string& incident() const { return incident_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::filesystem::path ledger_path() const { return dir_ / "ledger.log"; }
  [[nodiscard]] std::filesystem::path checkpoints_path() const { return dir_ / "checkpoints.log"; }

 private:
  struct Pending;
  Ledger(std::filesystem::path dir, std::string incident, Clock& clock,
         std::shared_ptr<const SigningKey> key, LedgerOptions options);
  Status init();
  // Writes and syncs `batch` (may be empty: then only re-reads and repairs the tail). Runs with
  // committing_ set; takes the file lock. Per-caller errors go to each Pending.
  Status commit(std::vector<Pending*>& batch);
  template <class F>
  auto exclusive(F&& f);

  std::filesystem::path dir_;
  std::string incident_;
  Clock& clock_;
  std::shared_ptr<const SigningKey> key_;
  LedgerOptions options_;
  int fd_ = -1;          // ledger.log, O_APPEND
  int cp_fd_ = -1;       // checkpoints.log, O_APPEND
  bool broken_ = false;  // a failed sync leaves the file state unknown: refuse further appends
  std::uint64_t known_size_ = 0;
  LedgerHead head_;       // owned by the committing thread
  LedgerHead published_;  // head_ as of the last commit, guarded by mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool committing_ = false;
};

}  // namespace firebreak::evidence
