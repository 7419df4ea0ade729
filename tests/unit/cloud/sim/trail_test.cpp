// CloudTrail in the simulator: record shape, delivery files (read back by firebreak's own reader),
// StopLogging, EventBridge envelopes, event history, determinism.
#include <gtest/gtest.h>

#include <regex>

#include "firebreak/event/reader.h"
#include "fixture.h"

namespace firebreak::cloud::sim::testing {
namespace {

using namespace std::chrono_literals;

class Sink final : public LogSink {
 public:
  void on_file(const DeliveredFile& f) override { files.push_back(f); }
  void on_eventbridge(std::string_view e) override { envelopes.emplace_back(e); }
  std::vector<DeliveredFile> files;
  std::vector<std::string> envelopes;
};

class Collect final : public event::EventSink {
 public:
  void on_event(const event::Event& e) override {
    names.emplace_back(e.name());
    ids.emplace_back(e.id());
    accounts.emplace_back(e.account());
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
  std::vector<std::string> names, ids, accounts, errors;
};

TEST(CloudTrailRecords, have_the_real_shape) {
  Org org;
  auto s = org.admin_session("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux");
  ModifyInstanceAttributeRequest req;
  req.instance_id = org.instance;
  req.disable_api_termination = true;
  ASSERT_TRUE(s->ec2().modify_instance_attribute(req));
  auto recs = org.records_named(kProd, "ModifyInstanceAttribute");
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  EXPECT_EQ(r["eventVersion"], "1.09");
  EXPECT_EQ(r["eventSource"], "ec2.amazonaws.com");
  EXPECT_EQ(r["awsRegion"], "us-east-1");
  EXPECT_EQ(r["eventType"], "AwsApiCall");
  EXPECT_EQ(r["readOnly"], false);
  EXPECT_EQ(r["managementEvent"], true);
  EXPECT_EQ(r["eventCategory"], "Management");
  EXPECT_EQ(r["recipientAccountId"], kProd);
  EXPECT_EQ(r["sourceIPAddress"], "192.0.2.10");
  EXPECT_EQ(r["userAgent"], "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux");
  EXPECT_EQ(r["userIdentity"]["type"], "IAMUser");
  EXPECT_EQ(r["userIdentity"]["userName"], "admin");
  EXPECT_EQ(r["userIdentity"]["accessKeyId"], org.admin.access_key_id);
  EXPECT_EQ(r["userIdentity"]["arn"], std::string("arn:aws:iam::") + kProd + ":user/admin");
  EXPECT_EQ(r["requestParameters"]["instanceId"], org.instance);
  EXPECT_EQ(r["requestParameters"]["disableApiTermination"]["value"], true);
  EXPECT_EQ(r["responseElements"]["_return"], true);
  EXPECT_EQ(r["tlsDetails"]["clientProvidedHostHeader"], "ec2.us-east-1.amazonaws.com");
  EXPECT_TRUE(std::regex_match(
      r["eventID"].get<std::string>(),
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(r["eventTime"], format_iso8601(org.world->now()));
  // Errors carry errorCode / errorMessage and no responseElements.
  req.instance_id = "i-0fffffffffffffff1";
  ASSERT_FALSE(s->ec2().modify_instance_attribute(req));
  recs = org.records_named(kProd, "ModifyInstanceAttribute");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1]["errorCode"], "Client.InvalidInstanceID.NotFound");
  EXPECT_TRUE(recs[1]["responseElements"].is_null());
}

TEST(CloudTrailDelivery, files_named_like_aws_and_read_back_by_the_reader) {
  Org org;
  auto sink = std::make_shared<Sink>();
  org.world->add_sink(sink);
  ASSERT_TRUE(org.world->add_trail(
      {"org-trail", kSecurity, "us-east-1", "acme-cloudtrail", "", true, true, true, true}));
  auto s = org.admin_session();
  ASSERT_TRUE(s->ec2().describe_instances({}));
  ASSERT_TRUE(s->ec2().create_tags({org.instance}, {{"Quarantine", "INC-1"}}));
  ASSERT_TRUE(s->iam().create_user("someone", {}));
  EXPECT_TRUE(sink->files.empty()) << "nothing before the delivery interval";
  org.world->advance(7min);
  std::size_t records = 0;
  const std::regex key(
      R"(AWSLogs/o-a1b2c3d4e5/(\d{12})/CloudTrail/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/\1_CloudTrail_\2_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz)");
  Collect c;
  event::Reader reader;
  for (const auto& f : sink->files) {
    if (f.kind != "cloudtrail") continue;
    EXPECT_TRUE(std::regex_match(f.key, key)) << f.key;
    EXPECT_EQ(f.bucket, "acme-cloudtrail");
    records += f.records;
    reader.read_buffer(f.bytes, f.key, c);
  }
  EXPECT_EQ(records, 3u);
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  ASSERT_EQ(c.names.size(), 3u);
  EXPECT_NE(std::find(c.names.begin(), c.names.end(), "CreateTags"), c.names.end());
  EXPECT_NE(std::find(c.names.begin(), c.names.end(), "CreateUser"), c.names.end());
  // The delivery file is also an object in the trail's bucket, readable through the seam.
  auto sec = org.world->root_credentials(kSecurity);
  ASSERT_TRUE(sec);
  Identity id;
  id.credentials = *sec;
  auto sec_session = make_session(org.world, id, "us-east-1");
  auto objects = sec_session->s3().list_object_versions("acme-cloudtrail", "AWSLogs/");
  ASSERT_TRUE(objects);
  EXPECT_EQ(objects->size(), sink->files.size());
}

TEST(CloudTrailDelivery, stop_logging_stops_delivery_for_that_trail) {
  Org org;
  auto sink = std::make_shared<Sink>();
  org.world->add_sink(sink);
  ASSERT_TRUE(org.world->add_trail(
      {"prod-trail", kProd, "us-east-1", "prod-trail-bucket", "", true, false, true, true}));
  auto s = org.admin_session();
  ASSERT_TRUE(s->cloudtrail().stop_logging("prod-trail"));
  auto status = s->cloudtrail().get_trail_status("prod-trail");
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->is_logging);
  ASSERT_TRUE(s->iam().create_user("after-stop", {}));
  org.world->advance(10min);
  std::vector<std::string> delivered;
  for (const auto& f : sink->files) {
    if (f.kind != "cloudtrail") continue;
    const auto body = gunzip(f.bytes);
    auto j = parse_json(body);
    ASSERT_TRUE(j);
    for (const auto& r : (*j)["Records"]) delivered.push_back(r["eventName"]);
  }
  EXPECT_NE(std::find(delivered.begin(), delivered.end(), "StopLogging"), delivered.end());
  EXPECT_EQ(std::find(delivered.begin(), delivered.end(), "CreateUser"), delivered.end());
  // Event history is not a trail: LookupEvents still answers.
  LookupEventsRequest req;
  req.attributes = {{"EventName", "CreateUser"}};
  auto found = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size(), 1u);
  // StartLogging resumes delivery.
  ASSERT_TRUE(s->cloudtrail().start_logging("prod-trail"));
  ASSERT_TRUE(s->iam().create_user("after-start", {}));
  org.world->advance(10min);
  bool seen = false;
  for (const auto& f : sink->files)
    if (f.kind == "cloudtrail" && gunzip(f.bytes).find("after-start") != std::string::npos)
      seen = true;
  EXPECT_TRUE(seen);
}

TEST(CloudTrailDelivery, files_arrive_about_five_minutes_after_the_call) {
  Org org;
  auto sink = std::make_shared<Sink>();
  org.world->add_sink(sink);
  ASSERT_TRUE(org.world->add_trail(
      {"prod-trail", kProd, "us-east-1", "prod-trail-bucket", "", true, false, true, true}));
  auto s = org.admin_session();
  // One call every 10 simulated seconds for half an hour, so calls land at every phase of the
  // delivery cycle, including seconds before a file is written.
  for (int i = 0; i < 180; ++i) {
    ASSERT_TRUE(s->ec2().create_tags({org.instance}, {{"n", std::to_string(i)}}));
    org.world->advance(10s);
  }
  org.world->advance(15min);
  const auto& o = org.world->options();
  Duration total{}, lo = Duration::max(), hi{};
  std::size_t n = 0;
  for (const auto& f : sink->files) {
    if (f.kind != "cloudtrail") continue;
    auto j = parse_json(gunzip(f.bytes));
    ASSERT_TRUE(j);
    for (const auto& r : (*j)["Records"]) {
      if (r["eventName"] != "CreateTags") continue;
      const auto t = parse_iso8601(r["eventTime"].get<std::string>());
      ASSERT_TRUE(t);
      const auto latency = f.delivered - *t;
      lo = std::min(lo, latency);
      hi = std::max(hi, latency);
      total += latency;
      ++n;
    }
  }
  ASSERT_EQ(n, 180u) << "every call delivered exactly once";
  EXPECT_GE(lo, o.cloudtrail_delivery_min_age) << "never seconds after the call";
  EXPECT_LE(hi, o.cloudtrail_delivery_min_age + o.cloudtrail_delivery_interval +
                    o.cloudtrail_delivery_jitter);
  const auto mean = total / static_cast<long>(n);
  EXPECT_GE(mean, 4min);
  EXPECT_LE(mean, 7min);
}

TEST(CloudTrailDelivery, flush_delivers_records_younger_than_the_minimum_age) {
  Org org;
  auto sink = std::make_shared<Sink>();
  org.world->add_sink(sink);
  ASSERT_TRUE(org.world->add_trail(
      {"prod-trail", kProd, "us-east-1", "prod-trail-bucket", "", true, false, true, true}));
  auto s = org.admin_session();
  ASSERT_TRUE(s->iam().create_user("late", {}));
  org.world->flush_logs();
  std::size_t records = 0;
  for (const auto& f : sink->files) records += f.kind == "cloudtrail" ? f.records : 0;
  EXPECT_EQ(records, 1u);
}

TEST(CloudTrailDelivery, eventbridge_envelopes_arrive_in_seconds) {
  Org org;
  auto sink = std::make_shared<Sink>();
  org.world->add_sink(sink);
  auto s = org.admin_session();
  ASSERT_TRUE(s->ec2().describe_instances({}));  // read-only: not delivered by default
  ASSERT_TRUE(s->ec2().create_tags({org.instance}, {{"k", "v"}}));
  EXPECT_TRUE(sink->envelopes.empty());
  org.world->advance(10s);
  ASSERT_EQ(sink->envelopes.size(), 1u);
  auto env = parse_json(sink->envelopes[0]);
  ASSERT_TRUE(env);
  EXPECT_EQ((*env)["detail-type"], "AWS API Call via CloudTrail");
  EXPECT_EQ((*env)["source"], "aws.ec2");
  EXPECT_EQ((*env)["detail"]["eventName"], "CreateTags");
  Collect c;
  event::Reader reader;
  reader.read_buffer(sink->envelopes[0], "eventbridge", c);
  ASSERT_EQ(c.names.size(), 1u);
  EXPECT_EQ(c.names[0], "CreateTags");
}

TEST(CloudTrailLookup, answers_newest_first_with_filters) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->iam().create_user("u1", {}));
  org.world->advance(1min);
  auto key = s->iam().create_access_key("u1");
  ASSERT_TRUE(key);
  org.world->advance(1min);
  ASSERT_TRUE(s->iam().create_user("u2", {}));
  LookupEventsRequest req;
  req.attributes = {{"EventName", "CreateUser"}};
  auto r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_GT(r->at(0).event_time, r->at(1).event_time);
  req.attributes = {{"AccessKeyId", org.admin.access_key_id}};
  r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  EXPECT_GE(r->size(), 3u);
  req.attributes = {{"ResourceName", key->metadata.access_key_id}};
  r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().event_name, "CreateAccessKey");
  // Every field of the entry agrees with the record it carries.
  const LookedUpEvent e = r->front();  // a copy: r is reassigned below
  const Json rec = Json::parse(e.cloudtrail_event);
  EXPECT_EQ(rec["eventID"], e.event_id);
  EXPECT_EQ(rec["eventName"], "CreateAccessKey");
  EXPECT_EQ(e.event_source, "iam.amazonaws.com");
  EXPECT_EQ(rec["userIdentity"]["accessKeyId"], e.access_key_id);
  EXPECT_EQ(e.access_key_id, org.admin.access_key_id);
  EXPECT_FALSE(e.username.empty());
  EXPECT_FALSE(e.read_only);
  // The second resource of the same record (the user), by name and by type; and by event id.
  req.attributes = {{"ResourceName", "u1"}};
  r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);  // CreateUser u1, CreateAccessKey for u1
  req.attributes = {{"ResourceType", "AWS::IAM::AccessKey"}};
  r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  req.attributes = {{"EventId", e.event_id}};
  r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().cloudtrail_event, e.cloudtrail_event);
  req.attributes = {{"Username", e.username}};
  r = s->cloudtrail().lookup_events(req);
  ASSERT_TRUE(r);
  EXPECT_GE(r->size(), 3u);
}

