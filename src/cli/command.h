#pragma once
// Private to the CLI: how subcommands plug into the application.

#include <CLI/CLI.hpp>

#include "firebreak/cli/app.h"

namespace firebreak::cli {

// Shared by all subcommands during one invocation.
struct Context {
  int exit_code = 0;  // set by the subcommand that ran
};

// One function per top-level subcommand; each adds itself (and its children) to `app` and
// stores its result in ctx.exit_code when it runs.
void add_version_command(CLI::App& app, Context& ctx);
void add_detect_command(CLI::App& app, Context& ctx);
void add_rules_command(CLI::App& app, Context& ctx);
void add_events_command(CLI::App& app, Context& ctx);
void add_evidence_command(CLI::App& app, Context& ctx);
void add_sim_command(CLI::App& app, Context& ctx);
void add_whoami_command(CLI::App& app, Context& ctx);
void add_respond_command(CLI::App& app, Context& ctx);  // respond and plan
void add_runs_command(CLI::App& app, Context& ctx);
void add_incidents_command(CLI::App& app, Context& ctx);
void add_watch_command(CLI::App& app, Context& ctx);

// Adds every subcommand (src/cli/commands.cpp).
void add_all_commands(CLI::App& app, Context& ctx);

}  // namespace firebreak::cli
