#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "call.h"
#include "firebreak/core/fs.h"
#include "firebreak/core/log.h"
#include "firebreak/core/redact.h"
#include "state.h"

namespace firebreak::cloud::sim {

void install_aws_policies(std::map<std::string, ManagedPolicyRec>& out);

[[noreturn]] void sim_bug(std::string_view what) {
  std::fprintf(stderr, "firebreak simulator invariant violated: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

namespace {

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::string_view kKnownRegions[] = {
    "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",      "ca-central-1",
    "eu-west-1",      "eu-west-2",      "eu-west-3",      "eu-central-1",   "eu-central-2",
    "eu-north-1",     "eu-south-1",     "eu-south-2",     "ap-south-1",     "ap-south-2",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-east-1",      "sa-east-1",      "me-south-1",
    "me-central-1",   "af-south-1",     "il-central-1",   "ca-west-1"};

}  // namespace

std::uint64_t memory_for_type(std::string_view type) {
  struct T {
    std::string_view name;
    std::uint64_t mib;
  };
  static constexpr T kTypes[] = {
      {"t3.nano", 512},     {"t3.micro", 1024},    {"t3.small", 2048},   {"t3.medium", 4096},
      {"t3.large", 8192},   {"t3.xlarge", 16384},  {"t2.micro", 1024},   {"t2.small", 2048},
      {"t2.medium", 4096},  {"m5.large", 8192},    {"m5.xlarge", 16384}, {"m5.2xlarge", 32768},
      {"c5.large", 4096},   {"c5.xlarge", 8192},   {"r5.large", 16384},  {"r5.xlarge", 32768},
      {"p2.xlarge", 62464}, {"g4dn.xlarge", 16384}};
  for (const auto& t : kTypes) {
    if (t.name == type) return t.mib;
  }
  return 4096;
}

bool is_known_region(std::string_view r) {
  return std::find(std::begin(kKnownRegions), std::end(kKnownRegions), r) !=
         std::end(kKnownRegions);
}

// ---------------------------------------------------------------------------------------------
// State basics

World::State::State(WorldOptions o)
    : options(std::move(o)),
      ids(stream_seed(options.seed, 1)),
      events(stream_seed(options.seed, 2)),
      jitter(stream_seed(options.seed, 3)),
      codec(stream_seed(options.seed, 4)) {
  if (options.clock == nullptr) {
    own_clock = std::make_unique<SimClock>(options.start);
    clock = own_clock.get();
  } else {
    clock = options.clock;
    if (clock->now() < options.start) clock->set(options.start);
  }
  now_ = clock->now();
  install_aws_policies(aws_policies);
}

void World::State::at(TimePoint due, std::function<void()> fn) {
  timers.push(Timer{due, timer_seq++, std::move(fn)});
}

void World::State::catch_up() {
  if (in_catch_up) return;
  in_catch_up = true;
  const TimePoint target = clock->now();
  while (!timers.empty() && timers.top().due <= target) {
    // Moved out, not copied (a timer's closure may hold a record or an envelope): pop() only
    // compares due and seq, which a move leaves as they are.
    Timer t = std::move(const_cast<Timer&>(timers.top()));
    timers.pop();
    if (t.due > now_) now_ = t.due;
    t.fn();
  }
  if (target > now_) now_ = target;
  in_catch_up = false;
}

std::optional<std::uint16_t> World::State::account(std::string_view id) const {
  if (auto it = account_index.find(std::string(id)); it != account_index.end()) return it->second;
  return std::nullopt;
}

std::uint16_t World::State::scope_for(std::uint16_t acct, std::string_view region) {
  const auto key = std::make_pair(acct, std::string(region));
  if (auto it = scope_index.find(key); it != scope_index.end()) return it->second;
  Scope sc;
  sc.account = acct;
  sc.region = std::string(region);
  scopes.push_back(std::move(sc));
  const auto idx = static_cast<std::uint16_t>(scopes.size() - 1);
  scope_index.emplace(key, idx);
  return idx;
}

std::optional<Serial> World::State::find(Kind k, std::string_view text, std::uint16_t scope) const {
  auto s = codec.parse(k, text);
  if (!s) return std::nullopt;
  auto check = [&](const auto& table) -> std::optional<Serial> {
    if (*s >= table.size()) return std::nullopt;
    if (table[*s].scope != scope) return std::nullopt;
    return *s;
  };
  switch (k) {
    case Kind::kInstance: {
      auto r = check(instances);
      if (r && instances[*r].gone) return std::nullopt;
      return r;
    }
    case Kind::kEni: {
      auto r = check(enis);
      if (r && enis[*r].deleted) return std::nullopt;
      return r;
    }
    case Kind::kVolume: {
      auto r = check(volumes);
      if (r && volumes[*r].deleted) return std::nullopt;
      return r;
    }
    case Kind::kSnapshot: return check(snapshots);
    case Kind::kSg: {
      auto r = check(sgs);
      if (r && sgs[*r].deleted) return std::nullopt;
      return r;
    }
    case Kind::kVpc: return check(vpcs);
    case Kind::kSubnet: return check(subnets);
    case Kind::kNacl: return check(nacls);
    case Kind::kEipAlloc: {
      auto r = check(eips);
      if (r && eips[*r].released) return std::nullopt;
      return r;
    }
    case Kind::kIipAssoc: return check(iip_assocs);
    case Kind::kImage: return check(images);
    default: return std::nullopt;
  }
}

std::string World::State::iam_id(std::string_view prefix) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(prefix);
  for (int i = 0; i < 17; ++i) out += kAlphabet[ids.uniform(36)];
  return out;
}

std::string World::State::uuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint64_t a = events.next_u64(), b = events.next_u64();
  char buf[36];
  int pos = 0;
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) buf[pos++] = kHex[(v >> (i * 4)) & 0xf];
  };
  put(a >> 32, 8);
  buf[pos++] = '-';
  put(a >> 16, 4);
  buf[pos++] = '-';
  put(0x4000 | (a & 0x0fff), 4);
  buf[pos++] = '-';
  put(0x8000 | ((b >> 48) & 0x3fff), 4);
  buf[pos++] = '-';
  put(b, 12);
  return std::string(buf, 36);
}

