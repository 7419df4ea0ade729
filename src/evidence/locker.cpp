#include "firebreak/evidence/locker.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "firebreak/core/log.h"
#include "firebreak/evidence/paths.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;

EvidenceLocker::EvidenceLocker(LockerOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<EvidenceLocker>> EvidenceLocker::open(LockerOptions options) {
  if (options.dir.empty()) return fail(ErrorCode::kInvalidArgument, "no evidence directory given");
  if (options.clock == nullptr) options.clock = &real_clock();
  std::error_code ec;
  fs::create_directories(options.dir / "incidents", ec);
  if (ec) {
    return fail(ErrorCode::kIo, "cannot create evidence directory: " + ec.message(),
                ErrorContext{.where = options.dir.string()});
  }
  fs::permissions(options.dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec,
                  ec);
  std::unique_ptr<EvidenceLocker> locker(new EvidenceLocker(std::move(options)));
  if (locker->options_.artifact_store) {
    locker->store_ = locker->options_.artifact_store;
  } else {
    FIREBREAK_TRY(auto local,
                  LocalWormStore::open(locker->options_.dir / "artifacts", *locker->options_.clock,
                                       locker->options_.local));
    locker->store_ = std::move(local);
  }
  return locker;
}

fs::path EvidenceLocker::incident_dir(std::string_view incident) const {
  return options_.dir / "incidents" / std::string(incident);
}

fs::path EvidenceLocker::signing_key_path() const {
  return options_.signing_key.value_or(options_.dir / "keys" / "ledger-ed25519.pem");
}

bool EvidenceLocker::has_incident(std::string_view incident) const {
  if (!validate_incident_id(incident)) return false;
  std::error_code ec;
  return fs::exists(incident_dir(incident) / "ledger.log", ec);
}

Result<std::vector<std::string>> EvidenceLocker::incidents() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(options_.dir / "incidents", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (validate_incident_id(name) && fs::exists(it->path() / "ledger.log")) out.push_back(name);
  }
  if (ec) {
    return fail(ErrorCode::kIo, "cannot list incidents: " + ec.message(),
                ErrorContext{.where = (options_.dir / "incidents").string()});
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::shared_ptr<const SigningKey>> EvidenceLocker::signing_key() {
  std::lock_guard lk(mu_);
  if (key_) return key_;
  Result<SigningKey> key = options_.signing_key ? SigningKey::load(*options_.signing_key)
                                                : SigningKey::load_or_create(signing_key_path());
  if (!key) return fail(key.error());
  key_ = std::make_shared<const SigningKey>(std::move(*key));
  return key_;
}

Result<PublicKey> EvidenceLocker::public_key() const {
  {
    std::lock_guard lk(mu_);
    if (key_) return key_->public_key();
  }
  if (options_.signing_key) {
    FIREBREAK_TRY(SigningKey key, SigningKey::load(*options_.signing_key));
    return key.public_key();
  }
  return PublicKey::load(fs::path(signing_key_path().string() + ".pub"));
}

Result<std::shared_ptr<Ledger>> EvidenceLocker::ledger(std::string_view incident, bool create) {
  FIREBREAK_TRY_STATUS(validate_incident_id(incident));
  {
    std::lock_guard lk(mu_);
    if (auto it = ledgers_.find(incident); it != ledgers_.end()) return it->second;
  }
  if (!create && !has_incident(incident)) {
    return fail(ErrorCode::kNotFound, fmt::format("no evidence for incident \"{}\" in {}", incident,
                                                  options_.dir.string()));
  }
  // The key is loaded lazily at the first checkpoint; a missing key must not stop appends.
  std::shared_ptr<const SigningKey> key;
  if (auto k = signing_key(); k) {
    key = *k;
  } else {
    log::warn("incident {}: no usable signing key, checkpoints will fail: {}", incident,
              k.error().describe());
  }
  FIREBREAK_TRY(auto opened,
                Ledger::open(incident_dir(incident), std::string(incident), *options_.clock, key));
  std::lock_guard lk(mu_);
  auto [it, inserted] = ledgers_.try_emplace(std::string(incident), std::move(opened));
  return it->second;
}

Result<Appended> EvidenceLocker::record_artifact(const ArtifactInfo& info, std::string_view actor) {
  FIREBREAK_TRY(auto ledger, this->ledger(info.incident));
  return ledger->append(RecordInput{
      .actor = std::string(actor), .kind = RecordKind::kArtifact, .payload = to_json(info)});
}

Result<ArtifactInfo> EvidenceLocker::store_artifact(ArtifactSpec spec, int fd,
                                                    std::string_view actor) {
  FIREBREAK_TRY(ArtifactInfo info, store_from_fd(*store_, std::move(spec), fd));
  FIREBREAK_TRY_STATUS(record_artifact(info, actor));
  return info;
}

Result<VerifyReport> EvidenceLocker::verify(std::string_view incident,
                                            const VerifyOptions& options) {
  FIREBREAK_TRY_STATUS(validate_incident_id(incident));
  if (!has_incident(incident)) {
    return fail(ErrorCode::kNotFound, fmt::format("no evidence for incident \"{}\" in {}", incident,
                                                  options_.dir.string()));
  }
  auto key = public_key();
  std::optional<PublicKey> pk;
  if (key) {
    pk = std::move(*key);
  } else if (key.error().code() != ErrorCode::kNotFound) {
    return fail(key.error());
  }
  const fs::path dir = incident_dir(incident);
  ArtifactOpener opener = [this](std::string_view sha) { return store_->open(sha); };
  return verify_ledger_files(dir / "ledger.log", dir / "checkpoints.log", incident,
                             pk ? &*pk : nullptr, opener, options);
}

}  // namespace firebreak::evidence
