// --status: whether the user is enrolled and how, from the file's header.
#pragma once

#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_status(const Context& context);

}  // namespace totp_enroll
