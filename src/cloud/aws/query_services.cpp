// Services speaking the query protocol with XML answers: Auto Scaling, ELBv2, classic ELB, SNS.
// Answers are <OpResponse><OpResult>...</OpResult></OpResponse>; lists are <member> elements.
#include <fmt/format.h>

#include "services.h"

namespace firebreak::cloud::aws::detail {

namespace {

using Doc = std::shared_ptr<pugi::xml_document>;

pugi::xml_node result_of(const Doc& doc, std::string_view action) {
  return doc->document_element().child(fmt::format("{}Result", action).c_str());
}

std::vector<std::string> members(const pugi::xml_node& n) {
  std::vector<std::string> out;
  for (auto m : n.children("member")) out.emplace_back(m.text().as_string());
  return out;
}

// Follows a query-protocol pagination token (NextToken or Marker/NextMarker).
template <class F>
Status paginate(Client& c, const ServiceSpec& s, std::string_view action, const QueryList& base,
                const char* in_token, const char* out_token, F&& each) {
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    QueryList q = base;
    if (!token.empty()) q.emplace_back(in_token, token);
    FIREBREAK_TRY(Doc doc, c.query(s, action, q));
    const pugi::xml_node result = result_of(doc, action);
    each(result);
    token = xt(result, out_token);
    if (token.empty()) return {};
  }
  return fail(ErrorCode::kLimitExceeded,
              fmt::format("{} {}: more than {} pages", s.signing_name, action, kMaxPages));
}

Status simple(Client& c, const ServiceSpec& s, std::string_view action, QueryList q) {
  return c.run(s, action, [&]() -> Status {
    FIREBREAK_TRY(Doc doc, c.query(s, action, std::move(q)));
    (void)doc;
    return {};
  });
}

std::vector<AutoScalingActivity> parse_activities(const pugi::xml_node& result) {
  std::vector<AutoScalingActivity> out;
  for (auto a : result.child("Activities").children("member"))
    out.push_back({xt(a, "ActivityId"), xt(a, "Description"), xt(a, "StatusCode")});
  return out;
}

class AwsAutoScaling final : public AutoScaling {
 public:
  explicit AwsAutoScaling(Client& c) : c_(c) {}

  Result<std::vector<AutoScalingInstance>> describe_auto_scaling_instances(
      const std::vector<std::string>& ids) override {
    return c_.run(spec::kAutoScaling, "DescribeAutoScalingInstances",
                  [&]() -> Result<std::vector<AutoScalingInstance>> {
                    QueryList q;
                    add_list(q, "InstanceIds.member", ids);
                    std::vector<AutoScalingInstance> out;
                    FIREBREAK_TRY_STATUS(paginate(
                        c_, spec::kAutoScaling, "DescribeAutoScalingInstances", q, "NextToken",
                        "NextToken", [&](const pugi::xml_node& r) {
                          for (auto m : r.child("AutoScalingInstances").children("member"))
                            out.push_back({xt(m, "InstanceId"), xt(m, "AutoScalingGroupName"),
                                           xt(m, "LifecycleState"), xt(m, "HealthStatus"),
                                           xt(m, "AvailabilityZone")});
                        }));
                    return out;
                  });
  }

  Result<std::vector<AutoScalingGroup>> describe_auto_scaling_groups(
      const std::vector<std::string>& names) override {
    return c_.run(spec::kAutoScaling, "DescribeAutoScalingGroups",
                  [&]() -> Result<std::vector<AutoScalingGroup>> {
                    QueryList q;
                    add_list(q, "AutoScalingGroupNames.member", names);
                    std::vector<AutoScalingGroup> out;
                    FIREBREAK_TRY_STATUS(paginate(
                        c_, spec::kAutoScaling, "DescribeAutoScalingGroups", q, "NextToken",
                        "NextToken", [&](const pugi::xml_node& r) {
                          for (auto m : r.child("AutoScalingGroups").children("member")) {
                            AutoScalingGroup g;
                            g.auto_scaling_group_name = xt(m, "AutoScalingGroupName");
                            g.auto_scaling_group_arn = xt(m, "AutoScalingGroupARN");
                            g.min_size = static_cast<int>(xi(m, "MinSize"));
                            g.max_size = static_cast<int>(xi(m, "MaxSize"));
                            g.desired_capacity = static_cast<int>(xi(m, "DesiredCapacity"));
                            for (auto i : m.child("Instances").children("member"))
                              g.instances.push_back({xt(i, "InstanceId"), g.auto_scaling_group_name,
                                                     xt(i, "LifecycleState"), xt(i, "HealthStatus"),
                                                     xt(i, "AvailabilityZone")});
                            g.target_group_arns = members(m.child("TargetGroupARNs"));
                            g.load_balancer_names = members(m.child("LoadBalancerNames"));
                            for (auto t : m.child("Tags").children("member"))
                              g.tags.push_back({xt(t, "Key"), xt(t, "Value")});
                            out.push_back(std::move(g));
                          }
                        }));
                    return out;
                  });
  }

