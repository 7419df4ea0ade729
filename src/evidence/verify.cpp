#include "firebreak/evidence/verify.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "firebreak/core/fs.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"
#include "lines.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;

const VerifyProblem* VerifyReport::first_broken() const {
  const VerifyProblem* best = nullptr;
  for (const auto& p : problems) {
    if (p.line > 0 && (best == nullptr || p.line < best->line)) best = &p;
  }
  if (best == nullptr && !problems.empty()) best = &problems.front();
  return best;
}

ChainVerifier::ChainVerifier(std::string incident, const PublicKey* key, VerifyOptions options)
    : incident_(std::move(incident)), key_(key), options_(std::move(options)) {
  report_.incident = incident_;
  report_.head = std::string(kGenesisHash);
  if (key_ != nullptr) {
    report_.key_fingerprint = key_->fingerprint();
    if (options_.expected_key && *options_.expected_key != key_->fingerprint()) {
      problem("public key",
              fmt::format("fingerprint {} is not the expected {}: the key was replaced",
                          key_->fingerprint(), *options_.expected_key));
    }
  } else {
    report_.notes.push_back("no public key: checkpoint signatures were not checked");
  }
}

void ChainVerifier::problem(std::string where, std::string what, std::uint64_t line) {
  if (report_.problems.size() >= options_.max_problems) {
    report_.problems_truncated = true;
    return;
  }
  report_.problems.push_back(
      VerifyProblem{.where = std::move(where), .what = std::move(what), .line = line});
}

void ChainVerifier::add_checkpoint_line(std::string_view line, std::uint64_t line_no) {
  ++report_.checkpoints;
  const std::string where = fmt::format("checkpoint line {}", line_no);
  auto c = parse_checkpoint_line(line);
  if (!c) {
    problem(where, c.error().message());
    return;
  }
  if (!incident_.empty() && c->incident != incident_) {
    problem(where, fmt::format("belongs to incident \"{}\", not \"{}\"", c->incident, incident_));
    return;
  }
  if (key_ == nullptr) return;
  if (c->key != key_->fingerprint()) {
    problem(where,
            fmt::format("signed by key {}, but the public key is {}", c->key, key_->fingerprint()));
    return;
  }
  if (!key_->verify(checkpoint_statement(*c), c->signature)) {
    problem(where, fmt::format("signature over record {} (head {}) does not verify with public "
                               "key {}",
                               c->seq, c->head, key_->fingerprint()));
    return;
  }
  ++report_.checkpoints_valid;
  auto [it, inserted] = checkpoint_heads_.try_emplace(c->seq, Expected{c->head, line_no, false});
  if (!inserted && it->second.head != c->head) {
    problem(where, fmt::format("signs head {} for record {}, but checkpoint line {} signs {}",
                               c->head, c->seq, it->second.line, it->second.head));
  }
}

void ChainVerifier::add_oversized_line(std::uint64_t line_no) {
  problem(fmt::format("record {} (line {})", expected_seq_, line_no),
          fmt::format("line exceeds the {} byte limit", kMaxLineBytes), line_no);
  ++expected_seq_;
  prev_.clear();  // unknown: the next record's prev cannot be checked
}

