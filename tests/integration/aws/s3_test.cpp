#include "moto_fixture.h"

using namespace firebreak;
using namespace firebreak::cloud;
using firebreak::testing::MotoTest;

TEST_F(MotoTest, placeholder_s3) { SUCCEED(); }
