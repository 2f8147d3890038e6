#include "module/login_flow.h"

#include <syslog.h>

#include <ctime>

#include "core/code_input.h"
#include "core/decoy_work.h"
#include "core/host_key_files.h"
#include "core/policy.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "core/state_store.h"
#include "core/verifier.h"
#include "module/user_account.h"

namespace pam_totp {
namespace {

constexpr char kReplayMessage[] =
    "This code was already used. If that was not you, change your password.";
constexpr char kForwardPassPrompt[] = "Password & verification code: ";

// What we know about the user's enrolment before asking anything.
struct Enrolment {
    bool exists = false;        // a readable, well-formed, openable secret file
    bool not_enrolled = false;  // a known user without a secret file
    bool unsealed = false;      // the host key was loaded and tried on the file
    int failure_code = PAM_AUTH_ERR;
    std::string refusal;  // syslog reason when !exists && !not_enrolled
    ParsedSecretFile file;
    SecretPayload payload;
};

Enrolment refused(std::string reason, int code = PAM_AUTH_ERR) {
    Enrolment e;
    e.refusal = std::move(reason);
    e.failure_code = code;
    return e;
}

Enrolment load_enrolment(const PamHandle& pam, const ModuleOptions& options,
                         const std::string& user, const std::optional<Account>& account) {
    if (!account) return refused("unknown user");
    // NSS may map "Alice" to "alice"; %u and the state file must then not
    // see a different name than the password module does.
    if (account->name != user)
        return refused("user name is not the canonical \"" + account->name +
                       "\" of the password database");
    auto path = expand_secret_path(options.secret, user, account->home);
    if (!path) return refused("secret path: " + path.error(), PAM_AUTHINFO_UNAVAIL);
    SecretFileRead read = read_secret_file_as(pam.get(), *account, *path);
    if (read.state == SecretFileState::missing) {
        Enrolment e;
        e.not_enrolled = true;
        e.refusal = "not enrolled (no " + *path + ")";
        return e;
    }
    if (read.state == SecretFileState::refused)
        return refused("secret file refused: " + read.reason);

    auto parsed = parse_secret_file(read.content.view());
    if (!parsed) return refused("secret file " + *path + ": " + parsed.error());
    if (parsed->header.user != user)
        return refused("secret file " + *path + " belongs to user \"" + parsed->header.user + "\"");
    auto host_key = load_host_private_key(options.hostkey);
    if (!host_key) return refused(host_key.error(), PAM_AUTHINFO_UNAVAIL);
    auto payload = open_secret_file(*parsed, *host_key);
    if (!payload) {
        Enrolment e = refused("secret file " + *path + ": " + payload.error());
        e.unsealed = true;
        return e;
    }

    if (options.debug)
        pam.log(LOG_DEBUG, "user " + user + ": opened " + *path + " (" +
                               std::string(otp_type_name(parsed->header.otp.type)) + ", " +
                               std::string(algorithm_name(parsed->header.otp.algorithm)) + ", " +
                               std::to_string(parsed->header.otp.digits) + " digits)");
    Enrolment e;
    e.exists = true;
    e.file = std::move(*parsed);
    e.payload = std::move(*payload);
    return e;
}

// A one-time code or a recovery code, by shape alone.
bool could_be_code(std::string_view token, int digits) {
    const SecretBytes normalized = normalize_typed_code(token);
    return looks_like_code(normalized.view(), digits) ||
           looks_like_recovery_code(normalized.view());
}

struct TypedCode {
    std::optional<SecretBytes> code;
    int status = PAM_SUCCESS;
};

// Obtains the code the way the options say; forward_pass also hands the
// password on to the next module as PAM_AUTHTOK.
TypedCode read_code(const PamHandle& pam, const ModuleOptions& options, int digits) {
    TypedCode typed;
    const bool from_authtok = options.password_mode == PasswordMode::use_first_pass ||
                              options.password_mode == PasswordMode::try_first_pass;
    if (from_authtok) {
        auto token = pam.authtok();
        // try_first_pass takes the token only if it could be a code; a
        // password there would otherwise count as a wrong code every login.
        if (token && options.password_mode == PasswordMode::try_first_pass &&
            !could_be_code(token->view(), digits))
            token.reset();
        if (token) {
            typed.code = std::move(*token);
            return typed;
        }
        if (options.password_mode == PasswordMode::use_first_pass) {
            typed.status = PAM_AUTH_ERR;
            return typed;
        }
    }
    if (options.password_mode == PasswordMode::forward_pass) {
        auto answer = pam.ask(kForwardPassPrompt, false, typed.status);
        if (!answer) return typed;
        auto split = split_password_and_code(answer->view(), digits);
        // Unsplittable input still goes on as the password, so the password
        // module fails it on its own terms; this module fails it too.
        typed.status = pam.set_authtok(split ? split->password : *answer);
        if (typed.status == PAM_SUCCESS && split) typed.code = std::move(split->code);
        if (typed.status == PAM_SUCCESS && !split) typed.code = SecretBytes();
        return typed;
    }
    typed.code = pam.ask(options.prompt, options.echo_code, typed.status);
    return typed;
}

Attempt judge(const Enrolment& e, const ModuleOptions& options, const UserState& state,
              std::int64_t now, std::string_view typed) {
    const OtpParams& otp = e.file.header.otp;
    const std::span<const std::uint8_t> key = e.payload.key.span();
    Attempt attempt;
    if (otp.type == OtpType::totp) {
        attempt.otp =
            verify_totp(key, otp, now, options.window,
                        state.has_last ? std::optional(state.last_accepted) : std::nullopt, typed);
    } else {
        const std::uint64_t next = state.has_last ? state.last_accepted + 1 : e.file.header.counter;
        attempt.otp = verify_hotp(key, otp, next, options.hotp_window, typed);
    }
    attempt.recovery = match_recovery_code(e.payload.recovery, typed, state.used_recovery);
    attempt.recovery_total = static_cast<int>(e.payload.recovery.hashes.size());
    return attempt;
}

int report(const PamHandle& pam, const std::string& user, const Decision& d,
           std::uint32_t fail_limit) {
    switch (d.outcome) {
        case Outcome::accepted:
            pam.log(LOG_INFO, "accepted verification code for user " + user);
            return PAM_SUCCESS;
        case Outcome::accepted_recovery:
            pam.tell_info("Recovery code accepted. " + std::to_string(d.recovery_remaining) +
                          " recovery codes left; run totp-enroll --force to make new ones.");
            pam.log(LOG_NOTICE, "accepted recovery code for user " + user + ", " +
                                    std::to_string(d.recovery_remaining) + " left");
            return PAM_SUCCESS;
        case Outcome::replayed:
            pam.tell_error(kReplayMessage);
            pam.log(LOG_WARNING, "replayed verification code for user " + user);
            return PAM_AUTH_ERR;
        case Outcome::locked:
            pam.tell_error("Too many wrong codes. Try again in " + std::to_string(d.lock_seconds) +
                           " seconds.");
            pam.log(LOG_WARNING, "user " + user + " is locked for another " +
                                     std::to_string(d.lock_seconds) + " s");
            return PAM_AUTH_ERR;
        case Outcome::wrong:
            if (d.lock_seconds > 0) {
                pam.tell_error("Too many wrong codes. Locked for " +
                               std::to_string(d.lock_seconds) + " seconds.");
                pam.log(LOG_WARNING, "user " + user + " locked for " +
                                         std::to_string(d.lock_seconds) + " s after " +
                                         std::to_string(fail_limit) + " wrong codes");
            } else {
                pam.log(LOG_NOTICE, "wrong verification code for user " + user + " (" +
                                        std::to_string(d.next.failures) + " in a row)");
            }
            return PAM_AUTH_ERR;
    }
    return PAM_AUTH_ERR;
}

// Under the state file's lock: judge the code and store the new state (one
// fdatasync). The lock spans read-to-write, so two logins with one code
// cannot both succeed; it is released before the caller talks to the client,
// so a stalled client cannot hold up the user's other logins.
std::optional<Decision> verify_and_record(const PamHandle& pam, const ModuleOptions& options,
                                          const std::string& user, const Enrolment& e,
                                          std::string_view typed) {
    auto store = LockedStateFile::open(options.statedir, user);
    if (!store) {
        pam.log(LOG_ERR, "state for user " + user + ": " + store.error());
        return std::nullopt;
    }
    const auto enrollment_id = parse_enrollment_id(e.file.header.enrollment_id);
    if (!enrollment_id) return std::nullopt;  // parse_secret_file guarantees the form
    UserState state = state_for_enrollment(store->state(), *enrollment_id);
    if (!state.has_last && e.file.header.used_step) {
        // The confirmation code typed at enrolment counts as used.
        state.has_last = true;
        state.last_accepted = *e.file.header.used_step;
    }
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const ThrottlePolicy policy{static_cast<std::uint32_t>(options.fail_limit), options.fail_lock,
                                kMaxLockSeconds};
    const Decision decision = decide(state, judge(e, options, state, now, typed), policy, now);
    if (options.debug)
        pam.log(LOG_DEBUG, "user " + user + ": state " + store->path() + ", " +
                               std::to_string(decision.next.failures) + " failures, " +
                               std::to_string(decision.next.locks) + " locks");

    if (!(decision.next == store->state())) {
        if (auto status = store->commit(decision.next); !status) {
            // Without a durable record replay protection would be lost.
            pam.log(LOG_ERR, "cannot record state for user " + user + ": " + status.error());
            return std::nullopt;
        }
    }
    return decision;
}

// A user who cannot log in with a code (unknown, not enrolled, or refused)
// costs what an enrolled user with a wrong code does, so the time an answer
// takes does not tell who is enrolled (core/decoy_work.h). Configuration
// faults are not disguised: they fail every login alike.
bool disguise_refusal(const Enrolment& e) {
    return !e.exists && e.failure_code == PAM_AUTH_ERR;
}

// Before the prompt: what loading the host key and unsealing the file cost,
// unless the host key was already tried on the user's file (a damaged file,
// or one sealed to another host key).
void open_decoy(const Enrolment& e, const ModuleOptions& options) {
    if (e.unsealed) return;
    if (auto host_key = load_host_private_key(options.hostkey)) (void)unseal_decoy(*host_key);
}

// After the code: the HMACs of the code check and one durable write.
void record_decoy(const PamHandle& pam, const ModuleOptions& options, std::string_view typed) {
    verify_decoy(static_cast<std::int64_t>(std::time(nullptr)), options.window, typed);
    if (auto status = write_decoy_state(options.statedir); !status)
        pam.log(LOG_ERR, "decoy state: " + status.error());
}

}  // namespace

int authenticate(const PamHandle& pam, const ModuleOptions& options) {
    int status = PAM_SUCCESS;
    const auto user = pam.user(status);
    if (!user) {
        pam.log(LOG_ERR, "cannot determine the user name");
        return status == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_USER_UNKNOWN;
    }
    const std::optional<Account> account = find_account(*user);
    Enrolment enrolment = load_enrolment(pam, options, *user, account);

    if (enrolment.not_enrolled && options.optional) {
        if (options.debug)
            pam.log(LOG_DEBUG, "user " + *user + " " + enrolment.refusal + ", optional: ignored");
        return PAM_IGNORE;
    }

    if (disguise_refusal(enrolment)) open_decoy(enrolment, options);

    // Everyone else is asked, enrolled or not, so the prompt reveals nothing.
    const int digits = enrolment.exists ? enrolment.file.header.otp.digits : kMinDigits;
    TypedCode typed = read_code(pam, options, digits);
    if (!typed.code) {
        if (typed.status == PAM_CONV_ERR || typed.status == PAM_BUF_ERR) {
            pam.log(LOG_ERR, "conversation failed for user " + *user);
            return PAM_CONV_ERR;
        }
        pam.log(LOG_NOTICE, "no verification code for user " + *user);
        return PAM_AUTH_ERR;
    }
    const SecretBytes code = normalize_typed_code(typed.code->view());
    if (!enrolment.exists) {
        if (disguise_refusal(enrolment)) record_decoy(pam, options, code.view());
        // An unknown name may be a password typed into the user field: it
        // is not logged (as pam_unix does not).
        const std::string who = account ? "user " + *user : "an unknown user";
        pam.log(enrolment.not_enrolled ? LOG_NOTICE : LOG_ERR,
                "refused " + who + ": " + enrolment.refusal);
        return enrolment.failure_code;
    }
    const std::optional<Decision> decision =
        verify_and_record(pam, options, *user, enrolment, code.view());
    if (!decision) return PAM_AUTH_ERR;
    return report(pam, *user, *decision, static_cast<std::uint32_t>(options.fail_limit));
}

}  // namespace pam_totp
