#include "firebreak/event/entities.h"

#include <algorithm>
#include <array>

namespace firebreak::event {

namespace {

constexpr std::array<std::string_view, 11> kKindNames = {
    "principal",         "iam-user",       "iam-role", "access-key", "ip",    "instance",
    "network-interface", "security-group", "bucket",   "snapshot",   "volume"};

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// "<prefix><8 or 17 lower-case hex digits>", the shape of EC2 ids.
bool ec2_id(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  const auto rest = s.substr(prefix.size());
  return (rest.size() == 8 || rest.size() == 17) && is_hex(rest);
}

bool access_key(std::string_view s) {
  if (s.size() != 20 || !(s.starts_with("AKIA") || s.starts_with("ASIA"))) return false;
  return std::all_of(s.begin() + 4, s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::string iam_arn(std::string_view partition, std::string_view account, std::string_view type,
                    std::string_view name) {
  std::string out = "arn:";
  out += partition.empty() ? "aws" : partition;
  out += ":iam::";
  out += account;
  out += ':';
  out += type;
  out += '/';
  out += name;
  return out;
}

std::optional<Entity> classify_arn(std::string_view arn) {
  // arn:partition:service:region:account:resource (the resource may contain ':' and '/').
  std::array<std::string_view, 5> part;
  std::size_t pos = 4;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto c = arn.find(':', pos);
    if (c == std::string_view::npos) return std::nullopt;
    part[i] = arn.substr(pos, c - pos);
    pos = c + 1;
  }
  part[4] = arn.substr(pos);
  const auto partition = part[0], service = part[1], account = part[3], resource = part[4];
  if (resource.empty()) return std::nullopt;
  auto last_segment = [](std::string_view r) { return r.substr(r.rfind('/') + 1); };
  if (service == "iam") {
    if (resource.starts_with("user/") && !last_segment(resource).empty()) {
      return Entity{EntityKind::kIamUser,
                    iam_arn(partition, account, "user", last_segment(resource))};
    }
    if (resource.starts_with("role/") && !last_segment(resource).empty()) {
      return Entity{EntityKind::kIamRole,
                    iam_arn(partition, account, "role", last_segment(resource))};
    }
    return std::nullopt;
  }
  if (service == "sts" && resource.starts_with("assumed-role/")) {
    auto rest = resource.substr(13);
    const auto role = rest.substr(0, rest.find('/'));
    if (role.empty()) return std::nullopt;
    return Entity{EntityKind::kIamRole, iam_arn(partition, account, "role", role)};
  }
  if (service == "s3" && account.empty() && part[2].empty()) {
    const auto bucket = resource.substr(0, resource.find('/'));
    if (bucket.empty()) return std::nullopt;
    return Entity{EntityKind::kBucket, std::string(bucket)};
  }
  if (service == "ec2") {
    const auto slash = resource.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto e = classify_id(resource.substr(slash + 1));
    if (e && e->kind != EntityKind::kAccessKey) return e;
  }
  return std::nullopt;
}

std::optional<Value> child(Value v, std::string_view key) {
  if (auto m = v.member(key)) return m;
  // The twin spelling (first letter's case flipped), built on the stack: a missing key is the
  // common case for optional fields and this runs for every event with a finding.
  std::array<char, 64> twin;
  if (key.empty() || key.size() > twin.size()) return std::nullopt;
  const char c = key[0];
  if (c >= 'a' && c <= 'z')
    twin[0] = static_cast<char>(c - 'a' + 'A');
  else if (c >= 'A' && c <= 'Z')
    twin[0] = static_cast<char>(c - 'A' + 'a');
  else
    return std::nullopt;
  std::copy(key.begin() + 1, key.end(), twin.begin() + 1);
  return v.member(std::string_view(twin.data(), key.size()));
}

std::optional<Value> path(Value v, std::initializer_list<std::string_view> keys) {
  std::optional<Value> cur = v;
  for (auto k : keys) {
    cur = child(*cur, k);
    if (!cur) return std::nullopt;
  }
  return cur;
}

std::string str(Value v, std::initializer_list<std::string_view> keys) {
  auto p = path(v, keys);
  if (!p) return {};
  return std::string(p->string().value_or(std::string_view{}));
}

bool key_is(std::string_view key, std::string_view camel) {
  if (key.size() != camel.size() || key.empty()) return false;
  const char a = key[0], b = camel[0];
  const bool first = a == b || (a ^ 0x20) == b;
  return first && key.substr(1) == camel.substr(1);
}

struct Collector {
  std::vector<Entity> out;
  std::string account;
  std::string partition = "aws";
  bool iam_call = false;  // userName / roleName name IAM users and roles
  std::size_t budget = 4096;

  void add(EntityKind k, std::string id) {
    if (!id.empty()) out.push_back(Entity{k, std::move(id)});
  }
  void add_id(std::string_view s) {
    if (auto e = classify_id(s)) out.push_back(std::move(*e));
  }
  void add_ip(std::string_view s) {
    if (is_ip_address(s)) add(EntityKind::kIpAddress, std::string(s));
  }

  void on_string(std::string_view key, std::string_view s) {
    if (s.size() > 2048) return;
    if (key_is(key, "bucketName")) {
      add(EntityKind::kBucket, std::string(s));
      return;
    }
    if (iam_call && key_is(key, "userName") && s.find('/') == std::string_view::npos) {
      add(EntityKind::kIamUser, iam_arn(partition, account, "user", s));
      return;
    }
    if (iam_call && key_is(key, "roleName") && s.find('/') == std::string_view::npos) {
      add(EntityKind::kIamRole, iam_arn(partition, account, "role", s));
      return;
    }
    if (key_is(key, "ipAddressV4") || key_is(key, "ipAddressV6") || key_is(key, "sourceIpV4") ||
        key_is(key, "sourceIpV6")) {
      add_ip(s);
      return;
    }
    if (s.starts_with("AccessKeyId: ")) s.remove_prefix(13);  // ASFF AwsIamAccessKey Id
    add_id(s);
  }

  void walk(Value v, std::string_view key) {
    if (budget == 0) return;
    --budget;
    switch (v.kind()) {
      case Value::Kind::kString: on_string(key, *v.string()); break;
      case Value::Kind::kObject:
        v.for_each_member([&](std::string_view k, Value c) { walk(c, k); });
        break;
      case Value::Kind::kArray: v.for_each_element([&](Value c) { walk(c, key); }); break;
      default: break;
    }
  }
};

// The remote IP of a GuardDuty finding's action, whichever action type it is.
std::string guardduty_remote_ip(Value root) {
  auto action = path(root, {"service", "action"});
  if (!action) return {};
  for (auto kind : {"awsApiCallAction", "networkConnectionAction", "kubernetesApiCallAction",
                    "rdsLoginAttemptAction"}) {
    auto ip = str(*action, {kind, "remoteIpDetails", "ipAddressV4"});
    if (!ip.empty()) return ip;
  }
  std::string first;
  if (auto details = path(*action, {"portProbeAction", "portProbeDetails"})) {
    details->for_each_element([&](Value d) {
      if (first.empty()) first = str(d, {"remoteIpDetails", "ipAddressV4"});
    });
  }
  return first;
}

std::string principal_from(std::string_view partition, std::string_view account,
                           std::string_view type, std::string_view name) {
  if (type == "Root")
    return "arn:" + std::string(partition) + ":iam::" + std::string(account) + ":root";
  if (name.empty()) return {};
  if (type == "IAMUser") return iam_arn(partition, account, "user", name);
  if (type == "AssumedRole" || type == "Role") return iam_arn(partition, account, "role", name);
  return {};
}

std::string partition_of(const Event& e) {
  // GuardDuty says it ("partition", or capitalised); ASFF says "Partition"; default "aws".
  auto p = e.root().member(e.source() == SourceKind::kGuardDuty ? "partition" : "Partition");
  if (!p && e.source() == SourceKind::kGuardDuty) p = e.root().member("Partition");
  if (p && p->string() && !p->string()->empty()) return std::string(*p->string());
  return "aws";
}

}  // namespace

std::string_view to_string(EntityKind kind) noexcept {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<EntityKind> parse_entity_kind(std::string_view text) noexcept {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == text) return static_cast<EntityKind>(i);
  }
  return std::nullopt;
}

std::string Entity::text() const { return std::string(to_string(kind)) + ":" + id; }

bool is_ip_address(std::string_view s) noexcept {
  if (s.empty() || s.size() > 45) return false;
  if (s.find(':') != std::string_view::npos) {
    std::size_t colons = 0;
    for (char c : s) {
      if (c == ':') {
        ++colons;
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                   c == '.')) {
        return false;
      }
    }
    return colons >= 2;
  }
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = i;
    int value = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - i < 3)
      value = value * 10 + (s[j++] - '0');
    if (j == i || value > 255) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

