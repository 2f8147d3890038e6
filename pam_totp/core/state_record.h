// One user's replay/throttle state and its fixed-size on-disk slot encoding.
// The state file holds two slots; each carries a sequence number and a
// checksum so a torn write is detected and the other slot stands.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"

namespace pam_totp {

struct UserState {
    std::array<std::uint8_t, 16> enrollment_id{};  // binary form of the 32-hex id
    bool has_last = false;
    std::uint64_t last_accepted = 0;  // TOTP step or HOTP counter of the last success
    std::uint32_t failures = 0;       // consecutive wrong codes since the last success or lock
    std::uint32_t locks = 0;          // locks since the last success (doubles the lock time)
    std::int64_t locked_until = 0;    // unix seconds; 0 = not locked
    std::uint32_t used_recovery = 0;  // bit i: recovery code i used
    bool operator==(const UserState&) const = default;
};

constexpr std::size_t kSlotSize = 128;     // bytes encoded per slot
constexpr std::size_t kSlotStride = 4096;  // slot 1 starts here: one page each
constexpr std::size_t kStateFileSize = 2 * kSlotStride;

using Slot = std::array<std::uint8_t, kSlotSize>;

struct DecodedSlot {
    std::uint64_t sequence = 0;
    UserState state;
};

Slot encode_slot(const UserState& state, std::uint64_t sequence);
// nullopt for a slot that is all zeros, torn, or fails its checksum.
std::optional<DecodedSlot> decode_slot(std::span<const std::uint8_t> bytes);

struct CurrentState {
    std::optional<DecodedSlot> current;  // nullopt: no valid slot
    int next_slot = 0;                   // where the next write goes
};

// The valid slot with the higher sequence, and the other one as the target.
CurrentState pick_current(std::span<const std::uint8_t> slot0, std::span<const std::uint8_t> slot1);

// 32 hex digits <-> 16 bytes.
std::optional<std::array<std::uint8_t, 16>> parse_enrollment_id(const std::string& hex);

}  // namespace pam_totp
