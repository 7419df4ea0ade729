// Tag-driven response: the Response tag parser (verbs, the CreateTags request, firebreak's own
// calls), the playbook fields it relies on, and the mapping of verbs onto playbooks and inputs.
#include "firebreak/respond/response_tag.h"

#include <gtest/gtest.h>

namespace firebreak::respond {
namespace {

class FakeAction final : public Action {
 public:
  explicit FakeAction(std::string name) {
    spec_.name = std::move(name);
    spec_.params = {{"instance_id", ParamType::kString, true, nullptr, ""}};
  }
  const ActionSpec& spec() const override { return spec_; }
  Result<std::vector<ApiCall>> plan(ActionContext&) override { return std::vector<ApiCall>{}; }
  Result<ApplyResult> apply(ActionContext&) override { return ApplyResult{}; }
  Result<Verification> verify(ActionContext&, const Json&) override {
    return Verification{true, ""};
  }

 private:
  ActionSpec spec_;
};

const ActionRegistry& registry() {
  static ActionRegistry* r = [] {
    auto* reg = new ActionRegistry;
    reg->add(std::make_unique<FakeAction>("ec2.isolate"));
    return reg;
  }();
  return *r;
}

constexpr const char* kSteps =
    "steps:\n  - id: a\n    action: ec2.isolate\n    params: {instance_id: \"{{ target.id }}\"}\n";

Playbook load(const std::string& head) {
  auto pb = parse_playbook(head + kSteps, "pb.yml", registry());
  EXPECT_TRUE(pb) << pb.error().describe();
  return pb ? *pb : Playbook{};
}

std::string load_error(const std::string& head) {
  auto pb = parse_playbook(head + kSteps, "pb.yml", registry());
  EXPECT_FALSE(pb) << head;
  return pb ? std::string() : pb.error().describe();
}

// contain: Isolate starts it; MemoryCapture and Forensics switch inputs. quarantine-only:
// Quarantine.
std::vector<Playbook> playbooks() {
  return {load("id: contain\ntarget: ec2-instance\ntriggers: {response_tags: [Isolate]}\n"
               "inputs:\n"
               "  memory_capture: {type: bool, default: true, response_tag: MemoryCapture}\n"
               "  forensics: {type: bool, default: false, response_tag: Forensics}\n"
               "  bucket: {type: string, default: ''}\n"),
          load("id: quarantine\ntarget: ec2-instance\n"
               "triggers: {response_tags: [Quarantine, Isolate]}\n"),
          load("id: unrelated\ntarget: ec2-instance\ntriggers: {rules: [r1]}\n")};
}

Json create_tags(const std::string& value, std::vector<std::string> ids = {"i-0123456789abcdef0"}) {
  Json resources = Json::array();
  for (const auto& id : ids) resources.push_back({{"resourceId", id}});
  return {{"eventVersion", "1.09"},
          {"eventSource", "ec2.amazonaws.com"},
          {"eventName", "CreateTags"},
          {"userAgent", "aws-cli/2.15.30"},
          {"userIdentity", {{"type", "IAMUser"}, {"arn", "arn:aws:iam::222222222222:user/bob"}}},
          {"requestParameters",
           {{"resourcesSet", {{"items", resources}}},
            {"tagSet",
             {{"items", Json::array({{{"key", "Owner"}, {"value", "ops"}},
                                     {{"key", "Response"}, {"value", value}}})}}}}}};
}

ResponseTagRequest request(const Json& record) {
  auto r = parse_response_tag_request(record);
  EXPECT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r && r->has_value()) << record.dump();
  return r && *r ? **r : ResponseTagRequest{};
}

bool mentions(const std::vector<std::string>& lines, std::string_view text) {
  for (const auto& l : lines) {
    if (l.find(text) != std::string::npos) return true;
  }
  return false;
}

// --- verbs -------------------------------------------------------------------------------------

TEST(ResponseVerbs, split_on_plus_and_trimmed_in_order) {
  auto v = parse_response_verbs("Isolate+MemoryCapture");
  EXPECT_EQ(v.verbs, (std::vector<std::string>{"Isolate", "MemoryCapture"}));
  EXPECT_TRUE(v.problems.empty());
  v = parse_response_verbs("  Isolate + MemoryCapture\t");
  EXPECT_EQ(v.verbs, (std::vector<std::string>{"Isolate", "MemoryCapture"}));
  EXPECT_EQ(parse_response_verbs("Isolate").verbs, std::vector<std::string>{"Isolate"});
}

TEST(ResponseVerbs, are_case_sensitive) {
  auto v = parse_response_verbs("isolate+Isolate");
  EXPECT_EQ(v.verbs, (std::vector<std::string>{"isolate", "Isolate"}));
  EXPECT_TRUE(v.problems.empty());
}

TEST(ResponseVerbs, empty_and_repeated_verbs_are_dropped_and_reported) {
  auto v = parse_response_verbs("Isolate++MemoryCapture+");
  EXPECT_EQ(v.verbs, (std::vector<std::string>{"Isolate", "MemoryCapture"}));
  ASSERT_EQ(v.problems.size(), 2u);
  EXPECT_NE(v.problems[0].find("verb 2"), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[1].find("verb 4"), std::string::npos) << v.problems[1];
  v = parse_response_verbs("Isolate+Isolate");
  EXPECT_EQ(v.verbs, std::vector<std::string>{"Isolate"});
  EXPECT_TRUE(mentions(v.problems, "repeated"));
  v = parse_response_verbs("   ");
  EXPECT_TRUE(v.verbs.empty());
  EXPECT_TRUE(mentions(v.problems, "empty"));
  v = parse_response_verbs("+");
  EXPECT_TRUE(v.verbs.empty());
  EXPECT_EQ(v.problems.size(), 1u);
}

TEST(ResponseVerbs, bounded) {
  auto v = parse_response_verbs(std::string(257, 'A'));
  EXPECT_TRUE(v.verbs.empty());
  EXPECT_TRUE(mentions(v.problems, "257 bytes"));
  std::string many;
  for (int i = 0; i < 40; ++i) many += "V" + std::to_string(i) + "+";
  v = parse_response_verbs(many);
  EXPECT_EQ(v.verbs.size(), 32u);
  EXPECT_TRUE(mentions(v.problems, "more than 32 verbs"));
}

TEST(ResponseVerbs, validity_of_a_playbook_verb) {
  EXPECT_TRUE(valid_response_verb("Isolate"));
  EXPECT_TRUE(valid_response_verb("Memory-Capture_2:x/y=z@w."));
  EXPECT_FALSE(valid_response_verb(""));
  EXPECT_FALSE(valid_response_verb("A+B"));
  EXPECT_FALSE(valid_response_verb("Memory Capture"));
  EXPECT_FALSE(valid_response_verb(std::string(129, 'a')));
}

// --- the CreateTags request --------------------------------------------------------------------

TEST(ResponseTagRequest, reads_instances_and_the_response_value) {
  auto r =
      request(create_tags("Isolate+MemoryCapture", {"i-0123456789abcdef0", "vol-0123456789abcdef0",
                                                    "i-01234567", "i-0123456789abcdef0"}));
  EXPECT_EQ(r.value, "Isolate+MemoryCapture");
  EXPECT_EQ(r.verbs.verbs, (std::vector<std::string>{"Isolate", "MemoryCapture"}));
  EXPECT_EQ(r.instance_ids, (std::vector<std::string>{"i-0123456789abcdef0", "i-01234567"}));
  EXPECT_EQ(r.other_resources, std::vector<std::string>{"vol-0123456789abcdef0"});
  EXPECT_EQ(r.principal, "arn:aws:iam::222222222222:user/bob");
  EXPECT_TRUE(r.self.empty());
}

TEST(ResponseTagRequest, not_a_request_when_not_a_successful_create_tags_with_response) {
  auto none = [](const Json& j) {
    auto r = parse_response_tag_request(j);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_FALSE(r->has_value()) << j.dump();
  };
  Json j = create_tags("Isolate");
  j["eventName"] = "DeleteTags";
  none(j);
  j = create_tags("Isolate");
  j["errorCode"] = "Client.UnauthorizedOperation";
  none(j);
  j = create_tags("Isolate");
  j["eventSource"] = "ec2.example.com";
  none(j);
  j = create_tags("Isolate");
  j["requestParameters"]["tagSet"]["items"] = Json::array({{{"key", "response"}, {"value", "X"}}});
  none(j);  // tag keys are case-sensitive
  j = create_tags("Isolate");
  j["requestParameters"]["tagSet"]["items"] =
      Json::array({{{"key", "Response-Team"}, {"value", "X"}}});
  none(j);
  none(Json::array());
  none(Json("CreateTags"));
  none(Json{{"eventName", "CreateTags"}});
  // an empty errorCode is no error
  j = create_tags("Isolate");
  j["errorCode"] = "";
  auto r = parse_response_tag_request(j);
  ASSERT_TRUE(r && r->has_value());
}

TEST(ResponseTagRequest, the_last_response_tag_of_the_request_counts) {
  Json j = create_tags("Isolate");
  j["requestParameters"]["tagSet"]["items"].push_back(
      {{"key", "Response"}, {"value", "Quarantine"}});
  EXPECT_EQ(request(j).value, "Quarantine");
}

TEST(ResponseTagRequest, malformed_requests_are_errors_that_say_what) {
  auto error = [](const Json& j) {
    auto r = parse_response_tag_request(j);
    EXPECT_FALSE(r) << j.dump();
    return r ? std::string() : r.error().message();
  };
  Json j = create_tags("Isolate");
  j["requestParameters"]["resourcesSet"] = "i-0123456789abcdef0";
  EXPECT_NE(error(j).find("resourcesSet"), std::string::npos);
  j = create_tags("Isolate", {});
  EXPECT_NE(error(j).find("names no resource"), std::string::npos);
  j = create_tags("Isolate");
  j["requestParameters"]["tagSet"]["items"][1]["value"] = 7;
  EXPECT_NE(error(j).find("not a string"), std::string::npos);
  j = create_tags("Isolate");
  j["requestParameters"]["resourcesSet"]["items"][0] = {{"id", "i-0123456789abcdef0"}};
  EXPECT_NE(error(j).find("resourceId"), std::string::npos);
  j = create_tags("Isolate");
  j["requestParameters"]["tagSet"]["items"][0] = {{"value", "x"}};
  EXPECT_NE(error(j).find("'key'"), std::string::npos);
  std::vector<std::string> ids(1001, "i-0123456789abcdef0");
  EXPECT_NE(error(create_tags("Isolate", ids)).find("1001 resources"), std::string::npos);
  j = create_tags("Isolate", {std::string(200, 'x')});
  EXPECT_NE(error(j).find("200 bytes"), std::string::npos);
}

TEST(ResponseTagRequest, a_missing_or_null_value_is_an_empty_tag) {
  Json j = create_tags("Isolate");
  j["requestParameters"]["tagSet"]["items"][1].erase("value");
  auto r = request(j);
  EXPECT_EQ(r.value, "");
  EXPECT_TRUE(r.verbs.verbs.empty());
  EXPECT_TRUE(mentions(r.verbs.problems, "empty"));
}

TEST(ResponseTagRequest, firebreaks_own_calls_are_marked_and_plan_nothing) {
  Json ua = create_tags("Isolate");
  ua["userAgent"] = "firebreak/0.1.0 (sim)";
  Json session = create_tags("Isolate");
  session["userIdentity"]["arn"] =
      "arn:aws:sts::222222222222:assumed-role/firebreak-responder/firebreak-inc-20240801-0001";
  for (const auto& j : {ua, session}) {
    auto r = request(j);
    EXPECT_FALSE(r.self.empty()) << j.dump();
    auto plan = plan_response_tag(r, playbooks());
    EXPECT_TRUE(plan.runs.empty());
    EXPECT_TRUE(mentions(plan.problems, "firebreak's own call")) << plan.problems.size();
  }
  // the same prefixes elsewhere are not firebreak: a role named firebreak-* with another session,
  // a user agent that merely contains the word
  Json other = create_tags("Isolate");
  other["userIdentity"]["arn"] = "arn:aws:sts::222222222222:assumed-role/firebreak-responder/alice";
  other["userAgent"] = "aws-cli/2 firebreak/1";
  EXPECT_TRUE(request(other).self.empty());
}

// --- playbooks -----------------------------------------------------------------------------------

TEST(ResponseTagPlaybook, inputs_follow_verbs_and_are_checked) {
  auto pbs = playbooks();
  EXPECT_EQ(pbs[0].triggers.response_tags, std::vector<std::string>{"Isolate"});
  EXPECT_EQ(pbs[0].inputs[0].response_tag, "MemoryCapture");
  EXPECT_EQ(pbs[0].inputs[2].response_tag, "");
  const std::string d1 = load_error(
      "id: p\ntarget: ec2-instance\ntriggers: {response_tags: [Isolate]}\n"
      "inputs:\n  bucket: {type: string, response_tag: Bucket}\n");
  EXPECT_NE(d1.find("pb.yml:5:"), std::string::npos) << d1;
  EXPECT_NE(d1.find("must be a bool"), std::string::npos) << d1;
  const std::string d2 =
      load_error("id: p\ntarget: access-key\ntriggers: {response_tags: [Isolate]}\n");
  EXPECT_NE(d2.find("only an ec2-instance playbook"), std::string::npos) << d2;
  const std::string d3 = load_error(
      "id: p\ntarget: ec2-instance\ninputs:\n  m: {type: bool, response_tag: MemoryCapture}\n");
  EXPECT_NE(d3.find("names none that starts"), std::string::npos) << d3;
  const std::string d4 =
      load_error("id: p\ntarget: ec2-instance\ntriggers: {response_tags: [Isolate+Capture]}\n");
  EXPECT_NE(d4.find("'Isolate+Capture'"), std::string::npos) << d4;
  const std::string d5 = load_error(
      "id: p\ntarget: ec2-instance\ntriggers: {response_tags: [Isolate]}\n"
      "inputs:\n  m: {type: bool, response_tag: 'Memory Capture'}\n");
  EXPECT_NE(d5.find("'Memory Capture'"), std::string::npos) << d5;
}

// --- the mapping -------------------------------------------------------------------------------

TEST(ResponseTagPlan, a_playbook_starts_on_each_instance_when_the_tag_names_any_of_its_verbs) {
  const auto pbs = playbooks();
  auto plan = plan_response_tag(
      request(create_tags("Isolate+MemoryCapture", {"i-0123456789abcdef0", "i-0123456789abcdef1"})),
      pbs);
  ASSERT_EQ(plan.runs.size(), 4u);  // contain and quarantine, each on both instances
  EXPECT_EQ(plan.runs[0].playbook->id, "contain");
  EXPECT_EQ(plan.runs[0].instance_id, "i-0123456789abcdef0");
  EXPECT_EQ(plan.runs[1].playbook->id, "contain");
  EXPECT_EQ(plan.runs[1].instance_id, "i-0123456789abcdef1");
  EXPECT_EQ(plan.runs[2].playbook->id, "quarantine");
  EXPECT_EQ(plan.runs[0].verbs, std::vector<std::string>{"Isolate"});
  // verb-linked inputs: named -> true, not named -> false; others untouched
  EXPECT_EQ(plan.runs[0].inputs, (Json{{"memory_capture", true}, {"forensics", false}}));
  EXPECT_EQ(plan.runs[2].inputs, Json::object());
  EXPECT_TRUE(plan.unknown_verbs.empty());
  EXPECT_TRUE(plan.idle_verbs.empty());
  EXPECT_TRUE(plan.problems.empty()) << plan.problems.front();
}

TEST(ResponseTagPlan, isolate_alone_turns_linked_inputs_off) {
  const auto pbs = playbooks();
  auto plan = plan_response_tag(request(create_tags("Isolate")), pbs);
  ASSERT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(plan.runs[0].inputs["memory_capture"], false);
}

TEST(ResponseTagPlan, quarantine_starts_only_its_playbook) {
  const auto pbs = playbooks();
  auto plan = plan_response_tag(request(create_tags("Quarantine")), pbs);
  ASSERT_EQ(plan.runs.size(), 1u);
  EXPECT_EQ(plan.runs[0].playbook->id, "quarantine");
  EXPECT_EQ(plan.runs[0].verbs, std::vector<std::string>{"Quarantine"});
}

TEST(ResponseTagPlan, unknown_verbs_are_named_with_a_hint_and_start_nothing) {
  const auto pbs = playbooks();
  auto plan = plan_response_tag(request(create_tags("isolate+Wipe")), pbs);
  EXPECT_TRUE(plan.runs.empty());
  EXPECT_EQ(plan.unknown_verbs, (std::vector<std::string>{"isolate", "Wipe"}));
  ASSERT_EQ(plan.problems.size(), 2u);
  EXPECT_NE(plan.problems[0].find("did you mean 'Isolate'"), std::string::npos) << plan.problems[0];
  EXPECT_NE(plan.problems[1].find("unknown verb 'Wipe'"), std::string::npos) << plan.problems[1];
  EXPECT_NE(plan.problems[1].find("Forensics, Isolate, MemoryCapture, Quarantine"),
            std::string::npos)
      << plan.problems[1];
  // alongside a known verb, the known part still runs
  plan = plan_response_tag(request(create_tags("Isolate+Wipe")), pbs);
  EXPECT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(plan.unknown_verbs, std::vector<std::string>{"Wipe"});
}

TEST(ResponseTagPlan, an_input_verb_alone_changes_nothing_and_says_so) {
  const auto pbs = playbooks();
  auto plan = plan_response_tag(request(create_tags("MemoryCapture")), pbs);
  EXPECT_TRUE(plan.runs.empty());
  EXPECT_TRUE(plan.unknown_verbs.empty());
  EXPECT_EQ(plan.idle_verbs, std::vector<std::string>{"MemoryCapture"});
  EXPECT_TRUE(mentions(plan.problems, "only sets inputs of contain"));
  // with Quarantine it is still idle: quarantine has no such input
  plan = plan_response_tag(request(create_tags("Quarantine+MemoryCapture")), pbs);
  EXPECT_EQ(plan.runs.size(), 1u);
  EXPECT_EQ(plan.idle_verbs, std::vector<std::string>{"MemoryCapture"});
}

TEST(ResponseTagPlan, non_instances_are_not_targets_and_are_reported) {
  const auto pbs = playbooks();
  auto plan = plan_response_tag(request(create_tags("Isolate", {"vol-0123456789abcdef0"})), pbs);
  EXPECT_TRUE(plan.runs.empty());
  EXPECT_TRUE(mentions(plan.problems, "'vol-0123456789abcdef0' is not an EC2 instance"));
  EXPECT_TRUE(mentions(plan.problems, "no tagged resource is an EC2 instance"));
}

TEST(ResponseTagPlan, join_writes_the_tag_syntax) {
  EXPECT_EQ(join_verbs({"Isolate", "MemoryCapture"}), "Isolate+MemoryCapture");
  EXPECT_EQ(join_verbs({}), "");
}

}  // namespace
}  // namespace firebreak::respond
