// The login decision: throttling, replay, recovery codes, re-enrolment.
#include "core/policy.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace pam_totp;

namespace {

constexpr std::int64_t kNow = 1795420000;
const ThrottlePolicy kPolicy{};  // 5 wrong codes, 30 s doubling, 900 s cap

Attempt wrong() {
    return {};
}
Attempt accepted(std::uint64_t counter) {
    return {.otp = {Verdict::accepted, counter}};
}
Attempt replayed(std::uint64_t counter) {
    return {.otp = {Verdict::replayed, counter}};
}
Attempt recovery(int index, int total = 10) {
    return {.recovery = index, .recovery_total = total};
}

// Feeds wrong codes until a lock starts; returns the decision that started it.
Decision fail_until_locked(UserState& state, std::int64_t now,
                           const ThrottlePolicy& policy = kPolicy) {
    for (std::uint32_t i = 1;; ++i) {
        const Decision d = decide(state, wrong(), policy, now);
        REQUIRE(d.outcome == Outcome::wrong);
        state = d.next;
        if (d.lock_seconds > 0) {
            CHECK(i == policy.fail_limit);
            return d;
        }
        REQUIRE(i < policy.fail_limit);
        CHECK(d.next.failures == i);
        CHECK(lock_remaining(d.next, now) == 0);
    }
}

}  // namespace

TEST_CASE("fail_limit wrong codes in a row start a lock", "[policy]") {
    UserState state;
    const Decision d = fail_until_locked(state, kNow);
    CHECK(d.lock_seconds == 30);
    CHECK(state.locked_until == kNow + 30);
    CHECK(state.locks == 1);
    CHECK(state.failures == 0);

    ThrottlePolicy strict = kPolicy;
    strict.fail_limit = 1;
    UserState other;
    CHECK(fail_until_locked(other, kNow, strict).lock_seconds == 30);
}

TEST_CASE("a locked user is refused even with the right code and told the seconds left",
          "[policy]") {
    UserState state;
    fail_until_locked(state, kNow);
    const UserState locked = state;

    for (const Attempt& attempt : {accepted(7), wrong(), replayed(3), recovery(0)}) {
        const Decision d = decide(locked, attempt, kPolicy, kNow + 10);
        CHECK(d.outcome == Outcome::locked);
        CHECK(d.lock_seconds == 20);
        CHECK(d.next == locked);  // nothing consumed, the lock not extended
    }
    CHECK(decide(locked, accepted(7), kPolicy, kNow + 29).lock_seconds == 1);

    // When the lock has run out the right code gets in and clears everything.
    const Decision d = decide(locked, accepted(7), kPolicy, kNow + 30);
    CHECK(d.outcome == Outcome::accepted);
    CHECK(d.next.locked_until == 0);
    CHECK(d.next.locks == 0);
    CHECK(d.next.failures == 0);
    CHECK(d.next.has_last);
    CHECK(d.next.last_accepted == 7);
}

TEST_CASE("each further lock doubles, capped at 900 s", "[policy]") {
    UserState state;
    std::int64_t now = kNow;
    std::vector<std::int64_t> lengths;
    for (int lock = 0; lock < 8; ++lock) {
        const Decision d = fail_until_locked(state, now);
        CHECK(state.locked_until == now + d.lock_seconds);
        lengths.push_back(d.lock_seconds);
        now = state.locked_until;  // wait the lock out, then fail again
    }
    CHECK(lengths == std::vector<std::int64_t>{30, 60, 120, 240, 480, 900, 900, 900});
}

TEST_CASE("next_lock_length follows fail_lock and never overflows", "[policy]") {
    ThrottlePolicy policy = kPolicy;
    policy.fail_lock = 100;
    UserState s;
    const std::vector<std::pair<std::uint32_t, std::int64_t>> expected = {
        {0, 100}, {1, 200}, {2, 400}, {3, 800}, {4, 900}, {63, 900}, {64, 900}, {~0u, 900}};
    for (const auto& [locks, length] : expected) {
        s.locks = locks;
        INFO("locks " << locks);
        CHECK(next_lock_length(s, policy) == length);
    }
    policy.fail_lock = 900;
    s.locks = 0;
    CHECK(next_lock_length(s, policy) == 900);
}

