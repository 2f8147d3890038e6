// The values module options take, parsed one way for every module
// (pam_totp.so, pam_totp_ldap.so): a decimal number in a range, nothing else.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace pam_totp {

// `value` as a number from `low` to `high` into `out`; an error naming the
// option (`name` as written, "window=") otherwise.
Status parse_option_number(std::string_view name, std::string_view value, int low, int high,
                           int& out);

}  // namespace pam_totp
