#pragma once
// Findings: what a rule match produces, and their output formats.
//
// A finding names the rule (id, title, level, tags, author — the Sigma rules' DRL licence asks
// that output showing a match credit the author), the matched event (file, record index, line,
// eventID), the event time and the entities involved. A correlation finding also carries the
// correlation type, its group-by values and the count it reached; its event is the one that
// completed the correlation. A single-event finding of a rule that lists Sigma `fields:` also
// carries those fields' values from the event, so that what acts on the finding (the tag-driven
// response reads the CreateTags request this way) need not read the event again.
//
// Output: JSON Lines (one object per line, schema in docs/detection.md) or an aligned table.
// Thread-compatible value types.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/detect/rule.h"
#include "firebreak/event/event.h"

namespace firebreak::detect {

struct EventRef {
  std::shared_ptr<const std::string> file;
  std::uint64_t index = 0;  // 0-based record index in the file
  std::uint64_t line = 0;   // 1-based line for line formats, else 0
  std::string event_id;     // CloudTrail eventID / finding Id; empty for flow records

  [[nodiscard]] static EventRef of(const event::Event& e);
};

// An entity a finding involves. Types (the names incident grouping uses): "principal" (the actor's
// ARN as recorded), "user" / "role" (canonical IAM ARNs), "access_key", "ip", "instance",
// "network_interface", "security_group", "bucket", "snapshot", "volume", "account".
struct Entity {
  std::string type;
  std::string value;
  friend bool operator==(const Entity&, const Entity&) = default;
};

// Entities of an event: event::entities() (canonical ids, see event/entities.h) under the type
// names above, plus the event's account.
[[nodiscard]] std::vector<Entity> extract_entities(const event::Event& e);

struct Finding {
  // Stable identity: the same detection of the same event (or, for correlations, of the same
  // group and window) always has the same id (see assign_id).
  std::string id;
  // Rule
  std::string rule_id;
  std::string rule_title;
  Level level = Level::kMedium;
  std::vector<std::string> tags;
  std::string author;
  // Event
  EventRef event;
  TimePoint time{};
  event::SourceKind source = event::SourceKind::kCloudTrail;
  std::string event_name;  // Event::name() (eventName, finding type, flow action)
  std::vector<Entity> entities;
  // The rule's Sigma `fields:` as found in the event (single-event rules only): (field path as
  // the rule wrote it, compact JSON of the value). A path that reaches several values (arrays
  // fan out, see event/event.h) gives a JSON array of them. Fields the event lacks are left out,
  // and so is any value that would take the finding's fields past kMaxFieldBytes.
  std::vector<std::pair<std::string, std::string>> fields;
  // Correlation (empty type for single-event rules)
  std::string correlation_type;
  std::vector<std::pair<std::string, std::string>> group;  // group-by field -> value
  std::uint64_t count = 0;  // events (event_count), distinct values (value_count), rules
                            // (temporal)
  TimePoint window_start{};
};

inline constexpr std::size_t kMaxFieldBytes = 256u << 10;  // a CloudTrail record is at most this

// Fills the rule part of a finding.
void set_rule(Finding& f, const Rule& rule);
// Fills f.fields from `e` for the rule's `fields:` (see Finding::fields).
void capture_fields(Finding& f, const Rule& rule, const event::Event& e);
// Sets f.id: 32 hex digits of SHA-256 over the rule (id, else title), the event (eventID, else
// file and record index) and, for correlations, the group values and window start.
void assign_id(Finding& f);

// One JSON object, no trailing newline.
[[nodiscard]] std::string to_json(const Finding& f);

// Aligned table: header, one line per finding. Columns: TIME LEVEL RULE EVENT PRINCIPAL SOURCE
// (RULE is the title; the author is credited in a footer listing each rule once).
[[nodiscard]] std::string to_table(const std::vector<Finding>& findings);

}  // namespace firebreak::detect