std::optional<Entity> classify_id(std::string_view s) {
  if (s.starts_with("arn:")) return classify_arn(s);
  if (ec2_id(s, "i-")) return Entity{EntityKind::kInstance, std::string(s)};
  if (ec2_id(s, "eni-")) return Entity{EntityKind::kNetworkInterface, std::string(s)};
  if (ec2_id(s, "sg-")) return Entity{EntityKind::kSecurityGroup, std::string(s)};
  if (ec2_id(s, "snap-")) return Entity{EntityKind::kSnapshot, std::string(s)};
  if (ec2_id(s, "vol-")) return Entity{EntityKind::kVolume, std::string(s)};
  if (access_key(s)) return Entity{EntityKind::kAccessKey, std::string(s)};
  return std::nullopt;
}

Actor actor(const Event& e) {
  Actor a;
  const Value root = e.root();
  if (root.handle().doc == nullptr) return a;
  switch (e.source()) {
    case SourceKind::kCloudTrail:
      if (auto identity = child(root, "userIdentity")) {  // looked up once for its three fields
        a.principal_arn = str(*identity, {"arn"});
        a.principal_type = str(*identity, {"type"});
        a.access_key_id = str(*identity, {"accessKeyId"});
      }
      a.source_ip = str(root, {"sourceIPAddress"});
      a.user_agent = str(root, {"userAgent"});
      break;
    case SourceKind::kGuardDuty: {
      a.access_key_id = str(root, {"resource", "accessKeyDetails", "accessKeyId"});
      a.principal_type = str(root, {"resource", "accessKeyDetails", "userType"});
      a.principal_arn = principal_from(partition_of(e), e.account(), a.principal_type,
                                       str(root, {"resource", "accessKeyDetails", "userName"}));
      a.source_ip = guardduty_remote_ip(root);
      a.user_agent = str(root, {"service", "action", "awsApiCallAction", "userAgent"});
      break;
    }
    case SourceKind::kSecurityHub: {
      if (auto res = root.member("Resources")) {
        res->for_each_element([&](Value r) {
          if (str(r, {"Type"}) != "AwsIamAccessKey" || !a.access_key_id.empty()) return;
          std::string id = str(r, {"Id"});
          if (id.starts_with("AccessKeyId: ")) id.erase(0, 13);
          a.access_key_id = id;
          a.principal_type = str(r, {"Details", "AwsIamAccessKey", "PrincipalType"});
          a.principal_arn = principal_from(partition_of(e), e.account(), a.principal_type,
                                           str(r, {"Details", "AwsIamAccessKey", "PrincipalName"}));
        });
      }
      a.source_ip = str(root, {"Network", "SourceIpV4"});
      if (a.source_ip.empty()) {
        a.source_ip = str(root, {"Action", "AwsApiCallAction", "RemoteIpDetails", "IpAddressV4"});
      }
      if (a.source_ip.empty()) {
        a.source_ip =
            str(root, {"Action", "NetworkConnectionAction", "RemoteIpDetails", "IpAddressV4"});
      }
      break;
    }
    case SourceKind::kVpcFlow: a.source_ip = str(root, {"srcaddr"}); break;
  }
  return a;
}

