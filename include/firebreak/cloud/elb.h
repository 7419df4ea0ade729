#pragma once
// Load balancer operations: ELBv2 target groups (instance- and ip-type targets) and classic ELB.

#include <string>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak::cloud {

struct TargetGroup {
  std::string target_group_arn;
  std::string target_group_name;
  std::string target_type;  // "instance", "ip", "lambda", "alb"
  std::string protocol;
  int port = 0;
  std::string vpc_id;
  std::vector<std::string> load_balancer_arns;
};

struct TargetDescription {
  std::string id;  // instance id, or IP address for ip-type groups
  int port = 0;    // 0: the group's port
  std::string availability_zone;
  friend bool operator==(const TargetDescription&, const TargetDescription&) = default;
};

struct TargetHealth {
  TargetDescription target;
  std::string state;  // "initial", "healthy", "unhealthy", "unused", "draining", "unavailable"
  std::string reason;
};

struct ClassicLoadBalancer {
  std::string load_balancer_name;
  std::string dns_name;
  std::string vpc_id;
  std::vector<std::string> instance_ids;
};

struct ClassicInstanceHealth {
  std::string instance_id;
  std::string state;  // "InService", "OutOfService", "Unknown"
  std::string reason_code;
};

class Elbv2 {
 public:
  virtual ~Elbv2() = default;
  // All target groups when both lists are empty.
  [[nodiscard]] virtual Result<std::vector<TargetGroup>> describe_target_groups(
      const std::vector<std::string>& target_group_arns,
      const std::string& load_balancer_arn = {}) = 0;
  [[nodiscard]] virtual Result<std::vector<TargetHealth>> describe_target_health(
      const std::string& target_group_arn) = 0;
  [[nodiscard]] virtual Status register_targets(const std::string& target_group_arn,
                                                const std::vector<TargetDescription>& targets) = 0;
  // Deregistered targets drain for the group's deregistration delay, then become unused.
  [[nodiscard]] virtual Status deregister_targets(
      const std::string& target_group_arn, const std::vector<TargetDescription>& targets) = 0;
};

class ClassicElb {
 public:
  virtual ~ClassicElb() = default;
  // All load balancers when `names` is empty.
  [[nodiscard]] virtual Result<std::vector<ClassicLoadBalancer>> describe_load_balancers(
      const std::vector<std::string>& names) = 0;
  [[nodiscard]] virtual Result<std::vector<ClassicInstanceHealth>> describe_instance_health(
      const std::string& load_balancer_name) = 0;
  [[nodiscard]] virtual Status register_instances(const std::string& load_balancer_name,
                                                  const std::vector<std::string>& ids) = 0;
  [[nodiscard]] virtual Status deregister_instances(const std::string& load_balancer_name,
                                                    const std::vector<std::string>& ids) = 0;
};

}  // namespace firebreak::cloud
