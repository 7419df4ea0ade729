#include "firebreak/core/yaml.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace firebreak {
namespace {

// Deepest flow-collection nesting ('[' / '{' outside quotes and comments): yaml-cpp recurses on
// it, so refuse absurd depths before handing the text over.
int flow_depth(std::string_view s) {
  int depth = 0, max_depth = 0;
  char quote = 0;
  bool comment = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (comment) {
      if (c == '\n') comment = false;
      continue;
    }
    if (quote) {
      if (quote == '"' && c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'')
      quote = c;
    else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n'))
      comment = true;
    else if (c == '[' || c == '{')
      max_depth = std::max(max_depth, ++depth);
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
  }
  return max_depth;
}

Status check_text(std::string_view text, std::string_view file, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("YAML file of {} bytes exceeds the {} byte limit", text.size(),
                            limits.max_bytes),
                ErrorContext{.where = std::string(file)});
  }
  if (flow_depth(text) > limits.max_depth) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("YAML nested deeper than {} levels", limits.max_depth),
                ErrorContext{.where = std::string(file)});
  }
  return {};
}

Error parse_error(std::string_view file, const YAML::Exception& e) {
  return Error(
      ErrorCode::kParse, e.msg,
      ErrorContext{.where = e.mark.is_null() ? std::string(file)
                                             : fmt::format("{}:{}:{}", file, e.mark.line + 1,
                                                           e.mark.column + 1)});
}

Status check_depth(const YAML::Node& n, std::string_view file, int depth, int max_depth) {
  if (depth > max_depth) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("YAML nested deeper than {} levels", max_depth),
                ErrorContext{.where = yaml_where(file, n)});
  }
  if (n.IsSequence() || n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (n.IsMap()) {
        FIREBREAK_TRY_STATUS(check_depth(it->second, file, depth + 1, max_depth));
      } else {
        FIREBREAK_TRY_STATUS(check_depth(*it, file, depth + 1, max_depth));
      }
    }
  }
  return {};
}

Json plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  // Integers (decimal, optional sign), then floats.
  {
    std::int64_t v;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (*b == '+') ++b;
    auto [p, ec] = std::from_chars(b, e, v);
    if (ec == std::errc() && p == e) return v;
  }
  {
    double d;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(d) &&
        s.find_first_of("0123456789") != std::string::npos) {
      return d;
    }
  }
  return s;
}

}  // namespace

Result<YAML::Node> load_yaml(std::string_view text, std::string_view file,
                             const YamlLimits& limits) {
  FIREBREAK_TRY_STATUS(check_text(text, file, limits));
  try {
    YAML::Node n = YAML::Load(std::string(text));
    FIREBREAK_TRY_STATUS(check_depth(n, file, 0, limits.max_depth));
    return n;
  } catch (const YAML::Exception& e) {
    return fail(parse_error(file, e));
  }
}

Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text, std::string_view file,
                                                    const YamlLimits& limits) {
  FIREBREAK_TRY_STATUS(check_text(text, file, limits));
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.size() > limits.max_documents) {
      return fail(ErrorCode::kLimitExceeded,
                  fmt::format("more than {} YAML documents", limits.max_documents),
                  ErrorContext{.where = std::string(file)});
    }
    for (const auto& d : docs) FIREBREAK_TRY_STATUS(check_depth(d, file, 0, limits.max_depth));
    return docs;
  } catch (const YAML::Exception& e) {
    return fail(parse_error(file, e));
  }
}

std::string yaml_where(std::string_view file, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return std::string(file);
  return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
}

Result<Json> yaml_to_json(const YAML::Node& node, std::string_view file, int max_depth) {
  if (max_depth < 0) {
    return fail(ErrorCode::kLimitExceeded, "YAML nested too deeply (or aliases expand too far)",
                ErrorContext{.where = yaml_where(file, node)});
  }
  try {
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return Json(nullptr);
      case YAML::NodeType::Scalar:
        // yaml-cpp tags quoted scalars "!" and plain ones "?".
        if (node.Tag() == "!") return Json(node.Scalar());
        return plain_scalar(node.Scalar());
      case YAML::NodeType::Sequence: {
        Json out = Json::array();
        for (const auto& item : node) {
          FIREBREAK_TRY(Json v, yaml_to_json(item, file, max_depth - 1));
          out.push_back(std::move(v));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        Json out = Json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return fail(ErrorCode::kParse, "mapping keys must be scalars",
                        ErrorContext{.where = yaml_where(file, kv.first)});
          }
          FIREBREAK_TRY(Json v, yaml_to_json(kv.second, file, max_depth - 1));
          out[kv.first.Scalar()] = std::move(v);
        }
        return out;
      }
    }
  } catch (const YAML::Exception& e) {
    return fail(parse_error(file, e));
  }
  return Json(nullptr);
}

}  // namespace firebreak
