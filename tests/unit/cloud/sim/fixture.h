#pragma once
// A small organisation for the simulator's unit tests: a security account with the responder
// role, a member account "prod" with a VPC, a web security group, an instance with an instance
// profile, and the cross-account responder role; plus helpers to act as the responder or as an
// attacker.

#include <gtest/gtest.h>
#include <libdeflate.h>

#include <memory>
#include <string>

#include "firebreak/cloud/sim/provider.h"
#include "firebreak/cloud/sim/world.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud::sim::testing {

inline constexpr const char* kSecurity = "111111111111";
inline constexpr const char* kProd = "222222222222";
inline constexpr const char* kAttackerIp = "198.51.100.23";
inline constexpr const char* kAttackerUa =
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024";

#define SIM_OK(expr)                                                        \
  ({                                                                        \
    auto fb_v_ = (expr);                                                    \
    if (!fb_v_) ADD_FAILURE() << #expr << ": " << fb_v_.error().describe(); \
    std::move(fb_v_);                                                       \
  })

// Inflates a gzip file body (delivery files are small in tests).
inline std::string gunzip(std::string_view gz) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::string out(gz.size() * 8 + 1024, '\0');
  for (;;) {
    std::size_t n = 0;
    const auto r = libdeflate_gzip_decompress(d, gz.data(), gz.size(), out.data(), out.size(), &n);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      out.resize(out.size() * 4);
      continue;
    }
    libdeflate_free_decompressor(d);
    if (r != LIBDEFLATE_SUCCESS) return {};
    out.resize(n);
    return out;
  }
}

struct Org {
  std::shared_ptr<World> world;
  std::string vpc, subnet, web_sg, instance, eni, image;
  Credentials admin;           // prod administrator user
  Credentials responder_user;  // security-account user allowed to assume the responder role

  explicit Org(WorldOptions o = {}) {
    world = std::make_shared<World>(o);
    must(world->add_account({kSecurity, "security", true, false, {"us-east-1"}}));
    must(world->add_account({kProd, "prod", false, false, {"us-east-1"}}));
    must(world->set_organization("o-a1b2c3d4e5", kSecurity));
    vpc = must(world->add_vpc(kProd, "us-east-1", "10.0.0.0/16", false, "prod-vpc"));
    subnet = must(world->add_subnet(vpc, "10.0.1.0/24", "us-east-1a", "prod-a"));
    image = must(world->add_image(kProd, "us-east-1", "amzn2023"));
    IpPermission https;
    https.ip_protocol = "tcp";
    https.from_port = 443;
    https.to_port = 443;
    https.ipv4_ranges = {"0.0.0.0/0"};
    web_sg = must(world->add_security_group(vpc, "web-sg", "web", {https}));
    RoleSpec app;
    app.name = "app-role";
    app.managed_policy_arns = {"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                               "arn:aws:iam::aws:policy/AmazonS3FullAccess"};
    app.inline_policies = {
        {"ec2-read",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*"}]})"}};
    must(world->add_role(kProd, app));
    must(world->add_instance_profile(kProd, "app-profile", "app-role"));
    InstanceSpec web;
    web.name = "web-1";
    web.account = kProd;
    web.region = "us-east-1";
    web.subnet_id = subnet;
    web.security_group_ids = {web_sg};
    web.instance_profile = "app-profile";
    web.public_ip = true;
    web.ssm_agent = true;
    web.memory_mib = 8;
    instance = must(world->add_instance(web));
    UserSpec a;
    a.name = "admin";
    a.access_keys = 1;
    a.managed_policy_arns = {"arn:aws:iam::aws:policy/AdministratorAccess"};
    admin = must(world->add_user(kProd, a)).at(0);
    // The responder: a user in the security account, and a role there it assumes, trusted by
    // the prod account's firebreak-responder role.
    UserSpec r;
    r.name = "firebreak";
    r.access_keys = 1;
    r.inline_policies = {
        {"assume",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})"}};
    responder_user = must(world->add_user(kSecurity, r)).at(0);
    RoleSpec cross;
    cross.name = "firebreak-responder";
    cross.trust_policy =
        std::string(
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)") +
        kSecurity + R"(:root"},"Action":"sts:AssumeRole"}]})";
    cross.managed_policy_arns = {"arn:aws:iam::aws:policy/AdministratorAccess"};
    must(world->add_role(kProd, cross));
  }

  template <class T>
  static T must(Result<T> r) {
    if (!r) {
      ADD_FAILURE() << r.error().describe();
      return T{};
    }
    return std::move(*r);
  }
  static void must(Status s) {
    if (!s) ADD_FAILURE() << s.error().describe();
  }

  // The prod administrator, from the responder's workstation.
  std::shared_ptr<CloudSession> admin_session(std::string ua = "firebreak/0.1.0") {
    Identity id;
    id.credentials = admin;
    id.source_ip = "192.0.2.10";
    id.user_agent = std::move(ua);
    return make_session(world, id, "us-east-1");
  }

  std::shared_ptr<CloudSession> attacker_session(const Credentials& creds) {
    Identity id;
    id.credentials = creds;
    id.source_ip = kAttackerIp;
    id.user_agent = kAttackerUa;
    return make_session(world, id, "us-east-1");
  }

  std::string primary_eni() {
    auto s = admin_session();
    auto inst = s->ec2().describe_instances({{instance}, {}});
    if (!inst || inst->empty()) return {};
    return inst->front().network_interfaces.at(0).network_interface_id;
  }

  std::vector<Json> records_named(std::string_view account, std::string_view event_name) {
    std::vector<Json> out;
    for (const auto& r : world->records(std::string(account))) {
      auto j = parse_json(r);
      if (j && (*j)["eventName"] == event_name) out.push_back(*j);
    }
    return out;
  }
};

}  // namespace firebreak::cloud::sim::testing
