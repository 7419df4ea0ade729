// GuardDuty in the simulator: findings generated from what happens in the world (connections to
// listed command-and-control or mining addresses, instance-role credentials used from elsewhere,
// logging disabled, buckets opened, calls from listed or penetration-testing sources), in the
// API's JSON shape, published to EventBridge and exported to S3; and the GuardDuty API.
#include <fmt/format.h>

#include <algorithm>

#include "ec2_util.h"
#include "firebreak/core/hash.h"
#include "session.h"

namespace firebreak::cloud::sim {

std::string gzip_bytes(std::string_view data);
std::string date_path(TimePoint t);

namespace {

std::string iso_ms(TimePoint t) { return format_iso8601(t, TimePrecision::kMillis); }

Json remote_ip_details(const std::string& ip) {
  return Json{{"ipAddressV4", ip},
              {"organization",
               {{"asn", "-1"}, {"asnOrg", "Unknown"}, {"isp", "Unknown"}, {"org", "Unknown"}}},
              {"country", {{"countryName", "Unknown"}}},
              {"city", {{"cityName", "Unknown"}}},
              {"geoLocation", {{"lat", 0.0}, {"lon", 0.0}}}};
}

Json instance_details(const World::State& s, Serial i) {
  const auto inst = to_instance(s, i);
  Json enis = Json::array();
  for (const auto& n : inst.network_interfaces) {
    Json groups = Json::array();
    for (const auto& g : n.groups)
      groups.push_back({{"groupId", g.group_id}, {"groupName", g.group_name}});
    Json e{{"networkInterfaceId", n.network_interface_id},
           {"privateIpAddress", n.private_ip},
           {"privateDnsName", fmt::format("ip-{}.ec2.internal",
                                          [&] {
                                            std::string x = n.private_ip;
                                            std::replace(x.begin(), x.end(), '.', '-');
                                            return x;
                                          }())},
           {"privateIpAddresses", Json::array({{{"privateIpAddress", n.private_ip}}})},
           {"securityGroups", groups},
           {"subnetId", n.subnet_id},
           {"vpcId", n.vpc_id},
           {"ipv6Addresses", n.ipv6_addresses}};
    if (!n.public_ip.empty()) e["publicIp"] = n.public_ip;
    enis.push_back(std::move(e));
  }
  Json tags = Json::array();
  for (const auto& t : inst.tags) tags.push_back({{"key", t.key}, {"value", t.value}});
  Json d{{"instanceId", inst.instance_id},
         {"instanceType", inst.instance_type},
         {"launchTime", iso_ms(inst.launch_time)},
         {"productCodes", Json::array()},
         {"networkInterfaces", enis},
         {"tags", tags},
         {"instanceState", inst.state},
         {"availabilityZone", inst.availability_zone},
         {"imageId", inst.image_id},
         {"imageDescription", "Amazon Linux 2023 AMI"}};
  if (!inst.iam_instance_profile_arn.empty()) {
    const auto& in = s.instances[i];
    const auto& p =
        s.accounts[s.scopes[in.scope].account].iam.profiles[s.iip_assocs[in.iip_assoc].profile];
    d["iamInstanceProfile"] = {{"arn", inst.iam_instance_profile_arn}, {"id", p.id}};
  }
  return Json{{"resourceType", "Instance"}, {"instanceDetails", d}};
}

Json access_key_details(const World::State& s, const Caller& c) {
  Json d{{"accessKeyId", c.access_key_id}};
  switch (c.kind) {
    case CallerKind::kUser:
      d["principalId"] = s.accounts[c.account].iam.users[c.index].id;
      d["userName"] = s.accounts[c.account].iam.users[c.index].name;
      d["userType"] = "IAMUser";
      break;
    case CallerKind::kRole: {
      const auto& ses = s.sessions[c.index];
      const auto& r = s.accounts[ses.account].iam.roles[ses.role];
      d["principalId"] = fmt::format("{}:{}", r.id, ses.name);
      d["userName"] = r.name;
      d["userType"] = "AssumedRole";
      break;
    }
    case CallerKind::kRoot:
      d["principalId"] = s.accounts[c.account].id;
      d["userName"] = "Root";
      d["userType"] = "Root";
      break;
    default: break;
  }
  return Json{{"resourceType", "AccessKey"}, {"accessKeyDetails", d}};
}

Json api_action(std::string_view service, std::string_view api, const std::string& ip) {
  return Json{{"actionType", "AWS_API_CALL"},
              {"awsApiCallAction",
               {{"api", api},
                {"callerType", "Remote IP"},
                {"remoteIpDetails", remote_ip_details(ip)},
                {"serviceName", fmt::format("{}.amazonaws.com", service)},
                {"affectedResources", Json::object()}}}};
}

struct TypeInfo {
  std::string_view type;
  double severity;
  std::string_view title;
};

const TypeInfo& type_info(std::string_view type) {
  static const TypeInfo kTypes[] = {
      {"Backdoor:EC2/C&CActivity.B", 8, "Command and Control server IP queried."},
      {"CryptoCurrency:EC2/BitcoinTool.B", 8, "Bitcoin-related IP address queried."},
      {"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", 5,
       "Connection with an IP address on a custom threat list."},
      {"UnauthorizedAccess:EC2/TorClient", 8, "EC2 instance communicating with Tor network."},
      {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", 8,
       "Credentials for instance role used from an external IP address."},
      {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", 8,
       "Credentials for instance role used from a remote AWS account."},
      {"Stealth:IAMUser/CloudTrailLoggingDisabled", 2, "AWS CloudTrail trail was disabled."},
      {"Policy:S3/BucketAnonymousAccessGranted", 8,
       "Amazon S3 bucket was made accessible to anonymous users."},
      {"Policy:S3/BucketBlockPublicAccessDisabled", 2,
       "Amazon S3 Block Public Access was disabled for a bucket."},
      {"PenTest:IAMUser/KaliLinux", 5, "An API was invoked from a Kali Linux computer."},
      {"Recon:IAMUser/MaliciousIPCaller.Custom", 5,
       "A reconnaissance API was invoked from an IP address on a custom threat list."},
      {"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", 5,
       "An API was invoked from an IP address on a custom threat list."},
      {"Policy:IAMUser/RootCredentialUsage", 2, "An API was invoked using root credentials."},
  };
  for (const auto& t : kTypes) {
    if (t.type == type) return t;
  }
  return kTypes[0];
}

std::string bucket_of(std::string_view params) {
  const auto pos = params.find("\"bucketName\":\"");
  if (pos == std::string_view::npos) return {};
  const auto start = pos + 14;
  const auto end = params.find('"', start);
  return std::string(params.substr(start, end - start));
}

}  // namespace

DetectorRec* World::State::detector(std::uint16_t acct, std::string_view region) {
  for (auto& d : detectors) {
    if (d.account == acct && d.region == region && !d.deleted) return &d;
  }
  return nullptr;
}

std::optional<std::string> World::State::threat_category(const IpAddr& ip) const {
  for (const auto& [cat, cidr] : threat_ips) {
    if (cidr.contains(ip)) return cat;
  }
  return std::nullopt;
}

void World::State::guardduty_report(std::uint16_t acct, std::string_view region, std::string type,
                                    std::string key, std::function<Json()> build, TimePoint seen) {
  DetectorRec* det = detector(acct, region);
  if (det == nullptr || !det->enabled) return;
  if (auto it = det->by_key.find(key); it != det->by_key.end()) {
    auto& f = det->findings[it->second];
    if (f.json.is_null()) return;  // still being created
    f.json["service"]["count"] = f.json["service"]["count"].get<int>() + 1;
    f.json["service"]["eventLastSeen"] = iso_ms(seen);
    f.json["updatedAt"] = iso_ms(now_);
    f.updated = now_;
    f.exported = false;
    return;
  }
  const auto idx = static_cast<std::uint32_t>(det->findings.size());
  FindingRec rec;
  rec.id = ids.hex(32);
  rec.type = type;
  rec.key = key;
  det->by_key[key] = idx;
  det->findings.push_back(std::move(rec));
  Json body = build();
  const std::uint16_t a = acct;
  const std::string reg(region);
  after(options.guardduty_latency,
        [this, a, reg, idx, body = std::move(body), seen, type]() mutable {
          DetectorRec* d = detector(a, reg);
          if (d == nullptr || idx >= d->findings.size()) return;
          auto& f = d->findings[idx];
          const auto& info = type_info(type);
          Json j{{"accountId", accounts[a].id},
                 {"arn", fmt::format("arn:aws:guardduty:{}:{}:detector/{}/finding/{}", reg,
                                     accounts[a].id, d->id, f.id)},
                 {"createdAt", iso_ms(now_)},
                 {"description", body.value("description", std::string(info.title))},
                 {"id", f.id},
                 {"partition", "aws"},
                 {"region", reg},
                 {"resource", body["resource"]},
                 {"schemaVersion", "2.0"},
                 {"service",
                  {{"action", body["action"]},
                   {"archived", false},
                   {"count", 1},
                   {"detectorId", d->id},
                   {"eventFirstSeen", iso_ms(seen)},
                   {"eventLastSeen", iso_ms(seen)},
                   {"resourceRole", body.value("resourceRole", std::string("TARGET"))},
                   {"serviceName", "guardduty"},
                   {"additionalInfo", {{"value", "{}"}, {"type", "default"}}}}},
                 {"severity", info.severity},
                 {"title", std::string(info.title)},
                 {"type", type},
                 {"updatedAt", iso_ms(now_)}};
          if (body.contains("evidence")) j["service"]["evidence"] = body["evidence"];
          f.json = std::move(j);
          f.created = f.updated = now_;
          std::string env =
              R"({"version":"0","id":")" + uuid() +
              R"(","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":")" +
              accounts[a].id + R"(","time":")" + format_iso8601(now_) + R"(","region":")" + reg +
              R"(","resources":[],"detail":)" + dump_json(f.json) + "}";
          publish_eventbridge(a, reg, std::move(env));
        });
}

