// The 57 SigmaHQ CloudTrail rules over the 35 Stratus Red Team detonation logs, compared with a
// golden list of (file, record, rule) hits derived independently: by reading each rule and
// re-expressing it as a Python predicate (tests/conformance/detect/derive_sigma_golden.py), not by
// recording firebreak's output. Regenerate the golden file with:
//   python3 tests/conformance/detect/derive_sigma_golden.py ../shared/testdata >
//     tests/conformance/detect/sigma_stratus_golden.tsv
//
// Disagreements that cannot be resolved are listed in kKnownDisagreements with the reason; there
// are none at present.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "firebreak/detect/engine.h"
#include "firebreak/detect/loader.h"
#include "firebreak/event/reader.h"
#include "testdata.h"

namespace firebreak::detect {
namespace {

namespace fs = std::filesystem;
using Hit = std::tuple<std::string, std::uint64_t, std::string>;  // log file, record, rule file

struct Disagreement {
  Hit hit;
  bool engine_has_it;  // true: the engine reports it, the golden list does not
  const char* reason;
};
// None known: every difference fails the test.
const std::vector<Disagreement> kKnownDisagreements = {};

fs::path rules_dir() { return testing::external_testdata() / "sigma/rules/cloud/aws/cloudtrail"; }
fs::path logs_dir() { return testing::external_testdata() / "stratus/docs/detonation-logs"; }

struct Collect final : event::EventSink {
  Matcher* matcher = nullptr;
  std::vector<std::string> rule_files;  // engine rule index -> rule file name
  std::set<Hit> hits;
  std::vector<std::string> errors;
  std::uint64_t events = 0;
  void on_event(const event::Event& e) override {
    ++events;
    std::vector<std::uint32_t> m;
    matcher->match(e, m);
    for (auto r : m) {
      hits.emplace(fs::path(*e.ref().file).filename().string(), e.ref().index, rule_files[r]);
    }
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
};

TEST(SigmaConformance, all_57_cloudtrail_rules_load) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  RuleSet set = load_rules({rules_dir()});
  for (const auto& r : set.rejected) ADD_FAILURE() << r.describe();
  EXPECT_EQ(set.rules.size(), 57u);
  EXPECT_EQ(set.files, 57u);
  std::vector<Rejection> rejected;
  auto engine = Engine::compile(set, {}, &rejected);
  ASSERT_TRUE(engine) << engine.error().describe();
  EXPECT_TRUE(rejected.empty());
  EXPECT_EQ((*engine)->stats().detection_rules, 57u);
  // Most SigmaHQ CloudTrail rules are anchored on eventName (hash lookup).
  EXPECT_GE((*engine)->stats().indexed_by_name, 50u);
}

TEST(SigmaConformance, nine_unsupported_rules_are_rejected_with_reasons) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  RuleSet set = load_rules({testing::external_testdata() / "sigma/unsupported/cloud"});
  EXPECT_TRUE(set.rules.empty());
  ASSERT_EQ(set.rejected.size(), 9u);
  const std::map<std::string, std::string> expected = {
      {"aws_ec2_download_userdata.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"aws_enum_backup.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"aws_enum_listing.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"aws_enum_network.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"aws_enum_storage.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"aws_lambda_function_created_or_invoked.yml", "aggregation syntax"},
      {"aws_macic_evasion.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"aws_ses_messaging_enabled.yml", "'timeframe' belongs to the obsolete aggregation"},
      {"azure_aad_secops_signin_failure_bad_password_threshold.yml",
       "firebreak reads no such events"},
  };
  for (const auto& r : set.rejected) {
    const std::string file = fs::path(r.where.file).filename().string();
    auto it = expected.find(file);
    ASSERT_NE(it, expected.end()) << r.describe();
    EXPECT_NE(r.reason.find(it->second), std::string::npos) << r.describe();
    EXPECT_GT(r.where.line, 0) << "rejections name the line: " << r.describe();
    EXPECT_FALSE(r.rule.empty());
  }
}

TEST(SigmaConformance, stratus_hits_match_the_independently_derived_golden_list) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  RuleSet set = load_rules({rules_dir()});
  ASSERT_EQ(set.rules.size(), 57u);
  auto engine = Engine::compile(set);
  ASSERT_TRUE(engine) << engine.error().describe();
  Matcher matcher(*engine);
  Collect c;
  c.matcher = &matcher;
  for (const auto& r : (*engine)->rules()) {
    c.rule_files.push_back(fs::path(r.where.file).filename().string());
  }
  event::Reader reader;
  auto summary = reader.read_paths({logs_dir()}, c);
  EXPECT_EQ(summary.files, 35u);
  EXPECT_EQ(summary.events, 310u);
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();

  std::set<Hit> golden;
  std::ifstream in(testing::source_dir() / "tests/conformance/detect/sigma_stratus_golden.tsv");
  ASSERT_TRUE(in) << "golden file missing";
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::string file, index, rule;
    std::getline(ls, file, '\t');
    std::getline(ls, index, '\t');
    std::getline(ls, rule, '\t');
    golden.emplace(file, std::stoull(index), rule);
  }
  ASSERT_FALSE(golden.empty());

  auto known = [&](const Hit& h, bool engine_has) {
    for (const auto& d : kKnownDisagreements)
      if (d.hit == h && d.engine_has_it == engine_has) return true;
    return false;
  };
  for (const auto& h : c.hits) {
    if (!golden.contains(h) && !known(h, true)) {
      ADD_FAILURE() << "engine hit not in golden list: " << std::get<0>(h) << " record "
                    << std::get<1>(h) << " rule " << std::get<2>(h);
    }
  }
  for (const auto& h : golden) {
    if (!c.hits.contains(h) && !known(h, false)) {
      ADD_FAILURE() << "golden hit missed by the engine: " << std::get<0>(h) << " record "
                    << std::get<1>(h) << " rule " << std::get<2>(h);
    }
  }
  // The detonations that these rules are meant to catch are caught.
  std::set<std::string> rules_hit;
  for (const auto& h : c.hits) rules_hit.insert(std::get<2>(h));
  EXPECT_TRUE(rules_hit.contains("aws_cloudtrail_disable_logging.yml"));
  EXPECT_TRUE(rules_hit.contains("aws_cloudtrail_vpc_flow_logs_deleted.yml"));
  EXPECT_TRUE(rules_hit.contains("aws_cloudtrail_console_login_success_without_mfa.yml"));
}

}  // namespace
}  // namespace firebreak::detect
