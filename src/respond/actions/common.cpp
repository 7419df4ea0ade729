#include "common.h"

#include <fmt/format.h>

namespace firebreak::respond::actions {

std::string str(const ActionContext& ctx, std::string_view name) {
  const Json& p = ctx.params();
  auto it = p.find(std::string(name));
  return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const ActionContext& ctx, std::string_view name) {
  const Json& p = ctx.params();
  auto it = p.find(std::string(name));
  return it != p.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> strings(const ActionContext& ctx, std::string_view name) {
  std::vector<std::string> out;
  const Json& p = ctx.params();
  auto it = p.find(std::string(name));
  if (it == p.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

ApiCall call(std::string_view service, std::string_view operation, std::string detail) {
  return ApiCall{std::string(service), std::string(operation),
                 !cloud::is_read_only_operation(operation), std::move(detail)};
}

ParamSpec param(std::string name, ParamType type, std::string description, Json default_value) {
  const bool required = default_value.is_null();
  return ParamSpec{std::move(name), type, required, std::move(default_value),
                   std::move(description)};
}

Result<cloud::Instance> describe_instance(cloud::Ec2& ec2, const std::string& id) {
  FIREBREAK_TRY(auto instances, ec2.describe_instances({.ids = {id}}));
  for (auto& i : instances) {
    if (i.instance_id == id) return std::move(i);
  }
  return fail(ErrorCode::kNotFound, fmt::format("instance {} not found", id),
              ErrorContext{.aws_code = "InvalidInstanceID.NotFound"});
}

Result<std::vector<cloud::NetworkInterface>> instance_enis(cloud::Ec2& ec2, const std::string& id) {
  return ec2.describe_network_interfaces({.filters = {{"attachment.instance-id", {id}}}});
}

std::vector<std::string> group_ids(const std::vector<cloud::GroupIdentifier>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) out.push_back(g.group_id);
  return out;
}

Result<std::string> role_of_instance_profile(cloud::Iam& iam, const std::string& profile_arn) {
  if (profile_arn.empty()) return std::string();
  const auto slash = profile_arn.rfind('/');
  const std::string name = slash == std::string::npos ? profile_arn : profile_arn.substr(slash + 1);
  FIREBREAK_TRY(auto profile, iam.get_instance_profile(name));
  return profile.roles.empty() ? std::string() : profile.roles.front().role_name;
}

Json to_json(const cloud::Tags& tags) {
  Json out = Json::object();
  for (const auto& t : tags) out[t.key] = t.value;
  return out;
}

Json to_json(const cloud::Instance& i) {
  Json enis = Json::array();
  for (const auto& n : i.network_interfaces) {
    enis.push_back({{"network_interface_id", n.network_interface_id},
                    {"groups", group_ids(n.groups)},
                    {"private_ip", n.private_ip},
                    {"public_ip", n.public_ip},
                    {"ipv6_addresses", n.ipv6_addresses},
                    {"subnet_id", n.subnet_id}});
  }
  Json devices = Json::array();
  for (const auto& d : i.block_devices) {
    devices.push_back({{"device_name", d.device_name},
                       {"volume_id", d.volume_id},
                       {"delete_on_termination", d.delete_on_termination}});
  }
  return {{"instance_id", i.instance_id},
          {"state", i.state},
          {"instance_type", i.instance_type},
          {"image_id", i.image_id},
          {"vpc_id", i.vpc_id},
          {"subnet_id", i.subnet_id},
          {"availability_zone", i.availability_zone},
          {"private_ip", i.private_ip},
          {"public_ip", i.public_ip},
          {"key_name", i.key_name},
          {"iam_instance_profile_arn", i.iam_instance_profile_arn},
          {"launch_time", format_iso8601(i.launch_time)},
          {"tags", to_json(i.tags)},
          {"security_groups", group_ids(i.security_groups)},
          {"network_interfaces", enis},
          {"block_devices", devices}};
}

Json to_json(const cloud::NetworkInterface& n) {
  return {{"network_interface_id", n.network_interface_id},
          {"vpc_id", n.vpc_id},
          {"subnet_id", n.subnet_id},
          {"private_ip", n.private_ip},
          {"public_ip", n.public_ip},
          {"ipv6_addresses", n.ipv6_addresses},
          {"groups", group_ids(n.groups)},
          {"attachment_instance_id", n.attachment_instance_id},
          {"device_index", n.device_index}};
}

Json to_json(const cloud::IpPermission& p) {
  return {{"ip_protocol", p.ip_protocol}, {"from_port", p.from_port},
          {"to_port", p.to_port},         {"ipv4_ranges", p.ipv4_ranges},
          {"ipv6_ranges", p.ipv6_ranges}, {"source_groups", p.source_groups}};
}

Json to_json(const cloud::SecurityGroup& g) {
  Json in = Json::array(), out = Json::array();
  for (const auto& p : g.ingress) in.push_back(to_json(p));
  for (const auto& p : g.egress) out.push_back(to_json(p));
  return {{"group_id", g.group_id}, {"group_name", g.group_name},
          {"vpc_id", g.vpc_id},     {"ingress", in},
          {"egress", out},          {"tags", to_json(g.tags)}};
}

Json to_json(const cloud::Volume& v) {
  Json att = Json::array();
  for (const auto& a : v.attachments) {
    att.push_back({{"instance_id", a.instance_id},
                   {"device", a.device},
                   {"delete_on_termination", a.delete_on_termination}});
  }
  return {{"volume_id", v.volume_id}, {"size_gib", v.size_gib},     {"state", v.state},
          {"encrypted", v.encrypted}, {"kms_key_id", v.kms_key_id}, {"attachments", att},
          {"tags", to_json(v.tags)}};
}

std::string deny_all_policy() {
  return R"({"Version":"2012-10-17","Statement":[{"Sid":"FirebreakDenyAll","Effect":"Deny","Action":"*","Resource":"*"}]})";
}

std::string revoke_sessions_policy(TimePoint before) {
  return fmt::format(
      R"({{"Version":"2012-10-17","Statement":[{{"Sid":"FirebreakRevokeOlderSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{}"}}}}}}]}})",
      format_iso8601(before));
}

}  // namespace firebreak::respond::actions

namespace firebreak::respond::actions {

Json scratch(const ActionContext& ctx) {
  return ctx.state().is_object() ? ctx.state() : Json::object();
}

Status remember(ActionContext& ctx, std::string_view key, Json value) {
  Json s = scratch(ctx);
  s[std::string(key)] = std::move(value);
  return ctx.save_state(std::move(s));
}

}  // namespace firebreak::respond::actions
