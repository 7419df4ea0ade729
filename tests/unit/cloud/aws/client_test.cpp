// The AWS client against a local scripted HTTP server: retries (throttling, 500/503, slow and
// truncated replies, transport errors), the retry budget, pacing, hooks, client tokens,
// connection reuse, user agent, error mapping per protocol, codecs on recorded answers
// (including the calls moto does not implement) and bad input.
#include "client.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "firebreak/cloud/aws/provider.h"
#include "firebreak/cloud/hooks.h"
#include "firebreak/core/redact.h"
#include "test_http_server.h"

using namespace firebreak;
using namespace firebreak::cloud;
using namespace firebreak::cloud::aws;
using firebreak::testing::RecordedRequest;
using firebreak::testing::Reply;
using firebreak::testing::TestHttpServer;

namespace {

constexpr const char* kSecret = "unitTestSecret/NeverLogged+0123456789abcdef";

Reply xml(std::string body, int status = 200) {
  return Reply{
      status, {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", "req-123"}}, std::move(body)};
}
Reply json(std::string body, int status = 200) {
  return Reply{status,
               {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", "req-456"}},
               std::move(body)};
}

std::string ec2_error(std::string_view code, std::string_view message = "boom") {
  return fmt::format(
      "<?xml version=\"1.0\" "
      "encoding=\"UTF-8\"?><Response><Errors><Error><Code>{}</Code><Message>{}</Message>"
      "</Error></Errors><RequestID>ec2-req-1</RequestID></Response>",
      code, message);
}

std::string instances_page(const std::string& id, const std::string& next) {
  return fmt::format(
      "<DescribeInstancesResponse "
      "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><reservationSet><item>"
      "<instancesSet><item><instanceId>{}</instanceId><instanceState><name>running</name></"
      "instanceState>"
      "<tagSet><item><key>Name</key><value>web</value></item></tagSet></item></instancesSet></item>"
      "</reservationSet>{}</DescribeInstancesResponse>",
      id, next.empty() ? "" : "<nextToken>" + next + "</nextToken>");
}

class ClientTest : public ::testing::Test {
 protected:
  SimClock clock{*parse_iso8601("2026-01-01T00:00:00Z")};

  std::shared_ptr<AwsSession> connect(TestHttpServer& server,
                                      std::function<void(AwsProviderConfig&)> tweak = {}) {
    AwsProviderConfig cfg;
    cfg.env = fixed_environment({});
    cfg.clock = &clock;
    cfg.options.region = "us-east-1";
    cfg.options.endpoint_url = server.url();
    cfg.options.access_key_id = "AKIAUNITTEST00000001";
    cfg.options.secret_access_key = kSecret;
    cfg.jitter_seed = 7;
    cfg.transport_options.request_timeout = std::chrono::milliseconds(1500);
    cfg.transport_options.connect_timeout = std::chrono::milliseconds(1500);
    if (tweak) tweak(cfg);
    auto p = make_aws_provider(cfg);
    EXPECT_TRUE(p) << p.error().describe();
    provider_ = *p;
    // A session for an explicit account: no GetCallerIdentity round trip.
    SessionRequest req;
    req.account_id = "123456789012";
    req.role_arn = "";
    auto s = (*p)->aws_session(req);
    if (!s) {
      // The home account is asked for with GetCallerIdentity; tests that need a session answer it.
      ADD_FAILURE() << s.error().describe();
      return nullptr;
    }
    return *s;
  }

  std::shared_ptr<AwsProvider> provider_;
};

// Answers GetCallerIdentity (the session's home account lookup) and delegates the rest.
TestHttpServer::Handler with_identity(TestHttpServer::Handler rest) {
  return [rest = std::move(rest), n = std::make_shared<int>(0)](const RecordedRequest& r,
                                                                int) -> Reply {
    if (r.body.find("Action=GetCallerIdentity") != std::string::npos)
      return xml(
          "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</"
          "Account><Arn>arn:aws:iam::123456789012:user/t</Arn>"
          "<UserId>AIDA</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>");
    return rest(r, (*n)++);
  };
}

}  // namespace

TEST_F(ClientTest, retries_503_then_succeeds_with_backoff_on_the_clock) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int i) {
    if (i < 2) return xml("<html>unavailable</html>", 503);
    return xml(instances_page("i-1", ""));
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  const TimePoint before = clock.now();
  auto r = s->ec2().describe_instances({});
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().instance_id, "i-1");
  EXPECT_EQ(server.request_count(), 4u);  // identity + 3 attempts
  EXPECT_GE(clock.now(), before);         // backoff slept on the SimClock, not the wall
  const auto reqs = server.requests();
  EXPECT_NE(reqs.back().header("amz-sdk-request").find("attempt=3"), std::string::npos);
}

TEST_F(ClientTest, throttling_is_retried_then_surfaces_with_code_and_request_id) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int) {
    return xml(ec2_error("RequestLimitExceeded", "Request limit exceeded."), 503);
  }));
  auto s = connect(server, [](AwsProviderConfig& c) { c.retry.max_attempts = 4; });
  ASSERT_TRUE(s);
  auto r = s->ec2().describe_instances({});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kThrottled);
  EXPECT_EQ(r.error().context().aws_code, "RequestLimitExceeded");
  EXPECT_EQ(r.error().context().request_id, "req-123");  // header wins over body
  EXPECT_EQ(r.error().context().http_status, 503);
  EXPECT_EQ(server.request_count(), 5u);  // identity + 4 attempts
}

