// Containment at scale on the simulator: N instances (default 100) of a web tier in one Auto
// Scaling group behind a target group and a classic ELB, each with an instance profile and an SSM
// agent, are contained at once with the shipped ec2-contain playbook through the real Executor,
// with the simulator's API throttling switched on (EC2's token buckets return
// RequestLimitExceeded, IAM Throttling, ...). The executor's per-account/region limit and
// throttling backoff must carry every run to success.
//
//   contain_bench [--instances N] [--max-active K] [--workers W] [--no-throttling]
//                 [--memory-capture]
//
// Prints: runs succeeded/failed, failed steps, simulated time from start to the last run's end,
// wall time, API calls per containment (all calls firebreak made, throttled attempts included,
// and how many were throttled). Exit status 1 when any step failed. Timings are reported, never
// asserted (docs/performance.md holds the figures and this command).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "firebreak/cloud/hooks.h"
#include "firebreak/cloud/sim/provider.h"
#include "firebreak/cloud/sim/world.h"
#include "firebreak/cloud/sim/world_yaml.h"
#include "firebreak/respond/executor.h"
#include "firebreak/respond/journal.h"
#include "firebreak/respond/playbook.h"
#include "firebreak/respond/recorder.h"

using namespace firebreak;
using namespace firebreak::respond;

namespace {

constexpr const char* kProd = "222222222222";

std::string world_yaml(int n) {
  return fmt::format(R"(world: {{name: contain-bench, seed: 3}}
responder: {{account: security, user: firebreak}}
accounts:
  - id: "111111111111"
    name: security
    security: true
    iam:
      users:
        - name: firebreak
          access_keys: 1
          inline_policies:
            assume:
              Version: "2012-10-17"
              Statement:
                - {{Effect: Allow, Action: sts:AssumeRole, Resource: "arn:aws:iam::*:role/firebreak-responder"}}
  - id: "222222222222"
    name: prod
    iam:
      roles:
        - name: firebreak-responder
          trusts: [security]
          managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
        - name: web-role
          trusts: [ec2.amazonaws.com]
          managed_policies: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
          inline_policies:
            put:
              Version: "2012-10-17"
              Statement:
                - {{Effect: Allow, Action: "s3:PutObject", Resource: "arn:aws:s3:::bench-ir/*"}}
      instance_profiles:
        - {{name: web-profile, role: web-role}}
    vpcs:
      - name: vpc
        cidr: 10.0.0.0/16
        subnets:
          - {{name: a, cidr: 10.0.0.0/20, az: us-east-1a}}
          - {{name: b, cidr: 10.0.16.0/20, az: us-east-1b}}
        security_groups:
          - name: web-sg
            description: web
            ingress:
              - {{protocol: tcp, ports: 443, cidrs: [0.0.0.0/0]}}
    images: [{{name: web}}]
    target_groups:
      - {{name: web-tg, port: 443, protocol: HTTPS, deregistration_delay: 30}}
    load_balancers:
      - {{name: web-elb}}
    auto_scaling_groups:
      - name: web-asg
        min: {0}
        max: {1}
        desired: {0}
        subnets: [a, b]
        launch: {{type: t3.large, image: web, security_groups: [web-sg], profile: web-profile,
                 public_ip: true, ssm: true, memory_mib: 16}}
        target_groups: [web-tg]
        load_balancers: [web-elb]
    buckets:
      - name: bench-ir
)",
                     n, 2 * n);
}

