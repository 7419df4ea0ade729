// EC2 operations of the simulator: instances, attributes, lifecycle, volumes and snapshots,
// profile associations, tags. Network objects (groups, ACLs, ENIs, addresses) are in
// ec2_network.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "ec2_util.h"
#include "session.h"

namespace firebreak::cloud::sim {

namespace {

void write_instance_set(JsonWriter& w, const std::vector<std::string>& ids) {
  w.key("instancesSet").begin_object();
  if (!ids.empty()) {
    w.key("items").begin_array();
    for (const auto& id : ids) w.begin_object().field("instanceId", id).end_object();
    w.end_array();
  }
  w.end_object();
}

// Resolves a list of instance ids; AWS names every missing id in one error.
Result<std::vector<Serial>> need_instances(Call& c, const std::vector<std::string>& ids) {
  std::vector<Serial> out;
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!IdCodec::well_formed(Kind::kInstance, id))
      return c.invalid("InvalidInstanceID.Malformed", fmt::format("Invalid id: \"{}\"", id));
    if (auto s = c.s.find(Kind::kInstance, id, c.scope))
      out.push_back(*s);
    else
      missing.push_back(id);
  }
  if (missing.size() == 1)
    return c.not_found("InvalidInstanceID.NotFound",
                       fmt::format("The instance ID '{}' does not exist", missing[0]));
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return c.not_found("InvalidInstanceID.NotFound",
                       fmt::format("The instance IDs '{}' do not exist", list));
  }
  return out;
}

bool instance_matches(const World::State& s, Serial i, const std::vector<Filter>& filters,
                      Status& status, Call& c) {
  const auto& in = s.instances[i];
  for (const auto& f : filters) {
    bool handled = false;
    const bool tag = tag_filter(f, in.tags, handled);
    if (handled) {
      if (!tag) return false;
      continue;
    }
    bool hit = false;
    if (f.name == "instance-id") {
      hit = filter_hit(f, s.id(Kind::kInstance, i));
    } else if (f.name == "instance-state-name") {
      hit = filter_hit(f, state_name(in.state));
    } else if (f.name == "instance-state-code") {
      hit = filter_hit(f, std::to_string(state_code(in.state)));
    } else if (f.name == "instance-type") {
      hit = filter_hit(f, s.sym(in.type));
    } else if (f.name == "image-id") {
      hit = filter_hit(f, s.sym(in.image));
    } else if (f.name == "subnet-id") {
      hit = filter_hit(f, s.id(Kind::kSubnet, in.subnet));
    } else if (f.name == "vpc-id") {
      hit = filter_hit(f, s.id(Kind::kVpc, s.subnets[in.subnet].vpc));
    } else if (f.name == "availability-zone") {
      hit = filter_hit(f, s.sym(s.subnets[in.subnet].az));
    } else if (f.name == "key-name") {
      hit = filter_hit(f, s.sym(in.key_name));
    } else if (f.name == "private-ip-address" ||
               f.name == "network-interface.addresses.private-ip-address") {
      for (auto e : in.enis) hit = hit || filter_hit(f, format_ipv4(s.enis[e].private_ip));
    } else if (f.name == "ip-address") {
      for (auto e : in.enis) {
        if (auto p = s.eni_public_ip(e)) hit = hit || filter_hit(f, format_ipv4(p));
      }
    } else if (f.name == "network-interface.network-interface-id") {
      for (auto e : in.enis) hit = hit || filter_hit(f, s.id(Kind::kEni, e));
    } else if (f.name == "instance.group-id" || f.name == "network-interface.group-id") {
      for (auto e : in.enis)
        for (auto g : s.enis[e].groups) hit = hit || filter_hit(f, s.id(Kind::kSg, g));
    } else if (f.name == "instance.group-name" || f.name == "group-name") {
      for (auto e : in.enis)
        for (auto g : s.enis[e].groups) hit = hit || filter_hit(f, s.sgs[g].name);
    } else if (f.name == "iam-instance-profile.arn") {
      if (in.iip_assoc != kNoSerial)
        hit = filter_hit(f, to_iip(s, in.iip_assoc).iam_instance_profile_arn);
    } else if (f.name == "reservation-id") {
      hit = filter_hit(f, s.id(Kind::kReservation, in.reservation));
    } else {
      status = unknown_filter(c, f);
      return false;
    }
    if (!hit) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<Instance>> SimEc2::describe_instances(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeInstances");
  return s_.run<Result<std::vector<Instance>>>(kOp, [&](Call& c) -> Result<std::vector<Instance>> {
    auto w = c.params_writer();
    w.begin_object();
    write_instance_set(w, req.ids);
    write_filter_set(w, req.filters);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY_STATUS(
        check_filters(c, req.filters,
                      {"instance-id", "instance-state-name", "instance-state-code", "instance-type",
                       "image-id", "subnet-id", "vpc-id", "availability-zone", "key-name",
                       "private-ip-address", "network-interface.addresses.private-ip-address",
                       "ip-address", "network-interface.network-interface-id", "instance.group-id",
                       "network-interface.group-id", "instance.group-name", "group-name",
                       "iam-instance-profile.arn", "reservation-id"}));
    std::vector<Serial> candidates;
    if (!req.ids.empty()) {
      FIREBREAK_TRY(candidates, need_instances(c, req.ids));
    } else {
      candidates = c.s.scopes[c.scope].instances;
    }
    std::vector<Instance> out;
    Status status;
    for (auto i : candidates) {
      if (c.s.instances[i].gone) continue;
      if (!req.filters.empty() && !instance_matches(c.s, i, req.filters, status, c)) {
        if (!status) return std::unexpected(status.error());
        continue;
      }
      out.push_back(to_instance(c.s, i));
    }
    return out;
  });
}

Result<std::string> SimEc2::describe_instance_attribute(const std::string& instance_id,
                                                        const std::string& attribute) {
  SIM_OP("ec2", "DescribeInstanceAttribute");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("instanceId", instance_id).field("attribute", attribute).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY(auto i, need(c, Kind::kInstance, instance_id));
    const auto& in = c.s.instances[i];
    if (attribute == "disableApiTermination")
      return std::string(in.disable_api_termination ? "true" : "false");
    if (attribute == "instanceInitiatedShutdownBehavior")
      return std::string(in.shutdown_terminate ? "terminate" : "stop");
    if (attribute == "userData") return in.extra ? in.extra->user_data : std::string();
    if (attribute == "instanceType") return c.s.sym(in.type);
    if (attribute == "rootDeviceName") return c.s.sym(in.root_device);
    if (attribute == "disableApiStop") return std::string("false");
    static constexpr std::string_view kKnown[] = {
        "kernel",   "ramdisk",      "blockDeviceMapping", "productCodes", "sourceDestCheck",
        "groupSet", "ebsOptimized", "sriovNetSupport",    "enaSupport",   "enclaveOptions"};
    if (std::find(std::begin(kKnown), std::end(kKnown), attribute) != std::end(kKnown))
      return std::string();
    return c.invalid(
        "InvalidParameterValue",
        fmt::format("Value ({}) for parameter attribute is invalid. Unknown attribute.",
                    attribute));
  });
}

