// Locks and a clock that was wrong: a lock taken while the clock ran far
// ahead must not outlast the longest lock once the clock is right again.
#include <catch2/catch.hpp>

#include "core/policy.h"

using namespace pam_totp;

TEST_CASE("a lock set in the far future is cut to the cap and then ends") {
    const ThrottlePolicy policy;
    UserState state;
    state.locked_until = 4'000'000'000;  // set while the clock said 2096
    const std::int64_t now = 1'800'000'000;
    CHECK(lock_remaining(state, now) == kMaxLockSeconds);

    const Decision locked = decide(state, Attempt{}, policy, now);
    CHECK(locked.outcome == Outcome::locked);
    CHECK(locked.lock_seconds == kMaxLockSeconds);
    CHECK(locked.next.locked_until == now + kMaxLockSeconds);  // stored shortened

    Attempt right;
    right.otp = {Verdict::accepted, 60'000'000};
    const Decision later = decide(locked.next, right, policy, now + kMaxLockSeconds);
    CHECK(later.outcome == Outcome::accepted);
}