TEST_F(ClientTest, client_errors_are_not_retried) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int) {
    return xml(ec2_error("InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist"),
               400);
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto r = s->ec2().describe_instances({{"i-1"}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_NE(r.error().message().find("does not exist"), std::string::npos);
}

TEST_F(ClientTest, slow_replies_time_out_and_are_retried) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int i) {
    Reply r = xml(instances_page("i-slow", ""));
    if (i == 0) r.delay = std::chrono::milliseconds(2500);
    return r;
  }));
  auto s = connect(server, [](AwsProviderConfig& c) {
    c.transport_options.request_timeout = std::chrono::milliseconds(500);
  });
  ASSERT_TRUE(s);
  auto r = s->ec2().describe_instances({});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->front().instance_id, "i-slow");
}

TEST_F(ClientTest, truncated_and_dropped_replies_are_transport_errors_and_retried) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int i) {
    Reply r = xml(instances_page("i-ok", ""));
    if (i == 0) r.truncate = true;
    if (i == 1) r.drop = true;
    return r;
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto r = s->ec2().describe_instances({});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(server.request_count(), 4u);

  TestHttpServer always_truncated([](const RecordedRequest&, int) {
    Reply r = xml(instances_page("i-x", ""));
    r.truncate = true;
    return r;
  });
  AwsProviderConfig cfg;
  cfg.env = fixed_environment({});
  cfg.clock = &clock;
  cfg.options.region = "us-east-1";
  cfg.options.endpoint_url = always_truncated.url();
  cfg.options.access_key_id = "AKIAUNITTEST00000001";
  cfg.options.secret_access_key = kSecret;
  cfg.retry.max_attempts = 2;
  auto p = make_aws_provider(cfg);
  ASSERT_TRUE(p);
  // The identity lookup itself fails after its retries: the session cannot be made.
  auto s2 = (*p)->aws_session({});
  ASSERT_FALSE(s2);
  EXPECT_EQ(s2.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(always_truncated.request_count(), 2u);
}

TEST_F(ClientTest, retry_budget_stops_retry_storms) {
  TestHttpServer server(
      with_identity([](const RecordedRequest&, int) { return xml("<x/>", 500); }));
  auto s = connect(server, [](AwsProviderConfig& c) {
    c.retry.max_attempts = 5;
    c.retry_budget = 10;  // two retries' worth
  });
  ASSERT_TRUE(s);
  auto r1 = s->ec2().describe_instances({});
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code(), ErrorCode::kUnavailable);
  const std::size_t after_first = server.request_count();
  EXPECT_EQ(after_first, 1u + 3u);  // identity, first attempt, 2 paid retries
  auto r2 = s->ec2().describe_instances({});
  ASSERT_FALSE(r2);
  EXPECT_EQ(server.request_count(), after_first + 1);  // budget empty: no retry
}

TEST_F(ClientTest, pacing_spreads_mutating_calls_over_the_bucket_refill) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int) {
    return xml("<CreateTagsResponse><return>true</return></CreateTagsResponse>");
  }));
  auto s = connect(server, [](AwsProviderConfig& c) { c.pacing["ec2"] = BucketConfig{10, 5}; });
  ASSERT_TRUE(s);
  const TimePoint start = clock.now();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->ec2().create_tags({"i-1"}, {{"k", "v"}}));
  EXPECT_EQ(clock.now(), start) << "the burst fits the bucket";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->ec2().create_tags({"i-1"}, {{"k", "v"}}));
  // 10 more tokens at 5/s: about two seconds of (simulated) waiting.
  const double waited = std::chrono::duration<double>(clock.now() - start).count();
  EXPECT_GT(waited, 1.8);
  EXPECT_LT(waited, 2.2);
  // Read-only calls are not paced.
  const TimePoint t = clock.now();
  for (int i = 0; i < 5; ++i) (void)s->ec2().describe_instances({});
  EXPECT_EQ(clock.now(), t);
}