void World::State::guardduty_export(bool all) {
  (void)all;
  for (auto& d : detectors) {
    std::string body;
    std::size_t n = 0;
    for (auto& f : d.findings) {
      if (f.exported || f.json.is_null()) continue;
      body += dump_json(f.json);
      body += '\n';
      f.exported = true;
      ++n;
    }
    if (n == 0) continue;
    DeliveredFile file;
    file.kind = "guardduty";
    file.account = accounts[d.account].id;
    file.region = d.region;
    file.bucket = d.export_bucket;
    file.key = fmt::format("AWSLogs/{}/GuardDuty/{}/{}/{}.jsonl.gz", file.account, d.region,
                           date_path(now_), uuid());
    file.bytes = gzip_bytes(body);
    file.records = n;
    file.delivered = now_;
    deliver_file(std::move(file));
  }
}

void World::State::guardduty_observe_connection(std::uint32_t ci) {
  const auto& c = conns[ci];
  auto cat = threat_category(c.remote);
  if (!cat) return;
  const auto& eni = enis[c.eni];
  if (eni.instance == kNoSerial) return;
  const Serial inst = eni.instance;
  const auto scope = instances[inst].scope;
  std::string type;
  if (*cat == "c2")
    type = "Backdoor:EC2/C&CActivity.B";
  else if (*cat == "mining")
    type = "CryptoCurrency:EC2/BitcoinTool.B";
  else if (*cat == "tor")
    type = "UnauthorizedAccess:EC2/TorClient";
  else
    type = "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom";
  const std::string remote = format_ip(c.remote);
  const std::string key = fmt::format("{}|{}|{}", type, id(Kind::kInstance, inst), remote);
  const bool outbound = c.dir == Direction::kOutbound;
  const int rport = c.remote_port, lport = c.local_port;
  const std::string local = format_ip(c.local);
  const std::string proto = c.proto == 6 ? "TCP" : c.proto == 17 ? "UDP" : "ICMP";
  guardduty_report(
      scopes[scope].account, scopes[scope].region, type, key,
      [this, inst, remote, outbound, rport, lport, local, proto, type] {
        Json action{{"actionType", "NETWORK_CONNECTION"},
                    {"networkConnectionAction",
                     {{"connectionDirection", outbound ? "OUTBOUND" : "INBOUND"},
                      {"remoteIpDetails", remote_ip_details(remote)},
                      {"remotePortDetails", {{"port", rport}, {"portName", "Unknown"}}},
                      {"localPortDetails", {{"port", lport}, {"portName", "Unknown"}}},
                      {"localIpDetails", {{"ipAddressV4", local}}},
                      {"protocol", proto},
                      {"blocked", false}}}};
        return Json{{"resource", instance_details(*this, inst)},
                    {"action", action},
                    {"description", fmt::format("EC2 instance {} is communicating with "
                                                "{} ({}).",
                                                id(Kind::kInstance, inst), remote, type)}};
      },
      now_);
}

