#include "core/record_ops.h"

namespace pam_totp {

UserState with_new_pin(const UserState& stored, const PinnedFile& file, std::uint8_t area,
                       std::int64_t now) {
    UserState next = stored;
    const bool migrating = !stored.pin.present && stored.enrollment_id == file.enrollment_id;
    if (!migrating) {
        next.has_last = false;
        next.last_accepted = 0;
        next.used_recovery = 0;
    }
    if (stored.pin.present) retire(next, stored.pin.enrollment_id, stored.pin.hash);
    next.enrollment_id = file.enrollment_id;
    next.pin = PinRef{.present = true,
                      .area = area,
                      .generation = stored.pin.generation + 1,
                      .hash = file.hash,
                      .length = file.length,
                      .enrollment_id = file.enrollment_id,
                      .pinned_at = now};
    next.pending = PendingSwitch{};
    next.asked_count = 0;
    next.tofu_closed = false;
    next.has_password_fingerprint = false;  // keyed by the old enrolment's salt
    next.password_fingerprint = {};
    return next;
}

UserState with_resealed_pin(const UserState& stored, const PinnedFile& file, std::uint8_t area) {
    UserState next = stored;
    next.pin.area = area;
    next.pin.generation = stored.pin.generation + 1;
    next.pin.hash = file.hash;
    next.pin.length = file.length;
    if (stored.asked_generation == stored.pin.generation)
        next.asked_generation = next.pin.generation;
    next.pending = PendingSwitch{};
    return next;
}

UserState without_enrollment(const UserState& stored,
                             const std::optional<PinnedFile>& also_retire) {
    UserState next = stored;
    if (stored.pin.present) retire(next, stored.pin.enrollment_id, stored.pin.hash);
    if (also_retire) retire(next, also_retire->enrollment_id, also_retire->hash);
    next.pin = PinRef{.generation = stored.pin.generation + 1};
    next.enrollment_id = EnrollmentId{};
    next.has_last = false;
    next.last_accepted = 0;
    next.used_recovery = 0;
    next.pending = PendingSwitch{};
    next.asked_count = 0;
    next.tofu_closed = true;
    next.has_password_fingerprint = false;
    next.password_fingerprint = {};
    return next;
}

UserState unlocked(const UserState& stored) {
    UserState next = stored;
    next.failures = 0;
    next.locks = 0;
    next.locked_until = 0;
    return next;
}

}  // namespace pam_totp
