#pragma once
// Private to the event module: VPC Flow Logs text records.
//
// A flow-log file is space-separated fields, one record per line. Its field list is the default
// version-2 format (14 fields) or a custom format, which files delivered to S3 declare in a header
// line of field names ("version account-id interface-id srcaddr ..."). Field names of versions
// 2 to 8 are known; "-" means the field has no value for that record (the key is then absent from
// the record). Numeric fields (ports, counts, times, protocol, tcp-flags, traffic-path, version)
// become JSON numbers, everything else strings.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak::event::detail {

struct FlowFormat {
  std::vector<std::string> fields;
  std::vector<bool> numeric;  // per field
};

// The default format (version 2).
[[nodiscard]] std::shared_ptr<const FlowFormat> default_flow_format();
// A header line: every token is a field name (known ones, or the ${name} spelling of the
// CloudWatch format), at least half of them known. nullopt when `line` is not a header.
[[nodiscard]] std::optional<FlowFormat> parse_flow_header(std::string_view line);
// A data line of the default format: 14 fields, the first "2".
[[nodiscard]] bool is_default_flow_line(std::string_view line) noexcept;

// Converts one data line to a JSON object (replacing `out`). The error says which field is wrong.
[[nodiscard]] Status flow_line_to_json(const FlowFormat& format, std::string_view line,
                                       std::string& out);

}  // namespace firebreak::event::detail
