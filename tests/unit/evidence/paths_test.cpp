#include "firebreak/evidence/paths.h"

#include <gtest/gtest.h>

#include <map>

namespace firebreak::evidence {
namespace {

TEST(EvidencePaths, rejects_names_that_would_escape) {
  using namespace std::string_literals;
  for (const std::string& bad :
       {""s, "."s, ".."s, "../etc/passwd"s, "/etc/passwd"s, "a/b"s, "a\\b"s, "..\\..\\x"s,
        "nul\0byte"s, "tab\there"s, "new\nline"s, std::string(256, 'a')}) {
    auto st = validate_path_component(bad);
    EXPECT_FALSE(st) << "accepted: " << bad;
    if (!st) {
      EXPECT_EQ(st.error().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(EvidencePaths, accepts_ordinary_names_as_one_component) {
  for (const char* ok : {"i-0abc123", "memory.lime", "..hidden", "a..b", "vol-1:xvda", "ü.txt"}) {
    EXPECT_TRUE(validate_path_component(ok)) << ok;
    auto p = safe_join("/store", ok);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->parent_path(), std::filesystem::path("/store"));
  }
}

TEST(EvidencePaths, safe_join_never_leaves_the_root) {
  EXPECT_FALSE(safe_join("/store", "../../etc/shadow"));
  EXPECT_FALSE(safe_join("/store", "/etc/shadow"));
  EXPECT_FALSE(safe_join("/store", ".."));
}

TEST(EvidencePaths, incident_ids_are_restricted) {
  EXPECT_TRUE(validate_incident_id("inc-2024-05-01.a_b:c"));
  for (const char* bad : {"", "-starts-with-dash", ".hidden", "../x", "a/b", "has space", "é"}) {
    EXPECT_FALSE(validate_incident_id(bad)) << bad;
  }
  EXPECT_FALSE(validate_incident_id(std::string(129, 'a')));
}

TEST(EvidencePaths, sha256_hex_is_exactly_64_lower_hex) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a') + "/"));
}

TEST(EvidencePaths, default_dir_follows_env_then_xdg_then_home) {
  std::map<std::string, std::string> env;
  auto lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  };
  EXPECT_FALSE(default_evidence_dir(lookup));
  env["HOME"] = "/home/ana";
  EXPECT_EQ(default_evidence_dir(lookup).value(), "/home/ana/.local/share/firebreak/evidence");
  env["XDG_DATA_HOME"] = "relative/ignored";
  EXPECT_EQ(default_evidence_dir(lookup).value(), "/home/ana/.local/share/firebreak/evidence");
  env["XDG_DATA_HOME"] = "/data";
  EXPECT_EQ(default_evidence_dir(lookup).value(), "/data/firebreak/evidence");
  env["FIREBREAK_EVIDENCE_DIR"] = "/srv/evidence";
  EXPECT_EQ(default_evidence_dir(lookup).value(), "/srv/evidence");
}

}  // namespace
}  // namespace firebreak::evidence
