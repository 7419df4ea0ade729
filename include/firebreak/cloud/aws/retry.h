#pragma once
// Retries and pacing of the AWS client.
//  - RetryPolicy: exponential backoff with full jitter (sleep uniform in [0, min(cap, base*2^n)])
//    on throttling, 5xx and transport errors, at most max_attempts per call.
//  - RetryBudget: a shared token bucket as in the SDKs' "standard" mode: a retry costs tokens
//    (more after a timeout), a success gives one back; when the budget is empty calls fail fast
//    instead of piling retries onto a struggling service.
//  - Pacer: per account+region+service token buckets for mutating calls (EC2: 50 burst, 5/s),
//    so a wave of containment calls stays under AWS's limits instead of tripping them.
// Sleeping goes through the Clock seam (SimClock in tests). Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/ids.h"

namespace firebreak::cloud::aws {

struct RetryPolicy {
  int max_attempts = 5;  // including the first
  Duration base_delay = std::chrono::milliseconds(100);
  Duration max_delay = std::chrono::seconds(20);
  // Throttling deserves a longer base (AWS SDKs use ~1 s for throttles).
  Duration throttle_base_delay = std::chrono::milliseconds(500);
};

class RetryBudget {
 public:
  explicit RetryBudget(int capacity = 500, int retry_cost = 5, int timeout_cost = 10)
      : capacity_(capacity),
        tokens_(capacity),
        retry_cost_(retry_cost),
        timeout_cost_(timeout_cost) {}
  // Takes the cost of retrying after `e`; false when the budget cannot pay it.
  [[nodiscard]] bool acquire(const Error& e);
  // A call succeeded: refunds one token (up to capacity).
  void on_success();
  [[nodiscard]] int available() const;

 private:
  mutable std::mutex mu_;
  int capacity_;
  int tokens_;
  int retry_cost_;
  int timeout_cost_;
};

// Whether an error deserves another attempt (throttling, 5xx, transport, some AWS codes).
[[nodiscard]] bool is_retryable(const Error& e);

// Delay before attempt `attempt` (1 = first retry) with full jitter from `rng`.
[[nodiscard]] Duration backoff_delay(const RetryPolicy& p, int attempt, const Error& e,
                                     IdGenerator& rng);

struct BucketConfig {
  double capacity = 50;
  double refill_per_second = 5;
};

class Pacer {
 public:
  explicit Pacer(Clock& clock) : clock_(clock) {}
  // Bucket sizes per service signing name. Default: ec2 50 burst / 5 per second (AWS's
  // mutating-call bucket); other services are not paced unless configured; capacity 0 disables.
  void configure(std::string service, BucketConfig config);
  // Waits (on the clock) until a token is available for (account, region, service), then takes
  // it. Returns the time waited.
  Duration acquire(std::string_view account, std::string_view region, std::string_view service);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint last{};
    BucketConfig config;
  };
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, BucketConfig, std::less<>> configs_;
  std::map<std::tuple<std::string, std::string, std::string>, Bucket> buckets_;
};

}  // namespace firebreak::cloud::aws
