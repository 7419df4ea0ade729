#pragma once
// The organisation the respond end-to-end tests run the shipped playbooks against on the
// simulator: a security account holding firebreak's identity, a production account with a web
// instance in an Auto Scaling group, registered in a target group and a classic ELB, with an
// Elastic IP, an instance profile whose role may write memory images to the IR bucket, and an SSM
// agent; plus a CI user whose key leaks. The executor acts through SimProvider exactly as the CLI
// does: as the security account's user, assuming firebreak-responder in the target account with
// the role session name the executor chooses.
//
// Post-conditions are read from the simulator through an auditor session (an administrator of
// the production account whose calls are told apart from firebreak's in CloudTrail) and through
// World's god-mode API (connections, credentials, records).

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "firebreak/cloud/session.h"
#include "firebreak/cloud/sim/provider.h"
#include "firebreak/cloud/sim/world.h"
#include "firebreak/cloud/sim/world_yaml.h"
#include "firebreak/core/json.h"
#include "firebreak/respond/executor.h"
#include "firebreak/respond/journal.h"
#include "firebreak/respond/playbook.h"
#include "firebreak/respond/recorder.h"
#include "testdata.h"

namespace firebreak::respond::e2e {

inline constexpr const char* kSecurity = "111111111111";
inline constexpr const char* kProd = "222222222222";
inline constexpr const char* kAttackerIp = "198.51.100.23";
// What the CLI sets as the simulator identity's user agent (the AWS client sends the same prefix).
inline constexpr const char* kFirebreakUa = "firebreak/" FIREBREAK_VERSION " (sim)";
inline constexpr const char* kIncident = "inc-e2e-1";

inline constexpr std::string_view kWorldYaml = R"(world: {name: respond-e2e, seed: 11}
threat_intel: {c2: [198.51.100.0/24]}
responder: {account: security, user: firebreak}
accounts:
  - id: "111111111111"
    name: security
    security: true
    management: true
    iam:
      users:
        - name: firebreak
          access_keys: 1
          inline_policies:
            assume-responder:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: sts:AssumeRole, Resource: "arn:aws:iam::*:role/firebreak-responder"}
  - id: "222222222222"
    name: prod
    iam:
      users:
        - name: auditor
          access_keys: 1
          managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
        - name: ci-deployer
          access_keys: 1
          console_password: true
          managed_policies: [arn:aws:iam::aws:policy/IAMFullAccess]
      roles:
        - name: firebreak-responder
          trusts: [security]
          managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
        - name: web-role
          trusts: [ec2.amazonaws.com]
          managed_policies: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
          inline_policies:
            work:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: "s3:PutObject", Resource: "arn:aws:s3:::prod-ir-artifacts/*"}
                - {Effect: Allow, Action: ["ec2:Describe*", "s3:ListAllMyBuckets"], Resource: "*"}
        - name: ops-role
          trusts: [ec2.amazonaws.com]
      instance_profiles:
        - {name: web-profile, role: web-role}
    vpcs:
      - name: prod-vpc
        cidr: 10.0.0.0/16
        subnets:
          - {name: public-a, cidr: 10.0.0.0/24, az: us-east-1a}
          - {name: public-b, cidr: 10.0.1.0/24, az: us-east-1b}
        security_groups:
          - name: web-sg
            description: public web tier
            ingress:
              - {protocol: tcp, ports: 443, cidrs: [0.0.0.0/0]}
              - {protocol: tcp, ports: 22, cidrs: [198.51.100.0/24]}
    images:
      - name: web-2024-05
    target_groups:
      - {name: web-tg, port: 443, protocol: HTTPS, deregistration_delay: 30}
    load_balancers:
      - {name: web-elb}
    auto_scaling_groups:
      - name: web-asg
        min: 1
        max: 3
        desired: 1
        subnets: [public-a]
        launch:
          type: t3.large
          image: web-2024-05
          security_groups: [web-sg]
          profile: web-profile
          public_ip: true
          ssm: true
          memory_mib: 16
          volumes:
            - {device: /dev/xvda, size: 8}
            - {device: /dev/sdf, size: 20}
        target_groups: [web-tg]
        load_balancers: [web-elb]
    elastic_ips:
      - instance: web-asg-1
    buckets:
      - name: prod-ir-artifacts
)";

// A JournalRecorder-like recorder that keeps nothing: runs write their record to the journal log
// through the executor anyway; these tests read the simulator, not the record. With
// refuse_call_requests it fails to record the request of every API call (a full disk, a broken
// ledger), which must stop the call.
class NullRecorder final : public IncidentRecorder {
 public:
  Status record(std::string_view, std::string_view, std::string_view, std::string_view kind,
                const Json& payload) override {
    if (refuse_call_requests && kind == "action_request" && payload.contains("call")) {
      return fail(ErrorCode::kIo, "test: the evidence ledger is not writable");
    }
    return {};
  }
  Status checkpoint(std::string_view) override { return {}; }
  bool refuse_call_requests = false;
};

