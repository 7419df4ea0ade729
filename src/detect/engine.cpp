#include "firebreak/detect/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "engine_impl.h"
#include "firebreak/detect/loader.h"

namespace firebreak::detect {

using namespace detail;

namespace {

constexpr std::string_view kSelfExclusionYaml = R"(title: firebreak's own API calls
id: 7c1f0e2a-5b7d-4f55-9a77-0f17eb4eac00
description: >
  firebreak's own calls are never findings. They are recognised by the exact prefixes firebreak
  sets (include/firebreak/cloud/session.h): a user agent starting "firebreak/"
  (kUserAgentPrefix) or an assumed-role session whose name starts "firebreak-"
  (kRoleSessionPrefix, role_session_name_for), both compared case-sensitively. Both are chosen by
  the caller, so an attacker who knows this can hide behind them: turn it off with
  --no-self-exclusion when that matters more than the noise.
logsource:
    product: aws
    service: cloudtrail
filter:
    rules:
        - '*'
    selection_user_agent:
        userAgent|cased|startswith: 'firebreak/'
    selection_session:
        # the substring test first: most events skip the regular expression
        userIdentity.arn|cased|contains: '/firebreak-'
        userIdentity.arn|re: '^arn:aws[a-z-]*:sts::[0-9]{12}:assumed-role/[^/]+/firebreak-'
    condition: 1 of selection_*
)";

constexpr std::size_t kMaxValueDepth = 32;

std::size_t kind_index(event::SourceKind k) { return static_cast<std::size_t>(k); }

bool is_name_field(event::SourceKind k, std::string_view f) {
  switch (k) {
    case event::SourceKind::kCloudTrail: return f == "eventName";
    case event::SourceKind::kGuardDuty: return f == "type" || f == "Type";
    case event::SourceKind::kVpcFlow: return f == "action";
    case event::SourceKind::kSecurityHub: return false;  // name() is only the first of Types
  }
  return false;
}

// Glob -> Hyperscan expression. Literal bytes are hex-escaped unless alphanumeric; `*` is `.*`,
// `?` one byte; \A and \z anchor unless the glob starts or ends with `*`.
std::string glob_to_hs(const Glob& g) {
  std::string re;
  std::size_t begin = 0, end = g.parts.size();
  const bool open_start = begin < end && g.parts[begin] == Glob::Part::kStar;
  const bool open_end = end > begin && g.parts[end - 1] == Glob::Part::kStar;
  if (open_start) ++begin;
  if (open_end && end > begin) --end;
  if (!open_start) re += "\\A";
  for (std::size_t i = begin; i < end; ++i) {
    switch (g.parts[i]) {
      case Glob::Part::kStar: re += ".*"; break;
      case Glob::Part::kQuestion: re += '.'; break;
      case Glob::Part::kLiteral: {
        const auto c = static_cast<unsigned char>(g.chars[i]);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          re += static_cast<char>(c);
        } else {
          re += fmt::format("\\x{:02x}", c);
        }
        break;
      }
    }
  }
  if (!open_end) re += "\\z";
  return re;
}

bool only_stars(const Glob& g) {
  for (auto p : g.parts)
    if (p != Glob::Part::kStar) return false;
  return !g.parts.empty();
}

// A string test waiting to be registered in its slot.
struct PendingPattern {
  std::string slot_key;  // field path text, or "" for keywords
  Glob glob;
  bool cased = false;
};

struct PendingLeaf {
  Leaf leaf;
  std::string slot_key;
  bool keyword = false;
  std::vector<std::string> ref_keys;
  std::vector<PendingPattern> patterns;
  std::vector<std::vector<PendingPattern>> regex_atoms;  // per regex, its atoms as patterns
};

struct RuleBuild {
  Node root;
  std::vector<PendingLeaf> leaves;  // Node::leaf indexes this vector until commit
};

struct CompileError {
  SourceLocation where;
  std::string reason;
};

class Compiler {
 public:
  explicit Compiler(Engine::Impl& impl) : impl_(impl) {}

  std::expected<RuleBuild, CompileError> build(const Rule& rule) {
    RuleBuild b;
    std::vector<Node> alternatives;
    for (const auto& cond : rule.conditions) {
      auto n = build_condition(cond, rule, b);
      if (!n) return std::unexpected(n.error());
      alternatives.push_back(std::move(*n));
    }
    if (alternatives.size() == 1) {
      b.root = std::move(alternatives[0]);
    } else {
      b.root.kind = Node::Kind::kOr;
      b.root.kids = std::move(alternatives);
    }
    return b;
  }

  // Registers a built rule's leaves and patterns in the engine; returns the root with leaf
  // indices rewritten to engine leaves.
  Node commit(RuleBuild&& b, std::uint32_t owner) {
    std::vector<std::uint32_t> leaf_ids;
    for (auto& pl : b.leaves) {
      Leaf leaf = std::move(pl.leaf);
      leaf.slot = slot_for(pl.slot_key, pl.keyword);
      for (const auto& key : pl.ref_keys) leaf.ref_slots.push_back(slot_for(key, false));
      for (auto& pp : pl.patterns) leaf.patterns.push_back(add_pattern(leaf.slot, pp, owner));
      for (std::size_t r = 0; r < pl.regex_atoms.size(); ++r) {
        for (auto& pp : pl.regex_atoms[r]) {
          leaf.regex_prefilters[r].atom_patterns.push_back(add_pattern(leaf.slot, pp, owner));
        }
      }
      leaf_ids.push_back(static_cast<std::uint32_t>(impl_.leaves.size()));
      impl_.leaves.push_back(std::move(leaf));
    }
    remap(b.root, leaf_ids);
    return std::move(b.root);
  }