void ChainVerifier::add_record_line(std::string_view line, std::uint64_t line_no, bool terminated) {
  if (!terminated) {
    problem(fmt::format("record {} (line {})", expected_seq_, line_no),
            fmt::format("incomplete final line ({} bytes, no line feed): a torn write or a "
                        "truncated file",
                        line.size()),
            line_no);
    return;
  }
  auto r = parse_ledger_line(line);
  if (!r) {
    problem(fmt::format("record {} (line {})", expected_seq_, line_no), r.error().message(),
            line_no);
    // Keep checking the rest against what this line claims.
    if (line.size() >= 65 && line[64] == ' ' && is_sha256_hex(line.substr(0, 64))) {
      prev_ = std::string(line.substr(0, 64));
    } else {
      prev_.clear();
    }
    ++expected_seq_;
    return;
  }
  const std::string where = fmt::format("record {} (line {})", r->seq, line_no);
  if (incident_.empty()) {
    incident_ = r->incident;
    report_.incident = incident_;
  }
  if (r->incident != incident_) {
    problem(where, fmt::format("belongs to incident \"{}\", not \"{}\"", r->incident, incident_),
            line_no);
  }
  if (r->seq != expected_seq_) {
    problem(where,
            fmt::format("sequence number {} where {} was expected: a record is missing, "
                        "duplicated or out of order",
                        r->seq, expected_seq_),
            line_no);
  }
  if (!prev_.empty() && r->prev != prev_) {
    problem(where,
            fmt::format("prev is {} but the record before it hashes to {}: the chain is broken "
                        "here",
                        r->prev, prev_),
            line_no);
  }
  if (auto it = checkpoint_heads_.find(r->seq); it != checkpoint_heads_.end()) {
    if (it->second.head != r->hash) {
      problem(where,
              fmt::format("the checkpoint on checkpoint line {} signed {} for record {}, but it "
                          "hashes to {}: the ledger was rewritten",
                          it->second.line, it->second.head, r->seq, r->hash),
              line_no);
    } else {
      it->second.matched = true;
    }
  }
  if (r->kind == RecordKind::kArtifact) {
    const auto& p = r->payload;
    auto sha = p.find("sha256");
    auto size = p.find("size");
    if (sha == p.end() || !sha->is_string() || !is_sha256_hex(sha->get<std::string>()) ||
        size == p.end() || !size->is_number_unsigned()) {
      problem(where, "artifact record without a valid \"sha256\" and \"size\"", line_no);
    } else {
      auto name = p.find("name");
      report_.artifacts.push_back(ArtifactRef{
          .seq = r->seq,
          .sha256 = sha->get<std::string>(),
          .size = size->get<std::uint64_t>(),
          .name = name != p.end() && name->is_string() ? name->get<std::string>() : ""});
    }
  }
  ++report_.records;
  report_.head = r->hash;
  last_seq_ = r->seq;
  prev_ = r->hash;
  expected_seq_ = r->seq + 1;
}

void ChainVerifier::finish() {
  for (const auto& [seq, cp] : checkpoint_heads_) {
    if (cp.matched) {
      report_.signed_through = std::max(report_.signed_through, seq);
    } else if (seq > last_seq_) {
      problem(fmt::format("checkpoint line {}", cp.line),
              fmt::format("signs record {}, but the ledger ends at record {}: records {}..{} are "
                          "missing (truncated)",
                          seq, last_seq_, last_seq_ + 1, seq),
              last_seq_ + 1);
    }
  }
  if (report_.records == 0) {
    if (options_.require_signed_head) problem("ledger", "the ledger holds no records");
    return;
  }
  if (report_.signed_through < last_seq_) {
    const std::string msg =
        report_.signed_through == 0
            ? fmt::format("no record is covered by a valid checkpoint signature")
            : fmt::format(
                  "records {}..{} are after the last valid checkpoint (record {}) and "
                  "not signed",
                  report_.signed_through + 1, last_seq_, report_.signed_through);
    if (options_.require_signed_head) {
      problem("checkpoints", msg);
    } else {
      report_.notes.push_back(msg);
    }
  }
}

namespace {

// Splits `text` into lines and feeds them (the last may lack its LF).
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::uint64_t no = 0;
  while (!text.empty()) {
    ++no;
    const auto lf = text.find('\n');
    if (lf == std::string_view::npos) {
      f(text, no, false);
      break;
    }
    f(text.substr(0, lf), no, true);
    text.remove_prefix(lf + 1);
  }
}

}  // namespace

VerifyReport verify_ledger_text(std::string_view ledger, std::string_view checkpoints,
                                std::string_view incident, const PublicKey* key,
                                const VerifyOptions& options) {
  ChainVerifier v(std::string(incident), key, options);
  for_each_line(checkpoints, [&](std::string_view line, std::uint64_t no, bool terminated) {
    if (!terminated) {
      v.problem(fmt::format("checkpoint line {}", no), "incomplete final line (no line feed)");
      return;
    }
    v.add_checkpoint_line(line, no);
  });
  for_each_line(ledger, [&](std::string_view line, std::uint64_t no, bool terminated) {
    if (line.size() > kMaxLineBytes) {
      v.add_oversized_line(no);
      return;
    }
    v.add_record_line(line, no, terminated);
  });
  v.finish();
  return std::move(v.report());
}