// One CloudTrail record of the production account, parsed.
struct TrailRecord {
  Json j;
  [[nodiscard]] std::string name() const { return j.value("eventName", ""); }
  [[nodiscard]] std::string arn() const {
    return j.contains("userIdentity") ? j["userIdentity"].value("arn", "") : "";
  }
  [[nodiscard]] bool read_only() const { return j.value("readOnly", false); }
  [[nodiscard]] bool failed() const { return j.contains("errorCode") && !j["errorCode"].is_null(); }
  [[nodiscard]] bool by_firebreak() const {
    return arn().find(":assumed-role/firebreak-responder/") != std::string::npos;
  }
};

class SimRespond : public ::testing::Test {
 protected:
  void SetUp() override { build(); }

  // A fresh world, executor and journal (crash tests rebuild between iterations).
  void build(cloud::sim::WorldOptions base = {}) {
    executor_.reset();  // it refers to the journal replaced below
    cloud::sim::WorldLoadOptions lo;
    lo.base = base;
    lo.base.clock = &clock_;
    auto loaded = cloud::sim::parse_world(kWorldYaml, "respond-e2e.yaml", lo);
    ASSERT_TRUE(loaded) << loaded.error().describe();
    loaded_ = std::move(*loaded);
    world_ = loaded_.world;
    ASSERT_TRUE(loaded_.responder);
    cloud::sim::Identity me;
    me.credentials = *loaded_.responder;
    me.source_ip = "10.100.0.5";
    me.user_agent = kFirebreakUa;
    provider_ = std::make_shared<cloud::sim::SimProvider>(world_, me);
    cloud::sim::Identity audit;
    audit.credentials = loaded_.user_keys.at("prod/auditor");
    audit.source_ip = "10.100.0.9";
    audit.user_agent = "auditor";
    auditor_ = cloud::sim::make_session(world_, audit, "us-east-1");
    instance_ = world_->resolve("web-asg-1").value();
    if (registry_.specs().empty()) register_builtin_actions(registry_);
    auto j = Journal::open(":memory:", clock_);
    ASSERT_TRUE(j) << j.error().describe();
    journal_ = std::move(*j);
    new_executor();
  }

  // A new executor over the same journal (what a restarted process does).
  void new_executor(ExecutorOptions o = {.seed = 5}) {
    executor_ = std::make_unique<Executor>(*journal_, registry_, *provider_, clock_, recorder_, o);
  }

  Playbook playbook(std::string_view id) {
    auto pb =
        load_playbook(testing::source_dir() / "playbooks" / (std::string(id) + ".yml"), registry_);
    EXPECT_TRUE(pb) << pb.error().describe();
    return pb ? std::move(*pb) : Playbook{};
  }

  StartRequest contain_request(Json inputs = Json::object()) {
    StartRequest r;
    r.incident_id = kIncident;
    r.incident = {{"id", kIncident}, {"title", "web-asg-1 reverse shell"}, {"severity", "high"}};
    r.target = {TargetType::kEc2Instance, instance_, kProd, "us-east-1"};
    r.inputs = std::move(inputs);
    return r;
  }

  RunRecord run(const std::string& id) { return journal_->run(id).value(); }
  std::vector<StepRecord> steps(const std::string& id) { return journal_->steps(id).value(); }
  std::optional<StepRecord> step(const std::string& id, const std::string& s) {
    return journal_->step(id, s).value();
  }
  std::string describe_run(const std::string& id) {
    std::string out = std::string(to_string(run(id).state)) + " " + run(id).error + "\n";
    for (const auto& s : steps(id)) {
      out += "  " + s.step_id + ": " + std::string(to_string(s.state)) + " " + s.error + "\n";
    }
    return out;
  }

  std::vector<TrailRecord> prod_records() {
    std::vector<TrailRecord> out;
    for (const auto& text : world_->records(kProd)) {
      auto j = parse_json(text);
      EXPECT_TRUE(j);
      if (j) out.push_back({std::move(*j)});
    }
    return out;
  }
  // Successful mutating calls firebreak made in the production account, by event name.
  std::map<std::string, int> firebreak_mutations() {
    std::map<std::string, int> out;
    for (const auto& r : prod_records()) {
      if (r.by_firebreak() && !r.read_only() && !r.failed()) out[r.name()] += 1;
    }
    return out;
  }

  SimClock clock_{from_unix_seconds(1717200000)};
  cloud::sim::LoadedWorld loaded_;
  std::shared_ptr<cloud::sim::World> world_;
  std::shared_ptr<cloud::sim::SimProvider> provider_;
  std::shared_ptr<cloud::CloudSession> auditor_;
  std::string instance_;
  ActionRegistry registry_;
  std::unique_ptr<Journal> journal_;
  NullRecorder recorder_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace firebreak::respond::e2e