 private:
  static void remap(Node& n, const std::vector<std::uint32_t>& ids) {
    if (n.kind == Node::Kind::kLeaf) n.leaf = ids[n.leaf];
    for (auto& k : n.kids) remap(k, ids);
  }

  std::uint32_t slot_for(const std::string& key, bool keywords) {
    const std::string map_key = keywords ? std::string("\x01keywords") : key;
    auto it = slot_index_.find(map_key);
    if (it != slot_index_.end()) return it->second;
    Slot s;
    s.keywords = keywords;
    if (!keywords) {
      s.path = event::FieldPath(key);
      for (auto k : {event::SourceKind::kCloudTrail, event::SourceKind::kGuardDuty,
                     event::SourceKind::kSecurityHub, event::SourceKind::kVpcFlow}) {
        s.name_field[kind_index(k)] = is_name_field(k, key);
      }
      s.service_field[kind_index(event::SourceKind::kCloudTrail)] = key == "eventSource";
    }
    impl_.slots.push_back(std::move(s));
    const auto id = static_cast<std::uint32_t>(impl_.slots.size() - 1);
    slot_index_.emplace(map_key, id);
    return id;
  }

  std::uint32_t add_pattern(std::uint32_t slot, const PendingPattern& pp, std::uint32_t owner) {
    const auto id = static_cast<std::uint32_t>(impl_.patterns.size());
    impl_.patterns.push_back(PatternInfo{slot, owner, {}});
    Slot& s = impl_.slots[slot];
    if (only_stars(pp.glob)) {
      s.any.push_back(id);
    } else if (!pp.glob.has_wildcards()) {
      if (pp.cased) {
        s.exact_cased[pp.glob.literal()].push_back(id);
      } else {
        s.exact_folded[fold(pp.glob.literal())].push_back(id);
      }
      ++impl_.stats.exact_patterns;
    } else {
      s.hs_exprs.push_back(glob_to_hs(pp.glob));
      // No HS_FLAG_ALLOWEMPTY: globs that can match the empty string (only stars) are in `any`,
      // and the flag costs Hyperscan its fastest literal engines.
      s.hs_flags.push_back(HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH |
                           (pp.cased ? 0u : HS_FLAG_CASELESS));
      s.hs_pattern.push_back(id);
      ++impl_.stats.hyperscan_patterns;
    }
    return id;
  }

  std::expected<Node, CompileError> build_condition(const ConditionNode& c, const Rule& rule,
                                                    RuleBuild& b) {
    auto of = [&](bool all) -> std::expected<Node, CompileError> {
      Node n;
      n.kind = all ? Node::Kind::kAnd : Node::Kind::kOr;
      for (const auto& s : rule.selections) {
        const bool hit = c.text == "them" ? (s.name.empty() || s.name[0] != '_')
                                          : identifier_matches(c.text, s.name);
        if (!hit) continue;
        auto k = build_selection(s, rule, b);
        if (!k) return k;
        n.kids.push_back(std::move(*k));
      }
      if (n.kids.empty()) {
        return std::unexpected(
            CompileError{rule.condition_where, fmt::format("pattern '{}' matches no search "
                                                           "identifier",
                                                           c.text)});
      }
      if (n.kids.size() == 1) return std::move(n.kids[0]);
      return n;
    };
    switch (c.kind) {
      case ConditionNode::Kind::kRef: {
        for (const auto& s : rule.selections)
          if (s.name == c.text) return build_selection(s, rule, b);
        return std::unexpected(CompileError{rule.condition_where,
                                            fmt::format("unknown search identifier '{}'", c.text)});
      }
      case ConditionNode::Kind::kOneOf: return of(false);
      case ConditionNode::Kind::kAllOf: return of(true);
      case ConditionNode::Kind::kNot:
      case ConditionNode::Kind::kAnd:
      case ConditionNode::Kind::kOr: {
        Node n;
        n.kind = c.kind == ConditionNode::Kind::kNot   ? Node::Kind::kNot
                 : c.kind == ConditionNode::Kind::kAnd ? Node::Kind::kAnd
                                                       : Node::Kind::kOr;
        for (const auto& k : c.children) {
          auto kn = build_condition(k, rule, b);
          if (!kn) return kn;
          n.kids.push_back(std::move(*kn));
        }
        return n;
      }
    }
    return Node{};
  }

  std::expected<Node, CompileError> build_selection(const Selection& s, const Rule& rule,
                                                    RuleBuild& b) {
    // Selections are compiled each time they are referenced (a condition rarely repeats one).
    Node any;
    any.kind = Node::Kind::kOr;
    for (const auto& alt : s.alternatives) {
      Node all;
      all.kind = Node::Kind::kAnd;
      for (const auto& item : alt) {
        auto leaf = build_leaf(item, rule, b);
        if (!leaf) return leaf;
        all.kids.push_back(std::move(*leaf));
      }
      any.kids.push_back(all.kids.size() == 1 ? std::move(all.kids[0]) : std::move(all));
    }
    return any.kids.size() == 1 ? std::move(any.kids[0]) : std::move(any);
  }

