// Simulated traffic: connections between instances and other addresses, security groups with
// AWS's connection-tracking semantics, stateless network ACLs, idle timeouts, and VPC Flow Logs.
//
// Tracking, as AWS documents it ("Security group connection tracking"):
//  - A TCP/UDP flow is untracked while the rule in its initiating direction allows it from/to
//    0.0.0.0/0 (::/0 for IPv6) and the other direction has a rule allowing all response traffic
//    from/to 0.0.0.0/0 on every port. Every other flow (and every ICMP flow) is tracked.
//  - Tracked flows survive security group changes (the tracking entry lets responses through);
//    they end when idle past the timeout and the rules no longer allow a new flow.
//  - Untracked flows are evaluated packet by packet and drop as soon as the rules stop allowing
//    them. A tracked flow becomes untracked when the groups change to ones that open everything;
//    that is why isolating in two steps (all-open group, then isolation group) cuts it.
//  - Network ACLs are stateless and checked on every packet, both directions: a deny cuts at once.
#include <fmt/format.h>

#include <algorithm>

#include "ec2_util.h"
#include "state.h"

namespace firebreak::cloud::sim {

std::string gzip_bytes(std::string_view data);
std::string date_path(TimePoint t);

namespace {

constexpr Duration kTcpEstablishedTimeout = std::chrono::seconds(432000);
constexpr Duration kUdpTimeout = std::chrono::seconds(30);
constexpr Duration kOtherTimeout = std::chrono::seconds(60);

Duration idle_timeout(const Conn& c) {
  if (c.proto == 6) return kTcpEstablishedTimeout;
  if (c.proto == 17)
    return c.keepalive > Duration::zero() ? std::chrono::seconds(180) : kUdpTimeout;
  return kOtherTimeout;
}

bool is_private(const IpAddr& a) {
  if (a.v6) return (a.b[0] & 0xfe) == 0xfc;  // ULA
  const auto v = a.v4_value();
  return (v >> 24) == 10 || (v >> 20) == (172u << 4 | 1) || (v >> 16) == (192u << 8 | 168);
}

bool rule_matches(const World::State& s, const SgRule& r, const IpAddr& remote, std::uint8_t proto,
                  int port) {
  if (!r.all_proto) {
    if (r.proto != proto) return false;
    if ((proto == 6 || proto == 17) && (port < r.from || port > r.to)) return false;
  }
  if (r.src == SgRule::Src::kCidr) return r.cidr.contains(remote);
  if (remote.v6) return false;
  auto it = s.eni_by_private_ip.find(remote.v4_value());
  if (it == s.eni_by_private_ip.end()) return false;
  const auto& other = s.enis[it->second];
  return std::find(other.groups.begin(), other.groups.end(), r.group) != other.groups.end();
}

// A rule from/to everywhere (0.0.0.0/0 or ::/0) matching the flow.
bool open_to_world(const SgRule& r, bool v6, std::uint8_t proto, int port, bool all_ports) {
  if (r.src != SgRule::Src::kCidr || r.cidr.v6() != v6 || !r.cidr.is_all()) return false;
  if (r.all_proto) return true;
  if (r.proto != proto) return false;
  if (all_ports) return r.from <= 0 && r.to >= 65535;
  return port >= r.from && port <= r.to;
}

bool nacl_rule_matches(const NaclEntryRec& e, const IpAddr& remote, std::uint8_t proto, int port) {
  if (!e.all_proto) {
    if (e.proto != proto) return false;
    if ((proto == 6 || proto == 17) && (port < e.from || port > e.to)) return false;
  }
  return e.cidr.contains(remote);
}

std::string conn_id(std::uint32_t c) { return fmt::format("conn-{:08x}", c); }

std::optional<std::uint32_t> parse_conn_id(std::string_view id, std::size_t count) {
  if (!id.starts_with("conn-") || id.size() != 13) return std::nullopt;
  std::uint32_t v = 0;
  for (char ch : id.substr(5)) {
    int h = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (h < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint32_t>(h);
  }
  if (v >= count) return std::nullopt;
  return v;
}

}  // namespace

bool World::State::sg_allows(const EniRec& eni, bool egress, const IpAddr& remote,
                             std::uint8_t proto, int port) const {
  for (auto g : eni.groups) {
    const auto& rules = egress ? sgs[g].egress : sgs[g].ingress;
    for (const auto& r : rules) {
      if (rule_matches(*this, r, remote, proto, port)) return true;
    }
  }
  return false;
}

bool World::State::sg_all_open(const EniRec& eni, bool v6) const {
  bool in = false, out = false;
  for (auto g : eni.groups) {
    for (const auto& r : sgs[g].ingress)
      in = in || open_to_world(r, v6, 0, 0, false) && r.all_proto;
    for (const auto& r : sgs[g].egress)
      out = out || open_to_world(r, v6, 0, 0, false) && r.all_proto;
  }
  return in && out;
}

bool World::State::nacl_allows(const EniRec& eni, bool egress, const IpAddr& remote,
                               std::uint8_t proto, int port) const {
  const auto& n = nacls[subnets[eni.subnet].nacl];
  for (const auto& e : n.entries) {
    if (e.egress != egress) continue;
    if (e.cidr.v6() != remote.v6) continue;
    if (nacl_rule_matches(e, remote, proto, port)) return e.allow;
  }
  return false;  // the implicit "*" deny
}

namespace {

// Is this flow untracked under the ENI's current groups?
bool untracked(const World::State& s, const Conn& c) {
  if (c.proto != 6 && c.proto != 17) return false;
  const auto& eni = s.enis[c.eni];
  const bool v6 = c.remote.v6;
  const bool outbound = c.dir == Direction::kOutbound;
  const int service_port = outbound ? c.remote_port : c.local_port;
  bool initiating = false, response = false;
  for (auto g : eni.groups) {
    const auto& init_rules = outbound ? s.sgs[g].egress : s.sgs[g].ingress;
    const auto& resp_rules = outbound ? s.sgs[g].ingress : s.sgs[g].egress;
    for (const auto& r : init_rules)
      initiating = initiating || open_to_world(r, v6, c.proto, service_port, false);
    for (const auto& r : resp_rules) response = response || open_to_world(r, v6, c.proto, 0, true);
  }
  return initiating && response;
}

// Would the current rules let the initiator open this flow now (a new flow)?
bool initiation_allowed(const World::State& s, const Conn& c) {
  const auto& eni = s.enis[c.eni];
  return c.dir == Direction::kOutbound ? s.sg_allows(eni, true, c.remote, c.proto, c.remote_port)
                                       : s.sg_allows(eni, false, c.remote, c.proto, c.local_port);
}

// Stateless evaluation of both directions (untracked flows).
bool stateless_allowed(const World::State& s, const Conn& c) {
  const auto& eni = s.enis[c.eni];
  if (!initiation_allowed(s, c)) return false;
  return c.dir == Direction::kOutbound ? s.sg_allows(eni, false, c.remote, c.proto, c.local_port)
                                       : s.sg_allows(eni, true, c.remote, c.proto, c.remote_port);
}

bool nacl_both_ways(const World::State& s, const Conn& c) {
  const auto& eni = s.enis[c.eni];
  const bool outbound = c.dir == Direction::kOutbound;
  // Packets towards the instance hit the ingress rules with the instance's port; packets leaving
  // hit the egress rules with the remote's port.
  (void)outbound;
  return s.nacl_allows(eni, false, c.remote, c.proto, c.local_port) &&
         s.nacl_allows(eni, true, c.remote, c.proto, c.remote_port);
}

}  // namespace

void World::State::kill_conn(std::uint32_t ci, std::string_view reason) {
  auto& c = conns[ci];
  if (!c.alive) return;
  c.alive = false;
  c.end_reason = std::string(reason);
  c.ended = now_;
  if (reason == "security-group" || reason == "network-acl") {
    // The next packet from the remote end is dropped and logged as REJECT.
    flow_record(c.eni, c.remote, c.local, c.remote_port, c.local_port, c.proto, 1, 60, false);
  }
}

namespace {

// Applies the rules as they are now to a live connection.
void reevaluate(World::State& s, std::uint32_t ci) {
  auto& c = s.conns[ci];
  if (!c.alive) return;
  if (c.public_ip != 0 && s.eni_public_ip(c.eni) != c.public_ip) {
    s.kill_conn(ci, "address-released");
    return;
  }
  if (!nacl_both_ways(s, c)) {
    s.kill_conn(ci, "network-acl");
    return;
  }
  if (c.tracked) {
    if (untracked(s, c)) c.tracked = false;
    return;
  }
  if (untracked(s, c)) return;
  if (stateless_allowed(s, c)) {
    c.tracked = true;  // later packets create a tracking entry again
    return;
  }
  s.kill_conn(ci, "security-group");
}

// Idle expiry of a tracked flow: the tracking entry is gone; the next packet from the initiator
// is a new flow.
void apply_idle(World::State& s, std::uint32_t ci) {
  auto& c = s.conns[ci];
  if (!c.alive || !c.tracked) return;
  if (s.now() - c.last_packet <= idle_timeout(c)) return;
  if (untracked(s, c)) {
    c.tracked = false;
  } else if (!initiation_allowed(s, c)) {
    c.alive = false;
    c.end_reason = "idle-timeout";
    c.ended = c.last_packet + idle_timeout(c);
  }
}

}  // namespace

void World::State::on_groups_changed(Serial eni) {
  for (auto ci : enis[eni].connections) reevaluate(*this, ci);
}

void World::State::on_sg_rules_changed(Serial sg) {
  for (Serial e = 0; e < enis.size(); ++e) {
    const auto& en = enis[e];
    if (en.connections.empty() || en.deleted) continue;
    if (std::find(en.groups.begin(), en.groups.end(), sg) != en.groups.end()) on_groups_changed(e);
  }
}

void World::State::on_nacl_changed(Serial nacl) {
  for (Serial e = 0; e < enis.size(); ++e) {
    const auto& en = enis[e];
    if (en.connections.empty() || en.deleted) continue;
    if (subnets[en.subnet].nacl == nacl) on_groups_changed(e);
  }
}

void World::State::on_instance_network_down(Serial inst, std::string_view reason) {
  for (auto e : instances[inst].enis) {
    for (auto ci : enis[e].connections) kill_conn(ci, reason);
  }
}

void World::State::conn_traffic(std::uint32_t ci, std::uint64_t out, std::uint64_t in) {
  apply_idle(*this, ci);
  auto& c = conns[ci];
  if (!c.alive) return;
  reevaluate(*this, ci);
  if (!c.alive) return;
  const auto packets = [](std::uint64_t bytes) {
    return std::max<std::uint64_t>(1, (bytes + 1447) / 1448);
  };
  if (out > 0)
    flow_record(c.eni, c.local, c.remote, c.local_port, c.remote_port, c.proto, packets(out),
                out + 40, true);
  if (in > 0)
    flow_record(c.eni, c.remote, c.local, c.remote_port, c.local_port, c.proto, packets(in),
                in + 40, true);
  c.bytes_out += out;
  c.bytes_in += in;
  c.last_packet = now_;
  guardduty_observe_connection(ci);
}

void World::State::schedule_keepalive(std::uint32_t ci) {
  const auto& c = conns[ci];
  if (c.keepalive <= Duration::zero()) return;
  after(c.keepalive, [this, ci] {
    auto& conn = conns[ci];
    if (!conn.alive) return;
    conn_traffic(ci, conn.keepalive_bytes, conn.keepalive_bytes);
    if (conns[ci].alive) schedule_keepalive(ci);
  });
}

bool World::State::reachable_aws_service(Serial inst, std::string_view service) {
  const auto& in = instances[inst];
  if (in.state != InstState::kRunning || in.enis.empty()) return false;
  // Regional service endpoints (documented in worlds/README.md).
  const IpAddr endpoint = *parse_ip(service == "s3"    ? "52.216.10.10"
                                    : service == "ssm" ? "52.94.10.10"
                                                       : "52.94.20.10");
  const auto& eni = enis[in.enis[0]];
  return sg_allows(eni, true, endpoint, 6, 443) && nacl_allows(eni, true, endpoint, 6, 443) &&
         nacl_allows(eni, false, endpoint, 6, 40000);
}

// ---------------------------------------------------------------------------------------------
// Flow logs

void World::State::flow_record(Serial eni, const IpAddr& src, const IpAddr& dst, int sport,
                               int dport, std::uint8_t proto, std::uint64_t packets,
                               std::uint64_t bytes, bool accept) {
  const auto& en = enis[eni];
  const Serial vpc = subnets[en.subnet].vpc;
  if (vpcs[vpc].flow_log == kNoSerial) return;
  FlowKey k{eni,   src,   dst, static_cast<std::uint16_t>(sport), static_cast<std::uint16_t>(dport),
            proto, accept};
  auto& agg = flow_window[k];
  if (agg.packets == 0) agg.start = now_;
  agg.packets += packets;
  agg.bytes += bytes;
  agg.end = now_;
  schedule_flow_flush();
}

void World::State::schedule_flow_flush() {
  if (flow_flush_scheduled) return;
  flow_flush_scheduled = true;
  const auto interval = options.flow_log_interval;
  const auto since = now_ - options.start;
  const auto windows = since / interval;
  const TimePoint end = options.start + (windows + 1) * interval;
  flow_window_start = end - interval;
  at(end, [this] {
    flow_flush_scheduled = false;
    flush_flow_logs(false);
  });
}

void World::State::flush_flow_logs(bool all) {
  (void)all;
  if (flow_window.empty()) return;
  // One file per flow log (VPC), account and region, records in a stable order.
  std::map<Serial, std::string> bodies;
  std::map<Serial, std::size_t> counts;
  for (const auto& [k, agg] : flow_window) {
    const auto& en = enis[k.eni];
    const Serial fl = vpcs[subnets[en.subnet].vpc].flow_log;
    auto& body = bodies[fl];
    if (body.empty())
      body =
          "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
          "bytes start end action log-status\n";
    body += fmt::format("2 {} {} {} {} {} {} {} {} {} {} {} {} OK\n", account_id(en.scope),
                        id(Kind::kEni, k.eni), format_ip(k.src), format_ip(k.dst), k.sport, k.dport,
                        k.proto, agg.packets, agg.bytes, to_unix_seconds(agg.start),
                        to_unix_seconds(agg.end) + 1, k.accept ? "ACCEPT" : "REJECT");
    ++counts[fl];
  }
  flow_window.clear();
  for (auto& [fl, body] : bodies) {
    const auto& rec = flow_logs[fl];
    const auto& acct = account_id(rec.scope);
    const auto& region = scopes[rec.scope].region;
    DeliveredFile f;
    f.kind = "vpcflowlogs";
    f.account = acct;
    f.region = region;
    f.bucket = rec.bucket;
    f.key = fmt::format("AWSLogs/{}/vpcflowlogs/{}/{}/{}_vpcflowlogs_{}_{}_{}_{}.log.gz", acct,
                        region, date_path(now_), acct, region, id(Kind::kFlowLog, fl),
                        format_compact_minute(now_), jitter.hex(8));
    f.bytes = gzip_bytes(body);
    f.records = counts[fl];
    f.delivered = now_;
    deliver_file(std::move(f));
  }
}

// ---------------------------------------------------------------------------------------------
// World API: the workload and the attacker

namespace {

Result<Serial> resolve_instance(World::State& s, const std::string& id_or_name) {
  std::string id = id_or_name;
  if (auto n = s.names.find(id); n != s.names.end()) id = n->second;
  auto serial = s.codec.parse(Kind::kInstance, id);
  if (!serial || *serial >= s.instances.size() || s.instances[*serial].gone)
    return fail(ErrorCode::kNotFound, fmt::format("no instance '{}'", id_or_name));
  return *serial;
}

Result<Conn> build_conn(World::State& s, const ConnectionSpec& spec) {
  FIREBREAK_TRY(auto inst, resolve_instance(s, spec.instance_id));
  const auto& in = s.instances[inst];
  if (in.state != InstState::kRunning)
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("instance '{}' is {}", spec.instance_id, state_name(in.state)));
  Conn c;
  c.eni = in.enis[0];
  if (!spec.network_interface_id.empty()) {
    auto e = s.codec.parse(Kind::kEni, spec.network_interface_id);
    if (!e || *e >= s.enis.size() || s.enis[*e].instance != inst)
      return fail(ErrorCode::kNotFound,
                  fmt::format("no interface '{}' on the instance", spec.network_interface_id));
    c.eni = *e;
  }
  auto remote = parse_ip(spec.remote_ip);
  if (!remote)
    return fail(ErrorCode::kInvalidArgument, fmt::format("bad remote IP '{}'", spec.remote_ip));
  c.remote = *remote;
  const auto& eni = s.enis[c.eni];
  if (remote->v6) {
    if (eni.ipv6.empty())
      return fail(ErrorCode::kFailedPrecondition, "the interface has no IPv6 address");
    c.local = eni.ipv6[0];
  } else {
    c.local = IpAddr::v4(eni.private_ip);
  }
  if (spec.protocol == "tcp")
    c.proto = 6;
  else if (spec.protocol == "udp")
    c.proto = 17;
  else if (spec.protocol == "icmp")
    c.proto = remote->v6 ? 58 : 1;
  else
    return fail(ErrorCode::kInvalidArgument, fmt::format("bad protocol '{}'", spec.protocol));
  if (spec.remote_port < 0 || spec.remote_port > 65535 || spec.local_port < 0 ||
      spec.local_port > 65535)
    return fail(ErrorCode::kInvalidArgument, "ports must be within 0-65535");
  c.dir = spec.direction;
  c.remote_port = static_cast<std::uint16_t>(spec.remote_port);
  if (spec.local_port != 0) {
    c.local_port = static_cast<std::uint16_t>(spec.local_port);
  } else if (spec.direction == Direction::kInbound) {
    return fail(ErrorCode::kInvalidArgument, "an inbound connection needs the instance's port");
  } else {
    c.local_port = static_cast<std::uint16_t>(32768 + (s.conns.size() * 7919) % 28000);
  }
  c.label = spec.label;
  c.keepalive = spec.keepalive;
  c.keepalive_bytes = spec.keepalive_bytes;
  if (!is_private(*remote) && !remote->v6) {
    c.public_ip = s.eni_public_ip(c.eni);
    if (spec.direction == Direction::kInbound && c.public_ip == 0)
      return fail(ErrorCode::kFailedPrecondition,
                  "the instance has no public address: unreachable from outside");
  }
  return c;
}

}  // namespace

Result<std::string> World::open_connection(const ConnectionSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  FIREBREAK_TRY(auto c, build_conn(s, spec));
  c.started = c.last_packet = s.now();
  if (!nacl_both_ways(s, c) || !initiation_allowed(s, c)) {
    const bool nacl = !nacl_both_ways(s, c);
    if (c.dir == Direction::kOutbound)
      s.flow_record(c.eni, c.local, c.remote, c.local_port, c.remote_port, c.proto, 1, 60, false);
    else
      s.flow_record(c.eni, c.remote, c.local, c.remote_port, c.local_port, c.proto, 1, 60, false);
    return fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("connection refused by the {}", nacl ? "network ACL" : "security groups"));
  }
  c.tracked = !untracked(s, c);
  const auto ci = static_cast<std::uint32_t>(s.conns.size());
  s.conns.push_back(std::move(c));
  s.enis[s.conns[ci].eni].connections.push_back(ci);
  s.conn_traffic(ci, 180, 120);  // handshake
  s.schedule_keepalive(ci);
  return conn_id(ci);
}

