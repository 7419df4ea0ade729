#include "firebreak/core/clock.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace firebreak {
namespace {
using namespace std::chrono_literals;

TEST(Iso8601, parses_the_forms_aws_writes) {
  auto t = parse_iso8601("2021-03-04T05:06:07Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_seconds(*t), 1614834367);
  auto ms = parse_iso8601("2021-03-04T05:06:07.250Z");
  ASSERT_TRUE(ms);
  EXPECT_EQ(to_unix_millis(*ms), 1614834367250);
  auto off = parse_iso8601("2021-03-04T07:06:07+02:00");
  ASSERT_TRUE(off);
  EXPECT_EQ(*off, *t);
  EXPECT_TRUE(parse_iso8601("2024-02-29T00:00:00Z"));
}

TEST(Iso8601, rejects_malformed_and_out_of_range) {
  for (const char* bad : {"", "2021-03-04", "2021-13-01T00:00:00Z", "2021-02-29T00:00:00Z",
                          "2021-03-04T24:00:00Z", "2021-03-04T05:06:07.Z", "2021-03-04T05:06:07Zx",
                          "2021-03-04T05:06:07+2", "garbage-in-the-morning"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

// The branch-free prefix read must accept and reject exactly what the field rules say: the same
// generated times (out-of-range fields and bad bytes mixed in) in "Z" and "+00:00" form agree.
TEST(Iso8601, generated_times_agree_in_z_and_offset_form) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t r = next();
    // Mostly plausible fields, with out-of-range years, months, days, hours and seconds mixed in.
    const unsigned year =
        (i % 7 == 0) ? static_cast<unsigned>(r % 10000) : 1670 + static_cast<unsigned>(r % 600);
    const unsigned month = static_cast<unsigned>((r >> 16) % 14);
    const unsigned day = static_cast<unsigned>((r >> 24) % 33);
    const unsigned hour = static_cast<unsigned>((r >> 32) % 25);
    const unsigned minute = static_cast<unsigned>((r >> 40) % 61);
    const unsigned second = static_cast<unsigned>((r >> 48) % 62);
    char fast[32], general[32];
    std::snprintf(fast, sizeof fast, "%04u-%02u-%02uT%02u:%02u:%02uZ", year, month, day, hour,
                  minute, second);
    std::snprintf(general, sizeof general, "%04u-%02u-%02uT%02u:%02u:%02u+00:00", year, month, day,
                  hour, minute, second);
    std::string s = fast;
    if (i % 11 == 0) s[static_cast<std::size_t>((r >> 56) % 19)] = "x/:9 -"[r % 6];  // a bad byte
    const auto a = parse_iso8601(s);
    const auto b = parse_iso8601(i % 11 == 0 ? s.substr(0, 19) + "+00:00" : general);
    ASSERT_EQ(a.has_value(), b.has_value()) << s;
    if (a) {
      EXPECT_EQ(*a, *b) << s;
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000);
  EXPECT_FALSE(parse_iso8601("1677-01-01T00:00:00Z"));  // before what a TimePoint holds
  EXPECT_FALSE(parse_iso8601("2262-06-01T00:00:00Z"));  // after it
  EXPECT_EQ(to_unix_seconds(*parse_iso8601("2016-12-31T23:59:60Z")),
            to_unix_seconds(*parse_iso8601("2016-12-31T23:59:59Z")));  // leap second
}

TEST(Iso8601, formats_round_trip) {
  auto t = *parse_iso8601("1999-12-31T23:59:59.123456Z");
  EXPECT_EQ(format_iso8601(t), "1999-12-31T23:59:59Z");
  EXPECT_EQ(format_iso8601(t, TimePrecision::kMillis), "1999-12-31T23:59:59.123Z");
  EXPECT_EQ(format_iso8601(t, TimePrecision::kMicros), "1999-12-31T23:59:59.123456Z");
  EXPECT_EQ(format_compact_minute(t), "19991231T2359Z");
}

TEST(Iso8601, pads_every_field) {
  auto t = *parse_iso8601("2026-01-02T03:04:05.006007Z");
  EXPECT_EQ(format_iso8601(t), "2026-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(t, TimePrecision::kMillis), "2026-01-02T03:04:05.006Z");
  EXPECT_EQ(format_iso8601(t, TimePrecision::kMicros), "2026-01-02T03:04:05.006007Z");
  EXPECT_EQ(format_iso8601(from_unix_seconds(0), TimePrecision::kMillis),
            "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(from_unix_seconds(-1)), "1969-12-31T23:59:59Z");
}

TEST(SimClock, advances_only_when_told) {
  SimClock clock(from_unix_seconds(1000));
  EXPECT_EQ(to_unix_seconds(clock.now()), 1000);
  clock.sleep_for(90s);
  EXPECT_EQ(to_unix_seconds(clock.now()), 1090);
  clock.set(from_unix_seconds(5));
  EXPECT_EQ(to_unix_seconds(clock.now()), 5);
}

TEST(Duration, parses_and_formats) {
  EXPECT_EQ(parse_duration("5m"), Duration(5min));
  EXPECT_EQ(parse_duration("1h30m"), Duration(90min));
  EXPECT_EQ(parse_duration("250ms"), Duration(250ms));
  EXPECT_EQ(parse_duration("2d"), Duration(48h));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("m5"));
  EXPECT_FALSE(parse_duration("5parsecs"));
  // Too long for a Duration: refused, not overflowed (UBSan would flag the overflow).
  EXPECT_FALSE(parse_duration("999999999d"));
  EXPECT_FALSE(parse_duration("99999999999w"));
  EXPECT_FALSE(parse_duration("100000d100000d100000d"));
  EXPECT_EQ(parse_duration("3650d"), Duration(3650 * 24h));
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
}

}  // namespace
}  // namespace firebreak

namespace firebreak {
namespace {
// Found by fuzzing the event readers: years outside what 64-bit nanoseconds hold overflowed.
TEST(Iso8601, rejects_years_a_time_point_cannot_hold) {
  EXPECT_FALSE(parse_iso8601("4048-05-06T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("1012-05-06T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_iso8601("1700-01-01T00:00:00Z"));
}

TEST(UnixSeconds, saturate_instead_of_overflowing) {
  EXPECT_EQ(from_unix_seconds(17149791007LL), from_unix_seconds(9223372035LL));
  EXPECT_EQ(to_unix_seconds(from_unix_seconds(1714979100)), 1714979100);
}
}  // namespace
}  // namespace firebreak