  std::expected<Node, CompileError> build_leaf(const FieldItem& item, const Rule& rule,
                                               RuleBuild& b) {
    (void)rule;
    auto mods = parse_modifiers(item.modifiers);
    if (!mods) return std::unexpected(CompileError{item.where, mods.error().message()});
    PendingLeaf pl;
    Leaf& leaf = pl.leaf;
    leaf.type = mods->type;
    leaf.all = mods->all;
    leaf.neq = mods->neq;
    leaf.cased = mods->cased;
    leaf.position = mods->position;
    pl.slot_key = item.field;
    pl.keyword = item.field.empty();

    switch (mods->type) {
      case ValueType::kExists: leaf.exists = item.values.at(0).text == "true"; break;
      case ValueType::kCompare:
        leaf.op = mods->compare;
        for (const auto& v : item.values) leaf.numbers.push_back(*parse_number(v.text));
        break;
      case ValueType::kCidr:
        for (const auto& v : item.values) {
          auto n = parse_network(v.text);
          if (!n) {
            return std::unexpected(
                CompileError{v.where, fmt::format("'{}' is not a network", v.text)});
          }
          leaf.nets.push_back(*n);
        }
        break;
      case ValueType::kFieldRef:
        for (const auto& v : item.values) pl.ref_keys.push_back(v.text);
        break;
      case ValueType::kRegex:
        for (const auto& v : item.values) {
          RE2::Options o;
          o.set_log_errors(false);
          o.set_case_sensitive(!mods->re_i);
          o.set_dot_nl(mods->re_s);
          o.set_max_mem(8 << 20);
          // RE2's (?m) flag makes ^ and $ match at line boundaries, as PCRE's m does.
          const std::string pattern = mods->re_m ? "(?m)" + v.text : v.text;
          auto re = std::make_unique<RE2>(pattern, o);
          if (!re->ok()) {
            return std::unexpected(CompileError{
                v.where, fmt::format("regular expression '{}' is not supported by RE2: {}", v.text,
                                     re->error())});
          }
          leaf.regexes.push_back(std::move(re));
          ++impl_.stats.regexes;
          auto [prefilter, atoms] = regex_prefilter(pattern, o, item.field);
          leaf.regex_prefilters.push_back(std::move(prefilter));
          pl.regex_atoms.push_back(std::move(atoms));
        }
        break;
      case ValueType::kString: {
        if (item.values.size() == 1 && item.values[0].kind == RuleValue::Kind::kNull) {
          leaf.is_null = true;
          break;
        }
        bool exact_only = true;
        for (const auto& v : item.values) {
          // Transformations in written order; base64 needs a wildcard-free literal.
          std::vector<std::string> raw{v.text};
          bool literal_mode = false;
          for (Transform t : mods->transforms) {
            if ((t == Transform::kBase64 || t == Transform::kBase64Offset ||
                 t == Transform::kUtf16Le || t == Transform::kUtf16Be ||
                 t == Transform::kUtf16Bom) &&
                !literal_mode) {
              for (auto& r : raw) {
                Glob g = parse_glob(r);
                if (g.has_wildcards()) {
                  return std::unexpected(CompileError{
                      v.where, fmt::format("'{}': wildcards cannot be encoded by base64/utf16 "
                                           "(escape them as \\* or \\?)",
                                           v.text)});
                }
                r = g.literal();
              }
              literal_mode = true;
            }
            std::vector<std::string> next;
            for (const auto& r : raw) {
              for (auto& x : apply_transform(t, r)) next.push_back(std::move(x));
            }
            raw = std::move(next);
          }
          for (const auto& r : raw) {
            Glob g = literal_mode ? literal_glob(r) : parse_glob(r);
            Position pos = mods->position;
            if (item.field.empty() && pos == Position::kEquals) pos = Position::kContains;
            if (pos == Position::kContains) {
              g.prepend_star();
              g.append_star();
            } else if (pos == Position::kStartsWith) {
              g.append_star();
            } else if (pos == Position::kEndsWith) {
              g.prepend_star();
            }
            if (g.has_wildcards()) {
              exact_only = false;
            } else {
              leaf.exact_folded.push_back(fold(g.literal()));
            }
            pl.patterns.push_back(PendingPattern{item.field, std::move(g), mods->cased});
          }
        }
        if (!exact_only || leaf.neq) leaf.exact_folded.clear();
        break;
      }
    }
    Node n;
    n.kind = Node::Kind::kLeaf;
    n.leaf = static_cast<std::uint32_t>(b.leaves.size());
    b.leaves.push_back(std::move(pl));
    return n;
  }

  // The prefilter of one regular expression and its atoms as caseless substring patterns of
  // `field` (see RegexPrefilter). Atoms shorter than three bytes are not worth a scan.
  static std::pair<RegexPrefilter, std::vector<PendingPattern>> regex_prefilter(
      const std::string& pattern, const RE2::Options& options, const std::string& field) {
    std::pair<RegexPrefilter, std::vector<PendingPattern>> out;
    auto filter = std::make_unique<re2::FilteredRE2>(3);
    int id = 0;
    if (filter->Add(pattern, options, &id) != RE2::NoError) return out;
    std::vector<std::string> atoms;
    filter->Compile(&atoms);
    std::vector<int> potentials;
    filter->AllPotentials({}, &potentials);
    if (!potentials.empty() || atoms.empty()) return out;  // passes with no atom: unfiltered
    for (const auto& a : atoms) {
      for (unsigned char c : a) {
        if (c >= 0x80) return out;
      }
    }
    for (const auto& a : atoms) {
      Glob g = literal_glob(a);
      g.prepend_star();
      g.append_star();
      out.second.push_back(PendingPattern{field, std::move(g), false});
    }
    out.first.filter = std::move(filter);
    return out;
  }

  Engine::Impl& impl_;
  std::unordered_map<std::string, std::uint32_t> slot_index_;
};

// ---- anchors: a necessary condition of a rule, usable as an index key ----