namespace {

ConnectionState to_state(const World::State& s, std::uint32_t ci) {
  const auto& c = s.conns[ci];
  ConnectionState st;
  st.id = conn_id(ci);
  st.label = c.label;
  st.alive = c.alive;
  st.tracked = c.tracked;
  st.end_reason = c.end_reason;
  st.started = c.started;
  st.last_packet = c.last_packet;
  st.ended = c.ended;
  st.bytes_out = c.bytes_out;
  st.bytes_in = c.bytes_in;
  return st;
}

}  // namespace

ConnectionState World::connection(const std::string& connection_id) const {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  auto ci = parse_conn_id(connection_id, s.conns.size());
  if (!ci) {
    ConnectionState st;
    st.id = connection_id;
    st.end_reason = "unknown";
    return st;
  }
  apply_idle(s, *ci);
  return to_state(s, *ci);
}

std::vector<ConnectionState> World::connections(const std::string& instance_id) const {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  std::vector<ConnectionState> out;
  auto inst = resolve_instance(s, instance_id);
  if (!inst) return out;
  for (auto e : s.instances[*inst].enis) {
    for (auto ci : s.enis[e].connections) {
      apply_idle(s, ci);
      out.push_back(to_state(s, ci));
    }
  }
  return out;
}

Status World::exchange(const std::string& connection_id, std::uint64_t bytes_out,
                       std::uint64_t bytes_in) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  auto ci = parse_conn_id(connection_id, s.conns.size());
  if (!ci) return fail(ErrorCode::kNotFound, fmt::format("no connection '{}'", connection_id));
  s.conn_traffic(*ci, bytes_out, bytes_in);
  if (!s.conns[*ci].alive)
    return fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("connection {} is closed ({})", connection_id, s.conns[*ci].end_reason));
  return {};
}

