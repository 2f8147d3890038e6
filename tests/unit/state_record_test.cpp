// The fixed-size state slot: encoding, corruption detection, slot choice.
#include "core/state_record.h"

#include <catch2/catch.hpp>

#include <openssl/sha.h>

#include <algorithm>

using namespace pam_totp;

namespace {

UserState sample_state() {
    UserState s;
    for (std::size_t i = 0; i < s.enrollment_id.size(); ++i)
        s.enrollment_id[i] = static_cast<std::uint8_t>(0xa0 + i);
    s.has_last = true;
    s.last_accepted = 0x0123456789abcdefULL;
    s.failures = 3;
    s.locks = 2;
    s.locked_until = 1795420123;
    s.used_recovery = 0x80000005u;
    return s;
}

const Slot kZeroSlot{};

}  // namespace

TEST_CASE("a slot decodes to the state and sequence it was encoded with", "[state_record]") {
    const UserState state = sample_state();
    const Slot slot = encode_slot(state, 42);
    const auto decoded = decode_slot(slot);
    REQUIRE(decoded);
    CHECK(decoded->sequence == 42);
    CHECK(decoded->state == state);

    const UserState fresh;
    const auto decoded_fresh = decode_slot(encode_slot(fresh, 0));
    REQUIRE(decoded_fresh);
    CHECK(decoded_fresh->state == fresh);
    CHECK_FALSE(decoded_fresh->state.has_last);

    UserState extreme = state;
    extreme.last_accepted = ~std::uint64_t{0};
    extreme.locked_until = -1;
    extreme.failures = extreme.locks = extreme.used_recovery = ~std::uint32_t{0};
    const auto decoded_extreme = decode_slot(encode_slot(extreme, ~std::uint64_t{0}));
    REQUIRE(decoded_extreme);
    CHECK(decoded_extreme->state == extreme);
    CHECK(decoded_extreme->sequence == ~std::uint64_t{0});
}

TEST_CASE("every single-byte corruption of a slot is detected", "[state_record]") {
    const Slot slot = encode_slot(sample_state(), 7);
    for (std::size_t i = 0; i < slot.size(); ++i) {
        for (const int mask : {0x01, 0x80, 0xff}) {
            Slot changed = slot;
            changed[i] = static_cast<std::uint8_t>(changed[i] ^ mask);
            INFO("byte " << i << ", mask " << mask);
            CHECK_FALSE(decode_slot(changed));
        }
    }
}

TEST_CASE("empty, short and torn slots are invalid", "[state_record]") {
    const Slot slot = encode_slot(sample_state(), 7);
    CHECK_FALSE(decode_slot(kZeroSlot));
    CHECK_FALSE(decode_slot(std::span(slot).first(kSlotSize - 1)));
    CHECK_FALSE(decode_slot({}));
    // A write that stopped part way: the start of the new slot over an old one.
    const Slot old_slot = encode_slot(UserState{}, 6);
    for (std::size_t cut = 1; cut < kSlotSize; ++cut) {
        Slot torn = old_slot;
        std::copy(slot.begin(), slot.begin() + static_cast<std::ptrdiff_t>(cut), torn.begin());
        if (torn == old_slot || torn == slot) continue;  // a whole slot, old or new
        INFO("torn after " << cut << " bytes");
        CHECK_FALSE(decode_slot(torn));
    }
}

TEST_CASE("pick_current takes the valid slot with the higher sequence", "[state_record]") {
    UserState a = sample_state();
    UserState b = sample_state();
    b.failures = 4;
    const Slot s5 = encode_slot(a, 5);
    const Slot s6 = encode_slot(b, 6);

    CurrentState c = pick_current(s5, s6);
    REQUIRE(c.current);
    CHECK(c.current->sequence == 6);
    CHECK(c.current->state == b);
    CHECK(c.next_slot == 0);

    c = pick_current(s6, s5);
    REQUIRE(c.current);
    CHECK(c.current->sequence == 6);
    CHECK(c.next_slot == 1);

    SECTION("a torn newer slot falls back to the older one") {
        Slot torn = s6;
        torn[40] ^= 0x10;
        c = pick_current(s5, torn);
        REQUIRE(c.current);
        CHECK(c.current->sequence == 5);
        CHECK(c.current->state == a);
        CHECK(c.next_slot == 1);  // overwrite the torn one, keep the good one
        c = pick_current(torn, s5);
        REQUIRE(c.current);
        CHECK(c.current->sequence == 5);
        CHECK(c.next_slot == 0);
    }
    SECTION("a fresh file: both slots empty") {
        c = pick_current(kZeroSlot, kZeroSlot);
        CHECK_FALSE(c.current);
        CHECK(c.next_slot == 0);
    }
    SECTION("only the first slot written so far") {
        c = pick_current(encode_slot(a, 1), kZeroSlot);
        REQUIRE(c.current);
        CHECK(c.current->sequence == 1);
        CHECK(c.next_slot == 1);
    }
}

