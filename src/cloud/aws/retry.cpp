#include "firebreak/cloud/aws/retry.h"

#include <algorithm>
#include <cmath>

namespace firebreak::cloud::aws {

bool RetryBudget::acquire(const Error& e) {
  const int cost = e.code() == ErrorCode::kTimeout ? timeout_cost_ : retry_cost_;
  std::lock_guard lock(mu_);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

void RetryBudget::on_success() {
  std::lock_guard lock(mu_);
  tokens_ = std::min(capacity_, tokens_ + 1);
}

int RetryBudget::available() const {
  std::lock_guard lock(mu_);
  return tokens_;
}

bool is_retryable(const Error& e) {
  if (e.retryable()) return true;
  const std::string& c = e.context().aws_code;
  // Codes AWS documents as transient even when the status is 4xx.
  return c == "RequestTimeout" || c == "RequestTimeoutException" ||
         c == "PriorRequestNotComplete" || c == "IDPCommunicationError" ||
         c == "EC2ThrottledException" || c == "TransactionInProgressException" ||
         e.context().http_status >= 500;
}

Duration backoff_delay(const RetryPolicy& p, int attempt, const Error& e, IdGenerator& rng) {
  const Duration base = e.code() == ErrorCode::kThrottled ? p.throttle_base_delay : p.base_delay;
  const double factor = std::ldexp(1.0, std::min(attempt - 1, 30));
  const double ceiling = std::min(static_cast<double>(p.max_delay.count()),
                                  static_cast<double>(base.count()) * factor);
  return Duration(static_cast<Duration::rep>(rng.unit() * ceiling));
}

void Pacer::configure(std::string service, BucketConfig config) {
  std::lock_guard lock(mu_);
  configs_[std::move(service)] = config;
}

Duration Pacer::acquire(std::string_view account, std::string_view region,
                        std::string_view service) {
  Duration waited{};
  for (;;) {
    Duration wait{};
    {
      std::lock_guard lock(mu_);
      BucketConfig cfg;
      if (auto it = configs_.find(service); it != configs_.end()) {
        cfg = it->second;
      } else if (service == "ec2") {
        cfg = {50, 5};
      } else {
        return waited;
      }
      if (cfg.capacity <= 0) return waited;  // pacing disabled for this service
      auto key = std::make_tuple(std::string(account), std::string(region), std::string(service));
      auto [it, inserted] = buckets_.try_emplace(key);
      Bucket& b = it->second;
      const TimePoint now = clock_.now();
      if (inserted) {
        b.tokens = cfg.capacity;
        b.last = now;
      }
      b.config = cfg;
      const double elapsed = std::chrono::duration<double>(now - b.last).count();
      if (elapsed > 0) {
        b.tokens = std::min(cfg.capacity, b.tokens + elapsed * cfg.refill_per_second);
        b.last = now;
      }
      if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return waited;
      }
      const double need = (1.0 - b.tokens) / std::max(cfg.refill_per_second, 1e-6);
      wait = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(need));
      if (wait <= Duration::zero()) wait = Duration(1);
    }
    clock_.sleep_for(wait);
    waited += wait;
  }
}

}  // namespace firebreak::cloud::aws