TEST_F(ClientTest, hooks_run_once_per_operation_and_can_veto) {
  TestHttpServer server(
      with_identity([](const RecordedRequest&, int) { return xml(instances_page("i-1", "")); }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto rec = std::make_shared<RecordingHook>();
  auto faults = std::make_shared<FaultInjectionHook>(clock);
  faults->add({"TerminateInstances",
               1,
               Error(ErrorCode::kPermissionDenied, "denied by test"),
               {},
               {},
               false});
  s->add_hook(rec);
  s->add_hook(faults);
  ASSERT_TRUE(s->ec2().describe_instances({}));
  const std::size_t before = server.request_count();
  auto t = s->ec2().terminate_instances({"i-1"});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message(), "denied by test");
  EXPECT_EQ(server.request_count(), before) << "a vetoed call never reaches AWS";
  const auto calls = rec->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].operation, "DescribeInstances");
  EXPECT_FALSE(calls[0].mutating);
  EXPECT_EQ(calls[1].operation, "TerminateInstances");
  EXPECT_TRUE(calls[1].mutating);
  EXPECT_FALSE(calls[1].ok);
  EXPECT_EQ(calls[0].account, "123456789012");
}

TEST_F(ClientTest, run_instances_keeps_one_client_token_across_retries) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int i) {
    if (i == 0) return xml("<x/>", 503);
    return xml(
        "<RunInstancesResponse><instancesSet><item><instanceId>i-new</instanceId></item></"
        "instancesSet></RunInstancesResponse>");
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  RunInstancesRequest req;
  req.image_id = "ami-1";
  auto r = s->ec2().run_instances(req);
  ASSERT_TRUE(r) << r.error().describe();
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  auto token = [](const std::string& body) {
    const auto p = body.find("ClientToken=");
    return body.substr(p, body.find('&', p) - p);
  };
  EXPECT_EQ(token(reqs[1].body), token(reqs[2].body));
  EXPECT_NE(token(reqs[1].body).find("firebreak-"), std::string::npos);
}

