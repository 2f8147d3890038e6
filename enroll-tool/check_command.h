// totp-enroll --check: the setup doctor. Reads the PAM stacks of sshd,
// login, su and sudo, sshd's effective configuration (sshd -T), the host key,
// the state directory and the system clock, and with --user a user's secret
// file and record; prints one PASS/WARN/FAIL line per finding with its fix.
// --code (root, with --user) checks a code from the user's phone against
// the clock without using it up.
#pragma once

#include "cli_options.h"
#include "exit_codes.h"

namespace totp_enroll {

// ok when nothing failed, refused (1) otherwise.
ExitCode run_check(const Options& options);

}  // namespace totp_enroll
