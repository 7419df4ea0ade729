// Simulator benchmark: a world of N instances (default 10,000), then M simulated API calls
// (default 2,000,000) of the kinds containment makes, on one thread, with CloudTrail record
// emission, trail delivery (gzip files into the trail's bucket) and event history included.
//
//   sim_bench [instances] [calls]
//
// Prints calls per wall-clock second and per CPU second (user+sys of the process during the call
// loop, getrusage: the figure that holds on a shared machine), and heap bytes per instance
// (glibc mallinfo2: live heap, excluding allocator overhead; RSS is printed too).
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "firebreak/cloud/sim/provider.h"
#include "firebreak/cloud/sim/world.h"
#include "firebreak/core/ids.h"

using namespace firebreak;
using namespace firebreak::cloud;
using namespace firebreak::cloud::sim;

namespace {

std::size_t heap_bytes() { return mallinfo2().uordblks; }

// User + system CPU seconds of this process so far.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

std::size_t rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  return 0;
}

template <class T>
T must(Result<T> r) {
  if (!r) {
    fmt::print(stderr, "setup failed: {}\n", r.error().describe());
    std::exit(1);
  }
  return std::move(*r);
}
void must(Status s) {
  if (!s) {
    fmt::print(stderr, "setup failed: {}\n", s.error().describe());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int n_instances = argc > 1 ? std::atoi(argv[1]) : 10000;
  const long n_calls = argc > 2 ? std::atol(argv[2]) : 2000000;
  const std::string acct = "222222222222";

  WorldOptions o;
  o.seed = 1;
  o.keep_records = false;
  o.event_history_limit = 20000;
  auto world = std::make_shared<World>(o);
  must(world->add_account({acct, "prod", false, false, {"us-east-1"}}));
  auto sink = std::make_shared<CountingSink>();
  world->add_sink(sink);
  const auto vpc = must(world->add_vpc(acct, "us-east-1", "10.0.0.0/16", false, "vpc"));
  std::vector<std::string> subnets;
  for (int i = 0; i < 4; ++i)
    subnets.push_back(must(world->add_subnet(vpc, fmt::format("10.0.{}.0/20", i * 16))));
  IpPermission https;
  https.ip_protocol = "tcp";
  https.from_port = https.to_port = 443;
  https.ipv4_ranges = {"0.0.0.0/0"};
  const auto web = must(world->add_security_group(vpc, "web", "web", {https}));
  const auto iso = must(
      world->add_security_group(vpc, "isolation", "isolation", {}, std::vector<IpPermission>{}));
  RoleSpec role;
  role.name = "app";
  must(world->add_role(acct, role));
  must(world->add_instance_profile(acct, "app", "app"));
  UserSpec admin;
  admin.name = "admin";
  admin.access_keys = 1;
  admin.managed_policy_arns = {"arn:aws:iam::aws:policy/AdministratorAccess"};
  const auto creds = must(world->add_user(acct, admin)).at(0);
  must(world->add_trail({"trail", acct, "us-east-1", "trail-bucket", "", true, false, true, true}));

  const std::size_t heap0 = heap_bytes();
  const std::size_t rss0 = rss_kib();
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(n_instances));
  for (int i = 0; i < n_instances; ++i) {
    InstanceSpec spec;
    spec.account = acct;
    spec.region = "us-east-1";
    spec.subnet_id = subnets[static_cast<std::size_t>(i) % subnets.size()];
    spec.security_group_ids = {web};
    spec.instance_profile = i % 2 == 0 ? "app" : "";
    spec.instance_type = "m5.large";
    spec.tags = {{"env", "prod"}, {"service", fmt::format("svc-{}", i % 50)}};
    ids.push_back(must(world->add_instance(spec)));
  }
  const std::size_t heap1 = heap_bytes();
  const std::size_t rss1 = rss_kib();
  const double per_instance = static_cast<double>(heap1 - heap0) / n_instances;
  // The ids vector above is the benchmark's, not the world's.
  const double ids_bytes =
      static_cast<double>(ids.capacity() * sizeof(std::string) + ids.size() * 32);

  Identity id;
  id.credentials = creds;
  id.user_agent = "firebreak/0.1.0 bench";
  SimProvider provider(world, id);
  auto session = must(provider.session({}));
  auto& ec2 = session->ec2();
  auto& sts = session->sts();

  // Precomputed per-instance ENIs (the playbook reads them once, then acts).
  IdGenerator rng(7);
  std::vector<std::string> enis(ids.size());
  long ok = 0, failed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  for (long c = 0; c < n_calls; ++c) {
    const std::size_t k = rng.uniform(ids.size());
    const auto& inst = ids[k];
    const auto r = rng.uniform(100);
    bool good = true;
    if (r < 25) {
      good = ec2.describe_instances({{inst}, {}}).has_value();
    } else if (r < 35) {
      auto e = ec2.describe_network_interfaces({{}, {{"attachment.instance-id", {inst}}}});
      good = e.has_value();
      if (e && !e->empty()) enis[k] = e->front().network_interface_id;
    } else if (r < 45) {
      good = ec2.describe_volumes({{}, {{"attachment.instance-id", {inst}}}}).has_value();
    } else if (r < 60) {
      ModifyInstanceAttributeRequest m;
      m.instance_id = inst;
      m.disable_api_termination = (c & 1) == 0;
      good = ec2.modify_instance_attribute(m).has_value();
    } else if (r < 75) {
      good = ec2.create_tags({inst}, {{"Quarantine", "INC-1"}}).has_value();
    } else if (r < 80) {
      good = ec2.describe_iam_instance_profile_associations({{}, {{"instance-id", {inst}}}})
                 .has_value();
    } else if (r < 90) {
      if (enis[k].empty()) {
        auto e = ec2.describe_network_interfaces({{}, {{"attachment.instance-id", {inst}}}});
        good = e.has_value() && !e->empty();
        if (good) enis[k] = e->front().network_interface_id;
      } else {
        good = ec2.modify_network_interface_groups(enis[k], {(c & 1) ? iso : web}).has_value();
      }
    } else if (r < 95) {
      good = sts.get_caller_identity().has_value();
    } else {
      good = ec2.describe_instance_attribute(inst, "disableApiTermination").has_value();
    }
    (good ? ok : failed) += 1;
    world->clock().advance(std::chrono::milliseconds(1));
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = cpu_seconds();
  world->flush_logs();
  const double cpu2 = cpu_seconds();
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const double cpu_secs = cpu1 - cpu0;
  const std::size_t heap2 = heap_bytes();
  fmt::print(
      "world: {} instances; heap {:.0f} bytes/instance (world only, {:.0f} incl. bench ids); RSS "
      "+{} KiB\n",
      n_instances, per_instance - ids_bytes / n_instances, per_instance, rss1 - rss0);
  fmt::print("calls: {} in {:.2f} s = {:.0f} calls/s on one thread ({} failed)\n", n_calls, secs,
             static_cast<double>(n_calls) / secs, failed);
  fmt::print(
      "cpu: {:.2f} s user+sys for the calls = {:.0f} calls per CPU second; {:.2f} s with the final "
      "flush of pending logs = {:.0f} calls per CPU second\n",
      cpu_secs, static_cast<double>(n_calls) / cpu_secs, cpu2 - cpu0,
      static_cast<double>(n_calls) / (cpu2 - cpu0));
  fmt::print(
      "cloudtrail: {} records emitted, {} delivery files ({} records, {:.1f} MiB gzip) over {:.0f} "
      "simulated minutes\n",
      world->record_count(), sink->files, sink->file_records,
      static_cast<double>(sink->bytes) / (1 << 20), static_cast<double>(n_calls) / 60000.0);
  fmt::print("heap after the calls: {:.1f} MiB (event history capped at {} events)\n",
             static_cast<double>(heap2) / (1 << 20), o.event_history_limit);
  return failed == 0 ? 0 : 1;
}
