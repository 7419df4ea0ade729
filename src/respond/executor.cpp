#include "firebreak/respond/executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "firebreak/cloud/hooks.h"
#include "firebreak/core/log.h"
#include "firebreak/evidence/call_recorder.h"

namespace firebreak::respond {

namespace {

constexpr std::string_view kActor = "firebreak";

// Refuses every mutating call in a dry-run session: a plan must never change anything, even if
// an action is buggy.
class RefuseMutationsHook final : public cloud::CallHook {
 public:
  Status before(const cloud::OperationInfo& op) override {
    if (!op.mutating) return {};
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("dry run: refused mutating call {}", op.iam_action()));
  }
  void after(const cloud::OperationInfo&, const Status&) override {}
};

// Records every API call a run makes into the incident's record, in the shape of the evidence
// ledger's LedgerCallRecorder (evidence/call_recorder.h): a mutating call's request before it is
// made - and the call is not made when that record cannot be written (fail closed: no action
// without its trace) - and every call's outcome after. Outcomes carry error codes, never error
// messages, which can quote request data.
class ApiCallRecorder final : public cloud::CallHook {
 public:
  ApiCallRecorder(IncidentRecorder& recorder, std::string incident, std::string run)
      : recorder_(recorder), incident_(std::move(incident)), run_(std::move(run)) {}
  Status before(const cloud::OperationInfo& op) override {
    if (!op.mutating) return {};
    auto s = recorder_.record(incident_, run_, kActor, "action_request",
                              Json{{"call", evidence::api_call_json(op)}});
    if (!s) {
      return fail(s.error().wrap(fmt::format(
          "not calling {}: its request could not be recorded for the incident", op.iam_action())));
    }
    return {};
  }
  void after(const cloud::OperationInfo& op, const Status& outcome) override {
    Json payload{{"call", evidence::api_call_json(op)},
                 {"outcome", evidence::api_outcome_json(outcome)}};
    auto s = recorder_.record(incident_, run_, kActor,
                              op.mutating ? "action_result" : "observation", payload);
    if (!s) {
      log::error("run {}: the outcome of {} could not be recorded: {}", run_, op.iam_action(),
                 s.error().describe());
    }
  }

 private:
  IncidentRecorder& recorder_;
  std::string incident_;
  std::string run_;
};

// Collects the calls a read-only action makes during a dry run, for the plan report.
class CallCollector final : public cloud::CallHook {
 public:
  Status before(const cloud::OperationInfo&) override { return {}; }
  void after(const cloud::OperationInfo& op, const Status&) override {
    std::lock_guard lock(mu_);
    if (active_) {
      calls_.push_back(
          ApiCall{std::string(op.service), std::string(op.operation), op.mutating, ""});
    }
  }
  void start() {
    std::lock_guard lock(mu_);
    calls_.clear();
    active_ = true;
  }
  std::vector<ApiCall> stop() {
    std::lock_guard lock(mu_);
    active_ = false;
    return std::move(calls_);
  }

 private:
  std::mutex mu_;
  bool active_ = false;
  std::vector<ApiCall> calls_;
};

std::string idempotency_token_for(std::string_view run, std::string_view step) {
  std::string out;
  for (char c : fmt::format("{}-{}", run, step)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '-';
  }
  if (out.size() > 64) out.resize(64);
  return out;
}

Json target_json(const Target& t) {
  return {{"type", to_string(t.type)}, {"id", t.id}, {"account", t.account}, {"region", t.region}};
}

// Applies declared defaults and checks rendered parameter types.
Result<Json> finish_params(const ActionSpec& spec, Json params, std::string_view step) {
  if (!params.is_object()) params = Json::object();
  for (const auto& p : spec.params) {
    auto it = params.find(p.name);
    if (it == params.end() || it->is_null()) {
      if (p.required) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("step '{}': parameter '{}' of '{}' rendered to nothing", step,
                                p.name, spec.name));
      }
      params[p.name] = p.default_value;
      continue;
    }
    if (!param_type_matches(p.type, *it)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("step '{}': parameter '{}' of '{}' must be a {}, got {}", step,
                              p.name, spec.name, to_string(p.type), dump_json(*it)));
    }
  }
  return params;
}

void collect_all(const std::vector<Step>& steps, std::vector<const Step*>& out) {
  for (const auto& s : steps) {
    out.push_back(&s);
    for (const auto& b : s.branches) collect_all(b.steps, out);
  }
}

}  // namespace

// ---- per-run state ----

struct Executor::Impl {
  Journal& journal;
  const ActionRegistry& registry;
  cloud::CloudProvider& cloud;
  Clock& clock;
  IncidentRecorder& recorder;
  ExecutorOptions opt;
  std::string owner;

  std::mutex mu;  // guards the caches and the jitter generator
  IdGenerator ids;
  std::map<std::string, std::shared_ptr<Playbook>, std::less<>> playbooks;  // by digest
  struct SessionEntry {
    std::shared_ptr<cloud::CloudSession> session;
    std::shared_ptr<CallCollector> collector;
  };
  std::map<std::string, SessionEntry, std::less<>> sessions;  // by run id

  Impl(Journal& j, const ActionRegistry& r, cloud::CloudProvider& c, Clock& k,
       IncidentRecorder& rec, ExecutorOptions o)
      : journal(j),
        registry(r),
        cloud(c),
        clock(k),
        recorder(rec),
        opt(std::move(o)),
        owner(opt.owner.empty() ? process_owner_id() : opt.owner),
        ids(opt.seed ? opt.seed : random_seed()) {}

  Result<std::shared_ptr<Playbook>> playbook_for(const RunRecord& run) {
    {
      std::lock_guard lock(mu);
      if (auto it = playbooks.find(run.playbook_digest); it != playbooks.end()) return it->second;
    }
    auto pb = parse_playbook(run.playbook_text, run.playbook_file, registry);
    if (!pb)
      return fail(pb.error().wrap(fmt::format("run {}: pinned playbook no longer loads", run.id)));
    auto shared = std::make_shared<Playbook>(std::move(*pb));
    std::lock_guard lock(mu);
    playbooks.emplace(run.playbook_digest, shared);
    return shared;
  }