Status SimEc2::modify_instance_attribute(const ModifyInstanceAttributeRequest& req) {
  SIM_OP("ec2", "ModifyInstanceAttribute");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("instanceId", req.instance_id);
    int count = 0;
    if (req.disable_api_termination) {
      ++count;
      w.key("disableApiTermination")
          .begin_object()
          .field("value", *req.disable_api_termination)
          .end_object();
    }
    if (req.instance_initiated_shutdown_behavior) {
      ++count;
      w.key("instanceInitiatedShutdownBehavior")
          .begin_object()
          .field("value", *req.instance_initiated_shutdown_behavior)
          .end_object();
    }
    if (!req.block_device_mappings.empty()) {
      ++count;
      w.key("blockDeviceMapping").begin_object().key("items").begin_array();
      for (const auto& b : req.block_device_mappings) {
        w.begin_object()
            .field("deviceName", b.device_name)
            .key("ebs")
            .begin_object()
            .field("deleteOnTermination", b.delete_on_termination)
            .end_object()
            .end_object();
      }
      w.end_array().end_object();
    }
    if (req.user_data) {
      ++count;
      w.field("userData", "<sensitiveDataRemoved>");
    }
    if (req.groups) {
      ++count;
      w.key("groupSet").begin_object().key("items").begin_array();
      for (const auto& g : *req.groups) w.begin_object().field("groupId", g).end_object();
      w.end_array().end_object();
    }
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format(
        "arn:aws:ec2:{}:{}:instance/{}", c.session_region(), c.account_id(), req.instance_id)));
    if (count == 0) return c.invalid("InvalidParameterCombination", "No attributes specified.");
    if (count > 1)
      return c.invalid("InvalidParameterCombination",
                       "Fields for multiple attribute types specified: only one attribute can be "
                       "modified per call");
    FIREBREAK_TRY(auto i, need(c, Kind::kInstance, req.instance_id));
    auto& in = c.s.instances[i];
    if (in.state == InstState::kTerminated || in.state == InstState::kShuttingDown)
      return c.precondition("IncorrectInstanceState",
                            fmt::format("The instance '{}' is not in a state from which it can be "
                                        "modified.",
                                        req.instance_id));
    if (req.disable_api_termination) {
      in.disable_api_termination = *req.disable_api_termination;
    } else if (req.instance_initiated_shutdown_behavior) {
      const auto& v = *req.instance_initiated_shutdown_behavior;
      if (v != "stop" && v != "terminate")
        return c.invalid("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter instanceInitiatedShutdownBehavior "
                                     "is invalid.",
                                     v));
      in.shutdown_terminate = v == "terminate";
    } else if (!req.block_device_mappings.empty()) {
      for (const auto& b : req.block_device_mappings) {
        auto it = std::find_if(in.devices.begin(), in.devices.end(), [&](const BlockDev& d) {
          return c.s.sym(d.device) == b.device_name;
        });
        if (it == in.devices.end())
          return c.invalid("InvalidInstanceAttributeValue",
                           fmt::format("No device is currently mapped at {}", b.device_name));
      }
      for (const auto& b : req.block_device_mappings) {
        for (auto& d : in.devices) {
          if (c.s.sym(d.device) != b.device_name) continue;
          d.delete_on_termination = b.delete_on_termination;
          c.s.volumes[d.volume].delete_on_termination = b.delete_on_termination;
        }
      }
    } else if (req.user_data) {
      if (in.state != InstState::kStopped)
        return c.precondition(
            "IncorrectInstanceState",
            fmt::format("The instance '{}' is not in the 'stopped' state.", req.instance_id));
      if (!in.extra) in.extra = std::make_unique<InstanceExtra>();
      in.extra->user_data = *req.user_data;
    } else if (req.groups) {
      if (in.enis.size() > 1)
        return c.invalid("InvalidInstanceID",
                         fmt::format("There are multiple interfaces attached to instance '{}'. "
                                     "Please specify an interface ID for the operation instead.",
                                     req.instance_id));
      if (req.groups->empty())
        return c.invalid("InvalidParameterValue", "At least one security group must be specified.");
      std::vector<Serial> groups;
      const Serial vpc = c.s.subnets[in.subnet].vpc;
      for (const auto& g : *req.groups) {
        FIREBREAK_TRY(auto gs, need(c, Kind::kSg, g));
        if (c.s.sgs[gs].vpc != vpc)
          return c.not_found("InvalidGroup.NotFound",
                             fmt::format("The security group '{}' does not exist in VPC '{}'", g,
                                         c.s.id(Kind::kVpc, vpc)));
        if (std::find(groups.begin(), groups.end(), gs) == groups.end()) groups.push_back(gs);
      }
      if (groups.size() > 5)
        return c.invalid("SecurityGroupsPerInterfaceLimitExceeded",
                         "The maximum number of security groups per interface has been reached.");
      c.s.enis[in.enis[0]].groups = groups;
      c.s.on_groups_changed(in.enis[0]);
    }
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

