#pragma once
// EC2 operations used by containment, evidence and the simulator's actors. Describe calls return
// every page (the implementation follows NextToken). Errors carry the AWS code in
// Error::context().aws_code (e.g. "InvalidInstanceID.NotFound", "OperationNotPermitted",
// "RequestLimitExceeded", "UnauthorizedOperation").

#include <optional>
#include <string>
#include <vector>

#include "firebreak/cloud/types.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud {

struct GroupIdentifier {
  std::string group_id;
  std::string group_name;
};

struct InstanceNetworkInterface {
  std::string network_interface_id;
  std::string subnet_id;
  std::string vpc_id;
  std::string private_ip;
  std::string public_ip;  // empty when none
  std::vector<std::string> ipv6_addresses;
  std::vector<GroupIdentifier> groups;
  int device_index = 0;
  std::string attachment_id;
  std::string status;  // "in-use", "available"
};

struct InstanceBlockDevice {
  std::string device_name;  // "/dev/xvda"
  std::string volume_id;
  bool delete_on_termination = true;
};

struct Instance {
  std::string instance_id;
  std::string image_id;
  std::string instance_type;
  std::string state;  // "pending", "running", "stopping", "stopped", "shutting-down", "terminated"
  std::string vpc_id;
  std::string subnet_id;
  std::string availability_zone;
  std::string private_ip;
  std::string public_ip;
  std::string key_name;
  std::string iam_instance_profile_arn;  // empty when none
  std::string root_device_name;
  TimePoint launch_time{};
  Tags tags;
  std::vector<GroupIdentifier> security_groups;
  std::vector<InstanceNetworkInterface> network_interfaces;
  std::vector<InstanceBlockDevice> block_devices;
};

struct NetworkInterface {
  std::string network_interface_id;
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  std::string private_ip;
  std::string public_ip;
  std::vector<std::string> ipv6_addresses;
  std::vector<GroupIdentifier> groups;
  std::string status;
  std::string attachment_instance_id;  // empty when detached
  std::string attachment_id;
  int device_index = 0;
  std::string description;
  Tags tags;
};

// One rule of a security group. Ports are -1 for "all" (protocol "-1").
struct IpPermission {
  std::string ip_protocol = "-1";  // "-1" (all), "tcp", "udp", "icmp", "icmpv6" or a number
  int from_port = -1;
  int to_port = -1;
  std::vector<std::string> ipv4_ranges;    // CIDRs
  std::vector<std::string> ipv6_ranges;    // CIDRs
  std::vector<std::string> source_groups;  // group ids (UserIdGroupPairs)
  friend bool operator==(const IpPermission&, const IpPermission&) = default;
};

struct SecurityGroup {
  std::string group_id;
  std::string group_name;
  std::string description;
  std::string vpc_id;
  std::string owner_id;
  std::vector<IpPermission> ingress;
  std::vector<IpPermission> egress;
  Tags tags;
};

struct NetworkAclEntry {
  int rule_number = 100;
  std::string protocol = "-1";  // "-1", "6" (tcp), "17" (udp), "1" (icmp)
  bool egress = false;
  std::string rule_action = "deny";  // "allow" or "deny"
  std::string cidr_block;            // IPv4 CIDR, or empty when ipv6_cidr_block is set
  std::string ipv6_cidr_block;
  int from_port = -1;  // port range for tcp/udp; -1 when not applicable
  int to_port = -1;
};

struct NetworkAcl {
  std::string network_acl_id;
  std::string vpc_id;
  bool is_default = false;
  std::vector<NetworkAclEntry> entries;
  std::vector<std::string> subnet_ids;  // associated subnets
  Tags tags;
};

struct VolumeAttachment {
  std::string instance_id;
  std::string device;
  std::string state;  // "attached", ...
  bool delete_on_termination = true;
};

struct Volume {
  std::string volume_id;
  int size_gib = 0;
  std::string state;  // "in-use", "available", ...
  std::string availability_zone;
  std::string volume_type;
  bool encrypted = false;
  std::string kms_key_id;
  std::string snapshot_id;  // source snapshot
  std::vector<VolumeAttachment> attachments;
  Tags tags;
};