  Result<SessionEntry> session_for(const RunRecord& run) {
    {
      std::lock_guard lock(mu);
      if (auto it = sessions.find(run.id); it != sessions.end()) return it->second;
    }
    cloud::SessionRequest req;
    req.account_id = run.target.value("account", "");
    req.region = run.target.value("region", "");
    req.role_session_name = cloud::role_session_name_for(run.incident_id);
    FIREBREAK_TRY(auto session, cloud.session(req));
    SessionEntry e{session, std::make_shared<CallCollector>()};
    if (run.dry_run) session->add_hook(std::make_shared<RefuseMutationsHook>());
    session->add_hook(std::make_shared<ApiCallRecorder>(recorder, run.incident_id, run.id));
    session->add_hook(e.collector);
    std::lock_guard lock(mu);
    sessions.emplace(run.id, e);
    return e;
  }

  void forget_session(std::string_view run_id) {
    std::lock_guard lock(mu);
    if (auto it = sessions.find(run_id); it != sessions.end()) sessions.erase(it);
  }

  Duration backoff(int attempt) {
    const double base = std::chrono::duration<double>(opt.retry_base).count();
    const double cap = std::chrono::duration<double>(opt.retry_cap).count();
    const double d = std::min(cap, base * std::pow(2.0, std::max(0, attempt - 1)));
    double u;
    {
      std::lock_guard lock(mu);
      u = ids.unit();
    }
    // "Equal jitter": never zero, spreads a wave of retries.
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(d / 2 + u * d / 2));
  }

  Result<RunState> advance(std::string_view run_id);
  Result<std::vector<std::string>> run_until_idle(std::optional<std::string> only);
};

// The ActionContext a step's action sees.
class StepContext final : public ActionContext {
 public:
  StepContext(Executor::Impl& impl, const RunRecord& run, StepRecord& rec, Json params,
              cloud::CloudSession& session)
      : impl_(impl), run_(run), rec_(rec), params_(std::move(params)), session_(session) {}

  cloud::CloudSession& cloud() override { return session_; }
  Clock& clock() override { return impl_.clock; }
  const Json& params() const override { return params_; }
  std::string_view run_id() const override { return run_.id; }
  std::string_view step_id() const override { return rec_.step_id; }
  std::string_view incident_id() const override { return run_.incident_id; }
  std::string idempotency_token() const override {
    return idempotency_token_for(run_.id, rec_.step_id);
  }
  void record(std::string_view kind, const Json& payload) override {
    Json p = payload.is_object() ? payload : Json{{"value", payload}};
    p["step"] = rec_.step_id;
    if (!p.contains("action")) p["action"] = action_name_;
    (void)impl_.recorder.record(run_.incident_id, run_.id, kActor, kind, p);
  }
  const Json& state() const override { return rec_.scratch; }
  Status save_state(Json state) override {
    rec_.scratch = std::move(state);
    return impl_.journal.put_step(rec_);
  }
  bool cancelled() const override {
    auto r = impl_.journal.run(run_.id);
    return r && r->state == RunState::kCancelled;
  }
  void set_action_name(std::string name) { action_name_ = std::move(name); }

 private:
  Executor::Impl& impl_;
  const RunRecord& run_;
  StepRecord& rec_;
  Json params_;
  cloud::CloudSession& session_;
  std::string action_name_;
};

namespace {

// Walks a run's step tree once, doing as much as can be done now.
class RunWalker {
 public:
  enum class Outcome { kDone, kWait, kPark, kFailed, kStopped };

  RunWalker(Executor::Impl& impl, RunRecord& run, const Playbook& pb, cloud::CloudSession& session,
            CallCollector& collector)
      : impl_(impl), run_(run), pb_(pb), session_(session), collector_(collector) {}

  Result<Outcome> walk() {
    FIREBREAK_TRY(auto recs, impl_.journal.steps(run_.id));
    for (auto& r : recs) records_.emplace(r.step_id, std::move(r));
    return walk_list(pb_.steps);
  }

  std::optional<TimePoint> wake_at;
  std::string failure;

 private:
  StepRecord& rec_for(const Step& s) {
    auto it = records_.find(s.id);
    if (it == records_.end()) {
      StepRecord r;
      r.run_id = run_.id;
      r.step_id = s.id;
      it = records_.emplace(s.id, std::move(r)).first;
    }
    return it->second;
  }

  Json context() const {
    Json steps = Json::object();
    for (const auto& [id, r] : records_) {
      steps[id] = {
          {"state", to_string(r.state)},
          {"outputs", r.outputs},
          {"finished_at", r.finished_at ? Json(format_iso8601(*r.finished_at)) : Json(nullptr)}};
    }
    Json inputs = Json::object();
    for (const auto& in : pb_.inputs) inputs[in.name] = in.default_value;
    for (auto it = run_.inputs.begin(); it != run_.inputs.end(); ++it) inputs[it.key()] = *it;
    return {{"incident", run_.incident},
            {"target", run_.target},
            {"inputs", inputs},
            {"steps", steps},
            {"finding", run_.trigger},
            {"run", {{"id", run_.id}, {"playbook", pb_.id}, {"dry_run", run_.dry_run}}}};
  }

  Status save(StepRecord& r) { return impl_.journal.put_step(r); }

  Status log(std::string_view step, std::string_view kind, std::string_view msg,
             const Json& data = nullptr) {
    return impl_.journal.log(run_.id, step, kind, msg, data);
  }

  void record(std::string_view kind, Json payload) {
    (void)impl_.recorder.record(run_.incident_id, run_.id, kActor, kind, payload);
  }