Status World::close_connection(const std::string& connection_id) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  auto ci = parse_conn_id(connection_id, s.conns.size());
  if (!ci) return fail(ErrorCode::kNotFound, fmt::format("no connection '{}'", connection_id));
  s.kill_conn(*ci, "closed");
  return {};
}

Result<bool> World::probe(const ConnectionSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  auto built = build_conn(s, spec);
  if (!built) {
    if (built.error().code() == ErrorCode::kFailedPrecondition) return false;
    return fail(built.error());
  }
  auto& c = *built;
  const bool ok = nacl_both_ways(s, c) && initiation_allowed(s, c);
  if (c.dir == Direction::kOutbound) {
    s.flow_record(c.eni, c.local, c.remote, c.local_port, c.remote_port, c.proto, 1, 60, ok);
    if (ok)
      s.flow_record(c.eni, c.remote, c.local, c.remote_port, c.local_port, c.proto, 1, 60, true);
  } else {
    s.flow_record(c.eni, c.remote, c.local, c.remote_port, c.local_port, c.proto, 1, 60, ok);
    if (ok)
      s.flow_record(c.eni, c.local, c.remote, c.local_port, c.remote_port, c.proto, 1, 60, true);
  }
  return ok;
}

Status World::instance_initiated_shutdown(const std::string& instance_id) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  FIREBREAK_TRY(auto inst, resolve_instance(s, instance_id));
  if (s.instances[inst].state != InstState::kRunning)
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("instance '{}' is not running", instance_id));
  if (s.instances[inst].shutdown_terminate)
    s.begin_terminate(inst, "Client.InstanceInitiatedShutdown: Instance initiated shutdown");
  else
    s.begin_stop(inst, "Client.InstanceInitiatedShutdown: Instance initiated shutdown");
  return {};
}

