#include "response_env.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "firebreak/cloud/sim/attack.h"
#include "firebreak/cloud/sim/provider.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/respond/ledger_recorder.h"
#include "firebreak/respond/recorder.h"

namespace firebreak::cli {
namespace fs = std::filesystem;

void add_state_options(CLI::App& cmd, StateOptions& o) {
  cmd.add_option("--state-dir", o.state_dir,
                 "Where runs, incidents and evidence live (FIREBREAK_STATE_DIR; default "
                 "$XDG_DATA_HOME/firebreak or ~/.local/share/firebreak)");
  cmd.add_option("--evidence-dir", o.evidence_dir,
                 "Evidence locker (FIREBREAK_EVIDENCE_DIR; default <state-dir>/evidence)");
}

void add_backend_options(CLI::App& cmd, BackendOptions& o) {
  cmd.add_option("--backend", o.backend,
                 "sim (the simulated organisation of --world; default) or aws (real AWS)")
      ->check(CLI::IsMember({"sim", "aws"}));
  cmd.add_option("--world", o.world,
                 "sim: world file (default worlds/acme.yaml; see worlds/README.md)");
  cmd.add_option("--attack", o.attacks,
                 "sim: attack scripts played to their end before responding (repeatable)");
  add_aws_options(cmd, o.aws);
}

std::string default_actor() {
  if (auto a = evidence::process_env("FIREBREAK_ACTOR"); a && !a->empty()) return *a;
  if (auto u = evidence::process_env("USER"); u && !u->empty()) return *u;
  return "operator";
}

namespace {

Result<fs::path> state_dir(const StateOptions& o) {
  if (!o.state_dir.empty()) return fs::path(o.state_dir);
  if (auto d = evidence::process_env("FIREBREAK_STATE_DIR"); d && !d->empty()) return fs::path(*d);
  if (auto x = evidence::process_env("XDG_DATA_HOME"); x && !x->empty()) {
    return fs::path(*x) / "firebreak";
  }
  if (auto h = evidence::process_env("HOME"); h && !h->empty()) {
    return fs::path(*h) / ".local" / "share" / "firebreak";
  }
  return fail(ErrorCode::kInvalidArgument,
              "no state directory: give --state-dir, or set FIREBREAK_STATE_DIR or HOME");
}

// Plays every attack script against the world, one after another, to its end.
Status play_attacks(cloud::sim::LoadedWorld& world, const std::vector<std::string>& paths,
                    std::vector<std::string>& log) {
  for (const auto& path : paths) {
    FIREBREAK_TRY(cloud::sim::AttackScript script, cloud::sim::load_attack_file(path));
    cloud::sim::AttackRunner runner(world, script, world.world->now());
    while (auto next = runner.next()) {
      if (*next > world.world->now()) world.world->run_until(*next);
      runner.run_due();
    }
    for (const auto& o : runner.outcomes()) {
      log.push_back(fmt::format("{} {} {:<28} {} {}", format_iso8601(o.time), script.name, o.step,
                                o.ok ? "ok" : "refused", o.detail));
    }
  }
  return {};
}

// The provider of commands that only touch the journal (list, show, cancel): any attempt to
// reach a cloud fails.
class NoCloudProvider final : public cloud::CloudProvider {
 public:
  std::string_view backend() const override { return "none"; }
  Result<std::shared_ptr<cloud::CloudSession>> session(const cloud::SessionRequest&) override {
    return fail(ErrorCode::kFailedPrecondition, "this command does not act on a cloud");
  }
  void add_hook(std::shared_ptr<cloud::CallHook>) override {}
};

}  // namespace

ResponseEnv::~ResponseEnv() = default;

Result<std::unique_ptr<ResponseEnv>> ResponseEnv::open(const StateOptions& state,
                                                       const BackendOptions* backend) {
  std::unique_ptr<ResponseEnv> env(new ResponseEnv());
  env->clock_ = &real_clock();

  if (backend != nullptr && backend->backend == "sim") {
    FIREBREAK_TRY(auto loaded, cloud::sim::load_world_file(backend->world));
    if (!loaded.responder) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: the world names no responder (responder: {{account, user}}), "
                              "so firebreak has no identity to act as",
                              backend->world));
    }
    env->world_ = std::make_unique<cloud::sim::LoadedWorld>(std::move(loaded));
    // Everything in a simulator run happens in simulated time: the executor's waits advance it
    // and the world catches up on every call.
    env->clock_ = &env->world_->world->clock();
    FIREBREAK_TRY_STATUS(play_attacks(*env->world_, backend->attacks, env->attack_log_));
    cloud::sim::Identity id;
    id.credentials = *env->world_->responder;
    id.user_agent = fmt::format("{}{} (simulator)", cloud::kUserAgentPrefix, FIREBREAK_VERSION);
    env->provider_ = std::make_shared<cloud::sim::SimProvider>(env->world_->world, std::move(id));
  } else if (backend != nullptr && backend->backend == "aws") {
    if (!backend->attacks.empty()) {
      return fail(ErrorCode::kInvalidArgument, "--attack is for the simulator (--backend sim)");
    }
    FIREBREAK_TRY(auto aws, make_aws_provider(backend->aws));
    env->provider_ = std::move(aws);
  } else if (backend != nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown backend '{}' (sim or aws)", backend->backend));
  } else {
    env->provider_ = std::make_shared<NoCloudProvider>();
  }

  FIREBREAK_TRY(fs::path dir, state_dir(state));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);  // runs hold ARNs
  FIREBREAK_TRY(env->journal_, respond::Journal::open(dir / "journal.db", *env->clock_));
  FIREBREAK_TRY(env->incidents_, incident::IncidentStore::open(dir / "incidents.db", *env->clock_));

  evidence::LockerOptions lo;
  if (!state.evidence_dir.empty()) {
    lo.dir = state.evidence_dir;
  } else if (auto e = evidence::process_env("FIREBREAK_EVIDENCE_DIR"); e && !e->empty()) {
    lo.dir = *e;
  } else {
    lo.dir = dir / "evidence";
  }
  if (auto k = evidence::process_env("FIREBREAK_SIGNING_KEY"); k && !k->empty()) {
    lo.signing_key = fs::path(*k);
  }
  lo.clock = env->clock_;
  FIREBREAK_TRY(env->locker_, evidence::EvidenceLocker::open(std::move(lo)));

  respond::register_builtin_actions(env->registry_);
  env->ledger_recorder_ = std::make_unique<respond::LedgerRecorder>(*env->locker_);
  env->journal_recorder_ = std::make_unique<respond::JournalRecorder>(*env->journal_);
  return env;
}