struct Anchor {
  enum class Kind : std::uint8_t { kName, kService, kPattern };
  Kind kind;
  std::string key;  // folded value for kName / kService
  std::uint32_t pattern = 0;
};

struct AnchorSet {
  std::vector<Anchor> anchors;
  int score = 0;  // lower is better: name 0, service 1, pattern 2
};

// The event kind whose index fields a rule may use, when it selects exactly one kind.
std::optional<event::SourceKind> single_kind(std::uint8_t kinds) {
  for (auto k : {event::SourceKind::kCloudTrail, event::SourceKind::kGuardDuty,
                 event::SourceKind::kSecurityHub, event::SourceKind::kVpcFlow}) {
    if (kinds == kind_bit(k)) return k;
  }
  return std::nullopt;
}

class AnchorFinder {
 public:
  AnchorFinder(const Engine::Impl& impl, std::uint8_t kinds) : impl_(impl), kinds_(kinds) {}

  std::optional<AnchorSet> find(const Node& n) const {
    switch (n.kind) {
      case Node::Kind::kTrue:
      case Node::Kind::kFalse:
      case Node::Kind::kNot: return std::nullopt;
      case Node::Kind::kLeaf: return leaf(impl_.leaves[n.leaf]);
      case Node::Kind::kOr: {
        AnchorSet out;
        for (const auto& k : n.kids) {
          auto a = find(k);
          if (!a) return std::nullopt;
          out.score = std::max(out.score, a->score);
          for (auto& x : a->anchors) out.anchors.push_back(std::move(x));
        }
        return out;
      }
      case Node::Kind::kAnd: {
        std::optional<AnchorSet> best;
        for (const auto& k : n.kids) {
          auto a = find(k);
          if (!a) continue;
          if (!best || a->score < best->score ||
              (a->score == best->score && a->anchors.size() < best->anchors.size())) {
            best = std::move(a);
          }
        }
        return best;
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<AnchorSet> leaf(const Leaf& l) const {
    if (l.type == ValueType::kRegex) return regex_leaf(l);
    if (l.type != ValueType::kString || l.neq || l.is_null || l.patterns.empty()) {
      return std::nullopt;
    }
    const Slot& slot = impl_.slots[l.slot];
    if (auto k = single_kind(kinds_); k && !slot.keywords && !l.exact_folded.empty()) {
      const bool name = is_name_field(*k, slot.path.text());
      const bool service =
          *k == event::SourceKind::kCloudTrail && slot.path.text() == "eventSource";
      if (name || service) {
        AnchorSet a;
        a.score = name ? 0 : 1;
        const std::size_t n = l.all ? 1 : l.exact_folded.size();
        for (std::size_t i = 0; i < n; ++i) {
          a.anchors.push_back(
              {name ? Anchor::Kind::kName : Anchor::Kind::kService, l.exact_folded[i], 0});
        }
        return a;
      }
    }
    AnchorSet a;
    a.score = 2;
    const std::size_t n = l.all ? 1 : l.patterns.size();
    for (std::size_t i = 0; i < n; ++i) {
      a.anchors.push_back({Anchor::Kind::kPattern, {}, l.patterns[i]});
    }
    return a;
  }

  // A regular expression with a prefilter cannot match unless one of its atoms occurs, so its
  // atoms anchor it (one expression's atoms suffice under `all`).
  static std::optional<AnchorSet> regex_leaf(const Leaf& l) {
    if (l.regexes.empty()) return std::nullopt;
    AnchorSet a;
    a.score = 2;
    const std::size_t n = l.all ? 1 : l.regexes.size();
    for (std::size_t i = 0; i < n; ++i) {
      const RegexPrefilter& p = l.regex_prefilters[i];
      if (!p.filter) return std::nullopt;
      for (auto id : p.atom_patterns) a.anchors.push_back({Anchor::Kind::kPattern, {}, id});
    }
    return a;
  }

  const Engine::Impl& impl_;
  std::uint8_t kinds_;
};

bool applies(const Rule& filter, const Rule& rule) {
  if ((filter.logsource.kinds & rule.logsource.kinds) == 0) return false;
  for (const auto& ref : filter.filter_rules) {
    if (ref == "*" || (!rule.id.empty() && ref == rule.id) ||
        (!rule.name.empty() && ref == rule.name))
      return true;
  }
  return false;
}

struct BuildFailure {
  std::uint32_t rule;  // index in Impl::rules, or kFilterBase + filter index
  std::string reason;
};
constexpr std::uint32_t kFilterBase = 0x80000000u;

// Builds everything except the rules listed in `excluded`. Hyperscan failures are reported as
// the owning rule's failure so that the caller can exclude it and retry.
std::expected<std::unique_ptr<Engine::Impl>, BuildFailure> build_impl(
    const std::vector<Rule>& detection, const std::vector<Rule>& correlations,
    const std::vector<Rule>& filters, std::vector<Rejection>& rejected) {
  auto impl = std::make_unique<Engine::Impl>();
  Compiler compiler(*impl);

  for (const auto& r : detection) {
    auto b = compiler.build(r);
    if (!b) {
      rejected.push_back({b.error().where, r.title, b.error().reason});
      continue;
    }
    const auto idx = static_cast<std::uint32_t>(impl->rules.size());
    CompiledRule cr;
    cr.kinds = r.logsource.kinds;
    cr.root = compiler.commit(std::move(*b), idx);
    impl->compiled.push_back(std::move(cr));
    impl->rules.push_back(r);
  }
  impl->detection_count = impl->rules.size();

  // Correlations whose references all resolved (iterating: a correlation may reference one
  // that is itself dropped).
  std::vector<const Rule*> pending;
  for (const auto& r : correlations) pending.push_back(&r);
  for (bool progress = true; progress && !pending.empty();) {
    progress = false;
    std::unordered_map<std::string, std::uint32_t> keys;
    for (std::uint32_t i = 0; i < impl->rules.size(); ++i) {
      if (!impl->rules[i].id.empty()) keys.emplace(impl->rules[i].id, i);
      if (!impl->rules[i].name.empty()) keys.emplace(impl->rules[i].name, i);
    }
    std::vector<const Rule*> rest;
    for (const Rule* r : pending) {
      bool ok = true;
      for (const auto& ref : r->correlation->rules) ok = ok && keys.contains(ref);
      if (!ok) {
        rest.push_back(r);
        continue;
      }
      impl->rules.push_back(*r);
      progress = true;
    }
    pending = std::move(rest);
  }
  for (const Rule* r : pending) {
    rejected.push_back({r->where, r->title,
                        "correlation references a rule that was not compiled (see the rejections "
                        "above)"});
  }
  const std::size_t n = impl->rules.size();
  impl->correlation_inputs.assign(n, {});
  impl->consumers.assign(n, {});
  impl->emits.assign(n, true);
  {
    std::unordered_map<std::string, std::uint32_t> keys;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!impl->rules[i].id.empty()) keys.emplace(impl->rules[i].id, i);
      if (!impl->rules[i].name.empty()) keys.emplace(impl->rules[i].name, i);
    }
    std::vector<bool> generated(n, false), referenced(n, false);
    for (std::uint32_t i = static_cast<std::uint32_t>(impl->detection_count); i < n; ++i) {
      const auto& c = *impl->rules[i].correlation;
      for (const auto& ref : c.rules) {
        const std::uint32_t j = keys.at(ref);
        impl->correlation_inputs[i].push_back(j);
        impl->consumers[j].push_back(i);
        referenced[j] = true;
        if (c.generate) generated[j] = true;
      }
    }
    for (std::uint32_t i = 0; i < n; ++i) impl->emits[i] = !referenced[i] || generated[i];
  }

  // Filters.
  for (const auto& f : filters) {
    auto b = compiler.build(f);
    if (!b) {
      rejected.push_back({b.error().where, f.title, b.error().reason});
      continue;
    }
    const auto fidx = static_cast<std::uint32_t>(impl->filter_rules.size());
    CompiledRule cr;
    cr.kinds = f.logsource.kinds;
    cr.root = compiler.commit(std::move(*b), kFilterBase + fidx);
    impl->filters.push_back(std::move(cr));
    impl->filter_rules.push_back(f);
  }
  for (std::uint32_t r = 0; r < impl->detection_count; ++r) {
    for (std::uint32_t f = 0; f < impl->filter_rules.size(); ++f) {
      if (applies(impl->filter_rules[f], impl->rules[r])) impl->compiled[r].filters.push_back(f);
    }
  }

  // Indexes.
  for (std::uint32_t r = 0; r < impl->detection_count; ++r) {
    const CompiledRule& cr = impl->compiled[r];
    auto anchors = AnchorFinder(*impl, cr.kinds).find(cr.root);
    for (std::size_t k = 0; k < 4; ++k) {
      if ((cr.kinds & (1u << k)) == 0) continue;
      KindIndex& ki = impl->kinds[k];
      if (!anchors) {
        ki.always.push_back(r);
        continue;
      }
      for (const auto& a : anchors->anchors) {
        switch (a.kind) {
          case Anchor::Kind::kName: ki.by_name[a.key].push_back(r); break;
          case Anchor::Kind::kService: ki.by_service[a.key].push_back(r); break;
          case Anchor::Kind::kPattern: {
            auto& p = impl->patterns[a.pattern];
            if (std::find(p.anchor_rules.begin(), p.anchor_rules.end(), r) == p.anchor_rules.end())
              p.anchor_rules.push_back(r);
            Slot& s = impl->slots[p.slot];
            if (!s.prefilter[k]) {
              s.prefilter[k] = true;
              ki.prefilter_slots.push_back(p.slot);
            }
            break;
          }
        }
      }
    }
    if (!anchors) {
      ++impl->stats.unindexed;
    } else if (anchors->score == 0) {
      ++impl->stats.indexed_by_name;
    } else if (anchors->score == 1) {
      ++impl->stats.indexed_by_service;
    } else {
      ++impl->stats.indexed_by_pattern;
    }
  }

  // Hyperscan databases, one per field.
  for (auto& s : impl->slots) {
    if (s.hs_exprs.empty()) continue;
    std::vector<const char*> exprs;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < s.hs_exprs.size(); ++i) {
      exprs.push_back(s.hs_exprs[i].c_str());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), s.hs_flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      const int bad = err ? err->expression : -1;
      const std::string msg = err && err->message ? err->message : "unknown error";
      hs_free_compile_error(err);
      if (bad < 0) {
        return std::unexpected(BuildFailure{0xFFFFFFFFu, "Hyperscan: " + msg});
      }
      return std::unexpected(
          BuildFailure{impl->patterns[s.hs_pattern[static_cast<std::size_t>(bad)]].rule,
                       fmt::format("Hyperscan cannot compile pattern '{}': {}",
                                   s.hs_exprs[static_cast<std::size_t>(bad)], msg)});
    }
    s.db.reset(db);
    if (hs_alloc_scratch(db, &impl->scratch_prototype) != HS_SUCCESS) {
      return std::unexpected(BuildFailure{0xFFFFFFFFu, "Hyperscan: cannot allocate scratch"});
    }
  }

  auto& st = impl->stats;
  st.rules = n;
  st.detection_rules = impl->detection_count;
  st.correlation_rules = n - impl->detection_count;
  st.filters = impl->filter_rules.size();
  st.fields = impl->slots.size();
  return impl;
}

}  // namespace

