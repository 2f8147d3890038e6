// Changes to a user's record that both the module and totp-enroll make, as
// pure functions over UserState, so the tool can never write a record the
// module reads differently.
#pragma once

#include <cstdint>
#include <optional>

#include "core/state_record.h"

namespace pam_totp {

struct PinnedFile {
    EnrollmentId enrollment_id{};
    Sha256 hash{};
    std::uint32_t length = 0;
};

// `file` becomes the pin in `area` (already staged there). Its replay
// position and used recovery codes start afresh, unless a version 1 record
// of the same enrolment is being migrated; failures, locks and the lock time
// always carry over, so no change of file lifts a lock. The previous pin is
// retired.
UserState with_new_pin(const UserState& stored, const PinnedFile& file, std::uint8_t area,
                       std::int64_t now);

// totp-enroll --rekey: the pinned enrolment in other bytes (re-sealed to a
// new host key, staged in `area`; the same enrollment-id) becomes the pin.
// All the record knows of the enrolment stays: replay position, used
// recovery codes, failures and lock, the retired list and pinned_at (so
// root's outstanding tags keep their meaning). The generation moves on,
// which voids a pending switch's ticket, and the pending switch goes (its
// staged file sat where the new pin goes); the prompts already shown
// today still count.
UserState with_resealed_pin(const UserState& stored, const PinnedFile& file, std::uint8_t area);

// root's --remove: the pin and `also_retire` (the user's file, if any) are
// retired, the pin is dropped, and trust on first use is closed for the user.
UserState without_enrollment(const UserState& stored, const std::optional<PinnedFile>& also_retire);

// root's --unlock: failures and the lock go; the replay position, used
// recovery codes and the pin stay.
UserState unlocked(const UserState& stored);

}  // namespace pam_totp
