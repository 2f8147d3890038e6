// totp-enroll --unlock (root): clears a user's failed codes and lock in the
// module's record. The pin, the replay position and the used recovery codes
// stay, so no used code works again.
#pragma once

#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_unlock(const Context& context);

}  // namespace totp_enroll