TEST_CASE("a right code resets the failure count and the lock history", "[policy]") {
    UserState state;
    fail_until_locked(state, kNow);  // one lock served
    std::int64_t now = state.locked_until;
    for (int i = 0; i < 3; ++i) state = decide(state, wrong(), kPolicy, now).next;
    CHECK(state.failures == 3);

    const Decision ok = decide(state, accepted(1234), kPolicy, now);
    CHECK(ok.outcome == Outcome::accepted);
    CHECK(ok.next.failures == 0);
    CHECK(ok.next.locks == 0);
    state = ok.next;
    // The next lock starts from 30 s again, after a full fail_limit of misses.
    CHECK(fail_until_locked(state, now).lock_seconds == 30);
}

TEST_CASE("replayed codes are refused but not counted as failures", "[policy]") {
    UserState state;
    state.has_last = true;
    state.last_accepted = 50;
    state.failures = 4;
    for (int i = 0; i < 20; ++i) {
        const Decision d = decide(state, replayed(50), kPolicy, kNow);
        CHECK(d.outcome == Outcome::replayed);
        CHECK(d.next == state);
        CHECK(d.lock_seconds == 0);
    }
    // The fifth real miss still locks.
    CHECK(decide(state, wrong(), kPolicy, kNow).lock_seconds == 30);
}

TEST_CASE("a recovery code is marked used and the remaining ones are counted", "[policy]") {
    UserState state;
    state.has_last = true;
    state.last_accepted = 77;
    state.failures = 2;
    state.used_recovery = 0b0001;

    const Decision d = decide(state, recovery(3), kPolicy, kNow);
    CHECK(d.outcome == Outcome::accepted_recovery);
    CHECK(d.next.used_recovery == 0b1001);
    CHECK(d.recovery_remaining == 8);
    CHECK(d.next.failures == 0);
    CHECK(d.next.last_accepted == 77);  // the OTP replay mark is untouched

    UserState all_but_one;
    all_but_one.used_recovery = 0x3ff & ~(1u << 9);
    const Decision last = decide(all_but_one, recovery(9), kPolicy, kNow);
    CHECK(last.recovery_remaining == 0);
    CHECK(last.next.used_recovery == 0x3ff);
}

TEST_CASE("a new enrollment id starts from a fresh state", "[policy]") {
    UserState stored;
    stored.enrollment_id.fill(0x11);
    stored.has_last = true;
    stored.last_accepted = 999;
    stored.failures = 4;
    stored.locks = 3;
    stored.locked_until = kNow + 500;
    stored.used_recovery = 0xff;

    CHECK(state_for_enrollment(stored, stored.enrollment_id) == stored);

    std::array<std::uint8_t, 16> other{};
    other.fill(0x22);
    const UserState fresh = state_for_enrollment(stored, other);
    UserState expected;
    expected.enrollment_id = other;
    CHECK(fresh == expected);
    CHECK(decide(fresh, accepted(5), kPolicy, kNow).outcome == Outcome::accepted);
}

TEST_CASE("lock_remaining and count_unused", "[policy]") {
    UserState s;
    CHECK(lock_remaining(s, kNow) == 0);
    s.locked_until = kNow + 45;
    CHECK(lock_remaining(s, kNow) == 45);
    CHECK(lock_remaining(s, kNow + 45) == 0);
    CHECK(lock_remaining(s, kNow + 100) == 0);

    CHECK(count_unused(0, 10) == 10);
    CHECK(count_unused(0b101, 10) == 8);
    CHECK(count_unused(1u << 20, 10) == 10);  // bits past the total do not count
    CHECK(count_unused(~0u, 32) == 0);
    CHECK(count_unused(0, 32) == 32);
    CHECK(count_unused(0, 0) == 0);
}
