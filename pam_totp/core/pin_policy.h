// Which enrolment a login trusts, as a pure function. Anyone can seal a file
// to the host's public key and the user owns their file, so the file is only
// a proposal: once the module has pinned an enrolment it checks codes against
// the pin, and a different file becomes the pin only with root's word (a
// valid tag, or a root-managed file) or after the user has proven the current
// factor and then the new one (see pam_totp(5), "Enrolment integrity").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pam_totp {

// What the user's secret file turned out to be, read once before the prompt.
enum class Proposal {
    missing,      // no file, in a directory that exists: the user did not enrol
    unavailable,  // unreadable, badly placed, damaged, foreign, sealed to another key,
                  // or its directory is missing (an encrypted home not mounted yet)
    retired,      // a valid file that root removed or a switch replaced
    same,         // byte for byte the pinned file
    valid,        // a valid enrolment for this user that differs from the pin
};

enum class PinDecision {
    use_pin,       // judge against the pin; the file changes nothing
    offer_switch,  // judge against the pin; after a right code, offer the new file
    adopt_now,     // pin the file in this login's state write and judge against it
    not_enrolled,  // no pin and nothing trusted: `optional` ignores the user
    refuse,        // no pin and a file that cannot be trusted: prompt, then fail
};

// A version 1 record (from before pins) names the enrolment its counters
// belong to: only that enrolment is pinned on its own word.
enum class LegacyRecord { none, same_enrollment, other_enrollment };

struct PinInputs {
    bool has_pin = false;
    LegacyRecord legacy = LegacyRecord::none;
    bool tofu_closed = false;  // root removed the user: only root's word enrols again
    Proposal proposal = Proposal::missing;
    // Root vouches for the file: a valid, unexpired tag for this user and
    // uid, newer than the pin; or secret_owner=root (only root can write it).
    bool root_vouches = false;
    bool tofu = true;  // a first file may be pinned on its own word
};

PinDecision decide_pin(const PinInputs& in);

std::string_view proposal_name(Proposal proposal);

// max_age: whether an enrolment that started at `started` has expired, and
// the days left when it expires within a week.
struct EnrollmentAge {
    bool expired = false;
    std::optional<int> days_left;
};
EnrollmentAge enrollment_age(std::int64_t started, std::int64_t now, int max_age_days);

}  // namespace pam_totp
