// Security Hub (ASFF views of the GuardDuty findings), SNS topics and SQS queues in the simulator.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "firebreak/core/hash.h"
#include "session.h"

namespace firebreak::cloud::sim {
std::string md5_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_md5(), nullptr);
  return to_hex(std::span<const std::uint8_t>(out, n));
}

namespace {

std::string asff_type(std::string_view gd_type) {
  // GuardDuty publishes its finding types under these ASFF namespaces.
  std::string t(gd_type);
  std::replace(t.begin(), t.end(), '/', '-');
  if (gd_type.starts_with("Backdoor") || gd_type.starts_with("CryptoCurrency"))
    return "TTPs/Command and Control/" + t;
  if (gd_type.starts_with("UnauthorizedAccess")) return "TTPs/Initial Access/" + t;
  if (gd_type.starts_with("Stealth")) return "TTPs/Defense Evasion/" + t;
  if (gd_type.starts_with("Recon")) return "TTPs/Discovery/" + t;
  if (gd_type.starts_with("PenTest")) return "TTPs/Discovery/" + t;
  return "Software and Configuration Checks/" + t;
}

Json to_asff(const Json& gd) {
  const double sev = gd.value("severity", 0.0);
  const std::string label = sev >= 7 ? "HIGH" : sev >= 4 ? "MEDIUM" : "LOW";
  const std::string region = gd.value("region", std::string());
  const std::string acct = gd.value("accountId", std::string());
  Json resources = Json::array();
  const auto& res = gd["resource"];
  const std::string rtype = res.value("resourceType", std::string());
  if (rtype == "Instance") {
    const auto id = res["instanceDetails"].value("instanceId", std::string());
    resources.push_back({{"Type", "AwsEc2Instance"},
                         {"Id", fmt::format("arn:aws:ec2:{}:{}:instance/{}", region, acct, id)},
                         {"Partition", "aws"},
                         {"Region", region}});
  } else if (rtype == "AccessKey") {
    resources.push_back({{"Type", "AwsIamAccessKey"},
                         {"Id", "AWS::IAM::AccessKey:" +
                                    res["accessKeyDetails"].value("accessKeyId", std::string())},
                         {"Partition", "aws"},
                         {"Region", region}});
  } else if (rtype == "S3Bucket") {
    resources.push_back({{"Type", "AwsS3Bucket"},
                         {"Id", res["s3BucketDetails"][0].value("arn", std::string())},
                         {"Partition", "aws"},
                         {"Region", region}});
  }
  return Json{{"SchemaVersion", "2018-10-08"},
              {"Id", gd.value("arn", std::string())},
              {"ProductArn", fmt::format("arn:aws:securityhub:{}::product/aws/guardduty", region)},
              {"ProductName", "GuardDuty"},
              {"CompanyName", "Amazon"},
              {"Region", region},
              {"GeneratorId", gd.value("arn", std::string())},
              {"AwsAccountId", acct},
              {"Types", Json::array({asff_type(gd.value("type", std::string()))})},
              {"FirstObservedAt", gd["service"].value("eventFirstSeen", std::string())},
              {"LastObservedAt", gd["service"].value("eventLastSeen", std::string())},
              {"CreatedAt", gd.value("createdAt", std::string())},
              {"UpdatedAt", gd.value("updatedAt", std::string())},
              {"Severity",
               {{"Product", sev}, {"Label", label}, {"Normalized", static_cast<int>(sev * 10)}}},
              {"Title", gd.value("title", std::string())},
              {"Description", gd.value("description", std::string())},
              {"ProductFields",
               {{"aws/guardduty/service/count", std::to_string(gd["service"].value("count", 1))},
                {"aws/securityhub/FindingId", gd.value("arn", std::string())}}},
              {"Resources", resources},
              {"WorkflowState", "NEW"},
              {"Workflow", {{"Status", "NEW"}}},
              {"RecordState", "ACTIVE"},
              {"FindingProviderFields",
               {{"Types", Json::array({asff_type(gd.value("type", std::string()))})},
                {"Severity", {{"Label", label}, {"Original", std::to_string(sev)}}}}}};
}

bool asff_filter(const Json& f, const Json& filters) {
  if (!filters.is_object()) return true;
  for (const auto& [field, list] : filters.items()) {
    if (!list.is_array()) continue;
    std::vector<std::string> values;
    if (field == "AwsAccountId")
      values.push_back(f.value("AwsAccountId", std::string()));
    else if (field == "Id")
      values.push_back(f.value("Id", std::string()));
    else if (field == "Type")
      values = f["Types"].get<std::vector<std::string>>();
    else if (field == "SeverityLabel")
      values.push_back(f["Severity"].value("Label", std::string()));
    else if (field == "RecordState")
      values.push_back(f.value("RecordState", std::string()));
    else if (field == "WorkflowStatus")
      values.push_back(f["Workflow"].value("Status", std::string()));
    else if (field == "ProductName")
      values.push_back(f.value("ProductName", std::string()));
    else if (field == "ResourceId")
      for (const auto& r : f["Resources"]) values.push_back(r.value("Id", std::string()));
    else if (field == "ResourceType")
      for (const auto& r : f["Resources"]) values.push_back(r.value("Type", std::string()));
    else
      continue;
    bool any = false;
    for (const auto& cond : list) {
      const std::string v = cond.value("Value", std::string());
      const std::string cmp = cond.value("Comparison", std::string("EQUALS"));
      bool hit = std::any_of(values.begin(), values.end(), [&](const std::string& x) {
        if (cmp == "PREFIX") return x.starts_with(v);
        if (cmp == "CONTAINS") return x.find(v) != std::string::npos;
        if (cmp == "NOT_EQUALS") return x != v;
        if (cmp == "PREFIX_NOT_EQUALS") return !x.starts_with(v);
        return x == v;
      });
      any = any || hit;
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<Json>> SimSecurityHub::get_findings(const Json& filters, std::size_t max) {
  SIM_OP("securityhub", "GetFindings");
  return s_.run<Result<std::vector<Json>>>(kOp, [&](Call& c) -> Result<std::vector<Json>> {
    auto w = c.params_writer();
    w.begin_object();
    if (!filters.is_null()) w.key("filters").raw(dump_json(filters));
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (!filters.is_null() && !filters.is_object())
      return c.invalid("InvalidInputException", "Filters must be an object.");
    std::vector<Json> out;
    for (const auto& d : c.s.detectors) {
      if (d.account != c.account() || d.region != c.session_region()) continue;
      for (const auto& f : d.findings) {
        if (f.json.is_null() || out.size() >= max) continue;
        Json a = to_asff(f.json);
        if (asff_filter(a, filters)) out.push_back(std::move(a));
      }
    }
    return out;
  });
}

// ---- SNS ----

Result<std::string> SimSns::create_topic(const std::string& name) {
  SIM_OP("sns", "CreateTopic");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("name", name).end_object();
    const std::string arn =
        fmt::format("arn:aws:sns:{}:{}:{}", c.session_region(), c.account_id(), name);
    FIREBREAK_TRY_STATUS(c.authorize(arn));
    if (name.empty() || name.size() > 256 || !std::all_of(name.begin(), name.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        }))
      return c.invalid("InvalidParameter", "Invalid parameter: Topic Name");
    auto it = std::find_if(c.s.topics.begin(), c.s.topics.end(),
                           [&](const TopicRec& t) { return t.arn == arn; });
    if (it == c.s.topics.end())
      c.s.topics.push_back(TopicRec{c.account(), c.session_region(), name, arn, {}});
    c.response = R"({"topicArn":")" + arn + "\"}";
    return arn;
  });
}

