#pragma once
// Small helpers shared by the conformance cases (header-only).

#include <gtest/gtest.h>

#include <string>

#include "backend.h"

namespace firebreak::testing {

// Asserts a failed result carries AWS's error code (and, optionally, firebreak's class of it).
#define EXPECT_AWS_ERROR(result, code)                                                  \
  do {                                                                                  \
    const auto& fb_r_ = (result);                                                       \
    ASSERT_FALSE(fb_r_.has_value()) << "expected " << (code) << ", the call succeeded"; \
    EXPECT_EQ(fb_r_.error().context().aws_code, (code)) << fb_r_.error().describe();    \
  } while (false)

#define ASSERT_OK(result)                                       \
  do {                                                          \
    const auto& fb_r_ = (result);                               \
    ASSERT_TRUE(fb_r_.has_value()) << fb_r_.error().describe(); \
  } while (false)

#define SKIP_UNLESS(cap, why)                                                       \
  do {                                                                              \
    if (!caps().cap) GTEST_SKIP() << GetParam() << " does not model this: " << why; \
  } while (false)

// Launches one instance in the world's subnet and waits until it runs.
inline std::string launch(CloudConformance& t, ConformanceWorld& w, cloud::CloudSession& s,
                          cloud::Tags tags = {}) {
  cloud::RunInstancesRequest req;
  req.image_id = w.image_id();
  req.subnet_id = w.subnet_id();
  req.tags = std::move(tags);
  auto r = s.ec2().run_instances(req);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe());
  if (!r || r->empty()) return {};
  w.let_time_pass(std::chrono::seconds(60));
  (void)t;
  return r->front().instance_id;
}

// Ids that are well formed but name nothing.
inline constexpr const char* kMissingInstance = "i-0fffffffffffffff1";
inline constexpr const char* kMissingVolume = "vol-0fffffffffffffff1";
inline constexpr const char* kMissingSnapshot = "snap-0fffffffffffffff1";
inline constexpr const char* kMissingGroup = "sg-0fffffffffffffff1";
inline constexpr const char* kMissingEni = "eni-0fffffffffffffff1";

}  // namespace firebreak::testing
