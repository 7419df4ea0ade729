#pragma once
// Private to detect: the compiled form of rules (see engine.h for the design).

#include <hs/hs.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "firebreak/detect/engine.h"
#include "modifiers.h"

namespace firebreak::detect {

namespace detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using StringMap =
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>>;

struct HsDatabaseDeleter {
  void operator()(hs_database_t* db) const noexcept { hs_free_database(db); }
};

// One field path (or the keyword pseudo-field) and every string test on it.
struct Slot {
  event::FieldPath path;
  bool keywords = false;
  StringMap exact_folded;             // folded value -> pattern ids (case-insensitive)
  StringMap exact_cased;              // value -> pattern ids (cased)
  std::vector<std::uint32_t> any;     // patterns that match any value ('*')
  std::vector<std::string> hs_exprs;  // Hyperscan expressions
  std::vector<unsigned> hs_flags;
  std::vector<std::uint32_t> hs_pattern;  // expression index -> pattern id
  std::unique_ptr<hs_database_t, HsDatabaseDeleter> db;
  std::array<bool, 4> prefilter{};  // scanned for every event of that kind
  // The field is what Event::name() / service() holds for that kind (read without a walk).
  std::array<bool, 4> name_field{};
  std::array<bool, 4> service_field{};
};

struct PatternInfo {
  std::uint32_t slot = 0;
  std::uint32_t rule = 0;  // owning rule (or filter, see Impl::filter_base) for rejections
  std::vector<std::uint32_t> anchor_rules;  // rules this pattern anchors
};

// What must be in a text for a regular expression to match it: RE2's FilteredRE2 gives the
// expression's "atoms" (lower-cased literals) and an AND/OR formula over them. Each atom is a
// caseless substring pattern of the leaf's slot, found by the slot's Hyperscan scan with every
// other pattern, so the expression only runs when the formula holds for the atoms found. An
// expression without usable atoms (or with non-ASCII ones, which a caseless ASCII scan could
// miss) has no filter and always runs.
struct RegexPrefilter {
  std::unique_ptr<re2::FilteredRE2> filter;  // null: unfiltered
  std::vector<std::uint32_t> atom_patterns;  // atom index -> pattern id
};

struct Leaf {
  ValueType type = ValueType::kString;
  std::uint32_t slot = 0;
  bool all = false;
  bool neq = false;
  bool is_null = false;
  bool exists = false;  // ValueType::kExists: expected presence
  std::vector<std::uint32_t> patterns;
  std::vector<std::string> exact_folded;  // set when every pattern is an exact value
  std::vector<std::unique_ptr<RE2>> regexes;
  std::vector<RegexPrefilter> regex_prefilters;  // parallel to regexes
  std::vector<Network> nets;
  CompareOp op = CompareOp::kGt;
  std::vector<double> numbers;
  // fieldref
  std::vector<std::uint32_t> ref_slots;
  Position position = Position::kEquals;
  bool cased = false;
};

struct Node {
  enum class Kind : std::uint8_t { kAnd, kOr, kNot, kLeaf, kTrue, kFalse };
  Kind kind = Kind::kTrue;
  std::uint32_t leaf = 0;
  std::vector<Node> kids;
};

struct CompiledRule {
  std::uint8_t kinds = 0;
  Node root;
  std::vector<std::uint32_t> filters;  // filter indices applying to this rule
};

struct KindIndex {
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>> by_name;
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>>
      by_service;
  std::vector<std::uint32_t> always;
  std::vector<std::uint32_t> prefilter_slots;
};

}  // namespace detail

struct Engine::Impl {
  std::vector<Rule> rules;  // detection rules, then correlation rules
  std::size_t detection_count = 0;
  std::vector<detail::CompiledRule> compiled;  // detection rules only
  std::vector<bool> emits;
  std::vector<std::vector<std::uint32_t>> correlation_inputs;  // per rule (empty for detection)
  std::vector<std::vector<std::uint32_t>> consumers;           // per rule
  std::vector<Rule> filter_rules;
  std::vector<detail::CompiledRule> filters;  // parallel to filter_rules; builtin last
  std::size_t user_filters = 0;
  std::vector<detail::Slot> slots;
  std::vector<detail::PatternInfo> patterns;
  std::vector<detail::Leaf> leaves;
  std::array<detail::KindIndex, 4> kinds;
  hs_scratch_t* scratch_prototype = nullptr;
  EngineStats stats;
  std::vector<std::uint32_t> no_rules;

  ~Impl();
};

}  // namespace firebreak::detect