Result<std::string> SimSns::publish(const std::string& topic_arn, const std::string& subject,
                                    const std::string& message) {
  static const OpDesc& kOp = op_desc("sns", "Publish", true);
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("topicArn", topic_arn);
    if (!subject.empty()) w.field("subject", subject);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(topic_arn));
    auto it = std::find_if(c.s.topics.begin(), c.s.topics.end(),
                           [&](const TopicRec& t) { return t.arn == topic_arn; });
    if (it == c.s.topics.end()) return c.not_found("NotFound", "Topic does not exist");
    if (message.empty()) return c.invalid("InvalidParameter", "Invalid parameter: Empty message");
    if (message.size() > 256 * 1024)
      return c.invalid("InvalidParameter", "Invalid parameter: Message too long");
    it->messages.emplace_back(subject, message);
    const std::string id = c.s.uuid();
    c.response = R"({"messageId":")" + id + "\"}";
    return id;
  });
}

// ---- SQS ----

namespace {

QueueRec* find_queue(World::State& s, std::string_view url) {
  for (auto& q : s.queues)
    if (q.url == url) return &q;
  return nullptr;
}

std::string queue_url(std::string_view region, std::string_view account, std::string_view name) {
  return fmt::format("https://sqs.{}.amazonaws.com/{}/{}", region, account, name);
}

}  // namespace

Result<std::string> SimSqs::create_queue(const std::string& name) {
  SIM_OP("sqs", "CreateQueue");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("queueName", name).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(fmt::format("arn:aws:sqs:{}:{}:{}", c.session_region(), c.account_id(), name)));
    const bool fifo = name.ends_with(".fifo");
    const std::string_view base =
        fifo ? std::string_view(name).substr(0, name.size() - 5) : std::string_view(name);
    if (base.empty() || name.size() > 80 || !std::all_of(base.begin(), base.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        }))
      return c.invalid(
          "InvalidParameterValue",
          "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    const auto url = queue_url(c.session_region(), c.account_id(), name);
    if (!find_queue(c.s, url))
      c.s.queues.push_back(QueueRec{c.account(), c.session_region(), name, url, {}});
    c.response = R"({"queueUrl":")" + url + "\"}";
    return url;
  });
}

Result<std::string> SimSqs::get_queue_url(const std::string& name) {
  SIM_OP("sqs", "GetQueueUrl");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("queueName", name).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(fmt::format("arn:aws:sqs:{}:{}:{}", c.session_region(), c.account_id(), name)));
    const auto url = queue_url(c.session_region(), c.account_id(), name);
    if (!find_queue(c.s, url))
      return c.not_found("AWS.SimpleQueueService.NonExistentQueue",
                         "The specified queue does not exist.");
    return url;
  });
}

