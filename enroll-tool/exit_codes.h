// The exit statuses totp-enroll(1) documents, and a failure that carries one.
#pragma once

#include <string>

namespace totp_enroll {

enum class ExitCode : int {
    ok = 0,       // done
    refused = 1,  // the user gave up, wrong codes, or an existing enrolment without --force
    usage = 2,    // unknown flag or invalid value
    system = 3,   // files, keys, users, the operating system
    // --status: the user has no secret file (a query answers "no" with 1)
    not_enrolled = 1,
    // --list: a record could not be read (the others are still listed)
    damaged_record = 1,
};

struct Failure {
    ExitCode code = ExitCode::system;
    std::string message;  // names the file and the cause
};

}  // namespace totp_enroll
