#include "firebreak/core/clock.h"

#include <gtest/gtest.h>

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
