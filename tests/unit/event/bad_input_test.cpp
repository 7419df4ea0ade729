// Bad input: every case gives an error naming the file and record (index or line) and what is
// wrong; the other records and files are still read; nothing crashes or hangs.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "event_test_helpers.h"
#include "firebreak/event/reader.h"
#include "testdata.h"

namespace firebreak::event {
namespace {

using test::gzip;
using test::rec;

struct Collect final : EventSink {
  std::vector<std::string> ids;
  std::vector<std::string> errors;
  std::vector<ErrorCode> codes;
  void on_event(const Event& e) override { ids.emplace_back(e.id()); }
  void on_error(const Error& e) override {
    errors.push_back(e.describe());
    codes.push_back(e.code());
  }
  [[nodiscard]] bool error_has(std::size_t i, std::string_view text) const {
    return i < errors.size() && errors[i].find(text) != std::string::npos;
  }
};

Collect read(const std::string& bytes, const std::string& name, ReadOptions o = {},
             ReadSummary* summary = nullptr) {
  Reader r(o);
  Collect c;
  auto s = r.read_buffer(bytes, name, c);
  if (summary) *summary = s;
  return c;
}

TEST(BadInput, malformed_record_in_a_document_costs_only_itself) {
  const std::string doc = R"({"Records":[)" + rec("a") +
                          R"(,{"eventVersion":"1.09","eventName": oops},)" + rec("c") + "]}";
  ReadSummary s;
  auto c = read(doc, "trail.json", {}, &s);
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "trail.json record 1")) << c.errors[0];
  EXPECT_TRUE(c.error_has(0, "not valid JSON")) << c.errors[0];
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.events, 2u);
}

TEST(BadInput, truncated_document_keeps_the_records_before_the_cut) {
  const std::string doc = R"({"Records":[)" + rec("a") + "," + rec("b") + "," + rec("c");
  const std::string cut = doc.substr(0, doc.size() - 20);
  auto c = read(cut, "trail.json");
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "trail.json")) << c.errors[0];
  EXPECT_TRUE(c.error_has(0, "ends inside record 2")) << c.errors[0];
}

TEST(BadInput, truncated_gzip_is_reported_and_what_inflated_is_read) {
  std::string lines;
  for (int i = 0; i < 2000; ++i) lines += rec(std::to_string(i)) + "\n";
  const std::string gz = gzip(lines);
  ReadSummary s;
  auto c = read(gz.substr(0, gz.size() / 2), "big.jsonl.gz", {}, &s);
  EXPECT_GT(c.ids.size(), 100u);
  EXPECT_LT(c.ids.size(), 2000u);
  bool truncated = false;
  for (const auto& e : c.errors) {
    truncated = truncated || (e.find("truncated gzip") != std::string::npos &&
                              e.find("big.jsonl.gz line") != std::string::npos);
  }
  EXPECT_TRUE(truncated) << ::testing::PrintToString(c.errors);
  // A delivery document cut inside the gzip stream: the records before the cut are still read.
  std::string doc = R"({"Records":[)";
  for (int i = 0; i < 500; ++i) doc += (i ? "," : "") + rec(std::to_string(i));
  doc += "]}";
  const std::string gdoc = gzip(doc);
  auto d = read(gdoc.substr(0, gdoc.size() * 3 / 4), "trail.json.gz");
  EXPECT_GT(d.ids.size(), 100u);
  ASSERT_FALSE(d.errors.empty());
  EXPECT_TRUE(d.error_has(d.errors.size() - 1, "truncated gzip")) << d.errors.back();
}

TEST(BadInput, corrupt_gzip_is_an_error_not_a_crash) {
  std::string gz = gzip(rec("a") + "\n" + rec("b") + "\n");
  for (std::size_t i = 12; i < gz.size() - 8; i += 3) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  auto c = read(gz, "corrupt.gz");
  EXPECT_FALSE(c.errors.empty());
}

TEST(BadInput, concatenated_gzip_members_are_one_stream) {
  auto c = read(gzip(rec("a") + "\n") + gzip(rec("b") + "\n"), "two.gz");
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(c.errors.empty());
}

