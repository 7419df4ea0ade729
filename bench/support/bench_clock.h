#pragma once
// Timing for the benchmarks. On a machine shared with other work, wall time measures the load as
// much as the code; the CPU time of the measuring thread (user + system,
// CLOCK_THREAD_CPUTIME_ID) is not inflated by waiting for a core. Only single-threaded work may be
// timed in CPU time: other threads' CPU is not counted.

#include <time.h>

#include <algorithm>
#include <chrono>
#include <functional>

namespace firebreak::bench {

// Seconds on the calling thread's CPU clock when `cpu`, else on the monotonic wall clock.
inline double now_seconds(bool cpu) {
  if (cpu) {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The shortest of `repeat` runs of `fn`, in seconds of the clock chosen by `cpu`.
inline double best_of(int repeat, bool cpu, const std::function<void()>& fn) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const double t0 = now_seconds(cpu);
    fn();
    best = std::min(best, now_seconds(cpu) - t0);
  }
  return best;
}

}  // namespace firebreak::bench