void World::State::guardduty_observe_call(const Caller& caller, std::uint16_t scope,
                                          std::string_view service, std::string_view op, bool ok,
                                          std::string_view params) {
  if (detectors.empty()) return;
  if (caller.kind == CallerKind::kService || caller.kind == CallerKind::kAnonymous) return;
  const auto acct = caller.account;
  const std::string region = scopes[scope].region;
  const std::string ip = caller.source_ip;
  const std::string svc(service), api(op);
  auto report = [&](std::string type, std::string key, Json resource, std::string role = "TARGET") {
    guardduty_report(
        acct, region, type, std::move(key),
        [resource = std::move(resource), svc, api, ip, role] {
          return Json{
              {"resource", resource}, {"action", api_action(svc, api, ip)}, {"resourceRole", role}};
        },
        now_);
  };
  // Instance-role credentials used from somewhere else than their instance.
  if (caller.kind == CallerKind::kRole) {
    const auto& ses = sessions[caller.index];
    if (ses.instance != kNoSerial) {
      const auto& in = instances[ses.instance];
      bool from_instance = false;
      auto src = parse_ip(ip);
      for (auto e : in.enis) {
        if (src && !src->v6 &&
            (src->v4_value() == enis[e].private_ip || src->v4_value() == eni_public_ip(e)))
          from_instance = true;
      }
      if (ip.find("amazonaws.com") != std::string::npos) from_instance = true;
      if (!from_instance) {
        bool inside = false;
        if (src && !src->v6) {
          auto it = eni_by_public_ip.find(src->v4_value());
          if (it != eni_by_public_ip.end() && it->second != kNoSerial &&
              scopes[enis[it->second].scope].account != scopes[in.scope].account)
            inside = true;
        }
        const std::string type =
            inside ? "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS"
                   : "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS";
        report(type, fmt::format("{}|{}", type, caller.access_key_id),
               access_key_details(*this, caller));
      }
    }
  }
  if (caller.kind == CallerKind::kRoot && ok)
    report("Policy:IAMUser/RootCredentialUsage", fmt::format("root|{}", api),
           access_key_details(*this, caller));
  const auto& ua = caller.user_agent;
  if (ua.find("kali") != std::string::npos || ua.find("Kali") != std::string::npos)
    report("PenTest:IAMUser/KaliLinux", fmt::format("kali|{}", caller.access_key_id),
           access_key_details(*this, caller), "ACTOR");
  if (auto src = parse_ip(ip)) {
    if (threat_category(*src)) {
      const bool read = is_read_only_operation(op);
      const std::string type = read ? "Recon:IAMUser/MaliciousIPCaller.Custom"
                                    : "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom";
      report(type, fmt::format("{}|{}|{}", type, caller.access_key_id, ip),
             access_key_details(*this, caller), "ACTOR");
    }
  }
  if (!ok) return;
  if (service == "cloudtrail" && (op == "StopLogging" || op == "DeleteTrail"))
    report("Stealth:IAMUser/CloudTrailLoggingDisabled",
           fmt::format("ctdisabled|{}|{}", caller.access_key_id, api),
           access_key_details(*this, caller));
  if (service == "s3") {
    const std::string bucket = bucket_of(params);
    auto it = buckets.find(bucket);
    if (it == buckets.end()) return;
    const auto& b = it->second;
    Json res{{"resourceType", "S3Bucket"},
             {"s3BucketDetails",
              Json::array({{{"arn", "arn:aws:s3:::" + bucket},
                            {"name", bucket},
                            {"type", "Destination"},
                            {"createdAt", iso_ms(b.created)},
                            {"owner", {{"id", sha256_hex("canonical:" + accounts[b.account].id)}}},
                            {"tags", Json::array()}}})},
             {"accessKeyDetails", access_key_details(*this, caller)["accessKeyDetails"]}};
    if (op == "DeleteBucketPublicAccessBlock" ||
        (op == "PutBucketPublicAccessBlock" && b.pab && !b.pab->block_public_policy &&
         !b.pab->block_public_acls))
      report("Policy:S3/BucketBlockPublicAccessDisabled", fmt::format("bpa|{}", bucket), res);
    const bool public_policy = b.policy && b.policy->parsed->grants_public_access();
    const bool public_acl = std::any_of(b.acl.begin(), b.acl.end(), [](const Grant& g) {
      return g.grantee.ends_with("/global/AllUsers");
    });
    if ((op == "PutBucketPolicy" && public_policy) || (op == "PutBucketAcl" && public_acl))
      report("Policy:S3/BucketAnonymousAccessGranted", fmt::format("anon|{}", bucket), res);
  }
}

