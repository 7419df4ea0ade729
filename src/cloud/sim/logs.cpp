// Background activity and attack playback for `firebreak sim logs`.
#include "firebreak/cloud/sim/logs.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "firebreak/cloud/sim/provider.h"
#include "firebreak/core/ids.h"

namespace firebreak::cloud::sim {
namespace {

class Counter final : public LogSink {
 public:
  explicit Counter(LogsSummary& s) : s_(s) {}
  void on_file(const DeliveredFile& f) override {
    ++s_.files;
    if (f.kind == "cloudtrail")
      ++s_.cloudtrail_files;
    else if (f.kind == "vpcflowlogs")
      ++s_.flow_log_files;
    else if (f.kind == "guardduty")
      ++s_.guardduty_files;
  }
  void on_eventbridge(std::string_view) override { ++s_.eventbridge_envelopes; }

 private:
  LogsSummary& s_;
};

// An exponential inter-arrival time for `per_hour` events per hour.
Duration next_gap(IdGenerator& rng, double per_hour) {
  if (per_hour <= 0) return std::chrono::hours(24 * 365);
  const double u = std::max(1e-12, rng.unit());
  const double secs = -std::log(u) * 3600.0 / per_hour;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::max(0.001, secs)));
}

std::string pick(IdGenerator& rng, std::initializer_list<const char*> xs) {
  auto it = xs.begin();
  std::advance(it, static_cast<long>(rng.uniform(xs.size())));
  return *it;
}

struct Actor {
  Credentials creds;
  std::string source_ip;
  std::string user_agent;
  std::string account;
  std::string bucket_hint;  // a bucket of the actor's account to read
  std::shared_ptr<CloudSession> session;
  bool instance = false;
  std::string instance_id;
};

class Background {
 public:
  Background(LoadedWorld& lw, IdGenerator& rng, LogsSummary& summary)
      : lw_(lw), rng_(rng), summary_(summary) {
    for (const auto& [name, creds] : lw.user_keys) {
      if (lw.responder && creds.access_key_id == lw.responder->access_key_id) continue;
      Actor a;
      a.creds = creds;
      a.account = lw.world->resolve(name.substr(0, name.find('/'))).value_or("");
      const auto h = std::hash<std::string>{}(name);
      a.source_ip = fmt::format("192.0.2.{}", 10 + h % 150);
      a.user_agent = h % 3 == 0   ? "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 "
                                    "prompt/off command/ec2.describe-instances"
                     : h % 3 == 1 ? "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 "
                                    "md/arch#x86_64 lang/python#3.11.8"
                                  : "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 "
                                    "(+https://www.terraform.io) terraform-provider-aws/5.43.0";
      actors_.push_back(std::move(a));
    }
    for (const auto& inst : lw.world->instances()) {
      if (inst.state == "running") running_.push_back(inst);
    }
    // A handful of instance roles call AWS from their instances (SDKs on the hosts).
    std::size_t roles = 0;
    for (const auto& inst : running_) {
      if (!inst.has_role || roles >= 50) continue;
      Actor a;
      a.instance = true;
      a.instance_id = inst.id;
      a.account = inst.account;
      a.source_ip = inst.public_ip.empty() ? inst.private_ip : inst.public_ip;
      a.user_agent = "aws-sdk-go/1.44.302 (go1.20.12; linux; amd64)";
      actors_.push_back(std::move(a));
      ++roles;
    }
  }

  void api_call() {
    if (actors_.empty()) return;
    auto& a = actors_[rng_.uniform(actors_.size())];
    if (a.instance) {
      auto c = lw_.world->instance_credentials(a.instance_id);
      if (!c) return;
      if (!a.session || a.creds.access_key_id != c->access_key_id) {
        a.creds = *c;
        a.session.reset();
      }
    }
    if (!a.session) {
      Identity id;
      id.credentials = a.creds;
      id.source_ip = a.source_ip;
      id.user_agent = a.user_agent;
      a.session = make_session(lw_.world, id, "us-east-1");
    }
    auto& s = *a.session;
    ++summary_.background_calls;
    const auto r = rng_.uniform(100);
    if (a.instance) {
      if (r < 60)
        (void)s.sts().get_caller_identity();
      else
        (void)s.ec2().describe_instances({{a.instance_id}, {}});
      return;
    }
    if (r < 30) {
      (void)s.ec2().describe_instances({});
    } else if (r < 42) {
      (void)s.sts().get_caller_identity();
    } else if (r < 52) {
      (void)s.s3().list_buckets();
    } else if (r < 60) {
      (void)s.ec2().describe_security_groups({});
    } else if (r < 67) {
      (void)s.ec2().describe_volumes({});
    } else if (r < 73) {
      (void)s.iam().list_users();
    } else if (r < 78) {
      (void)s.iam().get_user("");
    } else if (r < 82) {
      (void)s.cloudtrail().describe_trails({});
    } else if (r < 86) {
      (void)s.autoscaling().describe_auto_scaling_groups({});
    } else if (r < 89) {
      (void)s.elbv2().describe_target_groups({});
    } else if (r < 92) {
      (void)s.ssm().describe_instance_information({});
    } else if (!running_.empty()) {
      // A write now and then: tagging a host of one's own account.
      std::vector<const World::InstanceSummary*> own;
      for (const auto& i : running_)
        if (i.account == a.account) own.push_back(&i);
      if (!own.empty()) {
        const auto* i = own[rng_.uniform(own.size())];
        (void)s.ec2().create_tags(
            {i->id}, {{"LastPatched", format_iso8601(lw_.world->now()).substr(0, 10)}});
      }
    }
  }

