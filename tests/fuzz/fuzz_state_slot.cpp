// Record slots: what the module reads back from /var/lib/pam_totp after a
// crash, a torn write or disk corruption. Raw input goes to the decoder and to
// slot selection as-is; copies with the magic and checksum of each version
// repaired go through again, because the fuzzer cannot forge SHA-256 and
// would otherwise never reach the field decoding behind it (version 2: pin,
// pending switch, retired list; version 1: the counters, for migration).
#include <openssl/sha.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/state_record.h"
#include "fuzz_common.h"

using namespace pam_totp;

namespace {

constexpr std::size_t kChecksumSize =
    16;  // state_record.cpp: truncated SHA-256 at the end of a slot

void repair(std::uint8_t* slot, const char* magic, std::size_t size) {
    std::memcpy(slot, magic, 8);
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(slot, size - kChecksumSize, digest);
    std::memcpy(slot + size - kChecksumSize, digest, kChecksumSize);
}

// Decoding is the inverse of encoding for every slot that decodes.
void check_round_trip(const DecodedSlot& d) {
    const Slot again = encode_slot(d.state, d.sequence);
    const auto back = decode_slot(again);
    FUZZ_CHECK(back && back->sequence == d.sequence && back->state == d.state);
}

void check_pick(std::span<const std::uint8_t> s0, std::span<const std::uint8_t> s1) {
    const auto a = decode_slot(s0);
    const auto b = decode_slot(s1);
    const CurrentState cur = pick_current(s0, s1);
    // A valid slot is never lost; the newer one wins; the write goes to the other slot.
    FUZZ_CHECK(cur.current.has_value() == (a.has_value() || b.has_value()));
    FUZZ_CHECK(cur.next_slot == 0 || cur.next_slot == 1);
    if (a && b) {
        FUZZ_CHECK(cur.current->sequence == std::max(a->sequence, b->sequence));
    }
    if (cur.current && a && !b) FUZZ_CHECK(cur.next_slot == 1);
    if (cur.current && b && !a) FUZZ_CHECK(cur.next_slot == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> raw(data, size);
    if (auto d = decode_slot(raw)) check_round_trip(*d);

    // Two slots from the input (the second may be short or empty).
    const std::size_t half = std::min(size, kSlotSize);
    check_pick(raw.first(half), raw.subspan(half));

    // Same bytes with a valid checksum, laid out as the state file does.
    std::vector<std::uint8_t> fixed(2 * kSlotSize, 0);
    std::copy_n(data, std::min(size, fixed.size()), fixed.begin());
    repair(fixed.data(), "PTOTPS2\n", kSlotSize);
    repair(fixed.data() + kSlotSize, "PTOTPS1\n", kLegacySlotSize);
    const std::span<const std::uint8_t> s0(fixed.data(), kSlotSize),
        s1(fixed.data() + kSlotSize, kSlotSize);
    if (auto d = decode_slot(s0)) check_round_trip(*d);
    if (auto d = decode_slot(s1)) check_round_trip(*d);
    check_pick(s0, s1);
    // Whatever a valid slot says, the retired list and pin stay in bounds.
    if (auto d = decode_slot(s0)) {
        FUZZ_CHECK(d->state.retired_count <= kRetiredCapacity && d->state.pin.area <= 1 &&
                   d->state.pin.length <= kMaxPinSize);
        (void)is_retired(d->state, d->state.pin.enrollment_id, d->state.pin.hash);
    }
    return 0;
}