Result<std::vector<Instance>> SimEc2::run_instances(const RunInstancesRequest& req) {
  SIM_OP("ec2", "RunInstances");
  return s_.run<Result<std::vector<Instance>>>(kOp, [&](Call& c) -> Result<std::vector<Instance>> {
    auto w = c.params_writer();
    w.begin_object().key("instancesSet").begin_object().key("items").begin_array();
    w.begin_object()
        .field("imageId", req.image_id)
        .field("minCount", req.count)
        .field("maxCount", req.count);
    if (!req.key_name.empty()) w.field("keyName", req.key_name);
    w.end_object().end_array().end_object();
    w.field("instanceType", req.instance_type);
    w.key("blockDeviceMapping").begin_object().end_object();
    w.key("monitoring").begin_object().field("enabled", false).end_object();
    w.field("disableApiTermination", false).field("disableApiStop", false);
    if (!req.subnet_id.empty()) w.field("subnetId", req.subnet_id);
    if (!req.security_group_ids.empty()) {
      w.key("groupSet").begin_object().key("items").begin_array();
      for (const auto& g : req.security_group_ids)
        w.begin_object().field("groupId", g).end_object();
      w.end_array().end_object();
    }
    if (!req.iam_instance_profile_name.empty())
      w.key("iamInstanceProfile")
          .begin_object()
          .field("name", req.iam_instance_profile_name)
          .end_object();
    if (!req.user_data.empty()) w.field("userData", "<sensitiveDataRemoved>");
    if (!req.client_token.empty()) w.field("clientToken", req.client_token);
    if (!req.tags.empty()) {
      w.key("tagSpecificationSet").begin_object().key("items").begin_array();
      w.begin_object().field("resourceType", "instance").key("tags").begin_array();
      for (const auto& t : req.tags)
        w.begin_object().field("key", t.key).field("value", t.value).end_object();
      w.end_array().end_object().end_array().end_object();
    }
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(
        fmt::format("arn:aws:ec2:{}:{}:instance/*", c.session_region(), c.account_id())));
    if (req.count < 1)
      return c.invalid("InvalidParameterValue",
                       "Value (0) for parameter minCount is invalid. Expected a positive integer.");
    if (req.count > 1000)
      return c.error(ErrorCode::kLimitExceeded, "InstanceLimitExceeded",
                     "You have requested more instances than your current instance limit allows");
    FIREBREAK_TRY_STATUS(check_tags(c, req.tags));
    if (!IdCodec::well_formed(Kind::kImage, req.image_id))
      return c.invalid("InvalidAMIID.Malformed",
                       fmt::format("Invalid id: \"{}\" (expecting \"ami-...\")", req.image_id));
    FIREBREAK_TRY(auto image, need(c, Kind::kImage, req.image_id));
    (void)image;
    Serial subnet = kNoSerial;
    if (!req.subnet_id.empty()) {
      FIREBREAK_TRY(subnet, need(c, Kind::kSubnet, req.subnet_id));
    } else {
      const Serial vpc = c.s.default_vpc(c.scope);
      if (vpc == kNoSerial || c.s.vpcs[vpc].subnets.empty())
        return c.invalid("VPCIdNotSpecified", "No default VPC for this user");
      subnet = c.s.vpcs[vpc].subnets.front();
    }
    const Serial vpc = c.s.subnets[subnet].vpc;
    std::vector<Serial> groups;
    for (const auto& g : req.security_group_ids) {
      FIREBREAK_TRY(auto gs, need(c, Kind::kSg, g));
      if (c.s.sgs[gs].vpc != vpc)
        return c.invalid(
            "InvalidParameter",
            fmt::format("Security group {} and subnet {} belong to different networks.", g,
                        req.subnet_id));
      groups.push_back(gs);
    }
    if (groups.empty()) groups.push_back(c.s.vpcs[vpc].default_sg);
    std::optional<std::uint32_t> profile;
    if (!req.iam_instance_profile_name.empty()) {
      const auto& iam = c.s.accounts[c.account()].iam;
      auto it = iam.profile_index.find(req.iam_instance_profile_name);
      if (it == iam.profile_index.end())
        return c.invalid("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter iamInstanceProfile.name is invalid. "
                                     "Invalid IAM Instance Profile name",
                                     req.iam_instance_profile_name));
      const auto& prof = iam.profiles[it->second];
      if (!prof.roles.empty()) {
        FIREBREAK_TRY_STATUS(c.authorize(c.s.role_arn(c.account(), prof.roles[0]), {}, nullptr,
                                         std::nullopt, "iam:passrole"));
      }
      profile = it->second;
    }
    InstanceSpec spec;
    spec.image_id = req.image_id;
    spec.instance_type = req.instance_type;
    spec.key_name = req.key_name;
    spec.tags = req.tags;
    spec.user_data = req.user_data;
    const Serial reservation = c.s.next_reservation++;
    std::vector<Instance> out;
    auto rw = c.response_writer();
    rw.begin_object()
        .field("requestId", c.request_id)
        .field("reservationId", c.s.id(Kind::kReservation, reservation))
        .field("ownerId", c.account_id())
        .key("groupSet")
        .begin_object()
        .end_object()
        .key("instancesSet")
        .begin_object()
        .key("items")
        .begin_array();
    for (int n = 0; n < req.count; ++n) {
      const Serial i =
          c.s.launch_instance(spec, c.scope, subnet, groups, profile, InstState::kPending);
      c.s.instances[i].reservation = reservation;
      c.s.after(std::chrono::seconds(15), [&s = c.s, i] {
        if (s.instances[i].state == InstState::kPending)
          s.set_instance_state(i, InstState::kRunning, {});
      });
      auto inst = to_instance(c.s, i);
      rw.begin_object()
          .field("instanceId", inst.instance_id)
          .field("imageId", inst.image_id)
          .key("instanceState")
          .begin_object()
          .field("code", 0)
          .field("name", "pending")
          .end_object()
          .field("privateDnsName", fmt::format("ip-{}.ec2.internal",
                                               [&] {
                                                 std::string ip = inst.private_ip;
                                                 std::replace(ip.begin(), ip.end(), '.', '-');
                                                 return ip;
                                               }()))
          .field("amiLaunchIndex", n)
          .field("instanceType", inst.instance_type)
          .field("launchTime", to_unix_millis(inst.launch_time))
          .key("placement")
          .begin_object()
          .field("availabilityZone", inst.availability_zone)
          .field("tenancy", "default")
          .end_object()
          .key("monitoring")
          .begin_object()
          .field("state", "disabled")
          .end_object()
          .field("subnetId", inst.subnet_id)
          .field("vpcId", inst.vpc_id)
          .field("privateIpAddress", inst.private_ip)
          .key("stateReason")
          .begin_object()
          .field("code", "pending")
          .field("message", "pending")
          .end_object()
          .field("architecture", "x86_64")
          .field("rootDeviceType", "ebs")
          .field("rootDeviceName", inst.root_device_name)
          .field("virtualizationType", "hvm")
          .field("hypervisor", "xen");
      write_tag_set(rw, inst.tags);
      rw.end_object();
      c.history_resources.emplace_back("AWS::EC2::Instance", inst.instance_id);
      out.push_back(std::move(inst));
    }
    rw.end_array().end_object().end_object();
    return out;
  });
}

