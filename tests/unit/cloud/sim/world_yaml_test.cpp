// World files, attack scripts and `sim logs` generation (round trip through the event reader).
#include "firebreak/cloud/sim/world_yaml.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "firebreak/cloud/sim/attack.h"
#include "firebreak/cloud/sim/logs.h"
#include "firebreak/event/reader.h"
#include "fixture.h"
#include "testdata.h"

namespace firebreak::cloud::sim::testing {
namespace {

using namespace std::chrono_literals;

std::filesystem::path repo() { return firebreak::testing::source_dir(); }

TEST(WorldYaml, sample_world_loads) {
  auto w = load_world_file(repo() / "worlds/acme.yaml");
  ASSERT_TRUE(w) << w.error().describe();
  EXPECT_EQ(w->name, "acme");
  EXPECT_EQ(w->seed, 7u);
  EXPECT_EQ(w->world->account_ids().size(), 3u);
  EXPECT_TRUE(w->responder.has_value());
  EXPECT_TRUE(w->user_keys.contains("prod/ci-deployer"));
  const auto instances = w->world->instances();
  // bastion + 4 app + 20 batch + 3 web (ASG) + 3 dev boxes
  EXPECT_EQ(instances.size(), 31u);
  EXPECT_TRUE(w->world->resolve("web-asg-1"));
  EXPECT_TRUE(w->world->resolve("prod/app-3"));
  // The responder reaches every member account through its role.
  Identity id;
  id.credentials = *w->responder;
  SimProvider provider(w->world, id);
  for (const auto& acct : {"222222222222", "333333333333"}) {
    SessionRequest req;
    req.account_id = acct;
    req.role_session_name = "firebreak-check";
    auto s = provider.session(req);
    ASSERT_TRUE(s) << acct << ": " << s.error().describe();
    EXPECT_TRUE((*s)->ec2().describe_instances({}));
  }
}

TEST(WorldYaml, seed_override_changes_ids) {
  WorldLoadOptions o;
  o.seed = 99;
  auto a = load_world_file(repo() / "worlds/acme.yaml");
  auto b = load_world_file(repo() / "worlds/acme.yaml", o);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a->world->resolve("bastion"), *b->world->resolve("bastion"));
  auto c = load_world_file(repo() / "worlds/acme.yaml");
  EXPECT_EQ(*a->world->resolve("bastion"), *c->world->resolve("bastion"));
}

struct BadCase {
  const char* yaml;
  const char* where;  // expected "name:line:col" prefix
  const char* what;   // expected message fragment
};

TEST(WorldYaml, errors_say_where_and_what) {
  const BadCase cases[] = {
      {"accounts: []\n", "t.yaml:1:1", "at least one account"},
      {"accounts:\n  - id: \"12\"\n", "t.yaml:2:9", "12 digits"},
      {"accounts:\n  - id: \"111111111111\"\n    regionz: [us-east-1]\n", "t.yaml:3:5",
       "unknown key"},
      {"accounts:\n  - id: \"111111111111\"\n    instances:\n      - name: a\n        subnet: "
       "nope\n",
       "t.yaml:5:17", "no subnet named 'nope'"},
      {"accounts:\n  - id: \"111111111111\"\n    vpcs:\n      - name: v\n        cidr: "
       "10.0.0.0/33\n",
       "t.yaml:5:15", "VPC CIDR"},
      {"accounts:\n  - id: \"111111111111\"\n    iam:\n      users:\n        - name: u\n          "
       "access_keys: 3\n",
       "t.yaml:6:24", "outside 0..2"},
      {"accounts:\n  - id: \"111111111111\"\n    iam:\n      roles:\n        - name: r\n          "
       "trust_policy: {Statement: 7}\n",
       "t.yaml:5:17", "Statement"},
      {"world: {start: yesterday}\naccounts: []\n", "t.yaml:1:16", "ISO 8601"},
      {"accounts: [\n", "t.yaml:", ""},
      {"- just a list\n", "t.yaml:1:1", "mapping"},
  };
  for (const auto& c : cases) {
    auto w = parse_world(c.yaml, "t.yaml");
    ASSERT_FALSE(w) << c.yaml;
    EXPECT_TRUE(w.error().context().where.starts_with(c.where))
        << c.yaml << " -> " << w.error().describe();
    EXPECT_NE(w.error().describe().find(c.what), std::string::npos) << w.error().describe();
  }
}

TEST(WorldYaml, hostile_input_is_bounded) {
  std::string deep(5000, '[');
  EXPECT_FALSE(parse_world("accounts: " + deep, "deep.yaml"));
  // A billion laughs: aliases expand during traversal, bounded by the node budget.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
              prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
              ", *" + prev + "]\n";
    prev = c;
  }
  laughs +=
      "accounts:\n  - id: \"111111111111\"\n    iam:\n      policies:\n        - name: p\n         "
      " document: *j\n";
  WorldLoadOptions o;
  o.limits.max_nodes = 100000;
  auto w = parse_world(laughs, "laughs.yaml", o);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().describe().find("budget"), std::string::npos) << w.error().describe();
  WorldLoadOptions small;
  small.limits.max_bytes = 10;
  EXPECT_FALSE(parse_world("accounts:\n  - id: \"111111111111\"\n", "big.yaml", small));
}