struct Snapshot {
  std::string snapshot_id;
  std::string volume_id;
  std::string state;     // "pending", "completed", "error"
  std::string progress;  // "0%" .. "100%"
  TimePoint start_time{};
  int volume_size_gib = 0;
  std::string description;
  std::string owner_id;
  bool encrypted = false;
  Tags tags;
};

struct Address {
  std::string public_ip;
  std::string allocation_id;
  std::string association_id;  // empty when not associated
  std::string instance_id;
  std::string network_interface_id;
  std::string private_ip;
  std::string domain = "vpc";
  Tags tags;
};

struct IamInstanceProfileAssociation {
  std::string association_id;
  std::string instance_id;
  std::string iam_instance_profile_arn;
  std::string iam_instance_profile_id;
  std::string state;  // "associating", "associated", "disassociating", "disassociated"
};

struct InstanceStateChange {
  std::string instance_id;
  std::string previous_state;
  std::string current_state;
};

struct DescribeRequest {
  std::vector<std::string> ids;  // empty: all
  std::vector<Filter> filters;
};

// ModifyInstanceAttribute changes exactly ONE attribute per call (as AWS requires): set exactly
// one of the optionals below (or block_device_mappings non-empty); anything else is
// kInvalidArgument in both backends.
struct ModifyInstanceAttributeRequest {
  struct DeleteOnTermination {
    std::string device_name;
    bool delete_on_termination = false;
  };
  std::string instance_id;
  std::optional<bool> disable_api_termination;
  std::optional<std::string> instance_initiated_shutdown_behavior;  // "stop" or "terminate"
  std::vector<DeleteOnTermination> block_device_mappings;
  std::optional<std::string> user_data;            // raw bytes (base64-encoded on the wire)
  std::optional<std::vector<std::string>> groups;  // replaces the primary ENI's groups
};

struct RunInstancesRequest {
  std::string image_id;
  std::string instance_type = "t3.micro";
  int count = 1;
  std::string subnet_id;
  std::vector<std::string> security_group_ids;
  std::string iam_instance_profile_name;  // empty: none
  std::string key_name;
  std::string user_data;
  Tags tags;
  std::string client_token;
};

struct CreateSecurityGroupRequest {
  std::string group_name;
  std::string description;
  std::string vpc_id;
  Tags tags;
};

struct CreateSnapshotRequest {
  std::string volume_id;
  std::string description;
  Tags tags;  // applied at creation (TagSpecifications)
};

struct CreateSnapshotsRequest {
  std::string instance_id;
  std::string description;
  Tags tags;
  bool copy_tags_from_source = false;
};

class Ec2 {
 public:
  virtual ~Ec2() = default;

  [[nodiscard]] virtual Result<std::vector<Instance>> describe_instances(
      const DescribeRequest& req) = 0;
  // Returns the attribute's value as text: "disableApiTermination" -> "true"/"false",
  // "instanceInitiatedShutdownBehavior" -> "stop"/"terminate", "userData" -> decoded bytes.
  [[nodiscard]] virtual Result<std::string> describe_instance_attribute(
      const std::string& instance_id, const std::string& attribute) = 0;
  [[nodiscard]] virtual Status modify_instance_attribute(
      const ModifyInstanceAttributeRequest& req) = 0;
  [[nodiscard]] virtual Result<std::vector<Instance>> run_instances(
      const RunInstancesRequest& req) = 0;
  [[nodiscard]] virtual Result<std::vector<InstanceStateChange>> stop_instances(
      const std::vector<std::string>& instance_ids, bool force = false) = 0;
  [[nodiscard]] virtual Result<std::vector<InstanceStateChange>> start_instances(
      const std::vector<std::string>& instance_ids) = 0;
  // Fails with OperationNotPermitted for instances with termination protection.
  [[nodiscard]] virtual Result<std::vector<InstanceStateChange>> terminate_instances(
      const std::vector<std::string>& instance_ids) = 0;
  // Decoded console output (empty when the instance has produced none).
  [[nodiscard]] virtual Result<std::string> get_console_output(const std::string& instance_id) = 0;