namespace {

void write_state_changes(Call& c, const std::vector<InstanceStateChange>& changes) {
  auto rw = c.response_writer();
  rw.begin_object()
      .field("requestId", c.request_id)
      .key("instancesSet")
      .begin_object()
      .key("items")
      .begin_array();
  auto code_of = [](std::string_view name) {
    if (name == "pending") return 0;
    if (name == "running") return 16;
    if (name == "shutting-down") return 32;
    if (name == "terminated") return 48;
    if (name == "stopping") return 64;
    return 80;
  };
  for (const auto& ch : changes) {
    rw.begin_object()
        .field("instanceId", ch.instance_id)
        .key("currentState")
        .begin_object()
        .field("code", code_of(ch.current_state))
        .field("name", ch.current_state)
        .end_object()
        .key("previousState")
        .begin_object()
        .field("code", code_of(ch.previous_state))
        .field("name", ch.previous_state)
        .end_object()
        .end_object();
  }
  rw.end_array().end_object().end_object();
}

}  // namespace

Result<std::vector<InstanceStateChange>> SimEc2::stop_instances(const std::vector<std::string>& ids,
                                                                bool force) {
  SIM_OP("ec2", "StopInstances");
  return s_.run<Result<std::vector<InstanceStateChange>>>(
      kOp, [&](Call& c) -> Result<std::vector<InstanceStateChange>> {
        auto w = c.params_writer();
        w.begin_object();
        write_instance_set(w, ids);
        w.field("force", force).end_object();
        for (const auto& id : ids) {
          FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:instance/{}",
                                                       c.session_region(), c.account_id(), id)));
          c.history_resources.emplace_back("AWS::EC2::Instance", id);
        }
        FIREBREAK_TRY(auto serials, need_instances(c, ids));
        for (std::size_t k = 0; k < serials.size(); ++k) {
          const auto st = c.s.instances[serials[k]].state;
          if (st == InstState::kTerminated || st == InstState::kShuttingDown ||
              st == InstState::kPending)
            return c.precondition("IncorrectInstanceState",
                                  fmt::format("The instance '{}' is not in a state from which it "
                                              "can be stopped.",
                                              ids[k]));
        }
        std::vector<InstanceStateChange> out;
        for (std::size_t k = 0; k < serials.size(); ++k) {
          auto& in = c.s.instances[serials[k]];
          InstanceStateChange ch{ids[k], std::string(state_name(in.state)), {}};
          if (in.state == InstState::kRunning) c.s.begin_stop(serials[k], "User initiated");
          ch.current_state = std::string(state_name(in.state));
          out.push_back(std::move(ch));
        }
        write_state_changes(c, out);
        return out;
      });
}

Result<std::vector<InstanceStateChange>> SimEc2::start_instances(
    const std::vector<std::string>& ids) {
  SIM_OP("ec2", "StartInstances");
  return s_.run<Result<std::vector<InstanceStateChange>>>(
      kOp, [&](Call& c) -> Result<std::vector<InstanceStateChange>> {
        auto w = c.params_writer();
        w.begin_object();
        write_instance_set(w, ids);
        w.end_object();
        for (const auto& id : ids) {
          FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:instance/{}",
                                                       c.session_region(), c.account_id(), id)));
          c.history_resources.emplace_back("AWS::EC2::Instance", id);
        }
        FIREBREAK_TRY(auto serials, need_instances(c, ids));
        for (std::size_t k = 0; k < serials.size(); ++k) {
          const auto st = c.s.instances[serials[k]].state;
          if (st != InstState::kStopped && st != InstState::kRunning && st != InstState::kPending)
            return c.precondition("IncorrectInstanceState",
                                  fmt::format("The instance '{}' is not in a state from which it "
                                              "can be started.",
                                              ids[k]));
        }
        std::vector<InstanceStateChange> out;
        for (std::size_t k = 0; k < serials.size(); ++k) {
          const Serial i = serials[k];
          auto& in = c.s.instances[i];
          InstanceStateChange ch{ids[k], std::string(state_name(in.state)), {}};
          if (in.state == InstState::kStopped) {
            c.s.set_instance_state(i, InstState::kPending, {});
            c.s.after(std::chrono::seconds(15), [&s = c.s, i] {
              if (s.instances[i].state == InstState::kPending)
                s.set_instance_state(i, InstState::kRunning, {});
            });
          }
          ch.current_state = std::string(state_name(in.state));
          out.push_back(std::move(ch));
        }
        write_state_changes(c, out);
        return out;
      });
}

Result<std::vector<InstanceStateChange>> SimEc2::terminate_instances(
    const std::vector<std::string>& ids) {
  SIM_OP("ec2", "TerminateInstances");
  return s_.run<Result<std::vector<InstanceStateChange>>>(
      kOp, [&](Call& c) -> Result<std::vector<InstanceStateChange>> {
        auto w = c.params_writer();
        w.begin_object();
        write_instance_set(w, ids);
        w.end_object();
        for (const auto& id : ids) {
          FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:instance/{}",
                                                       c.session_region(), c.account_id(), id)));
          c.history_resources.emplace_back("AWS::EC2::Instance", id);
        }
        FIREBREAK_TRY(auto serials, need_instances(c, ids));
        for (std::size_t k = 0; k < serials.size(); ++k) {
          if (c.s.instances[serials[k]].disable_api_termination &&
              c.s.instances[serials[k]].state != InstState::kTerminated)
            return c.precondition("OperationNotPermitted",
                                  fmt::format("The instance '{}' may not be terminated. Modify its "
                                              "'disableApiTermination' instance attribute and try "
                                              "again.",
                                              ids[k]));
        }
        std::vector<InstanceStateChange> out;
        for (std::size_t k = 0; k < serials.size(); ++k) {
          auto& in = c.s.instances[serials[k]];
          InstanceStateChange ch{ids[k], std::string(state_name(in.state)), {}};
          if (in.state != InstState::kTerminated && in.state != InstState::kShuttingDown)
            c.s.begin_terminate(serials[k], "User initiated");
          ch.current_state = std::string(state_name(in.state));
          out.push_back(std::move(ch));
        }
        write_state_changes(c, out);
        return out;
      });
}

Result<std::string> SimEc2::get_console_output(const std::string& instance_id) {
  SIM_OP("ec2", "GetConsoleOutput");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("instanceId", instance_id).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:instance/{}",
                                                 c.session_region(), c.account_id(), instance_id)));
    FIREBREAK_TRY(auto i, need(c, Kind::kInstance, instance_id));
    const auto& in = c.s.instances[i];
    return in.extra ? in.extra->console_output : std::string();
  });
}

// ---------------------------------------------------------------------------------------------
// Instance profile associations

