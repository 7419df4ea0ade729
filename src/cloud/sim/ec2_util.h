#pragma once
// Private to the simulator: EC2 helpers shared by ec2.cpp, ec2_network.cpp and the builders.

#include <string>
#include <string_view>
#include <vector>

#include "call.h"

namespace firebreak::cloud::sim {

// AWS's error vocabulary for one resource kind.
struct KindErrors {
  Kind kind;
  const char* not_found;  // "InvalidInstanceID.NotFound"
  const char* malformed;  // "InvalidInstanceID.Malformed"
  const char* noun;       // "instance ID"
};
const KindErrors& kind_errors(Kind k);

// Resolves `id` in the call's scope or returns AWS's Malformed / NotFound error.
Result<Serial> need(Call& c, Kind k, std::string_view id);

std::string_view state_name(InstState s);
int state_code(InstState s);

// Protocol text ("tcp", "-1", "6") to number; nullopt when invalid. all=true for "-1"/"all".
struct Proto {
  bool all = false;
  std::uint8_t number = 0;
};
std::optional<Proto> parse_protocol(std::string_view p);
std::string protocol_text(const SgRule& r);

// Tags: validation as EC2 does it, and writing tagSet items.
Status check_tags(Call& c, const Tags& tags);
void write_tag_set(JsonWriter& w, const Tags& tags);
void merge_tags(Tags& into, const Tags& add);

// EC2 filters: matching one value set against a filter's values (with '*' and '?').
bool filter_hit(const Filter& f, std::string_view value);
bool filter_hit_any(const Filter& f, const std::vector<std::string>& values);
bool tag_filter(const Filter& f, const Tags& tags, bool& handled);
void write_filter_set(JsonWriter& w, const std::vector<Filter>& filters);
Status unknown_filter(Call& c, const Filter& f);
// Refuses filters whose name is not one of `known` (tag:<key>, tag-key and tag-value always are),
// before any resource is looked at, as EC2 does.
Status check_filters(Call& c, const std::vector<Filter>& filters,
                     std::initializer_list<std::string_view> known);

// Seam conversions.
Instance to_instance(const World::State& s, Serial i);
NetworkInterface to_eni(const World::State& s, Serial e);
SecurityGroup to_sg(const World::State& s, Serial g);
NetworkAcl to_nacl(const World::State& s, Serial n);
Volume to_volume(const World::State& s, Serial v);
Snapshot to_snapshot(const World::State& s, Serial sn);
Address to_address(const World::State& s, Serial a);
IamInstanceProfileAssociation to_iip(const World::State& s, Serial a);

// Security group rules <-> IpPermission.
// Errors carry EC2's codes (re-raise them in a call with Call::from).
Result<std::vector<SgRule>> rules_from(World::State& s, std::uint16_t scope,
                                       const std::vector<IpPermission>& perms);
std::vector<IpPermission> permissions_of(const World::State& s, const std::vector<SgRule>& rules);
bool same_rule(const SgRule& a, const SgRule& b);
void write_ip_permissions(JsonWriter& w, const std::vector<IpPermission>& perms);

std::string instance_arn(const World::State& s, Serial i);

}  // namespace firebreak::cloud::sim