std::string error_code(const Event& e) {
  const Value root = e.root();
  if (root.handle().doc == nullptr) return {};
  if (e.source() == SourceKind::kCloudTrail) return str(root, {"errorCode"});
  if (e.source() == SourceKind::kGuardDuty) {
    return str(root, {"service", "action", "awsApiCallAction", "errorCode"});
  }
  return {};
}

std::vector<Entity> entities(const Event& e) {
  Collector c;
  c.out.reserve(8);
  const Value root = e.root();
  if (root.handle().doc == nullptr) return {};
  c.account = std::string(e.account());
  c.partition = partition_of(e);
  const Actor a = actor(e);
  if (!a.principal_arn.empty()) {
    c.add(EntityKind::kPrincipal, a.principal_arn);
    c.add_id(a.principal_arn);
  }
  if (!a.access_key_id.empty()) c.add_id(a.access_key_id);
  c.add_ip(a.source_ip);
  switch (e.source()) {
    case SourceKind::kCloudTrail: {
      c.iam_call = e.service() == "iam.amazonaws.com";
      if (auto arn = path(root, {"userIdentity", "sessionContext", "sessionIssuer", "arn"})) {
        if (auto s = arn->string()) c.add_id(*s);
      }
      for (auto key : {"requestParameters", "responseElements", "resources"}) {
        if (auto v = root.member(key)) c.walk(*v, key);
      }
      break;
    }
    case SourceKind::kGuardDuty: {
      if (auto res = child(root, "resource")) {
        c.walk(*res, "resource");
        if (auto buckets = child(*res, "s3BucketDetails")) {
          buckets->for_each_element([&](Value b) {
            const auto name = str(b, {"name"});
            if (!name.empty()) c.add(EntityKind::kBucket, name);
          });
        }
      }
      if (auto action = path(root, {"service", "action"})) c.walk(*action, "action");
      break;
    }
    case SourceKind::kSecurityHub: {
      for (auto key : {"Resources", "Network", "Action"}) {
        if (auto v = root.member(key)) c.walk(*v, key);
      }
      break;
    }
    case SourceKind::kVpcFlow: {
      c.add_id(str(root, {"interface-id"}));
      c.add_id(str(root, {"instance-id"}));
      c.add_ip(str(root, {"srcaddr"}));
      c.add_ip(str(root, {"dstaddr"}));
      break;
    }
  }
  std::sort(c.out.begin(), c.out.end());
  c.out.erase(std::unique(c.out.begin(), c.out.end()), c.out.end());
  return std::move(c.out);
}

}  // namespace firebreak::event
