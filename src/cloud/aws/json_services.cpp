// Services speaking JSON: SSM and CloudTrail (JSON 1.1), SQS and DynamoDB (JSON 1.0), GuardDuty
// and Security Hub (REST-JSON).
#include <fmt/format.h>

#include "services.h"

namespace firebreak::cloud::aws::detail {

namespace {

Json epoch(TimePoint t) { return static_cast<double>(to_unix_millis(t)) / 1000.0; }

std::vector<std::string> string_list(const Json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// Follows a JSON NextToken until `each` returns false or the token runs out.
template <class F>
Status paginate_json(Client& c, const ServiceSpec& s, std::string_view op, Json body, F&& each,
                     const char* token_key = "NextToken") {
  for (int page = 0; page < kMaxPages; ++page) {
    FIREBREAK_TRY(Json r, c.json(s, op, body));
    if (!each(r)) return {};
    const std::string token = js(r, token_key);
    if (token.empty()) return {};
    body[token_key] = token;
  }
  return fail(ErrorCode::kLimitExceeded,
              fmt::format("{} {}: more than {} pages", s.signing_name, op, kMaxPages));
}

Command to_command(const Json& cmd) {
  return Command{js(cmd, "CommandId"),
                 js(cmd, "DocumentName"),
                 js(cmd, "Comment"),
                 js(cmd, "Status"),
                 string_list(jget(cmd, "InstanceIds")),
                 jtime(cmd, "RequestedDateTime").value_or(TimePoint{})};
}

class AwsSsm final : public Ssm {
 public:
  explicit AwsSsm(Client& c) : c_(c) {}

  Result<std::vector<ManagedInstance>> describe_instance_information(
      const std::vector<std::string>& ids) override {
    return c_.run(spec::kSsm, "DescribeInstanceInformation",
                  [&]() -> Result<std::vector<ManagedInstance>> {
                    Json body = Json::object();
                    if (!ids.empty())
                      body["Filters"] = Json::array({{{"Key", "InstanceIds"}, {"Values", ids}}});
                    std::vector<ManagedInstance> out;
                    FIREBREAK_TRY_STATUS(paginate_json(
                        c_, spec::kSsm, "DescribeInstanceInformation", body, [&](const Json& r) {
                          for (const auto& i : jget(r, "InstanceInformationList")) {
                            out.push_back({js(i, "InstanceId"), js(i, "PingStatus"),
                                           js(i, "PlatformType"), js(i, "PlatformName"),
                                           js(i, "AgentVersion"), jtime(i, "LastPingDateTime")});
                          }
                          return true;
                        }));
                    return out;
                  });
  }

  Result<Command> send_command(const SendCommandRequest& req) override {
    return c_.run(spec::kSsm, "SendCommand", [&]() -> Result<Command> {
      Json body{{"DocumentName", req.document_name},
                {"InstanceIds", req.instance_ids},
                {"TimeoutSeconds", req.timeout_seconds}};
      if (!req.parameters.empty()) body["Parameters"] = req.parameters;
      if (!req.comment.empty()) body["Comment"] = req.comment;
      if (!req.output_s3_bucket.empty()) body["OutputS3BucketName"] = req.output_s3_bucket;
      if (!req.output_s3_key_prefix.empty()) body["OutputS3KeyPrefix"] = req.output_s3_key_prefix;
      FIREBREAK_TRY(Json r, c_.json(spec::kSsm, "SendCommand", body));
      Command out = to_command(jget(r, "Command"));
      if (out.command_id.empty())
        return fail(ErrorCode::kParse, "ssm SendCommand: no CommandId in the answer");
      return out;
    });
  }

  Result<std::vector<Command>> list_commands(const std::string& instance_id) override {
    return c_.run(spec::kSsm, "ListCommands", [&]() -> Result<std::vector<Command>> {
      std::vector<Command> out;
      FIREBREAK_TRY_STATUS(paginate_json(c_, spec::kSsm, "ListCommands",
                                         Json{{"InstanceId", instance_id}}, [&](const Json& r) {
                                           for (const auto& cmd : jget(r, "Commands"))
                                             out.push_back(to_command(cmd));
                                           return true;
                                         }));
      return out;
    });
  }

  Result<CommandInvocation> get_command_invocation(const std::string& command_id,
                                                   const std::string& instance_id) override {
    return c_.run(spec::kSsm, "GetCommandInvocation", [&]() -> Result<CommandInvocation> {
      FIREBREAK_TRY(Json r, c_.json(spec::kSsm, "GetCommandInvocation",
                                    Json{{"CommandId", command_id}, {"InstanceId", instance_id}}));
      CommandInvocation inv;
      inv.command_id = js(r, "CommandId");
      inv.instance_id = js(r, "InstanceId");
      inv.status = js(r, "Status");
      inv.response_code = static_cast<int>(ji(r, "ResponseCode", -1));
      inv.standard_output = js(r, "StandardOutputContent");
      inv.standard_error = js(r, "StandardErrorContent");
      inv.execution_start = jtime(r, "ExecutionStartDateTime");
      inv.execution_end = jtime(r, "ExecutionEndDateTime");
      return inv;
    });
  }

 private:
  Client& c_;
};

class AwsCloudTrail final : public CloudTrail {
 public:
  explicit AwsCloudTrail(Client& c) : c_(c) {}

  Result<std::vector<Trail>> describe_trails(const std::vector<std::string>& names) override {
    return c_.run(spec::kCloudTrail, "DescribeTrails", [&]() -> Result<std::vector<Trail>> {
      Json body = Json::object();
      if (!names.empty()) body["trailNameList"] = names;
      FIREBREAK_TRY(Json r, c_.json(spec::kCloudTrail, "DescribeTrails", body));
      std::vector<Trail> out;
      for (const auto& t : jget(r, "trailList")) {
        Trail tr;
        tr.name = js(t, "Name");
        tr.trail_arn = js(t, "TrailARN");
        tr.home_region = js(t, "HomeRegion");
        tr.s3_bucket_name = js(t, "S3BucketName");
        tr.s3_key_prefix = js(t, "S3KeyPrefix");
        tr.is_multi_region = jb(t, "IsMultiRegionTrail");
        tr.is_organization_trail = jb(t, "IsOrganizationTrail");
        tr.log_file_validation_enabled = jb(t, "LogFileValidationEnabled");
        tr.include_global_service_events = jb(t, "IncludeGlobalServiceEvents", true);
        out.push_back(std::move(tr));
      }
      return out;
    });
  }

  Result<TrailStatus> get_trail_status(const std::string& name) override {
    return c_.run(spec::kCloudTrail, "GetTrailStatus", [&]() -> Result<TrailStatus> {
      FIREBREAK_TRY(Json r, c_.json(spec::kCloudTrail, "GetTrailStatus", Json{{"Name", name}}));
      return TrailStatus{jb(r, "IsLogging"), jtime(r, "LatestDeliveryTime"),
                         jtime(r, "StartLoggingTime"), jtime(r, "StopLoggingTime"),
                         js(r, "LatestDeliveryError")};
    });
  }

  Status simple(std::string_view op, Json body) {
    return c_.run(spec::kCloudTrail, op, [&]() -> Status {
      FIREBREAK_TRY(Json r, c_.json(spec::kCloudTrail, op, body));
      (void)r;
      return {};
    });
  }
  Status start_logging(const std::string& name) override {
    return simple("StartLogging", Json{{"Name", name}});
  }
  Status stop_logging(const std::string& name) override {
    return simple("StopLogging", Json{{"Name", name}});
  }
  Status delete_trail(const std::string& name) override {
    return simple("DeleteTrail", Json{{"Name", name}});
  }

  Result<Json> get_event_selectors(const std::string& trail) override {
    return c_.run(spec::kCloudTrail, "GetEventSelectors", [&]() -> Result<Json> {
      FIREBREAK_TRY(Json r,
                    c_.json(spec::kCloudTrail, "GetEventSelectors", Json{{"TrailName", trail}}));
      Json out = Json::object();
      if (r.contains("AdvancedEventSelectors") && !r["AdvancedEventSelectors"].empty())
        out["AdvancedEventSelectors"] = r["AdvancedEventSelectors"];
      else
        out["EventSelectors"] = r.contains("EventSelectors") ? r["EventSelectors"] : Json::array();
      return out;
    });
  }

  Status put_event_selectors(const std::string& trail, const Json& selectors) override {
    if (!selectors.is_object())
      return fail(ErrorCode::kInvalidArgument,
                  "put_event_selectors: selectors must be a JSON object");
    Json body = selectors;
    body["TrailName"] = trail;
    return simple("PutEventSelectors", body);
  }

  Result<std::vector<LookedUpEvent>> lookup_events(const LookupEventsRequest& req) override {
    return c_.run(spec::kCloudTrail, "LookupEvents", [&]() -> Result<std::vector<LookedUpEvent>> {
      Json body = Json::object();
      if (!req.attributes.empty()) {
        Json attrs = Json::array();
        for (const auto& a : req.attributes)
          attrs.push_back({{"AttributeKey", a.key}, {"AttributeValue", a.value}});
        body["LookupAttributes"] = attrs;
      }
      if (req.start_time) body["StartTime"] = epoch(*req.start_time);
      if (req.end_time) body["EndTime"] = epoch(*req.end_time);
      body["MaxResults"] = 50;
      std::vector<LookedUpEvent> out;
      FIREBREAK_TRY_STATUS(
          paginate_json(c_, spec::kCloudTrail, "LookupEvents", body, [&](const Json& r) {
            for (const auto& e : jget(r, "Events")) {
              if (out.size() >= req.max_events) return false;
              LookedUpEvent ev;
              ev.event_id = js(e, "EventId");
              ev.event_name = js(e, "EventName");
              ev.event_source = js(e, "EventSource");
              ev.username = js(e, "Username");
              ev.access_key_id = js(e, "AccessKeyId");
              ev.event_time = jtime(e, "EventTime").value_or(TimePoint{});
              ev.read_only = js(e, "ReadOnly") == "true";
              ev.cloudtrail_event = js(e, "CloudTrailEvent");
              out.push_back(std::move(ev));
            }
            return out.size() < req.max_events;
          }));
      return out;
    });
  }

 private:
  Client& c_;
};

class AwsGuardDuty final : public GuardDuty {
 public:
  explicit AwsGuardDuty(Client& c) : c_(c) {}

  Result<std::vector<std::string>> list_detectors() override {
    return c_.run(spec::kGuardDuty, "ListDetectors", [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      std::string token;
      for (int page = 0; page < kMaxPages; ++page) {
        QueryList q{{"maxResults", "50"}};
        if (!token.empty()) q.emplace_back("nextToken", token);
        FIREBREAK_TRY(Json r, c_.rest_json(spec::kGuardDuty, "ListDetectors", "GET", "/detector", q,
                                           nullptr));
        for (auto& id : string_list(jget(r, "detectorIds"))) out.push_back(id);
        token = js(r, "nextToken");
        if (token.empty()) return out;
      }
      return fail(ErrorCode::kLimitExceeded, "guardduty ListDetectors: too many pages");
    });
  }

  Result<std::string> create_detector(bool enable) override {
    return c_.run(spec::kGuardDuty, "CreateDetector", [&]() -> Result<std::string> {
      const Json body{{"enable", enable}, {"clientToken", c_.shared().client_token()}};
      FIREBREAK_TRY(
          Json r, c_.rest_json(spec::kGuardDuty, "CreateDetector", "POST", "/detector", {}, &body));
      std::string id = js(r, "detectorId");
      if (id.empty())
        return fail(ErrorCode::kParse, "guardduty CreateDetector: no detectorId in the answer");
      return id;
    });
  }

  Status update_detector(const std::string& id, bool enable) override {
    return c_.run(spec::kGuardDuty, "UpdateDetector", [&]() -> Status {
      const Json body{{"enable", enable}};
      FIREBREAK_TRY(Json r, c_.rest_json(spec::kGuardDuty, "UpdateDetector", "POST",
                                         "/detector/" + uri_encode(id), {}, &body));
      (void)r;
      return {};
    });
  }

  Status delete_detector(const std::string& id) override {
    return c_.run(spec::kGuardDuty, "DeleteDetector", [&]() -> Status {
      FIREBREAK_TRY(Json r, c_.rest_json(spec::kGuardDuty, "DeleteDetector", "DELETE",
                                         "/detector/" + uri_encode(id), {}, nullptr));
      (void)r;
      return {};
    });
  }

  Result<std::vector<std::string>> list_findings(const std::string& id,
                                                 const Json& criteria) override {
    return c_.run(spec::kGuardDuty, "ListFindings", [&]() -> Result<std::vector<std::string>> {
      Json body{{"maxResults", 50}};
      if (!criteria.is_null()) body["findingCriteria"] = criteria;
      std::vector<std::string> out;
      for (int page = 0; page < kMaxPages; ++page) {
        FIREBREAK_TRY(Json r, c_.rest_json(spec::kGuardDuty, "ListFindings", "POST",
                                           "/detector/" + uri_encode(id) + "/findings", {}, &body));
        for (auto& f : string_list(jget(r, "findingIds"))) out.push_back(f);
        const std::string token = js(r, "nextToken");
        if (token.empty()) return out;
        body["nextToken"] = token;
      }
      return fail(ErrorCode::kLimitExceeded, "guardduty ListFindings: too many pages");
    });
  }

  Result<std::vector<Json>> get_findings(const std::string& id,
                                         const std::vector<std::string>& ids) override {
    return c_.run(spec::kGuardDuty, "GetFindings", [&]() -> Result<std::vector<Json>> {
      std::vector<Json> out;
      // GetFindings takes at most 50 ids per call.
      for (std::size_t i = 0; i < ids.size(); i += 50) {
        const std::vector<std::string> chunk(
            ids.begin() + static_cast<std::ptrdiff_t>(i),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + 50)));
        const Json body{{"findingIds", chunk}};
        FIREBREAK_TRY(Json r,
                      c_.rest_json(spec::kGuardDuty, "GetFindings", "POST",
                                   "/detector/" + uri_encode(id) + "/findings/get", {}, &body));
        for (const auto& f : jget(r, "findings")) out.push_back(f);
      }
      return out;
    });
  }