TEST(BadInput, invalid_utf8_is_reported_by_line) {
  const std::string bad = rec("b", ",\"userAgent\":\"\xff\xfe\"");
  auto c = read(rec("a") + "\n" + bad + "\n" + rec("c") + "\n", "u.jsonl");
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "u.jsonl line 2")) << c.errors[0];
  EXPECT_TRUE(c.error_has(0, "UTF-8")) << c.errors[0];
}

TEST(BadInput, wrong_types_name_the_field) {
  auto c = read(
      rec("a") + "\n" + rec("b", ",\"eventName\":42") + "\n" +
          rec("c", ",\"userIdentity\":\"root\"") + "\n" +
          R"({"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventTime":"yesterday","eventID":"d"})" +
          "\n" + rec("e") + "\n",
      "t.jsonl");
  // Note: record b has eventName twice; simdjson's lookup finds the first (a string), so it is
  // fine. c and d are wrong.
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "b", "e"}));
  ASSERT_EQ(c.errors.size(), 2u);
  EXPECT_TRUE(
      c.error_has(0, "t.jsonl line 3: field 'userIdentity' is a string, expected an object"))
      << c.errors[0];
  EXPECT_TRUE(c.error_has(1, "t.jsonl line 4: field 'eventTime' is not an ISO 8601 time"))
      << c.errors[1];
  auto d =
      read(R"({"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":7})", "n.json");
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_TRUE(d.error_has(0, "field 'eventName' is a number, expected a string")) << d.errors[0];
  auto e = read(R"({"Records":{"eventVersion":"1.09"}})", "r.json");
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_TRUE(e.error_has(0, "'Records' is not an array")) << e.errors[0];
}

TEST(BadInput, deep_nesting_is_refused_with_a_limit_error) {
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  auto c = read(rec("a") + "\n" + rec("b", ",\"x\":" + deep) + "\n" + rec("c") + "\n", "d.jsonl");
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "d.jsonl line 2")) << c.errors[0];
  EXPECT_EQ(c.codes[0], ErrorCode::kLimitExceeded) << c.errors[0];
  // Inside a document the record is cut out by the splitter and refused alone.
  auto d =
      read(R"({"Records":[)" + rec("a") + "," + rec("b", ",\"x\":" + deep) + "," + rec("c") + "]}",
           "d.json");
  EXPECT_EQ(d.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_TRUE(d.error_has(0, "d.json record 1")) << d.errors[0];
  EXPECT_EQ(d.codes[0], ErrorCode::kLimitExceeded);
  // Deeper than any stack would like: still no crash.
  const std::string abyss = std::string(100000, '[');
  auto e = read(abyss, "abyss.json");
  EXPECT_FALSE(e.errors.empty());
}

TEST(BadInput, oversized_records_are_skipped_with_their_location) {
  const std::string big = rec("big", ",\"pad\":\"" + std::string(5000, 'x') + "\"");
  ReadOptions o{.max_record_bytes = 2000};
  auto c = read(rec("a") + "\n" + big + "\n" + rec("c") + "\n", "o.jsonl", o);
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "o.jsonl line 2")) << c.errors[0];
  EXPECT_EQ(c.codes[0], ErrorCode::kLimitExceeded);
  // In a document bigger than the whole-document limit, records stream through the splitter.
  ReadOptions small{.max_record_bytes = 2000, .max_document_bytes = 4096};
  auto d = read(R"({"Records":[)" + rec("a") + "," + big + "," + rec("c") + "]}", "o.json", small);
  EXPECT_EQ(d.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_TRUE(d.error_has(0, "o.json record 1")) << d.errors[0];
  // A single record over the document limit is refused, not half-read.
  auto e = read(big, "one.json", small);
  EXPECT_TRUE(e.ids.empty());
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_EQ(e.codes[0], ErrorCode::kLimitExceeded) << e.errors[0];
}

TEST(BadInput, very_long_line_in_a_stream_is_dropped_up_to_its_newline) {
  // Longer than the window's chunk, so the reader must skip it while streaming.
  std::string lines = rec("a") + "\n" + std::string(3u << 20, 'z') + "\n" + rec("c") + "\n";
  ReadOptions o{.max_record_bytes = 1u << 20};
  auto c = read(gzip(lines), "long.jsonl.gz", o);
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "long.jsonl.gz line 2")) << c.errors[0];
}