respond::Executor& ResponseEnv::executor(bool dry_run) {
  auto& slot = dry_run ? dry_executor_ : executor_;
  if (!slot) {
    respond::ExecutorOptions o;
    // The simulator is deterministic with one worker; real AWS runs benefit from several.
    o.workers = world_ ? 1 : 4;
    if (world_) o.seed = world_->seed;
    slot = std::make_unique<respond::Executor>(
        *journal_, registry_, *provider_, *clock_,
        dry_run ? *journal_recorder_ : *ledger_recorder_, o);
  }
  return *slot;
}

std::string_view ResponseEnv::backend() const { return provider_->backend(); }

Result<respond::Playbook> ResponseEnv::playbook(std::string_view id_or_path,
                                                const std::string& dir) const {
  const fs::path given(id_or_path);
  std::error_code ec;
  if (fs::is_regular_file(given, ec)) return respond::load_playbook(given, registry_);
  auto set = respond::load_playbooks({fs::path(dir)}, registry_);
  if (const auto* pb = set.find(id_or_path)) return *pb;
  for (const auto& e : set.errors) {
    // A broken file might be the one asked for: say so rather than "not found".
    if (e.describe().find(std::string(id_or_path)) != std::string::npos) return fail(e);
  }
  std::string known;
  for (const auto& pb : set.playbooks) known += (known.empty() ? "" : ", ") + pb.id;
  return fail(ErrorCode::kNotFound,
              fmt::format("no playbook '{}' in {} (known: {})", id_or_path, dir,
                          known.empty() ? "none" : known));
}

Result<respond::Target> ResponseEnv::resolve_target(respond::TargetType type, std::string_view id,
                                                    std::string_view account) const {
  respond::Target t;
  t.type = type;
  t.id = std::string(id);
  t.account = std::string(account);
  if (world_) {
    auto& w = *world_->world;
    // Names from the world file ("web-asg-1", "prod/ci-deployer") stand for their ids.
    if (auto resolved = w.resolve(t.id)) t.id = *resolved;
    if (t.account.empty()) {
      if (auto acct = w.account_of(t.id)) {
        t.account = *acct;
      } else if (type == respond::TargetType::kAccessKey || type == respond::TargetType::kIamUser) {
        // Keys and users are not world names: find the account that has them.
        for (const auto& [name, creds] : world_->user_keys) {
          const auto slash = name.find('/');
          const std::string user = name.substr(slash + 1);
          if (creds.access_key_id == t.id || user == t.id) {
            if (auto a = w.resolve(name.substr(0, slash))) t.account = *a;
            break;
          }
        }
      }
    }
  }
  return t;
}

std::optional<std::size_t> ResponseEnv::simulated_mutating_calls() const {
  if (!world_) return std::nullopt;
  std::size_t n = 0;
  for (const auto& account : world_->world->account_ids()) {
    for (const auto& text : world_->world->records(account)) {
      auto r = parse_json(text);
      if (!r || !r->is_object()) continue;
      const std::string agent = r->value("userAgent", "");
      if (!agent.starts_with(cloud::kUserAgentPrefix)) continue;
      if (!r->value("readOnly", true)) ++n;
    }
  }
  return n;
}

std::string entity_type_for(respond::TargetType type) {
  switch (type) {
    case respond::TargetType::kEc2Instance: return "instance";
    case respond::TargetType::kAccessKey: return "access_key";
    case respond::TargetType::kIamUser: return "user";
    case respond::TargetType::kIamRole: return "role";
    case respond::TargetType::kS3Bucket: return "bucket";
    case respond::TargetType::kTrail: return "trail";
    case respond::TargetType::kAccount: return "account";
  }
  return "resource";
}

Result<std::string> incident_for(incident::IncidentStore& store, const respond::Target& target,
                                 std::string_view incident_id, std::string_view playbook_title,
                                 std::string_view actor) {
  if (!incident_id.empty()) {
    FIREBREAK_TRY(auto inc, store.get(incident_id));
    return inc.id;
  }
  const incident::Entity entity{entity_type_for(target.type), target.id};
  FIREBREAK_TRY(auto open, store.find_open(entity));
  if (open) return *open;
  std::vector<incident::Entity> entities{entity};
  if (!target.account.empty()) entities.push_back({"account", target.account});
  return store.create(fmt::format("{}: {}", playbook_title, target.id), incident::Severity::kHigh,
                      entities, actor);
}

}  // namespace firebreak::cli