  Status mark_skipped(const std::vector<Step>& steps, std::string_view why) {
    for (const auto& s : steps) {
      StepRecord& r = rec_for(s);
      if (r.state == StepState::kPending) {
        r.state = StepState::kSkipped;
        r.error = std::string(why);
        FIREBREAK_TRY_STATUS(save(r));
      }
      for (const auto& b : s.branches) FIREBREAK_TRY_STATUS(mark_skipped(b.steps, why));
    }
    return {};
  }

  Result<Outcome> walk_list(const std::vector<Step>& steps) {
    for (const auto& step : steps) {
      FIREBREAK_TRY(Outcome o, walk_step(step));
      if (o != Outcome::kDone) return o;
    }
    return Outcome::kDone;
  }

  Result<Outcome> walk_step(const Step& step) {
    StepRecord& r = rec_for(step);
    switch (r.state) {
      case StepState::kSkipped:
      case StepState::kApplied:
      case StepState::kVerified:
      case StepState::kPlanned: return Outcome::kDone;
      case StepState::kDecided:
        if (r.branch >= 0 && static_cast<std::size_t>(r.branch) < step.branches.size()) {
          return walk_list(step.branches[static_cast<std::size_t>(r.branch)].steps);
        }
        return Outcome::kDone;
      case StepState::kFailed:
        // Only reachable for on_failure: continue (otherwise the run is terminal).
        return step.on_failure == OnFailure::kContinue ? Outcome::kDone : Outcome::kFailed;
      case StepState::kDenied:
      case StepState::kRolledBack:
      case StepState::kRollbackFailed: return Outcome::kFailed;
      case StepState::kAwaitingApproval: {
        FIREBREAK_TRY(auto decision, impl_.journal.approval(run_.id, step.id));
        if (!decision) return Outcome::kPark;
        if (!decision->approved) {
          r.state = StepState::kDenied;
          r.error = fmt::format("denied by {}{}", decision->actor,
                                decision->reason.empty() ? "" : ": " + decision->reason);
          FIREBREAK_TRY_STATUS(save(r));
          failure = r.error;
          return Outcome::kStopped;
        }
        r.state = StepState::kApproved;
        FIREBREAK_TRY_STATUS(save(r));
        return execute(step, r);
      }
      case StepState::kWaiting:
        if (r.not_before && *r.not_before > impl_.clock.now()) {
          wake_at = r.not_before;
          return Outcome::kWait;
        }
        return execute(step, r);
      case StepState::kPending: return begin(step, r);
      case StepState::kApproved:
      case StepState::kRunning: return execute(step, r);
    }
    return Outcome::kDone;
  }

  // First visit of a pending step: condition, decision, approval.
  Result<Outcome> begin(const Step& step, StepRecord& r) {
    const Json ctx = context();
    if (step.when) {
      auto ok = step.when->test(ctx);
      if (!ok) return fail_step(step, r, ok.error().wrap("evaluating 'when'"));
      if (!*ok) {
        r.state = StepState::kSkipped;
        r.error = fmt::format("when '{}' was false", step.when->text());
        FIREBREAK_TRY_STATUS(save(r));
        FIREBREAK_TRY_STATUS(log(step.id, "step", "skipped: " + r.error));
        for (const auto& b : step.branches) {
          FIREBREAK_TRY_STATUS(mark_skipped(b.steps, "parent step skipped"));
        }
        return Outcome::kDone;
      }
    }
    if (!step.branches.empty()) {
      int chosen = -1;
      for (std::size_t i = 0; i < step.branches.size() && chosen < 0; ++i) {
        const auto& b = step.branches[i];
        if (!b.when) {
          chosen = static_cast<int>(i);
          break;
        }
        auto ok = b.when->test(ctx);
        if (!ok) return fail_step(step, r, ok.error().wrap("evaluating a branch condition"));
        if (*ok) chosen = static_cast<int>(i);
      }
      for (std::size_t i = 0; i < step.branches.size(); ++i) {
        if (static_cast<int>(i) != chosen) {
          FIREBREAK_TRY_STATUS(mark_skipped(step.branches[i].steps, "branch not chosen"));
        }
      }
      r.state = StepState::kDecided;
      r.branch = chosen;
      r.outputs = {{"branch", chosen}};
      r.finished_at = impl_.clock.now();
      FIREBREAK_TRY_STATUS(save(r));
      FIREBREAK_TRY_STATUS(log(step.id, "step",
                               chosen < 0 ? std::string("decided: no branch matched")
                                          : fmt::format("decided: branch {}", chosen + 1)));
      record("observation", {{"step", step.id}, {"decision", chosen}});
      if (chosen < 0) return Outcome::kDone;
      return walk_list(step.branches[static_cast<std::size_t>(chosen)].steps);
    }
    bool needs_approval = step.approval == ApprovalMode::kRequired;
    if (step.approval == ApprovalMode::kConditional) {
      auto ok = step.approval_when->test(ctx);
      if (!ok) return fail_step(step, r, ok.error().wrap("evaluating approval.when"));
      needs_approval = *ok;
    }
    if (needs_approval && !run_.dry_run) {
      FIREBREAK_TRY(auto decision, impl_.journal.approval(run_.id, step.id));
      if (!decision) {
        r.state = StepState::kAwaitingApproval;
        FIREBREAK_TRY_STATUS(save(r));
        FIREBREAK_TRY_STATUS(log(step.id, "approval", "approval requested"));
        record("approval", {{"step", step.id}, {"requested", true}});
        return Outcome::kPark;
      }
      r.state = StepState::kAwaitingApproval;
      return walk_step(step);
    }
    if (needs_approval) r.error = "approval required (not requested in a dry run)";
    return execute(step, r);
  }

