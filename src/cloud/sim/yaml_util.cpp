#include "yaml_util.h"

#include <fmt/format.h>

#include <charconv>

namespace firebreak::cloud::sim::yaml {
namespace {

// Nesting of flow collections and block indentation, estimated before yaml-cpp (which recurses)
// sees the text, so that hostile nesting cannot exhaust the stack.
bool too_deep(std::string_view text, std::size_t max_depth) {
  std::size_t flow = 0;
  bool in_single = false, in_double = false;
  std::size_t line_start = 0;
  bool at_line_start = true;
  std::size_t indent = 0, dashes = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      at_line_start = true;
      indent = 0;
      dashes = 0;
      line_start = i + 1;
      continue;
    }
    if (at_line_start) {
      if (c == ' ') {
        ++indent;
        if (indent > max_depth * 8) return true;
        continue;
      }
      if (c == '-' && i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\n')) {
        ++dashes;
        if (dashes + indent / 2 > max_depth * 2) return true;
        ++i;
        continue;
      }
      at_line_start = false;
    }
    (void)line_start;
    if (in_single) {
      if (c == '\'') in_single = false;
      continue;
    }
    if (in_double) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_double = false;
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      --i;
      continue;
    }
    if (c == '\'')
      in_single = true;
    else if (c == '"')
      in_double = true;
    else if (c == '[' || c == '{') {
      if (++flow > max_depth) return true;
    } else if ((c == ']' || c == '}') && flow > 0) {
      --flow;
    }
  }
  return false;
}

std::string where(const std::string& file, const YAML::Mark& m) {
  if (m.line < 0) return file;
  return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
}

}  // namespace

Error Ctx::error(const YAML::Node& at, std::string_view path, std::string_view what) const {
  YAML::Mark m = YAML::Mark::null_mark();
  try {
    if (at.IsDefined()) m = at.Mark();
  } catch (...) {
  }
  return Error(ErrorCode::kParse,
               path.empty() ? std::string(what) : fmt::format("{}: {}", path, what),
               ErrorContext{.where = where(file_, m)});
}

Status Ctx::visit(const YAML::Node& n, std::string_view path) {
  if (budget_ == 0)
    return std::unexpected(
        error(n, path, "document too large (node budget exhausted: anchors or huge lists?)"));
  --budget_;
  return {};
}

Result<YAML::Node> load(std::string_view text, const Ctx& ctx, const Limits& limits) {
  if (text.size() > limits.max_bytes)
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("{} bytes exceeds the {} byte limit", text.size(), limits.max_bytes),
                ErrorContext{.where = ctx.file()});
  if (too_deep(text, limits.max_depth))
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("nesting deeper than {} levels", limits.max_depth),
                ErrorContext{.where = ctx.file()});
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap())
      return fail(
          ErrorCode::kParse, "the document must be a mapping",
          ErrorContext{.where = where(ctx.file(),
                                      root.IsDefined() ? root.Mark() : YAML::Mark::null_mark())});
    return root;
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kParse, e.msg, ErrorContext{.where = where(ctx.file(), e.mark)});
  } catch (const std::exception& e) {
    return fail(ErrorCode::kParse, e.what(), ErrorContext{.where = ctx.file()});
  }
}

Map::Map(Ctx& ctx, YAML::Node node, std::string path)
    : ctx_(&ctx), node_(std::move(node)), path_(std::move(path)) {}

bool Map::has(const std::string& key) const {
  try {
    return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
  } catch (...) {
    return false;
  }
}

Error Map::error_at(const std::string& key, std::string_view what) const {
  YAML::Node n = node_;
  try {
    if (node_[key].IsDefined()) n = node_[key];
  } catch (...) {
  }
  return ctx_->error(n, path_.empty() ? key : path_ + "." + key, what);
}

Result<YAML::Node> Map::get(const std::string& key) {
  used_.insert(key);
  try {
    YAML::Node n = node_[key];
    FIREBREAK_TRY_STATUS(ctx_->visit(n, path_));
    return n;
  } catch (const YAML::Exception& e) {
    return std::unexpected(error_at(key, e.msg));
  }
}

Result<std::string> Map::str(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return std::unexpected(error_at(key, "is required"));
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be a scalar"));
  return n.Scalar();
}

Result<std::string> Map::str_or(const std::string& key, std::string dflt) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return dflt;
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be a scalar"));
  return n.Scalar();
}

Result<std::int64_t> Map::integer(const std::string& key, std::int64_t dflt, std::int64_t min,
                                  std::int64_t max) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return dflt;
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be an integer"));
  const auto& s = n.Scalar();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::unexpected(error_at(key, fmt::format("'{}' is not an integer", s)));
  if (v < min || v > max)
    return std::unexpected(error_at(key, fmt::format("{} is outside {}..{}", v, min, max)));
  return v;
}

Result<double> Map::number(const std::string& key, double dflt, double min, double max) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return dflt;
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be a number"));
  const auto& s = n.Scalar();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::unexpected(error_at(key, fmt::format("'{}' is not a number", s)));
  if (!(v >= min && v <= max))
    return std::unexpected(error_at(key, fmt::format("{} is outside {}..{}", s, min, max)));
  return v;
}

Result<bool> Map::boolean(const std::string& key, bool dflt) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return dflt;
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be true or false"));
  const auto& s = n.Scalar();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  return std::unexpected(error_at(key, fmt::format("'{}' is not true or false", s)));
}

