// The exit statuses totp-enroll(1) documents, and the failures that carry one.
#pragma once

#include <string>
#include <utility>

#include "core/result.h"

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

// totp-enroll's failures are the project's one Error (core/result.h), whose
// code is the exit status the tool ends with.
using pam_totp::Error;
using pam_totp::Result;
using pam_totp::Status;

inline Error failure(ExitCode code, std::string message) {
    return Error{std::move(message), static_cast<int>(code)};
}

// An error from the core carries no status: it is a system failure.
inline ExitCode exit_code(const Error& error) {
    return error.code == 0 ? ExitCode::system : static_cast<ExitCode>(error.code);
}

}  // namespace totp_enroll
