#pragma once
// Private to the CLI: a progress line on stderr for long work, shown only when stderr is a
// terminal. Counters are atomics the work updates; a background thread redraws twice a second.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace firebreak::cli {

class Progress {
 public:
  std::atomic<std::uint64_t> done{0};   // events, records, ...
  std::atomic<std::uint64_t> bytes{0};  // optional second figure

  explicit Progress(std::string what, bool enabled = ::isatty(2) == 1)
      : what_(std::move(what)), enabled_(enabled) {
    if (enabled_) thread_ = std::thread([this] { loop(); });
  }
  ~Progress() { stop(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void stop() {
    if (!enabled_) return;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopped_; })) {
      std::fprintf(stderr, "\r\033[K%s: %llu", what_.c_str(),
                   static_cast<unsigned long long>(done.load(std::memory_order_relaxed)));
      const auto b = bytes.load(std::memory_order_relaxed);
      if (b) std::fprintf(stderr, " (%.1f MB)", static_cast<double>(b) / 1e6);
      std::fflush(stderr);
    }
  }

  std::string what_;
  bool enabled_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace firebreak::cli