// Runs one scripted incident and returns every delivered byte (keys and contents).
std::string run_script(std::uint64_t seed) {
  WorldOptions o;
  o.seed = seed;
  Org org(o);
  auto sink = std::make_shared<Sink>();
  org.world->add_sink(sink);
  (void)org.world->add_trail(
      {"org-trail", kSecurity, "us-east-1", "acme-cloudtrail", "", true, true, true, true});
  (void)org.world->add_flow_log(org.vpc, "flow-bucket");
  org.world->add_threat_ips("c2", {"198.51.100.0/24"});
  (void)org.world->add_detector(kProd, "us-east-1", "gd-bucket");
  ConnectionSpec shell;
  shell.instance_id = org.instance;
  shell.remote_ip = kAttackerIp;
  shell.remote_port = 4444;
  (void)org.world->open_connection(shell);
  auto creds = org.world->instance_credentials(org.instance);
  auto attacker = org.attacker_session(*creds);
  (void)attacker->ec2().describe_instances({});
  (void)attacker->s3().list_buckets();
  org.world->advance(2min);
  auto s = org.admin_session();
  (void)s->ec2().create_tags({org.instance}, {{"Quarantine", "INC-1"}});
  (void)s->ec2().create_snapshots({org.instance, "evidence", {}, false});
  org.world->advance(30min);
  org.world->flush_logs();
  std::string all;
  for (const auto& f : sink->files) all += f.bucket + "/" + f.key + "\n" + f.bytes;
  for (const auto& e : sink->envelopes) all += e;
  return all;
}

TEST(Determinism, same_world_script_and_seed_give_identical_logs) {
  const auto a = run_script(42);
  const auto b = run_script(42);
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, run_script(43));
}

}  // namespace
}  // namespace firebreak::cloud::sim::testing
