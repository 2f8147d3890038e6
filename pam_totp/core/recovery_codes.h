// Single-use recovery codes: shown once at enrolment, kept only as salted
// hashes inside the sealed payload, accepted at the same prompt as a code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/secret_bytes.h"

namespace pam_totp {

constexpr int kRecoveryCodeCount = 10;
constexpr int kMaxRecoveryCodes = 32;  // the state file keeps a 32-bit used mask
constexpr std::size_t kRecoverySaltSize = 16;
using RecoveryHash = std::array<std::uint8_t, 32>;

struct RecoveryCodes {
    std::array<std::uint8_t, kRecoverySaltSize> salt{};
    std::vector<RecoveryHash> hashes;
};

// `count` fresh codes of the form "7KQ2-M9XD" (40 bits each, letters and
// digits without look-alikes, never all digits so they cannot be mistaken for
// an OTP) and their salted hashes.
std::vector<SecretBytes> generate_recovery_codes(int count);

// Upper-cases and drops spaces and dashes, so "7kq2 m9xd" matches "7KQ2-M9XD".
SecretBytes normalize_recovery_code(std::string_view typed);

// HMAC-SHA256(salt, normalized code).
RecoveryHash hash_recovery_code(const RecoveryCodes& codes, std::string_view typed);

using TokenFingerprint = std::array<std::uint8_t, 16>;

// A keyed fingerprint of a PAM_AUTHTOK that turned out not to be a code
// (try_first_pass), so the record can recognise the user's password without
// holding it.
TokenFingerprint token_fingerprint(const RecoveryCodes& codes, std::string_view token);

// Builds the salted hash set for `plain` codes with a fresh random salt.
RecoveryCodes make_recovery_codes(const std::vector<SecretBytes>& plain);

struct RecoveryMatch {
    std::optional<int> unused;  // index of the unused code `typed` matches
    bool used = false;          // `typed` is a code that was used already
};

// Compares against every code in constant time. `used_mask` bit i set =
// code i already used.
RecoveryMatch find_recovery_code(const RecoveryCodes& codes, std::string_view typed,
                                 std::uint32_t used_mask);

// Index of the unused code that `typed` matches (find_recovery_code().unused).
std::optional<int> match_recovery_code(const RecoveryCodes& codes, std::string_view typed,
                                       std::uint32_t used_mask);

}  // namespace pam_totp