 private:
  Client& c_;
};

class AwsSecurityHub final : public SecurityHub {
 public:
  explicit AwsSecurityHub(Client& c) : c_(c) {}
  Result<std::vector<Json>> get_findings(const Json& filters, std::size_t max_findings) override {
    return c_.run(spec::kSecurityHub, "GetFindings", [&]() -> Result<std::vector<Json>> {
      Json body{{"MaxResults", 100}};
      if (!filters.is_null()) body["Filters"] = filters;
      std::vector<Json> out;
      for (int page = 0; page < kMaxPages; ++page) {
        FIREBREAK_TRY(Json r, c_.rest_json(spec::kSecurityHub, "GetFindings", "POST", "/findings",
                                           {}, &body));
        for (const auto& f : jget(r, "Findings")) {
          if (out.size() >= max_findings) return out;
          out.push_back(f);
        }
        const std::string token = js(r, "NextToken");
        if (token.empty() || out.size() >= max_findings) return out;
        body["NextToken"] = token;
      }
      return fail(ErrorCode::kLimitExceeded, "securityhub GetFindings: too many pages");
    });
  }

 private:
  Client& c_;
};

class AwsSqs final : public Sqs {
 public:
  explicit AwsSqs(Client& c) : c_(c) {}

  Result<std::string> url_call(std::string_view op, const std::string& name) {
    return c_.run(spec::kSqs, op, [&]() -> Result<std::string> {
      FIREBREAK_TRY(Json r, c_.json(spec::kSqs, op, Json{{"QueueName", name}}));
      std::string url = js(r, "QueueUrl");
      if (url.empty())
        return fail(ErrorCode::kParse, fmt::format("sqs {}: no QueueUrl in the answer", op));
      return url;
    });
  }
  Result<std::string> create_queue(const std::string& name) override {
    return url_call("CreateQueue", name);
  }
  Result<std::string> get_queue_url(const std::string& name) override {
    return url_call("GetQueueUrl", name);
  }

