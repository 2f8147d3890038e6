// The user whose enrolment totp-enroll acts on: an account from the password
// database (core/user_account.h, the module's lookup too), never from $HOME.
#pragma once

#include "core/user_account.h"

namespace totp_enroll {

using TargetUser = pam_totp::Account;

}  // namespace totp_enroll
