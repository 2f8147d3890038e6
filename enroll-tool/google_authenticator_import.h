// Reads a google-authenticator(1) file (~/.google_authenticator): the base32
// secret on the first line, option lines starting with `" `, and eight-digit
// scratch codes (see FILEFORMAT in google-authenticator-libpam).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/otp.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace totp_enroll {

struct GoogleAuthenticatorFile {
    pam_totp::SecretBytes key;
    // SHA1 and 6 digits always (google-authenticator knows no others);
    // TOTP with STEP_SIZE (default 30), or HOTP.
    pam_totp::OtpParams otp;
    std::uint64_t counter = 0;  // HOTP: HOTP_COUNTER, the counter the token shows next
    std::vector<pam_totp::SecretBytes> scratch_codes;
    // Options pam_totp has its own settings for (window, rate limit, reuse),
    // or does not know: for telling the user what was not carried over.
    std::vector<std::string> ignored_options;
};

// Strict: anything that is not one of the three kinds of line is refused with
// its line number (never with its content, which may be a scratch code).
// HOTP_COUNTER makes it HOTP even next to TOTP_AUTH (as in the original);
// neither of the two, or OTP_DISABLED, is refused.
pam_totp::Result<GoogleAuthenticatorFile> parse_google_authenticator(std::string_view text);

}  // namespace totp_enroll
