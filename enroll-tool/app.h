// Runs one parsed command line: checks who may do what, finds the user and
// the files, and hands over to the action.
#pragma once

#include "cli_options.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run(const Options& options);

}  // namespace totp_enroll