TEST(AttackScripts, shipped_scripts_load) {
  for (const auto& e : std::filesystem::directory_iterator(repo() / "scenarios/attacks")) {
    if (e.path().extension() != ".yaml") continue;
    auto s = load_attack_file(e.path());
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_FALSE(s->steps.empty());
  }
}

TEST(AttackScripts, errors_say_where) {
  auto a = parse_attack("name: x\nsteps:\n  - call: iam:Nope\n", "a.yaml");
  ASSERT_FALSE(a);
  EXPECT_TRUE(a.error().context().where.starts_with("a.yaml:3:")) << a.error().describe();
  auto b = parse_attack("name: x\nsteps:\n  - call: iam:CreateUser\n", "b.yaml");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("needs 'user_name'"), std::string::npos)
      << b.error().describe();
  auto c = parse_attack("name: x\nsteps:\n  - connect: {instance: a}\n    steal: {instance: a}\n",
                        "c.yaml");
  ASSERT_FALSE(c);
}

TEST(AttackScripts, a_call_step_may_use_another_user_agent) {
  auto a = parse_attack(
      "name: x\nsteps:\n  - as: {user: prod/bob}\n    user_agent: firebreak/0.1.0\n"
      "    call: ec2:CreateTags\n    with: {resources: [i-1], tags: {Response: Isolate}}\n"
      "  - after: 1s\n    call: sts:GetCallerIdentity\n",
      "a.yaml");
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->steps[0].user_agent, "firebreak/0.1.0");
  EXPECT_EQ(a->steps[1].user_agent, "");  // the script's attacker user agent
  auto b = parse_attack(
      "name: x\nsteps:\n  - steal: {instance: web-asg-1}\n    user_agent: firebreak/0.1.0\n",
      "b.yaml");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("only a call step"), std::string::npos)
      << b.error().describe();
}

class Files final : public LogSink {
 public:
  void on_file(const DeliveredFile& f) override { files.push_back(f); }
  std::vector<DeliveredFile> files;
};

class Tally final : public event::EventSink {
 public:
  void on_event(const event::Event& e) override {
    ++by_name[std::string(e.name())];
    ++total;
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
  std::map<std::string, int> by_name;
  int total = 0;
  std::vector<std::string> errors;
};

// The operator's CreateTags reaches CloudTrail as EC2 writes it (resourcesSet / tagSet), under
// the step's own user agent when it names one.
TEST(SimLogs, a_response_tag_request_is_recorded_as_ec2_writes_it) {
  auto w = load_world_file(repo() / "worlds/acme.yaml");
  ASSERT_TRUE(w) << w.error().describe();
  auto script = parse_attack(
      "name: tag\nsteps:\n  - as: {user: prod/bob}\n    call: ec2:CreateTags\n"
      "    with: {resources: ['${web-asg-1}', '${web-asg-2}'], tags: {Response: "
      "Isolate+MemoryCapture}}\n  - after: 1m\n    user_agent: firebreak/0.1.0 (sim)\n"
      "    call: ec2:CreateTags\n    with: {resources: ['${app-1}'], tags: {Response: Isolate}}\n",
      "tag.yaml");
  ASSERT_TRUE(script) << script.error().describe();
  LogsOptions o;
  o.duration = 20min;
  o.attack = *script;
  o.attack_at = 5min;
  auto files = std::make_shared<Files>();
  auto summary = generate_logs(*w, o, {files});
  ASSERT_TRUE(summary) << summary.error().describe();
  for (const auto& step : summary->attack) EXPECT_TRUE(step.ok) << step.step << ": " << step.detail;
  class Tags final : public event::EventSink {
   public:
    void on_event(const event::Event& e) override {
      if (e.name() != "CreateTags") return;
      const auto json = e.json();
      if (json.find("\"Response\"") != std::string::npos) records.push_back(json);
    }
    void on_error(const Error&) override {}
    std::vector<std::string> records;
  } tags;
  event::Reader reader;
  for (const auto& f : files->files) {
    if (f.kind == "cloudtrail") reader.read_buffer(f.bytes, f.key, tags);
  }
  ASSERT_EQ(tags.records.size(), 2u);
  auto first = parse_json(tags.records[0]);
  ASSERT_TRUE(first);
  const auto& rp = (*first)["requestParameters"];
  ASSERT_EQ(rp["resourcesSet"]["items"].size(), 2u);
  EXPECT_EQ(rp["resourcesSet"]["items"][0]["resourceId"], *w->world->resolve("web-asg-1"));
  EXPECT_EQ(rp["tagSet"]["items"][0]["key"], "Response");
  EXPECT_EQ(rp["tagSet"]["items"][0]["value"], "Isolate+MemoryCapture");
  EXPECT_EQ((*first)["userIdentity"]["arn"], "arn:aws:iam::222222222222:user/bob");
  auto second = parse_json(tags.records[1]);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["userAgent"], "firebreak/0.1.0 (sim)");
}

