// Value matching: every modifier, wildcards, case, null, arrays, nested fields, objects as JSON
// text, keywords, condition forms, filters and the index.

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <fstream>

#include "firebreak/core/hash.h"
#include "helpers.h"
#include "testdata.h"

namespace firebreak::detect {
namespace {

using test::compile;
using test::ct_rule;
using test::matched;
using test::matches;
using test::rule_matches;

constexpr std::string_view kEvent = R"({
  "eventVersion": "1.09", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
  "eventID": "e-1", "eventTime": "2024-08-01T10:00:00Z", "sourceIPAddress": "203.0.113.7",
  "userAgent": "aws-cli/2.15.0 Python/3.11 Linux",
  "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice",
                   "userName": "Alice", "accessKeyId": "AKIAEXAMPLE"},
  "requestParameters": {"userName": "bob", "tags": ["x", "Prod-1", 7], "count": 42,
                        "ratio": "2.5", "enabled": false, "nothing": null,
                        "policy": {"Effect": "Allow", "Action": "*"},
                        "items": [{"id": "i-1", "port": 22}, {"id": "i-2", "port": 443}]},
  "responseElements": {"accessKey": {"userName": "bob", "status": "Active"}},
  "ipv6": "2001:db8::1", "cmd": "powershell -enc SQBFAFgA", "b64": "bG9naW4gYWRtaW4gbm93",
  "lines": "first line\nsecond line", "path": "C:\\Windows\\cmd.exe", "star": "a*b?c"
})";

bool m(std::string_view detection) { return rule_matches(detection, kEvent); }

TEST(Matcher, equality_is_case_insensitive_by_default) {
  EXPECT_TRUE(m("    sel:\n        eventName: createaccesskey\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        userIdentity.userName: ALICE\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        eventName: CreateAccess\n    condition: sel"));
}