namespace {

Result<std::uint32_t> need_profile(Call& c, const std::string& name_or_arn) {
  const auto& iam = c.s.accounts[c.account()].iam;
  std::string name = name_or_arn;
  if (name_or_arn.starts_with("arn:aws:iam::")) {
    const auto slash = name_or_arn.rfind('/');
    name = slash == std::string::npos ? std::string() : name_or_arn.substr(slash + 1);
    if (name_or_arn.substr(13, 12) != c.account_id()) name.clear();
  }
  auto it = iam.profile_index.find(name);
  if (it == iam.profile_index.end())
    return c.invalid("InvalidParameterValue",
                     fmt::format("Value ({}) for parameter iamInstanceProfile.{} is invalid. "
                                 "Invalid IAM Instance Profile {}",
                                 name_or_arn, name_or_arn.starts_with("arn:") ? "arn" : "name",
                                 name_or_arn.starts_with("arn:") ? "ARN" : "name"));
  return it->second;
}

void write_iip_response(Call& c, std::string_view wrapper, const IamInstanceProfileAssociation& a,
                        std::string_view state) {
  auto rw = c.response_writer();
  rw.begin_object()
      .key(wrapper)
      .begin_object()
      .field("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/")
      .field("requestId", c.request_id)
      .key("iamInstanceProfileAssociation")
      .begin_object()
      .field("associationId", a.association_id)
      .key("iamInstanceProfile")
      .begin_object()
      .field("arn", a.iam_instance_profile_arn)
      .field("id", a.iam_instance_profile_id)
      .end_object()
      .field("instanceId", a.instance_id)
      .field("state", state)
      .end_object()
      .end_object()
      .end_object();
}

Status pass_role_for(Call& c, std::uint32_t profile) {
  const auto& prof = c.s.accounts[c.account()].iam.profiles[profile];
  if (prof.roles.empty()) return {};
  return c.authorize(c.s.role_arn(c.account(), prof.roles[0]), {}, nullptr, std::nullopt,
                     "iam:passrole");
}

}  // namespace

Result<std::vector<IamInstanceProfileAssociation>>
SimEc2::describe_iam_instance_profile_associations(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeIamInstanceProfileAssociations");
  return s_.run<Result<std::vector<IamInstanceProfileAssociation>>>(
      kOp, [&](Call& c) -> Result<std::vector<IamInstanceProfileAssociation>> {
        auto w = c.params_writer();
        w.begin_object().key("DescribeIamInstanceProfileAssociationsRequest").begin_object();
        for (const auto& id : req.ids) w.field("AssociationId", id);
        for (const auto& f : req.filters) {
          w.key("Filter").begin_object().field("Name", f.name);
          for (const auto& v : f.values) w.field("Value", v);
          w.end_object();
        }
        w.end_object().end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        FIREBREAK_TRY_STATUS(check_filters(c, req.filters, {"instance-id", "state"}));
        std::vector<Serial> candidates;
        if (!req.ids.empty()) {
          for (const auto& id : req.ids) {
            FIREBREAK_TRY(auto a, need(c, Kind::kIipAssoc, id));
            candidates.push_back(a);
          }
        } else {
          // Fast path for the usual "instance-id" filter.
          const Filter* by_instance = nullptr;
          for (const auto& f : req.filters)
            if (f.name == "instance-id") by_instance = &f;
          if (by_instance != nullptr &&
              std::none_of(by_instance->values.begin(), by_instance->values.end(),
                           [](const std::string& v) {
                             return v.find_first_of("*?") != std::string::npos;
                           })) {
            for (const auto& v : by_instance->values) {
              if (auto i = c.s.find(Kind::kInstance, v, c.scope)) {
                if (c.s.instances[*i].iip_assoc != kNoSerial)
                  candidates.push_back(c.s.instances[*i].iip_assoc);
              }
            }
          } else {
            candidates = c.s.scopes[c.scope].iip_assocs;
          }
        }
        std::vector<IamInstanceProfileAssociation> out;
        for (auto a : candidates) {
          const auto& r = c.s.iip_assocs[a];
          if (r.state != IipAssocRec::St::kAssociated) continue;
          auto conv = to_iip(c.s, a);
          bool ok = true;
          for (const auto& f : req.filters) {
            if (f.name == "instance-id")
              ok = ok && filter_hit(f, conv.instance_id);
            else if (f.name == "state")
              ok = ok && filter_hit(f, conv.state);
            else
              return std::unexpected(unknown_filter(c, f).error());
          }
          if (ok) out.push_back(std::move(conv));
        }
        return out;
      });
}

Result<IamInstanceProfileAssociation> SimEc2::replace_iam_instance_profile_association(
    const std::string& association_id, const std::string& profile) {
  SIM_OP("ec2", "ReplaceIamInstanceProfileAssociation");
  return s_.run<Result<IamInstanceProfileAssociation>>(
      kOp, [&](Call& c) -> Result<IamInstanceProfileAssociation> {
        auto w = c.params_writer();
        w.begin_object().key("ReplaceIamInstanceProfileAssociationRequest").begin_object();
        w.key("IamInstanceProfile")
            .begin_object()
            .field(profile.starts_with("arn:") ? "Arn" : "Name", profile)
            .end_object();
        w.field("AssociationId", association_id).end_object().end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        FIREBREAK_TRY(auto a, need(c, Kind::kIipAssoc, association_id));
        if (c.s.iip_assocs[a].state != IipAssocRec::St::kAssociated)
          return c.not_found(
              "InvalidAssociationID.NotFound",
              fmt::format("An association with the ID {} does not exist.", association_id));
        FIREBREAK_TRY(auto p, need_profile(c, profile));
        FIREBREAK_TRY_STATUS(pass_role_for(c, p));
        const Serial inst = c.s.iip_assocs[a].instance;
        c.s.disassociate_profile(a);
        IipAssocRec nr;
        nr.scope = c.scope;
        nr.instance = inst;
        nr.profile = p;
        const auto ns = static_cast<Serial>(c.s.iip_assocs.size());
        c.s.iip_assocs.push_back(nr);
        c.s.scopes[c.scope].iip_assocs.push_back(ns);
        c.s.instances[inst].iip_assoc = ns;
        auto out = to_iip(c.s, ns);
        out.state = "associating";
        write_iip_response(c, "ReplaceIamInstanceProfileAssociationResponse", out, "associating");
        c.history_resources.emplace_back("AWS::EC2::Instance", out.instance_id);
        return out;
      });
}