  Result<Outcome> execute(const Step& step, StepRecord& r) {
    const TimePoint now = impl_.clock.now();
    if (step.action.empty()) {  // a pure approval gate
      r.state = StepState::kApplied;
      r.finished_at = now;
      FIREBREAK_TRY_STATUS(save(r));
      return Outcome::kDone;
    }
    Action* action = impl_.registry.find_mutable(step.action);
    if (!action) {
      return fail_step(
          step, r,
          Error(ErrorCode::kInvalidArgument, fmt::format("unknown action '{}'", step.action)));
    }
    if (r.started_at && now - *r.started_at > step.timeout) {
      return fail_step(step, r,
                       Error(ErrorCode::kTimeout, fmt::format("step timed out after {}",
                                                              format_duration(step.timeout))));
    }
    auto rendered = step.params.render(context());
    if (!rendered) {
      if (run_.dry_run) return plan_unknown_params(r, *action, rendered.error());
      return fail_step(step, r, rendered.error().wrap("rendering params"));
    }
    auto params = finish_params(action->spec(), std::move(*rendered), step.id);
    if (!params) {
      if (run_.dry_run) return plan_unknown_params(r, *action, params.error());
      return fail_step(step, r, params.error());
    }

    StepContext ctx(impl_, run_, r, *params, session_);
    ctx.set_action_name(step.action);

    if (run_.dry_run) return plan_step(step, r, *action, ctx, *params);

    r.state = StepState::kRunning;
    r.params = *params;
    r.attempts += 1;
    if (!r.started_at) r.started_at = now;
    FIREBREAK_TRY_STATUS(save(r));
    ctx.record("action_request", {{"params", *params}, {"attempt", r.attempts}});

    auto applied = action->apply(ctx);
    if (!applied) return retry_or_fail(step, r, applied.error());
    if (applied->wait) {
      r.state = StepState::kWaiting;
      r.not_before = impl_.clock.now() + *applied->wait;
      r.attempts -= 1;  // waiting is progress, not a failed attempt
      FIREBREAK_TRY_STATUS(save(r));
      FIREBREAK_TRY_STATUS(
          log(step.id, "step",
              fmt::format("waiting {}: {}", format_duration(*applied->wait), applied->summary)));
      wake_at = r.not_before;
      return Outcome::kWait;
    }
    r.outputs = applied->outputs;
    r.state = StepState::kApplied;
    r.error.clear();
    r.not_before.reset();
    FIREBREAK_TRY_STATUS(save(r));
    ctx.record("action_result", {{"outputs", applied->outputs},
                                 {"changed", applied->changed},
                                 {"summary", applied->summary}});
    FIREBREAK_TRY_STATUS(log(
        step.id, "step",
        fmt::format("applied{}: {}", applied->changed ? "" : " (no change)", applied->summary)));
    if (!step.verify) {
      r.finished_at = impl_.clock.now();
      FIREBREAK_TRY_STATUS(save(r));
      return Outcome::kDone;
    }
    auto verified = action->verify(ctx, r.outputs);
    if (!verified) return retry_or_fail(step, r, verified.error().wrap("verify"));
    if (!verified->ok) {
      return retry_or_fail(
          step, r,
          Error(ErrorCode::kFailedPrecondition, "verification failed: " + verified->detail),
          /*verification=*/true);
    }
    r.state = StepState::kVerified;
    r.finished_at = impl_.clock.now();
    FIREBREAK_TRY_STATUS(save(r));
    ctx.record("observation", {{"verified", true}, {"detail", verified->detail}});
    FIREBREAK_TRY_STATUS(log(step.id, "step", "verified: " + verified->detail));
    return Outcome::kDone;
  }

  Result<Outcome> plan_step(const Step& step, StepRecord& r, Action& action, StepContext& ctx,
                            const Json& params) {
    r.params = params;
    Json scratch = Json::object();
    std::vector<ApiCall> calls;
    if (!action.spec().mutating) {
      collector_.start();
      auto applied = action.apply(ctx);
      calls = collector_.stop();
      if (!applied) return fail_step(step, r, applied.error());
      r.outputs = applied->outputs;
      scratch["disposition"] = "run (read-only)";
    } else {
      auto planned = action.plan(ctx);
      if (!planned) return fail_step(step, r, planned.error().wrap("plan"));
      calls = std::move(*planned);
      r.outputs = nullptr;
      scratch["disposition"] = "plan";
    }
    Json jc = Json::array();
    for (const auto& c : calls) {
      jc.push_back({{"service", c.service},
                    {"operation", c.operation},
                    {"mutating", c.mutating},
                    {"detail", c.detail}});
    }
    scratch["calls"] = jc;
    r.scratch = scratch;
    r.state = StepState::kPlanned;
    r.finished_at = impl_.clock.now();
    FIREBREAK_TRY_STATUS(save(r));
    return Outcome::kDone;
  }

  // Dry run: a step whose parameters come from an earlier step that was only planned (the
  // snapshot ids a snapshot step would create) cannot be planned call by call. It is reported
  // with the calls its action may make (from its declared permissions) and why, instead of
  // failing the whole plan.
  Result<Outcome> plan_unknown_params(StepRecord& r, Action& action, const Error& why) {
    Json jc = Json::array();
    for (const auto& perm : action.spec().permissions) {
      const auto colon = perm.find(':');
      jc.push_back({{"service", perm.substr(0, colon)},
                    {"operation", colon == std::string::npos ? perm : perm.substr(colon + 1)},
                    {"mutating", action.spec().mutating},
                    {"detail", "may call (parameters known only when run)"}});
    }
    r.scratch = {{"disposition", "plan (parameters from planned steps)"}, {"calls", jc}};
    r.error = why.describe();
    r.outputs = nullptr;
    r.state = StepState::kPlanned;
    r.finished_at = impl_.clock.now();
    FIREBREAK_TRY_STATUS(save(r));
    return Outcome::kDone;
  }

