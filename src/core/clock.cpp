#include "firebreak/core/clock.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <thread>

namespace firebreak {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

// TimePoint counts nanoseconds in 64 bits: years before 1678 or after 2261 do not fit.
constexpr std::int64_t kMaxSecs = std::numeric_limits<std::int64_t>::max() / 1000000000 - 1;

// Howard Hinnant's days_from_civil: proleptic Gregorian date -> days since 1970-01-01.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `p`; false if any is not a digit.
bool digits(std::string_view s, std::size_t p, std::size_t n, unsigned& out) noexcept {
  if (p + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[p + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace

TimePoint RealClock::now() const { return std::chrono::system_clock::now(); }
void RealClock::sleep_for(Duration d) { std::this_thread::sleep_for(d); }

SimClock::SimClock(TimePoint start)
    : nanos_(duration_cast<nanoseconds>(start.time_since_epoch()).count()) {}
TimePoint SimClock::now() const {
  return TimePoint(duration_cast<Duration>(nanoseconds(nanos_.load())));
}
void SimClock::advance(Duration d) { nanos_.fetch_add(duration_cast<nanoseconds>(d).count()); }
void SimClock::set(TimePoint t) {
  nanos_.store(duration_cast<nanoseconds>(t.time_since_epoch()).count());
}

Clock& real_clock() {
  static RealClock clock;
  return clock;
}

std::optional<TimePoint> parse_iso8601(std::string_view s) noexcept {
  // The fixed "YYYY-MM-DDTHH:MM:SS" prefix is read without a call or a branch per digit: this
  // runs once per record on the ingest path.
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  unsigned bad = 0;
  auto d = [&](std::size_t i) {
    const unsigned v = static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0';
    bad |= v > 9 ? 1u : 0u;
    return v;
  };
  const unsigned year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const unsigned month = d(5) * 10 + d(6), day = d(8) * 10 + d(9);
  const unsigned hour = d(11) * 10 + d(12), minute = d(14) * 10 + d(15);
  const unsigned second = d(17) * 10 + d(18);
  if (bad || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t p = 19;
  std::int64_t frac_ns = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    std::size_t n = 0;
    std::int64_t scale = 100000000;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (n < 9) frac_ns += (s[p] - '0') * scale, scale /= 10;
      ++p, ++n;
    }
    if (n == 0) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (p == s.size()) {
    // No zone designator: AWS never omits it, but treat as UTC like most parsers.
  } else if (s[p] == 'Z' || s[p] == 'z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    const int sign = s[p] == '-' ? -1 : 1;
    unsigned oh, om;
    if (!digits(s, p + 1, 2, oh)) return std::nullopt;
    std::size_t q = p + 3;
    if (q < s.size() && s[q] == ':') ++q;
    if (!digits(s, q, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_s = sign * static_cast<std::int64_t>(oh * 3600 + om * 60);
    p = q + 2;
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const std::int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                            std::min(second, 59u) - offset_s;
  if (secs > kMaxSecs || secs < -kMaxSecs) return std::nullopt;
  return TimePoint(duration_cast<Duration>(nanoseconds(secs * 1000000000 + frac_ns)));
}

namespace {
struct Civil {
  std::int64_t y;
  unsigned m, d, hh, mm, ss;
  std::int64_t sub_ns;
};
Civil to_civil(TimePoint t) {
  const std::int64_t ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  std::int64_t secs = ns / 1000000000;
  std::int64_t sub = ns % 1000000000;
  if (sub < 0) sub += 1000000000, secs -= 1;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) rem += 86400, days -= 1;
  // civil_from_days (Hinnant).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2),
          m,
          d,
          static_cast<unsigned>(rem / 3600),
          static_cast<unsigned>(rem % 3600 / 60),
          static_cast<unsigned>(rem % 60),
          sub};
}
}  // namespace

std::string format_iso8601(TimePoint t, TimePrecision p) {
  const Civil c = to_civil(t);
  if (c.y >= 0 && c.y <= 9999) {
    // Written digit by digit: this runs for every simulated CloudTrail record, and fmt's
    // format-string parsing showed in the simulator's profile.
    char buf[32];
    auto put = [](char* at, std::uint64_t v, int width) {
      for (int i = width - 1; i >= 0; --i, v /= 10) at[i] = static_cast<char>('0' + v % 10);
    };
    put(buf, static_cast<std::uint64_t>(c.y), 4);
    buf[4] = '-';
    put(buf + 5, c.m, 2);
    buf[7] = '-';
    put(buf + 8, c.d, 2);
    buf[10] = 'T';
    put(buf + 11, c.hh, 2);
    buf[13] = ':';
    put(buf + 14, c.mm, 2);
    buf[16] = ':';
    put(buf + 17, c.ss, 2);
    std::size_t n = 19;
    if (p == TimePrecision::kMillis) {
      buf[n++] = '.';
      put(buf + n, static_cast<std::uint64_t>(c.sub_ns / 1000000), 3);
      n += 3;
    } else if (p == TimePrecision::kMicros) {
      buf[n++] = '.';
      put(buf + n, static_cast<std::uint64_t>(c.sub_ns / 1000), 6);
      n += 6;
    }
    buf[n++] = 'Z';
    return std::string(buf, n);
  }
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.y, c.m, c.d, c.hh, c.mm, c.ss);
  if (p == TimePrecision::kMillis) out += fmt::format(".{:03}", c.sub_ns / 1000000);
  if (p == TimePrecision::kMicros) out += fmt::format(".{:06}", c.sub_ns / 1000);
  out += 'Z';
  return out;
}

std::string format_compact_minute(TimePoint t) {
  const Civil c = to_civil(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}Z", c.y, c.m, c.d, c.hh, c.mm);
}

TimePoint from_unix_seconds(std::int64_t seconds) noexcept {
  // Saturates outside what 64-bit nanoseconds hold (before 1678, after 2261).
  seconds = std::clamp(seconds, -kMaxSecs, kMaxSecs);
  return TimePoint(duration_cast<Duration>(std::chrono::seconds(seconds)));
}
std::int64_t to_unix_seconds(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}
std::int64_t to_unix_millis(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<Duration> parse_duration(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  nanoseconds total{0};
  std::size_t p = 0;
  while (p < s.size()) {
    std::int64_t n = 0;
    std::size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (n > 100000000000LL) return std::nullopt;  // absurdly large
      n = n * 10 + (s[p++] - '0');
    }
    if (p == start || p == s.size()) return std::nullopt;
    std::string_view unit;
    std::size_t u = p;
    while (u < s.size() && ((s[u] >= 'a' && s[u] <= 'z') || (s[u] >= 'A' && s[u] <= 'Z'))) ++u;
    unit = s.substr(p, u - p);
    p = u;
    std::int64_t ns_per_unit = 0;
    if (unit == "ms")
      ns_per_unit = 1'000'000;
    else if (unit == "s")
      ns_per_unit = 1'000'000'000;
    else if (unit == "m" || unit == "min")
      ns_per_unit = 60'000'000'000;
    else if (unit == "h")
      ns_per_unit = 3'600'000'000'000;
    else if (unit == "d")
      ns_per_unit = 86'400'000'000'000;
    else if (unit == "w")
      ns_per_unit = 604'800'000'000'000;
    else
      return std::nullopt;
    // Checked: "999999999d" must be refused, not overflow (a Duration holds about 292 years).
    std::int64_t part = 0, sum = 0;
    if (__builtin_mul_overflow(n, ns_per_unit, &part) ||
        __builtin_add_overflow(total.count(), part, &sum)) {
      return std::nullopt;
    }
    total = nanoseconds(sum);
  }
  return duration_cast<Duration>(total);
}

std::string format_duration(Duration d) {
  auto ms = duration_cast<std::chrono::milliseconds>(d).count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) out += '-', ms = -ms;
  const std::int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, r = ms % 1000;
  if (h) out += fmt::format("{}h", h);
  if (m) out += fmt::format("{}m", m);
  if (s) out += fmt::format("{}s", s);
  if (r) out += fmt::format("{}ms", r);
  return out;
}

}  // namespace firebreak
