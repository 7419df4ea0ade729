#pragma once
// The cloud seam. Playbooks, evidence and game days talk to AWS only through a CloudSession: a
// bundle of typed service clients acting in one account and region. Two backends implement it:
//   aws  (src/cloud/aws)  real HTTP with SigV4, the credential chain, retries and pacing;
//   sim  (src/cloud/sim)  the embedded simulated organisation (deterministic, in process).
// One conformance suite (tests/conformance/cloud_*) runs against both.
//
// Identity: every call firebreak makes carries a user agent starting with kUserAgentPrefix and,
// when a role is assumed, a role session name from role_session_name_for(incident), so its own
// calls are recognisable in CloudTrail and excluded from detection.
//
// Thread-safety: providers and sessions are thread-safe; service clients obtained from a session
// may be used from several threads at once.

#include <memory>
#include <string>
#include <string_view>

#include "firebreak/cloud/autoscaling.h"
#include "firebreak/cloud/ec2.h"
#include "firebreak/cloud/elb.h"
#include "firebreak/cloud/iam.h"
#include "firebreak/cloud/logging.h"
#include "firebreak/cloud/operation.h"
#include "firebreak/cloud/s3.h"
#include "firebreak/cloud/ssm.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud {

inline constexpr std::string_view kUserAgentPrefix = "firebreak/";
inline constexpr std::string_view kRoleSessionPrefix = "firebreak-";

// "firebreak-<incident>", restricted to the characters AWS allows in role session names
// ([\w+=,.@-], others become '-') and cut to 64 characters.
[[nodiscard]] std::string role_session_name_for(std::string_view incident_id);

struct SessionRequest {
  std::string account_id;         // empty: the provider's own (home) account
  std::string region;             // empty: the provider's default region
  std::string role_session_name;  // names the session in CloudTrail (role_session_name_for)
  std::string role_arn;           // empty: for another account, the provider's configured
                                  // cross-account role in that account; else no AssumeRole
};

class CloudSession {
 public:
  virtual ~CloudSession() = default;

  [[nodiscard]] virtual const std::string& account_id() const = 0;
  [[nodiscard]] virtual const std::string& region() const = 0;

  virtual Ec2& ec2() = 0;
  virtual AutoScaling& autoscaling() = 0;
  virtual Elbv2& elbv2() = 0;
  virtual ClassicElb& elb() = 0;
  virtual Iam& iam() = 0;
  virtual Sts& sts() = 0;
  virtual S3& s3() = 0;
  virtual Ssm& ssm() = 0;
  virtual CloudTrail& cloudtrail() = 0;
  virtual GuardDuty& guardduty() = 0;
  virtual SecurityHub& securityhub() = 0;
  virtual Sns& sns() = 0;
  virtual Sqs& sqs() = 0;

  // Runs `hook` around every later call made through this session (after the provider's hooks).
  virtual void add_hook(std::shared_ptr<CallHook> hook) = 0;
};

class CloudProvider {
 public:
  virtual ~CloudProvider() = default;
  // "aws" or "sim".
  [[nodiscard]] virtual std::string_view backend() const = 0;
  // A session acting in the requested account and region (assuming a role when needed).
  [[nodiscard]] virtual Result<std::shared_ptr<CloudSession>> session(
      const SessionRequest& req) = 0;
  // Runs `hook` around every call of every session created afterwards.
  virtual void add_hook(std::shared_ptr<CallHook> hook) = 0;
};

}  // namespace firebreak::cloud
