// A new enrolment: fresh secret, QR code, one confirmed code, sealed file,
// recovery codes shown once.
#pragma once

#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

constexpr int kConfirmationTries = 3;
// HOTP: how far ahead of the starting counter the confirmation code may be
// (apps differ on whether the first code uses counter 0 or 1; a user may
// also press the button a few times). Same as the module's hotp_window.
constexpr int kConfirmationLookAhead = 10;

ExitCode run_enrollment(const Context& context);

}  // namespace totp_enroll
