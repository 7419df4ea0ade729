#include "firebreak/evidence/bundle.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "custody_report.h"
#include "firebreak/core/fs.h"
#include "firebreak/core/hash.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"
#include "lines.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;

namespace {

constexpr fs::perms kReadOnly =
    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read;

Error os_error(const fs::path& path, std::string_view what, int err) {
  return Error(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(err)),
               ErrorContext{.where = path.string()});
}

// Removes a directory tree on scope exit unless released.
class TreeGuard {
 public:
  explicit TreeGuard(fs::path p) : path_(std::move(p)) {}
  ~TreeGuard() {
    if (path_.empty()) return;
    std::error_code ec;
    // Exported artifacts are read-only; directories stay writable, so removal works.
    fs::remove_all(path_, ec);
  }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

Status copy_verified(ArtifactReader& reader, const fs::path& to) {
  const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(os_error(to, "cannot create", errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  std::vector<char> buf(1u << 20);
  for (;;) {
    FIREBREAK_TRY(std::size_t n, reader.read(buf));
    if (n == 0) break;
    std::size_t off = 0;
    while (off < n) {
      const ssize_t w = ::write(fd, buf.data() + off, n - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail(os_error(to, "write failed", errno));
      }
      off += static_cast<std::size_t>(w);
    }
  }
  if (::fchmod(fd, 0444) != 0 || ::fsync(fd) != 0) return fail(os_error(to, "fsync failed", errno));
  return {};
}

Status write_text(const fs::path& path, std::string_view text) {
  return write_file_atomic(path, text, kReadOnly | fs::perms::owner_write);
}

}  // namespace

Json to_json(const BundleManifest& m) {
  Json j = Json::object();
  j["format"] = m.format;
  j["incident"] = m.incident;
  j["records"] = m.records;
  j["head"] = m.head;
  j["checkpoint_seq"] = m.checkpoint_seq;
  j["key_fingerprint"] = m.key_fingerprint;
  j["artifacts"] = m.artifacts;
  j["artifacts_included"] = m.artifacts_included;
  j["exported_at"] = m.exported_at;
  j["exported_by"] = m.exported_by;
  return j;
}

Result<BundleManifest> parse_bundle_manifest(std::string_view text) {
  FIREBREAK_TRY(Json j, parse_json(text, JsonLimits{.max_bytes = 64 * 1024, .max_depth = 4}));
  if (!j.is_object()) return fail(ErrorCode::kParse, "bundle.json must be a JSON object");
  auto str = [&](const char* k) -> Result<std::string> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().size() > 1024) {
      return fail(ErrorCode::kParse, fmt::format("bundle.json: \"{}\" missing or not a string", k));
    }
    return it->get<std::string>();
  };
  auto num = [&](const char* k) -> Result<std::uint64_t> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) {
      return fail(ErrorCode::kParse,
                  fmt::format("bundle.json: \"{}\" missing or not a non-negative integer", k));
    }
    return it->get<std::uint64_t>();
  };
  BundleManifest m;
  FIREBREAK_TRY(m.format, str("format"));
  if (m.format != kBundleFormat) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("bundle.json: format \"{}\" is not \"{}\"", m.format, kBundleFormat));
  }
  FIREBREAK_TRY(m.incident, str("incident"));
  FIREBREAK_TRY_STATUS(validate_incident_id(m.incident));
  FIREBREAK_TRY(m.records, num("records"));
  FIREBREAK_TRY(m.head, str("head"));
  if (!is_sha256_hex(m.head)) return fail(ErrorCode::kParse, "bundle.json: head is not a SHA-256");
  FIREBREAK_TRY(m.checkpoint_seq, num("checkpoint_seq"));
  FIREBREAK_TRY(m.key_fingerprint, str("key_fingerprint"));
  if (!is_sha256_hex(m.key_fingerprint)) {
    return fail(ErrorCode::kParse, "bundle.json: key_fingerprint is not a SHA-256");
  }
  FIREBREAK_TRY(m.artifacts, num("artifacts"));
  auto inc = j.find("artifacts_included");
  if (inc == j.end() || !inc->is_boolean()) {
    return fail(ErrorCode::kParse, "bundle.json: \"artifacts_included\" missing or not a boolean");
  }
  m.artifacts_included = inc->get<bool>();
  FIREBREAK_TRY(m.exported_at, str("exported_at"));
  FIREBREAK_TRY(m.exported_by, str("exported_by"));
  return m;
}

