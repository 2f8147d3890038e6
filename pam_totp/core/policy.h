// The login decision as a pure function: given the stored state, what the
// user typed was judged to be, the throttle settings and the time, what
// happens and what state to store. No I/O, so every rule is unit-tested.
#pragma once

#include <cstdint>
#include <optional>

#include "core/state_record.h"
#include "core/verifier.h"

namespace pam_totp {

constexpr std::int64_t kMaxLockSeconds = 900;

struct ThrottlePolicy {
    std::uint32_t fail_limit = 5;             // consecutive wrong codes that trigger a lock
    std::int64_t fail_lock = 30;              // first lock, seconds; doubles per further lock
    std::int64_t max_lock = kMaxLockSeconds;  // cap on one lock, seconds
};

enum class Outcome {
    accepted,
    accepted_recovery,
    replayed,         // a right code used before: refused, not counted
    reused_recovery,  // a recovery code used before: refused, not counted
    wrong,
    locked
};

struct Attempt {
    Verification otp;              // verdict of the code check
    std::optional<int> recovery;   // index of the unused recovery code it matched
    bool recovery_reused = false;  // it matched a recovery code used before
    int recovery_total = 0;        // how many recovery codes the file has
};

struct Decision {
    Outcome outcome = Outcome::wrong;
    UserState next;                 // state to store
    std::int64_t lock_seconds = 0;  // locked: seconds left; wrong: length of a lock it started
    int recovery_remaining = 0;     // accepted_recovery: unused codes left
};

// A state for `enrollment_id`: unchanged if it matches, otherwise fresh
// (an admin re-enrolled the user; the old counters mean nothing).
UserState state_for_enrollment(const UserState& stored,
                               const std::array<std::uint8_t, 16>& enrollment_id);

// Seconds until the lock ends, 0 if not locked; never more than
// kMaxLockSeconds, so a lock set while the clock ran far ahead cannot outlast
// the longest lock once the clock is put right.
std::int64_t lock_remaining(const UserState& state, std::int64_t now);

// Length of the next lock: fail_lock * 2^locks, capped.
std::int64_t next_lock_length(const UserState& state, const ThrottlePolicy& policy);

Decision decide(const UserState& state, const Attempt& attempt, const ThrottlePolicy& policy,
                std::int64_t now);

int count_unused(std::uint32_t used_mask, int total);

}  // namespace pam_totp
