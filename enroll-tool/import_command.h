// --import: seal an existing google-authenticator secret and its scratch codes.
#pragma once

#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_import(const Context& context);

}  // namespace totp_enroll
