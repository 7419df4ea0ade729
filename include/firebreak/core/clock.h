#pragma once
// Time. Nothing in firebreak reads the system time directly: it asks a Clock. RealClock is the
// wall clock; SimClock is a manual clock for game days and tests, which makes runs byte-for-byte
// reproducible. Both are thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak {

using TimePoint = std::chrono::system_clock::time_point;  // UTC, nanosecond resolution
using Duration = std::chrono::system_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
  // Waits `d`. RealClock sleeps; SimClock advances its time by `d` and returns at once.
  virtual void sleep_for(Duration d) = 0;
};

class RealClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override;
  void sleep_for(Duration d) override;
};

class SimClock final : public Clock {
 public:
  explicit SimClock(TimePoint start);
  [[nodiscard]] TimePoint now() const override;
  void sleep_for(Duration d) override { advance(d); }
  void advance(Duration d);
  void set(TimePoint t);

 private:
  std::atomic<std::int64_t> nanos_;
};

// The process-wide real clock (for wiring at the edges; libraries take a Clock&).
[[nodiscard]] Clock& real_clock();

// ---- ISO 8601 / RFC 3339, the forms AWS writes ----
// Parses "2021-01-31T12:34:56Z", with optional fractional seconds (any precision) and a "Z",
// "+hh:mm", "-hh:mm" or "+hhmm" offset; a space may replace the "T". Returns nullopt on anything
// else (including out-of-range fields such as month 13 or hour 24, and years a TimePoint cannot
// hold: before 1678 or after 2261). Fast: called per event.
[[nodiscard]] std::optional<TimePoint> parse_iso8601(std::string_view text) noexcept;

enum class TimePrecision { kSeconds, kMillis, kMicros };
// "2021-01-31T12:34:56Z" (kSeconds) / "...56.789Z" (kMillis) / "...56.789123Z" (kMicros).
[[nodiscard]] std::string format_iso8601(TimePoint t, TimePrecision p = TimePrecision::kSeconds);

// Compact UTC stamp "20210131T1234Z" as CloudTrail uses in delivery file names.
[[nodiscard]] std::string format_compact_minute(TimePoint t);

// Seconds since the Unix epoch <-> TimePoint (from_unix_seconds saturates outside 1678-2261).
[[nodiscard]] TimePoint from_unix_seconds(std::int64_t seconds) noexcept;
[[nodiscard]] std::int64_t to_unix_seconds(TimePoint t) noexcept;
[[nodiscard]] std::int64_t to_unix_millis(TimePoint t) noexcept;

// Parses a duration such as "90s", "5m", "1h", "2d", "1h30m", "250ms". nullopt if malformed.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text) noexcept;
// Inverse for messages: "1h30m", "5m", "250ms".
[[nodiscard]] std::string format_duration(Duration d);

}  // namespace firebreak
