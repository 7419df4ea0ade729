#pragma once
// JSON helpers shared by every module.
//  - JsonWriter: a streaming writer for output (JSON Lines, reports, request bodies). Produces
//    compact, valid JSON; strings are escaped, invalid UTF-8 is replaced by U+FFFD.
//  - parse_json: a bounded, non-throwing parse of outside input into an owned nlohmann::json
//    tree (for small documents: AWS responses, configuration, templates). The hot path of event
//    ingestion does not use it (event/ uses simdjson).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"

namespace firebreak {

using Json = nlohmann::json;

struct JsonLimits {
  std::size_t max_bytes = 64u << 20;  // 64 MiB
  std::size_t max_depth = 128;
};

// Parses `text`; errors name the byte offset and what is wrong. Never throws.
[[nodiscard]] Result<Json> parse_json(std::string_view text, const JsonLimits& limits = {});

// Nesting depth of `text` counted over brackets outside strings, stopping early past `limit`.
// Cheap pre-check before handing outside input to a recursive consumer.
[[nodiscard]] std::size_t json_depth(std::string_view text, std::size_t limit) noexcept;

// Appends `s` to `out` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);
// Serialises an nlohmann tree compactly without throwing (invalid UTF-8 is replaced).
[[nodiscard]] std::string dump_json(const Json& j);

// Streaming writer. Call sequences must be well formed (key before each object member);
// violations are programming errors caught by assertions in debug builds.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& null();
  // Inserts already-serialised JSON verbatim (caller guarantees validity).
  JsonWriter& raw(std::string_view json);

  // key(k).value(v) in one call.
  template <class V>
  JsonWriter& field(std::string_view k, V&& v) {
    key(k);
    return value(std::forward<V>(v));
  }

 private:
  void separate();
  std::string& out_;
  // One bit per open container: whether it already has a member (needs a comma).
  std::uint64_t has_member_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace firebreak