TEST_F(ClientTest, connections_are_reused_and_requests_carry_user_agent_and_signature) {
  TestHttpServer server(
      with_identity([](const RecordedRequest&, int) { return xml(instances_page("i-1", "")); }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->ec2().describe_instances({}));
  EXPECT_EQ(server.connections(), 1);
  const auto reqs = server.requests();
  EXPECT_TRUE(reqs.back().header("User-Agent").starts_with("firebreak/"));
  EXPECT_TRUE(
      reqs.back()
          .header("Authorization")
          .starts_with("AWS4-HMAC-SHA256 "
                       "Credential=AKIAUNITTEST00000001/20260101/us-east-1/ec2/aws4_request"));
  EXPECT_EQ(reqs.back().header("X-Amz-Date"), "20260101T000000Z");
  for (const auto& r : reqs) {
    for (const auto& [k, v] : r.headers) EXPECT_EQ(v.find(kSecret), std::string::npos);
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  }
}

TEST_F(ClientTest, describe_instances_follows_next_token) {
  TestHttpServer server(with_identity([](const RecordedRequest& r, int) {
    if (r.body.find("NextToken=page3") != std::string::npos) return xml(instances_page("i-3", ""));
    if (r.body.find("NextToken=page2") != std::string::npos)
      return xml(instances_page("i-2", "page3"));
    return xml(instances_page("i-1", "page2"));
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto r = s->ec2().describe_instances({});
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[2].instance_id, "i-3");
  EXPECT_EQ(find_tag((*r)[0].tags, "Name").value_or(""), "web");
}

TEST_F(ClientTest, recorded_ssm_describe_instance_information_with_pages) {
  TestHttpServer server(with_identity([](const RecordedRequest& r, int) {
    if (r.header("X-Amz-Target") != "AmazonSSM.DescribeInstanceInformation") return json("{}", 400);
    if (r.body.find("\"NextToken\":\"t2\"") != std::string::npos)
      return json(
          R"({"InstanceInformationList":[{"InstanceId":"i-2","PingStatus":"ConnectionLost","PlatformType":"Windows"}]})");
    return json(
        R"({"InstanceInformationList":[{"InstanceId":"i-1","PingStatus":"Online","PlatformType":"Linux","PlatformName":"Amazon Linux","AgentVersion":"3.2.1","LastPingDateTime":1.7e9}],"NextToken":"t2"})");
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto r = s->ssm().describe_instance_information({"i-1", "i-2"});
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].ping_status, "Online");
  EXPECT_EQ((*r)[0].agent_version, "3.2.1");
  ASSERT_TRUE((*r)[0].last_ping.has_value());
  EXPECT_EQ(to_unix_seconds(*(*r)[0].last_ping), 1700000000);
  EXPECT_EQ((*r)[1].platform_type, "Windows");
  const auto reqs = server.requests();
  EXPECT_NE(reqs[1].body.find(R"("Key":"InstanceIds")"), std::string::npos) << reqs[1].body;
  EXPECT_EQ(reqs[1].header("Content-Type"), "application/x-amz-json-1.1");
}

TEST_F(ClientTest, recorded_cloudtrail_lookup_events_pages_and_stops_at_max) {
  TestHttpServer server(with_identity([](const RecordedRequest& r, int) {
    std::string events;
    const bool second = r.body.find("\"NextToken\":\"n2\"") != std::string::npos;
    for (int i = 0; i < 50; ++i) {
      if (!events.empty()) events += ",";
      events += fmt::format(
          R"({{"EventId":"e{}-{}","EventName":"RunInstances","ReadOnly":"false","AccessKeyId":"AKIA1","EventTime":1.7e9,"EventSource":"ec2.amazonaws.com","Username":"alice","CloudTrailEvent":"{{\"eventVersion\":\"1.08\"}}"}})",
          second ? 2 : 1, i);
    }
    return json(
        fmt::format(R"({{"Events":[{}]{}}})", events, second ? "" : R"(,"NextToken":"n2")"));
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto r =
      s->cloudtrail().lookup_events({{{"AccessKeyId", "AKIA1"}}, std::nullopt, std::nullopt, 75});
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 75u);
  EXPECT_EQ((*r)[0].event_name, "RunInstances");
  EXPECT_FALSE((*r)[0].read_only);
  EXPECT_EQ((*r)[0].cloudtrail_event, R"({"eventVersion":"1.08"})");
  EXPECT_EQ((*r)[74].event_id, "e2-24");
}

TEST_F(ClientTest, recorded_guardduty_findings) {
  TestHttpServer server(with_identity([](const RecordedRequest& r, int) {
    if (r.target == "/detector/d1/findings") {
      if (r.body.find("\"nextToken\":\"x\"") != std::string::npos)
        return Reply{200, {{"Content-Type", "application/json"}}, R"({"findingIds":["f3"]})"};
      return Reply{200,
                   {{"Content-Type", "application/json"}},
                   R"({"findingIds":["f1","f2"],"nextToken":"x"})"};
    }
    if (r.target == "/detector/d1/findings/get")
      return Reply{
          200,
          {{"Content-Type", "application/json"}},
          R"({"findings":[{"id":"f1","type":"CryptoCurrency:EC2/BitcoinTool.B!DNS","severity":8,"resource":{"instanceDetails":{"instanceId":"i-1"}}},{"id":"f2"},{"id":"f3"}]})"};
    return Reply{404, {{"x-amzn-ErrorType", "NotFoundException"}}, R"({"message":"nope"})"};
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto ids = s->guardduty().list_findings("d1", Json{{"criterion", {{"severity", {{"gte", 7}}}}}});
  ASSERT_TRUE(ids) << ids.error().describe();
  EXPECT_EQ(*ids, (std::vector<std::string>{"f1", "f2", "f3"}));
  auto f = s->guardduty().get_findings("d1", *ids);
  ASSERT_TRUE(f) << f.error().describe();
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[0]["resource"]["instanceDetails"]["instanceId"], "i-1");
  auto missing = s->guardduty().list_findings("d2");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().context().aws_code, "NotFoundException");
}

TEST_F(ClientTest, recorded_s3_retention_legal_hold_and_policy_status) {
  TestHttpServer server(with_identity([](const RecordedRequest& r, int) {
    if (r.target.find("retention") != std::string::npos)
      return xml(
          "<Retention "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</"
          "Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>");
    if (r.target.find("legal-hold") != std::string::npos)
      return xml("<LegalHold><Status>ON</Status></LegalHold>");
    if (r.target.find("policyStatus") != std::string::npos)
      return xml("<PolicyStatus><IsPublic>true</IsPublic></PolicyStatus>");
    return xml("<Error><Code>NoSuchKey</Code></Error>", 404);
  }));
  auto s = connect(server);
  ASSERT_TRUE(s);
  auto ret = s->s3().get_object_retention("b", "k", "v1");
  ASSERT_TRUE(ret) << ret.error().describe();
  EXPECT_EQ(ret->mode, "COMPLIANCE");
  ASSERT_TRUE(ret->retain_until.has_value());
  EXPECT_EQ(format_iso8601(*ret->retain_until), "2030-01-01T00:00:00Z");
  EXPECT_TRUE(ret->legal_hold);
  auto pub = s->s3().get_bucket_policy_status("b");
  ASSERT_TRUE(pub) << pub.error().describe();
  EXPECT_TRUE(*pub);
  // Path-style addressing on a custom endpoint.
  const auto reqs = server.requests();
  EXPECT_TRUE(reqs[1].target.starts_with("/b/k?")) << reqs[1].target;
  EXPECT_FALSE(reqs[1].header("x-amz-content-sha256").empty());
}

TEST_F(ClientTest, s3_200_with_error_body_is_an_error) {
  TestHttpServer server(with_identity([](const RecordedRequest&, int) {
    return xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We "
        "encountered an internal error.</Message><RequestId>R1</RequestId></Error>");
  }));
  auto s = connect(server, [](AwsProviderConfig& c) { c.retry.max_attempts = 1; });
  ASSERT_TRUE(s);
  auto r = s->s3().put_bucket_versioning("b", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().aws_code, "InternalError");
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().context().http_status, 200);
}

TEST_F(ClientTest, bad_answers_are_errors_never_crashes) {
  struct Case {
    std::string name;
    Reply reply;
    ErrorCode expect;
  };
  std::vector<Case> cases = {
      {"malformed xml", xml("<DescribeInstancesResponse><reservationSet>"), ErrorCode::kParse},
      {"html page",
       Reply{200, {{"Content-Type", "text/html"}}, "<!doctype html><html><body>proxy</body>"},
       ErrorCode::kParse},
      {"non-utf8",
       xml("<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>"
           "\xff\xfe\xc3</instanceId></item></instancesSet></item></reservationSet></"
           "DescribeInstancesResponse>"),
       ErrorCode::kInternal},
      {"empty 200", xml(""), ErrorCode::kParse},
      {"deep nesting", xml(std::string(10000, '<')), ErrorCode::kParse},
      {"huge body", xml(std::string(3u << 20, 'x')), ErrorCode::kLimitExceeded},
  };
  std::string nested;
  for (int i = 0; i < 500; ++i) nested += "<a>";
  for (int i = 0; i < 500; ++i) nested += "</a>";
  cases.push_back({"too deep", xml(nested), ErrorCode::kLimitExceeded});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TestHttpServer server(with_identity([&](const RecordedRequest&, int) { return c.reply; }));
    auto s = connect(server, [](AwsProviderConfig& cfg) {
      cfg.retry.max_attempts = 1;
      cfg.max_response_bytes = 1u << 20;
    });
    ASSERT_TRUE(s);
    auto r = s->ec2().describe_instances({});
    if (c.expect == ErrorCode::kInternal) {
      // Non-UTF-8 bytes inside XML text are carried as they are (pugixml does not validate).
      ASSERT_TRUE(r) << r.error().describe();
      continue;
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), c.expect) << r.error().describe();
  }
  // JSON protocols: malformed, wrong type, non-UTF-8.
  for (const std::string& body : {std::string("{\"InstanceInformationList\":["),
                                  std::string("[1,2]"), std::string("{\"a\":\"\xff\"}")}) {
    TestHttpServer server(with_identity([&](const RecordedRequest&, int) { return json(body); }));
    auto s = connect(server, [](AwsProviderConfig& cfg) { cfg.retry.max_attempts = 1; });
    ASSERT_TRUE(s);
    auto r = s->ssm().describe_instance_information({});
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kParse) << r.error().describe();
  }
}

TEST(AwsErrors, decode_error_for_every_protocol) {
  using detail::decode_error;
  using detail::Protocol;
  HttpResponse q{
      400,
      {},
      "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with "
      "name x cannot be found.</Message></Error><RequestId>iam-1</RequestId></ErrorResponse>"};
  Error e = decode_error(Protocol::kQuery, "iam", "GetUser", q);
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.context().aws_code, "NoSuchEntity");
  EXPECT_EQ(e.context().request_id, "iam-1");
  EXPECT_EQ(e.context().where, "iam:GetUser");

  HttpResponse j{400,
                 {{"x-amzn-RequestId", "j-1"}},
                 R"({"__type":"com.amazonaws.ssm#InvocationDoesNotExist","message":"no"})"};
  e = decode_error(Protocol::kJson, "ssm", "GetCommandInvocation", j);
  EXPECT_EQ(e.context().aws_code, "InvocationDoesNotExist");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.context().request_id, "j-1");

  HttpResponse sqs{400,
                   {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}},
                   R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"x"})"};
  e = decode_error(Protocol::kJson, "sqs", "GetQueueUrl", sqs);
  EXPECT_EQ(e.context().aws_code, "AWS.SimpleQueueService.NonExistentQueue");

  HttpResponse rj{403,
                  {{"x-amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/coral/"}},
                  R"({"Message":"denied"})"};
  e = decode_error(Protocol::kRestJson, "securityhub", "GetFindings", rj);
  EXPECT_EQ(e.context().aws_code, "AccessDeniedException");
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);

  HttpResponse head404{404, {{"x-amz-request-id", "s3-1"}}, ""};
  e = decode_error(Protocol::kRestXml, "s3", "HeadObject", head404);
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.context().request_id, "s3-1");

  HttpResponse garbage{502, {}, "\x01\x02 not xml"};
  e = decode_error(Protocol::kEc2, "ec2", "DescribeInstances", garbage);
  EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(e.context().http_status, 502);
}