Engine::Impl::~Impl() {
  if (scratch_prototype) hs_free_scratch(scratch_prototype);
}

std::string_view self_exclusion_filter_yaml() noexcept { return kSelfExclusionYaml; }

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const std::vector<Rule>& Engine::rules() const noexcept { return impl_->rules; }
bool Engine::is_correlation(std::size_t r) const noexcept { return r >= impl_->detection_count; }
bool Engine::emits(std::size_t r) const noexcept { return impl_->emits[r]; }
const std::vector<std::uint32_t>& Engine::correlation_inputs(std::size_t r) const {
  return impl_->correlation_inputs.at(r);
}
const std::vector<std::uint32_t>& Engine::consumers(std::size_t r) const {
  return impl_->consumers.at(r);
}
const EngineStats& Engine::stats() const noexcept { return impl_->stats; }

Result<std::shared_ptr<const Engine>> Engine::compile(const RuleSet& set,
                                                      const EngineOptions& options,
                                                      std::vector<Rejection>* rejected_out) {
  std::vector<Rule> detection, correlations, filters = set.filters;
  for (const auto& r : set.rules) {
    (r.kind == Rule::Kind::kCorrelation ? correlations : detection).push_back(r);
  }
  if (options.self_exclusion) {
    RuleSet builtin = load_rules_text(kSelfExclusionYaml, "<builtin self-exclusion filter>");
    if (builtin.filters.size() != 1) {
      return fail(ErrorCode::kInternal, "the built-in self-exclusion filter does not load");
    }
    filters.push_back(std::move(builtin.filters[0]));
  }
  std::vector<Rejection> extra;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::vector<Rejection> rejected;
    auto impl = build_impl(detection, correlations, filters, rejected);
    if (impl) {
      (*impl)->user_filters = set.filters.size();
      for (auto& r : extra) rejected.push_back(std::move(r));
      if (rejected_out) {
        for (auto& r : rejected) rejected_out->push_back(std::move(r));
      }
      return std::shared_ptr<const Engine>(new Engine(std::move(*impl)));
    }
    const BuildFailure& f = impl.error();
    if (f.rule == 0xFFFFFFFFu) return fail(ErrorCode::kInternal, f.reason);
    // Exclude the offending rule (or filter) and rebuild.
    if (f.rule >= kFilterBase) {
      const std::size_t fi = f.rule - kFilterBase;
      if (fi >= filters.size()) return fail(ErrorCode::kInternal, f.reason);
      extra.push_back({filters[fi].where, filters[fi].title, f.reason});
      filters.erase(filters.begin() + static_cast<std::ptrdiff_t>(fi));
    } else {
      if (f.rule >= detection.size()) return fail(ErrorCode::kInternal, f.reason);
      // build_impl numbers compiled rules densely; map back by title+location.
      std::size_t seen = 0, victim = detection.size();
      // Compiled indices skip rules rejected by build(); recount them.
      {
        auto tmp = std::make_unique<Engine::Impl>();
        Compiler c(*tmp);
        for (std::size_t i = 0; i < detection.size(); ++i) {
          if (!c.build(detection[i])) continue;
          if (seen == f.rule) {
            victim = i;
            break;
          }
          ++seen;
        }
      }
      if (victim >= detection.size()) return fail(ErrorCode::kInternal, f.reason);
      extra.push_back({detection[victim].where, detection[victim].title, f.reason});
      detection.erase(detection.begin() + static_cast<std::ptrdiff_t>(victim));
    }
  }
  return fail(ErrorCode::kInternal, "could not compile the rule set");
}