  Result<Outcome> retry_or_fail(const Step& step, StepRecord& r, const Error& e,
                                bool verification = false) {
    const TimePoint now = impl_.clock.now();
    const bool throttled = e.code() == ErrorCode::kThrottled;
    const bool within_budget = throttled || r.attempts <= step.retries;
    const bool timed_out = r.started_at && now - *r.started_at >= step.timeout;
    if ((e.retryable() || verification) && within_budget && !timed_out) {
      const Duration wait = impl_.backoff(throttled ? std::min(r.attempts, 6) : r.attempts);
      r.state = StepState::kWaiting;
      r.not_before = now + wait;
      r.error = e.describe();
      FIREBREAK_TRY_STATUS(save(r));
      FIREBREAK_TRY_STATUS(log(step.id, "retry",
                               fmt::format("attempt {} failed ({}); retrying in {}", r.attempts,
                                           e.describe(), format_duration(wait))));
      wake_at = r.not_before;
      return Outcome::kWait;
    }
    return fail_step(step, r, e);
  }

  Result<Outcome> fail_step(const Step& step, StepRecord& r, const Error& e) {
    r.state = StepState::kFailed;
    r.error = e.describe();
    r.finished_at = impl_.clock.now();
    FIREBREAK_TRY_STATUS(save(r));
    FIREBREAK_TRY_STATUS(log(step.id, "step", "failed: " + r.error));
    record("action_result", {{"step", step.id}, {"action", step.action}, {"error", r.error}});
    failure = fmt::format("step '{}' failed: {}", step.id, r.error);
    switch (step.on_failure) {
      case OnFailure::kContinue: return Outcome::kDone;
      case OnFailure::kStop: return Outcome::kFailed;
      case OnFailure::kRollback: {
        FIREBREAK_TRY(bool all_ok, rollback());
        return all_ok ? Outcome::kStopped : Outcome::kFailed;
      }
    }
    return Outcome::kFailed;
  }

  // Undoes applied steps with a rollback, newest first. Returns whether every rollback worked.
  Result<bool> rollback() {
    // Completion order is assigned by the journal: reload to see it for this walk's steps too.
    FIREBREAK_TRY(auto fresh, impl_.journal.steps(run_.id));
    for (auto& f : fresh) records_[f.step_id] = std::move(f);
    std::vector<StepRecord*> done;
    for (auto& [id, rec] : records_) {
      if ((rec.state == StepState::kApplied || rec.state == StepState::kVerified) &&
          rec.order > 0) {
        done.push_back(&rec);
      }
    }
    std::sort(done.begin(), done.end(), [](auto* a, auto* b) { return a->order > b->order; });
    bool all_ok = true;
    rolled_back_ = true;
    for (StepRecord* rec : done) {
      const Step* step = pb_.find_step(rec->step_id);
      Action* action = step ? impl_.registry.find_mutable(step->action) : nullptr;
      if (!action || !action->spec().has_rollback) continue;
      StepContext ctx(impl_, run_, *rec, rec->params, session_);
      ctx.set_action_name(step->action);
      auto undone = action->rollback(ctx, rec->outputs);
      if (undone) {
        rec->state = StepState::kRolledBack;
        ctx.record("action_result", {{"rollback", true}, {"summary", undone->summary}});
        FIREBREAK_TRY_STATUS(log(rec->step_id, "rollback", "rolled back: " + undone->summary));
      } else {
        all_ok = false;
        rec->state = StepState::kRollbackFailed;
        rec->error = undone.error().describe();
        ctx.record("action_result", {{"rollback", false}, {"error", rec->error}});
        FIREBREAK_TRY_STATUS(log(rec->step_id, "rollback", "rollback failed: " + rec->error));
      }
      FIREBREAK_TRY_STATUS(save(*rec));
    }
    return all_ok;
  }

 public:
  bool rolled_back_ = false;

 private:
  Executor::Impl& impl_;
  RunRecord& run_;
  const Playbook& pb_;
  cloud::CloudSession& session_;
  CallCollector& collector_;
  std::map<std::string, StepRecord, std::less<>> records_;
};

}  // namespace

