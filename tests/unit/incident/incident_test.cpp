#include "firebreak/incident/incident.h"

#include <gtest/gtest.h>

namespace firebreak::incident {
namespace {
using namespace std::chrono_literals;

class IncidentStoreTest : public ::testing::Test {
 protected:
  IncidentStoreTest() : clock_(*parse_iso8601("2026-03-01T10:00:00Z")) {
    store_ = std::move(IncidentStore::open(":memory:", clock_).value());
  }

  FindingInput finding(std::string id, std::vector<Entity> entities, Duration offset = 0s,
                       Severity sev = Severity::kMedium) {
    FindingInput f;
    f.id = std::move(id);
    f.rule_id = "rule-" + f.id;
    f.title = "Finding " + f.id;
    f.severity = sev;
    f.time = clock_.now() + offset;
    f.entities = std::move(entities);
    f.detail = {{"id", f.id}};
    return f;
  }

  SimClock clock_;
  std::unique_ptr<IncidentStore> store_;
};

TEST_F(IncidentStoreTest, findings_sharing_an_entity_group_into_one_incident) {
  auto a = store_->ingest(finding("a", {{"instance", "i-1"}, {"ip", "203.0.113.9"}}));
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_TRUE(a->created);
  EXPECT_EQ(a->incident_id, "inc-20260301-0001");
  auto b = store_->ingest(
      finding("b", {{"instance", "i-1"}, {"access_key", "AKIA1"}}, 1h, Severity::kHigh));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->incident_id, a->incident_id);
  // Shares only the access key with the incident: same incident, transitively.
  auto c = store_->ingest(finding("c", {{"access_key", "AKIA1"}}, 2h));
  EXPECT_EQ(c->incident_id, a->incident_id);
  auto inc = store_->get(a->incident_id).value();
  EXPECT_EQ(inc.finding_count, 3);
  EXPECT_EQ(inc.severity, Severity::kHigh);
  EXPECT_EQ(inc.first_seen, clock_.now());
  EXPECT_EQ(inc.last_seen, clock_.now() + 2h);
  EXPECT_EQ(inc.entities.size(), 3u);
  EXPECT_NE(inc.title.find("instance i-1"), std::string::npos) << inc.title;
}

TEST_F(IncidentStoreTest, ips_and_accounts_do_not_group) {
  auto a = store_->ingest(finding("a", {{"ip", "203.0.113.9"}, {"account", "1"}}));
  auto b = store_->ingest(finding("b", {{"ip", "203.0.113.9"}, {"account", "1"}}));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->incident_id, b->incident_id);
}

TEST_F(IncidentStoreTest, the_window_and_closed_incidents_split_incidents) {
  auto a = store_->ingest(finding("a", {{"instance", "i-1"}}));
  auto late = store_->ingest(finding("late", {{"instance", "i-1"}}, 30h), 24h);
  ASSERT_TRUE(a && late);
  EXPECT_NE(a->incident_id, late->incident_id);
  ASSERT_TRUE(store_->set_state(late->incident_id, State::kClosed, "alice", "false positive"));
  auto after = store_->ingest(finding("after", {{"instance", "i-1"}}, 31h));
  ASSERT_TRUE(after);
  EXPECT_NE(after->incident_id, late->incident_id);
}

TEST_F(IncidentStoreTest, the_same_finding_is_ingested_once) {
  auto a = store_->ingest(finding("a", {{"instance", "i-1"}}));
  auto again = store_->ingest(finding("a", {{"instance", "i-1"}}));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(store_->get(a->incident_id)->finding_count, 1);
}

TEST_F(IncidentStoreTest, state_machine_runs_and_timeline) {
  auto a = store_->ingest(finding("a", {{"instance", "i-1"}}));
  const std::string id = a->incident_id;
  EXPECT_FALSE(store_->set_state(id, State::kReleased, "alice"));  // not contained yet
  ASSERT_TRUE(store_->add_run(id, "run-1", "ec2-contain", "firebreak"));
  ASSERT_TRUE(store_->set_state(id, State::kContaining, "firebreak"));
  ASSERT_TRUE(store_->set_state(id, State::kContained, "firebreak"));
  ASSERT_TRUE(store_->add_note(id, "alice", "memory image sent to forensics"));
  ASSERT_TRUE(store_->set_state(id, State::kClosed, "alice"));
  EXPECT_FALSE(store_->set_state(id, State::kOpen, "alice"));  // closed is final
  const auto inc = store_->get(id).value();
  EXPECT_EQ(inc.state, State::kClosed);
  EXPECT_EQ(inc.runs, std::vector<std::string>{"run-1"});
  std::vector<std::string> kinds;
  const auto timeline = store_->timeline(id).value();
  for (const auto& e : timeline) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"state", "finding", "run", "state", "state", "note",
                                             "state"}));
  EXPECT_EQ(store_->find_open({"instance", "i-1"}).value(), std::nullopt);
}

TEST_F(IncidentStoreTest, list_filters_and_manual_incidents) {
  ASSERT_TRUE(store_->ingest(finding("a", {{"instance", "i-1"}}, 0s, Severity::kLow)));
  ASSERT_TRUE(store_->ingest(finding("b", {{"instance", "i-2"}}, 0s, Severity::kCritical)));
  auto manual =
      store_->create("Suspicious key", Severity::kHigh, {{"access_key", "AKIA9"}}, "alice");
  ASSERT_TRUE(manual);
  EXPECT_EQ(store_->find_open({"access_key", "AKIA9"}).value(), *manual);
  EXPECT_EQ(store_->list().value().size(), 3u);
  EXPECT_EQ(store_->list({.min_severity = Severity::kHigh}).value().size(), 2u);
  EXPECT_EQ(store_->list({.state = State::kClosed}).value().size(), 0u);
  EXPECT_EQ(store_->findings(store_->list({.min_severity = Severity::kCritical}).value()[0].id)
                .value()[0]
                .detail["id"],
            "b");
  EXPECT_FALSE(store_->get("inc-nope"));
}

}  // namespace
}  // namespace firebreak::incident
