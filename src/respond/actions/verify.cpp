// ec2.verify_isolation: an independent re-read after containment. It does not trust the earlier
// steps' own verifications: it checks the network (every ENI only in isolation groups that admit
// nothing), Elastic IPs, the instance profile, and CloudTrail for successful calls by the
// instance's role session after containment. It reports `effective` for the playbook to branch
// on (escalate with a NACL, stop the instance) rather than failing itself.
#include <fmt/format.h>

#include <algorithm>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

class VerifyIsolation final : public BasicAction {
 public:
  VerifyIsolation()
      : BasicAction(ActionSpec{
            .name = "ec2.verify_isolation",
            .description = "Re-read the instance and confirm containment is effective: isolated "
                           "ENIs, no Elastic IP, deny-all profile, and no successful API activity "
                           "by its role session since containment.",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("since", ParamType::kString,
                             "ISO 8601 time containment took effect ('' skips the activity check)",
                             ""),
                       param("group_prefix", ParamType::kString, "isolation group name prefix",
                             "firebreak"),
                       param("deny_profile", ParamType::kString, "deny-all profile name",
                             "firebreak-deny-all")},
            .outputs = {"effective", "problems", "unverified"},
            .permissions = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
                            "ec2:DescribeAddresses", "ec2:DescribeIamInstanceProfileAssociations",
                            "cloudtrail:LookupEvents"},
            .mutating = false}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    std::vector<ApiCall> calls;
    for (const auto& p : spec().permissions) {
      const auto colon = p.find(':');
      calls.push_back(call(p.substr(0, colon), p.substr(colon + 1), str(ctx, "instance_id")));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    const std::string prefix = str(ctx, "group_prefix") + "-isolation";
    auto& ec2 = ctx.cloud().ec2();
    Json problems = Json::array(), unverified = Json::array();

    FIREBREAK_TRY(auto enis, instance_enis(ec2, id));
    for (const auto& n : enis) {
      FIREBREAK_TRY(auto groups, ec2.describe_security_groups({.ids = group_ids(n.groups)}));
      const std::size_t problems_before = problems.size();
      for (const auto& g : groups) {
        if (!g.group_name.starts_with(prefix)) {
          problems.push_back(fmt::format("{} is in non-isolation group {} ({})",
                                         n.network_interface_id, g.group_id, g.group_name));
        } else if (!g.ingress.empty()) {
          problems.push_back(fmt::format("isolation group {} admits traffic", g.group_id));
        }
      }
      // An auto-assigned public IP cannot be removed from a running instance (and AWS assigns a
      // new one when an Elastic IP is disassociated); behind isolation groups that admit
      // nothing it carries no traffic, so it is a problem only when the ENI is not isolated.
      if (!n.public_ip.empty() && problems.size() != problems_before) {
        problems.push_back(
            fmt::format("{} still has public IP {}", n.network_interface_id, n.public_ip));
      }
    }
    FIREBREAK_TRY(auto addrs, ec2.describe_addresses({.filters = {{"instance-id", {id}}}}));
    for (const auto& a : addrs) {
      if (!a.association_id.empty())
        problems.push_back("Elastic IP " + a.public_ip + " associated");
    }
    FIREBREAK_TRY(auto assocs, ec2.describe_iam_instance_profile_associations(
                                   {.filters = {{"instance-id", {id}}}}));
    for (const auto& a : assocs) {
      if ((a.state == "associated" || a.state == "associating") &&
          !a.iam_instance_profile_arn.ends_with("/" + str(ctx, "deny_profile"))) {
        problems.push_back("instance profile " + a.iam_instance_profile_arn + " still attached");
      }
    }
    // EC2 role credentials use the instance id as the role session name.
    const std::string since = str(ctx, "since");
    if (!since.empty()) {
      auto from = parse_iso8601(since);
      if (!from)
        return fail(ErrorCode::kInvalidArgument, "since is not an ISO 8601 time: " + since);
      auto events = ctx.cloud().cloudtrail().lookup_events(
          {.attributes = {{"Username", id}}, .start_time = *from, .max_events = 500});
      // Throttling is transient: let the executor back off and retry the step rather than
      // report the activity check as skipped.
      if (!events && events.error().code() == ErrorCode::kThrottled) return fail(events.error());
      if (!events) {
        unverified.push_back("CloudTrail activity not checked: " + events.error().describe());
      } else {
        int ok_calls = 0;
        for (const auto& e : *events) {
          auto rec = parse_json(e.cloudtrail_event);
          const bool failed = rec && rec->is_object() && rec->contains("errorCode") &&
                              !(*rec)["errorCode"].is_null();
          if (!failed && e.event_time >= *from) ++ok_calls;
        }
        if (ok_calls > 0) {
          problems.push_back(
              fmt::format("{} successful API call(s) by the instance's role "
                          "session since {}",
                          ok_calls, since));
        }
      }
    }
    ApplyResult r;
    r.outputs = {
        {"effective", problems.empty()}, {"problems", problems}, {"unverified", unverified}};
    ctx.record("observation", {{"verification", r.outputs}});
    r.summary = problems.empty() ? "containment effective"
                                 : fmt::format("NOT effective: {}", dump_json(problems));
    return r;
  }

  Result<Verification> verify(ActionContext&, const Json& outputs) override {
    return Verification{true,
                        outputs.value("effective", false) ? "effective" : "reported problems"};
  }
};

}  // namespace

std::unique_ptr<Action> make_ec2_verify_isolation() { return std::make_unique<VerifyIsolation>(); }

}  // namespace firebreak::respond::actions