Result<VerifyReport> verify_ledger_files(const fs::path& ledger, const fs::path& checkpoints,
                                         std::string_view incident, const PublicKey* key,
                                         const ArtifactOpener& open_artifact,
                                         const VerifyOptions& options) {
  ChainVerifier v(std::string(incident), key, options);
  std::error_code ec;
  if (fs::exists(checkpoints, ec)) {
    FIREBREAK_TRY(std::string text, read_file(checkpoints, 64u << 20));
    for_each_line(text, [&](std::string_view line, std::uint64_t no, bool terminated) {
      if (!terminated) {
        v.problem(fmt::format("checkpoint line {}", no), "incomplete final line (no line feed)");
        return;
      }
      v.add_checkpoint_line(line, no);
    });
  }
  FIREBREAK_TRY_STATUS(detail::stream_lines(ledger, kMaxLineBytes, [&](const detail::Line& l) {
    if (l.oversized) {
      v.add_oversized_line(l.number);
    } else {
      v.add_record_line(l.text, l.number, l.terminated);
    }
    return true;
  }));
  v.finish();
  VerifyReport& report = v.report();
  if (options.check_artifacts && open_artifact) {
    report.artifacts_checked = true;
    std::set<std::string> seen;
    std::vector<char> abuf(1u << 20);
    for (const auto& a : report.artifacts) {
      if (!seen.insert(a.sha256).second) continue;
      const std::string where = fmt::format("artifact {} (record {})", a.sha256, a.seq);
      auto reader = open_artifact(a.sha256);
      if (!reader) {
        v.problem(where, reader.error().message());
        continue;
      }
      std::uint64_t total = 0;
      bool ok = true;
      for (;;) {
        auto got = (*reader)->read(abuf);
        if (!got) {
          v.problem(where, got.error().message());
          ok = false;
          break;
        }
        if (*got == 0) break;
        total += *got;
      }
      if (!ok) continue;
      if (total != a.size) {
        v.problem(where, fmt::format("the ledger records {} bytes but the object holds {}", a.size,
                                     total));
        continue;
      }
      ++report.artifacts_verified;
      report.artifact_bytes += total;
    }
  }
  return std::move(report);
}

std::string describe(const VerifyReport& r) {
  std::string out;
  fmt::format_to(std::back_inserter(out), "incident:     {}\n", r.incident);
  fmt::format_to(std::back_inserter(out), "records:      {} (head {})\n", r.records, r.head);
  fmt::format_to(std::back_inserter(out),
                 "checkpoints:  {} valid of {}, signed through record {}\n", r.checkpoints_valid,
                 r.checkpoints, r.signed_through);
  fmt::format_to(std::back_inserter(out), "public key:   {}\n",
                 r.key_fingerprint.empty() ? "(none)" : r.key_fingerprint);
  if (r.artifacts_checked) {
    fmt::format_to(std::back_inserter(out), "artifacts:    {} verified of {} recorded ({} bytes)\n",
                   r.artifacts_verified, r.artifacts.size(), r.artifact_bytes);
  } else {
    fmt::format_to(std::back_inserter(out), "artifacts:    {} recorded, content not checked\n",
                   r.artifacts.size());
  }
  for (const auto& n : r.notes) fmt::format_to(std::back_inserter(out), "note:         {}\n", n);
  if (r.ok()) {
    out += "result:       VERIFIED\n";
    return out;
  }
  const VerifyProblem* first = r.first_broken();
  fmt::format_to(std::back_inserter(out), "result:       BROKEN: {} problem{}{}\n",
                 r.problems.size(), r.problems.size() == 1 ? "" : "s",
                 r.problems_truncated ? " (more not shown)" : "");
  fmt::format_to(std::back_inserter(out), "first broken: {}: {}\n", first->where, first->what);
  for (const auto& p : r.problems) {
    fmt::format_to(std::back_inserter(out), "  {}: {}\n", p.where, p.what);
  }
  return out;
}

Json to_json(const VerifyReport& r) {
  Json j = Json::object();
  j["incident"] = r.incident;
  j["ok"] = r.ok();
  j["records"] = r.records;
  j["head"] = r.head;
  j["checkpoints"] = r.checkpoints;
  j["checkpoints_valid"] = r.checkpoints_valid;
  j["signed_through"] = r.signed_through;
  j["key_fingerprint"] = r.key_fingerprint;
  j["artifacts"] = r.artifacts.size();
  j["artifacts_checked"] = r.artifacts_checked;
  j["artifacts_verified"] = r.artifacts_verified;
  j["artifact_bytes"] = r.artifact_bytes;
  Json problems = Json::array();
  for (const auto& p : r.problems) {
    problems.push_back({{"where", p.where}, {"what", p.what}, {"line", p.line}});
  }
  j["problems"] = std::move(problems);
  j["notes"] = r.notes;
  if (const auto* f = r.first_broken())
    j["first_broken"] = {{"where", f->where}, {"what", f->what}};
  return j;
}

}  // namespace firebreak::evidence