// ---------------------------------------------------------------------------------------------
// Identity

std::string World::State::user_arn(std::uint16_t acct, std::uint32_t user) const {
  const auto& u = accounts[acct].iam.users[user];
  return fmt::format("arn:aws:iam::{}:user{}{}", accounts[acct].id, u.path, u.name);
}

std::string World::State::role_arn(std::uint16_t acct, std::uint32_t role) const {
  const auto& r = accounts[acct].iam.roles[role];
  return fmt::format("arn:aws:iam::{}:role{}{}", accounts[acct].id, r.path, r.name);
}

const ManagedPolicyRec* World::State::managed_policy(std::string_view arn) const {
  if (auto it = aws_policies.find(std::string(arn)); it != aws_policies.end()) return &it->second;
  // Customer policies: arn:aws:iam::<acct>:policy/<name>
  if (arn.size() > 25 && arn.starts_with("arn:aws:iam::")) {
    const auto acct = arn.substr(13, 12);
    if (auto a = account(acct)) {
      const auto& pol = accounts[*a].iam.policies;
      if (auto it = pol.find(std::string(arn)); it != pol.end()) return &it->second;
    }
  }
  return nullptr;
}

std::string World::State::new_access_key(std::uint16_t acct, std::uint32_t user,
                                         std::string_view prefix) {
  AccessKeyRec k;
  k.id = ids.access_key_id(prefix);
  while (credential_index.contains(k.id)) k.id = ids.access_key_id(prefix);
  k.secret = ids.secret_access_key();
  k.account = acct;
  k.user = user;
  k.created = now_;
  const auto idx = static_cast<std::uint32_t>(keys.size());
  credential_index.emplace(k.id, std::make_pair(false, idx));
  std::string id = k.id;
  keys.push_back(std::move(k));
  if (user != kRootUser) accounts[acct].iam.users[user].keys.push_back(id);
  return id;
}

void World::State::build_user_identity(std::uint16_t acct, std::uint32_t user) {
  auto& u = accounts[acct].iam.users[user];
  std::string j = R"({"type":"IAMUser","principalId":)";
  jstr(j, u.id);
  j += R"(,"arn":)";
  jstr(j, user_arn(acct, user));
  j += R"(,"accountId":)";
  jstr(j, accounts[acct].id);
  j += '}';
  u.identity_json = std::move(j);
}

void World::State::build_session_identity(std::uint32_t idx) {
  auto& ses = sessions[idx];
  const auto& acct = accounts[ses.account];
  const auto& role = acct.iam.roles[ses.role];
  std::string j = R"({"type":"AssumedRole","principalId":)";
  jstr(j, fmt::format("{}:{}", role.id, ses.name));
  j += R"(,"arn":)";
  jstr(j, fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", acct.id, role.name, ses.name));
  j += R"(,"accountId":)";
  jstr(j, acct.id);
  j += R"(,"accessKeyId":)";
  jstr(j, ses.access_key_id);
  j += R"(,"sessionContext":{"sessionIssuer":{"type":"Role","principalId":)";
  jstr(j, role.id);
  j += R"(,"arn":)";
  jstr(j, role_arn(ses.account, ses.role));
  j += R"(,"accountId":)";
  jstr(j, acct.id);
  j += R"(,"userName":)";
  jstr(j, role.name);
  j += R"(},"webIdFederationData":{},"attributes":{"creationDate":")";
  j += format_iso8601(ses.issued);
  j += R"(","mfaAuthenticated":")";
  j += ses.mfa ? "true" : "false";
  j += "\"}";
  if (ses.instance != kNoSerial) j += R"(,"ec2RoleDelivery":"2.0")";
  if (!ses.source_identity.empty()) {
    j += R"(,"sourceIdentity":)";
    jstr(j, ses.source_identity);
  }
  j += "}";
  if (role.service_linked) {
    j += R"(,"invokedBy":)";
    jstr(j, ses.name == "AutoScaling" ? "autoscaling.amazonaws.com" : "amazonaws.com");
  }
  j += '}';
  ses.identity_json = std::move(j);
}

std::uint32_t World::State::new_session(std::uint16_t acct, std::uint32_t role, std::string name,
                                        Duration duration, Serial instance) {
  RoleSession ses;
  ses.account = acct;
  ses.role = role;
  ses.name = std::move(name);
  ses.access_key_id = ids.access_key_id("ASIA");
  while (credential_index.contains(ses.access_key_id))
    ses.access_key_id = ids.access_key_id("ASIA");
  ses.secret = ids.secret_access_key();
  ses.token = "IQoJb3JpZ2luX2Vj" + ids.alnum(200);
  ses.issued = now_;
  ses.expires = now_ + duration;
  ses.instance = instance;
  const auto idx = static_cast<std::uint32_t>(sessions.size());
  credential_index.emplace(ses.access_key_id, std::make_pair(true, idx));
  sessions.push_back(std::move(ses));
  build_session_identity(idx);
  return idx;
}

Caller World::State::service_caller(std::uint16_t acct, std::string service) {
  Caller c;
  c.kind = CallerKind::kService;
  c.account = acct;
  c.service = service;
  c.source_ip = service;
  c.user_agent = service;
  c.ref.service = std::move(service);
  c.ref.account = accounts[acct].id;
  return c;
}

Caller World::State::session_caller(std::uint32_t idx, std::string source_ip,
                                    std::string user_agent) {
  const auto& ses = sessions[idx];
  const auto& role = accounts[ses.account].iam.roles[ses.role];
  Caller c;
  c.kind = CallerKind::kRole;
  c.account = ses.account;
  c.index = idx;
  c.access_key_id = ses.access_key_id;
  c.source_ip = std::move(source_ip);
  c.user_agent = std::move(user_agent);
  c.ref.arn = fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", accounts[ses.account].id, role.name,
                          ses.name);
  c.ref.role_arn = role_arn(ses.account, ses.role);
  c.ref.account = accounts[ses.account].id;
  c.username = ses.name;
  return c;
}

