#include "module/code_reader.h"

#include <openssl/crypto.h>

#include "core/code_input.h"
#include "core/messages.h"
#include "core/verifier.h"

namespace pam_totp {
namespace {

// A one-time code or a recovery code, by shape alone.
bool could_be_code(std::string_view token, int digits) {
    const SecretBytes normalized = normalize_typed_code(token);
    return looks_like_code(normalized.view(), digits) ||
           looks_like_recovery_code(normalized.view()) ||
           looks_like_code(normalized.view(), static_cast<int>(kImportedScratchLength));
}

// try_first_pass: PAM_AUTHTOK is taken as the code only if it could be one
// and is not the token the record remembers as the user's password. Either
// way one guess is judged per login: the token, or the prompt's answer.
std::optional<SecretBytes> first_pass_token(const PamHandle& pam, const ModuleOptions& options,
                                            int digits, const OpenedFile* judged,
                                            const UserState& record, TypedCode& typed) {
    auto token = pam.authtok();
    if (!token || options.password_mode != PasswordMode::try_first_pass) return token;
    if (!could_be_code(token->view(), digits)) return std::nullopt;
    if (!judged) return token;
    const TokenFingerprint fingerprint = token_fingerprint(judged->payload.recovery, token->view());
    if (record.has_password_fingerprint &&
        CRYPTO_memcmp(fingerprint.data(), record.password_fingerprint.data(), fingerprint.size()) ==
            0)
        return std::nullopt;  // the user's password, seen before: ask
    typed.authtok_fingerprint = fingerprint;
    return token;
}

Result<TypedCode> read_forward_pass(const PamHandle& pam, int digits) {
    auto answer = pam.ask(kForwardPassPrompt, false);
    if (!answer) return answer.error();
    TypedCode typed;
    for (PasswordAndCode& split : split_candidates(answer->view(), digits)) {
        typed.codes.push_back(normalize_typed_code(split.code.view()));
        typed.passwords.push_back(std::move(split.password));
    }
    if (typed.codes.empty()) typed.unsplit = std::move(*answer);
    return typed;
}

}  // namespace

Result<TypedCode> read_code(const PamHandle& pam, const ModuleOptions& options, int digits,
                            const OpenedFile* judged, const UserState& record) {
    TypedCode typed;
    const bool from_authtok = options.password_mode == PasswordMode::use_first_pass ||
                              options.password_mode == PasswordMode::try_first_pass;
    if (from_authtok) {
        if (auto token = first_pass_token(pam, options, digits, judged, record, typed)) {
            typed.codes.push_back(normalize_typed_code(token->view()));
            return typed;
        }
        if (options.password_mode == PasswordMode::use_first_pass)
            return Error{"no PAM_AUTHTOK for use_first_pass", PAM_AUTH_ERR};
    }
    if (options.password_mode == PasswordMode::forward_pass) return read_forward_pass(pam, digits);
    auto answer = pam.ask(options.prompt, options.echo_code);
    if (!answer) return answer.error();
    typed.codes.push_back(normalize_typed_code(answer->view()));
    return typed;
}

int forward_password(const PamHandle& pam, const ModuleOptions& options, const TypedCode& typed,
                     std::optional<std::size_t> matched) {
    if (options.password_mode != PasswordMode::forward_pass) return PAM_SUCCESS;
    if (typed.passwords.empty())
        return typed.unsplit ? pam.set_authtok(*typed.unsplit) : PAM_SUCCESS;
    const std::size_t index = matched && *matched < typed.passwords.size() ? *matched : 0;
    return pam.set_authtok(typed.passwords[index]);
}

int forward_password_only(const PamHandle& pam) {
    auto password = pam.ask(kPasswordPrompt, false);
    if (!password) return password.error().code;
    return pam.set_authtok(*password);
}

}  // namespace pam_totp
