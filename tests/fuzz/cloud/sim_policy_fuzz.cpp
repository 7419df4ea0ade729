// Fuzzes IAM policy documents as the simulator receives them from callers (PutUserPolicy,
// PutRolePolicy, PutBucketPolicy, trust policies, session policies): parsing with its limits,
// then evaluation against a request context carrying every kind of condition key, and the
// S3 "is public" test. The first byte chooses the policy kind; the rest is the document.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "firebreak/cloud/sim/policy.h"

using namespace firebreak::cloud::sim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto kind = static_cast<PolicyKind>(data[0] % 3);
  const std::string_view doc(reinterpret_cast<const char*>(data + 1), size - 1);
  auto policy = Policy::parse(doc, kind);
  if (!policy) {
    (void)policy.error().describe();
    return 0;
  }
  const std::array<std::string, 2> resources = {"arn:aws:s3:::evidence/case-1/memory.lime",
                                                "arn:aws:ec2:us-east-1:222222222222:instance/i-0a"};
  const std::array<ContextValue, 7> keys = {{
      {"aws:tokenissuetime", {"2024-06-01T00:00:00Z"}},
      {"aws:sourceip", {"198.51.100.23"}},
      {"aws:securetransport", {"true"}},
      {"aws:principalaccount", {"222222222222"}},
      {"aws:multifactorauthage", {"3600"}},
      {"ec2:resourcetag/env", {"prod", "web"}},
      {"aws:principalarn", {"arn:aws:sts::222222222222:assumed-role/app-role/i-0a"}},
  }};
  PrincipalRef principal{"arn:aws:sts::222222222222:assumed-role/app-role/i-0a",
                         "arn:aws:iam::222222222222:role/app-role",
                         "222222222222",
                         {},
                         false};
  PrincipalRef anonymous{};
  anonymous.anonymous = true;
  for (const auto* p : {&principal, &anonymous}) {
    for (std::string_view action : {"s3:getobject", "ec2:terminateinstances", "sts:assumerole"}) {
      RequestContext ctx;
      ctx.action = action;
      ctx.resources = resources;
      ctx.principal = p;
      ctx.keys = keys;
      ctx.username = "ci-deployer";
      (void)(*policy)->evaluate(ctx);
      ctx.resources = {};
      ctx.keys = {};
      (void)(*policy)->evaluate(ctx);
    }
  }
  (void)(*policy)->grants_public_access();
  (void)(*policy)->has_conditions();
  return 0;
}