Result<IamInstanceProfileAssociation> SimEc2::associate_iam_instance_profile(
    const std::string& instance_id, const std::string& profile) {
  SIM_OP("ec2", "AssociateIamInstanceProfile");
  return s_.run<Result<IamInstanceProfileAssociation>>(
      kOp, [&](Call& c) -> Result<IamInstanceProfileAssociation> {
        auto w = c.params_writer();
        w.begin_object().key("AssociateIamInstanceProfileRequest").begin_object();
        w.key("IamInstanceProfile")
            .begin_object()
            .field(profile.starts_with("arn:") ? "Arn" : "Name", profile)
            .end_object();
        w.field("InstanceId", instance_id).end_object().end_object();
        FIREBREAK_TRY_STATUS(c.authorize(fmt::format(
            "arn:aws:ec2:{}:{}:instance/{}", c.session_region(), c.account_id(), instance_id)));
        FIREBREAK_TRY(auto i, need(c, Kind::kInstance, instance_id));
        if (c.s.instances[i].iip_assoc != kNoSerial)
          return c.precondition(
              "IncorrectState",
              fmt::format("There is an existing association for instance {}", instance_id));
        FIREBREAK_TRY(auto p, need_profile(c, profile));
        FIREBREAK_TRY_STATUS(pass_role_for(c, p));
        IipAssocRec nr;
        nr.scope = c.scope;
        nr.instance = i;
        nr.profile = p;
        const auto ns = static_cast<Serial>(c.s.iip_assocs.size());
        c.s.iip_assocs.push_back(nr);
        c.s.scopes[c.scope].iip_assocs.push_back(ns);
        c.s.instances[i].iip_assoc = ns;
        auto out = to_iip(c.s, ns);
        out.state = "associating";
        write_iip_response(c, "AssociateIamInstanceProfileResponse", out, "associating");
        c.history_resources.emplace_back("AWS::EC2::Instance", instance_id);
        return out;
      });
}

Status SimEc2::disassociate_iam_instance_profile(const std::string& association_id) {
  SIM_OP("ec2", "DisassociateIamInstanceProfile");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .key("DisassociateIamInstanceProfileRequest")
        .begin_object()
        .field("AssociationId", association_id)
        .end_object()
        .end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY(auto a, need(c, Kind::kIipAssoc, association_id));
    if (c.s.iip_assocs[a].state != IipAssocRec::St::kAssociated)
      return c.not_found(
          "InvalidAssociationID.NotFound",
          fmt::format("An association with the ID {} does not exist.", association_id));
    auto before = to_iip(c.s, a);
    c.s.disassociate_profile(a);
    write_iip_response(c, "DisassociateIamInstanceProfileResponse", before, "disassociating");
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Volumes and snapshots

Result<std::vector<Volume>> SimEc2::describe_volumes(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeVolumes");
  return s_.run<Result<std::vector<Volume>>>(kOp, [&](Call& c) -> Result<std::vector<Volume>> {
    auto w = c.params_writer();
    w.begin_object().key("volumeSet").begin_object();
    if (!req.ids.empty()) {
      w.key("items").begin_array();
      for (const auto& id : req.ids) w.begin_object().field("volumeId", id).end_object();
      w.end_array();
    }
    w.end_object();
    write_filter_set(w, req.filters);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY_STATUS(
        check_filters(c, req.filters,
                      {"attachment.instance-id", "volume-id", "status",
                       "attachment.delete-on-termination", "availability-zone", "size"}));
    std::vector<Serial> candidates;
    if (!req.ids.empty()) {
      for (const auto& id : req.ids) {
        FIREBREAK_TRY(auto v, need(c, Kind::kVolume, id));
        candidates.push_back(v);
      }
    } else {
      const Filter* by_instance = nullptr;
      for (const auto& f : req.filters)
        if (f.name == "attachment.instance-id") by_instance = &f;
      if (by_instance != nullptr &&
          std::none_of(
              by_instance->values.begin(), by_instance->values.end(),
              [](const std::string& v) { return v.find_first_of("*?") != std::string::npos; })) {
        for (const auto& v : by_instance->values) {
          if (auto i = c.s.find(Kind::kInstance, v, c.scope))
            for (const auto& d : c.s.instances[*i].devices) candidates.push_back(d.volume);
        }
      } else {
        candidates = c.s.scopes[c.scope].volumes;
      }
    }
    std::vector<Volume> out;
    for (auto v : candidates) {
      const auto& vo = c.s.volumes[v];
      if (vo.deleted) continue;
      bool ok = true;
      for (const auto& f : req.filters) {
        bool handled = false;
        const bool tag = tag_filter(f, vo.tags, handled);
        if (handled) {
          ok = ok && tag;
          continue;
        }
        if (f.name == "attachment.instance-id")
          ok =
              ok && vo.instance != kNoSerial && filter_hit(f, c.s.id(Kind::kInstance, vo.instance));
        else if (f.name == "volume-id")
          ok = ok && filter_hit(f, c.s.id(Kind::kVolume, v));
        else if (f.name == "status")
          ok = ok && filter_hit(f, vo.instance != kNoSerial ? "in-use" : "available");
        else if (f.name == "attachment.delete-on-termination")
          ok = ok && vo.instance != kNoSerial &&
               filter_hit(f, vo.delete_on_termination ? "true" : "false");
        else if (f.name == "availability-zone")
          ok = ok && filter_hit(f, c.s.sym(vo.az));
        else if (f.name == "size")
          ok = ok && filter_hit(f, std::to_string(vo.size_gib));
        else
          return std::unexpected(unknown_filter(c, f).error());
      }
      if (ok) out.push_back(to_volume(c.s, v));
    }
    return out;
  });
}

namespace {

void write_snapshot_response(JsonWriter& rw, const Snapshot& sn) {
  rw.field("snapshotId", sn.snapshot_id)
      .field("volumeId", sn.volume_id)
      .field("status", sn.state)
      .field("startTime", to_unix_millis(sn.start_time))
      .field("progress", "")
      .field("ownerId", sn.owner_id)
      .field("volumeSize", sn.volume_size_gib)
      .field("description", sn.description)
      .field("encrypted", sn.encrypted);
  write_tag_set(rw, sn.tags);
}

}  // namespace

Result<Snapshot> SimEc2::create_snapshot(const CreateSnapshotRequest& req) {
  SIM_OP("ec2", "CreateSnapshot");
  return s_.run<Result<Snapshot>>(kOp, [&](Call& c) -> Result<Snapshot> {
    auto w = c.params_writer();
    w.begin_object().field("volumeId", req.volume_id).field("description", req.description);
    if (!req.tags.empty()) {
      w.key("tagSpecificationSet").begin_object().key("items").begin_array();
      w.begin_object().field("resourceType", "snapshot").key("tags").begin_array();
      for (const auto& t : req.tags)
        w.begin_object().field("key", t.key).field("value", t.value).end_object();
      w.end_array().end_object().end_array().end_object();
    }
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:volume/{}", c.session_region(),
                                                 c.account_id(), req.volume_id)));
    FIREBREAK_TRY_STATUS(check_tags(c, req.tags));
    if (req.description.size() > 255)
      return c.invalid("InvalidParameterValue", "Description must be at most 255 characters");
    FIREBREAK_TRY(auto v, need(c, Kind::kVolume, req.volume_id));
    const Serial sn = c.s.create_snapshot(c.scope, v, req.description, req.tags);
    auto out = to_snapshot(c.s, sn);
    auto rw = c.response_writer();
    rw.begin_object().field("requestId", c.request_id);
    write_snapshot_response(rw, out);
    rw.end_object();
    c.history_resources.emplace_back("AWS::EC2::Volume", req.volume_id);
    c.history_resources.emplace_back("AWS::EC2::Snapshot", out.snapshot_id);
    return out;
  });
}

