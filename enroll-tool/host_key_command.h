// --generate-host-key: create the host key pair (root only).
#pragma once

#include "cli_options.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_generate_host_key(const Options& options);

}  // namespace totp_enroll