Result<Caller> World::State::authenticate(const Credentials& creds, std::string_view service) {
  auto invalid = [&]() -> std::unexpected<Error> {
    if (service == "ec2")
      return fail(ErrorCode::kPermissionDenied,
                  "AWS was not able to validate the provided access credentials",
                  ErrorContext{.aws_code = "AuthFailure", .http_status = 401});
    if (service == "s3")
      return fail(ErrorCode::kPermissionDenied,
                  "The AWS Access Key Id you provided does not exist in our records.",
                  ErrorContext{.aws_code = "InvalidAccessKeyId", .http_status = 403});
    return fail(ErrorCode::kPermissionDenied,
                "The security token included in the request is invalid.",
                ErrorContext{.aws_code = service == "ssm" || service == "cloudtrail" ||
                                                 service == "guardduty" || service == "securityhub"
                                             ? "UnrecognizedClientException"
                                             : "InvalidClientTokenId",
                             .http_status = 403});
  };
  if (creds.access_key_id.empty()) {
    Caller c;
    c.kind = CallerKind::kAnonymous;
    c.ref.anonymous = true;
    return c;
  }
  auto it = credential_index.find(creds.access_key_id);
  if (it == credential_index.end()) return invalid();
  Caller c;
  c.access_key_id = creds.access_key_id;
  if (!it->second.first) {
    auto& k = keys[it->second.second];
    if (!k.active || k.deleted) return invalid();
    if (k.secret != creds.secret_access_key)
      return fail(ErrorCode::kPermissionDenied,
                  "The request signature we calculated does not match the signature you provided. "
                  "Check your AWS Secret Access Key and signing method.",
                  ErrorContext{.aws_code = "SignatureDoesNotMatch", .http_status = 403});
    c.account = k.account;
    if (k.user == kRootUser) {
      c.kind = CallerKind::kRoot;
      c.ref.arn = fmt::format("arn:aws:iam::{}:root", accounts[k.account].id);
      c.username = "root";
    } else {
      const auto& u = accounts[k.account].iam.users[k.user];
      if (u.deleted) return invalid();
      c.kind = CallerKind::kUser;
      c.index = k.user;
      c.ref.arn = user_arn(k.account, k.user);
      c.username = u.name;
    }
    c.ref.account = accounts[k.account].id;
    return c;
  }
  const auto& ses = sessions[it->second.second];
  if (ses.secret != creds.secret_access_key)
    return fail(ErrorCode::kPermissionDenied,
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
                ErrorContext{.aws_code = "SignatureDoesNotMatch", .http_status = 403});
  if (ses.token != creds.session_token) return invalid();
  if (now_ >= ses.expires) {
    if (service == "ec2")
      return fail(ErrorCode::kPermissionDenied, "Request has expired.",
                  ErrorContext{.aws_code = "RequestExpired", .http_status = 400});
    return fail(ErrorCode::kPermissionDenied,
                "The security token included in the request is expired",
                ErrorContext{.aws_code = "ExpiredToken", .http_status = 403});
  }
  c.kind = CallerKind::kRole;
  c.account = ses.account;
  c.index = it->second.second;
  const auto& role = accounts[ses.account].iam.roles[ses.role];
  c.ref.arn = fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", accounts[ses.account].id, role.name,
                          ses.name);
  c.ref.role_arn = role_arn(ses.account, ses.role);
  c.ref.account = accounts[ses.account].id;
  c.username = ses.name;
  return c;
}

std::uint32_t World::State::imds_session_for(Serial inst) {
  auto& in = instances[inst];
  if (in.iip_assoc == kNoSerial || in.state != InstState::kRunning) return 0xffffffffu;
  const auto& assoc = iip_assocs[in.iip_assoc];
  const auto& prof = accounts[scopes[in.scope].account].iam.profiles[assoc.profile];
  if (prof.roles.empty()) return 0xffffffffu;
  const std::uint32_t role = prof.roles[0];
  if (!in.extra) in.extra = std::make_unique<InstanceExtra>();
  const auto cur = in.extra->imds_session;
  // IMDS rotates the credentials about every hour; each set is valid for about six hours.
  if (cur != 0xffffffffu && sessions[cur].role == role &&
      now_ - sessions[cur].issued < std::chrono::hours(1))
    return cur;
  const auto idx = new_session(scopes[in.scope].account, role, id(Kind::kInstance, inst),
                               std::chrono::hours(6), inst);
  in.extra->imds_session = idx;
  return idx;
}

// ---------------------------------------------------------------------------------------------
// EC2 helpers

std::uint32_t World::State::allocate_private_ip(Serial subnet) {
  auto& sn = subnets[subnet];
  const std::uint32_t base = sn.cidr.addr.v4_value();
  const std::uint32_t size = sn.cidr.prefix >= 32 ? 1u : (1u << (32 - sn.cidr.prefix));
  std::uint32_t host = sn.next_host;
  for (std::uint32_t tries = 0; tries < size; ++tries) {
    if (host >= size - 1) host = 4;
    const std::uint32_t ip = base + host;
    ++host;
    if (!eni_by_private_ip.contains(ip)) {
      sn.next_host = host;
      return ip;
    }
  }
  sn.next_host = host;
  return base + 4;
}

std::uint32_t World::State::allocate_public_ip(std::uint16_t scope) {
  // Public addresses from documentation-like AWS space per scope: 3.<scope>.x.y / 54.<..>
  auto& sc = scopes[scope];
  for (;;) {
    const std::uint32_t n = sc.next_public_ip++;
    const std::uint32_t ip = (std::uint32_t(3) << 24) | (std::uint32_t(80 + (scope % 150)) << 16) |
                             ((n / 250) % 250) << 8 | ((n % 250) + 2);
    if (!eni_by_public_ip.contains(ip)) return ip;
  }
}

std::uint32_t World::State::eni_public_ip(Serial eni) const {
  const auto& e = enis[eni];
  if (e.eip != kNoSerial) return eips[e.eip].public_ip;
  return e.auto_public_ip;
}

