#pragma once
// Auto Scaling operations used to take an instance out of its group before containment.

#include <string>
#include <vector>

#include "firebreak/cloud/types.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud {

struct AutoScalingInstance {
  std::string instance_id;
  std::string auto_scaling_group_name;
  std::string lifecycle_state;  // "InService", "Standby", "Detaching", "Terminating", ...
  std::string health_status;    // "Healthy", "Unhealthy"
  std::string availability_zone;
};

struct AutoScalingGroup {
  std::string auto_scaling_group_name;
  std::string auto_scaling_group_arn;
  int min_size = 0;
  int max_size = 0;
  int desired_capacity = 0;
  std::vector<AutoScalingInstance> instances;
  std::vector<std::string> target_group_arns;
  std::vector<std::string> load_balancer_names;  // classic ELBs
  Tags tags;
};

struct AutoScalingActivity {
  std::string activity_id;
  std::string description;
  std::string status_code;  // "InProgress", "Successful", ...
};

class AutoScaling {
 public:
  virtual ~AutoScaling() = default;

  // Instances not in any group are simply absent from the result.
  [[nodiscard]] virtual Result<std::vector<AutoScalingInstance>> describe_auto_scaling_instances(
      const std::vector<std::string>& instance_ids) = 0;
  [[nodiscard]] virtual Result<std::vector<AutoScalingGroup>> describe_auto_scaling_groups(
      const std::vector<std::string>& group_names) = 0;
  // Without decrement, the group launches a replacement to keep its desired capacity.
  [[nodiscard]] virtual Result<std::vector<AutoScalingActivity>> detach_instances(
      const std::string& group_name, const std::vector<std::string>& instance_ids,
      bool should_decrement_desired_capacity) = 0;
  [[nodiscard]] virtual Status attach_instances(const std::string& group_name,
                                                const std::vector<std::string>& instance_ids) = 0;
  [[nodiscard]] virtual Result<std::vector<AutoScalingActivity>> enter_standby(
      const std::string& group_name, const std::vector<std::string>& instance_ids,
      bool should_decrement_desired_capacity) = 0;
  [[nodiscard]] virtual Result<std::vector<AutoScalingActivity>> exit_standby(
      const std::string& group_name, const std::vector<std::string>& instance_ids) = 0;
};

}  // namespace firebreak::cloud