// ---------------------------------------------------------------------------------------------
// World API

namespace {

void arm_guardduty_export(World::State& w) {
  w.after(w.options.guardduty_export_interval, [&w] {
    w.guardduty_export(false);
    arm_guardduty_export(w);
  });
}

}  // namespace

Result<std::string> World::add_detector(const std::string& account, const std::string& region,
                                        const std::string& export_bucket) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  const std::string reg = region.empty() ? s.accounts[*a].regions.front() : region;
  if (s.detector(*a, reg))
    return fail(ErrorCode::kAlreadyExists,
                fmt::format("{} already has a detector in {}", account, reg));
  DetectorRec d;
  d.account = *a;
  d.region = reg;
  d.id = s.ids.hex(32);
  d.export_bucket = export_bucket;
  if (!export_bucket.empty()) s.ensure_bucket(*a, export_bucket, reg);
  s.detectors.push_back(std::move(d));
  const bool first = s.detectors.size() == 1;
  if (first) arm_guardduty_export(s);  // exports run on a fixed cadence for every detector
  return s.detectors.back().id;
}

std::vector<Json> World::findings(const std::string& account) const {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  std::vector<Json> out;
  auto a = s.account(account);
  if (!a) return out;
  for (const auto& d : s.detectors) {
    if (d.account != *a) continue;
    for (const auto& f : d.findings)
      if (!f.json.is_null()) out.push_back(f.json);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// GuardDuty API

namespace {

Result<DetectorRec*> need_detector(Call& c, const std::string& id) {
  for (auto& d : c.s.detectors) {
    if (!d.deleted && d.id == id && d.account == c.account() && d.region == c.session_region())
      return &d;
  }
  return c.invalid("BadRequestException",
                   "The request is rejected because the input detectorId is not owned by the "
                   "current account.");
}

const Json* json_path(const Json& j, std::string_view path) {
  const Json* cur = &j;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const auto dot = path.find('.', pos);
    const std::string key(
        path.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos));
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return cur;
}

std::string as_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return dump_json(v);
}

bool criteria_match(const Json& finding, const Json& criteria) {
  if (!criteria.is_object() || !criteria.contains("criterion")) return true;
  for (const auto& [field, cond] : criteria["criterion"].items()) {
    const Json* v = json_path(finding, field);
    if (!cond.is_object()) continue;
    for (const auto& [op, arg] : cond.items()) {
      if (op == "eq" || op == "equals" || op == "neq" || op == "notEquals") {
        const bool neg = op == "neq" || op == "notEquals";
        bool hit = false;
        if (v != nullptr && arg.is_array())
          for (const auto& a : arg) hit = hit || as_text(a) == as_text(*v);
        if (neg ? hit : !hit) return false;
      } else if (op == "gt" || op == "gte" || op == "lt" || op == "lte" || op == "greaterThan" ||
                 op == "greaterThanOrEqual" || op == "lessThan" || op == "lessThanOrEqual") {
        if (v == nullptr || !v->is_number() || !arg.is_number()) return false;
        const double a = v->get<double>(), b = arg.get<double>();
        if ((op == "gt" || op == "greaterThan") && !(a > b)) return false;
        if ((op == "gte" || op == "greaterThanOrEqual") && !(a >= b)) return false;
        if ((op == "lt" || op == "lessThan") && !(a < b)) return false;
        if ((op == "lte" || op == "lessThanOrEqual") && !(a <= b)) return false;
      }
    }
  }
  return true;
}

}  // namespace