Result<std::uint64_t> Map::bytes(const std::string& key, std::uint64_t dflt) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return dflt;
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be a size"));
  std::string_view s = n.Scalar();
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data())
    return std::unexpected(error_at(key, fmt::format("'{}' is not a size", s)));
  std::string_view unit = s.substr(static_cast<std::size_t>(p - s.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  std::uint64_t mul = 1;
  if (unit.empty() || unit == "B")
    mul = 1;
  else if (unit == "KiB")
    mul = 1ull << 10;
  else if (unit == "MiB")
    mul = 1ull << 20;
  else if (unit == "GiB")
    mul = 1ull << 30;
  else if (unit == "TiB")
    mul = 1ull << 40;
  else if (unit == "KB")
    mul = 1000;
  else if (unit == "MB")
    mul = 1000 * 1000;
  else if (unit == "GB")
    mul = 1000ull * 1000 * 1000;
  else
    return std::unexpected(error_at(key, fmt::format("unknown size unit '{}'", unit)));
  if (v > (1ull << 50) / mul) return std::unexpected(error_at(key, "size too large"));
  return v * mul;
}

Result<std::optional<Duration>> Map::duration(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return std::optional<Duration>{};
  if (!n.IsScalar()) return std::unexpected(error_at(key, "must be a duration"));
  const auto& s = n.Scalar();
  if (auto d = parse_duration(s)) return std::optional<Duration>(*d);
  std::int64_t secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size() && secs >= 0)
    return std::optional<Duration>(std::chrono::seconds(secs));
  return std::unexpected(error_at(key, fmt::format("'{}' is not a duration (30s, 5m, 1h30m)", s)));
}

Result<std::vector<std::string>> Map::strings(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  std::vector<std::string> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) return std::unexpected(error_at(key, "must be a list of scalars"));
  for (std::size_t i = 0; i < n.size(); ++i) {
    FIREBREAK_TRY_STATUS(ctx_->visit(n[i], path_));
    if (!n[i].IsScalar())
      return std::unexpected(
          ctx_->error(n[i], fmt::format("{}.{}[{}]", path_, key, i), "must be a scalar"));
    out.push_back(n[i].Scalar());
  }
  return out;
}

Result<std::optional<Map>> Map::map(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return std::optional<Map>{};
  if (!n.IsMap()) return std::unexpected(error_at(key, "must be a mapping"));
  return std::optional<Map>(Map(*ctx_, n, path_.empty() ? key : path_ + "." + key));
}

Result<std::vector<Map>> Map::maps(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  std::vector<Map> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) return std::unexpected(error_at(key, "must be a list"));
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string p = fmt::format("{}{}[{}]", path_.empty() ? "" : path_ + ".", key, i);
    FIREBREAK_TRY_STATUS(ctx_->visit(n[i], p));
    if (!n[i].IsMap()) return std::unexpected(ctx_->error(n[i], p, "must be a mapping"));
    out.emplace_back(*ctx_, n[i], p);
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> Map::pairs(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) return std::unexpected(error_at(key, "must be a mapping of scalars"));
  for (auto it = n.begin(); it != n.end(); ++it) {
    FIREBREAK_TRY_STATUS(ctx_->visit(it->second, path_));
    if (!it->first.IsScalar() || !it->second.IsScalar())
      return std::unexpected(
          ctx_->error(it->second, path_ + "." + key, "must map scalars to scalars"));
    out.emplace_back(it->first.Scalar(), it->second.Scalar());
  }
  return out;
}

Result<Json> to_json(Ctx& ctx, const YAML::Node& n, const std::string& path, std::size_t depth,
                     bool typed) {
  FIREBREAK_TRY_STATUS(ctx.visit(n, path));
  if (depth == 0) return std::unexpected(ctx.error(n, path, "nested too deeply"));
  if (!n.IsDefined() || n.IsNull()) return Json(nullptr);
  if (n.IsScalar()) {
    const auto& s = n.Scalar();
    if (typed && n.Tag() != "!") {
      if (s == "true") return Json(true);
      if (s == "false") return Json(false);
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return Json(v);
    }
    return Json(s);
  }
  if (n.IsSequence()) {
    Json arr = Json::array();
    for (std::size_t i = 0; i < n.size(); ++i) {
      FIREBREAK_TRY(auto v, to_json(ctx, n[i], fmt::format("{}[{}]", path, i), depth - 1, typed));
      arr.push_back(std::move(v));
    }
    return arr;
  }
  Json obj = Json::object();
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar())
      return std::unexpected(ctx.error(it->first, path, "keys must be scalars"));
    FIREBREAK_TRY(auto v,
                  to_json(ctx, it->second, path + "." + it->first.Scalar(), depth - 1, typed));
    obj[it->first.Scalar()] = std::move(v);
  }
  return obj;
}

Result<std::string> Map::json_text(const std::string& key) {
  FIREBREAK_TRY(auto n, get(key));
  if (!n.IsDefined() || n.IsNull()) return std::string();
  if (n.IsScalar()) return n.Scalar();
  FIREBREAK_TRY(auto j, to_json(*ctx_, n, path_ + "." + key, 24, false));
  return dump_json(j);
}

Status Map::finish() {
  if (!node_.IsMap()) return {};
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string k = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
    if (!used_.contains(k))
      return std::unexpected(ctx_->error(it->first, path_.empty() ? k : path_ + "." + k,
                                         "unknown key (check the spelling; see worlds/README.md)"));
  }
  return {};
}

}  // namespace firebreak::cloud::sim::yaml