Serial World::State::new_eni(std::uint16_t scope, Serial subnet, const std::vector<Serial>& groups,
                             bool public_ip) {
  EniRec e;
  e.scope = scope;
  e.subnet = subnet;
  e.groups = groups;
  e.private_ip = allocate_private_ip(subnet);
  if (public_ip) {
    e.auto_public_ip = allocate_public_ip(scope);
  }
  const auto s = static_cast<Serial>(enis.size());
  eni_by_private_ip[e.private_ip] = s;
  if (e.auto_public_ip != 0) eni_by_public_ip[e.auto_public_ip] = s;
  if (subnets[subnet].ipv6) {
    IpAddr a = subnets[subnet].ipv6->addr;
    a.b[15] = static_cast<std::uint8_t>(s & 0xff);
    a.b[14] = static_cast<std::uint8_t>((s >> 8) & 0xff);
    a.b[13] = static_cast<std::uint8_t>((s >> 16) & 0xff);
    a.b[12] = 0x10;
    e.ipv6.push_back(a);
  }
  enis.push_back(std::move(e));
  scopes[scope].enis.push_back(s);
  return s;
}

void World::State::attach_eni(Serial eni, Serial inst, std::uint8_t device_index) {
  auto& e = enis[eni];
  e.instance = inst;
  e.device_index = device_index;
  e.attach_id = next_eni_attach++;
  instances[inst].enis.push_back(eni);
}

Serial World::State::default_vpc(std::uint16_t scope) const {
  for (auto v : scopes[scope].vpcs) {
    if (vpcs[v].is_default) return v;
  }
  return kNoSerial;
}

Serial World::State::sg_by_name(Serial vpc, std::string_view name) const {
  for (Serial g = 0; g < sgs.size(); ++g) {
    if (sgs[g].vpc == vpc && !sgs[g].deleted && sgs[g].name == name) return g;
  }
  return kNoSerial;
}

std::vector<SgRule> World::State::default_egress() {
  SgRule r;
  r.all_proto = true;
  r.cidr = *parse_cidr("0.0.0.0/0");
  r.rule_id = next_sg_rule++;
  return {r};
}

Serial World::State::create_sg(std::uint16_t scope, Serial vpc, std::string name,
                               std::string description, bool is_default) {
  SecurityGroupRec g;
  g.scope = scope;
  g.vpc = vpc;
  g.name = std::move(name);
  g.description = std::move(description);
  g.is_default = is_default;
  g.egress = default_egress();
  const auto s = static_cast<Serial>(sgs.size());
  if (is_default) {
    SgRule self;
    self.all_proto = true;
    self.src = SgRule::Src::kGroup;
    self.group = s;
    self.rule_id = next_sg_rule++;
    g.ingress.push_back(self);
  }
  sgs.push_back(std::move(g));
  scopes[scope].sgs.push_back(s);
  return s;
}

Serial World::State::create_default_nacl(std::uint16_t scope, Serial vpc) {
  NaclRec n;
  n.scope = scope;
  n.vpc = vpc;
  n.is_default = true;
  // AWS's default ACL allows everything (rule 100); a VPC with an IPv6 block also gets rule 101
  // for ::/0. Each family ends in the "*" deny.
  const bool v6 = vpcs[vpc].ipv6.has_value();
  for (bool egress : {false, true}) {
    NaclEntryRec allow;
    allow.rule_number = 100;
    allow.egress = egress;
    allow.allow = true;
    allow.cidr = *parse_cidr("0.0.0.0/0");
    n.entries.push_back(allow);
    NaclEntryRec allow6 = allow;
    allow6.rule_number = 101;
    allow6.cidr = *parse_cidr("::/0", true);
    if (v6) n.entries.push_back(allow6);
    NaclEntryRec deny = allow;
    deny.rule_number = 32767;
    deny.allow = false;
    n.entries.push_back(deny);
    NaclEntryRec deny6 = allow6;
    deny6.rule_number = 32767;
    deny6.allow = false;
    if (v6) n.entries.push_back(deny6);
  }
  const auto s = static_cast<Serial>(nacls.size());
  nacls.push_back(std::move(n));
  scopes[scope].nacls.push_back(s);
  return s;
}

Serial World::State::launch_instance(const InstanceSpec& spec, std::uint16_t scope, Serial subnet,
                                     const std::vector<Serial>& groups,
                                     std::optional<std::uint32_t> profile, InstState initial) {
  const auto s = static_cast<Serial>(instances.size());
  instances.emplace_back();
  auto& in = instances.back();
  in.scope = scope;
  in.state = initial;
  in.disable_api_termination = spec.disable_api_termination;
  in.shutdown_terminate = spec.shutdown_behavior == "terminate";
  in.image = symbols.intern(spec.image_id);
  in.type = symbols.intern(spec.instance_type);
  in.key_name = symbols.intern(spec.key_name);
  in.root_device =
      symbols.intern(spec.volumes.empty() ? std::string("/dev/xvda") : spec.volumes.front().device);
  in.subnet = subnet;
  in.launch_time = now_;
  in.tags = spec.tags;
  if (!spec.name.empty() && !find_tag(in.tags, "Name")) in.tags.push_back({"Name", spec.name});
  const bool needs_extra = spec.ssm_agent || !spec.console_output.empty() ||
                           !spec.user_data.empty() || spec.memory_mib != 0 ||
                           spec.platform != "Linux";
  if (needs_extra) {
    in.extra = std::make_unique<InstanceExtra>();
    in.extra->console_output = spec.console_output;
    in.extra->user_data = spec.user_data;
    in.extra->memory_mib = spec.memory_mib;
    in.extra->ssm_agent = spec.ssm_agent;
    in.extra->platform = symbols.intern(spec.platform);
    if (spec.ssm_agent) in.extra->ssm_registered = now_;
  }
  scopes[scope].instances.push_back(s);

  const bool public_ip = spec.public_ip || subnets[subnet].map_public_ip;
  const Serial primary =
      new_eni(scope, subnet, groups, public_ip && initial != InstState::kStopped);
  attach_eni(primary, s, 0);
  std::uint8_t dev = 1;
  for (const auto& extra : spec.extra_enis) {
    Serial sn = subnet;
    if (!extra.subnet_id.empty()) {
      if (auto f = find(Kind::kSubnet, extra.subnet_id, scope)) sn = *f;
    }
    std::vector<Serial> g;
    for (const auto& gid : extra.security_group_ids) {
      if (auto f = find(Kind::kSg, gid, scope)) g.push_back(*f);
    }
    if (g.empty()) g = groups;
    const Serial e = new_eni(scope, sn, g, false);
    enis[e].delete_on_termination = false;
    attach_eni(e, s, dev++);
  }

  std::vector<InstanceSpec::VolumeSpec> vols = spec.volumes;
  if (vols.empty()) vols.push_back({});
  for (const auto& v : vols) {
    VolumeRec vr;
    vr.scope = scope;
    vr.size_gib = v.size_gib;
    vr.type = symbols.intern(v.type);
    vr.az = subnets[subnet].az;
    vr.device = symbols.intern(v.device);
    vr.instance = s;
    vr.delete_on_termination = v.delete_on_termination;
    vr.encrypted = v.encrypted;
    vr.created = now_;
    const auto vs = static_cast<Serial>(volumes.size());
    volumes.push_back(std::move(vr));
    scopes[scope].volumes.push_back(vs);
    instances[s].devices.push_back(BlockDev{symbols.intern(v.device), vs, v.delete_on_termination});
  }
  if (profile) {
    IipAssocRec a;
    a.scope = scope;
    a.instance = s;
    a.profile = *profile;
    const auto as = static_cast<Serial>(iip_assocs.size());
    iip_assocs.push_back(a);
    scopes[scope].iip_assocs.push_back(as);
    instances[s].iip_assoc = as;
  }
  return s;
}