Result<std::vector<std::string>> SimGuardDuty::list_detectors() {
  SIM_OP("guardduty", "ListDetectors");
  return s_.run<Result<std::vector<std::string>>>(
      kOp, [&](Call& c) -> Result<std::vector<std::string>> {
        FIREBREAK_TRY_STATUS(c.authorize());
        std::vector<std::string> out;
        if (auto* d = c.s.detector(c.account(), c.session_region())) out.push_back(d->id);
        return out;
      });
}

Result<std::string> SimGuardDuty::create_detector(bool enable) {
  SIM_OP("guardduty", "CreateDetector");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("enable", enable).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (c.s.detector(c.account(), c.session_region()))
      return c.invalid("BadRequestException",
                       "The request is rejected because a detector already exists for the current "
                       "account.");
    DetectorRec d;
    d.account = c.account();
    d.region = c.session_region();
    d.id = c.s.ids.hex(32);
    d.enabled = enable;
    c.s.detectors.push_back(d);
    c.response = R"({"detectorId":")" + d.id + "\"}";
    return d.id;
  });
}

Status SimGuardDuty::update_detector(const std::string& id, bool enable) {
  SIM_OP("guardduty", "UpdateDetector");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("detectorId", id).field("enable", enable).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY(auto d, need_detector(c, id));
    d->enabled = enable;
    return {};
  });
}

