// Users from the password database (getpwnam_r, getpwuid_r, getpwent), for
// the module and totp-enroll alike: never from $HOME or $USER.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/result.h"

namespace pam_totp {

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

// An error when the user does not exist or the lookup failed; the message
// says which.
Result<Account> find_account(const std::string& name);
Result<Account> find_account(uid_t uid);

// Every entry of the password database, each name once, in its order.
std::vector<Account> every_account();

}  // namespace pam_totp
