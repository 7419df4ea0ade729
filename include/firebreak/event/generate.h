#pragma once
// A synthetic CloudTrail corpus for benchmarks and demos: realistic records (a mix of services,
// IAM users, assumed-role sessions, AWS services and the odd root call, several accounts and
// regions, ~5% errors, request and response elements shaped like the real ones, 1-2 KB each),
// in time order, deterministic for a seed (same seed, same bytes).
//
// Layouts: kDelivery writes gzip delivery files the way CloudTrail puts them in S3
// (AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_
// <yyyymmdd>T<hhmm>Z_<16 alnum>.json.gz, one per account, region and 5-minute window);
// kJsonLines writes one record per line.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"

namespace firebreak::event {

struct GenerateOptions {
  std::uint64_t count = 1000;
  std::uint64_t seed = 1;
  // Start of the corpus (default 2024-05-06T00:00:00Z) and mean rate; bursts come on top.
  TimePoint start = from_unix_seconds(1714953600);
  double events_per_second = 20.0;
};

struct GeneratedRecord {
  std::string json;  // compact JSON of one CloudTrail record
  std::string account, region;
  TimePoint time;
};

// Produces the records one at a time (constant memory). Not thread-safe.
class CorpusGenerator {
 public:
  explicit CorpusGenerator(const GenerateOptions& options);
  ~CorpusGenerator();
  CorpusGenerator(const CorpusGenerator&) = delete;
  CorpusGenerator& operator=(const CorpusGenerator&) = delete;

  // Fills `out` with the next record; false once `count` records were produced.
  bool next(GeneratedRecord& out);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

enum class CorpusLayout : std::uint8_t { kDelivery, kJsonLines };

struct GenerateSummary {
  std::uint64_t records = 0;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;  // uncompressed JSON bytes
};

// Writes the corpus under `out_dir` (created if needed). kJsonLines writes
// out_dir/cloudtrail.jsonl.
[[nodiscard]] Result<GenerateSummary> write_corpus(const GenerateOptions& options,
                                                   const std::filesystem::path& out_dir,
                                                   CorpusLayout layout);

}  // namespace firebreak::event