TEST(BadInput, garbage_and_empty_files) {
  ReadSummary s;
  auto c = read(std::string("\x00\x01\x02 binary \x7f", 13), "bin", {}, &s);
  EXPECT_TRUE(c.ids.empty());
  EXPECT_EQ(s.failed_files, 1u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "not a recognised telemetry format")) << c.errors[0];
  auto e = read("  \n\n", "empty.json", {}, &s);
  EXPECT_TRUE(e.ids.empty());
  EXPECT_TRUE(e.errors.empty());
  EXPECT_EQ(s.skipped + s.failed_files, 0u);
  auto t = read(R"({"Records":[)" + rec("a") + "]} trailing", "t.json");
  EXPECT_EQ(t.ids, std::vector<std::string>{"a"});
  ASSERT_EQ(t.errors.size(), 1u);
  EXPECT_TRUE(t.error_has(0, "unexpected bytes after the document")) << t.errors[0];
}

TEST(BadInput, flow_log_lines_with_wrong_fields_are_reported_by_line) {
  const std::string hdr =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
      "packets bytes start end action log-status\n";
  const std::string ok =
      "2 111122223333 eni-0123456789abcdef0 10.0.0.1 10.0.0.2 1 2 6 1 40 1714979100 1714979160 "
      "ACCEPT OK\n";
  auto c = read(hdr + ok + "2 111122223333 eni-0123456789abcdef0 10.0.0.1\n" +
                    "2 111122223333 eni-0123456789abcdef0 10.0.0.1 10.0.0.2 http 2 6 1 40 "
                    "1714979100 1714979160 ACCEPT OK\n" +
                    ok,
                "flow.log");
  EXPECT_EQ(c.ids.size(), 2u);
  ASSERT_EQ(c.errors.size(), 2u);
  EXPECT_TRUE(c.error_has(0, "flow.log line 3: flow-log record has 4 fields, the format has 14"))
      << c.errors[0];
  EXPECT_TRUE(c.error_has(1, "flow.log line 4: field 'srcport' is not a number: 'http'"))
      << c.errors[1];
}

TEST(BadInput, json_lines_with_a_broken_first_line_is_still_json_lines) {
  auto c = read("{\"eventVersion\": broken\n" + rec("b") + "\n" + rec("c") + "\r\n", "f.jsonl");
  EXPECT_EQ(c.ids, (std::vector<std::string>{"b", "c"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "f.jsonl line 1")) << c.errors[0];
}

TEST(BadInput, lookup_entries_with_bad_inner_json) {
  auto c = read(
      R"({"Events":[{"EventId":"1","CloudTrailEvent":"{not json"},{"EventId":"2"},)"
      R"({"EventId":"3","CloudTrailEvent":")" +
          std::string(
              R"({\"eventVersion\":\"1.09\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"eventID\":\"x\"})") +
          R"("}]})",
      "lookup.json");
  EXPECT_EQ(c.ids, std::vector<std::string>{"x"});
  ASSERT_EQ(c.errors.size(), 2u);
  EXPECT_TRUE(c.error_has(0, "lookup.json record 0: CloudTrailEvent is not valid JSON"))
      << c.errors[0];
  EXPECT_TRUE(
      c.error_has(1, "lookup.json record 1: lookup-events entry has no string 'CloudTrailEvent'"))
      << c.errors[1];
}

TEST(BadInput, unreadable_paths_fail_the_file_and_the_rest_is_read) {
  testing::TempDir dir;
  std::ofstream(dir / "a.json") << rec("a");
  Reader r;
  Collect c;
  auto s = r.read_paths({dir / "missing.json", dir.path()}, c);
  EXPECT_EQ(c.ids, std::vector<std::string>{"a"});
  EXPECT_EQ(s.failed_files, 1u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.error_has(0, "missing.json")) << c.errors[0];
}

}  // namespace
}  // namespace firebreak::event