bool is_bundle(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(path / "bundle.json", ec);
}

Result<ExportResult> export_bundle(EvidenceLocker& locker, std::string_view incident,
                                   const fs::path& out, const ExportOptions& options) {
  FIREBREAK_TRY(auto ledger, locker.ledger(incident, /*create=*/false));
  FIREBREAK_TRY(auto key, locker.signing_key());
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return fail(ErrorCode::kAlreadyExists, "the bundle directory already exists",
                ErrorContext{.where = out.string()});
  }
  // Sign the head first: a bundle is always covered by a signature up to its last record.
  FIREBREAK_TRY(Checkpoint cp, ledger->checkpoint());

  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::string tmpl = (parent / ("." + out.filename().string() + ".tmp-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return fail(os_error(parent, "cannot create a temporary directory", errno));
  }
  const fs::path tmp(tmpl);
  TreeGuard guard(tmp);
  ::chmod(tmp.c_str(), 0755);

  // The ledger, byte for byte, up to the signed head; records appended since are left out.
  std::string ledger_text;
  std::vector<Record> records;  // summaries for the report (payload kept for artifacts only)
  std::vector<Json> artifact_meta;
  Status bad_record;
  FIREBREAK_TRY_STATUS(
      detail::stream_lines(ledger->ledger_path(), kMaxLineBytes, [&](const detail::Line& l) {
        if (l.number > cp.seq) return false;
        if (l.oversized || !l.terminated) {
          bad_record = fail(ErrorCode::kFailedPrecondition,
                            fmt::format("ledger line {} is malformed; run `firebreak evidence "
                                        "verify {}`",
                                        l.number, incident));
          return false;
        }
        auto r = parse_ledger_line(l.text);
        if (!r) {
          bad_record = fail(r.error().wrap(
              fmt::format("ledger line {} is invalid; run `firebreak evidence verify {}`", l.number,
                          incident)));
          return false;
        }
        ledger_text.append(l.text).append("\n");
        if (r->kind == RecordKind::kArtifact) artifact_meta.push_back(r->payload);
        if (r->kind != RecordKind::kArtifact) r->payload = summarize_payload(r->payload);
        r->body.clear();
        records.push_back(std::move(*r));
        return true;
      }));
  FIREBREAK_TRY_STATUS(bad_record);
  FIREBREAK_TRY_STATUS(write_text(tmp / "ledger.log", ledger_text));
  std::string().swap(ledger_text);

  std::string cp_text;
  FIREBREAK_TRY_STATUS(
      detail::stream_lines(ledger->checkpoints_path(), 4096, [&](const detail::Line& l) {
        if (l.oversized || !l.terminated) return true;
        auto c = parse_checkpoint_line(l.text);
        if (c && c->seq <= cp.seq) cp_text.append(l.text).append("\n");
        return true;
      }));
  FIREBREAK_TRY_STATUS(write_text(tmp / "checkpoints.log", cp_text));
  FIREBREAK_TRY_STATUS(write_text(tmp / "checkpoint.txt", checkpoint_statement(cp)));
  FIREBREAK_TRY_STATUS(write_text(tmp / "checkpoint.sig", cp.signature));
  FIREBREAK_TRY_STATUS(write_text(tmp / "public_key.pem", key->public_key().pem()));

  // Artifacts: content copied through verifying readers, so a corrupt object stops the export.
  if (::mkdir((tmp / "artifacts").c_str(), 0755) != 0) {
    return fail(os_error(tmp / "artifacts", "cannot create", errno));
  }
  std::set<std::string> shas;
  Json manifest = Json::array();
  for (const auto& meta : artifact_meta) {
    manifest.push_back(meta);
    shas.insert(meta.value("sha256", ""));
  }
  std::uint64_t artifact_bytes = 0;
  std::string sums;
  for (const auto& sha : shas) {
    if (!is_sha256_hex(sha)) {
      return fail(ErrorCode::kFailedPrecondition, "an artifact record has no valid sha256");
    }
    sums += fmt::format("{}  {}\n", sha, sha);
    if (!options.include_artifacts) continue;
    FIREBREAK_TRY(auto reader, locker.artifacts().open(sha));
    artifact_bytes += reader->size();
    if (auto c = copy_verified(*reader, tmp / "artifacts" / sha); !c) {
      return fail(c.error().wrap(fmt::format("exporting artifact {}", sha)));
    }
  }
  FIREBREAK_TRY_STATUS(write_text(tmp / "artifacts" / "SHA256SUMS", sums));
  FIREBREAK_TRY_STATUS(write_text(tmp / "artifacts" / "manifest.json", dump_json(manifest) + "\n"));

  BundleManifest m{.format = std::string(kBundleFormat),
                   .incident = std::string(incident),
                   .records = cp.seq,
                   .head = cp.head,
                   .checkpoint_seq = cp.seq,
                   .key_fingerprint = key->fingerprint(),
                   .artifacts = shas.size(),
                   .artifacts_included = options.include_artifacts,
                   .exported_at = record_time(locker.clock().now()),
                   .exported_by = fmt::format("firebreak {}", FIREBREAK_VERSION)};
  FIREBREAK_TRY_STATUS(write_text(tmp / "bundle.json", dump_json(to_json(m)) + "\n"));

  CustodyInput report{.manifest = m,
                      .checkpoint = cp,
                      .records = records,
                      .artifacts = artifact_meta,
                      .artifact_bytes = artifact_bytes};
  FIREBREAK_TRY_STATUS(write_text(tmp / "custody-report.md", custody_report_markdown(report)));
  FIREBREAK_TRY_STATUS(write_text(tmp / "custody-report.html", custody_report_html(report)));

  if (::rename(tmp.c_str(), out.c_str()) != 0) {
    return fail(os_error(out, "cannot move the bundle into place", errno));
  }
  guard.release();
  if (const int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ExportResult{.dir = out, .manifest = m, .artifact_bytes = artifact_bytes};
}

Result<VerifyReport> verify_bundle(const fs::path& bundle, VerifyOptions options) {
  if (!is_bundle(bundle)) {
    return fail(ErrorCode::kNotFound, "not an evidence bundle (no bundle.json)",
                ErrorContext{.where = bundle.string()});
  }
  options.require_signed_head = true;
  std::vector<VerifyProblem> early;
  std::optional<BundleManifest> manifest;
  if (auto text = read_file(bundle / "bundle.json", 64 * 1024); !text) {
    early.push_back({"bundle.json", text.error().message(), 0});
  } else if (auto m = parse_bundle_manifest(*text); !m) {
    early.push_back({"bundle.json", m.error().message(), 0});
  } else {
    manifest = std::move(*m);
  }
  std::optional<PublicKey> key;
  if (auto k = PublicKey::load(bundle / "public_key.pem"); !k) {
    early.push_back({"public_key.pem", k.error().message(), 0});
  } else {
    key = std::move(*k);
  }
  const bool with_content = options.check_artifacts && manifest && manifest->artifacts_included;
  const fs::path art_dir = bundle / "artifacts";
  ArtifactOpener opener = [&](std::string_view sha) -> Result<std::unique_ptr<ArtifactReader>> {
    // Only a validated hash ever becomes a path.
    FIREBREAK_TRY(fs::path p, safe_join(art_dir, sha));
    return open_verified_file(p, sha);
  };
  VerifyOptions vo = options;
  vo.check_artifacts = with_content;
  FIREBREAK_TRY(
      VerifyReport report,
      verify_ledger_files(bundle / "ledger.log", bundle / "checkpoints.log",
                          manifest ? manifest->incident : "", key ? &*key : nullptr, opener, vo));
  report.problems.insert(report.problems.begin(), early.begin(), early.end());
  auto problem = [&](std::string where, std::string what) {
    report.problems.push_back({std::move(where), std::move(what), 0});
  };
  if (manifest && !with_content) {
    report.notes.push_back(manifest->artifacts_included
                               ? "artifact content not checked"
                               : "this bundle does not include artifact content; only the "
                                 "recorded hashes were checked");
  }
  if (manifest) {
    if (manifest->records != report.records) {
      problem("bundle.json", fmt::format("says {} records, the ledger holds {}", manifest->records,
                                         report.records));
    }
    if (manifest->head != report.head) {
      problem("bundle.json",
              fmt::format("says the head is {}, the ledger's is {}", manifest->head, report.head));
    }
    if (key && manifest->key_fingerprint != key->fingerprint()) {
      problem("bundle.json", fmt::format("names key {}, but public_key.pem is {}",
                                         manifest->key_fingerprint, key->fingerprint()));
    }
  }
  // The files a shell-only verifier relies on must say the same as the ledger.
  auto statement = read_file(bundle / "checkpoint.txt", 4096);
  auto sig = read_file(bundle / "checkpoint.sig", 4096);
  if (!statement || !sig) {
    problem("checkpoint.txt", "checkpoint.txt or checkpoint.sig is missing");
  } else {
    if (key && !key->verify(*statement, *sig)) {
      problem("checkpoint.sig", "does not verify checkpoint.txt with public_key.pem");
    }
    const std::string want = fmt::format("seq: {}\nhead: {}\n", report.records, report.head);
    if (statement->find(want) == std::string::npos) {
      problem("checkpoint.txt", fmt::format("does not sign the last record ({}, head {})",
                                            report.records, report.head));
    }
  }
  // SHA256SUMS must list exactly the artifacts the ledger records.
  std::set<std::string> recorded;
  for (const auto& a : report.artifacts) recorded.insert(a.sha256);
  std::set<std::string> listed;
  auto sums = read_file(art_dir / "SHA256SUMS", 64u << 20);
  if (!sums) {
    problem("artifacts/SHA256SUMS", sums.error().message());
  } else {
    std::uint64_t no = 0;
    std::string_view rest = *sums;
    while (!rest.empty()) {
      ++no;
      const auto lf = rest.find('\n');
      const std::string_view line = rest.substr(0, lf);
      rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
      if (line.size() != 130 || line.substr(64, 2) != "  " ||
          line.substr(0, 64) != line.substr(66) || !is_sha256_hex(line.substr(0, 64))) {
        problem(fmt::format("artifacts/SHA256SUMS line {}", no), "expected \"<sha256>  <sha256>\"");
        continue;
      }
      const std::string sha(line.substr(0, 64));
      if (!recorded.count(sha)) {
        problem(fmt::format("artifacts/SHA256SUMS line {}", no),
                fmt::format("artifact {} is not recorded in the ledger", sha));
      }
      listed.insert(sha);
    }
    for (const auto& sha : recorded) {
      if (!listed.count(sha)) {
        problem("artifacts/SHA256SUMS", fmt::format("does not list artifact {}", sha));
      }
    }
  }
  if (with_content) {
    // Files in artifacts/ that the ledger does not account for.
    std::error_code ec;
    for (fs::directory_iterator it(art_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name == "SHA256SUMS" || name == "manifest.json") continue;
      if (!recorded.count(name)) {
        std::string shown;
        append_json_string(shown, name);
        problem("artifacts/" + name.substr(0, 80),
                fmt::format("file {} is not an artifact recorded in the ledger", shown));
      }
    }
  }
  return report;
}

}  // namespace firebreak::evidence