class NullRecorder final : public IncidentRecorder {
 public:
  Status record(std::string_view, std::string_view, std::string_view, std::string_view,
                const Json&) override {
    return {};
  }
  Status checkpoint(std::string_view) override { return {}; }
};

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) {
    fmt::print(stderr, "{}: {}\n", what, r.error().describe());
    std::exit(2);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100, max_active = 20, workers = 1;
  bool throttling = true, capture = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--instances")
      n = next();
    else if (a == "--max-active")
      max_active = next();
    else if (a == "--workers")
      workers = next();
    else if (a == "--no-throttling")
      throttling = false;
    else if (a == "--memory-capture")
      capture = true;
    else {
      fmt::print(stderr,
                 "usage: contain_bench [--instances N] [--max-active K] [--workers W] "
                 "[--no-throttling] [--memory-capture]\n");
      return 2;
    }
  }

  SimClock clock(from_unix_seconds(1717200000));
  cloud::sim::WorldLoadOptions lo;
  lo.base.clock = &clock;
  lo.base.throttling = throttling;
  lo.base.keep_records = false;
  auto loaded = must(cloud::sim::parse_world(world_yaml(n), "contain-bench.yaml", lo), "world");
  auto world = loaded.world;
  cloud::sim::Identity me;
  me.credentials = loaded.responder.value();
  me.user_agent = "firebreak/bench";
  cloud::sim::SimProvider provider(world, me);
  auto calls = std::make_shared<cloud::RecordingHook>();
  provider.add_hook(calls);

  ActionRegistry registry;
  register_builtin_actions(registry);
  auto playbook =
      must(load_playbook(FIREBREAK_SOURCE_DIR "/playbooks/ec2-contain.yml", registry), "playbook");
  auto journal = must(Journal::open(":memory:", clock), "journal");
  NullRecorder recorder;
  Executor executor(
      *journal, registry, provider, clock, recorder,
      ExecutorOptions{.workers = workers, .max_active_per_account_region = max_active, .seed = 1});

  std::vector<std::string> run_ids;
  for (int i = 1; i <= n; ++i) {
    StartRequest req;
    req.incident_id = fmt::format("inc-bench-{}", i);
    req.target = {TargetType::kEc2Instance,
                  must(world->resolve(fmt::format("web-asg-{}", i)), "instance"), kProd,
                  "us-east-1"};
    req.inputs = {{"evidence_bucket", capture ? "bench-ir" : ""}};
    run_ids.push_back(must(executor.start(playbook, req), "start"));
  }

  const TimePoint sim_start = clock.now();
  const auto wall_start = std::chrono::steady_clock::now();
  (void)must(executor.run_until_idle(), "run");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  TimePoint last_end = sim_start;

  int ok = 0, failed_runs = 0, failed_steps = 0;
  std::map<std::string, int> failures;
  for (const auto& id : run_ids) {
    auto run = must(journal->run(id), "run record");
    if (run.finished_at && *run.finished_at > last_end) last_end = *run.finished_at;
    if (run.state == RunState::kSucceeded) {
      ++ok;
    } else {
      ++failed_runs;
      failures[std::string(to_string(run.state)) + ": " + run.error.substr(0, 120)] += 1;
    }
    for (const auto& s : must(journal->steps(id), "steps")) {
      if (s.state == StepState::kFailed || s.state == StepState::kRollbackFailed) ++failed_steps;
    }
  }
  std::size_t total = 0, throttled = 0, mutating = 0;
  for (const auto& c : calls->calls()) {
    if (c.service == "sts") continue;  // session set-up, once per run
    ++total;
    if (!c.ok && (c.error_code == "RequestLimitExceeded" || c.error_code == "Throttling" ||
                  c.error_code == "ThrottlingException" || c.error_code == "SlowDown"))
      ++throttled;
    if (c.mutating && c.ok) ++mutating;
  }
  const double sim_seconds = std::chrono::duration<double>(last_end - sim_start).count();
  fmt::print("instances={} throttling={} max_active={} workers={} memory_capture={}\n", n,
             throttling ? "on" : "off", max_active, workers, capture ? "on" : "off");
  fmt::print("runs succeeded={} failed={} failed_steps={}\n", ok, failed_runs, failed_steps);
  for (const auto& [what, count] : failures) fmt::print("  {} x {}\n", count, what);
  fmt::print("simulated time: {:.0f} s ({:.1f} min)\n", sim_seconds, sim_seconds / 60);
  fmt::print("wall time: {:.2f} s\n", wall);
  fmt::print(
      "API calls per containment: {:.1f} (of which {:.1f} throttled, {:.1f} successful "
      "mutating); total {}\n",
      static_cast<double>(total) / n, static_cast<double>(throttled) / n,
      static_cast<double>(mutating) / n, total);
  return failed_steps == 0 && failed_runs == 0 ? 0 : 1;
}