void World::State::disassociate_profile(Serial assoc) {
  auto& a = iip_assocs[assoc];
  a.state = IipAssocRec::St::kDisassociated;
  auto& in = instances[a.instance];
  if (in.iip_assoc == assoc) in.iip_assoc = kNoSerial;
  // Credentials already handed out stay valid until they expire (as in AWS); IMDS only stops
  // serving new ones.
  if (in.extra) in.extra->imds_session = 0xffffffffu;
}

Serial World::State::create_snapshot(std::uint16_t scope, Serial volume, std::string description,
                                     const Tags& tags) {
  SnapshotRec sn;
  sn.scope = scope;
  sn.volume = volume;
  sn.size_gib = volumes[volume].size_gib;
  sn.start = now_;
  sn.complete = now_ + options.snapshot_base + options.snapshot_per_gib * sn.size_gib;
  sn.description = std::move(description);
  sn.encrypted = volumes[volume].encrypted;
  sn.tags = tags;
  const auto s = static_cast<Serial>(snapshots.size());
  snapshots.push_back(std::move(sn));
  scopes[scope].snapshots.push_back(s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// World

World::World(WorldOptions options) : state_(std::make_unique<State>(std::move(options))) {}
World::~World() = default;

const WorldOptions& World::options() const { return state_->options; }
SimClock& World::clock() { return *state_->clock; }
TimePoint World::now() const {
  std::lock_guard lock(state_->mu);
  return state_->now_;
}

void World::advance(Duration d) {
  std::lock_guard lock(state_->mu);
  state_->catch_up();
  state_->clock->advance(d);
  state_->catch_up();
}

void World::run_until(TimePoint t) {
  std::lock_guard lock(state_->mu);
  state_->catch_up();
  if (t > state_->clock->now()) state_->clock->set(t);
  state_->catch_up();
}

Status World::add_account(const AccountSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  if (spec.id.size() != 12 || !std::all_of(spec.id.begin(), spec.id.end(), ::isdigit))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("account id '{}' must be 12 digits", spec.id));
  if (s.account_index.contains(spec.id))
    return fail(ErrorCode::kAlreadyExists, fmt::format("account {} already exists", spec.id));
  if (s.accounts.size() >= 0xfff0) return fail(ErrorCode::kLimitExceeded, "too many accounts");
  AccountRec a;
  a.id = spec.id;
  a.name = spec.name;
  a.security = spec.security;
  a.management = spec.management;
  a.regions = spec.regions.empty() ? std::vector<std::string>{"us-east-1"} : spec.regions;
  for (const auto& r : a.regions) {
    if (!is_known_region(r))
      return fail(ErrorCode::kInvalidArgument, fmt::format("unknown region '{}'", r));
  }
  a.root_identity_json = fmt::format(
      R"({{"type":"Root","principalId":"{0}","arn":"arn:aws:iam::{0}:root","accountId":"{0}"}})",
      spec.id);
  const auto idx = static_cast<std::uint16_t>(s.accounts.size());
  s.accounts.push_back(std::move(a));
  s.account_index.emplace(spec.id, idx);
  if (spec.management) s.management_account = idx;
  for (const auto& r : s.accounts[idx].regions) s.scope_for(idx, r);
  if (!spec.name.empty()) s.names[spec.name] = spec.id;
  return {};
}

Status World::set_organization(const std::string& org_id, const std::string& management) {
  std::lock_guard lock(state_->mu);
  auto a = state_->account(management);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account {}", management));
  state_->org_id = org_id;
  state_->management_account = *a;
  return {};
}

std::vector<std::string> World::account_ids() const {
  std::lock_guard lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& a : state_->accounts) out.push_back(a.id);
  return out;
}

std::vector<std::string> World::regions(const std::string& account) const {
  std::lock_guard lock(state_->mu);
  auto a = state_->account(account);
  if (!a) return {};
  return state_->accounts[*a].regions;
}

namespace {

Result<std::uint16_t> need_scope(World::State& s, const std::string& account,
                                 const std::string& region) {
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  const std::string r = region.empty() ? s.accounts[*a].regions.front() : region;
  if (!is_known_region(r))
    return fail(ErrorCode::kInvalidArgument, fmt::format("unknown region '{}'", r));
  return s.scope_for(*a, r);
}

// Finds a resource of kind k anywhere in the world (building uses ids without a scope).
template <class Table>
std::optional<Serial> find_any(const World::State& s, Kind k, const std::string& id,
                               const Table& table) {
  auto serial = s.codec.parse(k, id);
  if (!serial || *serial >= table.size()) return std::nullopt;
  return serial;
}

}  // namespace