Result<std::string> SimSqs::send_message(const std::string& url, const std::string& body) {
  static const OpDesc& kOp = op_desc("sqs", "SendMessage", true);
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("queueUrl", url).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    auto* q = find_queue(c.s, url);
    if (q == nullptr || q->account != c.account())
      return c.not_found("AWS.SimpleQueueService.NonExistentQueue",
                         "The specified queue does not exist.");
    if (body.empty())
      return c.invalid("MissingParameter", "The request must contain the parameter MessageBody.");
    if (body.size() > 256 * 1024)
      return c.invalid(
          "InvalidParameterValue",
          "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.");
    QueueMsg m;
    m.id = c.s.uuid();
    m.body = body;
    m.md5 = md5_hex(body);
    m.visible_at = c.s.now();
    q->messages.push_back(m);
    return m.id;
  });
}

Result<std::vector<SqsMessage>> SimSqs::receive_message(const std::string& url, int max, int wait,
                                                        int visibility) {
  static const OpDesc& kOp = op_desc("sqs", "ReceiveMessage", true);
  return s_.run<Result<std::vector<SqsMessage>>>(
      kOp, [&](Call& c) -> Result<std::vector<SqsMessage>> {
        auto w = c.params_writer();
        w.begin_object()
            .field("queueUrl", url)
            .field("maxNumberOfMessages", max)
            .field("waitTimeSeconds", wait)
            .end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        auto* q = find_queue(c.s, url);
        if (q == nullptr || q->account != c.account())
          return c.not_found("AWS.SimpleQueueService.NonExistentQueue",
                             "The specified queue does not exist.");
        if (max < 1 || max > 10)
          return c.invalid(
              "InvalidParameterValue",
              fmt::format("Value {} for parameter MaxNumberOfMessages is invalid. Reason: "
                          "Must be between 1 and 10, if provided.",
                          max));
        if (wait < 0 || wait > 20)
          return c.invalid("InvalidParameterValue",
                           "Value for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 "
                           "and <= 20, if provided.");
        if (visibility < 0 || visibility > 43200)
          return c.invalid("InvalidParameterValue",
                           "Value for parameter VisibilityTimeout is invalid.");
        std::vector<SqsMessage> out;
        const auto now = c.s.now();
        for (auto& m : q->messages) {
          if (static_cast<int>(out.size()) >= max) break;
          if (m.deleted || m.visible_at > now) continue;
          m.visible_at = now + std::chrono::seconds(visibility);
          ++m.receives;
          m.receipt = base64_encode(fmt::format("{}:{}:{}", m.id, m.receives, c.s.events.hex(16)));
          out.push_back({m.id, m.receipt, m.body, m.md5, m.receives});
        }
        std::erase_if(q->messages, [](const QueueMsg& m) { return m.deleted; });
        return out;
      });
}

Status SimSqs::delete_message(const std::string& url, const std::string& receipt) {
  static const OpDesc& kOp = op_desc("sqs", "DeleteMessage", true);
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("queueUrl", url).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    auto* q = find_queue(c.s, url);
    if (q == nullptr || q->account != c.account())
      return c.not_found("AWS.SimpleQueueService.NonExistentQueue",
                         "The specified queue does not exist.");
    for (auto& m : q->messages) {
      if (!m.receipt.empty() && m.receipt == receipt) {
        m.deleted = true;
        return {};
      }
    }
    return c.invalid(
        "ReceiptHandleIsInvalid",
        fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", receipt));
  });
}

Status SimSqs::change_message_visibility(const std::string& url, const std::string& receipt,
                                         int visibility) {
  static const OpDesc& kOp = op_desc("sqs", "ChangeMessageVisibility", true);
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("queueUrl", url).field("visibilityTimeout", visibility).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    auto* q = find_queue(c.s, url);
    if (q == nullptr || q->account != c.account())
      return c.not_found("AWS.SimpleQueueService.NonExistentQueue",
                         "The specified queue does not exist.");
    if (visibility < 0 || visibility > 43200)
      return c.invalid("InvalidParameterValue",
                       "Value for parameter VisibilityTimeout is invalid.");
    for (auto& m : q->messages) {
      if (!m.deleted && !m.receipt.empty() && m.receipt == receipt) {
        m.visible_at = c.s.now() + std::chrono::seconds(visibility);
        return {};
      }
    }
    return c.invalid(
        "ReceiptHandleIsInvalid",
        fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", receipt));
  });
}

Status World::route_eventbridge_to_queue(const std::string& account, const std::string& region,
                                         const std::string& queue_name) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  const std::string reg = region.empty() ? s.accounts[*a].regions.front() : region;
  const auto url = queue_url(reg, account, queue_name);
  if (!find_queue(s, url)) s.queues.push_back(QueueRec{*a, reg, queue_name, url, {}});
  s.eventbridge_queues.emplace_back(*a, url);
  return {};
}

}  // namespace firebreak::cloud::sim
