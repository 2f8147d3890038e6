// --remove: delete the user's secret file.
#pragma once

#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_remove(const Context& context);

}  // namespace totp_enroll
