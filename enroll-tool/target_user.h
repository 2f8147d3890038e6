// The user whose enrolment totp-enroll acts on, from the password database
// (never from $HOME: the module finds the file through getpwnam too).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "exit_codes.h"

namespace totp_enroll {

struct TargetUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

// The user running the program (real uid).
Result<TargetUser> invoking_user();

// A user by name (for --user); a user who does not exist is a system problem.
Result<TargetUser> user_named(const std::string& name);

// Every entry of the password database (getpwent), each name once, in the
// order the database lists them.
std::vector<TargetUser> every_user();

// <home>/.pam_totp, the module's default secret= path (%h/.pam_totp).
std::string default_secret_path(const TargetUser& user);

}  // namespace totp_enroll