Result<RunState> Executor::Impl::advance(std::string_view run_id) {
  {
    // Fail closed: a run started on the simulator never acts on AWS, nor the reverse.
    FIREBREAK_TRY(RunRecord peek, journal.run(run_id));
    if (!peek.backend.empty() && peek.backend != cloud.backend()) {
      return fail(ErrorCode::kFailedPrecondition,
                  fmt::format("run '{}' was started on the {} backend; this executor acts on {}",
                              run_id, peek.backend, cloud.backend()));
    }
  }
  FIREBREAK_TRY(bool claimed, journal.claim(run_id, owner, opt.lease));
  FIREBREAK_TRY(RunRecord run, journal.run(run_id));
  if (!claimed) return run.state;
  struct Release {
    Journal& j;
    std::string id, owner;
    ~Release() { (void)j.release(id, owner); }
  } release{journal, std::string(run_id), owner};

  if (is_terminal(run.state) || run.state == RunState::kAwaitingApproval) {
    // An approval decided elsewhere makes a parked run pending again (see approve()).
    return run.state;
  }
  const TimePoint now = clock.now();
  if (run.not_before && *run.not_before > now) return run.state;

  auto fail_run = [&](RunState state, const std::string& why) -> Result<RunState> {
    run.state = state;
    run.error = why;
    run.finished_at = clock.now();
    run.not_before.reset();
    FIREBREAK_TRY_STATUS(journal.update_run(run));
    FIREBREAK_TRY_STATUS(
        journal.log(run.id, "", "run", fmt::format("{}: {}", to_string(state), why)));
    (void)recorder.record(run.incident_id, run.id, kActor, "note",
                          {{"run", run.id}, {"state", to_string(state)}, {"error", why}});
    (void)recorder.checkpoint(run.incident_id);
    forget_session(run.id);
    return state;
  };

  auto pb = playbook_for(run);
  if (!pb) return fail_run(RunState::kFailed, pb.error().describe());
  auto session = session_for(run);
  if (!session) {
    if (session.error().retryable()) {
      run.state = RunState::kWaiting;
      run.not_before = now + backoff(1);
      FIREBREAK_TRY_STATUS(journal.update_run(run));
      return run.state;
    }
    return fail_run(RunState::kFailed, session.error().wrap("opening a cloud session").describe());
  }
  if (run.state == RunState::kPending) {
    run.state = RunState::kRunning;
    FIREBREAK_TRY_STATUS(journal.update_run(run));
  }

  RunWalker walker(*this, run, **pb, *session->session, *session->collector);
  FIREBREAK_TRY(RunWalker::Outcome outcome, walker.walk());
  switch (outcome) {
    case RunWalker::Outcome::kDone: {
      Json outputs = Json::object();
      FIREBREAK_TRY(auto recs, journal.steps(run.id));
      Json steps = Json::object();
      for (const auto& r : recs)
        steps[r.step_id] = {{"state", to_string(r.state)}, {"outputs", r.outputs}};
      const Json ctx = {{"incident", run.incident},
                        {"target", run.target},
                        {"steps", steps},
                        {"inputs", run.inputs},
                        {"finding", run.trigger}};
      for (const auto& [name, tmpl] : (*pb)->outputs) {
        auto v = tmpl.render(ctx);
        outputs[name] = v ? *v : Json(nullptr);
      }
      run.outputs = outputs;
      run.state = RunState::kSucceeded;
      run.finished_at = clock.now();
      run.not_before.reset();
      run.error.clear();
      FIREBREAK_TRY_STATUS(journal.update_run(run));
      FIREBREAK_TRY_STATUS(journal.log(run.id, "", "run", "succeeded"));
      (void)recorder.record(run.incident_id, run.id, kActor, "note",
                            {{"run", run.id}, {"state", "succeeded"}, {"outputs", outputs}});
      (void)recorder.checkpoint(run.incident_id);
      forget_session(run.id);
      return run.state;
    }
    case RunWalker::Outcome::kWait:
      run.state = RunState::kWaiting;
      run.not_before = walker.wake_at;
      FIREBREAK_TRY_STATUS(journal.update_run(run));
      return run.state;
    case RunWalker::Outcome::kPark:
      run.state = RunState::kAwaitingApproval;
      run.not_before.reset();
      FIREBREAK_TRY_STATUS(journal.update_run(run));
      return run.state;
    case RunWalker::Outcome::kStopped:
      return fail_run(walker.rolled_back_ ? RunState::kRolledBack : RunState::kFailed,
                      walker.failure);
    case RunWalker::Outcome::kFailed:
      return fail_run(RunState::kFailed, walker.failure.empty() ? "failed" : walker.failure);
  }
  return run.state;
}

Result<std::vector<std::string>> Executor::Impl::run_until_idle(std::optional<std::string> only) {
  std::set<std::string> touched;
  for (;;) {
    std::vector<RunRecord> live;
    if (only) {
      FIREBREAK_TRY(RunRecord r, journal.run(*only));
      live.push_back(std::move(r));
    } else {
      FIREBREAK_TRY(auto all, journal.runs());
      for (auto& r : all) {
        // Runs of another backend are not ours to advance (see advance()).
        if (!is_terminal(r.state) && (r.backend.empty() || r.backend == cloud.backend())) {
          live.push_back(std::move(r));
        }
      }
      std::reverse(live.begin(), live.end());  // oldest first
    }
    const TimePoint now = clock.now();
    // Wave control: count active runs per account/region; new runs start only under the limit.
    std::map<std::string, int> active;
    auto key = [](const RunRecord& r) {
      return r.target.value("account", "") + "/" + r.target.value("region", "");
    };
    for (const auto& r : live) {
      if (r.state == RunState::kRunning || r.state == RunState::kWaiting) ++active[key(r)];
    }
    std::vector<std::string> runnable;
    std::optional<TimePoint> earliest;
    for (const auto& r : live) {
      if (is_terminal(r.state) || r.state == RunState::kAwaitingApproval) continue;
      if (r.not_before && *r.not_before > now) {
        if (!earliest || *r.not_before < *earliest) earliest = r.not_before;
        continue;
      }
      if (r.state == RunState::kPending) {
        FIREBREAK_TRY(auto steps, journal.steps(r.id));
        if (steps.empty()) {  // not started yet: respect the wave limit
          int& n = active[key(r)];
          if (n >= opt.max_active_per_account_region) continue;
          ++n;
        }
      }
      runnable.push_back(r.id);
    }
    if (runnable.empty()) {
      if (!earliest) break;  // everything finished or parked
      clock.sleep_for(*earliest - now);
      continue;
    }
    std::vector<Error> errors;
    std::mutex errors_mu;
    auto work = [&](const std::string& id) {
      auto s = advance(id);
      if (!s) {
        std::lock_guard lock(errors_mu);
        errors.push_back(s.error().wrap("run " + id));
      }
    };
    if (opt.workers <= 1 || runnable.size() == 1) {
      for (const auto& id : runnable) work(id);
    } else {
      std::atomic<std::size_t> next{0};
      std::vector<std::thread> threads;
      const auto n = std::min<std::size_t>(static_cast<std::size_t>(opt.workers), runnable.size());
      for (std::size_t t = 0; t < n; ++t) {
        threads.emplace_back([&] {
          for (std::size_t i = next++; i < runnable.size(); i = next++) work(runnable[i]);
        });
      }
      for (auto& t : threads) t.join();
    }
    touched.insert(runnable.begin(), runnable.end());
    if (!errors.empty()) return fail(errors.front());
    // A run still "running" after advance was claimed by another executor: don't spin on it.
    bool progress = false;
    for (const auto& id : runnable) {
      FIREBREAK_TRY(RunRecord r, journal.run(id));
      if (r.state != RunState::kRunning) progress = true;
    }
    if (!progress) {
      clock.sleep_for(std::chrono::seconds(1));
    }
  }
  return std::vector<std::string>(touched.begin(), touched.end());
}

