#include "core/pin_policy.h"

namespace pam_totp {

PinDecision decide_pin(const PinInputs& in) {
    if (in.has_pin) {
        if (in.proposal != Proposal::valid) return PinDecision::use_pin;
        return in.root_vouches ? PinDecision::adopt_now : PinDecision::offer_switch;
    }
    switch (in.proposal) {
        case Proposal::valid:
            if (in.root_vouches) return PinDecision::adopt_now;
            // A user enrolled before pins existed: the version 1 record names
            // the enrolment only by its id, which is plain text in the file
            // the user controls, so no file is pinned on its word; root pins
            // it (totp-enroll --pin, which the package's postinst runs).
            if (in.tofu_closed || in.legacy != LegacyRecord::none) return PinDecision::refuse;
            if (in.tofu) return PinDecision::adopt_now;
            return PinDecision::not_enrolled;  // tofu=off: only root's word enrols
        case Proposal::missing:
            // Enrolled before pins existed: a deleted file drops nothing.
            if (in.legacy != LegacyRecord::none) return PinDecision::refuse;
            return PinDecision::not_enrolled;
        case Proposal::same:  // cannot happen without a pin; treat as untrusted
        case Proposal::retired:
        case Proposal::unavailable:
            return PinDecision::refuse;
    }
    return PinDecision::refuse;
}

EnrollmentAge enrollment_age(std::int64_t started, std::int64_t now, int max_age_days) {
    constexpr std::int64_t kDay = 24 * 3600;
    constexpr int kWarningDays = 7;
    EnrollmentAge age;
    const std::int64_t expires = started + static_cast<std::int64_t>(max_age_days) * kDay;
    if (now >= expires) {
        age.expired = true;
    } else if (expires - now <= kWarningDays * kDay) {
        age.days_left = static_cast<int>((expires - now + kDay - 1) / kDay);
    }
    return age;
}

std::string_view proposal_name(Proposal proposal) {
    switch (proposal) {
        case Proposal::missing:
            return "missing";
        case Proposal::unavailable:
            return "unavailable";
        case Proposal::retired:
            return "retired";
        case Proposal::same:
            return "same as the pin";
        case Proposal::valid:
            return "valid";
    }
    return "unknown";
}

}  // namespace pam_totp
