#include "clock_offset.h"

#include <cstdlib>

#include "core/secret_bytes.h"

namespace totp_enroll {

std::optional<std::int64_t> phone_clock_offset(std::span<const std::uint8_t> key,
                                               const pam_totp::OtpParams& otp, std::int64_t shown,
                                               std::int64_t answered, std::string_view code) {
    if (answered < shown) answered = shown;
    const std::int64_t period = otp.period;
    const auto first_shown = static_cast<std::int64_t>(pam_totp::totp_step(shown, otp.period));
    const auto last_shown = static_cast<std::int64_t>(pam_totp::totp_step(answered, otp.period));
    const std::int64_t low = shown - kClockSearchSeconds > 0 ? shown - kClockSearchSeconds : 0;
    const auto first = static_cast<std::int64_t>(pam_totp::totp_step(low, otp.period));
    const auto last =
        static_cast<std::int64_t>(pam_totp::totp_step(answered + kClockSearchSeconds, otp.period));
    // The match nearest to the prompt wins (two steps with the same code are
    // a one-in-a-million coincidence, but the near one is the likely one).
    std::optional<std::int64_t> best;
    for (std::int64_t step = first; step <= last; ++step) {
        const pam_totp::OtpCode candidate =
            pam_totp::hotp(key, otp.algorithm, static_cast<std::uint64_t>(step), otp.digits);
        if (!pam_totp::equal_constant_time(candidate.view(), code)) continue;
        std::int64_t offset = 0;
        if (step < first_shown) offset = (step - first_shown) * period;
        if (step > last_shown) offset = (step - last_shown) * period;
        if (!best || std::llabs(offset) < std::llabs(*best)) best = offset;
    }
    return best;
}

std::string describe_clock_offset(std::int64_t seconds) {
    const std::int64_t size = std::llabs(seconds);
    std::string amount;
    if (size < 120)
        amount = std::to_string(size) + " s";
    else if (size % 60 == 0)
        amount = std::to_string(size / 60) + " min";
    else
        amount = std::to_string(size / 60) + " min " + std::to_string(size % 60) + " s";
    return "about " + amount + (seconds < 0 ? " behind" : " ahead");
}

}  // namespace totp_enroll
