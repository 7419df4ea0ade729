#pragma once
// The firebreak command line. Thin wiring: each subcommand lives in its own src/cli/<name>.cpp,
// parses its flags, calls the library and prints. Subcommands are registered in one place
// (src/cli/commands.cpp).

namespace firebreak::cli {

// Exit statuses that mean something (documented in README "Exit status").
enum ExitCode : int {
  kExitOk = 0,       // done; nothing to report
  kExitFound = 1,    // done; something was found (detect matched, verify found a break, ...)
  kExitUsage = 2,    // the command line was wrong
  kExitPartial = 3,  // done, but some input was bad and skipped (the summary says what)
  kExitFailure = 4,  // could not do the job
};

// Runs the command line; returns the process exit status.
int run(int argc, char** argv);

}  // namespace firebreak::cli