TEST(AwsErrors, map_error_code_covers_the_aws_codes_playbooks_branch_on) {
  using detail::map_error_code;
  EXPECT_EQ(map_error_code("RequestLimitExceeded", 503), ErrorCode::kThrottled);
  EXPECT_EQ(map_error_code("Throttling", 400), ErrorCode::kThrottled);
  EXPECT_EQ(map_error_code("SlowDown", 503), ErrorCode::kThrottled);
  EXPECT_EQ(map_error_code("AccessDenied", 403), ErrorCode::kPermissionDenied);
  EXPECT_EQ(map_error_code("UnauthorizedOperation", 403), ErrorCode::kPermissionDenied);
  EXPECT_EQ(map_error_code("InvalidInstanceID.NotFound", 400), ErrorCode::kNotFound);
  EXPECT_EQ(map_error_code("InvalidGroup.NotFound", 400), ErrorCode::kNotFound);
  EXPECT_EQ(map_error_code("OperationNotPermitted", 400), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(map_error_code("IncorrectInstanceState", 400), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(map_error_code("DependencyViolation", 400), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(map_error_code("EntityAlreadyExists", 409), ErrorCode::kAlreadyExists);
  EXPECT_EQ(map_error_code("InvalidGroup.Duplicate", 400), ErrorCode::kAlreadyExists);
  EXPECT_EQ(map_error_code("InvalidParameterValue", 400), ErrorCode::kInvalidArgument);
  EXPECT_EQ(map_error_code("ValidationError", 400), ErrorCode::kInvalidArgument);
  EXPECT_EQ(map_error_code("InternalError", 500), ErrorCode::kUnavailable);
  EXPECT_EQ(map_error_code("SomethingNew", 400), ErrorCode::kAws);
  EXPECT_EQ(map_error_code("", 429), ErrorCode::kThrottled);
  EXPECT_EQ(map_error_code("", 503), ErrorCode::kUnavailable);
}

TEST(AwsRetry, backoff_is_full_jitter_under_a_capped_exponential) {
  RetryPolicy p;
  p.base_delay = std::chrono::milliseconds(100);
  p.max_delay = std::chrono::seconds(2);
  IdGenerator rng(1);
  const Error e(ErrorCode::kUnavailable, "x");
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const auto cap = std::min<Duration>(p.max_delay, p.base_delay * (1 << (attempt - 1)));
    Duration max_seen{};
    for (int i = 0; i < 200; ++i) {
      const Duration d = backoff_delay(p, attempt, e, rng);
      EXPECT_GE(d, Duration::zero());
      EXPECT_LE(d, cap);
      max_seen = std::max(max_seen, d);
    }
    EXPECT_GT(max_seen, cap / 2) << "jitter spans the range";
  }
}