  Result<std::vector<AutoScalingActivity>> activities(std::string_view action,
                                                      const std::string& group,
                                                      const std::vector<std::string>& ids,
                                                      std::optional<bool> decrement) {
    return c_.run(spec::kAutoScaling, action, [&]() -> Result<std::vector<AutoScalingActivity>> {
      QueryList q{{"AutoScalingGroupName", group}};
      add_list(q, "InstanceIds.member", ids);
      if (decrement) q.emplace_back("ShouldDecrementDesiredCapacity", tf(*decrement));
      FIREBREAK_TRY(Doc doc, c_.query(spec::kAutoScaling, action, std::move(q)));
      return parse_activities(result_of(doc, action));
    });
  }

  Result<std::vector<AutoScalingActivity>> detach_instances(const std::string& group,
                                                            const std::vector<std::string>& ids,
                                                            bool decrement) override {
    return activities("DetachInstances", group, ids, decrement);
  }
  Status attach_instances(const std::string& group, const std::vector<std::string>& ids) override {
    QueryList q{{"AutoScalingGroupName", group}};
    add_list(q, "InstanceIds.member", ids);
    return simple(c_, spec::kAutoScaling, "AttachInstances", std::move(q));
  }
  Result<std::vector<AutoScalingActivity>> enter_standby(const std::string& group,
                                                         const std::vector<std::string>& ids,
                                                         bool decrement) override {
    return activities("EnterStandby", group, ids, decrement);
  }
  Result<std::vector<AutoScalingActivity>> exit_standby(
      const std::string& group, const std::vector<std::string>& ids) override {
    return activities("ExitStandby", group, ids, std::nullopt);
  }

 private:
  Client& c_;
};

void add_targets(QueryList& q, const std::vector<TargetDescription>& targets) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    q.emplace_back(fmt::format("Targets.member.{}.Id", i + 1), targets[i].id);
    if (targets[i].port > 0)
      q.emplace_back(fmt::format("Targets.member.{}.Port", i + 1), std::to_string(targets[i].port));
    if (!targets[i].availability_zone.empty())
      q.emplace_back(fmt::format("Targets.member.{}.AvailabilityZone", i + 1),
                     targets[i].availability_zone);
  }
}

class AwsElbv2 final : public Elbv2 {
 public:
  explicit AwsElbv2(Client& c) : c_(c) {}

  Result<std::vector<TargetGroup>> describe_target_groups(const std::vector<std::string>& arns,
                                                          const std::string& lb_arn) override {
    return c_.run(spec::kElbv2, "DescribeTargetGroups", [&]() -> Result<std::vector<TargetGroup>> {
      QueryList q;
      add_list(q, "TargetGroupArns.member", arns);
      if (!lb_arn.empty()) q.emplace_back("LoadBalancerArn", lb_arn);
      std::vector<TargetGroup> out;
      FIREBREAK_TRY_STATUS(paginate(c_, spec::kElbv2, "DescribeTargetGroups", q, "Marker",
                                    "NextMarker", [&](const pugi::xml_node& r) {
                                      for (auto m : r.child("TargetGroups").children("member")) {
                                        TargetGroup g;
                                        g.target_group_arn = xt(m, "TargetGroupArn");
                                        g.target_group_name = xt(m, "TargetGroupName");
                                        g.target_type = xt(m, "TargetType");
                                        g.protocol = xt(m, "Protocol");
                                        g.port = static_cast<int>(xi(m, "Port"));
                                        g.vpc_id = xt(m, "VpcId");
                                        g.load_balancer_arns = members(m.child("LoadBalancerArns"));
                                        out.push_back(std::move(g));
                                      }
                                    }));
      return out;
    });
  }

  Result<std::vector<TargetHealth>> describe_target_health(const std::string& arn) override {
    return c_.run(spec::kElbv2, "DescribeTargetHealth", [&]() -> Result<std::vector<TargetHealth>> {
      FIREBREAK_TRY(Doc doc,
                    c_.query(spec::kElbv2, "DescribeTargetHealth", {{"TargetGroupArn", arn}}));
      std::vector<TargetHealth> out;
      for (auto m : result_of(doc, "DescribeTargetHealth")
                        .child("TargetHealthDescriptions")
                        .children("member")) {
        TargetHealth h;
        const auto t = m.child("Target");
        h.target = {xt(t, "Id"), static_cast<int>(xi(t, "Port")), xt(t, "AvailabilityZone")};
        h.state = xt(m.child("TargetHealth"), "State");
        h.reason = xt(m.child("TargetHealth"), "Reason");
        out.push_back(std::move(h));
      }
      return out;
    });
  }