// ---- Matcher ----

struct SlotState {
  std::uint32_t epoch = 0;
  bool present = false;
  bool has_null = false;
  std::vector<std::string_view> texts;
  std::deque<std::string> owned;
};

struct Matcher::State {
  const Engine::Impl* impl = nullptr;
  hs_scratch_t* scratch = nullptr;
  std::uint32_t epoch = 0;
  std::vector<std::uint32_t> rule_stamp;
  std::vector<std::uint32_t> pattern_stamp;
  std::vector<std::uint32_t> filter_stamp;  // filter evaluated for this event
  std::vector<std::uint8_t> filter_result;
  std::vector<SlotState> slots;
  std::vector<std::uint32_t> candidates;
  std::string fold_buf;
  std::vector<int> found_atoms;  // may_match scratch
  std::vector<int> potentials;
  const event::Event* ev = nullptr;
  std::size_t kind = 0;
  bool prefilter_phase = false;

  ~State() {
    if (scratch) hs_free_scratch(scratch);
  }

  void begin(const event::Event& e) {
    if (++epoch == 0) {  // wrapped: reset every stamp
      std::fill(rule_stamp.begin(), rule_stamp.end(), 0);
      std::fill(pattern_stamp.begin(), pattern_stamp.end(), 0);
      std::fill(filter_stamp.begin(), filter_stamp.end(), 0);
      for (auto& s : slots) s.epoch = 0;
      epoch = 1;
    }
    ev = &e;
    kind = kind_index(e.source());
    candidates.clear();
  }

  void add_candidate(std::uint32_t r) {
    if (rule_stamp[r] == epoch) return;
    if ((impl->compiled[r].kinds & (1u << kind)) == 0) return;
    rule_stamp[r] = epoch;
    candidates.push_back(r);
  }

