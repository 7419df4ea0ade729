// `firebreak evidence list|show|verify|export|checkpoint|add|note`: the evidence ledger, the
// artifact store (local WORM directory or S3 Object Lock) and bundles.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "aws_options.h"
#include "command.h"
#include "firebreak/core/fs.h"
#include "firebreak/core/json.h"
#include "firebreak/evidence/bundle.h"
#include "firebreak/evidence/locker.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"
#include "firebreak/evidence/call_recorder.h"
#include "firebreak/evidence/s3_store.h"

namespace firebreak::cli {
namespace {
namespace fs = std::filesystem;
using namespace firebreak::evidence;

struct EvidenceFlags {
  std::string dir;
  std::string signing_key;
  // Artifact store: "local" (default) or s3://BUCKET[/PREFIX], and its settings.
  std::string store;
  std::string kms_key;
  std::string lock_mode;
  std::uint32_t store_retain_days = 0;
  bool legal_hold = false;
  AwsCliOptions aws;
  std::string target;
  std::string out;
  std::string expect_key;
  std::uint64_t record = 0;
  bool json = false;
  bool no_artifacts = false;
  bool require_signed = false;
  std::string file;
  std::string name;
  std::string source_kind = "file";
  std::string source_id;
  std::string tool = "manual";
  std::string tool_version;
  std::string actor;
  std::uint32_t retain_days = 0;
  std::string text;
};

int report_error(const Error& e) {
  fmt::print(stderr, "firebreak evidence: {}\n", e.describe());
  return e.code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// The S3 store keeps a reference to the session's S3 client; both live in one holder that the
// returned pointer shares ownership of.
struct S3StoreHolder {
  std::shared_ptr<cloud::aws::AwsProvider> provider;
  std::shared_ptr<cloud::aws::AwsSession> session;
  std::unique_ptr<S3ObjectLockStore> store;
};

// nullptr for the local store (the locker opens it under <dir>/artifacts). Settings that only an
// S3 store has are refused for the local one rather than silently ignored, and an S3 store
// without a KMS key is refused: evidence is encrypted with a key the operator chose.
// `session`, when given, receives the S3 store's session (null for the local store).
Result<std::shared_ptr<ArtifactStore>> open_artifact_store(
    const EvidenceFlags& f, const fs::path& dir,
    std::shared_ptr<cloud::CloudSession>* session = nullptr) {
  if (f.store.empty() || f.store == "local") {
    if (!f.kms_key.empty() || !f.lock_mode.empty() || f.legal_hold) {
      return fail(ErrorCode::kInvalidArgument,
                  "--evidence-kms-key, --evidence-lock-mode and --evidence-legal-hold apply to an "
                  "S3 evidence store (--evidence-store s3://BUCKET/PREFIX)");
    }
    return std::shared_ptr<ArtifactStore>();
  }
  FIREBREAK_TRY(S3StoreLocation loc, parse_s3_store_url(f.store));
  if (f.kms_key.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "an S3 evidence store needs --evidence-kms-key (or FIREBREAK_EVIDENCE_KMS_KEY): "
                "the KMS key that encrypts the artifacts (SSE-KMS)");
  }
  S3StoreOptions o;
  o.bucket = loc.bucket;
  o.prefix = loc.prefix;
  o.lock_mode = f.lock_mode.empty() ? "COMPLIANCE" : f.lock_mode;
  if (f.store_retain_days > 0) o.retain_days = f.store_retain_days;
  o.legal_hold = f.legal_hold;
  o.sse_kms_key_id = f.kms_key;
  // Spool next to the evidence, not in /tmp (often a RAM-backed tmpfs too small for captures).
  o.staging_dir = dir / "staging";
  std::error_code ec;
  fs::create_directories(o.staging_dir, ec);
  if (ec) {
    return fail(ErrorCode::kIo, "cannot create the S3 staging directory: " + ec.message(),
                ErrorContext{.where = o.staging_dir.string()});
  }
  fs::permissions(o.staging_dir, fs::perms::owner_all, ec);
  auto holder = std::make_shared<S3StoreHolder>();
  FIREBREAK_TRY(holder->provider, make_aws_provider(f.aws));
  FIREBREAK_TRY(holder->session, holder->provider->aws_session({}));
  FIREBREAK_TRY(holder->store,
                S3ObjectLockStore::open(holder->session->s3(), real_clock(), std::move(o)));
  if (session != nullptr) *session = holder->session;
  ArtifactStore* store = holder->store.get();
  return std::shared_ptr<ArtifactStore>(std::move(holder), store);
}

std::string default_actor(const EvidenceFlags& f);

// With `record_calls_for`, every call the S3 store makes is recorded in that incident's ledger
// (LedgerCallRecorder: a write whose request cannot be recorded is not made).
Result<std::unique_ptr<EvidenceLocker>> open_locker(const EvidenceFlags& f,
                                                    std::string_view record_calls_for = {}) {
  LockerOptions o;
  if (!f.dir.empty()) {
    o.dir = f.dir;
  } else {
    FIREBREAK_TRY(o.dir, default_evidence_dir());
  }
  if (!f.signing_key.empty()) {
    o.signing_key = fs::path(f.signing_key);
  } else if (auto k = process_env("FIREBREAK_SIGNING_KEY")) {
    o.signing_key = fs::path(*k);
  }
  if (f.store_retain_days > 0) o.local.default_retention_days = f.store_retain_days;
  std::shared_ptr<cloud::CloudSession> store_session;
  FIREBREAK_TRY(o.artifact_store, open_artifact_store(f, o.dir, &store_session));
  FIREBREAK_TRY(auto locker, EvidenceLocker::open(std::move(o)));
  if (store_session && !record_calls_for.empty()) {
    FIREBREAK_TRY(auto ledger, locker->ledger(record_calls_for));
    store_session->add_hook(std::make_shared<LedgerCallRecorder>(
        std::move(ledger), CallRecorderOptions{.actor = default_actor(f)}));
  }
  return locker;
}

std::string one_line(std::string s, std::size_t max = 80) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (s.size() > max) {
    std::size_t cut = max - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

std::string record_summary(const Record& r) {
  if (r.kind == RecordKind::kArtifact) {
    return fmt::format("{} {} ({} bytes)", r.payload.value("name", ""),
                       r.payload.value("sha256", "").substr(0, 16), r.payload.value("size", 0));
  }
  return canonical_json(r.payload);
}

// Reads every record (validated line by line); stops with an error at the first bad one.
Result<std::vector<Record>> read_records(const EvidenceLocker& locker, std::string_view incident) {
  if (!locker.has_incident(incident)) {
    return fail(ErrorCode::kNotFound, fmt::format("no evidence for incident \"{}\" in {}", incident,
                                                  locker.dir().string()));
  }
  FIREBREAK_TRY(std::string text,
                read_file(locker.incident_dir(incident) / "ledger.log", 1ull << 30));
  std::vector<Record> out;
  std::size_t start = 0;
  std::uint64_t line = 0;
  while (start < text.size()) {
    const auto lf = text.find('\n', start);
    ++line;
    if (lf == std::string::npos) {
      return fail(ErrorCode::kParse, "incomplete final line; run `firebreak evidence verify`",
                  ErrorContext{.where = fmt::format("ledger line {}", line)});
    }
    auto r = parse_ledger_line(std::string_view(text).substr(start, lf - start));
    if (!r) return fail(r.error().at(fmt::format("ledger line {}", line)));
    out.push_back(std::move(*r));
    start = lf + 1;
  }
  return out;
}

int run_list(const EvidenceFlags& f) {
  auto locker = open_locker(f);
  if (!locker) return report_error(locker.error());
  if (f.target.empty()) {
    auto incidents = (*locker)->incidents();
    if (!incidents) return report_error(incidents.error());
    if (!f.json)
      fmt::print("{:<40} {:>8} {:>10}  {}\n", "INCIDENT", "RECORDS", "ARTIFACTS", "LAST RECORD");
    for (const auto& id : *incidents) {
      auto recs = read_records(**locker, id);
      if (!recs) {
        fmt::print(stderr, "firebreak evidence: {}: {}\n", id, recs.error().describe());
        continue;
      }
      std::size_t artifacts = 0;
      for (const auto& r : *recs) artifacts += r.kind == RecordKind::kArtifact;
      const std::string last = recs->empty() ? "" : record_time(recs->back().time);
      if (f.json) {
        fmt::print("{}\n", dump_json(Json{{"incident", id},
                                          {"records", recs->size()},
                                          {"artifacts", artifacts},
                                          {"last_record", last}}));
      } else {
        fmt::print("{:<40} {:>8} {:>10}  {}\n", id, recs->size(), artifacts, last);
      }
    }
    return kExitOk;
  }
  auto recs = read_records(**locker, f.target);
  if (!recs) return report_error(recs.error());
  if (!f.json)
    fmt::print("{:>6}  {:<27} {:<24} {:<14} {}\n", "SEQ", "TIME", "ACTOR", "KIND", "SUMMARY");
  for (const auto& r : *recs) {
    if (f.json) {
      fmt::print("{}\n", r.body);
    } else {
      fmt::print("{:>6}  {:<27} {:<24} {:<14} {}\n", r.seq, record_time(r.time),
                 one_line(r.actor, 24), to_string(r.kind), one_line(record_summary(r)));
    }
  }
  return kExitOk;
}

int run_show(const EvidenceFlags& f) {
  auto locker = open_locker(f);
  if (!locker) return report_error(locker.error());
  auto recs = read_records(**locker, f.target);
  if (!recs) return report_error(recs.error());
  if (f.record > 0) {
    if (f.record > recs->size()) {
      return report_error(Error(
          ErrorCode::kNotFound,
          fmt::format("incident \"{}\" has {} records, not {}", f.target, recs->size(), f.record)));
    }
    const Record& r = (*recs)[f.record - 1];
    Json j = parse_json(r.body).value_or(Json::object());
    j["hash"] = r.hash;
    fmt::print("{}\n", f.json ? dump_json(j) : j.dump(2));
    return kExitOk;
  }
  auto artifacts = (*locker)->artifacts().list(f.target);
  if (!artifacts) return report_error(artifacts.error());
  std::map<std::string, std::size_t> kinds;
  for (const auto& r : *recs) ++kinds[std::string(to_string(r.kind))];
  if (f.json) {
    Json j = {{"incident", f.target},
              {"records", recs->size()},
              {"head", recs->empty() ? std::string(kGenesisHash) : recs->back().hash},
              {"kinds", kinds},
              {"evidence_dir", (*locker)->dir().string()},
              {"artifact_store", (*locker)->artifacts().describe()}};
    Json arts = Json::array();
    for (const auto& a : *artifacts) arts.push_back(to_json(a));
    j["artifacts"] = std::move(arts);
    fmt::print("{}\n", dump_json(j));
    return kExitOk;
  }
  fmt::print("incident:       {}\n", f.target);
  fmt::print("evidence dir:   {}\n", (*locker)->dir().string());
  fmt::print("artifact store: {}\n", (*locker)->artifacts().describe());
  fmt::print("records:        {}", recs->size());
  for (const auto& [k, n] : kinds) fmt::print("  {} {}", n, k);
  fmt::print("\n");
  if (!recs->empty()) {
    fmt::print("first / last:   {} / {}\n", record_time(recs->front().time),
               record_time(recs->back().time));
    fmt::print("head:           {}\n", recs->back().hash);
  }
  fmt::print("artifacts:      {}\n", artifacts->size());
  for (const auto& a : *artifacts) {
    fmt::print("  {}  {:>12}  {}  {} {}  retained until {}\n", a.sha256, a.size,
               one_line(a.name, 40), to_string(a.source.kind), one_line(a.source.id, 40),
               record_time(a.retain_until));
  }
  return kExitOk;
}

int run_verify(const EvidenceFlags& f) {
  VerifyOptions o;
  o.check_artifacts = !f.no_artifacts;
  o.require_signed_head = f.require_signed;
  if (!f.expect_key.empty()) {
    if (!is_sha256_hex(f.expect_key)) {
      return report_error(Error(ErrorCode::kInvalidArgument,
                                "--expect-key wants the 64 hex digit key fingerprint"));
    }
    o.expected_key = f.expect_key;
  }
  Result<VerifyReport> report = [&]() -> Result<VerifyReport> {
    if (is_bundle(f.target)) return verify_bundle(f.target, o);
    if (!validate_incident_id(f.target)) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("\"{}\" is neither an evidence bundle nor an incident id", f.target));
    }
    FIREBREAK_TRY(auto locker, open_locker(f));
    return locker->verify(f.target, o);
  }();
  if (!report) return report_error(report.error());
  if (f.json) {
    fmt::print("{}\n", dump_json(to_json(*report)));
  } else {
    fmt::print("{}", describe(*report));
  }
  return report->ok() ? kExitOk : kExitFound;
}

int run_export(const EvidenceFlags& f) {
  auto locker = open_locker(f);
  if (!locker) return report_error(locker.error());
  auto r =
      export_bundle(**locker, f.target, f.out, ExportOptions{.include_artifacts = !f.no_artifacts});
  if (!r) return report_error(r.error());
  if (f.json) {
    Json j = to_json(r->manifest);
    j["dir"] = r->dir.string();
    j["artifact_bytes"] = r->artifact_bytes;
    fmt::print("{}\n", dump_json(j));
  } else {
    fmt::print("exported incident {} to {}\n", f.target, r->dir.string());
    fmt::print("  {} records, head {}\n", r->manifest.records, r->manifest.head);
    fmt::print("  {} artifacts ({} bytes){}\n", r->manifest.artifacts, r->artifact_bytes,
               r->manifest.artifacts_included ? "" : ", content not included");
    fmt::print("  signing key fingerprint {}\n", r->manifest.key_fingerprint);
    fmt::print("  see {}/custody-report.md for how to verify it\n", r->dir.string());
  }
  return kExitOk;
}

int run_checkpoint(const EvidenceFlags& f) {
  auto locker = open_locker(f);
  if (!locker) return report_error(locker.error());
  auto ledger = (*locker)->ledger(f.target, /*create=*/false);
  if (!ledger) return report_error(ledger.error());
  auto cp = (*ledger)->checkpoint();
  if (!cp) return report_error(cp.error());
  fmt::print("signed record {} (head {}) of incident {} with key {}\n", cp->seq, cp->head, f.target,
             cp->key);
  return kExitOk;
}

std::string default_actor(const EvidenceFlags& f) {
  if (!f.actor.empty()) return f.actor;
  if (auto u = process_env("USER")) return "operator:" + *u;
  return "operator";
}

int run_add(const EvidenceFlags& f) {
  auto locker = open_locker(f, f.target);
  if (!locker) return report_error(locker.error());
  auto kind = parse_source_kind(f.source_kind);
  if (!kind) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--source-kind is one of instance, volume, snapshot, command, file, "
                              "other"));
  }
  int fd = 0;
  if (f.file != "-") {
    fd = ::open(f.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return report_error(Error(ErrorCode::kNotFound, "cannot open the file to add",
                                ErrorContext{.where = f.file}));
    }
  }
  ArtifactSpec spec;
  spec.incident = f.target;
  spec.name = !f.name.empty() ? f.name
              : f.file == "-" ? std::string("stdin")
                              : fs::path(f.file).filename().string();
  spec.source = ArtifactSource{
      .kind = *kind, .id = f.source_id.empty() ? spec.name : f.source_id, .detail = ""};
  spec.tool = f.tool;
  spec.tool_version = f.tool_version;
  if (f.retain_days > 0) spec.retain_days = f.retain_days;
  auto info = (*locker)->store_artifact(std::move(spec), fd, default_actor(f));
  if (fd != 0) ::close(fd);
  if (!info) return report_error(info.error());
  if (f.json) {
    fmt::print("{}\n", dump_json(to_json(*info)));
  } else {
    fmt::print("added {} ({} bytes) to incident {}, retained until {}\n", info->sha256, info->size,
               f.target, record_time(info->retain_until));
  }
  return kExitOk;
}

