#pragma once
// SSM Run Command: which instances are managed, and running documents on them (memory capture,
// triage scripts). Invocations are asynchronous: send_command returns at once; poll
// get_command_invocation until the status is terminal.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud {

struct ManagedInstance {
  std::string instance_id;
  std::string ping_status;    // "Online", "ConnectionLost", "Inactive"
  std::string platform_type;  // "Linux", "Windows"
  std::string platform_name;
  std::string agent_version;
  std::optional<TimePoint> last_ping;
};

struct SendCommandRequest {
  std::string document_name;  // "AWS-RunShellScript", or firebreak's capture document
  std::vector<std::string> instance_ids;
  std::map<std::string, std::vector<std::string>> parameters;
  std::string comment;
  int timeout_seconds = 3600;
  std::string output_s3_bucket;  // where the agent uploads output (optional)
  std::string output_s3_key_prefix;
};

struct Command {
  std::string command_id;
  std::string document_name;
  std::string comment;  // as sent (SendCommand's Comment)
  std::string status;   // "Pending", "InProgress", "Success", ...
  std::vector<std::string> instance_ids;
  TimePoint requested{};
};

struct CommandInvocation {
  std::string command_id;
  std::string instance_id;
  // "Pending", "InProgress", "Delayed", "Success", "Cancelled", "TimedOut", "Failed",
  // "Cancelling".
  std::string status;
  int response_code = -1;
  std::string standard_output;  // truncated by AWS to 24,000 characters
  std::string standard_error;
  std::string output_s3_bucket;
  std::string output_s3_key_prefix;
  std::optional<TimePoint> execution_start;
  std::optional<TimePoint> execution_end;

  [[nodiscard]] bool terminal() const {
    return status == "Success" || status == "Cancelled" || status == "TimedOut" ||
           status == "Failed";
  }
};

class Ssm {
 public:
  virtual ~Ssm() = default;
  // Managed instances among `instance_ids` (all when empty); unmanaged ones are absent.
  [[nodiscard]] virtual Result<std::vector<ManagedInstance>> describe_instance_information(
      const std::vector<std::string>& instance_ids) = 0;
  [[nodiscard]] virtual Result<Command> send_command(const SendCommandRequest& req) = 0;
  // Commands sent to `instance_id` in this account and region, newest first (ListCommands with
  // InstanceId; AWS keeps them 30 days). SendCommand takes no client token: a caller that must
  // not send twice marks its Comment and looks here first.
  [[nodiscard]] virtual Result<std::vector<Command>> list_commands(
      const std::string& instance_id) = 0;
  // kNotFound ("InvocationDoesNotExist") when the invocation is not (yet) known.
  [[nodiscard]] virtual Result<CommandInvocation> get_command_invocation(
      const std::string& command_id, const std::string& instance_id) = 0;
};

}  // namespace firebreak::cloud
