// --list: one line (or, with --json, one JSON object) per user record in the
// module's state directory. Root only; reads, never writes or creates.
#pragma once

#include "cli_options.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_list(const Options& options);

}  // namespace totp_enroll
