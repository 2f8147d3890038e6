// Checks a typed code against every counter in a window and classifies it.
// Every counter in the window is computed and compared in constant time, with
// no early exit, so timing tells nothing about which step matched.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/otp.h"

namespace pam_totp {

enum class Verdict { accepted, replayed, wrong };

struct Verification {
    Verdict verdict = Verdict::wrong;
    std::uint64_t counter = 0;  // the matched TOTP step or HOTP counter
};

constexpr int kMaxTotpWindow = 10;
constexpr int kMaxHotpLookAhead = 100;

// True when `entered` has the shape of a code: exactly `digits` ASCII digits.
bool looks_like_code(std::string_view entered, int digits);

// TOTP: tries steps [step(now) - window, step(now) + window]. A match at or
// before `last_accepted` is `replayed`; a match after it is `accepted` (the
// newest such step wins). Anything else is `wrong`.
Verification verify_totp(std::span<const std::uint8_t> key, const OtpParams& params,
                         std::int64_t now, int window, std::optional<std::uint64_t> last_accepted,
                         std::string_view entered);

// HOTP: tries counters [next, next + look_ahead] as fresh and up to
// `look_ahead` counters before `next` as replayed.
Verification verify_hotp(std::span<const std::uint8_t> key, const OtpParams& params,
                         std::uint64_t next, int look_ahead, std::string_view entered);

}  // namespace pam_totp
