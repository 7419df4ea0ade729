#pragma once
// IAM policy documents and their evaluation, as the simulator enforces them.
//
// What is modelled (enough for containment to behave as in AWS):
//  - Statements with Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal
//    (resource-based policies and trust policies) and Condition blocks.
//  - Wildcards '*' and '?' in actions (case-insensitive) and resources (case-sensitive).
//  - Condition operators: String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress,
//    Arn*, Null; the ...IfExists suffix and the ForAllValues:/ForAnyValue: set prefixes. A key
//    missing from the request context makes a positive operator false and a negated operator
//    true (as AWS documents). Unknown operators are refused when the policy is parsed
//    (MalformedPolicyDocument), as IAM refuses them.
//  - The evaluation logic: an explicit Deny in any applicable policy wins; otherwise an Allow is
//    needed (see evaluate_request for how identity, resource and session policies combine).
// Not modelled: SCPs, permission boundaries, policy variables other than ${aws:username}.
//
// Policies are immutable once parsed and safe to share between threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud::sim {

enum class PolicyKind : std::uint8_t {
  kIdentity,  // user/role/group policies: no Principal allowed
  kResource,  // bucket policies, trust policies: Principal required
  kSession,   // session policies passed to AssumeRole: no Principal
};

// A principal as resource-based policies name it.
struct PrincipalRef {
  std::string arn;         // "arn:aws:iam::123:user/bob", "arn:aws:sts::123:assumed-role/R/s"
  std::string role_arn;    // for role sessions: the role's ARN (matches "role/R" principals)
  std::string account;     // the principal's account
  std::string service;     // "ec2.amazonaws.com" for AWS service principals, else empty
  bool anonymous = false;  // unauthenticated (S3 public access)
};

// One condition key's value(s) in the request context.
struct ContextValue {
  std::string key;  // lower-case ("aws:tokenissuetime", "ec2:resourcetag/env")
  std::vector<std::string> values;
};

// What a policy is asked about.
struct RequestContext {
  std::string_view action;                 // lower-case "ec2:terminateinstances"
  std::span<const std::string> resources;  // ARNs; empty means "*"
  const PrincipalRef* principal = nullptr;
  std::span<const ContextValue> keys;  // condition keys present in this request
  std::string_view username;           // for ${aws:username}
  TimePoint now{};
};

enum class Decision : std::uint8_t { kNone, kAllow, kDeny };

class Policy {
 public:
  // Parses a policy document (JSON text, at most 10 KiB of statements' worth of nesting).
  // Errors are kInvalidArgument with aws_code "MalformedPolicyDocument" and say what is wrong.
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> parse(std::string_view json,
                                                                   PolicyKind kind);

  // Deny if a matching Deny statement exists, else Allow if a matching Allow exists, else None.
  [[nodiscard]] Decision evaluate(const RequestContext& ctx) const;

  // True when some Allow statement grants access to everyone ("*" / {"AWS":"*"}) without a
  // condition that restricts it to known accounts, networks or organisations: the definition
  // S3 uses for "public" (GetBucketPolicyStatus, Block Public Access).
  [[nodiscard]] bool grants_public_access() const;

  [[nodiscard]] std::size_t statement_count() const;
  // True when some statement has a Condition (the caller then needs the full request context).
  [[nodiscard]] bool has_conditions() const;

  struct Impl;
  explicit Policy(std::unique_ptr<Impl> impl);
  ~Policy();

 private:
  std::unique_ptr<Impl> impl_;
};

// Case-insensitive glob ('*', '?') as IAM matches actions.
[[nodiscard]] bool match_action(std::string_view pattern, std::string_view action) noexcept;
// Case-sensitive glob as IAM matches resources and ARN conditions.
[[nodiscard]] bool match_glob(std::string_view pattern, std::string_view text) noexcept;

}  // namespace firebreak::cloud::sim