Result<std::string> World::add_vpc(const std::string& account, const std::string& region,
                                   const std::string& cidr, bool is_default,
                                   const std::string& name, const std::string& ipv6) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  FIREBREAK_TRY(auto scope, need_scope(s, account, region));
  auto c = parse_cidr(cidr, true);
  if (!c || c->v6() || c->prefix < 16 || c->prefix > 28)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("VPC CIDR '{}' must be an IPv4 network between /16 and /28", cidr));
  if (is_default && s.default_vpc(scope) != kNoSerial)
    return fail(ErrorCode::kAlreadyExists, "the region already has a default VPC");
  VpcRec v;
  v.scope = scope;
  v.cidr = *c;
  v.is_default = is_default;
  if (!ipv6.empty()) {
    auto c6 = parse_cidr(ipv6, true);
    if (!c6 || !c6->v6())
      return fail(ErrorCode::kInvalidArgument, fmt::format("bad IPv6 CIDR '{}'", ipv6));
    v.ipv6 = *c6;
  }
  if (!name.empty()) v.tags.push_back({"Name", name});
  const auto vs = static_cast<Serial>(s.vpcs.size());
  s.vpcs.push_back(std::move(v));
  s.scopes[scope].vpcs.push_back(vs);
  s.vpcs[vs].default_sg = s.create_sg(scope, vs, "default", "default VPC security group", true);
  s.vpcs[vs].default_nacl = s.create_default_nacl(scope, vs);
  const auto id = s.id(Kind::kVpc, vs);
  if (!name.empty()) s.names[name] = id;
  return id;
}

Result<std::string> World::add_subnet(const std::string& vpc_id, const std::string& cidr,
                                      const std::string& az, const std::string& name,
                                      const std::string& ipv6) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto v = find_any(s, Kind::kVpc, vpc_id, s.vpcs);
  if (!v) return fail(ErrorCode::kNotFound, fmt::format("no VPC '{}'", vpc_id));
  auto c = parse_cidr(cidr, true);
  if (!c || c->v6() || !s.vpcs[*v].cidr.contains(c->addr) || c->prefix < s.vpcs[*v].cidr.prefix ||
      c->prefix > 28)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("subnet CIDR '{}' must be an IPv4 network inside the VPC", cidr));
  for (auto other : s.vpcs[*v].subnets) {
    const auto& o = s.subnets[other].cidr;
    if (o.contains(c->addr) || c->contains(o.addr))
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("subnet CIDR '{}' overlaps {}", cidr, format_cidr(o)));
  }
  SubnetRec sn;
  sn.scope = s.vpcs[*v].scope;
  sn.vpc = *v;
  sn.cidr = *c;
  const auto& region = s.scopes[sn.scope].region;
  sn.az = s.symbols.intern(
      az.empty() ? region + static_cast<char>('a' + s.vpcs[*v].subnets.size() % 3) : az);
  sn.nacl = s.vpcs[*v].default_nacl;
  sn.nacl_assoc = s.next_nacl_assoc++;
  sn.map_public_ip = s.vpcs[*v].is_default;
  if (!ipv6.empty()) {
    auto c6 = parse_cidr(ipv6, true);
    if (!c6 || !c6->v6())
      return fail(ErrorCode::kInvalidArgument, fmt::format("bad IPv6 CIDR '{}'", ipv6));
    sn.ipv6 = *c6;
  }
  if (!name.empty()) sn.tags.push_back({"Name", name});
  const auto ss = static_cast<Serial>(s.subnets.size());
  s.subnets.push_back(std::move(sn));
  s.vpcs[*v].subnets.push_back(ss);
  s.scopes[s.vpcs[*v].scope].subnets.push_back(ss);
  const auto id = s.id(Kind::kSubnet, ss);
  if (!name.empty()) s.names[name] = id;
  return id;
}

Result<std::string> World::add_image(const std::string& account, const std::string& region,
                                     const std::string& name) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  FIREBREAK_TRY(auto scope, need_scope(s, account, region));
  const auto is = static_cast<Serial>(s.images.size());
  s.images.push_back(ImageRec{scope, name});
  s.scopes[scope].images.push_back(is);
  const auto id = s.id(Kind::kImage, is);
  if (!name.empty()) s.names[name] = id;
  return id;
}

void World::set_name(const std::string& name, const std::string& id) {
  std::lock_guard lock(state_->mu);
  state_->names[name] = id;
}

Result<std::string> World::resolve(const std::string& name) const {
  std::lock_guard lock(state_->mu);
  if (auto it = state_->names.find(name); it != state_->names.end()) return it->second;
  return fail(ErrorCode::kNotFound, fmt::format("no resource named '{}' in the world", name));
}

Result<std::string> World::account_of(const std::string& id_or_name) const {
  std::lock_guard lock(state_->mu);
  const auto& s = *state_;
  std::string id = id_or_name;
  if (auto it = s.names.find(id_or_name); it != s.names.end()) id = it->second;
  if (s.account_index.contains(id)) return id;
  auto try_kind = [&](Kind k, const auto& table) -> std::optional<std::string> {
    auto serial = s.codec.parse(k, id);
    if (!serial || *serial >= table.size()) return std::nullopt;
    return s.account_id(table[*serial].scope);
  };
  if (auto a = try_kind(Kind::kInstance, s.instances)) return *a;
  if (auto a = try_kind(Kind::kSg, s.sgs)) return *a;
  if (auto a = try_kind(Kind::kVpc, s.vpcs)) return *a;
  if (auto a = try_kind(Kind::kSubnet, s.subnets)) return *a;
  if (auto a = try_kind(Kind::kVolume, s.volumes)) return *a;
  if (auto a = try_kind(Kind::kEni, s.enis)) return *a;
  if (id.starts_with("arn:aws:") && id.size() > 30) {
    // arn:aws:<svc>:<region>:<account>:...
    std::size_t pos = 0;
    for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = id.find(':', pos + 1);
    if (pos != std::string::npos) return id.substr(pos + 1, 12);
  }
  if (auto b = s.buckets.find(id); b != s.buckets.end()) return s.accounts[b->second.account].id;
  return fail(ErrorCode::kNotFound, fmt::format("cannot tell the account of '{}'", id_or_name));
}