// ---- public API ----

Executor::Executor(Journal& journal, const ActionRegistry& registry, cloud::CloudProvider& cloud,
                   Clock& clock, IncidentRecorder& recorder, ExecutorOptions options)
    : impl_(std::make_unique<Impl>(journal, registry, cloud, clock, recorder, std::move(options))) {
}

Executor::~Executor() = default;

Result<std::string> Executor::start(const Playbook& playbook, const StartRequest& req) {
  if (req.target.id.empty()) return fail(ErrorCode::kInvalidArgument, "a run needs a target id");
  Json inputs = req.inputs.is_object() ? req.inputs : Json::object();
  for (auto it = inputs.begin(); it != inputs.end(); ++it) {
    auto spec = std::find_if(playbook.inputs.begin(), playbook.inputs.end(),
                             [&](const InputSpec& s) { return s.name == it.key(); });
    if (spec == playbook.inputs.end()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("playbook '{}' has no input '{}'", playbook.id, it.key()));
    }
    if (!param_type_matches(spec->type, *it)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("input '{}' must be a {}", it.key(), to_string(spec->type)));
    }
  }
  for (const auto& spec : playbook.inputs) {
    if (spec.required && !inputs.contains(spec.name)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("playbook '{}' needs input '{}'", playbook.id, spec.name));
    }
  }
  RunRecord run;
  auto new_id = [&] {
    std::lock_guard lock(impl_->mu);
    return "run-" + impl_->ids.hex(12);
  };
  run.id = new_id();
  run.playbook_id = playbook.id;
  run.playbook_digest = playbook.digest;
  run.playbook_text = playbook.text;
  run.playbook_file = playbook.file;
  run.incident_id = req.incident_id.empty() ? "manual" : req.incident_id;
  run.incident = req.incident.is_object() ? req.incident : Json::object();
  if (!run.incident.contains("id")) run.incident["id"] = run.incident_id;
  run.target = target_json(req.target);
  run.inputs = inputs;
  run.trigger = req.trigger;
  run.dry_run = req.dry_run;
  run.backend = std::string(impl_->cloud.backend());
  run.actor = req.actor;
  run.created_at = run.updated_at = impl_->clock.now();
  run.outputs = nullptr;
  // Ids come from a seeded generator (reproducible game days); two executors with one seed over
  // one journal would collide, so draw again on a clash.
  for (int attempt = 0;; ++attempt) {
    Status created = impl_->journal.create_run(run);
    if (created) break;
    if (created.error().code() != ErrorCode::kAlreadyExists || attempt == 8) {
      return fail(created.error());
    }
    run.id = new_id();
  }
  FIREBREAK_TRY_STATUS(impl_->journal.log(
      run.id, "", "run",
      fmt::format("{} {} on {} {} by {}", req.dry_run ? "planned" : "started", playbook.id,
                  to_string(req.target.type), req.target.id, req.actor)));
  (void)impl_->recorder.record(run.incident_id, run.id, req.actor, "action_request",
                               {{"run", run.id},
                                {"playbook", playbook.id},
                                {"playbook_digest", playbook.digest},
                                {"target", run.target},
                                {"inputs", inputs},
                                {"dry_run", req.dry_run}});
  return run.id;
}

Result<std::vector<std::string>> Executor::run_until_idle() {
  return impl_->run_until_idle(std::nullopt);
}

Result<RunState> Executor::run_until_idle(std::string_view run_id) {
  FIREBREAK_TRY_STATUS(impl_->run_until_idle(std::string(run_id)));
  FIREBREAK_TRY(RunRecord run, impl_->journal.run(run_id));
  return run.state;
}

Result<RunState> Executor::advance(std::string_view run_id) { return impl_->advance(run_id); }

namespace {
Status decide(Executor::Impl& impl, std::string_view run_id, std::string_view step_id,
              std::string_view actor, std::string_view reason, bool approved) {
  FIREBREAK_TRY(RunRecord run, impl.journal.run(run_id));
  if (is_terminal(run.state)) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("run '{}' already ended ({})", run_id, to_string(run.state)));
  }
  FIREBREAK_TRY(auto step, impl.journal.step(run_id, step_id));
  if (!step || step->state != StepState::kAwaitingApproval) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("step '{}' of run '{}' is not awaiting approval{}", step_id, run_id,
                            step ? fmt::format(" (it is {})", to_string(step->state)) : ""));
  }
  if (actor.empty()) return fail(ErrorCode::kInvalidArgument, "an approval needs an actor");
  FIREBREAK_TRY_STATUS(impl.journal.add_approval(
      ApprovalRecord{std::string(run_id), std::string(step_id), approved, std::string(actor),
                     std::string(reason), impl.clock.now()}));
  FIREBREAK_TRY_STATUS(
      impl.journal.log(run_id, step_id, "approval",
                       fmt::format("{} by {}{}", approved ? "approved" : "denied", actor,
                                   reason.empty() ? "" : ": " + std::string(reason))));
  (void)impl.recorder.record(run.incident_id, run.id, actor, "approval",
                             {{"step", step_id}, {"approved", approved}, {"reason", reason}});
  run.state = RunState::kPending;
  run.not_before.reset();
  return impl.journal.update_run(run);
}
}  // namespace

Status Executor::approve(std::string_view run_id, std::string_view step_id, std::string_view actor,
                         std::string_view reason) {
  return decide(*impl_, run_id, step_id, actor, reason, true);
}

Status Executor::deny(std::string_view run_id, std::string_view step_id, std::string_view actor,
                      std::string_view reason) {
  return decide(*impl_, run_id, step_id, actor, reason, false);
}

