// One user's record: replay/throttle state, the pinned enrolment it belongs
// to, a pending authenticator switch and the retired enrolments, in a
// fixed-size on-disk slot. The record file holds two slots; each carries a
// sequence number and a checksum so a torn write is detected and the other
// slot stands (see pam_totp(5), "Record file").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pam_totp {

using EnrollmentId = std::array<std::uint8_t, 16>;
using Sha256 = std::array<std::uint8_t, 32>;
using SwitchTicket = std::array<std::uint8_t, 16>;

Sha256 sha256_of(std::string_view bytes);

// Which trusted secret file the codes are checked against. The bytes live in
// one of the record file's two pin areas; the slot names the area and the
// SHA-256 of what must be found there.
struct PinRef {
    bool present = false;
    std::uint8_t area = 0;
    std::uint64_t generation = 0;  // +1 for every change of the pin
    Sha256 hash{};
    std::uint32_t length = 0;
    EnrollmentId enrollment_id{};
    // When the module pinned it, by root's clock (never the file's own
    // `created`, which its writer chose): root's tags must be newer.
    std::int64_t pinned_at = 0;
    bool operator==(const PinRef&) const = default;
};

// A switch that passed both prompts in pam_sm_authenticate and waits for
// pam_sm_setcred: the new file is already in the inactive pin area.
struct PendingSwitch {
    bool present = false;
    SwitchTicket ticket{};
    Sha256 hash{};
    std::uint32_t length = 0;
    std::uint64_t step = 0;        // the second code's TOTP step or HOTP counter
    std::uint64_t generation = 0;  // the pin generation it was made against
    std::int64_t made_at = 0;      // unix seconds; kept for kPendingSwitchLifetime
    bool operator==(const PendingSwitch&) const = default;
};

struct RetiredEnrollment {
    EnrollmentId enrollment_id{};
    Sha256 hash{};
    bool operator==(const RetiredEnrollment&) const = default;
};

constexpr std::size_t kRetiredCapacity = 12;
constexpr std::uint32_t kMaxSwitchPrompts = 3;  // per pin generation and day
constexpr std::int64_t kSwitchPromptPeriod = 24 * 3600;
constexpr std::int64_t kPendingSwitchLifetime = 120;  // confirm-to-setcred, seconds

struct UserState {
    EnrollmentId enrollment_id{};  // the enrolment the counters below belong to
    bool has_last = false;
    std::uint64_t last_accepted = 0;  // TOTP step or HOTP counter of the last success
    std::uint32_t failures = 0;       // consecutive wrong codes since the last success or lock
    std::uint32_t locks = 0;          // locks since the last success (doubles the lock time)
    std::int64_t locked_until = 0;    // unix seconds; 0 = not locked
    std::uint32_t used_recovery = 0;  // bit i: recovery code i used

    bool has_uid = false;  // the record belongs to this uid (names get reused)
    std::uint32_t uid = 0;
    PinRef pin;
    // Second prompts shown for this pin generation since asked_since.
    std::uint64_t asked_generation = 0;
    std::int64_t asked_since = 0;
    std::uint32_t asked_count = 0;
    // Set by root's --remove: no file is pinned on its own word again (trust
    // on first use is closed); only root's --pin or tag enrols the user.
    bool tofu_closed = false;
    // try_first_pass: the keyed fingerprint (token_fingerprint) of the last
    // PAM_AUTHTOK judged as a code and found wrong: the user's password, not
    // a code, so the next login with it asks for the code instead.
    bool has_password_fingerprint = false;
    std::array<std::uint8_t, 16> password_fingerprint{};

    // For the notice after the next success: code attempts refused since the
    // last success (wrong, or while locked), the last one's time and remote
    // host (truncated), and when the user last logged in.
    std::int64_t last_login = 0;
    std::uint32_t failed_since_login = 0;
    std::int64_t last_failure_at = 0;
    std::string last_failure_host;  // at most kMaxRecordedHost bytes
    PendingSwitch pending;
    // Enrolments that may never be pinned again (root's --remove, switches).
    std::array<RetiredEnrollment, kRetiredCapacity> retired{};
    std::uint32_t retired_count = 0;  // entries used; the oldest is dropped past capacity

    bool operator==(const UserState&) const = default;
};

// Adds an enrolment to the retired list (no-op if already there).
void retire(UserState& state, const EnrollmentId& id, const Sha256& hash);
bool is_retired(const UserState& state, const EnrollmentId& id, const Sha256& hash);

constexpr std::size_t kMaxRecordedHost = 63;
constexpr std::size_t kSlotSize = 1024;       // bytes encoded per slot
constexpr std::size_t kSlotStride = 4096;     // slot 1 starts here: one page each
constexpr std::size_t kLegacySlotSize = 128;  // version 1 slots, read for migration
constexpr std::size_t kPinAreaOffset = 2 * kSlotStride;
constexpr std::size_t kPinAreaStride = 8192;
constexpr std::size_t kMaxPinSize = 4096;  // a secret file's cap
constexpr std::size_t kStateFileSize = kPinAreaOffset + 2 * kPinAreaStride;

using Slot = std::array<std::uint8_t, kSlotSize>;

struct DecodedSlot {
    std::uint64_t sequence = 0;
    UserState state;
};

Slot encode_slot(const UserState& state, std::uint64_t sequence);
// nullopt for a slot that is all zeros, torn, or fails its checksum. A
// version 1 slot (the first kLegacySlotSize bytes) decodes to its counters
// with no pin.
std::optional<DecodedSlot> decode_slot(std::span<const std::uint8_t> bytes);

struct CurrentState {
    std::optional<DecodedSlot> current;  // nullopt: no valid slot
    int next_slot = 0;                   // where the next write goes
};

// The valid slot with the higher sequence, and the other one as the target.
CurrentState pick_current(std::span<const std::uint8_t> slot0, std::span<const std::uint8_t> slot1);

// 32 lower-case hex digits -> 16 bytes (enrollment-ids, switch tickets).
std::optional<EnrollmentId> parse_enrollment_id(const std::string& hex);

}  // namespace pam_totp
