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

// root's --remove: the pin and `also_retire` (the user's file, if any) are
// retired, the pin is dropped, and trust on first use is closed for the user.
UserState without_enrollment(const UserState& stored, const std::optional<PinnedFile>& also_retire);

// root's --unlock: failures and the lock go; the replay position, used
// recovery codes and the pin stay.
UserState unlocked(const UserState& stored);

}  // namespace pam_totp
