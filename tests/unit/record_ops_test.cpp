// The record changes shared by the module and totp-enroll.
#include "core/record_ops.h"

#include <catch2/catch.hpp>

using namespace pam_totp;

namespace {

PinnedFile file_with(std::uint8_t seed) {
    PinnedFile f;
    f.enrollment_id.fill(seed);
    f.hash.fill(static_cast<std::uint8_t>(seed + 1));
    f.length = 900;
    return f;
}

UserState busy_state() {
    UserState s;
    s.has_last = true;
    s.last_accepted = 1234;
    s.failures = 4;
    s.locks = 2;
    s.locked_until = 999;
    s.used_recovery = 0b101;
    return s;
}

}  // namespace

TEST_CASE("a new pin starts its replay state afresh and keeps failures and locks", "[record_ops]") {
    UserState s = with_new_pin(busy_state(), file_with(1), 0, 5000);
    CHECK(s.pin.present);
    CHECK(s.pin.generation == 1);
    CHECK(s.pin.pinned_at == 5000);
    CHECK(s.pin.enrollment_id == file_with(1).enrollment_id);
    CHECK_FALSE(s.has_last);
    CHECK(s.used_recovery == 0);
    CHECK(s.failures == 4);
    CHECK(s.locks == 2);
    CHECK(s.locked_until == 999);

    const UserState next = with_new_pin(s, file_with(7), 1, 6000);
    CHECK(next.pin.generation == 2);
    CHECK(next.pin.area == 1);
    CHECK(is_retired(next, file_with(1).enrollment_id, file_with(1).hash));
    CHECK_FALSE(is_retired(next, file_with(7).enrollment_id, file_with(7).hash));
}

TEST_CASE("migrating a version 1 record of the same enrolment keeps its replay state",
          "[record_ops]") {
    UserState legacy = busy_state();
    legacy.enrollment_id = file_with(3).enrollment_id;
    const UserState s = with_new_pin(legacy, file_with(3), 0, 1);
    CHECK(s.has_last);
    CHECK(s.last_accepted == 1234);
    CHECK(s.used_recovery == 0b101);
    const UserState other = with_new_pin(legacy, file_with(4), 0, 1);
    CHECK_FALSE(other.has_last);
    CHECK(other.used_recovery == 0);
}

TEST_CASE("root's removal retires and closes first use; unlock clears the lock only",
          "[record_ops]") {
    const UserState pinned = with_new_pin(busy_state(), file_with(1), 0, 1);
    const UserState removed = without_enrollment(pinned, file_with(2));
    CHECK_FALSE(removed.pin.present);
    CHECK(removed.pin.generation == pinned.pin.generation + 1);
    CHECK(removed.tofu_closed);
    CHECK(is_retired(removed, file_with(1).enrollment_id, file_with(1).hash));
    CHECK(is_retired(removed, file_with(2).enrollment_id, file_with(2).hash));

    UserState used = pinned;
    used.has_last = true;
    used.last_accepted = 77;
    used.used_recovery = 0b11;
    const UserState open = unlocked(used);
    CHECK(open.failures == 0);
    CHECK(open.locks == 0);
    CHECK(open.locked_until == 0);
    CHECK(open.used_recovery == 0b11);
    CHECK(open.last_accepted == 77);
    CHECK(open.pin == used.pin);
}

TEST_CASE("the retired list keeps the newest entries and matches either field", "[record_ops]") {
    UserState s;
    for (int i = 0; i < static_cast<int>(kRetiredCapacity) + 3; ++i)
        retire(s, file_with(static_cast<std::uint8_t>(i)).enrollment_id,
               file_with(static_cast<std::uint8_t>(100 + i)).hash);
    CHECK(s.retired_count == kRetiredCapacity);
    CHECK_FALSE(is_retired(s, file_with(0).enrollment_id, Sha256{}));
    CHECK(is_retired(s, file_with(static_cast<std::uint8_t>(kRetiredCapacity + 2)).enrollment_id,
                     Sha256{}));
    CHECK(is_retired(s, EnrollmentId{},
                     file_with(static_cast<std::uint8_t>(100 + kRetiredCapacity + 2)).hash));
}

TEST_CASE("a re-sealed pin keeps everything the record knows of the enrolment", "[record_ops]") {
    UserState before = with_new_pin(busy_state(), file_with(1), 0, 5000);
    before.has_last = true;
    before.last_accepted = 77;
    before.used_recovery = 0b11;
    before.asked_generation = before.pin.generation;
    before.asked_count = 2;
    before.pending.present = true;
    retire(before, file_with(9).enrollment_id, file_with(9).hash);
    PinnedFile resealed = file_with(1);
    resealed.hash.fill(0x42);
    resealed.length = 905;

    const UserState after = with_resealed_pin(before, resealed, 1);
    CHECK(after.pin.area == 1);
    CHECK(after.pin.hash == resealed.hash);
    CHECK(after.pin.length == 905);
    CHECK(after.pin.generation == before.pin.generation + 1);  // voids a switch ticket
    CHECK(after.pin.pinned_at == 5000);                        // root's tags keep their meaning
    CHECK(after.pin.enrollment_id == before.pin.enrollment_id);
    CHECK(after.has_last);
    CHECK(after.last_accepted == 77);
    CHECK(after.used_recovery == 0b11);
    CHECK(after.failures == before.failures);
    CHECK(after.locked_until == before.locked_until);
    CHECK(after.retired_count == before.retired_count);
    CHECK_FALSE(after.pending.present);
    CHECK(after.asked_generation == after.pin.generation);  // today's prompts still count
    CHECK(after.asked_count == 2);
}
