// AWS-managed policies the simulator knows. Documents are abridged to the statements that matter
// for incident response; the ARNs and names are AWS's.
#include "state.h"

namespace firebreak::cloud::sim {

struct AwsPolicyText {
  const char* name;
  const char* doc;
};

static constexpr AwsPolicyText kAwsPolicies[] = {
    {"AdministratorAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"},
    {"ReadOnlyAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ec2:Get*","autoscaling:Describe*","elasticloadbalancing:Describe*","iam:Get*","iam:List*","s3:Get*","s3:List*","ssm:Describe*","ssm:Get*","ssm:List*","cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents","guardduty:Get*","guardduty:List*","securityhub:Get*","sts:GetCallerIdentity","sns:List*","sqs:List*","sqs:Get*"],"Resource":"*"}]})"},
    {"SecurityAudit",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","autoscaling:Describe*","elasticloadbalancing:Describe*","iam:Get*","iam:List*","s3:GetBucket*","s3:GetPublicAccessBlock","s3:ListAllMyBuckets","cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:LookupEvents","guardduty:Get*","guardduty:List*"],"Resource":"*"}]})"},
    {"PowerUserAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions"],"Resource":"*"}]})"},
    {"IAMFullAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]})"},
    {"AmazonEC2FullAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","elasticloadbalancing:*","autoscaling:*","cloudwatch:*"],"Resource":"*"},{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*"}]})"},
    {"AmazonS3FullAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]})"},
    {"AmazonS3ReadOnlyAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]})"},
    {"AmazonSSMManagedInstanceCore",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:DescribeAssociation","ssm:GetDeployablePatchSnapshotForInstance","ssm:GetDocument","ssm:DescribeDocument","ssm:GetManifest","ssm:GetParameter","ssm:GetParameters","ssm:ListAssociations","ssm:ListInstanceAssociations","ssm:PutInventory","ssm:PutComplianceItems","ssm:PutConfigurePackageResult","ssm:UpdateAssociationStatus","ssm:UpdateInstanceAssociationStatus","ssm:UpdateInstanceInformation"],"Resource":"*"},{"Effect":"Allow","Action":["ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"},{"Effect":"Allow","Action":["ec2messages:AcknowledgeMessage","ec2messages:DeleteMessage","ec2messages:FailMessage","ec2messages:GetEndpoint","ec2messages:GetMessages","ec2messages:SendReply"],"Resource":"*"}]})"},
    {"AWSCompromisedKeyQuarantineV2",
     R"({"Version":"2012-10-17","Statement":[{"Sid":"AWSCompromisedKeyQuarantine","Effect":"Deny","Action":["cloudtrail:LookupEvents","ec2:RequestSpotInstances","ec2:RunInstances","ec2:StartInstances","iam:AddUserToGroup","iam:AttachGroupPolicy","iam:AttachRolePolicy","iam:AttachUserPolicy","iam:ChangePassword","iam:CreateAccessKey","iam:CreateInstanceProfile","iam:CreateLoginProfile","iam:CreatePolicyVersion","iam:CreateRole","iam:CreateUser","iam:DetachUserPolicy","iam:PassRole","iam:PutGroupPolicy","iam:PutRolePolicy","iam:PutUserPermissionsBoundary","iam:PutUserPolicy","iam:SetDefaultPolicyVersion","iam:UpdateAccessKey","iam:UpdateAccountPasswordPolicy","iam:UpdateAssumeRolePolicy","iam:UpdateLoginProfile","iam:UpdateUser","lambda:AddLayerVersionPermission","lambda:AddPermission","lambda:CreateFunction","lambda:GetPolicy","lambda:ListTags","lambda:PutProvisionedConcurrencyConfig","lambda:TagResource","lambda:UntagResource","lambda:UpdateFunctionCode","lightsail:Create*","lightsail:Delete*","lightsail:DownloadDefaultKeyPair","lightsail:GetInstanceAccessDetails","lightsail:Start*","lightsail:Update*","organizations:CreateAccount","organizations:CreateOrganization","organizations:InviteAccountToOrganization","s3:DeleteBucket","s3:DeleteObject","s3:DeleteObjectVersion","s3:PutLifecycleConfiguration","s3:PutBucketAcl","s3:PutBucketOwnershipControls","s3:DeletePublicAccessBlock","s3:PutBucketPolicy","s3:ListAllMyBuckets","ec2:PurchaseReservedInstancesOffering","ec2:AcceptReservedInstancesExchangeQuote","ec2:CreateInstances","ec2:CopyImage","ec2:CreateImage","ec2:CreateLaunchTemplate","ec2:CreateKeyPair","ec2:ImportKeyPair","ec2:ModifyInstanceAttribute","ec2:AuthorizeSecurityGroupIngress","ec2:CreateSecurityGroup","ec2:CreateVpc","ec2:CreateSubnet","sts:GetFederationToken","sts:GetSessionToken"],"Resource":["*"]}]})"},
    {"AWSCloudTrail_ReadOnlyAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Get*","cloudtrail:Describe*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}]})"},
    {"AmazonGuardDutyReadOnlyAccess",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["guardduty:Describe*","guardduty:Get*","guardduty:List*"],"Resource":"*"}]})"},
    {"AutoScalingServiceRolePolicy",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","elasticloadbalancing:*"],"Resource":"*"}]})"},
};

void install_aws_policies(std::map<std::string, ManagedPolicyRec>& out) {
  for (const auto& p : kAwsPolicies) {
    ManagedPolicyRec rec;
    rec.name = p.name;
    rec.arn = std::string("arn:aws:iam::aws:policy/") + p.name;
    if (rec.name == "AutoScalingServiceRolePolicy")
      rec.arn = "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy";
    rec.id = "ANPA" + std::to_string(out.size() + 4100000000000000000ull);
    rec.doc.text = p.doc;
    auto parsed = Policy::parse(p.doc, PolicyKind::kIdentity);
    if (!parsed)
      sim_bug(std::string("bad built-in policy ") + p.name + ": " + parsed.error().message());
    rec.doc.parsed = *parsed;
    rec.aws_managed = true;
    out.emplace(rec.arn, std::move(rec));
  }
}

}  // namespace firebreak::cloud::sim
