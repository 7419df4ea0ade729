#pragma once
// Logging and detection services: CloudTrail (trails, event selectors, LookupEvents), GuardDuty,
// Security Hub findings, SNS notifications and SQS queues (event-driven ingestion).
// Findings and event selectors stay JSON (nlohmann) in the AWS API's own shape, because their
// consumers (the event reader, detection, evidence) want them verbatim.

#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud {

struct Trail {
  std::string name;
  std::string trail_arn;
  std::string home_region;
  std::string s3_bucket_name;
  std::string s3_key_prefix;
  bool is_multi_region = false;
  bool is_organization_trail = false;
  bool log_file_validation_enabled = false;
  bool include_global_service_events = true;
};

struct TrailStatus {
  bool is_logging = false;
  std::optional<TimePoint> latest_delivery_time;
  std::optional<TimePoint> start_logging_time;
  std::optional<TimePoint> stop_logging_time;
  std::string latest_delivery_error;
};

struct LookupAttribute {
  // "EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
  // "EventSource", "AccessKeyId"
  std::string key;
  std::string value;
};

struct LookupEventsRequest {
  std::vector<LookupAttribute> attributes;  // AWS accepts at most one
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> end_time;
  std::size_t max_events = 10000;  // stop paginating after this many
};

struct LookedUpEvent {
  std::string event_id;
  std::string event_name;
  std::string event_source;
  std::string username;
  std::string access_key_id;
  TimePoint event_time{};
  bool read_only = false;
  std::string cloudtrail_event;  // the full CloudTrail record, JSON text
};

class CloudTrail {
 public:
  virtual ~CloudTrail() = default;
  // All trails visible in the region when `names` is empty.
  [[nodiscard]] virtual Result<std::vector<Trail>> describe_trails(
      const std::vector<std::string>& names) = 0;
  [[nodiscard]] virtual Result<TrailStatus> get_trail_status(const std::string& name) = 0;
  [[nodiscard]] virtual Status start_logging(const std::string& name) = 0;
  [[nodiscard]] virtual Status stop_logging(const std::string& name) = 0;
  [[nodiscard]] virtual Status delete_trail(const std::string& name) = 0;
  // {"EventSelectors":[...]} or {"AdvancedEventSelectors":[...]} as the API shapes them.
  [[nodiscard]] virtual Result<Json> get_event_selectors(const std::string& trail_name) = 0;
  [[nodiscard]] virtual Status put_event_selectors(const std::string& trail_name,
                                                   const Json& selectors) = 0;
  // Newest first, as AWS returns them; follows NextToken up to max_events.
  [[nodiscard]] virtual Result<std::vector<LookedUpEvent>> lookup_events(
      const LookupEventsRequest& req) = 0;
};

class GuardDuty {
 public:
  virtual ~GuardDuty() = default;
  [[nodiscard]] virtual Result<std::vector<std::string>> list_detectors() = 0;
  [[nodiscard]] virtual Result<std::string> create_detector(bool enable) = 0;
  [[nodiscard]] virtual Status update_detector(const std::string& detector_id, bool enable) = 0;
  [[nodiscard]] virtual Status delete_detector(const std::string& detector_id) = 0;
  // `criteria` is the API's FindingCriteria object (null: all findings).
  [[nodiscard]] virtual Result<std::vector<std::string>> list_findings(
      const std::string& detector_id, const Json& criteria = nullptr) = 0;
  // Findings in the API's (camelCase) shape.
  [[nodiscard]] virtual Result<std::vector<Json>> get_findings(
      const std::string& detector_id, const std::vector<std::string>& finding_ids) = 0;
};

class SecurityHub {
 public:
  virtual ~SecurityHub() = default;
  // ASFF findings matching `filters` (the API's AwsSecurityFindingFilters; null: all).
  [[nodiscard]] virtual Result<std::vector<Json>> get_findings(const Json& filters,
                                                               std::size_t max_findings) = 0;
};

class Sns {
 public:
  virtual ~Sns() = default;
  [[nodiscard]] virtual Result<std::string> create_topic(const std::string& name) = 0;
  // Returns the message id.
  [[nodiscard]] virtual Result<std::string> publish(const std::string& topic_arn,
                                                    const std::string& subject,
                                                    const std::string& message) = 0;
};

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  int approximate_receive_count = 0;
};

class Sqs {
 public:
  virtual ~Sqs() = default;
  [[nodiscard]] virtual Result<std::string> create_queue(const std::string& name) = 0;
  [[nodiscard]] virtual Result<std::string> get_queue_url(const std::string& name) = 0;
  [[nodiscard]] virtual Result<std::string> send_message(const std::string& queue_url,
                                                         const std::string& body) = 0;
  [[nodiscard]] virtual Result<std::vector<SqsMessage>> receive_message(
      const std::string& queue_url, int max_messages, int wait_time_seconds,
      int visibility_timeout_seconds) = 0;
  [[nodiscard]] virtual Status delete_message(const std::string& queue_url,
                                              const std::string& receipt_handle) = 0;
  [[nodiscard]] virtual Status change_message_visibility(const std::string& queue_url,
                                                         const std::string& receipt_handle,
                                                         int visibility_timeout_seconds) = 0;
};

}  // namespace firebreak::cloud
