#pragma once
// The simulated AWS organisation: accounts, regions, principals, EC2/ASG/ELB/IAM/S3/SSM state,
// simulated networks with connection tracking, CloudTrail, GuardDuty and VPC Flow Logs, all in
// process, driven by a simulated clock.
//
// How to use it:
//  - Build a World (programmatically with the add_* calls below, or from YAML: world_yaml.h).
//    Building is "god mode": nothing is recorded in CloudTrail.
//  - Act on it through the cloud seam: SimProvider (provider.h) gives CloudSessions that act AS a
//    principal (the responder's role, an attacker's stolen key) from a source IP with a user
//    agent. Every call is authenticated, optionally throttled, authorised by IAM policy
//    evaluation and recorded as a CloudTrail record, whether it succeeds or not.
//  - Make things happen that are not API calls: connections between instances and the outside
//    (open_connection/exchange), instance-initiated shutdowns, stolen instance credentials.
//  - Let time pass with advance(): instance state changes, snapshots, SSM commands, deregistration
//    delays, Auto Scaling replacements, log delivery and GuardDuty findings happen on the
//    simulated clock. Calls made through the seam also catch up with the clock first, so a
//    caller that only sleeps on the shared SimClock sees the same world.
//  - Consume logs through LogSinks (CloudTrail delivery files, EventBridge envelopes, GuardDuty
//    findings and export files, VPC Flow Logs files), or from the simulated S3 buckets the trails
//    and flow logs deliver to.
//
// Determinism: given the same options (seed, start), the same building steps and the same
// sequence of calls and actions, every id, timestamp and log byte is identical.
//
// Thread-safety: every public member is safe to call from several threads (one world lock).
// LogSinks are called with the lock held and must not call back into the World.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloud/ec2.h"
#include "firebreak/cloud/s3.h"
#include "firebreak/cloud/types.h"
#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud::sim {

// SSM document the simulator runs as a memory capture: the agent writes a LiME image of the
// instance's memory (its realistic size) to the command's output bucket/prefix at
// "<prefix>/<command-id>/<instance-id>/memory/<instance-id>.lime" and reports
// {"artifact":"s3://...","size":N,"sha256":"<hex>","format":"lime"} on standard output.
// The upload is made with the instance role's credentials, so it needs s3:PutObject and a
// network path to S3 (worlds/README.md).
inline constexpr std::string_view kMemoryCaptureDocument = "Firebreak-CaptureMemory";

struct WorldOptions {
  std::uint64_t seed = 1;
  TimePoint start = from_unix_seconds(1717200000);  // 2024-06-01T00:00:00Z
  // A clock shared with the code under test (executor, game day). nullptr: the world owns one
  // starting at `start`. A shared clock is set to `start` when it is behind it.
  SimClock* clock = nullptr;

  // Throttling: per-account token buckets with AWS's error codes (off by default).
  bool throttling = false;

  // CloudTrail: delivery files about every `delivery_interval` (+ up to `delivery_jitter`),
  // EventBridge envelopes after `eventbridge_latency` (+ up to 2x). Event history (LookupEvents)
  // shows an event `lookup_latency` after the call and keeps at most `event_history_limit`
  // events per account and region (oldest dropped first) for 90 days.
  // A record is delivered in the first file written at least `delivery_min_age` after the call
  // (0: the next file), so file latency lies in [min_age, min_age + interval + jitter] and
  // averages about 5 minutes with the defaults; flush_logs() delivers everything regardless.
  Duration cloudtrail_delivery_interval = std::chrono::minutes(5);
  Duration cloudtrail_delivery_jitter = std::chrono::seconds(60);
  Duration cloudtrail_delivery_min_age = std::chrono::seconds(150);
  Duration eventbridge_latency = std::chrono::seconds(2);
  Duration lookup_latency = Duration::zero();
  std::size_t event_history_limit = 50000;
  // Keep every record in memory for World::records() (tests, `sim logs`); benchmarks turn it
  // off.
  bool keep_records = true;
  // Read-only management events are delivered to EventBridge only when this is set (AWS's
  // opt-in); by default EventBridge sees mutating calls only.
  bool eventbridge_read_only_events = false;