int run_note(const EvidenceFlags& f) {
  auto locker = open_locker(f);
  if (!locker) return report_error(locker.error());
  auto ledger = (*locker)->ledger(f.target);
  if (!ledger) return report_error(ledger.error());
  auto a = (*ledger)->append(RecordInput{
      .actor = default_actor(f), .kind = RecordKind::kNote, .payload = {{"text", f.text}}});
  if (!a) return report_error(a.error());
  fmt::print("recorded note as record {} ({})\n", a->seq, a->hash);
  return kExitOk;
}

}  // namespace

void add_evidence_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<EvidenceFlags>();
  auto* ev = app.add_subcommand(
      "evidence",
      "Inspect, verify and export the evidence ledger and artifacts of incidents.\n"
      "Evidence lives in --evidence-dir, else $FIREBREAK_EVIDENCE_DIR, else\n"
      "$XDG_DATA_HOME/firebreak/evidence (default ~/.local/share/firebreak/evidence).\n"
      "Artifacts go to a local WORM directory there, or to S3 with Object Lock:\n"
      "  --evidence-store s3://BUCKET/PREFIX --evidence-kms-key KEY [--region ...]\n"
      "(AWS credentials and region come from the usual AWS sources).");
  ev->require_subcommand(1);
  ev->fallthrough();
  ev->add_option("--evidence-dir", flags->dir, "Evidence directory")
      ->envname("FIREBREAK_EVIDENCE_DIR");
  ev->add_option("--signing-key", flags->signing_key,
                 "Operator-supplied Ed25519 private key (PKCS#8 PEM, mode 0600) for checkpoints; "
                 "default <evidence-dir>/keys/ledger-ed25519.pem, created on first use")
      ->envname("FIREBREAK_SIGNING_KEY");
  ev->add_option("--evidence-store", flags->store,
                 "Where artifacts go: local (default; a WORM directory under the evidence dir) or "
                 "s3://BUCKET[/PREFIX] (S3 Object Lock; the bucket must have Object Lock "
                 "enabled). The ledger stays in the evidence dir either way")
      ->envname("FIREBREAK_EVIDENCE_STORE");
  ev->add_option("--evidence-kms-key", flags->kms_key,
                 "S3 store: KMS key id, ARN or alias/NAME for SSE-KMS (required)")
      ->envname("FIREBREAK_EVIDENCE_KMS_KEY");
  ev->add_option("--evidence-lock-mode", flags->lock_mode,
                 "S3 store: Object Lock mode, COMPLIANCE (default) or GOVERNANCE")
      ->envname("FIREBREAK_EVIDENCE_LOCK_MODE")
      ->check(CLI::IsMember({"COMPLIANCE", "GOVERNANCE"}));
  ev->add_option("--evidence-retain-days", flags->store_retain_days,
                 "Default retention of new artifacts in days (365); `add --retain-days` "
                 "overrides it per artifact")
      ->envname("FIREBREAK_EVIDENCE_RETAIN_DAYS")
      ->check(CLI::Range(1u, 36500u));
  ev->add_flag("--evidence-legal-hold", flags->legal_hold,
               "S3 store: also put a legal hold on every object version")
      ->envname("FIREBREAK_EVIDENCE_LEGAL_HOLD");
  add_aws_options(*ev, flags->aws);

  auto* list = ev->add_subcommand("list", "List incidents with evidence, or the records of one");
  list->add_option("INCIDENT", flags->target, "Incident id (omit to list incidents)");
  list->add_flag("--json", flags->json, "JSON Lines output");
  list->callback([&ctx, flags] { ctx.exit_code = run_list(*flags); });

  auto* show = ev->add_subcommand("show", "Summarise an incident's ledger and artifacts");
  show->add_option("INCIDENT", flags->target, "Incident id")->required();
  show->add_option("--record", flags->record, "Print record number N in full");
  show->add_flag("--json", flags->json, "JSON output");
  show->callback([&ctx, flags] { ctx.exit_code = run_show(*flags); });

  auto* verify = ev->add_subcommand(
      "verify",
      "Recompute every hash, the chain and the signatures (and artifact contents) of an incident "
      "or of an exported bundle; exit 1 and name the first broken record if anything fails");
  verify->add_option("TARGET", flags->target, "Incident id, or the directory of a bundle")
      ->required();
  verify->add_option("--expect-key", flags->expect_key,
                     "Fail unless the signing key has this SHA-256 fingerprint");
  verify->add_flag("--no-artifacts", flags->no_artifacts, "Do not re-hash artifact contents");
  verify->add_flag("--require-signed", flags->require_signed,
                   "Treat records after the last checkpoint as a failure (always on for bundles)");
  verify->add_flag("--json", flags->json, "JSON output");
  verify->callback([&ctx, flags] { ctx.exit_code = run_verify(*flags); });

  auto* exp = ev->add_subcommand(
      "export", "Write a self-contained, signed evidence bundle with a custody report");
  exp->add_option("INCIDENT", flags->target, "Incident id")->required();
  exp->add_option("--out,-o", flags->out, "New directory to write the bundle to")->required();
  exp->add_flag("--no-artifacts", flags->no_artifacts,
                "Leave artifact content out (hashes and metadata are still included)");
  exp->add_flag("--json", flags->json, "JSON output");
  exp->callback([&ctx, flags] { ctx.exit_code = run_export(*flags); });

  auto* add = ev->add_subcommand(
      "add", "Stream a file (or - for stdin) into the WORM artifact store and record it");
  add->add_option("INCIDENT", flags->target, "Incident id")->required();
  add->add_option("FILE", flags->file, "File to add, or - for standard input")->required();
  add->add_option("--name", flags->name, "Display name (default: the file name)");
  add->add_option("--source-kind", flags->source_kind,
                  "instance, volume, snapshot, command, file or other (default file)");
  add->add_option("--source-id", flags->source_id, "Instance, volume or snapshot id, or command");
  add->add_option("--tool", flags->tool, "Tool that produced the bytes (default manual)");
  add->add_option("--tool-version", flags->tool_version, "Its version");
  add->add_option("--retain-days", flags->retain_days, "Retention in days (default 365)");
  add->add_option("--actor", flags->actor, "Who is adding it (default operator:$USER)");
  add->add_flag("--json", flags->json, "JSON output");
  add->callback([&ctx, flags] { ctx.exit_code = run_add(*flags); });

  auto* note = ev->add_subcommand("note", "Append an operator's note to an incident's ledger");
  note->add_option("INCIDENT", flags->target, "Incident id")->required();
  note->add_option("TEXT", flags->text, "The note")->required();
  note->add_option("--actor", flags->actor, "Who is writing (default operator:$USER)");
  note->callback([&ctx, flags] { ctx.exit_code = run_note(*flags); });

  auto* cp = ev->add_subcommand("checkpoint", "Sign the current head of an incident's ledger");
  cp->add_option("INCIDENT", flags->target, "Incident id")->required();
  cp->callback([&ctx, flags] { ctx.exit_code = run_checkpoint(*flags); });
}

}  // namespace firebreak::cli