Result<std::string> World::add_managed_policy(const std::string& account, const std::string& name,
                                              const std::string& document) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto parsed = Policy::parse(document, PolicyKind::kIdentity);
  if (!parsed) return fail(parsed.error().wrap(fmt::format("policy '{}'", name)));
  ManagedPolicyRec rec;
  rec.name = name;
  rec.arn = fmt::format("arn:aws:iam::{}:policy/{}", account, name);
  rec.id = s.iam_id("ANPA");
  rec.doc = PolicyDoc{document, *parsed};
  auto& pol = s.accounts[*a].iam.policies;
  if (pol.contains(rec.arn))
    return fail(ErrorCode::kAlreadyExists, fmt::format("policy '{}' already exists", name));
  const auto arn = rec.arn;
  pol.emplace(arn, std::move(rec));
  return arn;
}

namespace {

Result<std::map<std::string, PolicyDoc>> parse_inline(
    const std::vector<std::pair<std::string, std::string>>& in) {
  std::map<std::string, PolicyDoc> out;
  for (const auto& [name, doc] : in) {
    auto p = Policy::parse(doc, PolicyKind::kIdentity);
    if (!p) return fail(p.error().wrap(fmt::format("inline policy '{}'", name)));
    out[name] = PolicyDoc{doc, *p};
  }
  return out;
}

Status check_managed(const World::State& s, const std::vector<std::string>& arns) {
  for (const auto& arn : arns) {
    if (s.managed_policy(arn) == nullptr)
      return fail(ErrorCode::kNotFound, fmt::format("no managed policy '{}'", arn));
  }
  return {};
}

}  // namespace

Status World::add_group(const std::string& account, const std::string& name,
                        const std::vector<std::string>& managed,
                        const std::vector<std::pair<std::string, std::string>>& inline_policies) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto& iam = s.accounts[*a].iam;
  if (iam.group_index.contains(name))
    return fail(ErrorCode::kAlreadyExists, fmt::format("group '{}' already exists", name));
  FIREBREAK_TRY_STATUS(check_managed(s, managed));
  IamGroupRec g;
  g.name = name;
  g.id = s.iam_id("AGPA");
  g.attached = managed;
  FIREBREAK_TRY(g.inline_policies, parse_inline(inline_policies));
  iam.group_index[name] = static_cast<std::uint32_t>(iam.groups.size());
  iam.groups.push_back(std::move(g));
  return {};
}

Result<std::vector<Credentials>> World::add_user(const std::string& account, const UserSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto& iam = s.accounts[*a].iam;
  if (iam.user_index.contains(spec.name))
    return fail(ErrorCode::kAlreadyExists, fmt::format("user '{}' already exists", spec.name));
  if (spec.access_keys < 0 || spec.access_keys > 2)
    return fail(ErrorCode::kInvalidArgument, "a user has at most 2 access keys");
  FIREBREAK_TRY_STATUS(check_managed(s, spec.managed_policy_arns));
  IamUserRec u;
  u.name = spec.name;
  u.id = s.iam_id("AIDA");
  u.path = spec.path;
  u.created = s.now_;
  u.tags = spec.tags;
  u.attached = spec.managed_policy_arns;
  FIREBREAK_TRY(u.inline_policies, parse_inline(spec.inline_policies));
  for (const auto& g : spec.groups) {
    auto it = iam.group_index.find(g);
    if (it == iam.group_index.end())
      return fail(ErrorCode::kNotFound, fmt::format("user '{}': no group '{}'", spec.name, g));
    u.groups.push_back(it->second);
  }
  if (spec.console_password) u.login_profile = LoginProfile{spec.name, s.now_, false};
  if (spec.mfa)
    u.mfa.push_back(MfaRec{fmt::format("arn:aws:iam::{}:mfa/{}", account, spec.name), s.now_});
  const auto idx = static_cast<std::uint32_t>(iam.users.size());
  iam.user_index[spec.name] = idx;
  iam.users.push_back(std::move(u));
  s.build_user_identity(*a, idx);
  std::vector<Credentials> out;
  for (int i = 0; i < spec.access_keys; ++i) {
    const auto id = s.new_access_key(*a, idx, "AKIA");
    const auto& k = s.keys[s.credential_index[id].second];
    out.push_back(Credentials{k.id, k.secret, {}, std::nullopt});
  }
  s.names[fmt::format("{}/{}", s.accounts[*a].name.empty() ? account : s.accounts[*a].name,
                      spec.name)] = s.user_arn(*a, idx);
  return out;
}

Result<std::string> World::add_role(const std::string& account, const RoleSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto& iam = s.accounts[*a].iam;
  if (iam.role_index.contains(spec.name))
    return fail(ErrorCode::kAlreadyExists, fmt::format("role '{}' already exists", spec.name));
  FIREBREAK_TRY_STATUS(check_managed(s, spec.managed_policy_arns));
  IamRoleRec r;
  r.name = spec.name;
  r.id = s.iam_id("AROA");
  r.path = spec.path;
  r.created = s.now_;
  r.tags = spec.tags;
  r.max_session_seconds = spec.max_session_seconds;
  r.attached = spec.managed_policy_arns;
  const std::string trust =
      spec.trust_policy.empty()
          ? R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})"
          : spec.trust_policy;
  auto tp = Policy::parse(trust, PolicyKind::kResource);
  if (!tp) return fail(tp.error().wrap(fmt::format("role '{}' trust policy", spec.name)));
  r.trust = PolicyDoc{trust, *tp};
  FIREBREAK_TRY(r.inline_policies, parse_inline(spec.inline_policies));
  const auto idx = static_cast<std::uint32_t>(iam.roles.size());
  iam.role_index[spec.name] = idx;
  iam.roles.push_back(std::move(r));
  const auto arn = s.role_arn(*a, idx);
  s.names[fmt::format("{}/{}", s.accounts[*a].name.empty() ? account : s.accounts[*a].name,
                      spec.name)] = arn;
  return arn;
}

