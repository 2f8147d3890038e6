// What the user typed at the prompt, before any secret is involved.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/secret_bytes.h"

namespace pam_totp {

constexpr std::size_t kMaxTypedLength = 64;

// Drops spaces (people type "123 456"); anything longer than
// kMaxTypedLength is returned empty, i.e. it can match nothing.
SecretBytes normalize_typed_code(std::string_view typed);

// "XXXX-XXXX" (letters and digits): the shape of totp-enroll's recovery codes.
bool looks_like_recovery_code(std::string_view typed);

struct PasswordAndCode {
    SecretBytes password;
    SecretBytes code;
};

constexpr std::size_t kImportedScratchLength = 8;

// forward_pass: every way `typed` can end in something the module accepts,
// judged together as one attempt: the last `digits` digits (a one-time code,
// first when present), the last 8 digits (an imported google-authenticator
// scratch code) and a recovery code's shape. Empty when none fits.
std::vector<PasswordAndCode> split_candidates(std::string_view typed, int digits);

}  // namespace pam_totp