  Result<std::string> send_message(const std::string& url, const std::string& body) override {
    return c_.run(spec::kSqs, "SendMessage", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Json r, c_.json(spec::kSqs, "SendMessage",
                                    Json{{"QueueUrl", url}, {"MessageBody", body}}));
      return js(r, "MessageId");
    });
  }

  Result<std::vector<SqsMessage>> receive_message(const std::string& url, int max_messages,
                                                  int wait_seconds,
                                                  int visibility_timeout) override {
    return c_.run(spec::kSqs, "ReceiveMessage", [&]() -> Result<std::vector<SqsMessage>> {
      Json body{{"QueueUrl", url},
                {"MaxNumberOfMessages", std::clamp(max_messages, 1, 10)},
                {"WaitTimeSeconds", std::clamp(wait_seconds, 0, 20)},
                {"MessageSystemAttributeNames", Json::array({"ApproximateReceiveCount"})},
                {"AttributeNames", Json::array({"ApproximateReceiveCount"})}};
      if (visibility_timeout >= 0) body["VisibilityTimeout"] = visibility_timeout;
      FIREBREAK_TRY(Json r, c_.json(spec::kSqs, "ReceiveMessage", body));
      std::vector<SqsMessage> out;
      for (const auto& m : jget(r, "Messages")) {
        out.push_back({js(m, "MessageId"), js(m, "ReceiptHandle"), js(m, "Body"),
                       js(m, "MD5OfBody"),
                       static_cast<int>(ji(jget(m, "Attributes"), "ApproximateReceiveCount"))});
      }
      return out;
    });
  }

  Status delete_message(const std::string& url, const std::string& handle) override {
    return c_.run(spec::kSqs, "DeleteMessage", [&]() -> Status {
      FIREBREAK_TRY(Json r, c_.json(spec::kSqs, "DeleteMessage",
                                    Json{{"QueueUrl", url}, {"ReceiptHandle", handle}}));
      (void)r;
      return {};
    });
  }

  Status change_message_visibility(const std::string& url, const std::string& handle,
                                   int timeout) override {
    return c_.run(spec::kSqs, "ChangeMessageVisibility", [&]() -> Status {
      FIREBREAK_TRY(Json r, c_.json(spec::kSqs, "ChangeMessageVisibility",
                                    Json{{"QueueUrl", url},
                                         {"ReceiptHandle", handle},
                                         {"VisibilityTimeout", timeout}}));
      (void)r;
      return {};
    });
  }

 private:
  Client& c_;
};

