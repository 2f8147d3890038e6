// How far the phone's clock is off, from a TOTP code typed at the
// confirmation prompt: the code's time step against the steps the prompt
// waited through. Only for telling the user; which codes are accepted is the
// verifier's window, as before.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/otp.h"

namespace totp_enroll {

// How far from the prompt the search for the code reaches (either way).
constexpr std::int64_t kClockSearchSeconds = 600;

// The phone's clock offset in seconds (a multiple of the period; negative:
// behind), from the step whose code `code` is: 0 when that step was current
// at some time from `shown` (the prompt appeared) to `answered` (the code was
// read), so a code that changed while it was typed counts as on time. nullopt
// when no step within kClockSearchSeconds of that interval has this code.
std::optional<std::int64_t> phone_clock_offset(std::span<const std::uint8_t> key,
                                               const pam_totp::OtpParams& otp, std::int64_t shown,
                                               std::int64_t answered, std::string_view code);

// "about 30 s behind", "about 2 min ahead", "about 2 min 30 s behind";
// `seconds` must not be 0.
std::string describe_clock_offset(std::int64_t seconds);

}  // namespace totp_enroll
