#include "firebreak/evidence/record.h"

#include <gtest/gtest.h>

#include "firebreak/core/hash.h"
#include "support.h"

namespace firebreak::evidence {
namespace {

TEST(EvidenceRecord, canonical_json_sorts_keys_and_has_no_whitespace) {
  auto j = parse_json(R"({"b": 1, "a": [true, null, "x\ny"], "c": {"z": -2, "y": 1.5}})").value();
  EXPECT_EQ(canonical_json(j), R"({"a":[true,null,"x\ny"],"b":1,"c":{"y":1.5,"z":-2}})");
}

TEST(EvidenceRecord, canonical_json_round_trips_numbers) {
  for (const char* text : {"0", "-1", "18446744073709551615", "1e+100", "0.1", "-0.5", "1e-07"}) {
    auto j = parse_json(text).value();
    const std::string once = canonical_json(j);
    EXPECT_EQ(canonical_json(parse_json(once).value()), once) << text;
  }
  EXPECT_EQ(canonical_json(Json(-0.0)), "0");
}

TEST(EvidenceRecord, body_has_documented_layout_and_hash_covers_body_and_lf) {
  Json payload = {{"instance", "i-1"}, {"action", "isolate"}};
  auto body = canonical_body(1, kGenesisHash, test::t0(), "inc-1", "ana",
                             RecordKind::kActionRequest, payload);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body,
            R"({"seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000",)"
            R"("time":"2024-05-01T12:00:00.000000Z","incident":"inc-1","actor":"ana",)"
            R"("kind":"action_request","payload":{"action":"isolate","instance":"i-1"}})");
  EXPECT_EQ(body_hash(*body), sha256_hex(*body + "\n"));
}

TEST(EvidenceRecord, parse_round_trips_a_line) {
  auto body = canonical_body(7, std::string(64, 'a'), test::t0(), "inc-1", "arn:aws:iam::1:user/x",
                             RecordKind::kNote, Json{{"text", "héllo \"q\""}})
                  .value();
  const std::string line = ledger_line(body_hash(body), body);
  auto r = parse_ledger_line(line.substr(0, line.size() - 1));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->seq, 7u);
  EXPECT_EQ(r->kind, RecordKind::kNote);
  EXPECT_EQ(r->payload["text"], "héllo \"q\"");
  EXPECT_EQ(r->time, test::t0());
}

TEST(EvidenceRecord, parse_rejects_hash_mismatch_and_non_canonical_bodies) {
  const std::string body =
      canonical_body(1, kGenesisHash, test::t0(), "inc-1", "a", RecordKind::kNote, Json::object())
          .value();
  std::string tampered = body;
  tampered[tampered.find("\"a\"") + 1] = 'b';
  auto r = parse_ledger_line(body_hash(body) + " " + tampered);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("hash mismatch"), std::string::npos);
  // Same content with a space added: the hash matches, the form does not.
  std::string spaced = body;
  spaced.insert(1, " ");
  r = parse_ledger_line(body_hash(spaced) + " " + spaced);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("canonical"), std::string::npos);
}

TEST(EvidenceRecord, limits_are_enforced) {
  Json deep = Json::object();
  Json* cur = &deep;
  for (int i = 0; i < 100; ++i) cur = &((*cur)["d"] = Json::object());
  EXPECT_EQ(canonical_body(1, kGenesisHash, test::t0(), "inc-1", "a", RecordKind::kNote, deep)
                .error()
                .code(),
            ErrorCode::kLimitExceeded);
  Json big = {{"x", std::string(kMaxPayloadBytes, 'a')}};
  EXPECT_EQ(canonical_body(1, kGenesisHash, test::t0(), "inc-1", "a", RecordKind::kNote, big)
                .error()
                .code(),
            ErrorCode::kLimitExceeded);
  EXPECT_FALSE(canonical_body(1, kGenesisHash, test::t0(), "../inc", "a", RecordKind::kNote,
                              Json::object()));
  EXPECT_FALSE(
      canonical_body(1, kGenesisHash, test::t0(), "inc", "", RecordKind::kNote, Json::object()));
  EXPECT_FALSE(
      canonical_body(1, kGenesisHash, test::t0(), "inc", "a", RecordKind::kNote, Json::array()));
}

TEST(EvidenceRecord, kinds_have_stable_names) {
  for (auto k : {RecordKind::kObservation, RecordKind::kActionRequest, RecordKind::kActionResult,
                 RecordKind::kArtifact, RecordKind::kApproval, RecordKind::kNote}) {
    EXPECT_EQ(parse_record_kind(to_string(k)), k);
  }
  EXPECT_EQ(to_string(RecordKind::kActionResult), "action_result");
  EXPECT_FALSE(parse_record_kind("checkpoint"));
}

}  // namespace
}  // namespace firebreak::evidence