  void mark(std::uint32_t p) {
    if (pattern_stamp[p] == epoch) return;
    pattern_stamp[p] = epoch;
    if (prefilter_phase) {
      for (std::uint32_t r : impl->patterns[p].anchor_rules) add_candidate(r);
    }
  }

  static int on_hs_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    auto* c = static_cast<std::pair<State*, const Slot*>*>(ctx);
    c->first->mark(c->second->hs_pattern[id]);
    return 0;
  }

  void add_value(SlotState& st, event::Value v, std::size_t depth) {
    using K = event::Value::Kind;
    switch (v.kind()) {
      case K::kNull: st.has_null = true; return;
      case K::kString: st.texts.push_back(*v.string()); return;
      case K::kArray:
        if (depth >= kMaxValueDepth) return;
        v.for_each_element([&](event::Value e) { add_value(st, e, depth + 1); });
        return;
      default:
        st.owned.push_back(v.text());
        st.texts.push_back(st.owned.back());
        return;
    }
  }

  void add_scalars(SlotState& st, event::Value v, std::size_t depth) {
    using K = event::Value::Kind;
    switch (v.kind()) {
      case K::kNull: return;
      case K::kString: st.texts.push_back(*v.string()); return;
      case K::kArray:
        if (depth >= kMaxValueDepth) return;
        v.for_each_element([&](event::Value e) { add_scalars(st, e, depth + 1); });
        return;
      case K::kObject:
        if (depth >= kMaxValueDepth) return;
        v.for_each_member([&](std::string_view, event::Value e) { add_scalars(st, e, depth + 1); });
        return;
      default:
        st.owned.push_back(v.text());
        st.texts.push_back(st.owned.back());
        return;
    }
  }

  SlotState& ensure(std::uint32_t slot_id) {
    SlotState& st = slots[slot_id];
    if (st.epoch == epoch) return st;
    st.epoch = epoch;
    st.present = false;
    st.has_null = false;
    st.texts.clear();
    st.owned.clear();
    const Slot& slot = impl->slots[slot_id];
    if (slot.keywords) {
      st.present = true;
      add_scalars(st, ev->root(), 0);
    } else if (slot.name_field[kind] && !ev->name().empty()) {
      // The event model already extracted this field (a string): no walk.
      st.present = true;
      st.texts.push_back(ev->name());
    } else if (slot.service_field[kind] && !ev->service().empty()) {
      st.present = true;
      st.texts.push_back(ev->service());
    } else {
      ev->visit(slot.path, [&](event::Value v) {
        st.present = true;
        add_value(st, v, 0);
      });
    }
    const bool was_prefilter = prefilter_phase;
    prefilter_phase = was_prefilter && slot.prefilter[kind];
    std::pair<State*, const Slot*> ctx{this, &slot};
    for (std::string_view t : st.texts) {
      if (!slot.exact_folded.empty()) {
        fold_into(t, fold_buf);
        if (auto it = slot.exact_folded.find(std::string_view(fold_buf));
            it != slot.exact_folded.end()) {
          for (auto p : it->second) mark(p);
        }
      }
      if (!slot.exact_cased.empty()) {
        if (auto it = slot.exact_cased.find(t); it != slot.exact_cased.end()) {
          for (auto p : it->second) mark(p);
        }
      }
      if (slot.db) {
        static const char kEmpty[1] = {0};
        hs_scan(slot.db.get(), t.empty() ? kEmpty : t.data(), static_cast<unsigned>(t.size()), 0,
                scratch, &State::on_hs_match, &ctx);
      }
    }
    if (!st.texts.empty()) {
      for (auto p : slot.any) mark(p);
    }
    prefilter_phase = was_prefilter;
    return st;
  }

  // Whether the atoms the slot's scan found let the expression match (see RegexPrefilter).
  bool may_match(const RegexPrefilter& p) {
    if (!p.filter) return true;
    found_atoms.clear();
    for (std::size_t k = 0; k < p.atom_patterns.size(); ++k) {
      if (pattern_stamp[p.atom_patterns[k]] == epoch) found_atoms.push_back(static_cast<int>(k));
    }
    if (found_atoms.empty()) return false;
    p.filter->AllPotentials(found_atoms, &potentials);
    return !potentials.empty();
  }

  static bool text_relation(std::string_view a, std::string_view b, Position pos) {
    switch (pos) {
      case Position::kEquals: return a == b;
      case Position::kContains: return a.find(b) != std::string_view::npos;
      case Position::kStartsWith: return a.starts_with(b);
      case Position::kEndsWith: return a.ends_with(b);
    }
    return false;
  }

  bool eval_leaf(const Leaf& l) {
    SlotState& st = ensure(l.slot);
    auto quantify = [&](std::size_t n, auto&& pred) {
      if (n == 0) return false;
      for (std::size_t i = 0; i < n; ++i) {
        const bool ok = pred(i);
        if (l.all && !ok) return false;
        if (!l.all && ok) return true;
      }
      return l.all;
    };
    switch (l.type) {
      case ValueType::kString: {
        if (l.is_null) return !st.present || st.has_null;
        if (l.neq) {
          if (st.texts.empty()) return false;
          for (auto p : l.patterns)
            if (pattern_stamp[p] == epoch) return false;
          return true;
        }
        return quantify(l.patterns.size(),
                        [&](std::size_t i) { return pattern_stamp[l.patterns[i]] == epoch; });
      }
      case ValueType::kExists: return st.present == l.exists;
      case ValueType::kRegex:
        return quantify(l.regexes.size(), [&](std::size_t i) {
          if (!may_match(l.regex_prefilters[i])) return false;
          for (std::string_view t : st.texts) {
            if (RE2::PartialMatch(re2::StringPiece(t.data(), t.size()), *l.regexes[i])) return true;
          }
          return false;
        });
      case ValueType::kCidr: {
        std::vector<std::pair<std::array<std::uint8_t, 16>, bool>> addrs;
        for (std::string_view t : st.texts) {
          std::array<std::uint8_t, 16> a;
          bool v6 = false;
          if (parse_address(t, a, v6)) addrs.emplace_back(a, v6);
        }
        return quantify(l.nets.size(), [&](std::size_t i) {
          for (const auto& [a, v6] : addrs)
            if (network_contains(l.nets[i], a, v6)) return true;
          return false;
        });
      }
      case ValueType::kCompare: {
        std::vector<double> nums;
        for (std::string_view t : st.texts)
          if (auto d = parse_number(t)) nums.push_back(*d);
        return quantify(l.numbers.size(), [&](std::size_t i) {
          for (double d : nums) {
            const double x = l.numbers[i];
            const bool ok = l.op == CompareOp::kGt    ? d > x
                            : l.op == CompareOp::kGte ? d >= x
                            : l.op == CompareOp::kLt  ? d < x
                                                      : d <= x;
            if (ok) return true;
          }
          return false;
        });
      }
      case ValueType::kFieldRef: {
        // Copy this slot's texts: ensure() of the referenced slot may not move them, but folding
        // needs owned strings anyway.
        std::vector<std::string> mine;
        for (std::string_view t : st.texts) mine.push_back(l.cased ? std::string(t) : fold(t));
        return quantify(l.ref_slots.size(), [&](std::size_t i) {
          SlotState& other = ensure(l.ref_slots[i]);
          bool any = false;
          for (const auto& a : mine) {
            for (std::string_view tb : other.texts) {
              const std::string b = l.cased ? std::string(tb) : fold(tb);
              if (text_relation(a, b, l.position)) any = true;
            }
          }
          return l.neq ? (!mine.empty() && !other.texts.empty() && !any) : any;
        });
      }
    }
    return false;
  }

  bool eval(const Node& n) {
    switch (n.kind) {
      case Node::Kind::kTrue: return true;
      case Node::Kind::kFalse: return false;
      case Node::Kind::kLeaf: return eval_leaf(impl->leaves[n.leaf]);
      case Node::Kind::kNot: return !eval(n.kids[0]);
      case Node::Kind::kAnd:
        for (const auto& k : n.kids)
          if (!eval(k)) return false;
        return true;
      case Node::Kind::kOr:
        for (const auto& k : n.kids)
          if (eval(k)) return true;
        return false;
    }
    return false;
  }
};

