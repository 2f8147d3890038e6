// What the user typed, obtained the way the options say: a prompt of its
// own, PAM_AUTHTOK (use_first_pass, try_first_pass), or one prompt for the
// password and the code (forward_pass), whose password goes on to the next
// module as PAM_AUTHTOK once it is known which part was the code.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "core/module_options.h"
#include "core/recovery_codes.h"
#include "core/result.h"
#include "core/state_record.h"
#include "module/enrollment_source.h"
#include "module/pam_handle.h"

namespace pam_totp {

struct TypedCode {
    // Normalized candidates: the first is judged as the one-time code, every
    // one as a recovery code, all as one attempt. One candidate except for
    // forward_pass input that fits several shapes (pam_totp(8)).
    std::vector<SecretBytes> codes;
    // forward_pass: the password that goes with each candidate, and the
    // whole input when it fits no shape (the password module fails it).
    std::vector<SecretBytes> passwords;
    std::optional<SecretBytes> unsplit;
    // try_first_pass judged PAM_AUTHTOK: remembered if it proves wrong.
    std::optional<TokenFingerprint> authtok_fingerprint;

    std::string_view first() const { return codes.empty() ? std::string_view() : codes[0].view(); }
};

// `judged` and `record` (the record read before the prompt) let
// try_first_pass recognise a PAM_AUTHTOK that was found not to be a code.
// An error when nothing was typed: its code is the conversation's PAM
// status, or PAM_AUTH_ERR (use_first_pass without PAM_AUTHTOK).
Result<TypedCode> read_code(const PamHandle& pam, const ModuleOptions& options, int digits,
                            const OpenedFile* judged, const UserState& record);

// forward_pass: sets PAM_AUTHTOK to the password that went with candidate
// `matched` (the first one when none matched). Other modes: nothing.
int forward_password(const PamHandle& pam, const ModuleOptions& options, const TypedCode& typed,
                     std::optional<std::size_t> matched);

// forward_pass under `optional` for a user who is not enrolled: the password
// alone, asked for and handed on.
int forward_password_only(const PamHandle& pam);

}  // namespace pam_totp
