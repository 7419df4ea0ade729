#pragma once
// Private to the simulator: the world's state. Every service implementation and the world's
// own machinery (timers, delivery, networks) work on World::State with the world lock held.
//
// Layout: EC2-style resources live in one table per kind, indexed by Serial (ids.h), and carry
// the Scope (account + region) they belong to; each Scope lists the serials it owns for
// iteration. Interned strings (Symbol) hold repeated short values (instance types, zones, device
// names) so that a world of 10,000 instances stays small.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "firebreak/cloud/iam.h"
#include "firebreak/cloud/operation.h"
#include "firebreak/cloud/sim/policy.h"
#include "firebreak/cloud/sim/world.h"
#include "firebreak/core/ids.h"
#include "ids.h"
#include "net.h"
#include "record_arena.h"

namespace firebreak::cloud::sim {

// ---------------------------------------------------------------------------------------------
// Interned strings

using Symbol = std::uint32_t;
inline constexpr Symbol kNoSymbol = 0;  // the empty string

class SymbolTable {
 public:
  SymbolTable() { intern({}); }
  Symbol intern(std::string_view s) {
    if (auto it = index_.find(s); it != index_.end()) return it->second;
    strings_.emplace_back(s);
    const auto id = static_cast<Symbol>(strings_.size() - 1);
    index_.emplace(strings_.back(), id);
    return id;
  }
  [[nodiscard]] const std::string& str(Symbol s) const { return strings_[s]; }
  [[nodiscard]] std::optional<Symbol> find(std::string_view s) const {
    if (auto it = index_.find(s); it != index_.end()) return it->second;
    return std::nullopt;
  }

