// totp-enroll --pin (root): make a user's secret file the enrolment the
// module trusts, ahead of the first login; --pin --all does so for every
// user with a ~/.pam_totp and no pin yet (the package's postinst).
#pragma once

#include "cli_options.h"
#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_pin(const Context& context);
ExitCode run_pin_all(const Options& options);

}  // namespace totp_enroll
