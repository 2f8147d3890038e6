#include "core/verifier.h"

#include <algorithm>

#include "core/secret_bytes.h"

namespace pam_totp {
namespace {

// Compares `entered` with the code of every counter in [first, last]; counters
// >= fresh_from are accepted, earlier ones replayed. No early exit.
Verification scan(std::span<const std::uint8_t> key, const OtpParams& params, std::uint64_t first,
                  std::uint64_t last, std::uint64_t fresh_from, std::string_view entered) {
    if (!looks_like_code(entered, params.digits)) return {};
    bool fresh_match = false;
    bool stale_match = false;
    std::uint64_t fresh_counter = 0;
    std::uint64_t stale_counter = 0;
    for (std::uint64_t counter = first;; ++counter) {
        const OtpCode code = hotp(key, params.algorithm, counter, params.digits);
        const bool match = equal_constant_time(code.view(), entered);
        const bool fresh = counter >= fresh_from;
        // Branch-free bookkeeping: the loop's work does not depend on matches.
        const std::uint64_t fresh_mask = 0 - static_cast<std::uint64_t>(match && fresh);
        const std::uint64_t stale_mask = 0 - static_cast<std::uint64_t>(match && !fresh);
        fresh_counter = (counter & fresh_mask) | (fresh_counter & ~fresh_mask);
        stale_counter = (counter & stale_mask) | (stale_counter & ~stale_mask);
        fresh_match |= match && fresh;
        stale_match |= match && !fresh;
        if (counter == last) break;
    }
    if (fresh_match) return {Verdict::accepted, fresh_counter};
    if (stale_match) return {Verdict::replayed, stale_counter};
    return {};
}

}  // namespace

bool looks_like_code(std::string_view entered, int digits) {
    return entered.size() == static_cast<std::size_t>(digits) &&
           std::all_of(entered.begin(), entered.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Verification verify_totp(std::span<const std::uint8_t> key, const OtpParams& params,
                         std::int64_t now, int window, std::optional<std::uint64_t> last_accepted,
                         std::string_view entered) {
    window = std::clamp(window, 0, kMaxTotpWindow);
    const std::uint64_t step = totp_step(now, params.period);
    const std::uint64_t first = step >= static_cast<std::uint64_t>(window) ? step - window : 0;
    const std::uint64_t fresh_from = last_accepted ? *last_accepted + 1 : 0;
    return scan(key, params, first, step + window, fresh_from, entered);
}

Verification verify_hotp(std::span<const std::uint8_t> key, const OtpParams& params,
                         std::uint64_t next, int look_ahead, std::string_view entered) {
    look_ahead = std::clamp(look_ahead, 0, kMaxHotpLookAhead);
    const std::uint64_t behind = std::min<std::uint64_t>(next, look_ahead);
    return scan(key, params, next - behind, next + look_ahead, next, entered);
}

}  // namespace pam_totp
