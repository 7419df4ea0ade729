// `firebreak rules lint|test`: checking rule packs.

#include <fmt/format.h>

#include <filesystem>

#include "command.h"
#include "firebreak/detect/engine.h"
#include "firebreak/detect/rule_test.h"
#include "rules_common.h"

namespace firebreak::cli {

Result<detect::RuleSet> load_rule_dirs(const std::vector<std::string>& rules,
                                       const std::vector<std::string>& filters,
                                       const std::vector<std::string>& placeholders) {
  detect::Placeholders ph;
  for (const auto& p : placeholders) {
    FIREBREAK_TRY(auto loaded, detect::Placeholders::load_file(p));
    ph.merge(loaded);
  }
  detect::LoadOptions opts;
  opts.placeholders = &ph;
  std::vector<std::filesystem::path> rule_paths(rules.begin(), rules.end());
  detect::RuleSet set = detect::load_rules(rule_paths, opts);
  if (!filters.empty()) {
    std::vector<std::filesystem::path> filter_paths(filters.begin(), filters.end());
    detect::RuleSet fs = detect::load_rules(filter_paths, opts);
    for (auto& f : fs.filters) set.filters.push_back(std::move(f));
    for (auto& r : fs.rejected) set.rejected.push_back(std::move(r));
    for (const auto& r : fs.rules) {
      set.warnings.push_back({r.where, r.title, "not a filter: ignored by --filters"});
    }
    set.files += fs.files;
    detect::check_references(set);
  }
  return set;
}

namespace {

struct RulesArgs {
  std::vector<std::string> paths;
  std::vector<std::string> placeholders;
  bool no_self_exclusion = false;
};

int run_lint(const RulesArgs& a) {
  auto loaded = load_rule_dirs(a.paths, {}, a.placeholders);
  if (!loaded) {
    fmt::print(stderr, "firebreak rules lint: {}\n", loaded.error().describe());
    return kExitFailure;
  }
  detect::RuleSet& set = *loaded;
  std::vector<detect::Rejection> rejected = set.rejected;
  auto engine = detect::Engine::compile(set, {}, &rejected);
  if (!engine) {
    fmt::print(stderr, "firebreak rules lint: {}\n", engine.error().describe());
    return kExitFailure;
  }
  for (const auto& r : rejected) fmt::print("error: {}\n", r.describe());
  const auto diags = detect::lint(set);
  for (const auto& d : diags) fmt::print("warning: {}\n", d.describe());
  const auto& st = (*engine)->stats();
  fmt::print(
      "{} files, {} documents: {} rules loaded ({} detection, {} correlation), {} filters, "
      "{} rejected, {} warnings\n",
      set.files, set.documents, st.rules, st.detection_rules, st.correlation_rules,
      set.filters.size(), rejected.size(), diags.size());
  return rejected.empty() ? kExitOk : kExitFound;
}

int run_test(const RulesArgs& a) {
  auto loaded = load_rule_dirs(a.paths, {}, a.placeholders);
  if (!loaded) {
    fmt::print(stderr, "firebreak rules test: {}\n", loaded.error().describe());
    return kExitFailure;
  }
  detect::RuleSet& set = *loaded;
  detect::EngineOptions eopts;
  eopts.self_exclusion = !a.no_self_exclusion;
  auto summary = detect::run_rule_tests(set, eopts);
  if (!summary) {
    fmt::print(stderr, "firebreak rules test: {}\n", summary.error().describe());
    return kExitFailure;
  }
  for (const auto& r : set.rejected) fmt::print("error: {}\n", r.describe());
  for (const auto& r : summary->rejected) fmt::print("error: {}\n", r.describe());
  std::size_t failed_rules = 0;
  for (const auto& r : summary->rules) {
    const bool ok = r.passed();
    failed_rules += ok ? 0 : 1;
    fmt::print("{} {} ({} cases) {}\n", ok ? "PASS" : "FAIL", r.rule, r.cases.size(),
               r.where.describe());
    for (const auto& c : r.cases) {
      if (!c.passed) {
        fmt::print("    {} case at {}: {}\n", c.should_match ? "match" : "no_match",
                   c.where.describe(), c.detail);
      }
    }
  }
  fmt::print(
      "{} rules with tests: {} passed, {} failed; {} cases passed, {} failed; {} rules "
      "without tests; {} rejected\n",
      summary->rules.size(), summary->rules.size() - failed_rules, failed_rules,
      summary->passed_cases, summary->failed_cases, summary->without_tests,
      set.rejected.size() + summary->rejected.size());
  const bool bad = failed_rules > 0 || !set.rejected.empty() || !summary->rejected.empty();
  return bad ? kExitFound : kExitOk;
}

}  // namespace

void add_rules_command(CLI::App& app, Context& ctx) {
  auto* rules = app.add_subcommand("rules", "Check Sigma rule packs");
  rules->require_subcommand(1);

  auto lint_args = std::make_shared<RulesArgs>();
  auto* lint = rules->add_subcommand(
      "lint", "Schema and semantic checks; exit status 1 when a rule is rejected");
  lint->add_option("paths", lint_args->paths, "Rule directories or files")->required();
  lint->add_option("--placeholders", lint_args->placeholders, "Placeholder values file");
  lint->callback([lint_args, &ctx] { ctx.exit_code = run_lint(*lint_args); });

  auto test_args = std::make_shared<RulesArgs>();
  auto* test = rules->add_subcommand(
      "test",
      "Run the test cases embedded in rules (firebreak-tests); exit status 1 when one fails");
  test->add_option("paths", test_args->paths, "Rule directories or files")->required();
  test->add_option("--placeholders", test_args->placeholders, "Placeholder values file");
  test->add_flag("--no-self-exclusion", test_args->no_self_exclusion,
                 "Run without the built-in self-exclusion filter");
  test->callback([test_args, &ctx] { ctx.exit_code = run_test(*test_args); });
}

}  // namespace firebreak::cli
