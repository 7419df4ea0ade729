#include "firebreak/cli/app.h"

#include <fmt/format.h>

#include "command.h"
#include "firebreak/core/log.h"

namespace firebreak::cli {

int run(int argc, char** argv) {
  CLI::App app{
      "firebreak: incident response for AWS: detect, respond, preserve evidence, simulate.",
      "firebreak"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  std::string level = "info";
  app.add_option("--log-level", level, "Log verbosity on stderr: debug, info, warn, error, off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&level] {
    using log::Level;
    log::set_level(level == "debug"   ? Level::kDebug
                   : level == "warn"  ? Level::kWarn
                   : level == "error" ? Level::kError
                   : level == "off"   ? Level::kOff
                                      : Level::kInfo);
  });

  Context ctx;
  add_all_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return e.get_exit_code() == 0 ? kExitOk : kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace firebreak::cli