Status World::add_instance_profile(const std::string& account, const std::string& name,
                                   const std::string& role_name) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto& iam = s.accounts[*a].iam;
  if (iam.profile_index.contains(name))
    return fail(ErrorCode::kAlreadyExists,
                fmt::format("instance profile '{}' already exists", name));
  InstanceProfileRec p;
  p.name = name;
  p.id = s.iam_id("AIPA");
  p.created = s.now_;
  if (!role_name.empty()) {
    auto it = iam.role_index.find(role_name);
    if (it == iam.role_index.end())
      return fail(ErrorCode::kNotFound,
                  fmt::format("instance profile '{}': no role '{}'", name, role_name));
    p.roles.push_back(it->second);
  }
  iam.profile_index[name] = static_cast<std::uint32_t>(iam.profiles.size());
  iam.profiles.push_back(std::move(p));
  return {};
}

Result<Credentials> World::user_credentials(const std::string& account, const std::string& user,
                                            const std::string& key_id) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto it = s.accounts[*a].iam.user_index.find(user);
  if (it == s.accounts[*a].iam.user_index.end())
    return fail(ErrorCode::kNotFound, fmt::format("no user '{}' in {}", user, account));
  for (const auto& kid : s.accounts[*a].iam.users[it->second].keys) {
    const auto& k = s.keys[s.credential_index[kid].second];
    if (k.deleted) continue;
    if (key_id.empty() ? k.active : kid == key_id)
      return Credentials{k.id, k.secret, {}, std::nullopt};
  }
  return fail(ErrorCode::kNotFound, fmt::format("user '{}' has no such access key", user));
}

Result<Credentials> World::create_user_key(const std::string& account, const std::string& user) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto it = s.accounts[*a].iam.user_index.find(user);
  if (it == s.accounts[*a].iam.user_index.end())
    return fail(ErrorCode::kNotFound, fmt::format("no user '{}' in {}", user, account));
  const auto id = s.new_access_key(*a, it->second, "AKIA");
  const auto& k = s.keys[s.credential_index[id].second];
  return Credentials{k.id, k.secret, {}, std::nullopt};
}

Result<Credentials> World::root_credentials(const std::string& account) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  const auto id = s.new_access_key(*a, kRootUser, "AKIA");
  const auto& k = s.keys[s.credential_index[id].second];
  return Credentials{k.id, k.secret, {}, std::nullopt};
}

Result<Credentials> World::role_session(const std::string& account, const std::string& role,
                                        const std::string& session_name, Duration duration) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  auto it = s.accounts[*a].iam.role_index.find(role);
  if (it == s.accounts[*a].iam.role_index.end())
    return fail(ErrorCode::kNotFound, fmt::format("no role '{}' in {}", role, account));
  const auto idx = s.new_session(*a, it->second, session_name, duration);
  const auto& ses = s.sessions[idx];
  return Credentials{ses.access_key_id, ses.secret, ses.token, ses.expires};
}

Result<Credentials> World::instance_credentials(const std::string& instance_id) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  std::string id = instance_id;
  if (auto n = s.names.find(id); n != s.names.end()) id = n->second;
  auto serial = find_any(s, Kind::kInstance, id, s.instances);
  if (!serial) return fail(ErrorCode::kNotFound, fmt::format("no instance '{}'", instance_id));
  const auto idx = s.imds_session_for(*serial);
  if (idx == 0xffffffffu)
    return fail(
        ErrorCode::kNotFound,
        fmt::format("instance '{}' has no instance profile role (or is not running)", instance_id));
  const auto& ses = s.sessions[idx];
  return Credentials{ses.access_key_id, ses.secret, ses.token, ses.expires};
}

Status World::put_public_access_block_for_account(const std::string& account,
                                                  const PublicAccessBlock& block) {
  std::lock_guard lock(state_->mu);
  auto a = state_->account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  state_->accounts[*a].s3_pab = block;
  return {};
}

void World::add_threat_ips(const std::string& category, const std::vector<std::string>& cidrs) {
  std::lock_guard lock(state_->mu);
  for (const auto& c : cidrs) {
    auto parsed = parse_cidr(c);
    if (!parsed) {
      if (auto ip = parse_ip(c)) parsed = Cidr{*ip, ip->v6 ? 128 : 32};
    }
    if (parsed) state_->threat_ips.emplace_back(category, *parsed);
  }
}

void World::add_sink(std::shared_ptr<LogSink> sink) {
  std::lock_guard lock(state_->mu);
  state_->sinks.push_back(std::move(sink));
}

std::vector<std::string> World::records(const std::string& account, std::size_t limit) const {
  std::lock_guard lock(state_->mu);
  std::vector<std::string> out;
  auto a = state_->account(account);
  if (!a) return out;
  for (const auto& [acct, rec] : state_->all_records) {
    if (acct == *a) out.push_back(*rec);
  }
  if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
  return out;
}

std::uint64_t World::record_count() const {
  std::lock_guard lock(state_->mu);
  return state_->record_count;
}

// ---------------------------------------------------------------------------------------------
// DirectorySink

DirectorySink::DirectorySink(std::filesystem::path root) : root_(std::move(root)) {}

void DirectorySink::on_file(const DeliveredFile& file) {
  if (!status_) return;
  const auto path = root_ / (file.bucket.empty() ? std::string("_") : file.bucket) / file.key;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    status_ =
        fail(ErrorCode::kIo, fmt::format("{}: {}", path.parent_path().string(), ec.message()));
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(file.bytes.data(), static_cast<std::streamsize>(file.bytes.size()));
  if (!out) {
    status_ = fail(ErrorCode::kIo, fmt::format("{}: write failed", path.string()));
    return;
  }
  ++files_;
}

void DirectorySink::on_eventbridge(std::string_view envelope) {
  if (!status_) return;
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  std::ofstream out(root_ / "eventbridge.jsonl", std::ios::binary | std::ios::app);
  out.write(envelope.data(), static_cast<std::streamsize>(envelope.size()));
  out.put('\n');
  if (!out)
    status_ = fail(ErrorCode::kIo,
                   fmt::format("{}: write failed", (root_ / "eventbridge.jsonl").string()));
}

}  // namespace firebreak::cloud::sim
