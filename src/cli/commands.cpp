#include "command.h"

namespace firebreak::cli {

// The one list of subcommands. Keep it in the order `firebreak --help` should show them.
void add_all_commands(CLI::App& app, Context& ctx) {
  add_detect_command(app, ctx);
  add_watch_command(app, ctx);
  add_incidents_command(app, ctx);
  add_respond_command(app, ctx);
  add_runs_command(app, ctx);
  add_rules_command(app, ctx);
  add_events_command(app, ctx);
  add_evidence_command(app, ctx);
  add_sim_command(app, ctx);
  add_version_command(app, ctx);
  add_whoami_command(app, ctx);
}

}  // namespace firebreak::cli