  void flow() {
    if (running_.empty()) return;
    const auto& inst = running_[rng_.uniform(running_.size())];
    ConnectionSpec c;
    c.instance_id = inst.id;
    const auto r = rng_.uniform(100);
    if (r < 60 || inst.public_ip.empty()) {
      // Outbound HTTPS: package mirrors, AWS endpoints, APIs.
      c.remote_ip = r % 2 == 0
                        ? fmt::format("52.216.{}.{}", rng_.uniform(200), 1 + rng_.uniform(250))
                        : fmt::format("198.18.{}.{}", rng_.uniform(250), 1 + rng_.uniform(250));
      c.remote_port = 443;
      c.direction = Direction::kOutbound;
    } else {
      c.remote_ip = fmt::format("198.19.{}.{}", rng_.uniform(250), 1 + rng_.uniform(250));
      c.remote_port = static_cast<int>(32768 + rng_.uniform(28000));
      c.local_port = 443;
      c.direction = Direction::kInbound;
    }
    ++summary_.background_flows;
    (void)lw_.world->probe(c);
  }

  void scan() {
    std::vector<const World::InstanceSummary*> exposed;
    for (const auto& i : running_)
      if (!i.public_ip.empty()) exposed.push_back(&i);
    if (exposed.empty()) return;
    const auto* inst = exposed[rng_.uniform(exposed.size())];
    ConnectionSpec c;
    c.instance_id = inst->id;
    c.remote_ip = fmt::format("198.18.{}.{}", 128 + rng_.uniform(120), 1 + rng_.uniform(250));
    c.remote_port = static_cast<int>(40000 + rng_.uniform(20000));
    c.local_port = std::stoi(pick(rng_, {"22", "23", "3389", "445", "8080", "5900", "6379"}));
    c.direction = Direction::kInbound;
    ++summary_.scans;
    (void)lw_.world->probe(c);
  }

  [[nodiscard]] std::size_t running() const { return running_.size(); }

 private:
  LoadedWorld& lw_;
  IdGenerator& rng_;
  LogsSummary& summary_;
  std::vector<Actor> actors_;
  std::vector<World::InstanceSummary> running_;
};

}  // namespace

Result<LogsSummary> generate_logs(LoadedWorld& lw, const LogsOptions& options,
                                  const std::vector<std::shared_ptr<LogSink>>& sinks) {
  if (options.duration <= Duration::zero())
    return fail(ErrorCode::kInvalidArgument, "the duration must be positive");
  if (options.duration > std::chrono::hours(24 * 31))
    return fail(ErrorCode::kInvalidArgument, "the duration is limited to 31 days");
  LogsSummary summary;
  auto counter = std::make_shared<Counter>(summary);
  lw.world->add_sink(counter);
  for (const auto& s : sinks) lw.world->add_sink(s);
  const auto records_before = lw.world->record_count();
  IdGenerator rng(lw.seed * 0x9e3779b97f4a7c15ULL + 0x5eed);
  Background bg(lw, rng, summary);
  const TimePoint start = lw.world->now();
  const TimePoint end = start + options.duration;
  std::optional<AttackRunner> attack;
  if (options.attack) {
    const Duration at = options.attack_at.value_or(options.duration / 3);
    if (at > options.duration)
      return fail(ErrorCode::kInvalidArgument, "the attack starts after the end of the run");
    attack.emplace(lw, *options.attack, start + at);
  }
  const double flows_per_hour =
      lw.background.flows_per_instance_per_hour * static_cast<double>(bg.running());
  TimePoint next_call = start + next_gap(rng, lw.background.api_calls_per_hour);
  TimePoint next_flow = start + next_gap(rng, flows_per_hour);
  TimePoint next_scan = start + next_gap(rng, lw.background.internet_scans_per_hour);
  for (;;) {
    TimePoint t = std::min({next_call, next_flow, next_scan, end});
    if (attack && attack->next() && *attack->next() < t) t = *attack->next();
    lw.world->run_until(t);
    if (attack && attack->next() && *attack->next() <= t) {
      attack->run_due();
      continue;
    }
    if (t >= end) break;
    if (t == next_call) {
      bg.api_call();
      next_call = t + next_gap(rng, lw.background.api_calls_per_hour);
    } else if (t == next_flow) {
      bg.flow();
      next_flow = t + next_gap(rng, flows_per_hour);
    } else {
      bg.scan();
      next_scan = t + next_gap(rng, lw.background.internet_scans_per_hour);
    }
  }
  if (attack) {
    while (attack->next()) {
      lw.world->run_until(*attack->next());
      attack->run_due();
    }
    summary.attack = attack->outcomes();
  }
  lw.world->run_until(std::max(end, lw.world->now()) + options.drain);
  lw.world->flush_logs();
  summary.cloudtrail_records = lw.world->record_count() - records_before;
  for (const auto& acct : lw.world->account_ids())
    summary.findings += lw.world->findings(acct).size();
  return summary;
}

}  // namespace firebreak::cloud::sim