  // GuardDuty: a finding appears `guardduty_latency` after the behaviour; export files are
  // written every `guardduty_export_interval`.
  Duration guardduty_latency = std::chrono::minutes(5);
  Duration guardduty_export_interval = std::chrono::minutes(5);

  // VPC Flow Logs aggregation interval (AWS offers 1 or 10 minutes).
  Duration flow_log_interval = std::chrono::minutes(10);

  // Snapshot duration: base + per GiB.
  Duration snapshot_base = std::chrono::seconds(30);
  Duration snapshot_per_gib = std::chrono::seconds(6);
  // SSM memory capture throughput (bytes per simulated second).
  std::uint64_t memory_capture_bytes_per_second = 200ull << 20;
};

// Who is calling (see SimProvider).
struct Identity {
  Credentials credentials;                 // access key id, secret, session token
  std::string source_ip = "203.0.113.10";  // sourceIPAddress in CloudTrail
  std::string user_agent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12";
};

// ---- building blocks (god mode) ----

struct AccountSpec {
  std::string id;    // 12 digits
  std::string name;  // "security", "prod"
  bool security = false;
  bool management = false;
  std::vector<std::string> regions;  // enabled regions; empty: {"us-east-1"}
};

struct InstanceSpec {
  std::string name;  // Name tag and the symbolic name worlds and scripts use
  std::string account, region;
  std::string subnet_id;  // empty: the first subnet of the default VPC
  std::string image_id;   // empty: the scope's first image (one is created when none exists)
  std::string instance_type = "t3.micro";
  std::vector<std::string> security_group_ids;  // empty: the VPC's default group
  std::string instance_profile;                 // instance profile name, empty: none
  std::string key_name;
  bool public_ip = false;
  std::string state = "running";  // "running" or "stopped"
  bool disable_api_termination = false;
  std::string shutdown_behavior = "stop";
  struct VolumeSpec {
    std::string device = "/dev/xvda";
    int size_gib = 8;
    std::string type = "gp3";
    bool delete_on_termination = true;
    bool encrypted = false;
  };
  std::vector<VolumeSpec> volumes;  // empty: one 8 GiB root volume
  // Extra ENIs (device index 1..), each with its own groups.
  struct EniSpec {
    std::string subnet_id;  // empty: the instance's subnet
    std::vector<std::string> security_group_ids;
  };
  std::vector<EniSpec> extra_enis;
  Tags tags;
  std::uint64_t memory_mib = 0;  // 0: from the instance type
  bool ssm_agent = false;        // SSM agent installed (managed when it can reach SSM)
  std::string platform = "Linux";
  std::string console_output;
  std::string user_data;
};

struct UserSpec {
  std::string name;
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> inline_policies;  // name, JSON
  std::vector<std::string> managed_policy_arns;
  std::vector<std::string> groups;
  int access_keys = 0;  // active keys created for the user (at most 2)
  bool console_password = false;
  bool mfa = false;
  Tags tags;
};

struct RoleSpec {
  std::string name;
  std::string path = "/";
  std::string trust_policy;  // JSON; empty: trusts ec2.amazonaws.com
  std::vector<std::pair<std::string, std::string>> inline_policies;
  std::vector<std::string> managed_policy_arns;
  int max_session_seconds = 3600;
  Tags tags;
};

struct BucketSpec {
  std::string name;
  std::string account, region;
  bool versioning = false;
  bool object_lock = false;
  std::string object_lock_default_mode;  // "", "GOVERNANCE", "COMPLIANCE"
  int object_lock_default_days = 0;
  std::string policy;  // JSON, empty: none
  std::string canned_acl = "private";
  // Buckets created today have Block Public Access on and ACLs disabled; legacy buckets
  // (legacy = true) have neither configuration.
  bool legacy = false;
  std::optional<PublicAccessBlock> public_access_block;
  std::string ownership;  // "", "BucketOwnerEnforced", ...
  struct ObjectSpec {
    std::string key;
    std::string body;        // small bodies
    std::uint64_t size = 0;  // > 0 and body empty: generated content of this size
    std::string content_type = "application/octet-stream";
  };
  std::vector<ObjectSpec> objects;
};

