#pragma once
// Private: the service client implementations of the aws backend, one per seam interface.

#include <memory>

#include "client.h"
#include "firebreak/cloud/aws/provider.h"
#include "firebreak/cloud/session.h"

namespace firebreak::cloud::aws::detail {

std::unique_ptr<Ec2> make_ec2(Client& c);
std::unique_ptr<AutoScaling> make_autoscaling(Client& c);
std::unique_ptr<Elbv2> make_elbv2(Client& c);
std::unique_ptr<ClassicElb> make_elb(Client& c);
std::unique_ptr<Iam> make_iam(Client& c);
std::unique_ptr<Sts> make_sts(Client& c);
std::unique_ptr<S3> make_s3(Client& c);
std::unique_ptr<Ssm> make_ssm(Client& c);
std::unique_ptr<CloudTrail> make_cloudtrail(Client& c);
std::unique_ptr<GuardDuty> make_guardduty(Client& c);
std::unique_ptr<SecurityHub> make_securityhub(Client& c);
std::unique_ptr<Sns> make_sns(Client& c);
std::unique_ptr<Sqs> make_sqs(Client& c);
std::unique_ptr<DynamoDb> make_dynamodb(Client& c);

// STS AssumeRole with explicit source credentials (the credential chain and cross-account
// sessions use it without a session of their own).
[[nodiscard]] Result<AssumedRole> assume_role_with(std::shared_ptr<Shared> shared,
                                                   const Credentials& source,
                                                   const std::string& region,
                                                   const AssumeRoleRequest& req);
[[nodiscard]] Result<AssumedRole> parse_assume_role(const pugi::xml_node& root);

// Upper bound on pages followed by one paginated call (a runaway NextToken loop is an error).
inline constexpr int kMaxPages = 10000;

}  // namespace firebreak::cloud::aws::detail
