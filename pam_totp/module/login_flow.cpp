#include "module/login_flow.h"

#include <syslog.h>

#include <algorithm>
#include <iterator>

#include "core/code_input.h"
#include "core/decoy_work.h"
#include "core/host_key_files.h"
#include "core/login_notice.h"
#include "core/messages.h"
#include "core/policy.h"
#include "core/record_ops.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "core/state_store.h"
#include "core/verifier.h"
#include "module/code_reader.h"
#include "module/enrollment_source.h"
#include "module/secret_file_reader.h"
#include "module/switch_flow.h"

namespace pam_totp {
namespace {

constexpr char kConfirmationCodeMessage[] =
    "This code confirmed your enrolment; wait for the next code from your app.";

// One attempt: the first candidate as the one-time code, every candidate as
// a recovery code. `matched` names the candidate that was right.
Attempt judge(const OpenedFile& file, const ModuleOptions& options, const UserState& state,
              std::int64_t now, const TypedCode& typed, std::optional<std::size_t>& matched) {
    const OtpParams& otp = file.parsed.header.otp;
    const std::span<const std::uint8_t> key = file.payload.key.span();
    Attempt attempt;
    if (otp.type == OtpType::totp) {
        attempt.otp = verify_totp(
            key, otp, now, options.window,
            state.has_last ? std::optional(state.last_accepted) : std::nullopt, typed.first());
    } else {
        const std::uint64_t next =
            state.has_last ? state.last_accepted + 1 : file.parsed.header.counter;
        attempt.otp = verify_hotp(key, otp, next, options.hotp_window, typed.first());
    }
    if (attempt.otp.verdict == Verdict::accepted) matched = 0;
    bool reused = false;
    for (std::size_t i = 0; i < typed.codes.size(); ++i) {
        const RecoveryMatch recovery =
            find_recovery_code(file.payload.recovery, typed.codes[i].view(), state.used_recovery);
        reused |= recovery.used;
        if (recovery.unused && !attempt.recovery) {
            attempt.recovery = recovery.unused;
            if (!matched) matched = i;
        }
    }
    attempt.recovery_reused = reused && !attempt.recovery;
    attempt.recovery_total = static_cast<int>(file.payload.recovery.hashes.size());
    return attempt;
}

// A refused code: the sentence the user sees and the syslog line.
int refuse(const PamHandle& pam, const std::string& told, int priority, const std::string& logged) {
    pam.tell_error(told);
    pam.log(priority, logged);
    return PAM_AUTH_ERR;
}

int report(const PamHandle& pam, const std::string& user, const Decision& d,
           std::uint32_t fail_limit, bool confirmation_code) {
    const std::string seconds = std::to_string(d.lock_seconds);
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
            // The first login right after totp-enroll: no cause for alarm.
            if (confirmation_code)
                return refuse(pam, kConfirmationCodeMessage, LOG_INFO,
                              "user " + user + " gave the code that confirmed the enrolment");
            return refuse(pam, kReplayMessage, LOG_WARNING,
                          "replayed verification code for user " + user);
        case Outcome::reused_recovery:
            return refuse(pam, "This recovery code was already used.", LOG_WARNING,
                          "used recovery code given again for user " + user);
        case Outcome::locked:
            return refuse(pam, "Too many wrong codes. Try again in " + seconds + " seconds.",
                          LOG_WARNING, "user " + user + " is locked for another " + seconds + " s");
        case Outcome::wrong:
            if (d.lock_seconds > 0)
                return refuse(pam, "Too many wrong codes. Locked for " + seconds + " seconds.",
                              LOG_WARNING,
                              "user " + user + " locked for " + seconds + " s after " +
                                  std::to_string(fail_limit) + " wrong codes");
            return refuse(pam, kWrongCodeMessage, LOG_NOTICE,
                          "wrong verification code for user " + user + " (" +
                              std::to_string(d.next.failures) + " in a row)");
    }
    return PAM_AUTH_ERR;
}

// su, sudo and polkit talk to the user through the user's own session, so
// malware there could relay the user's code and answer the second prompt
// with its own authenticator: they switch only with an explicit switch=on.
bool service_may_switch(const PamHandle& pam, const ModuleOptions& options) {
    if (options.switch_setting == SwitchSetting::on) return true;
    if (options.switch_setting == SwitchSetting::off) return false;
    const auto service = pam.service();
    static constexpr std::string_view kRelayable[] = {"su",       "su-l",    "sudo",      "sudo-i",
                                                      "polkit-1", "runuser", "runuser-l", "doas"};
    return !service || std::find(std::begin(kRelayable), std::end(kRelayable), *service) ==
                           std::end(kRelayable);
}

// Whether the second prompt may be shown after a right code, and the
// bookkeeping that caps it: kMaxSwitchPrompts per pin generation and day,
// however often the file is re-sealed.
SwitchOffer switch_offer(const PamHandle& pam, const ModuleOptions& options, UserState& next,
                         std::int64_t now) {
    if (!service_may_switch(pam, options)) return SwitchOffer::disabled;
    if (options.password_mode != PasswordMode::prompt) return SwitchOffer::single_prompt;
    if (next.asked_generation != next.pin.generation ||
        now - next.asked_since >= kSwitchPromptPeriod || now < next.asked_since) {
        next.asked_generation = next.pin.generation;
        next.asked_since = now;
        next.asked_count = 0;
    }
    if (next.asked_count >= kMaxSwitchPrompts) return SwitchOffer::capped;
    ++next.asked_count;
    return SwitchOffer::ask;
}

struct Judgement {
    Decision decision;
    SwitchOffer offer = SwitchOffer::disabled;
    bool confirmation_code = false;      // replayed: the code totp-enroll's confirmation used
    std::optional<std::size_t> matched;  // the candidate that was right
    LoginNotice notice;                  // accepted: what to tell the user
};

// Under the record's lock: check that the pin is still the one planned
// with, adopt a file root vouches for (or the first one), judge the code
// and store the new state (one fdatasync; two when the pin changes). The
// lock spans read-to-write, so two logins with one code cannot both
// succeed; it is released before the caller talks to the client, so a
// stalled client cannot hold up the user's other logins.
std::optional<Judgement> verify_and_record(const PamHandle& pam, const ModuleOptions& options,
                                           const std::string& user, const Account& account,
                                           const LoginPlan& plan, const TypedCode& typed,
                                           Clock clock) {
    auto store = LockedStateFile::open(options.statedir, user);
    if (!store) {
        pam.log(LOG_ERR, "state for user " + user + ": " + store.error().message);
        return std::nullopt;
    }
    // The time of the decision, under the lock: a login that waited at its
    // prompt must not judge or store with the time it started.
    const std::int64_t now = clock();
    if (!(store->state().pin == plan.snapshot.pin)) {
        pam.log(LOG_WARNING, "user " + user + ": the pinned enrolment changed during the login");
        return std::nullopt;
    }
    const OpenedFile& file = *plan.judged();
    const auto id = parse_enrollment_id(file.parsed.header.enrollment_id);
    if (!id) return std::nullopt;  // parse_secret_file guarantees the form
    UserState state = store->state();
    const bool adopting = plan.decision == PinDecision::adopt_now;
    if (adopting) {
        if (auto current = check_sealed_to_current_key(options, file); !current) {
            pam.log(LOG_WARNING,
                    "not pinning the enrolment of user " + user + ": " + current.error().message);
            return std::nullopt;
        }
        if (auto staged = store->stage_pin(file.bytes); !staged) {
            pam.log(LOG_ERR,
                    "cannot pin the enrolment of user " + user + ": " + staged.error().message);
            return std::nullopt;
        }
        state = with_new_pin(
            state, PinnedFile{*id, file.hash, static_cast<std::uint32_t>(file.bytes.size())},
            store->free_area(), now);
    }
    state.has_uid = true;
    state.uid = static_cast<std::uint32_t>(account.uid);
    // A switch that pam_setcred never completed expires; a younger one
    // stays, so other logins (an attacker's failing `su`) cannot drop it.
    if (state.pending.present && now - state.pending.made_at > kPendingSwitchLifetime)
        state.pending = PendingSwitch{};
    if (!state.has_last && file.parsed.header.used_step) {
        // The confirmation code typed at enrolment counts as used.
        state.has_last = true;
        state.last_accepted = *file.parsed.header.used_step;
    }
    const ThrottlePolicy policy{static_cast<std::uint32_t>(options.fail_limit), options.fail_lock,
                                kMaxLockSeconds};
    Judgement verdict;
    const Attempt attempt = judge(file, options, state, now, typed, verdict.matched);
    verdict.decision = decide(state, attempt, policy, now);
    if (verdict.decision.outcome == Outcome::wrong && typed.authtok_fingerprint) {
        // try_first_pass judged PAM_AUTHTOK and it was no code: the user's
        // password. The next login with it asks for the code instead.
        verdict.decision.next.has_password_fingerprint = true;
        verdict.decision.next.password_fingerprint = *typed.authtok_fingerprint;
    }
    verdict.confirmation_code = attempt.otp.verdict == Verdict::replayed &&
                                file.parsed.header.used_step &&
                                attempt.otp.counter == *file.parsed.header.used_step;
    const Outcome outcome = verdict.decision.outcome;
    if (outcome == Outcome::accepted || outcome == Outcome::accepted_recovery)
        verdict.notice =
            note_success(verdict.decision.next, state, now, attempt, file.parsed.header.otp);
    if (outcome == Outcome::wrong || outcome == Outcome::locked)
        note_refused_attempt(verdict.decision.next, now, pam.rhost().value_or(""));
    if (plan.decision == PinDecision::offer_switch &&
        (outcome == Outcome::accepted || outcome == Outcome::accepted_recovery))
        verdict.offer = switch_offer(pam, options, verdict.decision.next, now);
    if (options.debug)
        pam.log(LOG_DEBUG, "user " + user + ": state " + store->path() + ", " +
                               std::to_string(verdict.decision.next.failures) + " failures, " +
                               std::to_string(verdict.decision.next.locks) + " locks");

    if (!(verdict.decision.next == store->state())) {
        if (auto status = store->commit(verdict.decision.next); !status) {
            // Without a durable record replay protection would be lost.
            pam.log(LOG_ERR,
                    "cannot record state for user " + user + ": " + status.error().message);
            return std::nullopt;
        }
    }
    if (adopting)
        pam.log(LOG_NOTICE, "user " + user + ": pinned the enrolment in " + plan.path +
                                " (enrollment-id " + file.parsed.header.enrollment_id + ")");
    return verdict;
}

// A user who cannot log in with a code (unknown, not enrolled, or refused)
// costs what an enrolled user with a wrong code does, so the time an answer
// takes does not tell who is enrolled (core/decoy_work.h). Configuration
// faults are not disguised: they fail every login alike.
bool disguise_refusal(const LoginPlan& plan) {
    return !plan.judged() && plan.failure_code == PAM_AUTH_ERR;
}

// Before the prompt: what loading the host key and unsealing the file cost,
// unless the host key was already tried on the user's file.
void open_decoy(const LoginPlan& plan, const ModuleOptions& options) {
    if (plan.unsealed) return;
    if (auto host_key = load_host_private_key(options.hostkey)) (void)unseal_decoy(*host_key);
}

// After the code: the HMACs of the code check and one durable write.
void record_decoy(const PamHandle& pam, const ModuleOptions& options, std::int64_t now,
                  std::string_view typed) {
    verify_decoy(now, options.window, typed);
    if (auto status = write_decoy_state(options.statedir); !status)
        pam.log(LOG_ERR, "decoy state: " + status.error().message);
}

// max_age: an enrolment older than that many days logs in no more, unless
// this very login confirmed a new authenticator; its last week is announced.
int check_age(const PamHandle& pam, const std::string& user, const ModuleOptions& options,
              const LoginPlan& plan, bool switched, std::int64_t now) {
    if (options.max_age_days <= 0 || switched) return PAM_SUCCESS;
    const OpenedFile& file = *plan.judged();
    // The file's own `created` may only make it older: its writer chose it.
    std::int64_t started = file.parsed.header.created;
    if (plan.decision != PinDecision::adopt_now && plan.snapshot.pin.present)
        started = std::min(started, plan.snapshot.pin.pinned_at);
    const EnrollmentAge age = enrollment_age(started, now, options.max_age_days);
    if (age.expired) {
        pam.tell_error("Your authenticator enrolment is older than " +
                       std::to_string(options.max_age_days) +
                       " days. Run totp-enroll --force, then log in again where the code is "
                       "asked on its own to switch to the new one.");
        pam.log(LOG_NOTICE, "refused user " + user + ": enrolment older than max_age=" +
                                std::to_string(options.max_age_days) + " days");
        return PAM_AUTH_ERR;
    }
    if (age.days_left)
        pam.tell_info("Your authenticator enrolment expires in " + std::to_string(*age.days_left) +
                      (*age.days_left == 1 ? " day" : " days") +
                      "; run totp-enroll --force to renew it.");
    return PAM_SUCCESS;
}

LoginPlan unknown_user_plan() {
    LoginPlan plan;
    plan.note = "unknown user";
    return plan;
}

}  // namespace

