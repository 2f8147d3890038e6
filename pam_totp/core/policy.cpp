#include "core/policy.h"

#include <algorithm>
#include <bit>

namespace pam_totp {

UserState state_for_enrollment(const UserState& stored,
                               const std::array<std::uint8_t, 16>& enrollment_id) {
    if (stored.enrollment_id == enrollment_id) return stored;
    UserState fresh;
    fresh.enrollment_id = enrollment_id;
    return fresh;
}

std::int64_t lock_remaining(const UserState& state, std::int64_t now) {
    if (state.locked_until <= now) return 0;
    return std::min(state.locked_until - now, kMaxLockSeconds);
}

std::int64_t next_lock_length(const UserState& state, const ThrottlePolicy& policy) {
    std::int64_t length = policy.fail_lock;
    for (std::uint32_t i = 0; i < state.locks && length < policy.max_lock; ++i) length *= 2;
    return std::min(length, policy.max_lock);
}

int count_unused(std::uint32_t used_mask, int total) {
    if (total <= 0) return 0;
    const std::uint32_t all = total >= 32 ? ~0u : ((1u << total) - 1);
    return total - std::popcount(used_mask & all);
}

Decision decide(const UserState& state, const Attempt& attempt, const ThrottlePolicy& policy,
                std::int64_t now) {
    Decision d;
    d.next = state;
    // A lock set while the clock ran ahead is shortened to the cap (and
    // stored so), so it ends once the clock is right again.
    if (d.next.locked_until > now + policy.max_lock) d.next.locked_until = now + policy.max_lock;
    if (const std::int64_t left = lock_remaining(d.next, now); left > 0) {
        // Locked: nothing is judged or consumed, and the lock is not extended.
        d.outcome = Outcome::locked;
        d.lock_seconds = left;
        return d;
    }
    if (attempt.otp.verdict == Verdict::accepted || attempt.recovery) {
        d.next.failures = 0;
        d.next.locks = 0;
        d.next.locked_until = 0;
        if (attempt.otp.verdict == Verdict::accepted) {
            d.outcome = Outcome::accepted;
            d.next.has_last = true;
            d.next.last_accepted = attempt.otp.counter;
        } else {
            d.outcome = Outcome::accepted_recovery;
            d.next.used_recovery |= 1u << *attempt.recovery;
            d.recovery_remaining = count_unused(d.next.used_recovery, attempt.recovery_total);
        }
        return d;
    }
    if (attempt.otp.verdict == Verdict::replayed || attempt.recovery_reused) {
        // Not a guess: the code was right once. Refused, but not counted, so
        // parallel logins with one code cannot lock the owner out.
        d.outcome =
            attempt.otp.verdict == Verdict::replayed ? Outcome::replayed : Outcome::reused_recovery;
        return d;
    }
    d.outcome = Outcome::wrong;
    d.next.failures = state.failures + 1;
    if (d.next.failures >= policy.fail_limit) {
        d.lock_seconds = next_lock_length(state, policy);
        d.next.locked_until = now + d.lock_seconds;
        d.next.locks = state.locks + 1;
        d.next.failures = 0;
    }
    return d;
}

}  // namespace pam_totp
