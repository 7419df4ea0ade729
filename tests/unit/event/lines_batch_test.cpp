// JSON Lines are parsed in batches (simdjson parse_many) when every document is exactly one line,
// and one line at a time otherwise. These tests check that batching never changes what a read
// produces: the same events with the same locations, the same errors naming the same lines, as the
// one-parse-per-line path (compared directly, on hand-written and on generated input). They also
// check the in-place reads (read_padded, bytes lent by memory and gzip streams).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "event_test_helpers.h"
#include "firebreak/event/reader.h"
#include "input.h"
#include "reader_impl.h"

namespace firebreak::event {
namespace {

using test::gzip;
using test::rec;

// Everything a read produced, in order, as text: events with their location, errors as described.
struct Transcript final : EventSink {
  std::vector<std::string> lines;
  std::size_t events = 0, errors = 0;
  void on_event(const Event& e) override {
    ++events;
    lines.push_back("event " + std::string(e.id()) + " " + e.ref().describe() + " " +
                    std::string(e.name()));
  }
  void on_error(const Error& e) override {
    ++errors;
    lines.push_back("error " + e.describe());
  }
  [[nodiscard]] std::string text() const {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
};

// Reads `bytes` with the reader core, batched or one line at a time.
Transcript core_read(const std::string& bytes, bool batched, ReadOptions o = {},
                     ReadSummary* summary = nullptr) {
  detail::ReaderCore core(o);
  core.set_batch_lines(batched);
  Transcript t;
  ReadSummary s;
  auto stream = detail::memory_input(bytes);
  core.read_stream(*stream, std::make_shared<const std::string>("x.jsonl"), t, s);
  if (summary) *summary = s;
  return t;
}

// Equal transcripts; on a difference, shows the first line that differs (not the whole text).
::testing::AssertionResult same(const Transcript& a, const Transcript& b) {
  const std::size_t n = std::min(a.lines.size(), b.lines.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.lines[i] != b.lines[i]) {
      return ::testing::AssertionFailure()
             << "entry " << i << ": '" << a.lines[i] << "' vs '" << b.lines[i] << "'";
    }
  }
  if (a.lines.size() != b.lines.size()) {
    return ::testing::AssertionFailure()
           << a.lines.size() << " vs " << b.lines.size() << " entries; first extra: '"
           << (a.lines.size() > n ? a.lines[n] : b.lines[n]) << "'";
  }
  return ::testing::AssertionSuccess();
}

// Batched and per-line reads agree, and read_buffer / read_padded (in place) give the same.
void expect_same_as_per_line(const std::string& bytes, ReadOptions o = {}) {
  ReadSummary sb, sl;
  const auto batched = core_read(bytes, true, o, &sb);
  const auto per_line = core_read(bytes, false, o, &sl);
  EXPECT_TRUE(same(batched, per_line));
  EXPECT_EQ(sb.events, sl.events);
  EXPECT_EQ(sb.skipped, sl.skipped);
  EXPECT_EQ(sb.bytes, sl.bytes);
  // An allocation of exactly the input's size, so that a read past it is caught by ASan.
  std::unique_ptr<char[]> exact(new char[bytes.size() + 1]);
  std::memcpy(exact.get(), bytes.data(), bytes.size());
  Reader r(o);
  Transcript viaBuffer;
  const auto s = r.read_buffer(std::string_view(exact.get(), bytes.size()), "x.jsonl", viaBuffer);
  EXPECT_TRUE(same(viaBuffer, per_line));
  EXPECT_EQ(s.bytes, sl.bytes);
  std::unique_ptr<char[]> padded(new char[bytes.size() + kReadPadding]);
  std::memcpy(padded.get(), bytes.data(), bytes.size());
  Transcript viaPadded;
  r.read_padded(std::string_view(padded.get(), bytes.size()), "x.jsonl", viaPadded);
  EXPECT_TRUE(same(viaPadded, per_line));
}

std::string numbered(int from, int to, const std::string& sep = "\n") {
  std::string out;
  for (int i = from; i < to; ++i) out += rec(std::to_string(i)) + sep;
  return out;
}

TEST(LinesBatch, a_bad_line_in_the_middle_of_a_batch_costs_only_itself) {
  const std::string bytes =
      numbered(0, 50) + R"({"eventVersion":"1.09","eventName": oops})" + "\n" + numbered(51, 100);
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  EXPECT_EQ(t.events, 99u);
  ASSERT_EQ(t.errors, 1u);
  EXPECT_NE(t.text().find("error x.jsonl line 51: "), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("event 51 x.jsonl line 52 "), std::string::npos);
  EXPECT_NE(t.text().find("event 99 x.jsonl line 100 "), std::string::npos);
}

TEST(LinesBatch, a_line_holding_two_documents_is_an_error_for_that_line) {
  const std::string bytes = numbered(0, 10) + rec("a") + " " + rec("b") + "\n" + rec("c") +
                            rec("d") + "\n" + numbered(10, 20);
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  EXPECT_EQ(t.events, 20u);
  EXPECT_EQ(t.errors, 2u);
  EXPECT_NE(t.text().find("error x.jsonl line 11: "), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("error x.jsonl line 12: "), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("event 10 x.jsonl line 13 "), std::string::npos) << t.text();
}

TEST(LinesBatch, a_document_over_two_lines_is_two_bad_lines) {
  const std::string bytes = numbered(0, 5) + R"({"eventVersion":"1.09",)" + "\n" +
                            R"("eventName":"X","eventID":"z"})" + "\n" + numbered(5, 10);
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  EXPECT_EQ(t.events, 10u);
  EXPECT_EQ(t.errors, 2u);
  EXPECT_NE(t.text().find("error x.jsonl line 6: "), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("error x.jsonl line 7: "), std::string::npos) << t.text();
}

TEST(LinesBatch, blank_lines_crlf_and_a_last_line_without_newline_keep_line_numbers) {
  const std::string bytes = "\n  \n" + rec("a") + "\r\n\r\n" + "  " + rec("b") + " \t\r\n\n\n" +
                            rec("c") + "\r\n" + rec("d");
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  ASSERT_EQ(t.errors, 0u) << t.text();
  EXPECT_EQ(t.text(),
            "event a x.jsonl line 3 RunInstances\n"
            "event b x.jsonl line 5 RunInstances\n"
            "event c x.jsonl line 8 RunInstances\n"
            "event d x.jsonl line 9 RunInstances\n");
}

TEST(LinesBatch, a_truncated_last_line_is_reported_with_its_number) {
  const std::string bytes = numbered(0, 30) + R"({"eventVersion":"1.09","eventName":"Ru)";
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  EXPECT_EQ(t.events, 30u);
  ASSERT_EQ(t.errors, 1u);
  EXPECT_NE(t.text().find("error x.jsonl line 31: "), std::string::npos) << t.text();
}

TEST(LinesBatch, invalid_utf8_deep_nesting_oversized_and_scalar_lines_cost_only_themselves) {
  ReadOptions o{.max_record_bytes = 4000, .max_depth = 16};
  std::string deep = R"({"eventVersion":"1.09","eventName":"X","n":)" + std::string(40, '[') +
                     std::string(40, ']') + "}";
  const std::string bytes = numbered(0, 10) + rec("bad\xff\xfe") + "\n" + numbered(10, 20) + deep +
                            "\n" + numbered(20, 30) +
                            rec("big", ",\"pad\":\"" + std::string(5000, 'x') + "\"") + "\n" +
                            numbered(30, 40) + "42\n[" + rec("in-array") + "]\n" + numbered(40, 50);
  expect_same_as_per_line(bytes, o);
  const auto t = core_read(bytes, true, o);
  EXPECT_EQ(t.events, 51u) << t.text();  // 50 numbered + the record inside the array
  EXPECT_EQ(t.errors, 4u) << t.text();
  for (const char* line : {"line 11: ", "line 22: ", "line 33: ", "line 44: "}) {
    EXPECT_NE(t.text().find(std::string("error x.jsonl ") + line), std::string::npos)
        << line << "\n"
        << t.text();
  }
}

TEST(LinesBatch, records_split_across_batch_and_window_boundaries_are_read_whole) {
  // ~4 MiB of records of varying size: batches (256 KiB) and the window (1 MiB reads) end inside
  // records at many different offsets.
  std::string bytes;
  std::mt19937 rng(7);
  int n = 0;
  while (bytes.size() < (4u << 20)) {
    bytes += rec(std::to_string(n++), ",\"pad\":\"" + std::string(rng() % 3000, 'p') + "\"") + "\n";
  }
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  EXPECT_EQ(t.errors, 0u);
  ASSERT_EQ(t.events, static_cast<std::size_t>(n));
  EXPECT_EQ(t.lines.back(), "event " + std::to_string(n - 1) + " x.jsonl line " +
                                std::to_string(n) + " RunInstances");
  // The same from a file (the window refills from read()) and from gzip (inflated as it streams).
  const auto path = std::filesystem::temp_directory_path() / "firebreak-lines-batch.jsonl";
  std::ofstream(path, std::ios::binary) << bytes;
  Reader r;
  Transcript f;
  r.read_file(path, f);
  std::filesystem::remove(path);
  for (auto& l : f.lines) l.replace(l.find(path.string()), path.string().size(), "x.jsonl");
  EXPECT_TRUE(same(f, t));
  Transcript g;
  r.read_buffer(gzip(bytes), "x.jsonl", g);  // inflated whole, parsed in the inflated buffer
  EXPECT_TRUE(same(g, t));
}

TEST(LinesBatch, a_record_longer_than_a_batch_is_read_on_its_own) {
  // Larger than the 256 KiB parse_many batch: the batch cannot hold it, the line is parsed alone.
  const std::string bytes = numbered(0, 3) +
                            rec("big", ",\"pad\":\"" + std::string(600000, 'x') + "\"") + "\n" +
                            numbered(3, 6);
  expect_same_as_per_line(bytes);
  const auto t = core_read(bytes, true);
  EXPECT_EQ(t.errors, 0u) << t.text();
  ASSERT_EQ(t.events, 7u);
  EXPECT_EQ(t.lines[3], "event big x.jsonl line 4 RunInstances");
  EXPECT_EQ(t.lines[6], "event 5 x.jsonl line 7 RunInstances");
}

// Generated input: good records, blank and CRLF lines, broken records, documents over two lines,
// two documents on a line, invalid UTF-8, garbage; batched and per-line must agree on every one.
TEST(LinesBatch, generated_mixtures_read_the_same_batched_and_line_by_line) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 60; ++round) {
    std::string bytes;
    const int lines = 20 + static_cast<int>(rng() % 400);
    const int bad_per_mille = round % 3 == 0 ? 0 : static_cast<int>(rng() % 300);
    for (int i = 0; i < lines; ++i) {
      const std::string id = std::to_string(round) + "-" + std::to_string(i);
      const bool bad = static_cast<int>(rng() % 1000) < bad_per_mille;
      switch (bad ? rng() % 9 : 0) {
        case 0: bytes += rec(id, ",\"pad\":\"" + std::string(rng() % 200, 'q') + "\""); break;
        case 1: bytes += R"({"eventVersion":"1.09","eventName": oops})"; break;
        case 2: bytes += rec(id) + " " + rec(id + "b"); break;
        case 3: bytes += "{\"eventVersion\":\"1.09\",\n\"eventID\":\"" + id + "\"}"; break;
        case 4: bytes += rec(id + "\xc3\x28"); break;
        case 5: bytes += "   "; break;
        case 6: bytes += "garbage " + id; break;
        case 7: bytes += rec(id).substr(0, rng() % 60); break;
        case 8: bytes += "{\"a\":\"unterminated"; break;
      }
      bytes += (rng() % 7 == 0) ? "\r\n" : "\n";
    }
    if (rng() % 2) bytes.pop_back();  // sometimes no newline at the end
    SCOPED_TRACE("round " + std::to_string(round));
    expect_same_as_per_line(bytes);
  }
}