TEST(SimLogs, attack_telemetry_reads_back_with_firebreaks_reader) {
  auto w = load_world_file(repo() / "worlds/acme.yaml");
  ASSERT_TRUE(w) << w.error().describe();
  auto script = load_attack_file(repo() / "scenarios/attacks/instance-compromise-c2.yaml");
  ASSERT_TRUE(script) << script.error().describe();
  auto leak = load_attack_file(repo() / "scenarios/attacks/leaked-key-persistence.yaml");
  ASSERT_TRUE(leak);
  LogsOptions o;
  o.duration = 90min;
  o.attack = *script;
  o.attack_at = 20min;
  auto files = std::make_shared<Files>();
  auto summary = generate_logs(*w, o, {files});
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_GT(summary->cloudtrail_files, 0u);
  EXPECT_GT(summary->flow_log_files, 0u);
  EXPECT_GT(summary->guardduty_files, 0u);
  EXPECT_GT(summary->background_calls, 100u);
  for (const auto& step : summary->attack) EXPECT_TRUE(step.ok) << step.step << ": " << step.detail;
  Tally ct, gd;
  event::Reader reader;
  std::size_t flow_lines = 0, rejects = 0;
  bool c2_accept = false;
  for (const auto& f : files->files) {
    if (f.kind == "cloudtrail") reader.read_buffer(f.bytes, f.key, ct);
    if (f.kind == "guardduty") reader.read_buffer(f.bytes, f.key, gd);
    if (f.kind == "vpcflowlogs") {
      const auto text = gunzip(f.bytes);
      for (std::size_t pos = 0; (pos = text.find('\n', pos)) != std::string::npos; ++pos)
        ++flow_lines;
      for (std::size_t pos = 0; (pos = text.find(" REJECT OK", pos)) != std::string::npos; ++pos)
        ++rejects;
      c2_accept |= text.find(" 198.51.100.23 ") != std::string::npos &&
                   text.find(" 4444 6 ") != std::string::npos;
    }
  }
  EXPECT_TRUE(ct.errors.empty()) << ct.errors.front();
  // Every management record was delivered and read back; the script's one S3 GetObject is a
  // data event, which the organisation trail (management events only) does not deliver.
  EXPECT_EQ(static_cast<std::uint64_t>(ct.total) + 1, summary->cloudtrail_records);
  EXPECT_GT(ct.by_name["DescribeInstances"], 0);
  EXPECT_GT(ct.by_name["RunInstances"] + ct.by_name["CreateTags"], 0);
  EXPECT_TRUE(gd.errors.empty());
  EXPECT_GT(gd.by_name["Backdoor:EC2/C&CActivity.B"], 0);
  EXPECT_GT(gd.by_name["CryptoCurrency:EC2/BitcoinTool.B"], 0);
  EXPECT_GT(gd.by_name["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"], 0);
  EXPECT_GT(flow_lines, 100u);
  EXPECT_GT(rejects, 0u) << "internet scans against public addresses are rejected";
  EXPECT_TRUE(c2_accept);
}

TEST(SimLogs, same_world_seed_and_script_give_identical_bytes) {
  auto run = [](std::uint64_t seed) {
    WorldLoadOptions wo;
    wo.seed = seed;
    auto w = load_world_file(repo() / "worlds/acme.yaml", wo);
    EXPECT_TRUE(w);
    LogsOptions o;
    o.duration = 45min;
    o.attack = *load_attack_file(repo() / "scenarios/attacks/leaked-key-persistence.yaml");
    o.attack_at = 10min;
    auto files = std::make_shared<Files>();
    auto s = generate_logs(*w, o, {files});
    EXPECT_TRUE(s);
    std::string all;
    for (const auto& f : files->files) all += f.bucket + "/" + f.key + "\n" + f.bytes;
    return all;
  };
  const auto a = run(11), b = run(11);
  EXPECT_GT(a.size(), 10000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, run(12));
}

TEST(SimLogs, directory_layout_is_aws_like) {
  firebreak::testing::TempDir dir;
  auto w = load_world_file(repo() / "worlds/acme.yaml");
  ASSERT_TRUE(w);
  LogsOptions o;
  o.duration = 20min;
  auto sink = std::make_shared<DirectorySink>(dir.path());
  auto s = generate_logs(*w, o, {sink});
  ASSERT_TRUE(s);
  ASSERT_TRUE(sink->status());
  EXPECT_TRUE(std::filesystem::exists(
      dir /
      "acme-org-cloudtrail/AWSLogs/o-acme0example/222222222222/CloudTrail/us-east-1/2024/06/01"));
  EXPECT_TRUE(std::filesystem::exists(
      dir / "acme-vpc-flow-logs/AWSLogs/222222222222/vpcflowlogs/us-east-1/2024/06/01"));
  // The reader reads the whole tree.
  event::Reader reader;
  Tally t;
  auto r = reader.read_paths({dir / "acme-org-cloudtrail"}, t);
  EXPECT_GT(t.total, 0);
  EXPECT_TRUE(t.errors.empty());
  (void)r;
}

}  // namespace
}  // namespace firebreak::cloud::sim::testing
