// What a user is told after a successful login (issue 14): the code
// attempts refused since the last login, and a hint when the phone's clock
// is a step off. Pure functions over the record, so the wording and the
// bookkeeping are unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/otp.h"
#include "core/policy.h"
#include "core/state_record.h"

namespace pam_totp {

struct LoginNotice {
    std::uint32_t refused = 0;  // code attempts refused since the last login
    std::int64_t last_refused_at = 0;
    std::string last_refused_from;  // remote host, may be empty
    std::int64_t clock_offset = 0;  // seconds the phone is ahead (+) or behind (-)
};

// A refused code attempt (wrong, or while locked) into the record.
void note_refused_attempt(UserState& next, std::int64_t now, std::string_view remote_host);

// A success: what to tell, taken from the record before it, and the record
// reset for the next notice.
LoginNotice note_success(UserState& next, const UserState& before, std::int64_t now,
                         const Attempt& attempt, const OtpParams& otp);

// The PAM_TEXT_INFO lines for `notice` (none when there is nothing to say).
std::vector<std::string> notice_lines(const LoginNotice& notice);

}  // namespace pam_totp
