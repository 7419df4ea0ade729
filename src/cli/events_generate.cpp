// `firebreak events generate`: a synthetic CloudTrail corpus, deterministic for a seed.
#include <fmt/format.h>

#include <cstdio>

#include "events_common.h"
#include "firebreak/event/generate.h"
#include "progress.h"

namespace firebreak::cli {

void add_events_generate(CLI::App& events, Context& ctx) {
  auto* cmd = events.add_subcommand(
      "generate",
      "Write a realistic synthetic CloudTrail corpus (services, principals, regions, errors, "
      "1-2 KB records), the same bytes for the same seed");
  struct Flags {
    std::uint64_t count = 1000;
    std::uint64_t seed = 1;
    std::string out;
    std::string format;  // default: delivery with --out, jsonl to stdout without
    double rate = 20.0;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--count", f->count, "Number of records")->check(CLI::Range(1ull, 1ull << 40));
  cmd->add_option("--seed", f->seed, "Seed: the same seed gives the same corpus");
  cmd->add_option("--out", f->out,
                  "Directory to write into. Without it, JSON Lines go to stdout (delivery files "
                  "need a directory)");
  cmd->add_option("--format", f->format,
                  "delivery (the default with --out): gzip files laid out and named like "
                  "CloudTrail's S3 keys "
                  "(AWSLogs/<account>/CloudTrail/<region>/<y>/<m>/<d>/..json.gz); jsonl: one "
                  "record per line (<out>/cloudtrail.jsonl)")
      ->check(CLI::IsMember({"delivery", "jsonl"}));
  cmd->add_option("--rate", f->rate, "Mean events per second of the simulated traffic")
      ->check(CLI::Range(0.001, 1e6));
  cmd->callback([f, &ctx] {
    if (f->format.empty()) f->format = f->out.empty() ? "jsonl" : "delivery";
    const event::GenerateOptions options{
        .count = f->count, .seed = f->seed, .events_per_second = f->rate};
    if (f->out.empty()) {
      if (f->format == "delivery") {
        fmt::print(stderr, "firebreak events generate: --format delivery needs --out DIR\n");
        ctx.exit_code = kExitUsage;
        return;
      }
      event::CorpusGenerator gen(options);
      event::GeneratedRecord rec;
      while (gen.next(rec)) {
        rec.json += '\n';
        std::fwrite(rec.json.data(), 1, rec.json.size(), stdout);
      }
      ctx.exit_code = std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
      return;
    }
    auto summary = event::write_corpus(
        options, f->out,
        f->format == "delivery" ? event::CorpusLayout::kDelivery : event::CorpusLayout::kJsonLines);
    if (!summary) {
      fmt::print(stderr, "firebreak: {}\n", summary.error().describe());
      ctx.exit_code = kExitFailure;
      return;
    }
    fmt::print(stderr,
               "firebreak events generate: {} records ({:.1f} MB of JSON) in {} files under {}\n",
               summary->records, static_cast<double>(summary->bytes) / 1e6, summary->files, f->out);
    ctx.exit_code = kExitOk;
  });
}

}  // namespace firebreak::cli