class AwsDynamoDb final : public DynamoDb {
 public:
  explicit AwsDynamoDb(Client& c) : c_(c) {}
  Status put_item(const std::string& table, const Json& item) override {
    return c_.run(spec::kDynamoDb, "PutItem", [&]() -> Status {
      FIREBREAK_TRY(
          Json r, c_.json(spec::kDynamoDb, "PutItem", Json{{"TableName", table}, {"Item", item}}));
      (void)r;
      return {};
    });
  }
  Result<std::optional<Json>> get_item(const std::string& table, const Json& key,
                                       bool consistent) override {
    return c_.run(spec::kDynamoDb, "GetItem", [&]() -> Result<std::optional<Json>> {
      FIREBREAK_TRY(
          Json r,
          c_.json(spec::kDynamoDb, "GetItem",
                  Json{{"TableName", table}, {"Key", key}, {"ConsistentRead", consistent}}));
      const Json& item = jget(r, "Item");
      if (!item.is_object()) return std::optional<Json>();
      return std::optional<Json>(item);
    });
  }
  Status create_table(const std::string& table, const std::string& hash_key) override {
    return c_.run(spec::kDynamoDb, "CreateTable", [&]() -> Status {
      const Json body{
          {"TableName", table},
          {"AttributeDefinitions",
           Json::array({{{"AttributeName", hash_key}, {"AttributeType", "S"}}})},
          {"KeySchema", Json::array({{{"AttributeName", hash_key}, {"KeyType", "HASH"}}})},
          {"BillingMode", "PAY_PER_REQUEST"}};
      FIREBREAK_TRY(Json r, c_.json(spec::kDynamoDb, "CreateTable", body));
      (void)r;
      return {};
    });
  }

 private:
  Client& c_;
};

}  // namespace

std::unique_ptr<Ssm> make_ssm(Client& c) { return std::make_unique<AwsSsm>(c); }
std::unique_ptr<CloudTrail> make_cloudtrail(Client& c) {
  return std::make_unique<AwsCloudTrail>(c);
}
std::unique_ptr<GuardDuty> make_guardduty(Client& c) { return std::make_unique<AwsGuardDuty>(c); }
std::unique_ptr<SecurityHub> make_securityhub(Client& c) {
  return std::make_unique<AwsSecurityHub>(c);
}
std::unique_ptr<Sqs> make_sqs(Client& c) { return std::make_unique<AwsSqs>(c); }
std::unique_ptr<DynamoDb> make_dynamodb(Client& c) { return std::make_unique<AwsDynamoDb>(c); }

}  // namespace firebreak::cloud::aws::detail