// Case folding works on eight bytes at a time with a scalar tail: every length and position of
// the ASCII letters' neighbours ('@' '[' '`' '{' differ from letters by the case bit) and of
// non-ASCII bytes must fold exactly as ASCII tolower does.
TEST(Matcher, case_folding_is_exact_for_every_length_and_byte_neighbourhood) {
  const std::vector<std::string> units = {"@", "A", "Z", "[", "`",        "a", "z",
                                          "{", "M", "q", "0", "\xc3\xa9", "~"};  // e-acute
  auto lower = [](std::string s) {
    for (auto& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return s;
  };
  for (std::size_t len = 1; len <= 35; ++len) {
    std::string value;
    for (std::size_t i = 0; value.size() < len; ++i) value += units[(i * 7 + len) % units.size()];
    const std::string event = R"({"eventVersion":"1.09","eventName":"X","f":")" + value + R"("})";
    auto rule = [&](const std::string& v) {
      return "    sel:\n        f: '" + v + "'\n    condition: sel";
    };
    EXPECT_TRUE(test::rule_matches(rule(lower(value)), event)) << len << ": " << value;
    // Letters' neighbours differ from them by the case bit and must not fold.
    std::string shifted = lower(value);
    for (auto& c : shifted) {
      if (c == '@')
        c = '`';
      else if (c == '[')
        c = '{';
    }
    if (shifted != lower(value)) {
      EXPECT_FALSE(test::rule_matches(rule(shifted), event)) << len << ": " << value;
    }
  }
}

TEST(Matcher, cased_modifier_matches_case_sensitively) {
  EXPECT_TRUE(m("    sel:\n        userIdentity.userName|cased: Alice\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        userIdentity.userName|cased: alice\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        userAgent|cased|contains: PYTHON\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        userAgent|contains|cased: Python\n    condition: sel"));
}

TEST(Matcher, contains_startswith_endswith) {
  EXPECT_TRUE(m("    sel:\n        userAgent|contains: python/3\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        userAgent|startswith: AWS-CLI/\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        userAgent|startswith: python\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        userAgent|endswith: linux\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        userAgent|endswith: python\n    condition: sel"));
}

TEST(Matcher, value_lists_are_or_and_all_makes_them_and) {
  EXPECT_TRUE(
      m("    sel:\n        eventName:\n            - Nope\n            - CreateAccessKey\n"
        "    condition: sel"));
  EXPECT_TRUE(
      m("    sel:\n        userAgent|contains|all:\n            - aws-cli\n"
        "            - linux\n    condition: sel"));
  EXPECT_FALSE(
      m("    sel:\n        userAgent|contains|all:\n            - aws-cli\n"
        "            - windows\n    condition: sel"));
}

TEST(Matcher, wildcards_and_escapes) {
  EXPECT_TRUE(m("    sel:\n        eventName: Create*Key\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        eventName: CreateAcce?sKey\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        eventName: CreateAcce?Key\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        eventName: '*'\n    condition: sel"));
  // escaped wildcards are literal characters
  EXPECT_TRUE(m("    sel:\n        star: 'a\\*b\\?c'\n    condition: sel"));
  EXPECT_FALSE(rule_matches("    sel:\n        star: 'a\\*b\\?c'\n    condition: sel",
                            R"({"star":"aXbYc"})"));
  EXPECT_TRUE(
      rule_matches("    sel:\n        star: 'a*b?c'\n    condition: sel", R"({"star":"aXXbYc"})"));
  // a backslash not before a wildcard is literal; \\ before a wildcard is one backslash
  EXPECT_TRUE(m("    sel:\n        path: 'C:\\Windows\\cmd.exe'\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        path|endswith: '\\cmd.exe'\n    condition: sel"));
  EXPECT_TRUE(rule_matches("    sel:\n        path: 'C:\\\\*'\n    condition: sel",
                           R"({"path":"C:\\Windows"})"));
  // regex metacharacters in values are literal
  EXPECT_FALSE(rule_matches("    sel:\n        v: 'a.c'\n    condition: sel", R"({"v":"abc"})"));
  EXPECT_TRUE(rule_matches("    sel:\n        v|contains: '(x)[y]{z}+^$|'\n    condition: sel",
                           R"({"v":"pre(x)[y]{z}+^$|post"})"));
}

TEST(Matcher, empty_string_matches_only_empty_values) {
  EXPECT_TRUE(rule_matches("    sel:\n        v: ''\n    condition: sel", R"({"v":""})"));
  EXPECT_FALSE(rule_matches("    sel:\n        v: ''\n    condition: sel", R"({"v":"x"})"));
  EXPECT_FALSE(rule_matches("    sel:\n        v: ''\n    condition: sel", R"({})"));
}

TEST(Matcher, null_matches_missing_or_json_null) {
  EXPECT_TRUE(m("    sel:\n        errorCode: null\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.nothing: null\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        eventName: null\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        requestParameters.nothing: ''\n    condition: sel"));
}

TEST(Matcher, exists_modifier) {
  EXPECT_TRUE(m("    sel:\n        requestParameters.userName|exists: true\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        errorCode|exists: true\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        errorCode|exists: false\n    condition: sel"));
  // presence, whatever the value (null included)
  EXPECT_TRUE(m("    sel:\n        requestParameters.nothing|exists: true\n    condition: sel"));
}

TEST(Matcher, numbers_and_booleans_compare_as_text) {
  EXPECT_TRUE(m("    sel:\n        requestParameters.count: 42\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.count: '42'\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.enabled: false\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.enabled: 'false'\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        requestParameters.enabled: true\n    condition: sel"));
}

TEST(Matcher, numeric_comparisons) {
  EXPECT_TRUE(m("    sel:\n        requestParameters.count|gt: 41\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        requestParameters.count|gt: 42\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.count|gte: 42\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.count|lt: 42.5\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        requestParameters.count|lt: 42\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.count|lte: 42\n    condition: sel"));
  // numeric strings compare as numbers; non-numbers never do
  EXPECT_TRUE(m("    sel:\n        requestParameters.ratio|gt: 2\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        eventName|gt: 0\n    condition: sel"));
  // any element of an array
  EXPECT_TRUE(m("    sel:\n        requestParameters.items.port|gt: 400\n    condition: sel"));
}

TEST(Matcher, regular_expressions_with_flags) {
  EXPECT_TRUE(m("    sel:\n        userAgent|re: '^aws-cli/2\\.\\d+'\n    condition: sel"));
  // case-sensitive by default, i makes it insensitive
  EXPECT_FALSE(m("    sel:\n        userAgent|re: '^AWS-CLI'\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        userAgent|re|i: '^AWS-CLI'\n    condition: sel"));
  // m: ^ and $ at line boundaries
  EXPECT_FALSE(m("    sel:\n        lines|re: '^second'\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        lines|re|m: '^second'\n    condition: sel"));
  // s: dot matches newline
  EXPECT_FALSE(m("    sel:\n        lines|re: 'line.second'\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        lines|re|s: 'line.second'\n    condition: sel"));
  // unsupported constructs are rejected precisely (RE2, linear time)
  const std::string why =
      test::rejection(ct_rule("    sel:\n        v|re: '(a)\\1'\n    condition: sel"));
  EXPECT_NE(why.find("not supported by RE2"), std::string::npos) << why;
  EXPECT_NE(why.find("test.yml:7"), std::string::npos) << why;
  EXPECT_NE(
      test::rejection(ct_rule("    sel:\n        v|re: '(?<=a)b'\n    condition: sel")).find("RE2"),
      std::string::npos);
}

// Regular expressions run only when the literals they need were found (RE2's FilteredRE2 atoms,
// scanned caselessly with the field's other patterns). The verdict must be RE2's own on every
// text, whatever the expression's shape: alternations, classes, case flags, optional parts,
// expressions without usable literals, and non-ASCII literals.
TEST(Matcher, regex_prefilter_gives_re2s_verdict) {
  struct Case {
    std::string re;
    std::string flags;  // Sigma modifiers after re
  };
  const std::vector<Case> cases = {{".+:assumed-role/aws:.+", ""},
                                   {"(foo|bar)baz[0-9]+", ""},
                                   {"^AWS-cli/2", "|i"},
                                   {"(?i)secret", ""},
                                   {"colou?r-chart", ""},
                                   {"[a-z]+", ""},
                                   {"^$", ""},
                                   {"x*", ""},
                                   {"caf\xc3\xa9s?", ""},
                                   {"abc(def)?ghi", ""},
                                   {"first\\nsecond", ""},
                                   {"line.second", "|s"},
                                   {"^second", "|m"},
                                   {"(evil|bad)\.example\.(com|net)", ""}};
  const std::vector<std::string> texts = {"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1",
                                          "arn:aws:sts::1:assumed-role/Admin/alice",
                                          "FOOBAZ12",
                                          "barbaz7",
                                          "foobaz",
                                          "aws-CLI/2.15",
                                          "top SECRET file",
                                          "color-chart and colour-chart",
                                          "",
                                          "CAF\xc3\xa9",
                                          "caf\xc3\xa9s",
                                          "abcghi",
                                          "abcdefghi",
                                          "ABCGHI",
                                          "first\nsecond",
                                          "line\nsecond",
                                          "files at bad.example.net today",
                                          "Bad.Example.COM"};
  for (const auto& c : cases) {
    RE2::Options o;
    o.set_case_sensitive(c.flags.find('i') == std::string::npos);
    o.set_dot_nl(c.flags.find('s') != std::string::npos);
    const RE2 plain(c.flags.find('m') != std::string::npos ? "(?m)" + c.re : c.re, o);
    ASSERT_TRUE(plain.ok()) << c.re;
    for (const auto& t : texts) {
      std::string json;
      for (unsigned char ch : t) {
        json += ch == '\n' ? std::string("\\n") : std::string(1, static_cast<char>(ch));
      }
      const bool expected = RE2::PartialMatch(t, plain);
      const std::string yaml_re = [&] {
        std::string q;
        for (char ch : c.re) q += ch == '\'' ? std::string("''") : std::string(1, ch);
        return q;
      }();
      EXPECT_EQ(rule_matches(
                    "    sel:\n        v|re" + c.flags + ": '" + yaml_re + "'\n    condition: sel",
                    R"({"eventName":"X","v":")" + json + R"("})"),
                expected)
          << c.re << c.flags << " on " << t;
    }
  }
  // An expression with a usable literal is indexed by it; one without is evaluated always.
  auto c = compile(ct_rule("    sel:\n        v|re: '(foo|bar)baz[0-9]+'\n    condition: sel") +
                       "---\n" + ct_rule("    sel:\n        v|re: '[a-z]+'\n    condition: sel"),
                   {}, EngineOptions{.self_exclusion = false});
  EXPECT_EQ(c.engine->stats().indexed_by_pattern, 1u);
  EXPECT_EQ(c.engine->stats().unindexed, 1u);
}

TEST(Matcher, regex_does_not_backtrack_catastrophically) {
  std::string input(5000, 'a');
  input += "!";
  EXPECT_FALSE(rule_matches("    sel:\n        v|re: '^(a+)+$'\n    condition: sel",
                            R"({"v":")" + input + R"("})"));
}

TEST(Matcher, cidr_ipv4_and_ipv6) {
  EXPECT_TRUE(m("    sel:\n        sourceIPAddress|cidr: 203.0.113.0/24\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        sourceIPAddress|cidr: 203.0.112.0/24\n    condition: sel"));
  EXPECT_TRUE(
      m("    sel:\n        sourceIPAddress|cidr:\n            - 10.0.0.0/8\n"
        "            - 203.0.113.7\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        ipv6|cidr: '2001:db8::/32'\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        ipv6|cidr: '2001:db9::/32'\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        ipv6|cidr: 0.0.0.0/0\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        sourceIPAddress|cidr: 0.0.0.0/0\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        eventName|cidr: 0.0.0.0/0\n    condition: sel"));
  EXPECT_NE(test::rejection(ct_rule("    sel:\n        v|cidr: 10.0.0.0/33\n    condition: sel"))
                .find("not an IPv4 or IPv6 network"),
            std::string::npos);
}

TEST(Matcher, base64_and_base64offset) {
  // "login admin now" is bG9naW4gYWRtaW4gbm93
  EXPECT_TRUE(m("    sel:\n        b64|base64: 'login admin now'\n    condition: sel"));
  // padded like pySigma: 'login ' encodes without padding, 'login' does not
  EXPECT_TRUE(m("    sel:\n        b64|base64|contains: 'login '\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        b64|base64|contains: 'login'\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        b64|base64: 'login'\n    condition: sel"));
  // base64offset finds the value at any byte offset inside an encoded string
  for (const char* needle : {"admin", "dmin ", "min now", "login"}) {
    const std::string det = std::string("    sel:\n        b64|base64offset|contains: '") + needle +
                            "'\n    condition: sel";
    EXPECT_TRUE(m(det)) << needle;
  }
  EXPECT_FALSE(m("    sel:\n        b64|base64offset|contains: 'root'\n    condition: sel"));
  EXPECT_NE(
      test::rejection(ct_rule("    sel:\n        b64|base64offset: 'admin'\n    condition: sel"))
          .find("needs 'contains'"),
      std::string::npos);
  EXPECT_NE(test::rejection(ct_rule("    sel:\n        b64|base64: 'adm*'\n    condition: sel"))
                .find("wildcards cannot be encoded"),
            std::string::npos);
  // utf16le + base64offset: PowerShell's -enc (IEX is SQBFAFgA)
  EXPECT_TRUE(m("    sel:\n        cmd|wide|base64offset|contains: 'IEX'\n    condition: sel"));
}

TEST(Matcher, windash_matches_dash_variants) {
  EXPECT_TRUE(m("    sel:\n        cmd|windash|contains: ' /enc '\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        cmd|windash|contains: ' /exec '\n    condition: sel"));
}

TEST(Matcher, fieldref_compares_two_fields) {
  EXPECT_TRUE(
      m("    sel:\n        requestParameters.userName|fieldref: "
        "responseElements.accessKey.userName\n    condition: sel"));
  EXPECT_FALSE(
      m("    sel:\n        requestParameters.userName|fieldref: userIdentity.userName\n"
        "    condition: sel"));
  EXPECT_TRUE(
      m("    sel:\n        userIdentity.arn|fieldref|endswith: userIdentity.userName\n"
        "    condition: sel"));
  EXPECT_FALSE(
      m("    sel:\n        userIdentity.arn|fieldref|endswith: requestParameters.userName\n"
        "    condition: sel"));
  EXPECT_FALSE(
      m("    sel:\n        userIdentity.arn|fieldref|cased|endswith: requestParameters.x\n"
        "    condition: sel"));
  // missing field on either side: no match
  EXPECT_FALSE(m("    sel:\n        nothere|fieldref: eventName\n    condition: sel"));
}

TEST(Matcher, neq_modifier) {
  EXPECT_TRUE(m("    sel:\n        eventName|neq: DeleteUser\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        eventName|neq: createaccesskey\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        missing|neq: x\n    condition: sel"));
}

TEST(Matcher, expand_placeholders) {
  Placeholders ph;
  ph.set("admins", {"alice", "root"});
  ph.set("nets", {"203.0.113.0/24"});
  LoadOptions lo;
  lo.placeholders = &ph;
  EXPECT_TRUE(
      rule_matches("    sel:\n        userIdentity.userName|expand: '%admins%'\n"
                   "    condition: sel",
                   kEvent, lo));
  EXPECT_TRUE(
      rule_matches("    sel:\n        userIdentity.arn|expand: '*user/%admins%'\n"
                   "    condition: sel",
                   kEvent, lo));
  EXPECT_TRUE(
      rule_matches("    sel:\n        sourceIPAddress|cidr|expand: '%nets%'\n"
                   "    condition: sel",
                   kEvent, lo));
  // without |expand, %x% is literal; \% is a literal percent
  EXPECT_FALSE(
      rule_matches("    sel:\n        userIdentity.userName: '%admins%'\n"
                   "    condition: sel",
                   kEvent, lo));
  EXPECT_TRUE(rule_matches("    sel:\n        v|expand: '\\%%admins%'\n    condition: sel",
                           R"({"v":"%root"})", lo));
  // undefined placeholder: rejected (the spec requires it)
  EXPECT_NE(test::rejection(ct_rule("    sel:\n        v|expand: '%nope%'\n    condition: sel"), lo)
                .find("placeholder '%nope%' has no values"),
            std::string::npos);
}

TEST(Matcher, placeholders_file_with_inline_values_and_list_files) {
  testing::TempDir dir;
  {
    std::ofstream(dir / "ips.txt") << "# comment\n198.51.100.0/24  # trailing\n\n192.0.2.1\n";
    std::ofstream(dir / "p.yml") << "placeholders:\n  a: [x, y]\n  b: single\n  ips:\n"
                                    "    file: ips.txt\n";
  }
  auto p = Placeholders::load_file(dir / "p.yml");
  ASSERT_TRUE(p) << p.error().describe();
  ASSERT_NE(p->find("ips"), nullptr);
  EXPECT_EQ(*p->find("ips"), (std::vector<std::string>{"198.51.100.0/24", "192.0.2.1"}));
  EXPECT_EQ(*p->find("a"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(*p->find("b"), (std::vector<std::string>{"single"}));
  EXPECT_EQ(p->find("c"), nullptr);
  EXPECT_FALSE(Placeholders::parse("nope: 1", dir.path()).has_value());
  EXPECT_FALSE(Placeholders::parse("placeholders:\n  x: {file: missing.txt}", dir.path()));
}

TEST(Matcher, arrays_match_when_any_element_does) {
  EXPECT_TRUE(m("    sel:\n        requestParameters.tags: prod-1\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.tags: 7\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        requestParameters.tags: prod\n    condition: sel"));
  // arrays met along the path fan out
  EXPECT_TRUE(m("    sel:\n        requestParameters.items.id: i-2\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        requestParameters.items.id: i-3\n    condition: sel"));
  EXPECT_TRUE(m("    sel:\n        requestParameters.items.port: 443\n    condition: sel"));
}

TEST(Matcher, nested_fields_by_dotted_path) {
  EXPECT_TRUE(m("    sel:\n        responseElements.accessKey.status: active\n    condition: sel"));
  EXPECT_FALSE(m("    sel:\n        responseElements.accessKey.missing: x\n    condition: sel"));
  EXPECT_TRUE(rule_matches("    sel:\n        tags.aws\\.cloudformation: stack\n    condition: sel",
                           R"({"tags":{"aws.cloudformation":"stack"}})"));
}

TEST(Matcher, objects_match_as_compact_json_text) {
  EXPECT_TRUE(
      m("    sel:\n        requestParameters.policy|contains: '\"Action\":\"*\"'\n"
        "    condition: sel"));
  EXPECT_TRUE(
      m("    sel:\n        requestParameters.policy: '{\"Effect\":\"Allow\",\"Action\":\"*\"}'\n"
        "    condition: sel"));
  EXPECT_TRUE(
      m("    sel:\n        requestParameters|contains: 'userName\":\"bob'\n"
        "    condition: sel"));
}

TEST(Matcher, keywords_search_every_value) {
  EXPECT_TRUE(
      m("    keywords:\n        - 'python/3.11'\n        - nothing\n    condition: keywords"));
  EXPECT_TRUE(m("    keywords:\n        - AKIAEXAMPLE\n    condition: keywords"));
  EXPECT_FALSE(m("    keywords:\n        - userIdentity\n    condition: keywords"));  // keys aren't
  EXPECT_TRUE(
      m("    keywords:\n        '|all':\n            - alice\n            - Prod-1\n"
        "    condition: keywords"));
  EXPECT_FALSE(
      m("    keywords:\n        '|all':\n            - alice\n            - carol\n"
        "    condition: keywords"));
}

TEST(Matcher, list_of_maps_is_or_of_ands) {
  const std::string det =
      "    sel:\n        - eventName: Nope\n          eventSource: iam.amazonaws.com\n"
      "        - eventName: CreateAccessKey\n          userIdentity.type: IAMUser\n"
      "    condition: sel";
  EXPECT_TRUE(m(det));
  EXPECT_FALSE(
      m("    sel:\n        - eventName: Nope\n        - userIdentity.type: Root\n"
        "    condition: sel"));
}

TEST(Matcher, every_condition_form) {
  const std::string sels =
      "    sel_a:\n        eventName: CreateAccessKey\n"
      "    sel_b:\n        userIdentity.type: IAMUser\n"
      "    sel_c:\n        eventName: Nope\n"
      "    _hidden:\n        eventName: Nope\n";
  auto cond = [&](const std::string& c) { return m(sels + "    condition: " + c); };
  EXPECT_TRUE(cond("sel_a and sel_b"));
  EXPECT_FALSE(cond("sel_a and sel_c"));
  EXPECT_TRUE(cond("sel_a or sel_c"));
  EXPECT_TRUE(cond("not sel_c"));
  EXPECT_FALSE(cond("sel_a and not sel_b"));
  EXPECT_TRUE(cond("(sel_c or sel_b) and sel_a"));
  EXPECT_TRUE(cond("1 of sel_*"));
  EXPECT_FALSE(cond("all of sel_*"));
  EXPECT_TRUE(cond("all of sel_a*"));
  EXPECT_TRUE(cond("1 of them"));
  EXPECT_FALSE(cond("all of them"));
  // them excludes identifiers starting with an underscore
  EXPECT_TRUE(
      m("    sel_a:\n        eventName: CreateAccessKey\n    _x:\n        eventName: No\n"
        "    condition: all of them"));
  // a list of conditions is OR-ed
  EXPECT_TRUE(m(sels + "    condition:\n        - sel_c\n        - sel_a"));
}

TEST(Matcher, logsource_selects_event_kinds) {
  auto c = compile(
      "title: gd\nlogsource: {product: aws, service: guardduty}\n"
      "detection:\n  sel:\n    type|startswith: 'Backdoor:'\n  condition: sel\n---\n"
      "title: any\nlogsource: {product: aws}\ndetection:\n  sel:\n    severity|gte: 5\n"
      "  condition: sel\n");
  ASSERT_TRUE(c.rejected.empty());
  const std::string gd = R"({"id":"1","type":"Backdoor:EC2/X","severity":8,"resource":{}})";
  EXPECT_EQ(matched(c, gd, event::SourceKind::kGuardDuty), (std::vector<std::string>{"gd", "any"}));
  // the same record read as CloudTrail is not a GuardDuty finding
  EXPECT_EQ(matched(c, gd, event::SourceKind::kCloudTrail), (std::vector<std::string>{"any"}));
}

TEST(Matcher, guardduty_fields_match_either_case_shape) {
  auto c = compile(
      "title: gd\nlogsource: {product: aws, service: guardduty}\n"
      "detection:\n  sel:\n    type: 'Backdoor:EC2/C&CActivity.B'\n"
      "    resource.instanceDetails.instanceId: i-1\n  condition: sel\n");
  EXPECT_TRUE(matches(
      c,
      R"({"Id":"1","Type":"Backdoor:EC2/C&CActivity.B","Resource":{"InstanceDetails":{"InstanceId":"i-1"}}})",
      event::SourceKind::kGuardDuty));
  EXPECT_TRUE(matches(
      c,
      R"({"id":"1","type":"Backdoor:EC2/C&CActivity.B","resource":{"instanceDetails":{"instanceId":"i-1"}}})",
      event::SourceKind::kGuardDuty));
}

TEST(Matcher, flow_log_and_security_hub_rules) {
  auto c = compile(
      "title: flow\nlogsource: {product: aws, service: vpcflow}\n"
      "detection:\n  sel:\n    dstport: 22\n    action: ACCEPT\n  condition: sel\n---\n"
      "title: asff\nlogsource: {product: aws, service: securityhub}\n"
      "detection:\n  sel:\n    Severity.Label: HIGH\n  condition: sel\n");
  EXPECT_TRUE(matches(c, R"({"srcaddr":"1.2.3.4","dstport":22,"action":"ACCEPT","start":1})",
                      event::SourceKind::kVpcFlow));
  EXPECT_FALSE(
      matches(c, R"({"dstport":22,"action":"REJECT","start":1})", event::SourceKind::kVpcFlow));
  EXPECT_TRUE(
      matches(c, R"({"Id":"x","Severity":{"Label":"HIGH"}})", event::SourceKind::kSecurityHub));
}

TEST(Matcher, filters_exclude_matches_of_the_rules_they_name) {
  const std::string rules =
      "title: r1\nid: 11111111-1111-4111-8111-111111111111\n"
      "logsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    eventName: CreateAccessKey\n  condition: sel\n---\n"
      "title: r2\nname: r2_name\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    eventSource: iam.amazonaws.com\n  condition: sel\n---\n"
      "title: r3\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    userIdentity.type: IAMUser\n  condition: sel\n";
  EXPECT_EQ(matched(compile(rules), kEvent), (std::vector<std::string>{"r1", "r2", "r3"}));
  const std::string filter =
      "---\ntitle: f\nlogsource: {product: aws, service: cloudtrail}\nfilter:\n"
      "  rules:\n    - 11111111-1111-4111-8111-111111111111\n    - r2_name\n"
      "  selection:\n    userIdentity.userName|startswith: ali\n  condition: selection\n";
  EXPECT_EQ(matched(compile(rules + filter), kEvent), (std::vector<std::string>{"r3"}));
  // a filter whose condition does not hold changes nothing
  std::string other = filter;
  other.replace(other.find("ali"), 3, "zzz");
  EXPECT_EQ(matched(compile(rules + other), kEvent), (std::vector<std::string>{"r1", "r2", "r3"}));
  // a filter for another logsource does not apply
  std::string gd = filter;
  gd.replace(gd.find("service: cloudtrail"), 19, "service: guardduty");
  EXPECT_EQ(matched(compile(rules + gd), kEvent), (std::vector<std::string>{"r1", "r2", "r3"}));
}

TEST(Matcher, self_exclusion_hides_firebreaks_own_calls_by_default) {
  const std::string rule = ct_rule("    sel:\n        eventName: CreateTags\n    condition: sel");
  const std::string by_agent =
      R"j({"eventName":"CreateTags","userAgent":"firebreak/0.1.0 (respond)"})j";
  const std::string by_session =
      R"({"eventName":"CreateTags","userAgent":"aws-sdk","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Responder/firebreak-7f3a"}})";
  const std::string other =
      R"({"eventName":"CreateTags","userAgent":"aws-cli firebreak","userIdentity":{"arn":"arn:aws:sts::123456789012:assumed-role/firebreak/alice"}})";
  auto on = compile(rule);
  EXPECT_FALSE(matches(on, by_agent));
  EXPECT_FALSE(matches(on, by_session));
  EXPECT_TRUE(matches(on, other));  // only a prefix of the agent / the session name counts
  auto off = compile(rule, {}, EngineOptions{.self_exclusion = false});
  EXPECT_TRUE(matches(off, by_agent));
  EXPECT_TRUE(matches(off, by_session));
  // the built-in filter is itself valid Sigma
  RuleSet builtin = load_rules_text(self_exclusion_filter_yaml(), "builtin");
  EXPECT_EQ(builtin.filters.size(), 1u);
  EXPECT_TRUE(builtin.rejected.empty());
}

TEST(MatcherIndex, rules_are_indexed_and_indexing_does_not_change_results) {
  // eventName-anchored, eventSource-anchored, pattern-anchored and unanchored rules together.
  const std::string rules =
      "title: by_name\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    eventName: [CREATEACCESSKEY, DeleteUser]\n  condition: sel\n---\n"
      "title: by_service\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    eventSource: iam.amazonaws.com\n  condition: sel\n---\n"
      "title: by_pattern\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    userAgent|contains: 'Python/3'\n  condition: sel\n---\n"
      "title: by_pattern_or\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  a:\n    userAgent|startswith: nope\n  b:\n    sourceIPAddress: 203.0.113.7\n"
      "  condition: a or b\n---\n"
      "title: unanchored\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    eventName: X\n  f:\n    eventName: Y\n  condition: not sel and not "
      "f\n";
  auto c = compile(rules);
  const auto& st = c.engine->stats();
  EXPECT_EQ(st.indexed_by_name, 1u);
  EXPECT_EQ(st.indexed_by_service, 1u);
  EXPECT_EQ(st.indexed_by_pattern, 2u);
  EXPECT_EQ(st.unindexed, 1u);
  EXPECT_GE(st.hyperscan_patterns, 2u);
  auto all = matched(c, kEvent);
  EXPECT_EQ(all, (std::vector<std::string>{"by_name", "by_service", "by_pattern", "by_pattern_or",
                                           "unanchored"}));
  // each rule alone gives the same verdict as in the set
  RuleSet set = load_rules_text(rules, "x.yml");
  for (const auto& r : set.rules) {
    RuleSet one;
    one.rules.push_back(r);
    auto e = Engine::compile(one);
    ASSERT_TRUE(e);
    Matcher mm(*e);
    auto ev = test::parse_event(kEvent);
    std::vector<std::uint32_t> out;
    mm.match(ev.event(), out);
    EXPECT_EQ(!out.empty(), std::find(all.begin(), all.end(), r.title) != all.end()) << r.title;
  }
}

TEST(MatcherIndex, many_rules_on_one_field_share_one_scan) {
  std::string rules;
  for (int i = 0; i < 500; ++i) {
    rules += "title: r" + std::to_string(i) +
             "\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n"
             "    userAgent|contains: 'tool-" +
             std::to_string(i) + "/'\n  condition: sel\n---\n";
  }
  auto c = compile(rules, {}, EngineOptions{.self_exclusion = false});
  EXPECT_EQ(c.engine->stats().indexed_by_pattern, 500u);
  EXPECT_EQ(c.engine->stats().fields, 1u);
  EXPECT_EQ(matched(c, R"({"eventName":"X","userAgent":"Tool-123/1.0"})"),
            (std::vector<std::string>{"r123"}));
  EXPECT_TRUE(matched(c, R"({"eventName":"X","userAgent":"tool-1234"})").empty());
}

TEST(Matcher, matcher_is_reusable_across_events) {
  auto c = compile(ct_rule("    sel:\n        userAgent|contains: evil\n    condition: sel"));
  Matcher mm(c.engine);
  for (int i = 0; i < 100; ++i) {
    const bool evil = i % 3 == 0;
    auto ev = test::parse_event(evil ? R"({"userAgent":"an evil tool"})" : R"({"userAgent":"ok"})");
    std::vector<std::uint32_t> out;
    mm.match(ev.event(), out);
    EXPECT_EQ(out.size(), evil ? 1u : 0u) << i;
  }
}

}  // namespace
}  // namespace firebreak::detect