Result<std::vector<Snapshot>> SimEc2::create_snapshots(const CreateSnapshotsRequest& req) {
  SIM_OP("ec2", "CreateSnapshots");
  return s_.run<Result<std::vector<Snapshot>>>(kOp, [&](Call& c) -> Result<std::vector<Snapshot>> {
    auto w = c.params_writer();
    w.begin_object().key("CreateSnapshotsRequest").begin_object();
    w.key("InstanceSpecification").begin_object().field("InstanceId", req.instance_id).end_object();
    w.field("Description", req.description);
    if (req.copy_tags_from_source) w.field("CopyTagsFromSource", "volume");
    if (!req.tags.empty()) {
      w.key("TagSpecification")
          .begin_object()
          .field("ResourceType", "snapshot")
          .key("Tag")
          .begin_array();
      for (const auto& t : req.tags)
        w.begin_object().field("Key", t.key).field("Value", t.value).end_object();
      w.end_array().end_object();
    }
    w.end_object().end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format(
        "arn:aws:ec2:{}:{}:instance/{}", c.session_region(), c.account_id(), req.instance_id)));
    FIREBREAK_TRY_STATUS(check_tags(c, req.tags));
    FIREBREAK_TRY(auto i, need(c, Kind::kInstance, req.instance_id));
    if (c.s.instances[i].state == InstState::kTerminated)
      return c.precondition("IncorrectState",
                            fmt::format("The instance '{}' is not in a valid state for this "
                                        "operation.",
                                        req.instance_id));
    std::vector<Snapshot> out;
    auto rw = c.response_writer();
    rw.begin_object()
        .key("CreateSnapshotsResponse")
        .begin_object()
        .field("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/")
        .field("requestId", c.request_id)
        .key("snapshotSet")
        .begin_object()
        .key("item")
        .begin_array();
    for (const auto& d : c.s.instances[i].devices) {
      Tags tags = req.tags;
      if (req.copy_tags_from_source) {
        Tags merged = c.s.volumes[d.volume].tags;
        merge_tags(merged, req.tags);
        tags = merged;
      }
      const Serial sn = c.s.create_snapshot(c.scope, d.volume, req.description, tags);
      auto conv = to_snapshot(c.s, sn);
      rw.begin_object();
      write_snapshot_response(rw, conv);
      rw.end_object();
      out.push_back(std::move(conv));
    }
    rw.end_array().end_object().end_object().end_object();
    c.history_resources.emplace_back("AWS::EC2::Instance", req.instance_id);
    return out;
  });
}