Status World::set_console_output(const std::string& instance_id, const std::string& text) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  FIREBREAK_TRY(auto inst, resolve_instance(s, instance_id));
  auto& in = s.instances[inst];
  if (!in.extra) in.extra = std::make_unique<InstanceExtra>();
  in.extra->console_output = text;
  return {};
}

Status World::set_ssm_agent(const std::string& instance_id, bool running) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  FIREBREAK_TRY(auto inst, resolve_instance(s, instance_id));
  auto& in = s.instances[inst];
  if (!in.extra || !in.extra->ssm_agent)
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("instance '{}' has no SSM agent", instance_id));
  in.extra->ssm_agent_running = running;
  return {};
}

std::vector<World::InstanceSummary> World::instances() const {
  std::lock_guard lock(state_->mu);
  const auto& s = *state_;
  std::vector<InstanceSummary> out;
  out.reserve(s.instances.size());
  for (Serial i = 0; i < s.instances.size(); ++i) {
    const auto& in = s.instances[i];
    if (in.gone) continue;
    InstanceSummary x;
    x.id = s.id(Kind::kInstance, i);
    if (auto n = find_tag(in.tags, "Name")) x.name = *n;
    x.account = s.account_id(in.scope);
    x.region = s.region_of(in.scope);
    x.state = std::string(state_name(in.state));
    if (!in.enis.empty()) {
      x.private_ip = format_ipv4(s.enis[in.enis[0]].private_ip);
      if (auto p = s.eni_public_ip(in.enis[0])) x.public_ip = format_ipv4(p);
    }
    x.has_role = in.iip_assoc != kNoSerial;
    x.ssm = in.extra && in.extra->ssm_agent;
    out.push_back(std::move(x));
  }
  return out;
}