  Status register_targets(const std::string& arn,
                          const std::vector<TargetDescription>& targets) override {
    QueryList q{{"TargetGroupArn", arn}};
    add_targets(q, targets);
    return simple(c_, spec::kElbv2, "RegisterTargets", std::move(q));
  }
  Status deregister_targets(const std::string& arn,
                            const std::vector<TargetDescription>& targets) override {
    QueryList q{{"TargetGroupArn", arn}};
    add_targets(q, targets);
    return simple(c_, spec::kElbv2, "DeregisterTargets", std::move(q));
  }

 private:
  Client& c_;
};

class AwsClassicElb final : public ClassicElb {
 public:
  explicit AwsClassicElb(Client& c) : c_(c) {}

  Result<std::vector<ClassicLoadBalancer>> describe_load_balancers(
      const std::vector<std::string>& names) override {
    return c_.run(
        spec::kElb, "DescribeLoadBalancers", [&]() -> Result<std::vector<ClassicLoadBalancer>> {
          QueryList q;
          add_list(q, "LoadBalancerNames.member", names);
          std::vector<ClassicLoadBalancer> out;
          FIREBREAK_TRY_STATUS(
              paginate(c_, spec::kElb, "DescribeLoadBalancers", q, "Marker", "NextMarker",
                       [&](const pugi::xml_node& r) {
                         for (auto m : r.child("LoadBalancerDescriptions").children("member")) {
                           ClassicLoadBalancer lb;
                           lb.load_balancer_name = xt(m, "LoadBalancerName");
                           lb.dns_name = xt(m, "DNSName");
                           lb.vpc_id = xt(m, "VPCId");
                           for (auto i : m.child("Instances").children("member"))
                             lb.instance_ids.push_back(xt(i, "InstanceId"));
                           out.push_back(std::move(lb));
                         }
                       }));
          return out;
        });
  }

  Result<std::vector<ClassicInstanceHealth>> describe_instance_health(
      const std::string& name) override {
    return c_.run(
        spec::kElb, "DescribeInstanceHealth", [&]() -> Result<std::vector<ClassicInstanceHealth>> {
          FIREBREAK_TRY(Doc doc, c_.query(spec::kElb, "DescribeInstanceHealth",
                                          {{"LoadBalancerName", name}}));
          std::vector<ClassicInstanceHealth> out;
          for (auto m :
               result_of(doc, "DescribeInstanceHealth").child("InstanceStates").children("member"))
            out.push_back({xt(m, "InstanceId"), xt(m, "State"), xt(m, "ReasonCode")});
          return out;
        });
  }

  Status instances(std::string_view action, const std::string& name,
                   const std::vector<std::string>& ids) {
    QueryList q{{"LoadBalancerName", name}};
    for (std::size_t i = 0; i < ids.size(); ++i)
      q.emplace_back(fmt::format("Instances.member.{}.InstanceId", i + 1), ids[i]);
    return simple(c_, spec::kElb, action, std::move(q));
  }
  Status register_instances(const std::string& name, const std::vector<std::string>& ids) override {
    return instances("RegisterInstancesWithLoadBalancer", name, ids);
  }
  Status deregister_instances(const std::string& name,
                              const std::vector<std::string>& ids) override {
    return instances("DeregisterInstancesFromLoadBalancer", name, ids);
  }

 private:
  Client& c_;
};

class AwsSns final : public Sns {
 public:
  explicit AwsSns(Client& c) : c_(c) {}
  Result<std::string> create_topic(const std::string& name) override {
    return c_.run(spec::kSns, "CreateTopic", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Doc doc, c_.query(spec::kSns, "CreateTopic", {{"Name", name}}));
      return xt(result_of(doc, "CreateTopic"), "TopicArn");
    });
  }
  Result<std::string> publish(const std::string& topic_arn, const std::string& subject,
                              const std::string& message) override {
    return c_.run(spec::kSns, "Publish", [&]() -> Result<std::string> {
      QueryList q{{"TopicArn", topic_arn}, {"Message", message}};
      if (!subject.empty()) q.emplace_back("Subject", subject);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kSns, "Publish", std::move(q)));
      return xt(result_of(doc, "Publish"), "MessageId");
    });
  }

 private:
  Client& c_;
};

}  // namespace

std::unique_ptr<AutoScaling> make_autoscaling(Client& c) {
  return std::make_unique<AwsAutoScaling>(c);
}
std::unique_ptr<Elbv2> make_elbv2(Client& c) { return std::make_unique<AwsElbv2>(c); }
std::unique_ptr<ClassicElb> make_elb(Client& c) { return std::make_unique<AwsClassicElb>(c); }
std::unique_ptr<Sns> make_sns(Client& c) { return std::make_unique<AwsSns>(c); }

}  // namespace firebreak::cloud::aws::detail