Result<std::vector<Snapshot>> SimEc2::describe_snapshots(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeSnapshots");
  return s_.run<Result<std::vector<Snapshot>>>(kOp, [&](Call& c) -> Result<std::vector<Snapshot>> {
    auto w = c.params_writer();
    w.begin_object().key("snapshotSet").begin_object();
    if (!req.ids.empty()) {
      w.key("items").begin_array();
      for (const auto& id : req.ids) w.begin_object().field("snapshotId", id).end_object();
      w.end_array();
    }
    w.end_object().key("ownersSet").begin_object().end_object();
    w.key("restorableBySet").begin_object().end_object();
    write_filter_set(w, req.filters);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY_STATUS(check_filters(
        c, req.filters, {"snapshot-id", "volume-id", "status", "owner-id", "description"}));
    std::vector<Serial> candidates;
    if (!req.ids.empty()) {
      for (const auto& id : req.ids) {
        FIREBREAK_TRY(auto v, need(c, Kind::kSnapshot, id));
        candidates.push_back(v);
      }
    } else {
      candidates = c.s.scopes[c.scope].snapshots;
    }
    std::vector<Snapshot> out;
    for (auto sn : candidates) {
      auto conv = to_snapshot(c.s, sn);
      bool ok = true;
      for (const auto& f : req.filters) {
        bool handled = false;
        const bool tag = tag_filter(f, conv.tags, handled);
        if (handled) {
          ok = ok && tag;
          continue;
        }
        if (f.name == "snapshot-id")
          ok = ok && filter_hit(f, conv.snapshot_id);
        else if (f.name == "volume-id")
          ok = ok && filter_hit(f, conv.volume_id);
        else if (f.name == "status")
          ok = ok && filter_hit(f, conv.state);
        else if (f.name == "owner-id")
          ok = ok && filter_hit(f, conv.owner_id);
        else if (f.name == "description")
          ok = ok && filter_hit(f, conv.description);
        else
          return std::unexpected(unknown_filter(c, f).error());
      }
      if (ok) out.push_back(std::move(conv));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Tags

namespace {

struct TagTarget {
  Tags* tags = nullptr;
  std::string type;
};

Result<TagTarget> tag_target(Call& c, const std::string& id) {
  struct P {
    Kind kind;
    const char* type;
  };
  static constexpr P kKinds[] = {
      {Kind::kInstance, "AWS::EC2::Instance"},    {Kind::kVolume, "AWS::EC2::Volume"},
      {Kind::kSnapshot, "AWS::EC2::Snapshot"},    {Kind::kSg, "AWS::EC2::SecurityGroup"},
      {Kind::kEni, "AWS::EC2::NetworkInterface"}, {Kind::kVpc, "AWS::EC2::VPC"},
      {Kind::kSubnet, "AWS::EC2::Subnet"},        {Kind::kNacl, "AWS::EC2::NetworkAcl"},
      {Kind::kEipAlloc, "AWS::EC2::EIP"},         {Kind::kImage, "AWS::EC2::Image"}};
  for (const auto& p : kKinds) {
    const auto prefix = kind_prefix(p.kind);
    if (!id.starts_with(prefix) || id.size() <= prefix.size() || id[prefix.size()] != '-') continue;
    // "eni-attach-..." is not an ENI.
    if (p.kind == Kind::kEni && id.starts_with("eni-attach-")) continue;
    FIREBREAK_TRY(auto serial, need(c, p.kind, id));
    auto& s = c.s;
    Tags* t = nullptr;
    switch (p.kind) {
      case Kind::kInstance: t = &s.instances[serial].tags; break;
      case Kind::kVolume: t = &s.volumes[serial].tags; break;
      case Kind::kSnapshot: t = &s.snapshots[serial].tags; break;
      case Kind::kSg: t = &s.sgs[serial].tags; break;
      case Kind::kEni: t = &s.enis[serial].tags; break;
      case Kind::kVpc: t = &s.vpcs[serial].tags; break;
      case Kind::kSubnet: t = &s.subnets[serial].tags; break;
      case Kind::kNacl: t = &s.nacls[serial].tags; break;
      case Kind::kEipAlloc: t = &s.eips[serial].tags; break;
      default: break;
    }
    if (t == nullptr) break;
    return TagTarget{t, p.type};
  }
  return c.invalid("InvalidID", fmt::format("The ID '{}' is not valid", id));
}

void write_tag_request(Call& c, const std::vector<std::string>& ids, const Tags& tags) {
  auto w = c.params_writer();
  w.begin_object().key("resourcesSet").begin_object().key("items").begin_array();
  for (const auto& id : ids) w.begin_object().field("resourceId", id).end_object();
  w.end_array().end_object();
  w.key("tagSet").begin_object().key("items").begin_array();
  for (const auto& t : tags)
    w.begin_object().field("key", t.key).field("value", t.value).end_object();
  w.end_array().end_object().end_object();
}

}  // namespace

Status SimEc2::create_tags(const std::vector<std::string>& ids, const Tags& tags) {
  SIM_OP("ec2", "CreateTags");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    write_tag_request(c, ids, tags);
    for (const auto& id : ids) {
      const bool instance = id.starts_with("i-");
      FIREBREAK_TRY_STATUS(c.authorize(
          instance
              ? fmt::format("arn:aws:ec2:{}:{}:instance/{}", c.session_region(), c.account_id(), id)
              : std::string("*")));
    }
    if (ids.empty())
      return c.invalid("MissingParameter", "The request must contain the parameter resourceIdSet");
    if (tags.empty())
      return c.invalid("MissingParameter", "The request must contain the parameter tagSet");
    FIREBREAK_TRY_STATUS(check_tags(c, tags));
    std::vector<TagTarget> targets;
    for (const auto& id : ids) {
      FIREBREAK_TRY(auto t, tag_target(c, id));
      targets.push_back(t);
      c.history_resources.emplace_back(t.type, id);
    }
    for (auto& t : targets) {
      Tags merged = *t.tags;
      merge_tags(merged, tags);
      if (merged.size() > 50)
        return c.invalid("TagLimitExceeded",
                         "The maximum number of Tags for a resource has been reached.");
    }
    for (auto& t : targets) merge_tags(*t.tags, tags);
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

Status SimEc2::delete_tags(const std::vector<std::string>& ids, const Tags& tags) {
  SIM_OP("ec2", "DeleteTags");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    write_tag_request(c, ids, tags);
    FIREBREAK_TRY_STATUS(c.authorize());
    if (ids.empty())
      return c.invalid("MissingParameter", "The request must contain the parameter resourceIdSet");
    std::vector<TagTarget> targets;
    for (const auto& id : ids) {
      FIREBREAK_TRY(auto t, tag_target(c, id));
      targets.push_back(t);
    }
    for (auto& t : targets) {
      if (tags.empty()) {
        t.tags->clear();
        continue;
      }
      for (const auto& del : tags) {
        std::erase_if(*t.tags, [&](const Tag& x) {
          return x.key == del.key && (del.value.empty() || x.value == del.value);
        });
      }
    }
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Lifecycle (State)

void World::State::set_instance_state(Serial i, InstState st, std::string_view reason) {
  auto& in = instances[i];
  const InstState before = in.state;
  in.state = st;
  if (!reason.empty()) in.state_reason = std::string(reason);
  if (before == InstState::kRunning && st != InstState::kRunning)
    on_instance_network_down(i, st == InstState::kStopping || st == InstState::kStopped
                                    ? "instance-stopped"
                                    : "instance-terminated");
  if (st == InstState::kStopped) {
    // The auto-assigned public address is released on stop.
    for (auto e : in.enis) {
      auto& en = enis[e];
      if (en.auto_public_ip != 0) {
        eni_by_public_ip.erase(en.auto_public_ip);
        en.auto_public_ip = 0;
      }
    }
  }
  if (st == InstState::kRunning && before == InstState::kPending) {
    const auto& sn = subnets[in.subnet];
    if (!in.enis.empty() && sn.map_public_ip && enis[in.enis[0]].auto_public_ip == 0 &&
        enis[in.enis[0]].eip == kNoSerial) {
      const auto ip = allocate_public_ip(in.scope);
      enis[in.enis[0]].auto_public_ip = ip;
      eni_by_public_ip[ip] = in.enis[0];
    }
  }
  if (st == InstState::kTerminated) {
    for (auto e : in.enis) {
      auto& en = enis[e];
      if (en.eip != kNoSerial) {
        eips[en.eip].eni = kNoSerial;
        eips[en.eip].assoc = kNoSerial;
        en.eip = kNoSerial;
      }
      if (en.auto_public_ip != 0) {
        eni_by_public_ip.erase(en.auto_public_ip);
        en.auto_public_ip = 0;
      }
      if (en.delete_on_termination) {
        en.deleted = true;
        eni_by_private_ip.erase(en.private_ip);
      }
      en.instance = kNoSerial;
    }
    for (const auto& d : in.devices) {
      auto& v = volumes[d.volume];
      v.instance = kNoSerial;
      if (d.delete_on_termination) v.deleted = true;
    }
    if (in.iip_assoc != kNoSerial) disassociate_profile(in.iip_assoc);
    after(std::chrono::hours(1), [this, i] { instances[i].gone = true; });
  }
  if (in.asg != 0xffffffffu && before != st) asg_instance_changed(i);
}

void World::State::begin_stop(Serial i, std::string_view reason) {
  set_instance_state(i, InstState::kStopping, reason);
  after(std::chrono::seconds(30), [this, i] {
    if (instances[i].state == InstState::kStopping) set_instance_state(i, InstState::kStopped, {});
  });
}

void World::State::begin_terminate(Serial i, std::string_view reason) {
  set_instance_state(i, InstState::kShuttingDown, reason);
  after(std::chrono::seconds(30), [this, i] {
    if (instances[i].state == InstState::kShuttingDown)
      set_instance_state(i, InstState::kTerminated, {});
  });
}

}  // namespace firebreak::cloud::sim
