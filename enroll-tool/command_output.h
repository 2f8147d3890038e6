// Running a system command (sshd -T, timedatectl) for totp-enroll --check:
// a fixed argv, no shell, an empty environment but PATH, its standard
// output captured.
#pragma once

#include <string>
#include <vector>

#include "exit_codes.h"

namespace totp_enroll {

// Standard output of argv[0] (an absolute path) run with argv; an error
// carrying the command's standard error when it cannot be run or exits
// with a non-zero status.
Result<std::string> command_output(const std::vector<std::string>& argv);

}  // namespace totp_enroll