// A first line longer than the sniffing head (64 KiB) is decided by the parse when the whole input
// is in memory (a one-line delivery document is not scanned for a newline first); from a file the
// line is searched as before. Both must read the same.
Transcript read_every_way(const std::string& bytes) {
  Reader r;
  Transcript buffer, padded, file;
  const auto sb = r.read_buffer(bytes, "f", buffer);
  std::string copy = bytes;
  copy.append(kReadPadding, '\0');
  const auto sp = r.read_padded(std::string_view(copy.data(), bytes.size()), "f", padded);
  const auto path = std::filesystem::temp_directory_path() /
                    ("firebreak-long-line-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path, std::ios::binary) << bytes;
  Reader rf;
  rf.read_file(path, file);
  std::filesystem::remove(path);
  EXPECT_EQ(padded.text(), buffer.text());
  EXPECT_EQ(sp.events, sb.events);
  EXPECT_EQ(sp.skipped, sb.skipped);
  EXPECT_EQ(file.events, buffer.events);  // (the file's name differs from "f")
  EXPECT_EQ(file.errors, buffer.errors);
  return buffer;
}

TEST(LinesBatch, a_first_line_longer_than_the_sniffing_head_is_read_as_what_it_is) {
  const std::string pad = R"(,"requestParameters":{"note":")" + std::string(70000, 'x') + "\"}";
  // A one-line delivery document of 100 records, the first one long.
  std::string doc = R"({"Records":[)" + rec("r0", pad);
  for (int i = 1; i < 100; ++i) doc += "," + rec("r" + std::to_string(i));
  doc += "]}";
  auto t = read_every_way(doc);
  EXPECT_EQ(t.events, 100u);
  EXPECT_EQ(t.errors, 0u);
  t = read_every_way(doc + "\n");
  EXPECT_EQ(t.events, 100u);

  // JSON Lines whose first line is long: the whole-document parse fails, lines are found.
  std::string lines = rec("l1", pad) + "\n";
  for (int i = 2; i <= 50; ++i) lines += rec("l" + std::to_string(i)) + "\n";
  t = read_every_way(lines);
  EXPECT_EQ(t.events, 50u);
  EXPECT_EQ(t.errors, 0u);
  ASSERT_EQ(t.lines.size(), 50u);
  EXPECT_EQ(t.lines[49], "event l50 f line 50 RunInstances");

  // Two long container lines are JSON Lines too.
  t = read_every_way(doc + "\n" + doc + "\n");
  EXPECT_EQ(t.events, 200u);

  // A one-line document with a broken record: split, the others still read.
  std::string broken = R"({"Records":[)" + rec("b0", pad);
  for (int i = 1; i < 10; ++i) {
    broken += "," + (i == 5 ? std::string(R"({"eventVersion":})") : rec("b" + std::to_string(i)));
  }
  broken += "]}";
  t = read_every_way(broken);
  EXPECT_EQ(t.events, 9u);
  EXPECT_EQ(t.errors, 1u);
  EXPECT_NE(t.text().find("f record 5"), std::string::npos) << t.text();
}

TEST(LinesBatch, read_padded_reads_documents_and_gzip_in_place_like_read_buffer) {
  const std::string doc = R"({"Records":[)" + rec("a") + "," + rec("b") + "]}";
  const std::string lines = rec("a") + "\n" + rec("b") + "\n";
  for (const std::string& bytes : {doc, lines, std::string("{}"), std::string(" ")}) {
    Reader r;
    Transcript buffer, padded;
    const auto sb = r.read_buffer(bytes, "f", buffer);
    std::string copy = bytes;
    copy.reserve(bytes.size() + kReadPadding);
    copy.append(kReadPadding, '\0');
    const auto sp = r.read_padded(std::string_view(copy.data(), bytes.size()), "f", padded);
    EXPECT_EQ(padded.text(), buffer.text()) << bytes;
    EXPECT_EQ(sp.events, sb.events);
    EXPECT_EQ(sp.bytes, sb.bytes);
  }
}

}  // namespace
}  // namespace firebreak::event
