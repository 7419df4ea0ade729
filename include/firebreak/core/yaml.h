#pragma once
// yaml-cpp behind a non-throwing, bounded interface, shared by every loader of YAML (Sigma rules,
// playbooks, worlds, scenarios). Errors name "file:line:column" (1-based).

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak {

struct YamlLimits {
  std::size_t max_bytes = 4u << 20;
  int max_depth = 64;  // nesting of mappings and sequences
  std::size_t max_documents = 10000;
};

// Parses a single-document file (an empty file is a null node).
[[nodiscard]] Result<YAML::Node> load_yaml(std::string_view text, std::string_view file,
                                           const YamlLimits& limits = {});
// Parses every document of a multi-document file ("---" separated).
[[nodiscard]] Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text,
                                                                  std::string_view file,
                                                                  const YamlLimits& limits = {});

// "file:line:column" of a node (the file alone when the node has no mark).
[[nodiscard]] std::string yaml_where(std::string_view file, const YAML::Node& node);

// Converts a node to JSON. Plain scalars resolve like YAML 1.2's core schema (true/false,
// null/~/empty, integers, floats); quoted scalars always stay strings. Mapping keys become
// strings. Aliases are expanded (bounded by max_depth).
[[nodiscard]] Result<Json> yaml_to_json(const YAML::Node& node, std::string_view file,
                                        int max_depth = 64);

}  // namespace firebreak
