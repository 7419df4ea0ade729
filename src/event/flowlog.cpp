#include "flowlog.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "firebreak/core/json.h"

namespace firebreak::event::detail {

namespace {

struct Known {
  std::string_view name;
  bool numeric;
};

// Every field AWS documents for flow-log records, versions 2 to 8.
constexpr std::array kKnown = {
    Known{"version", true},
    Known{"account-id", false},
    Known{"interface-id", false},
    Known{"srcaddr", false},
    Known{"dstaddr", false},
    Known{"srcport", true},
    Known{"dstport", true},
    Known{"protocol", true},
    Known{"packets", true},
    Known{"bytes", true},
    Known{"start", true},
    Known{"end", true},
    Known{"action", false},
    Known{"log-status", false},
    // version 3
    Known{"vpc-id", false},
    Known{"subnet-id", false},
    Known{"instance-id", false},
    Known{"tcp-flags", true},
    Known{"type", false},
    Known{"pkt-srcaddr", false},
    Known{"pkt-dstaddr", false},
    // version 4
    Known{"region", false},
    Known{"az-id", false},
    Known{"sublocation-type", false},
    Known{"sublocation-id", false},
    // version 5
    Known{"pkt-src-aws-service", false},
    Known{"pkt-dst-aws-service", false},
    Known{"flow-direction", false},
    Known{"traffic-path", true},
    // version 7
    Known{"ecs-cluster-arn", false},
    Known{"ecs-cluster-name", false},
    Known{"ecs-container-instance-arn", false},
    Known{"ecs-container-instance-id", false},
    Known{"ecs-container-id", false},
    Known{"ecs-second-container-id", false},
    Known{"ecs-service-name", false},
    Known{"ecs-task-definition-arn", false},
    Known{"ecs-task-arn", false},
    Known{"ecs-task-id", false},
    // version 8
    Known{"reject-reason", false},
};

const Known* known(std::string_view name) {
  for (const auto& k : kKnown) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits on runs of spaces/tabs; stops after `max` tokens (returns max + 1 to say "more").
template <class F>
std::size_t tokens(std::string_view line, F&& fn) {
  std::size_t n = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_ws(line[i])) ++i;
    if (i == line.size()) break;
    std::size_t j = i;
    while (j < line.size() && !is_ws(line[j])) ++j;
    fn(n++, line.substr(i, j - i));
    i = j;
  }
  return n;
}

bool valid_name(std::string_view t) {
  if (t.empty() || t.size() > 64 || !(t[0] >= 'a' && t[0] <= 'z')) return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

std::shared_ptr<const FlowFormat> default_flow_format() {
  static const auto fmt = [] {
    auto f = std::make_shared<FlowFormat>();
    for (std::size_t i = 0; i < 14; ++i) {
      f->fields.emplace_back(kKnown[i].name);
      f->numeric.push_back(kKnown[i].numeric);
    }
    return std::shared_ptr<const FlowFormat>(f);
  }();
  return fmt;
}

std::optional<FlowFormat> parse_flow_header(std::string_view line) {
  FlowFormat f;
  std::size_t known_count = 0;
  bool ok = true;
  tokens(line, [&](std::size_t, std::string_view t) {
    if (t.size() > 3 && t.starts_with("${") && t.ends_with("}")) t = t.substr(2, t.size() - 3);
    if (!valid_name(t) || f.fields.size() >= 256) {
      ok = false;
      return;
    }
    const Known* k = known(t);
    if (k) ++known_count;
    f.fields.emplace_back(t);
    f.numeric.push_back(k && k->numeric);
  });
  if (!ok || f.fields.empty() || known_count * 2 < f.fields.size()) return std::nullopt;
  return f;
}

bool is_default_flow_line(std::string_view line) noexcept {
  std::string_view first;
  const std::size_t n = tokens(line, [&](std::size_t i, std::string_view t) {
    if (i == 0) first = t;
  });
  return n == 14 && first == "2";
}

Status flow_line_to_json(const FlowFormat& format, std::string_view line, std::string& out) {
  out.clear();
  out += '{';
  bool any = false;
  std::string problem;
  const std::size_t n = tokens(line, [&](std::size_t i, std::string_view t) {
    if (i >= format.fields.size() || !problem.empty()) return;
    if (t == "-") return;
    if (any) out += ',';
    any = true;
    append_json_string(out, format.fields[i]);
    out += ':';
    if (format.numeric[i]) {
      const bool digits = t.size() <= 19 && std::all_of(t.begin(), t.end(), [](char c) {
                            return c >= '0' && c <= '9';
                          });
      if (!digits) {
        problem =
            fmt::format("field '{}' is not a number: '{}'", format.fields[i], t.substr(0, 64));
        return;
      }
      while (t.size() > 1 && t[0] == '0') t.remove_prefix(1);  // JSON has no leading zeros
      out += t;
    } else {
      append_json_string(out, t);
    }
  });
  if (!problem.empty()) return fail(ErrorCode::kParse, problem);
  if (n != format.fields.size()) {
    return fail(ErrorCode::kParse, fmt::format("flow-log record has {} fields, the format has {}",
                                               n, format.fields.size()));
  }
  out += '}';
  return {};
}

}  // namespace firebreak::event::detail
