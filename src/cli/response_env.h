#pragma once
// Private to the CLI: what every response command (respond, plan, runs, incidents, watch) opens —
// the state directory with the run journal and the incident store, the evidence locker the
// runs record into, the action registry, the playbooks, and the cloud backend the runs act on.
//
// State lives in one directory: --state-dir, else $FIREBREAK_STATE_DIR, else
// $XDG_DATA_HOME/firebreak, else ~/.local/share/firebreak. It holds journal.db (runs and steps),
// incidents.db, and evidence/ (unless --evidence-dir or $FIREBREAK_EVIDENCE_DIR says otherwise).
//
// Backends:
//   sim  (default) the simulated organisation of a world file (--world, default
//        worlds/acme.yaml), acting as the file's responder; attack scripts (--attack) are played
//        to their end first, so there is something to respond to. The world, and simulated time,
//        live only in this process: a simulator run must finish (or park) in the command that
//        started it.
//   aws  the real AWS client with the usual AWS configuration (--profile, --region,
//        --endpoint-url, --cross-account-role; see README).

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws_options.h"
#include "firebreak/cloud/session.h"
#include "firebreak/cloud/sim/world_yaml.h"
#include "firebreak/core/clock.h"
#include "firebreak/evidence/locker.h"
#include "firebreak/incident/incident.h"
#include "firebreak/respond/executor.h"
#include "firebreak/respond/journal.h"
#include "firebreak/respond/playbook.h"

namespace firebreak::cli {

struct StateOptions {
  std::string state_dir;
  std::string evidence_dir;
};

struct BackendOptions {
  std::string backend = "sim";
  std::string world = "worlds/acme.yaml";
  std::vector<std::string> attacks;
  AwsCliOptions aws;
};

// --state-dir and --evidence-dir.
void add_state_options(CLI::App& cmd, StateOptions& o);
// --backend, --world, --attack and the AWS options.
void add_backend_options(CLI::App& cmd, BackendOptions& o);

// Who is acting: $FIREBREAK_ACTOR, else $USER, else "operator".
[[nodiscard]] std::string default_actor();

class ResponseEnv {
 public:
  // Opens the state (journal, incidents, evidence). With `backend` set, also builds the cloud
  // provider the executor acts on; without, the executor cannot reach any cloud.
  [[nodiscard]] static Result<std::unique_ptr<ResponseEnv>> open(
      const StateOptions& state, const BackendOptions* backend);
  ~ResponseEnv();

  [[nodiscard]] Clock& clock() { return *clock_; }
  [[nodiscard]] respond::Journal& journal() { return *journal_; }
  [[nodiscard]] incident::IncidentStore& incidents() { return *incidents_; }
  [[nodiscard]] const respond::ActionRegistry& registry() const { return registry_; }
  [[nodiscard]] evidence::EvidenceLocker& locker() { return *locker_; }
  // `dry_run` executors record into the journal only, not the ledger. Without a backend the
  // executor can only decide, cancel and show: anything reaching a cloud fails.
  [[nodiscard]] respond::Executor& executor(bool dry_run = false);
  // "sim", "aws", or "none".
  [[nodiscard]] std::string_view backend() const;
  // The simulated world (sim backend only; else nullptr).
  [[nodiscard]] cloud::sim::LoadedWorld* world() { return world_.get(); }
  // What the attack scripts did, one line per step (sim backend with --attack).
  [[nodiscard]] const std::vector<std::string>& attack_log() const { return attack_log_; }

  // A playbook by id (looked up in `dir`) or by path to a YAML file.
  [[nodiscard]] Result<respond::Playbook> playbook(std::string_view id_or_path,
                                                   const std::string& dir = "playbooks") const;

  // Resolves what the operator typed as a target: on the simulator, world names ("web-asg-1",
  // "prod/ci-deployer") become ids and the account is the resource's own.
  [[nodiscard]] Result<respond::Target> resolve_target(respond::TargetType type,
                                                       std::string_view id,
                                                       std::string_view account) const;

  // Mutating CloudTrail records of firebreak's responder in the simulated world so far (for the
  // plan command's self-check); nullopt on the aws backend.
  [[nodiscard]] std::optional<std::size_t> simulated_mutating_calls() const;

 private:
  ResponseEnv() = default;
  std::unique_ptr<SimClock> sim_clock_;
  Clock* clock_ = nullptr;
  std::unique_ptr<cloud::sim::LoadedWorld> world_;
  std::shared_ptr<cloud::CloudProvider> provider_;
  std::unique_ptr<respond::Journal> journal_;
  std::unique_ptr<incident::IncidentStore> incidents_;
  std::unique_ptr<evidence::EvidenceLocker> locker_;
  respond::ActionRegistry registry_;
  std::unique_ptr<respond::IncidentRecorder> ledger_recorder_;
  std::unique_ptr<respond::IncidentRecorder> journal_recorder_;
  std::unique_ptr<respond::Executor> executor_;
  std::unique_ptr<respond::Executor> dry_executor_;
  std::vector<std::string> attack_log_;
};

// The incident a response to `target` belongs to: `incident_id` when given (it must exist),
// else the open incident holding the target's entity, else a new one opened by hand.
[[nodiscard]] Result<std::string> incident_for(incident::IncidentStore& store,
                                               const respond::Target& target,
                                               std::string_view incident_id,
                                               std::string_view playbook_title,
                                               std::string_view actor);

// The incident entity type a playbook target type groups under ("instance", "access_key", ...).
[[nodiscard]] std::string entity_type_for(respond::TargetType type);

}  // namespace firebreak::cli