TEST_CASE("alternating writes always keep the newest state", "[state_record]") {
    Slot slots[2] = {};
    for (std::uint64_t round = 1; round <= 6; ++round) {
        const CurrentState c = pick_current(slots[0], slots[1]);
        const std::uint64_t sequence = c.current ? c.current->sequence + 1 : 1;
        UserState s;
        s.failures = static_cast<std::uint32_t>(round);
        slots[c.next_slot] = encode_slot(s, sequence);
        const CurrentState after = pick_current(slots[0], slots[1]);
        REQUIRE(after.current);
        CHECK(after.current->state.failures == round);
        CHECK(after.next_slot != c.next_slot);
    }
}

TEST_CASE("enrollment ids parse from exactly 32 lower-case hex digits", "[state_record]") {
    const auto id = parse_enrollment_id("00112233445566778899aabbccddeeff");
    REQUIRE(id);
    CHECK((*id)[0] == 0x00);
    CHECK((*id)[1] == 0x11);
    CHECK((*id)[15] == 0xff);
    CHECK_FALSE(parse_enrollment_id("00112233445566778899AABBCCDDEEFF"));
    CHECK_FALSE(parse_enrollment_id("00112233445566778899aabbccddeef"));
    CHECK_FALSE(parse_enrollment_id("00112233445566778899aabbccddeeff0"));
    CHECK_FALSE(parse_enrollment_id("00112233445566778899aabbccddeefg"));
    CHECK_FALSE(parse_enrollment_id(""));
}

TEST_CASE("a version 2 slot round-trips every field of the record", "[state_record]") {
    UserState s = sample_state();
    s.has_uid = true;
    s.uid = 4000000000u;
    s.pin = PinRef{.present = true, .area = 1, .generation = 9, .length = 4096, .pinned_at = -3};
    s.pin.hash.fill(0x11);
    s.pin.enrollment_id.fill(0x22);
    s.asked_generation = 9;
    s.asked_since = 1795420000;
    s.asked_count = 3;
    s.tofu_closed = true;
    s.pending =
        PendingSwitch{.present = true, .length = 77, .step = 5, .generation = 9, .made_at = 8};
    s.pending.ticket.fill(0x33);
    s.pending.hash.fill(0x44);
    for (std::size_t i = 0; i < kRetiredCapacity; ++i)
        retire(s, EnrollmentId{static_cast<std::uint8_t>(i + 1)},
               Sha256{static_cast<std::uint8_t>(i)});
    const auto decoded = decode_slot(encode_slot(s, 99));
    REQUIRE(decoded);
    CHECK(decoded->sequence == 99);
    CHECK(decoded->state == s);
}

TEST_CASE("a version 1 slot decodes as a record without a pin, for migration", "[state_record]") {
    // The version 1 layout: magic, sequence, the counters, SHA-256 prefix.
    std::array<std::uint8_t, kLegacySlotSize> v1{};
    const char magic[] = "PTOTPS1\n";
    std::copy(magic, magic + 8, v1.begin());
    v1[8] = 5;                                       // sequence 5
    for (int i = 0; i < 16; ++i) v1[16 + i] = 0xab;  // enrollment-id
    v1[32] = 1;                                      // has_last
    v1[36] = 42;                                     // last_accepted
    v1[44] = 2;                                      // failures
    std::uint8_t digest[32];
    SHA256(v1.data(), kLegacySlotSize - 16, digest);
    std::copy(digest, digest + 16, v1.end() - 16);
    Slot slot{};
    std::copy(v1.begin(), v1.end(), slot.begin());
    const auto decoded = decode_slot(slot);
    REQUIRE(decoded);
    CHECK(decoded->sequence == 5);
    CHECK_FALSE(decoded->state.pin.present);
    CHECK(decoded->state.has_last);
    CHECK(decoded->state.last_accepted == 42);
    CHECK(decoded->state.failures == 2);
    CHECK(decoded->state.enrollment_id[0] == 0xab);
    slot[40] ^= 1;
    CHECK_FALSE(decode_slot(slot));
    // A version 2 slot with a higher sequence wins over it.
    const Slot v2 = encode_slot(UserState{}, 6);
    std::copy(v1.begin(), v1.end(), slot.begin());
    CHECK(pick_current(slot, v2).current->sequence == 6);
}