struct TrailSpec {
  std::string name;
  std::string account;
  std::string home_region = "us-east-1";
  std::string bucket;  // delivery bucket (created when missing)
  std::string prefix;
  bool multi_region = true;
  bool organization = false;  // logs every account of the organisation
  bool logging = true;
  bool include_global_service_events = true;
};

struct AutoScalingGroupSpec {
  std::string name;
  std::string account, region;
  int min_size = 1, max_size = 4, desired = 2;
  std::vector<std::string> subnet_ids;  // empty: the default VPC's subnets
  InstanceSpec launch;                  // template for launched instances
  std::vector<std::string> target_group_arns;
  std::vector<std::string> load_balancer_names;
};

struct TargetGroupSpec {
  std::string name;
  std::string account, region;
  std::string vpc_id;  // empty: default VPC
  std::string target_type = "instance";
  std::string protocol = "HTTP";
  int port = 80;
  int deregistration_delay_seconds = 300;
  bool attached_to_load_balancer = true;  // false: targets report "unused"
  std::vector<std::string> targets;       // instance ids or IPs, registered healthy
};

struct ClassicLbSpec {
  std::string name;
  std::string account, region;
  std::string vpc_id;
  std::vector<std::string> instance_ids;
};

// ---- connections (the workload and the attacker) ----

enum class Direction : std::uint8_t {
  kInbound,   // the remote end initiated (an SSH session into the instance)
  kOutbound,  // the instance initiated (a reverse shell, C2 beacon, download)
};

struct ConnectionSpec {
  std::string instance_id;
  std::string network_interface_id;  // empty: the primary ENI
  std::string remote_ip;
  int remote_port = 443;
  int local_port = 0;            // 0: ephemeral (outbound) / required for inbound
  std::string protocol = "tcp";  // "tcp", "udp", "icmp"
  Direction direction = Direction::kOutbound;
  std::string label;  // free text ("reverse-shell"), shown in ConnectionState
  // Keep-alive traffic while the connection lives: every `keepalive` (0: none) this many bytes
  // each way. Drives flow logs, idle timeouts and GuardDuty.
  Duration keepalive = std::chrono::seconds(30);
  std::uint64_t keepalive_bytes = 120;
};

struct ConnectionState {
  std::string id;
  std::string label;
  bool alive = false;
  bool tracked = false;
  std::string end_reason;  // "closed", "security-group", "network-acl", "idle-timeout",
                           // "instance-stopped", "address-released", "refused"
  TimePoint started{};
  TimePoint last_packet{};
  std::optional<TimePoint> ended;
  std::uint64_t bytes_out = 0, bytes_in = 0;
};

// ---- logs ----

struct DeliveredFile {
  std::string kind;  // "cloudtrail", "vpcflowlogs", "guardduty"
  std::string account, region;
  std::string bucket;  // destination bucket ("" when the world has none configured)
  std::string key;     // full object key, as AWS names it
  std::string bytes;   // gzip
  std::size_t records = 0;
  TimePoint delivered{};
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void on_file(const DeliveredFile& file) { (void)file; }
  // An EventBridge envelope ("AWS API Call via CloudTrail", "GuardDuty Finding"), JSON text.
  virtual void on_eventbridge(std::string_view envelope) { (void)envelope; }
  // A CloudTrail record as it is recorded (before any delivery latency), JSON text.
  virtual void on_record(std::string_view record) { (void)record; }
};

// Writes every delivered file under `root/<bucket>/<key>` and EventBridge envelopes as JSON
// Lines to `root/eventbridge.jsonl`.
class DirectorySink final : public LogSink {
 public:
  explicit DirectorySink(std::filesystem::path root);
  void on_file(const DeliveredFile& file) override;
  void on_eventbridge(std::string_view envelope) override;
  [[nodiscard]] const Status& status() const { return status_; }
  [[nodiscard]] std::size_t files() const { return files_; }

 private:
  std::filesystem::path root_;
  Status status_;
  std::size_t files_ = 0;
};

// Counts what it receives (benchmarks, tests).
class CountingSink final : public LogSink {
 public:
  void on_file(const DeliveredFile& f) override {
    ++files;
    file_records += f.records;
    bytes += f.bytes.size();
  }
  void on_eventbridge(std::string_view) override { ++envelopes; }
  void on_record(std::string_view r) override {
    ++records;
    record_bytes += r.size();
  }
  std::size_t files = 0, file_records = 0, bytes = 0, envelopes = 0, records = 0, record_bytes = 0;
};

