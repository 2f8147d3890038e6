// How recovery codes are shown: once, right after saving, with what they are for.
#pragma once

#include <vector>

#include "core/secret_bytes.h"

namespace totp_enroll {

void append_recovery_codes(pam_totp::SecretBytes& out,
                           const std::vector<pam_totp::SecretBytes>& codes);

}  // namespace totp_enroll