Status Executor::cancel(std::string_view run_id, std::string_view actor) {
  FIREBREAK_TRY(RunRecord run, impl_->journal.run(run_id));
  if (is_terminal(run.state)) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("run '{}' already ended ({})", run_id, to_string(run.state)));
  }
  run.state = RunState::kCancelled;
  run.error = fmt::format("cancelled by {}", actor);
  run.finished_at = impl_->clock.now();
  run.not_before.reset();
  FIREBREAK_TRY_STATUS(impl_->journal.update_run(run));
  FIREBREAK_TRY_STATUS(impl_->journal.log(run.id, "", "run", run.error));
  (void)impl_->recorder.record(run.incident_id, run.id, actor, "note",
                               {{"run", run.id}, {"cancelled", true}});
  return {};
}

Status Executor::resume(std::string_view run_id, std::string_view actor) {
  FIREBREAK_TRY(RunRecord run, impl_->journal.run(run_id));
  if (run.state == RunState::kPending || run.state == RunState::kRunning ||
      run.state == RunState::kWaiting) {
    // Not finished: left by a process that died (kill -9, a crash, a reboot) or still being
    // driven by a live one. The lease tells them apart: it can be taken only when it is free,
    // expired or held by a dead process on this host. Nothing in the journal changes - the run
    // continues from where the journal says (a step found running is applied again; actions are
    // idempotent). The lease is given back at once: advancing claims it again, and if another
    // executor takes it in between, that one drives the run and this one waits (never both).
    if (run.backend.empty() || run.backend == impl_->cloud.backend()) {
      FIREBREAK_TRY(bool claimed, impl_->journal.claim(run_id, impl_->owner, impl_->opt.lease));
      if (!claimed) {
        return fail(ErrorCode::kFailedPrecondition,
                    fmt::format("run '{}' is {} and another live firebreak process is advancing "
                                "it; not driving it twice (`runs show {}` follows it)",
                                run_id, to_string(run.state), run_id));
      }
      FIREBREAK_TRY_STATUS(impl_->journal.release(run_id, impl_->owner));
    }
    FIREBREAK_TRY_STATUS(impl_->journal.log(
        run.id, "", "run",
        fmt::format("resumed by {} (it was left {})", actor, to_string(run.state))));
    return {};
  }
  if (run.state != RunState::kFailed && run.state != RunState::kCancelled) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("run '{}' is {}: only unfinished, failed or cancelled runs resume{}",
                            run_id, to_string(run.state),
                            run.state == RunState::kAwaitingApproval
                                ? " (answer it with `runs approve|deny`)"
                                : ""));
  }
  FIREBREAK_TRY(auto steps, impl_->journal.steps(run_id));
  for (auto& s : steps) {
    if (s.state == StepState::kFailed || s.state == StepState::kWaiting ||
        s.state == StepState::kRunning) {
      s.state = StepState::kPending;
      s.attempts = 0;
      s.started_at.reset();
      s.not_before.reset();
      s.error.clear();
      FIREBREAK_TRY_STATUS(impl_->journal.put_step(s));
    }
    if (s.state == StepState::kDenied) {
      return fail(ErrorCode::kFailedPrecondition,
                  fmt::format("step '{}' was denied; start a new run instead", s.step_id));
    }
  }
  run.state = RunState::kPending;
  run.error.clear();
  run.finished_at.reset();
  run.not_before.reset();
  FIREBREAK_TRY_STATUS(impl_->journal.update_run(run));
  FIREBREAK_TRY_STATUS(impl_->journal.log(run.id, "", "run", fmt::format("resumed by {}", actor)));
  return {};
}

Result<PlanReport> Executor::plan(const Playbook& playbook, const StartRequest& req) {
  StartRequest dry = req;
  dry.dry_run = true;
  FIREBREAK_TRY(std::string id, start(playbook, dry));
  FIREBREAK_TRY_STATUS(impl_->run_until_idle(id));
  FIREBREAK_TRY(RunRecord run, impl_->journal.run(id));
  FIREBREAK_TRY(auto steps, impl_->journal.steps(id));
  std::map<std::string, StepRecord> by_id;
  for (auto& s : steps) by_id.emplace(s.step_id, std::move(s));
  PlanReport report;
  report.run_id = id;
  std::set<std::string> perms;
  std::vector<const Step*> all;
  collect_all(playbook.steps, all);
  for (const Step* step : all) {
    PlannedStep ps;
    ps.step_id = step->id;
    ps.action = step->action;
    auto it = by_id.find(step->id);
    if (it == by_id.end()) {
      ps.disposition = "not reached";
      ps.note = run.error;
    } else {
      const StepRecord& r = it->second;
      switch (r.state) {
        case StepState::kSkipped:
          ps.disposition = "skip";
          ps.note = r.error;
          break;
        case StepState::kDecided:
          ps.disposition =
              r.branch < 0 ? "decide: no branch" : fmt::format("decide: branch {}", r.branch + 1);
          break;
        case StepState::kPlanned:
        case StepState::kApplied:
        case StepState::kVerified:
          ps.disposition = r.scratch.is_object() ? r.scratch.value("disposition", "gate") : "gate";
          ps.note = r.error;
          break;
        default: ps.disposition = std::string(to_string(r.state)); ps.note = r.error;
      }
      if (r.scratch.is_object() && r.scratch.contains("calls")) {
        for (const auto& c : r.scratch["calls"]) {
          ApiCall call{c.value("service", ""), c.value("operation", ""), c.value("mutating", false),
                       c.value("detail", "")};
          perms.insert(call.iam_action());
          ps.calls.push_back(std::move(call));
        }
      }
    }
    report.steps.push_back(std::move(ps));
  }
  report.permissions.assign(perms.begin(), perms.end());
  if (run.state == RunState::kFailed) {
    return fail(ErrorCode::kFailedPrecondition, "plan failed: " + run.error);
  }
  return report;
}

}  // namespace firebreak::respond