Matcher::Matcher(std::shared_ptr<const Engine> engine)
    : engine_(std::move(engine)), state_(std::make_unique<State>()) {
  const Engine::Impl& impl = engine_->impl();
  state_->impl = &impl;
  if (impl.scratch_prototype) hs_clone_scratch(impl.scratch_prototype, &state_->scratch);
  state_->rule_stamp.assign(impl.detection_count, 0);
  state_->pattern_stamp.assign(impl.patterns.size(), 0);
  state_->filter_stamp.assign(impl.filters.size(), 0);
  state_->filter_result.assign(impl.filters.size(), 0);
  state_->slots.resize(impl.slots.size());
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

const Engine& Matcher::engine() const noexcept { return *engine_; }

void Matcher::match(const event::Event& e, std::vector<std::uint32_t>& out) {
  State& s = *state_;
  const Engine::Impl& impl = *s.impl;
  s.begin(e);
  const KindIndex& ki = impl.kinds[s.kind];
  for (auto r : ki.always) s.add_candidate(r);
  if (!ki.by_name.empty() && !e.name().empty()) {
    fold_into(e.name(), s.fold_buf);
    if (auto it = ki.by_name.find(std::string_view(s.fold_buf)); it != ki.by_name.end()) {
      for (auto r : it->second) s.add_candidate(r);
    }
  }
  if (!ki.by_service.empty() && !e.service().empty()) {
    fold_into(e.service(), s.fold_buf);
    if (auto it = ki.by_service.find(std::string_view(s.fold_buf)); it != ki.by_service.end()) {
      for (auto r : it->second) s.add_candidate(r);
    }
  }
  s.prefilter_phase = true;
  for (auto slot : ki.prefilter_slots) s.ensure(slot);
  s.prefilter_phase = false;
  if (s.candidates.empty()) return;
  std::sort(s.candidates.begin(), s.candidates.end());
  const std::uint8_t bit = static_cast<std::uint8_t>(1u << s.kind);
  for (auto r : s.candidates) {
    const CompiledRule& cr = impl.compiled[r];
    if (!s.eval(cr.root)) continue;
    bool filtered = false;
    for (auto f : cr.filters) {
      if ((impl.filters[f].kinds & bit) == 0) continue;
      // A filter shared by many rules is evaluated once per event.
      if (s.filter_stamp[f] != s.epoch) {
        s.filter_stamp[f] = s.epoch;
        s.filter_result[f] = s.eval(impl.filters[f].root) ? 1 : 0;
      }
      if (s.filter_result[f] != 0) {
        filtered = true;
        break;
      }
    }
    if (!filtered) out.push_back(r);
  }
}

bool Matcher::filter_matches(std::size_t index, const event::Event& e) {
  State& s = *state_;
  const Engine::Impl& impl = *s.impl;
  if (index >= impl.filters.size()) return false;
  s.begin(e);
  if ((impl.filters[index].kinds & (1u << s.kind)) == 0) return false;
  return s.eval(impl.filters[index].root);
}

}  // namespace firebreak::detect
