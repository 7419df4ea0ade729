#pragma once
// Private to the simulator: strict, bounded reading of YAML documents (world files and attack
// scripts). yaml-cpp throws; everything here returns Results whose errors say
// "<file>:<line>:<col>: <path>: <what>".

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud::sim::yaml {

struct Limits {
  std::size_t max_bytes = 8u << 20;
  std::size_t max_depth = 48;
  std::size_t max_nodes = 2'000'000;
};

class Ctx {
 public:
  Ctx(std::string file, std::size_t budget) : file_(std::move(file)), budget_(budget) {}
  [[nodiscard]] Error error(const YAML::Node& at, std::string_view path,
                            std::string_view what) const;
  // Counts a visited node; fails when the document is too large (anchors, huge lists).
  [[nodiscard]] Status visit(const YAML::Node& n, std::string_view path);
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::size_t budget_;
};

// Parses `text` after bounding its size and nesting; the root must be a mapping.
[[nodiscard]] Result<YAML::Node> load(std::string_view text, const Ctx& ctx, const Limits& limits);

// A mapping being read: remembers which keys were used so unknown ones are reported.
class Map {
 public:
  Map(Ctx& ctx, YAML::Node node, std::string path);

  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] Result<std::string> str(const std::string& key);  // required
  [[nodiscard]] Result<std::string> str_or(const std::string& key, std::string dflt);
  [[nodiscard]] Result<std::int64_t> integer(const std::string& key, std::int64_t dflt,
                                             std::int64_t min, std::int64_t max);
  [[nodiscard]] Result<double> number(const std::string& key, double dflt, double min, double max);
  [[nodiscard]] Result<bool> boolean(const std::string& key, bool dflt);
  // A byte size: a number or "<n>KiB|MiB|GiB|TiB|KB|MB|GB".
  [[nodiscard]] Result<std::uint64_t> bytes(const std::string& key, std::uint64_t dflt);
  // A duration ("30s", "5m", "1h30m") or a number of seconds.
  [[nodiscard]] Result<std::optional<Duration>> duration(const std::string& key);
  // A scalar or a list of scalars.
  [[nodiscard]] Result<std::vector<std::string>> strings(const std::string& key);
  [[nodiscard]] Result<std::optional<Map>> map(const std::string& key);
  [[nodiscard]] Result<std::vector<Map>> maps(const std::string& key);
  // A mapping of scalars (tags).
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> pairs(
      const std::string& key);
  // A value converted to JSON text (policies may be written as YAML or as a JSON string).
  [[nodiscard]] Result<std::string> json_text(const std::string& key);
  // Fails on keys that were never read.
  [[nodiscard]] Status finish();

  [[nodiscard]] Error error(std::string_view what) const { return ctx_->error(node_, path_, what); }
  [[nodiscard]] Error error_at(const std::string& key, std::string_view what) const;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const YAML::Node& node() const { return node_; }
  [[nodiscard]] Ctx& ctx() { return *ctx_; }

 private:
  [[nodiscard]] Result<YAML::Node> get(const std::string& key);
  Ctx* ctx_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> used_;
};

// Converts a YAML node to JSON (scalars become strings, except true/false/null and integers
// where `typed` is set). Bounded by the context's node budget and `depth`.
[[nodiscard]] Result<Json> to_json(Ctx& ctx, const YAML::Node& n, const std::string& path,
                                   std::size_t depth, bool typed);

}  // namespace firebreak::cloud::sim::yaml