Result<std::string> World::add_flow_log(const std::string& vpc_id, const std::string& bucket) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  std::string id = vpc_id;
  if (auto n = s.names.find(id); n != s.names.end()) id = n->second;
  auto v = s.codec.parse(Kind::kVpc, id);
  if (!v || *v >= s.vpcs.size())
    return fail(ErrorCode::kNotFound, fmt::format("no VPC '{}'", vpc_id));
  if (s.vpcs[*v].flow_log != kNoSerial)
    return fail(ErrorCode::kAlreadyExists, fmt::format("VPC '{}' already has a flow log", vpc_id));
  FlowLogRec fl;
  fl.scope = s.vpcs[*v].scope;
  fl.vpc = *v;
  fl.bucket = bucket;
  const auto serial = static_cast<Serial>(s.flow_logs.size());
  s.flow_logs.push_back(fl);
  s.vpcs[*v].flow_log = serial;
  if (!bucket.empty())
    s.ensure_bucket(s.scopes[fl.scope].account, bucket, s.scopes[fl.scope].region);
  return s.id(Kind::kFlowLog, serial);
}

Result<std::string> World::add_instance(const InstanceSpec& spec_in) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  InstanceSpec spec = spec_in;
  auto a = s.account(spec.account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", spec.account));
  const std::string region = spec.region.empty() ? s.accounts[*a].regions.front() : spec.region;
  const auto scope = s.scope_for(*a, region);
  Serial subnet = kNoSerial;
  auto resolve = [&](const std::string& v) {
    if (auto n = s.names.find(v); n != s.names.end()) return n->second;
    return v;
  };
  if (spec.subnet_id.empty()) {
    const Serial vpc = s.default_vpc(scope);
    if (vpc == kNoSerial || s.vpcs[vpc].subnets.empty())
      return fail(ErrorCode::kNotFound,
                  fmt::format("instance '{}': no subnet given and no default VPC in {}/{}",
                              spec.name, spec.account, region));
    subnet = s.vpcs[vpc].subnets.front();
  } else {
    auto sn = s.find(Kind::kSubnet, resolve(spec.subnet_id), scope);
    if (!sn)
      return fail(ErrorCode::kNotFound,
                  fmt::format("instance '{}': no subnet '{}' in {}/{}", spec.name, spec.subnet_id,
                              spec.account, region));
    subnet = *sn;
  }
  if (spec.image_id.empty()) {
    if (s.scopes[scope].images.empty()) {
      const auto is = static_cast<Serial>(s.images.size());
      s.images.push_back(ImageRec{scope, "amzn2-ami-hvm-x86_64-gp2"});
      s.scopes[scope].images.push_back(is);
    }
    spec.image_id = s.id(Kind::kImage, s.scopes[scope].images.front());
  } else {
    spec.image_id = resolve(spec.image_id);
    if (!s.find(Kind::kImage, spec.image_id, scope))
      return fail(ErrorCode::kNotFound,
                  fmt::format("instance '{}': no image '{}'", spec.name, spec_in.image_id));
  }
  const Serial vpc = s.subnets[subnet].vpc;
  std::vector<Serial> groups;
  for (const auto& g : spec.security_group_ids) {
    auto gs = s.find(Kind::kSg, resolve(g), scope);
    if (!gs || s.sgs[*gs].vpc != vpc)
      return fail(ErrorCode::kNotFound,
                  fmt::format("instance '{}': no security group '{}' in its VPC", spec.name, g));
    groups.push_back(*gs);
  }
  if (groups.empty()) groups.push_back(s.vpcs[vpc].default_sg);
  for (auto& e : spec.extra_enis) {
    if (!e.subnet_id.empty()) e.subnet_id = resolve(e.subnet_id);
    for (auto& g : e.security_group_ids) g = resolve(g);
  }
  std::optional<std::uint32_t> profile;
  if (!spec.instance_profile.empty()) {
    const auto& iam = s.accounts[*a].iam;
    auto it = iam.profile_index.find(spec.instance_profile);
    if (it == iam.profile_index.end())
      return fail(ErrorCode::kNotFound, fmt::format("instance '{}': no instance profile '{}'",
                                                    spec.name, spec.instance_profile));
    profile = it->second;
  }
  if (spec.state != "running" && spec.state != "stopped")
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("instance '{}': state must be running or stopped", spec.name));
  if (spec.shutdown_behavior != "stop" && spec.shutdown_behavior != "terminate")
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("instance '{}': shutdown_behavior must be stop or terminate", spec.name));
  const Serial i =
      s.launch_instance(spec, scope, subnet, groups, profile,
                        spec.state == "stopped" ? InstState::kStopped : InstState::kRunning);
  s.instances[i].reservation = s.next_reservation++;
  s.instances[i].launch_time = s.now_ - std::chrono::hours(24 * 30);
  const auto id = s.id(Kind::kInstance, i);
  if (!spec.name.empty()) s.names[spec.name] = id;
  return id;
}

}  // namespace firebreak::cloud::sim