Status SimGuardDuty::delete_detector(const std::string& id) {
  SIM_OP("guardduty", "DeleteDetector");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("detectorId", id).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY(auto d, need_detector(c, id));
    d->deleted = true;
    return {};
  });
}

Result<std::vector<std::string>> SimGuardDuty::list_findings(const std::string& id,
                                                             const Json& criteria) {
  SIM_OP("guardduty", "ListFindings");
  return s_.run<Result<std::vector<std::string>>>(
      kOp, [&](Call& c) -> Result<std::vector<std::string>> {
        auto w = c.params_writer();
        w.begin_object().field("detectorId", id);
        if (!criteria.is_null()) w.key("findingCriteria").raw(dump_json(criteria));
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        FIREBREAK_TRY(auto d, need_detector(c, id));
        std::vector<std::string> out;
        for (const auto& f : d->findings) {
          if (f.json.is_null()) continue;
          if (criteria_match(f.json, criteria)) out.push_back(f.id);
        }
        return out;
      });
}

Result<std::vector<Json>> SimGuardDuty::get_findings(const std::string& id,
                                                     const std::vector<std::string>& ids) {
  SIM_OP("guardduty", "GetFindings");
  return s_.run<Result<std::vector<Json>>>(kOp, [&](Call& c) -> Result<std::vector<Json>> {
    auto w = c.params_writer();
    w.begin_object().field("detectorId", id).key("findingIds").begin_array();
    for (const auto& f : ids) w.value(f);
    w.end_array().end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY(auto d, need_detector(c, id));
    if (ids.size() > 50)
      return c.invalid("BadRequestException",
                       "The request is rejected because findingIds has more than 50 items.");
    std::vector<Json> out;
    for (const auto& fid : ids) {
      for (const auto& f : d->findings)
        if (f.id == fid && !f.json.is_null()) out.push_back(f.json);
    }
    return out;
  });
}

}  // namespace firebreak::cloud::sim