  [[nodiscard]] virtual Result<std::vector<NetworkInterface>> describe_network_interfaces(
      const DescribeRequest& req) = 0;
  // Replaces the security groups of one ENI.
  [[nodiscard]] virtual Status modify_network_interface_groups(
      const std::string& network_interface_id, const std::vector<std::string>& group_ids) = 0;

  [[nodiscard]] virtual Result<std::vector<SecurityGroup>> describe_security_groups(
      const DescribeRequest& req) = 0;
  // Returns the new group id. A new group allows all egress (IPv4) by default, as in AWS.
  [[nodiscard]] virtual Result<std::string> create_security_group(
      const CreateSecurityGroupRequest& req) = 0;
  [[nodiscard]] virtual Status delete_security_group(const std::string& group_id) = 0;
  [[nodiscard]] virtual Status authorize_security_group_ingress(
      const std::string& group_id, const std::vector<IpPermission>& permissions) = 0;
  [[nodiscard]] virtual Status authorize_security_group_egress(
      const std::string& group_id, const std::vector<IpPermission>& permissions) = 0;
  [[nodiscard]] virtual Status revoke_security_group_ingress(
      const std::string& group_id, const std::vector<IpPermission>& permissions) = 0;
  [[nodiscard]] virtual Status revoke_security_group_egress(
      const std::string& group_id, const std::vector<IpPermission>& permissions) = 0;

  [[nodiscard]] virtual Result<std::vector<NetworkAcl>> describe_network_acls(
      const DescribeRequest& req) = 0;
  [[nodiscard]] virtual Status create_network_acl_entry(const std::string& network_acl_id,
                                                        const NetworkAclEntry& entry) = 0;
  [[nodiscard]] virtual Status delete_network_acl_entry(const std::string& network_acl_id,
                                                        int rule_number, bool egress) = 0;

  [[nodiscard]] virtual Result<std::vector<Address>> describe_addresses(
      const DescribeRequest& req) = 0;
  [[nodiscard]] virtual Status disassociate_address(const std::string& association_id) = 0;
  // Returns the association id.
  [[nodiscard]] virtual Result<std::string> associate_address(const std::string& allocation_id,
                                                              const std::string& instance_id) = 0;

  [[nodiscard]] virtual Result<std::vector<IamInstanceProfileAssociation>>
  describe_iam_instance_profile_associations(const DescribeRequest& req) = 0;
  // Profiles are named by ARN or name (whichever is non-empty); returns the new association.
  [[nodiscard]] virtual Result<IamInstanceProfileAssociation>
  replace_iam_instance_profile_association(const std::string& association_id,
                                           const std::string& profile_arn_or_name) = 0;
  [[nodiscard]] virtual Result<IamInstanceProfileAssociation> associate_iam_instance_profile(
      const std::string& instance_id, const std::string& profile_arn_or_name) = 0;
  [[nodiscard]] virtual Status disassociate_iam_instance_profile(
      const std::string& association_id) = 0;

  [[nodiscard]] virtual Result<std::vector<Volume>> describe_volumes(
      const DescribeRequest& req) = 0;
  [[nodiscard]] virtual Result<Snapshot> create_snapshot(const CreateSnapshotRequest& req) = 0;
  // Crash-consistent snapshots of every volume attached to the instance.
  [[nodiscard]] virtual Result<std::vector<Snapshot>> create_snapshots(
      const CreateSnapshotsRequest& req) = 0;
  [[nodiscard]] virtual Result<std::vector<Snapshot>> describe_snapshots(
      const DescribeRequest& req) = 0;

  [[nodiscard]] virtual Status create_tags(const std::vector<std::string>& resource_ids,
                                           const Tags& tags) = 0;
  [[nodiscard]] virtual Status delete_tags(const std::vector<std::string>& resource_ids,
                                           const Tags& tags) = 0;
};

}  // namespace firebreak::cloud