class World {
 public:
  explicit World(WorldOptions options = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  [[nodiscard]] const WorldOptions& options() const;
  [[nodiscard]] SimClock& clock();
  [[nodiscard]] TimePoint now() const;
  // Moves the clock forward and runs everything that falls due, in time order.
  void advance(Duration d);
  void run_until(TimePoint t);
  // Delivers every pending log (CloudTrail buffers, flow-log windows, GuardDuty exports) now.
  void flush_logs();

  // ---- organisation ----
  [[nodiscard]] Status add_account(const AccountSpec& spec);
  [[nodiscard]] Status set_organization(const std::string& org_id,
                                        const std::string& management_account);
  [[nodiscard]] std::vector<std::string> account_ids() const;
  [[nodiscard]] std::vector<std::string> regions(const std::string& account) const;

  // ---- networks ----
  [[nodiscard]] Result<std::string> add_vpc(const std::string& account, const std::string& region,
                                            const std::string& cidr, bool is_default = false,
                                            const std::string& name = {},
                                            const std::string& ipv6_cidr = {});
  [[nodiscard]] Result<std::string> add_subnet(const std::string& vpc_id, const std::string& cidr,
                                               const std::string& availability_zone = {},
                                               const std::string& name = {},
                                               const std::string& ipv6_cidr = {});
  // With `egress` nullopt the group gets AWS's default (all IPv4 egress).
  [[nodiscard]] Result<std::string> add_security_group(
      const std::string& vpc_id, const std::string& name, const std::string& description,
      const std::vector<IpPermission>& ingress,
      const std::optional<std::vector<IpPermission>>& egress = std::nullopt);
  [[nodiscard]] Result<std::string> add_network_acl_entry(const std::string& vpc_id,
                                                          const NetworkAclEntry& entry);
  [[nodiscard]] Result<std::string> add_image(const std::string& account, const std::string& region,
                                              const std::string& name);
  [[nodiscard]] Result<std::string> add_instance(const InstanceSpec& spec);
  // Allocates an Elastic IP, associating it with `instance_id` when given; returns the
  // allocation id.
  [[nodiscard]] Result<std::string> add_elastic_ip(const std::string& account,
                                                   const std::string& region,
                                                   const std::string& instance_id = {});
  // Enables flow logs for a VPC, delivered to `bucket` (created when missing).
  [[nodiscard]] Result<std::string> add_flow_log(const std::string& vpc_id,
                                                 const std::string& bucket);

  // ---- identity ----
  [[nodiscard]] Result<std::string> add_managed_policy(const std::string& account,
                                                       const std::string& name,
                                                       const std::string& document);
  [[nodiscard]] Status add_group(
      const std::string& account, const std::string& name,
      const std::vector<std::string>& managed_policy_arns,
      const std::vector<std::pair<std::string, std::string>>& inline_policies = {});
  // Returns the credentials of the keys created (spec.access_keys of them).
  [[nodiscard]] Result<std::vector<Credentials>> add_user(const std::string& account,
                                                          const UserSpec& spec);
  [[nodiscard]] Result<std::string> add_role(const std::string& account, const RoleSpec& spec);
  [[nodiscard]] Status add_instance_profile(const std::string& account, const std::string& name,
                                            const std::string& role_name);

  // Credentials (god mode; nothing recorded): an existing key of a user (the first active one,
  // or the one named), a fresh key for the account root, a role session as if issued by STS,
  // and what an instance's metadata service hands out for its role (IMDS). Temporary
  // credentials expire on the simulated clock.
  [[nodiscard]] Result<Credentials> user_credentials(const std::string& account,
                                                     const std::string& user_name,
                                                     const std::string& access_key_id = {});
  [[nodiscard]] Result<Credentials> create_user_key(const std::string& account,
                                                    const std::string& user_name);
  [[nodiscard]] Result<Credentials> root_credentials(const std::string& account);
  [[nodiscard]] Result<Credentials> role_session(const std::string& account,
                                                 const std::string& role_name,
                                                 const std::string& session_name,
                                                 Duration duration = std::chrono::hours(1));
  [[nodiscard]] Result<Credentials> instance_credentials(const std::string& instance_id);

  // ---- storage ----
  [[nodiscard]] Status add_bucket(const BucketSpec& spec);
  [[nodiscard]] Status put_public_access_block_for_account(const std::string& account,
                                                           const PublicAccessBlock& block);

  // ---- logging and detection ----
  [[nodiscard]] Result<std::string> add_trail(const TrailSpec& spec);  // returns the trail ARN
  [[nodiscard]] Result<std::string> add_detector(const std::string& account,
                                                 const std::string& region,
                                                 const std::string& export_bucket = {});
  // Threat intelligence GuardDuty matches connections against.
  void add_threat_ips(const std::string& category, const std::vector<std::string>& cidrs);
  // EventBridge rule target: envelopes are also sent to this SQS queue (created when missing)
  // in `account`/`region`.
  [[nodiscard]] Status route_eventbridge_to_queue(const std::string& account,
                                                  const std::string& region,
                                                  const std::string& queue_name);

  // ---- load balancing and scaling ----
  [[nodiscard]] Result<std::string> add_target_group(const TargetGroupSpec& spec);  // ARN
  [[nodiscard]] Status add_classic_load_balancer(const ClassicLbSpec& spec);
  [[nodiscard]] Status add_auto_scaling_group(const AutoScalingGroupSpec& spec);

  // ---- inventory (god mode, for generators and tests) ----
  struct InstanceSummary {
    std::string id, name, account, region, state, private_ip, public_ip;
    bool has_role = false;
    bool ssm = false;
  };
  [[nodiscard]] std::vector<InstanceSummary> instances() const;

  // ---- names ----
  // Symbolic names used by world files and attack scripts ("web-1", "prod/ci-deployer") to the
  // ids they denote. kNotFound when unknown.
  void set_name(const std::string& name, const std::string& id);
  [[nodiscard]] Result<std::string> resolve(const std::string& name) const;
  // The account of a resource id or name (instances, groups, ...), or the 12-digit id itself.
  [[nodiscard]] Result<std::string> account_of(const std::string& id_or_name) const;

  // ---- the workload and the attacker (not API calls; nothing recorded in CloudTrail) ----
  [[nodiscard]] Result<std::string> open_connection(const ConnectionSpec& spec);
  [[nodiscard]] ConnectionState connection(const std::string& connection_id) const;
  [[nodiscard]] std::vector<ConnectionState> connections(const std::string& instance_id) const;
  // Sends traffic on a connection now; kFailedPrecondition when it is no longer alive.
  [[nodiscard]] Status exchange(const std::string& connection_id, std::uint64_t bytes_out,
                                std::uint64_t bytes_in);
  [[nodiscard]] Status close_connection(const std::string& connection_id);
  // A probe from outside (or from the instance) that is not kept: one flow-log record pair.
  // Returns whether it was accepted.
  [[nodiscard]] Result<bool> probe(const ConnectionSpec& spec);
  // `shutdown -h now` inside the instance: stops or terminates per its shutdown behaviour
  // (termination protection does not prevent it, as in AWS).
  [[nodiscard]] Status instance_initiated_shutdown(const std::string& instance_id);
  [[nodiscard]] Status set_console_output(const std::string& instance_id, const std::string& text);
  // Marks an instance's SSM agent as stopped or running (e.g. the attacker killed it).
  [[nodiscard]] Status set_ssm_agent(const std::string& instance_id, bool running);

  // ---- logs ----
  void add_sink(std::shared_ptr<LogSink> sink);
  // Every CloudTrail record emitted so far in this account (all regions), oldest first, as JSON
  // text (testing and `sim logs`); `limit` keeps the newest.
  [[nodiscard]] std::vector<std::string> records(const std::string& account,
                                                 std::size_t limit = SIZE_MAX) const;
  [[nodiscard]] std::uint64_t record_count() const;
  // GuardDuty findings generated so far (API shape), oldest first.
  [[nodiscard]] std::vector<Json> findings(const std::string& account) const;

  struct State;
  [[nodiscard]] State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

}  // namespace firebreak::cloud::sim
