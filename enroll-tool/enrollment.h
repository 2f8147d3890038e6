// A new enrolment: fresh secret, QR code, one confirmed code, sealed file,
// recovery codes shown once.
#pragma once

#include <cstdint>
#include <string>

#include "context.h"
#include "core/otp.h"
#include "core/secret_bytes.h"
#include "exit_codes.h"
#include "qr_render.h"

namespace totp_enroll {

constexpr int kConfirmationTries = 3;
// HOTP: how far ahead of the starting counter the confirmation code may be
// (apps differ on whether the first code uses counter 0 or 1; a user may
// also press the button a few times). Same as the module's hotp_window.
constexpr int kConfirmationLookAhead = 10;

ExitCode run_enrollment(const Context& context);

// The steps every enrolment shows the user (totp-enroll and, in fleet mode,
// totp-enroll-ldap): the URI alone on its line, the grouped secret, the QR
// code last (right above the prompt).
pam_totp::Status show_secret(QrStyle style, const pam_totp::OtpParams& otp,
                             const pam_totp::SecretBytes& uri, const pam_totp::SecretBytes& key);

struct Confirmation {
    std::uint64_t counter = 0;  // the matched TOTP step or HOTP counter
    std::string clock_note;     // TOTP: the phone's clock is off ("" when it is not)
};

// Asks for a code from the new secret, kConfirmationTries times at most
// (TOTP: within one step of now).
Result<Confirmation> confirm_code(const pam_totp::OtpParams& otp, const pam_totp::SecretBytes& key);

}  // namespace totp_enroll