 private:
  std::deque<std::string> strings_;  // stable addresses for the views in index_
  std::unordered_map<std::string_view, Symbol> index_;
};

// ---------------------------------------------------------------------------------------------
// Policies as stored by IAM/S3: the text as given plus its parsed form.

struct PolicyDoc {
  std::string text;
  std::shared_ptr<const Policy> parsed;
};

// ---------------------------------------------------------------------------------------------
// IAM

struct AccessKeyRec {
  std::string id;
  std::string secret;
  std::uint16_t account = 0;
  std::uint32_t user = 0;  // index in Iam::users; kRootUser for root keys
  bool active = true;
  bool deleted = false;
  TimePoint created{};
  std::optional<TimePoint> last_used;
  std::string last_service, last_region;
};
inline constexpr std::uint32_t kRootUser = 0xffffffffu;

struct MfaRec {
  std::string serial;
  TimePoint enabled{};
};

struct IamUserRec {
  std::string name, id, path = "/";
  TimePoint created{};
  std::optional<TimePoint> password_last_used;
  Tags tags;
  std::map<std::string, PolicyDoc> inline_policies;
  std::vector<std::string> attached;  // managed policy ARNs
  std::vector<std::uint32_t> groups;
  std::optional<LoginProfile> login_profile;
  std::vector<MfaRec> mfa;
  std::vector<std::string> keys;  // access key ids (including inactive)
  bool deleted = false;
  std::string identity_json;  // cached userIdentity fragment without accessKeyId
};

struct IamRoleRec {
  std::string name, id, path = "/";
  TimePoint created{};
  PolicyDoc trust;
  std::map<std::string, PolicyDoc> inline_policies;
  std::vector<std::string> attached;
  int max_session_seconds = 3600;
  Tags tags;
  bool service_linked = false;
  bool deleted = false;
};

struct IamGroupRec {
  std::string name, id, path = "/";
  std::map<std::string, PolicyDoc> inline_policies;
  std::vector<std::string> attached;
};

struct InstanceProfileRec {
  std::string name, id, path = "/";
  TimePoint created{};
  std::vector<std::uint32_t> roles;  // at most one
};

struct ManagedPolicyRec {
  std::string arn, name, id;
  PolicyDoc doc;
  bool aws_managed = false;
};

struct IamState {
  std::vector<IamUserRec> users;
  std::vector<IamRoleRec> roles;
  std::vector<IamGroupRec> groups;
  std::vector<InstanceProfileRec> profiles;
  std::unordered_map<std::string, std::uint32_t> user_index, role_index, group_index, profile_index;
  std::map<std::string, ManagedPolicyRec> policies;  // customer-managed, by ARN
};

// An STS session: an assumed role (by a principal, by EC2 for an instance, by a service).
struct RoleSession {
  std::uint16_t account = 0;
  std::uint32_t role = 0;
  std::string name;
  std::string access_key_id, secret, token;
  TimePoint issued{}, expires{};
  std::shared_ptr<const Policy> session_policy;
  Serial instance = kNoSerial;  // set for instance-profile sessions (IMDS)
  bool mfa = false;
  std::string source_identity;
  std::string identity_json;  // cached userIdentity fragment
};

// ---------------------------------------------------------------------------------------------
// Callers

enum class CallerKind : std::uint8_t { kRoot, kUser, kRole, kService, kAnonymous };

struct Caller {
  CallerKind kind = CallerKind::kAnonymous;
  std::uint16_t account = 0;
  std::uint32_t index = 0;    // user index (kUser) or session index (kRole)
  std::string access_key_id;  // as presented
  std::string service;        // kService: "autoscaling.amazonaws.com"
  std::string source_ip;
  std::string user_agent;
  PrincipalRef ref;      // for policy evaluation
  std::string username;  // ${aws:username}; LookupEvents Username
};

// ---------------------------------------------------------------------------------------------
// EC2

enum class InstState : std::uint8_t {
  kPending,
  kRunning,
  kShuttingDown,
  kTerminated,
  kStopping,
  kStopped
};

struct SgRule {
  std::uint8_t proto = 0;  // 0 = all ("-1"), else IANA number
  bool all_proto = true;
  std::int32_t from = -1, to = -1;
  enum class Src : std::uint8_t { kCidr, kGroup } src = Src::kCidr;
  Cidr cidr;
  Serial group = kNoSerial;
  Serial rule_id = kNoSerial;
};

struct SecurityGroupRec {
  std::uint16_t scope = 0;
  Serial vpc = kNoSerial;
  std::string name, description;
  std::vector<SgRule> ingress, egress;
  Tags tags;
  bool is_default = false;
  bool deleted = false;
};

struct VpcRec {
  std::uint16_t scope = 0;
  Cidr cidr;
  std::optional<Cidr> ipv6;
  Serial default_sg = kNoSerial, default_nacl = kNoSerial;
  bool is_default = false;
  Tags tags;
  std::vector<Serial> subnets;
  Serial flow_log = kNoSerial;
};

struct SubnetRec {
  std::uint16_t scope = 0;
  Serial vpc = kNoSerial;
  Cidr cidr;
  std::optional<Cidr> ipv6;
  Symbol az = kNoSymbol;
  Serial nacl = kNoSerial;
  Serial nacl_assoc = kNoSerial;
  std::uint32_t next_host = 4;  // AWS reserves .0-.3
  bool map_public_ip = false;
  Tags tags;
};

struct NaclEntryRec {
  int rule_number = 100;
  bool egress = false;
  bool allow = false;
  bool all_proto = true;
  std::uint8_t proto = 0;
  int from = -1, to = -1;
  Cidr cidr;
};

struct NaclRec {
  std::uint16_t scope = 0;
  Serial vpc = kNoSerial;
  bool is_default = false;
  std::vector<NaclEntryRec> entries;  // sorted by (egress, rule_number)
  Tags tags;
};

struct EniRec {
  std::uint16_t scope = 0;
  Serial subnet = kNoSerial;
  std::uint32_t private_ip = 0;
  std::uint32_t auto_public_ip = 0;  // public IP assigned at launch (lost on stop)
  Serial eip = kNoSerial;            // associated Elastic IP allocation
  std::vector<Serial> groups;
  std::vector<IpAddr> ipv6;
  Serial instance = kNoSerial;
  Serial attach_id = kNoSerial;
  std::uint8_t device_index = 0;
  bool delete_on_termination = true;
  bool deleted = false;
  Symbol description = kNoSymbol;
  Tags tags;
  std::vector<std::uint32_t> connections;  // indexes in State::conns
};

struct BlockDev {
  Symbol device = kNoSymbol;
  Serial volume = kNoSerial;
  bool delete_on_termination = true;
};

struct InstanceExtra {
  std::string console_output;
  std::string user_data;
  std::uint64_t memory_mib = 0;
  bool ssm_agent = false;
  bool ssm_agent_running = true;
  Symbol platform = kNoSymbol;
  std::optional<TimePoint> ssm_registered;
  // Instance-profile credentials currently served by IMDS.
  std::uint32_t imds_session = 0xffffffffu;
};

struct InstanceRec {
  std::uint16_t scope = 0;
  InstState state = InstState::kRunning;
  bool disable_api_termination = false;
  bool shutdown_terminate = false;
  bool gone = false;  // terminated and no longer described
  Symbol image = kNoSymbol, type = kNoSymbol, key_name = kNoSymbol, root_device = kNoSymbol;
  Serial subnet = kNoSerial;
  Serial reservation = kNoSerial;
  Serial iip_assoc = kNoSerial;
  std::uint32_t asg = 0xffffffffu;  // index in State::asgs
  TimePoint launch_time{};
  std::vector<Serial> enis;  // [0] is the primary (device index 0)
  std::vector<BlockDev> devices;
  Tags tags;
  std::unique_ptr<InstanceExtra> extra;
  std::string state_reason;
};

struct VolumeRec {
  std::uint16_t scope = 0;
  std::int32_t size_gib = 8;
  Symbol type = kNoSymbol, az = kNoSymbol, device = kNoSymbol, kms = kNoSymbol;
  Serial instance = kNoSerial;
  Serial snapshot = kNoSerial;
  bool delete_on_termination = true;
  bool encrypted = false;
  bool deleted = false;
  TimePoint created{};
  Tags tags;
};

struct SnapshotRec {
  std::uint16_t scope = 0;
  Serial volume = kNoSerial;
  std::int32_t size_gib = 0;
  TimePoint start{}, complete{};
  std::string description;
  bool encrypted = false;
  Tags tags;
};

struct EipRec {
  std::uint16_t scope = 0;
  std::uint32_t public_ip = 0;
  Serial eni = kNoSerial;
  Serial assoc = kNoSerial;
  bool released = false;
  Tags tags;
};

struct IipAssocRec {
  std::uint16_t scope = 0;
  Serial instance = kNoSerial;
  std::uint32_t profile = 0;  // index in the account's Iam::profiles
  enum class St : std::uint8_t { kAssociated, kDisassociated } state = St::kAssociated;
};

struct ImageRec {
  std::uint16_t scope = 0;
  std::string name;
};

struct FlowLogRec {
  std::uint16_t scope = 0;
  Serial vpc = kNoSerial;
  std::string bucket;
};

// ---------------------------------------------------------------------------------------------
// Connections

struct Conn {
  Serial eni = kNoSerial;
  IpAddr local, remote;
  std::uint16_t local_port = 0, remote_port = 0;
  std::uint8_t proto = 6;
  Direction dir = Direction::kOutbound;
  bool alive = true;
  bool tracked = true;
  std::string label, end_reason;
  TimePoint started{}, last_packet{};
  std::optional<TimePoint> ended;
  std::uint64_t bytes_out = 0, bytes_in = 0;
  Duration keepalive{};
  std::uint64_t keepalive_bytes = 0;
  std::uint32_t public_ip = 0;  // the instance-side public address used (0: private path)
};

// ---------------------------------------------------------------------------------------------
// Auto Scaling and load balancing

struct AsgInstanceRec {
  Serial instance = kNoSerial;
  std::string lifecycle;  // "Pending", "InService", "Standby", "Detaching", "Terminating"
  std::string health = "Healthy";
};

struct AsgRec {
  std::uint16_t scope = 0;
  std::string name, arn;
  int min = 0, max = 0, desired = 0;
  std::vector<Serial> subnets;
  InstanceSpec launch;
  std::vector<std::string> target_groups;  // ARNs
  std::vector<std::string> load_balancers;
  std::vector<AsgInstanceRec> instances;
  Tags tags;
  std::uint32_t launched = 0;
};

struct TargetRec {
  std::string id;
  int port = 0;
  std::string az;
  std::string state;  // "initial", "healthy", "unhealthy", "draining", "unused", "unavailable"
  std::string reason;
  TimePoint since{};
};

struct TargetGroupRec {
  std::uint16_t scope = 0;
  std::string arn, name, target_type, protocol;
  int port = 80;
  Serial vpc = kNoSerial;
  int dereg_delay = 300;
  std::vector<std::string> lb_arns;
  std::vector<TargetRec> targets;
};

struct ClassicLbRec {
  std::uint16_t scope = 0;
  std::string name, dns;
  Serial vpc = kNoSerial;
  std::vector<Serial> instances;
};

// ---------------------------------------------------------------------------------------------
// S3

struct LazyBody;  // generated content (s3.cpp)

struct ObjectVersionRec {
  std::string version_id;  // "null" for unversioned writes
  bool delete_marker = false;
  std::uint64_t size = 0;
  std::shared_ptr<const std::string> body;  // small bodies
  std::shared_ptr<LazyBody> lazy;           // generated or spilled bodies
  std::string etag;
  std::string content_type;
  std::string checksum_sha256;
  std::string sse, kms_key;
  ObjectLockSettings lock;
  TimePoint modified{};
  std::map<std::string, std::string> metadata;
  std::uint16_t owner_account = 0;
};

struct BucketRec {
  std::string name;
  std::uint16_t account = 0;
  std::string region;
  TimePoint created{};
  std::string versioning;  // "", "Enabled", "Suspended"
  bool object_lock = false;
  std::string lock_default_mode;
  int lock_default_days = 0;
  std::optional<PolicyDoc> policy;
  std::vector<Grant> acl;  // grants beyond the owner's FULL_CONTROL
  std::optional<PublicAccessBlock> pab;
  std::string ownership;                                         // "" when not configured
  std::map<std::string, std::vector<ObjectVersionRec>> objects;  // newest version last
};

// ---------------------------------------------------------------------------------------------
// SSM

struct InvocationRec {
  std::string command_id;
  Serial instance = kNoSerial;
  std::string document;
  std::string status = "Pending";
  std::string status_details = "Pending";
  int response_code = -1;
  std::string stdout_text, stderr_text;
  std::optional<TimePoint> start, end;
  std::string bucket, prefix;
};

struct CommandRec {
  std::string id;
  std::uint16_t account = 0;
  std::string region;
  std::string document;
  std::string comment;
  std::vector<Serial> instances;
  std::map<std::string, std::vector<std::string>> parameters;
  TimePoint requested{};
  int timeout_seconds = 3600;
  std::string bucket, prefix;
  std::vector<std::uint32_t> invocations;  // indexes in State::invocations
  Caller caller;                           // who sent it (for the agent's uploads)
};

// ---------------------------------------------------------------------------------------------
// CloudTrail, GuardDuty, SNS, SQS

struct EventSelectorsRec {
  bool advanced = false;
  Json json;  // as the API returns it
  // Compiled: management events (read/write) and S3 data event prefixes.
  bool management = true;
  bool mgmt_read = true, mgmt_write = true;
  bool data_read = false, data_write = false;
  std::vector<std::string> data_prefixes;  // ARN prefixes ("arn:aws:s3" = all)
  std::vector<std::string> excluded_sources;
};

// A byte buffer grown with realloc: large buffers are mmapped by glibc and grow by mremap, so
// growing neither copies the bytes nor touches fresh pages twice (std::string's doubling did
// both, for buffers of hundreds of MiB).
class GrowBuffer {
 public:
  GrowBuffer() = default;
  GrowBuffer(const GrowBuffer&) = delete;
  GrowBuffer& operator=(const GrowBuffer&) = delete;
  GrowBuffer(GrowBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        cap_(std::exchange(o.cap_, 0)) {}
  GrowBuffer& operator=(GrowBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
    return *this;
  }
  ~GrowBuffer() { std::free(data_); }

  [[nodiscard]] char* data() { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::string_view view() const { return {data_, size_}; }
  void append(std::string_view s) {
    reserve(size_ + s.size());
    if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
    size_ += s.size();
  }
  void push_back(char c) { append(std::string_view(&c, 1)); }
  void pop_back() { --size_; }
  // Removes [pos, pos + n).
  void erase(std::size_t pos, std::size_t n) {
    std::memmove(data_ + pos, data_ + pos + n, size_ - pos - n);
    size_ -= n;
  }
  void reserve(std::size_t n);

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0, cap_ = 0;
};

// Records waiting for a trail's next delivery file, for one (recipient account, region): kept as
// the file's body will be written ("{\"Records\":[" then each record followed by ','), so that a
// delivery compresses its prefix in place instead of copying every record into a new body.
struct PendingTrailFile {
  static constexpr std::string_view kHead = "{\"Records\":[";
  GrowBuffer body;
  std::vector<TimePoint> times;   // per record, in the order appended
  std::vector<std::size_t> ends;  // per record: offset just past its ','
  [[nodiscard]] bool empty() const { return times.empty(); }
  void append(TimePoint t, std::string_view record) {
    if (body.empty()) body.append(kHead);
    body.append(record);
    body.push_back(',');
    times.push_back(t);
    ends.push_back(body.size());
  }
};

struct TrailRec {
  std::uint16_t account = 0;
  std::string name, arn, home_region, bucket, prefix;
  bool multi_region = true, organization = false, global_events = true, validation = false;
  bool logging = true;
  bool deleted = false;
  std::optional<TimePoint> start_logging, stop_logging, latest_delivery;
  EventSelectorsRec selectors;
  // Pending records per (recipient account, region) until the next delivery. Entries stay once
  // created (their buffers are reused by the next files).
  std::map<std::pair<std::string, std::string>, PendingTrailFile> pending;
  [[nodiscard]] bool has_pending() const {
    for (const auto& [_, p] : pending)
      if (!p.empty()) return true;
    return false;
  }
  TimePoint next_delivery{};
};

// What the recorder knows about a record besides its JSON (views, valid during emit_record).
struct RecordMeta {
  TimePoint time{};
  std::string_view event_id, event_name, event_source, username, access_key_id;
  bool read_only = false;
  std::span<const std::pair<std::string, std::string>> resources;  // (type, name) for lookups
};

// An event-history entry (LookupEvents): the record and its lookup fields live in one blob in the
// record arena (see emit_record), so an entry costs no allocation of its own.
struct HistoryRec {
  struct Span {
    std::uint32_t off = 0, len = 0;
  };
  TimePoint time{};
  TimePoint visible{};
  bool read_only = false;
  RecordHandle blob;
  Span json_, event_id_, event_name_, event_source_, username_, access_key_id_, resources_;

  [[nodiscard]] std::string_view json() const { return at(json_); }
  [[nodiscard]] std::string_view event_id() const { return at(event_id_); }
  [[nodiscard]] std::string_view event_name() const { return at(event_name_); }
  [[nodiscard]] std::string_view event_source() const { return at(event_source_); }
  [[nodiscard]] std::string_view username() const { return at(username_); }
  [[nodiscard]] std::string_view access_key_id() const { return at(access_key_id_); }
  // True when f(type, name) is true for one of the record's resources.
  template <class F>
  [[nodiscard]] bool any_resource(F&& f) const {
    std::string_view r = at(resources_);
    auto next = [&r] {
      std::uint32_t n = 0;
      std::memcpy(&n, r.data(), sizeof n);
      const std::string_view v = r.substr(sizeof n, n);
      r.remove_prefix(sizeof n + n);
      return v;
    };
    while (!r.empty()) {
      const std::string_view type = next();
      const std::string_view name = next();
      if (f(type, name)) return true;
    }
    return false;
  }

 private:
  [[nodiscard]] std::string_view at(Span s) const { return blob.view().substr(s.off, s.len); }
};

struct FindingRec {
  std::string id;
  std::string type;
  std::string key;  // aggregation key
  Json json;
  TimePoint created{}, updated{};
  bool exported = false;
  bool published = false;
};

struct DetectorRec {
  std::uint16_t account = 0;
  std::string region, id;
  bool enabled = true;
  bool deleted = false;
  std::string export_bucket;
  std::vector<FindingRec> findings;
  std::unordered_map<std::string, std::uint32_t> by_key;
};

struct TopicRec {
  std::uint16_t account = 0;
  std::string region, name, arn;
  std::vector<std::pair<std::string, std::string>> messages;  // subject, body
};

struct QueueMsg {
  std::string id, receipt, body, md5;
  TimePoint visible_at{};
  int receives = 0;
  bool deleted = false;
};

struct QueueRec {
  std::uint16_t account = 0;
  std::string region, name, url;
  std::deque<QueueMsg> messages;
};

// ---------------------------------------------------------------------------------------------
// Accounts and scopes

struct TokenBucket {
  double tokens = 0, capacity = 0, refill_per_second = 0;
  TimePoint last{};
  bool take(TimePoint now);
};

struct AccountRec {
  std::string id, name;
  bool security = false, management = false;
  std::vector<std::string> regions;
  IamState iam;
  std::optional<PublicAccessBlock> s3_pab;
  std::string root_identity_json;
  std::map<std::string, TokenBucket> buckets;  // throttling: "<region>/<class>"
};

struct Scope {
  std::uint16_t account = 0;
  std::string region;
  std::vector<Serial> instances, enis, volumes, snapshots, sgs, vpcs, subnets, nacls, eips,
      iip_assocs, images;
  std::deque<HistoryRec> history;
  std::uint32_t next_public_ip = 0;
};

// ---------------------------------------------------------------------------------------------
// Timers

struct Timer {
  TimePoint due;
  std::uint64_t seq;
  std::function<void()> fn;
};
struct TimerLater {
  bool operator()(const Timer& a, const Timer& b) const {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }
};

// ---------------------------------------------------------------------------------------------

struct World::State {
  explicit State(WorldOptions o);

  // First, so that it outlives every record handle held below (history, trails, timers).
  RecordArena record_arena;
  std::string record_scratch;    // the record being built by Call::finish
  std::string envelope_scratch;  // the EventBridge envelope head being written
  std::string meta_scratch;      // the lookup fields being packed (emit_record)

  WorldOptions options;
  std::unique_ptr<SimClock> own_clock;
  SimClock* clock = nullptr;
  mutable std::recursive_mutex mu;
  TimePoint now_{};  // the time the world is at (timers run at their own due time)

  IdGenerator ids;     // resource ids and secrets
  IdGenerator events;  // event and request ids
  IdGenerator jitter;  // delivery timing
  IdCodec codec;
  SymbolTable symbols;

  std::string org_id;
  std::uint16_t management_account = 0xffff;
  std::vector<AccountRec> accounts;
  std::unordered_map<std::string, std::uint16_t> account_index;
  std::vector<Scope> scopes;
  std::map<std::pair<std::uint16_t, std::string>, std::uint16_t> scope_index;

  // Credentials by access key id.
  std::vector<AccessKeyRec> keys;
  std::vector<RoleSession> sessions;
  std::unordered_map<std::string, std::pair<bool, std::uint32_t>>
      credential_index;  // is_session, index

  // EC2 tables (indexed by Serial).
  std::vector<InstanceRec> instances;
  std::vector<EniRec> enis;
  std::vector<VolumeRec> volumes;
  std::vector<SnapshotRec> snapshots;
  std::vector<SecurityGroupRec> sgs;
  std::vector<VpcRec> vpcs;
  std::vector<SubnetRec> subnets;
  std::vector<NaclRec> nacls;
  std::vector<EipRec> eips;
  std::vector<IipAssocRec> iip_assocs;
  std::vector<ImageRec> images;
  std::vector<FlowLogRec> flow_logs;
  Serial next_sg_rule = 0, next_eni_attach = 0, next_eip_assoc = 0, next_reservation = 0,
         next_nacl_assoc = 0;
  std::unordered_map<std::uint32_t, Serial> eni_by_public_ip;
  std::unordered_map<std::uint32_t, Serial> eni_by_private_ip;  // per world (simplification)

  std::vector<Conn> conns;

  std::vector<AsgRec> asgs;
  std::vector<TargetGroupRec> target_groups;
  std::vector<ClassicLbRec> classic_lbs;

  std::map<std::string, BucketRec> buckets;
  // Generated bodies by their first 64 bytes, so that re-uploads of them are recognised and
  // stored by reference (a memory image copied into the evidence bucket costs no RAM).
  std::map<std::string, std::weak_ptr<LazyBody>> lazy_index;

  std::vector<CommandRec> commands;
  std::vector<InvocationRec> invocations;
  std::unordered_map<std::string, std::uint32_t> command_index;

  std::vector<TrailRec> trails;
  std::vector<DetectorRec> detectors;
  std::vector<TopicRec> topics;
  std::vector<QueueRec> queues;
  std::vector<std::pair<std::uint16_t, std::string>> eventbridge_queues;  // (account, url)
  std::vector<std::pair<std::string, Cidr>> threat_ips;                   // category, range

  std::map<std::string, ManagedPolicyRec> aws_policies;  // AWS-managed, by ARN

  std::map<std::string, std::string> names;
  std::vector<std::shared_ptr<LogSink>> sinks;
  std::uint64_t record_count = 0;
  std::vector<std::pair<std::uint16_t, std::shared_ptr<const std::string>>> all_records;

  std::priority_queue<Timer, std::vector<Timer>, TimerLater> timers;
  std::uint64_t timer_seq = 0;
  bool in_catch_up = false;

  // ---- time ----
  [[nodiscard]] TimePoint now() const { return now_; }
  void at(TimePoint due, std::function<void()> fn);
  void after(Duration d, std::function<void()> fn) { at(now_ + d, std::move(fn)); }
  void catch_up();  // runs timers due up to clock->now()

  // ---- lookups ----
  [[nodiscard]] std::optional<std::uint16_t> account(std::string_view id) const;
  std::uint16_t scope_for(std::uint16_t account, std::string_view region);
  [[nodiscard]] const std::string& sym(Symbol s) const { return symbols.str(s); }
  [[nodiscard]] std::string id(Kind k, Serial s) const { return codec.format(k, s); }
  // A resource of kind k in scope `scope`; nullopt when absent, deleted or elsewhere.
  [[nodiscard]] std::optional<Serial> find(Kind k, std::string_view id, std::uint16_t scope) const;
  [[nodiscard]] std::string iam_id(std::string_view prefix);
  [[nodiscard]] std::string uuid();
  [[nodiscard]] std::string region_of(std::uint16_t scope) const { return scopes[scope].region; }
  [[nodiscard]] const std::string& account_id(std::uint16_t scope) const {
    return accounts[scopes[scope].account].id;
  }

  // ---- identity ----
  std::string new_access_key(std::uint16_t account, std::uint32_t user, std::string_view prefix);
  std::uint32_t new_session(std::uint16_t account, std::uint32_t role, std::string name,
                            Duration duration, Serial instance = kNoSerial);
  void build_user_identity(std::uint16_t account, std::uint32_t user);
  void build_session_identity(std::uint32_t session);
  // Resolves credentials to a caller, or the AWS authentication error.
  Result<Caller> authenticate(const Credentials& creds, std::string_view service);
  [[nodiscard]] Caller service_caller(std::uint16_t account, std::string service);
  [[nodiscard]] Caller session_caller(std::uint32_t session, std::string source_ip,
                                      std::string user_agent);
  [[nodiscard]] std::string role_arn(std::uint16_t account, std::uint32_t role) const;
  [[nodiscard]] std::string user_arn(std::uint16_t account, std::uint32_t user) const;
  const ManagedPolicyRec* managed_policy(std::string_view arn) const;
  std::uint32_t imds_session_for(Serial instance);  // refreshes the instance's role session

  // ---- EC2 helpers ----
  Serial new_eni(std::uint16_t scope, Serial subnet, const std::vector<Serial>& groups,
                 bool public_ip);
  std::uint32_t allocate_private_ip(Serial subnet);
  std::uint32_t allocate_public_ip(std::uint16_t scope);
  std::uint32_t eni_public_ip(Serial eni) const;
  void attach_eni(Serial eni, Serial instance, std::uint8_t device_index);
  Serial launch_instance(const InstanceSpec& spec, std::uint16_t scope, Serial subnet,
                         const std::vector<Serial>& groups, std::optional<std::uint32_t> profile,
                         InstState initial);
  void set_instance_state(Serial inst, InstState st, std::string_view reason);
  void begin_stop(Serial inst, std::string_view reason);
  void begin_terminate(Serial inst, std::string_view reason);
  Serial default_vpc(std::uint16_t scope) const;
  Serial sg_by_name(Serial vpc, std::string_view name) const;
  std::vector<SgRule> default_egress();
  Serial create_sg(std::uint16_t scope, Serial vpc, std::string name, std::string description,
                   bool is_default);
  Serial create_default_nacl(std::uint16_t scope, Serial vpc);
  Serial create_snapshot(std::uint16_t scope, Serial volume, std::string description,
                         const Tags& tags);
  void disassociate_profile(Serial assoc);

  // ---- networks (network.cpp) ----
  void on_groups_changed(Serial eni);
  void on_sg_rules_changed(Serial sg);
  void on_nacl_changed(Serial nacl);
  void on_instance_network_down(Serial inst, std::string_view reason);
  bool sg_all_open(const EniRec& eni, bool v6) const;
  bool sg_allows(const EniRec& eni, bool egress, const IpAddr& remote, std::uint8_t proto,
                 int port) const;
  bool nacl_allows(const EniRec& eni, bool egress, const IpAddr& remote, std::uint8_t proto,
                   int port) const;
  void flow_record(Serial eni, const IpAddr& src, const IpAddr& dst, int sport, int dport,
                   std::uint8_t proto, std::uint64_t packets, std::uint64_t bytes, bool accept);
  void kill_conn(std::uint32_t c, std::string_view reason);
  void conn_traffic(std::uint32_t c, std::uint64_t out, std::uint64_t in);
  void schedule_keepalive(std::uint32_t c);
  bool reachable_aws_service(Serial inst, std::string_view service);
  void flush_flow_logs(bool all);
  void schedule_flow_flush();
  struct FlowKey {
    Serial eni;
    IpAddr src, dst;
    std::uint16_t sport, dport;
    std::uint8_t proto;
    bool accept;
    auto operator<=>(const FlowKey&) const = default;
  };
  struct FlowAgg {
    std::uint64_t packets = 0, bytes = 0;
    TimePoint start{}, end{};
  };
  std::map<FlowKey, FlowAgg> flow_window;
  TimePoint flow_window_start{};
  bool flow_flush_scheduled = false;

  // ---- logs (trail.cpp, guardduty.cpp) ----
  void emit_record(std::uint16_t recipient, std::string_view region, std::string_view record_json,
                   const RecordMeta& meta, bool management, bool read_only, bool data_event,
                   std::string_view event_source, std::string_view resource_arn);
  void deliver_trail(std::uint32_t trail, bool all);
  void schedule_trail(std::uint32_t trail);
  void deliver_file(DeliveredFile file);
  void publish_eventbridge(std::uint16_t account, std::string_view region,
                           std::string_view envelope);
  void guardduty_observe_call(const Caller& caller, std::uint16_t scope, std::string_view service,
                              std::string_view op, bool ok, std::string_view request_summary);
  void guardduty_observe_connection(std::uint32_t conn);
  void guardduty_report(std::uint16_t account, std::string_view region, std::string type,
                        std::string key, std::function<Json()> build, TimePoint seen);
  void guardduty_export(bool all);
  DetectorRec* detector(std::uint16_t account, std::string_view region);
  std::optional<std::string> threat_category(const IpAddr& ip) const;

  // ---- Auto Scaling and load balancers (asg_elb.cpp) ----
  void asg_instance_changed(Serial inst);
  void asg_reconcile(std::uint32_t asg);
  void asg_launch(std::uint32_t asg);
  void lb_deregister(std::uint32_t asg, Serial inst);
  void lb_register(std::uint32_t asg, Serial inst);

  // ---- S3 internals used by other services ----
  Status s3_put_internal(const Caller& caller, const std::string& bucket, const std::string& key,
                         std::shared_ptr<LazyBody> lazy, std::string body,
                         std::string content_type);
  void ensure_bucket(std::uint16_t account, const std::string& name, const std::string& region);
};

// Memory of an instance type in MiB (4096 for types the table does not know).
std::uint64_t memory_for_type(std::string_view type);
bool is_known_region(std::string_view region);
std::string md5_hex(std::string_view data);

// Aborts (in debug and release) on an impossible state: used for invariants only.
[[noreturn]] void sim_bug(std::string_view what);

}  // namespace firebreak::cloud::sim
