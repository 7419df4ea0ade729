#include <fmt/format.h>

#include "command.h"

namespace firebreak::cli {

void add_version_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "Print firebreak's version");
  cmd->callback([&ctx] {
    fmt::print("firebreak {}\n", FIREBREAK_VERSION);
    ctx.exit_code = kExitOk;
  });
}

}  // namespace firebreak::cli
