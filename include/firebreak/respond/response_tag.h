#pragma once
// Tag-driven response: an operator (or a detection pipeline) puts `Response=Isolate+MemoryCapture`
// on EC2 instances, and the playbooks whose `triggers.response_tags` name one of those verbs
// start on each tagged instance. Documented in docs/playbooks.md ("Tag-driven response").
//
// Two steps, both pure functions:
//  1. parse_response_tag_request reads the CloudTrail record of the EC2 CreateTags call (or the
//     part of it a finding carries, see detect::Finding::fields): which instances were tagged
//     (requestParameters.resourcesSet.items[].resourceId) and the value of the `Response` tag
//     (requestParameters.tagSet.items[] with key "Response", compared case-sensitively as AWS
//     compares tag keys), split into verbs by parse_response_verbs.
//  2. plan_response_tag maps the verbs onto playbooks: a playbook starts when the tag names any
//     of its triggers.response_tags, once per tagged instance; a bool input that declares
//     `response_tag: <verb>` is set to whether the tag names that verb. A verb no playbook knows
//     is reported (with a hint when it differs from a known verb only in case) and starts nothing.
//
// Verbs are case-sensitive (AWS tag values are): `isolate` is not `Isolate`.
//
// firebreak's own calls never count: a request whose user agent starts with
// cloud::kUserAgentPrefix or whose principal is a role session named cloud::kRoleSessionPrefix...
// is marked `self` and plans nothing (detection already drops such events; this is the same test
// again on the response path, so that no rule set can make firebreak act on its own tagging).
//
// Limits (outside input): the tag value is at most 256 bytes (AWS's limit) and 32 verbs; a
// request names at most 1000 resources and 50 tags, and resource ids are at most 128 bytes.
// Past them the request is refused with an error naming the limit.
//
// Thread-safety: pure functions; results are values.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/core/json.h"
#include "firebreak/respond/playbook.h"

namespace firebreak::respond {

inline constexpr std::string_view kResponseTagKey = "Response";

struct ResponseTagLimits {
  std::size_t max_value_bytes = 256;  // AWS: a tag value is at most 256 characters
  std::size_t max_verbs = 32;
  std::size_t max_resources = 1000;
  std::size_t max_tags = 50;  // AWS: at most 50 tags per resource
  std::size_t max_id_bytes = 128;
};

// Whether `verb` can name a verb in a playbook: 1-128 bytes of the characters AWS allows in tag
// values, other than '+' (the separator) and space: letters, digits, _ . : / = @ -.
[[nodiscard]] bool valid_response_verb(std::string_view verb) noexcept;

struct ResponseVerbs {
  std::vector<std::string> verbs;     // in tag order, trimmed, each once
  std::vector<std::string> problems;  // what was dropped and why ("empty verb ...", "duplicate")
};

// Splits a Response tag value on '+' and trims ASCII whitespace around each verb. Empty verbs
// ("Isolate++X", a trailing '+') and repeats are dropped and named in `problems`; a value over
// the limits yields no verbs and one problem.
[[nodiscard]] ResponseVerbs parse_response_verbs(std::string_view value,
                                                 const ResponseTagLimits& limits = {});

struct ResponseTagRequest {
  std::string value;                         // the Response tag's value as written
  ResponseVerbs verbs;                       // parsed from `value`
  std::vector<std::string> instance_ids;     // tagged instances (i-…), request order, each once
  std::vector<std::string> other_resources;  // other ids tagged (volumes, ...): never targets
  std::string principal;                     // userIdentity.arn, when the record has it
  // Non-empty when the call was firebreak's own (why: "user agent firebreak/…", "role session
  // firebreak-…"): such a request plans nothing.
  std::string self;
};

// Reads a CloudTrail record. nullopt when it is not a successful (no errorCode) EC2 CreateTags
// that sets a `Response` tag (eventSource, when present, must be ec2.amazonaws.com; eventName
// must be CreateTags). An error when it is one but its request is malformed (resourcesSet or
// tagSet of the wrong shape, no resources, a value that is not a string) or past the limits.
// When the tag set names Response more than once, the last one counts (EC2 applies tags in
// order).
[[nodiscard]] Result<std::optional<ResponseTagRequest>> parse_response_tag_request(
    const Json& record, const ResponseTagLimits& limits = {});

struct ResponseRun {
  const Playbook* playbook = nullptr;  // points into the playbooks given to plan_response_tag
  std::string instance_id;
  std::vector<std::string> verbs;  // the playbook's response_tags the tag names
  Json inputs = Json::object();    // the playbook's verb-linked inputs (see the header comment)
};

struct ResponsePlan {
  std::vector<ResponseRun> runs;           // playbook order, then instance order
  std::vector<std::string> unknown_verbs;  // named by no playbook: nothing starts for them
  // Verbs some playbook knows only as an input switch, none of whose playbooks the tag starts
  // ("MemoryCapture" alone): they change nothing.
  std::vector<std::string> idle_verbs;
  // One line per thing a person should be told: unknown verbs (with a hint for a case slip),
  // idle verbs, the parse problems, tagged resources that are not instances, a request with no
  // tagged instance, firebreak's own request.
  std::vector<std::string> problems;
};

// What `request` asks of `playbooks` (see the header comment).
[[nodiscard]] ResponsePlan plan_response_tag(const ResponseTagRequest& request,
                                             const std::vector<Playbook>& playbooks);

// "Isolate+MemoryCapture" for the verbs (for messages).
[[nodiscard]] std::string join_verbs(const std::vector<std::string>& verbs);

}  // namespace firebreak::respond