int authenticate(const PamHandle& pam, const ModuleOptions& options, Clock clock) {
    // Only this module sets the switch ticket, and only after this point;
    // one that arrives from elsewhere (pam_env's user files) is dropped.
    pam.unset_env(kSwitchTicketVariable);
    const auto user = pam.user();
    if (!user) {
        pam.log(LOG_ERR, user.error().message);
        return user.error().code == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_USER_UNKNOWN;
    }
    // A failed lookup ends like an unknown user: prompted and refused, so
    // nobody can enumerate users.
    const Result<Account> account = find_account(*user);
    LoginPlan plan = unknown_user_plan();
    if (account && account->name != *user) {
        // NSS may map "Alice" to "alice"; %u and the record must then not
        // see a different name than the password module does.
        plan.note =
            "user name is not the canonical \"" + account->name + "\" of the password database";
    } else if (account) {
        plan = plan_login(pam, options, *user, *account, clock());
    }

    if (plan.decision == PinDecision::not_enrolled && options.optional) {
        // forward_pass: the password module after this one reads the
        // password from PAM_AUTHTOK, so ask for it (no code to ask for).
        if (options.password_mode == PasswordMode::forward_pass) {
            if (const int forwarded = forward_password_only(pam); forwarded != PAM_SUCCESS)
                return forwarded;
        }
        if (options.debug)
            pam.log(LOG_DEBUG,
                    "user " + *user + " not enrolled (" + plan.note + "), optional: ignored");
        return PAM_IGNORE;
    }
    if (plan.judged() && !plan.note.empty())
        pam.log(LOG_NOTICE, "user " + *user + ": " + plan.note + "; checking the pinned enrolment");

    if (disguise_refusal(plan)) open_decoy(plan, options);

    // Everyone else is asked, enrolled or not, so the prompt reveals nothing.
    const int digits = plan.judged() ? plan.judged()->parsed.header.otp.digits : kMinDigits;
    const Result<TypedCode> read = read_code(pam, options, digits, plan.judged(), plan.snapshot);
    if (!read) {
        if (read.error().code == PAM_CONV_ERR || read.error().code == PAM_BUF_ERR) {
            pam.log(LOG_ERR, "conversation failed for user " + *user);
            return PAM_CONV_ERR;
        }
        pam.log(LOG_NOTICE, "no verification code for user " + *user);
        return PAM_AUTH_ERR;
    }
    const TypedCode& typed = *read;
    if (!plan.judged()) {
        if (disguise_refusal(plan)) record_decoy(pam, options, clock(), typed.first());
        // An unknown name may be a password typed into the user field: it
        // is not logged (as pam_unix does not).
        const std::string who = account ? "user " + *user : "an unknown user";
        const bool not_enrolled = plan.decision == PinDecision::not_enrolled;
        if (disguise_refusal(plan)) pam.tell_error(kWrongCodeMessage);
        pam.log(not_enrolled ? LOG_NOTICE : LOG_ERR,
                "refused " + who + ": " +
                    (not_enrolled ? "not enrolled (" + plan.note + ")" : plan.note));
        (void)forward_password(pam, options, typed, std::nullopt);
        return plan.failure_code;
    }
    const std::optional<Judgement> verdict =
        verify_and_record(pam, options, *user, *account, plan, typed, clock);
    // The password module after this one gets the password that went with
    // the part that was right, or the first split when nothing was.
    const int forwarded =
        forward_password(pam, options, typed, verdict ? verdict->matched : std::nullopt);
    if (!verdict) return PAM_AUTH_ERR;
    int result = report(pam, *user, verdict->decision,
                        static_cast<std::uint32_t>(options.fail_limit), verdict->confirmation_code);
    if (result == PAM_SUCCESS)
        for (const std::string& line : notice_lines(verdict->notice)) pam.tell_info(line);
    if (forwarded != PAM_SUCCESS) {
        pam.log(LOG_ERR, "cannot hand the password on for user " + *user);
        result = PAM_AUTH_ERR;
    }
    if (result != PAM_SUCCESS) return result;
    const bool switched =
        plan.decision == PinDecision::offer_switch &&
        offer_switch(pam, *user, options, plan, verdict->offer, typed.first(), clock);
    return check_age(pam, *user, options, plan, switched, clock());
}

}  // namespace pam_totp
