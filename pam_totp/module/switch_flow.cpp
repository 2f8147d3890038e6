#include "module/switch_flow.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <syslog.h>

#include "core/code_input.h"
#include "core/record_ops.h"
#include "core/state_store.h"
#include "core/verifier.h"

namespace pam_totp {
namespace {

constexpr char kNewCodePrompt[] = "Code from your NEW authenticator (Enter to skip): ";
constexpr char kWaitingMessage[] =
    "A new authenticator is waiting to replace your current one. If you did not set it up, "
    "change your password now.";
// Narrow on purpose: the new authenticator was set up moments ago.
constexpr int kSwitchTotpWindow = 1;
constexpr int kSwitchHotpLookAhead = 2;

// Returns false: the switch was not confirmed.
bool tell_waiting(const PamHandle& pam, const std::string& user, const std::string& detail) {
    pam.tell_info(kWaitingMessage);
    pam.log(LOG_WARNING, "user " + user + ": a new authenticator is waiting and was not adopted (" +
                             detail + ")");
    return false;
}

// The new authenticator's code: exactly its digits, never a recovery code,
// never the first answer again, in a narrow window. Returns the step/counter.
std::optional<std::uint64_t> check_new_code(const OpenedFile& proposal, std::string_view code,
                                            std::string_view first_answer, std::int64_t now) {
    const OtpParams& otp = proposal.parsed.header.otp;
    if (!looks_like_code(code, otp.digits)) return std::nullopt;
    if (equal_constant_time(code, first_answer)) return std::nullopt;
    const Verification v =
        otp.type == OtpType::totp
            ? verify_totp(proposal.payload.key.span(), otp, now, kSwitchTotpWindow,
                          proposal.parsed.header.used_step, code)
            : verify_hotp(proposal.payload.key.span(), otp, proposal.parsed.header.counter,
                          kSwitchHotpLookAhead, code);
    if (v.verdict != Verdict::accepted) return std::nullopt;
    return v.counter;
}

// Writes the proposal into the free pin area and names it as pending in the
// record, with a fresh ticket; the pin itself does not move yet.
Result<SwitchTicket> stage_switch(const ModuleOptions& options, const std::string& user,
                                  const LoginPlan& plan, std::uint64_t step, std::int64_t now) {
    auto store = LockedStateFile::open(options.statedir, user);
    if (!store) return store.error();
    const UserState& state = store->state();
    if (!(state.pin == plan.snapshot.pin))
        return Error{"the pinned enrolment changed during the login"};
    if (auto current = check_sealed_to_current_key(options, *plan.proposal); !current)
        return current.error();
    SwitchTicket ticket{};
    if (RAND_bytes(ticket.data(), static_cast<int>(ticket.size())) != 1)
        return Error{"the random generator failed"};
    if (auto status = store->stage_pin(plan.proposal->bytes); !status) return status.error();
    UserState next = state;
    next.pending = PendingSwitch{.present = true,
                                 .ticket = ticket,
                                 .hash = plan.proposal->hash,
                                 .length = static_cast<std::uint32_t>(plan.proposal->bytes.size()),
                                 .step = step,
                                 .generation = state.pin.generation,
                                 .made_at = now};
    if (auto status = store->commit(next); !status) return status.error();
    return ticket;
}

}  // namespace

bool offer_switch(const PamHandle& pam, const std::string& user, const ModuleOptions& options,
                  const LoginPlan& plan, SwitchOffer offer, std::string_view first_answer,
                  Clock clock) {
    switch (offer) {
        case SwitchOffer::disabled:
            return tell_waiting(pam, user, "switch=off for this service");
        case SwitchOffer::capped:
            pam.tell_info("The new authenticator was not confirmed after " +
                          std::to_string(kMaxSwitchPrompts) +
                          " tries; run totp-enroll again to set one up.");
            return tell_waiting(pam, user, "not confirmed after 3 prompts");
        case SwitchOffer::single_prompt:
            pam.tell_info(
                "To switch to it, log in once where you are asked for the code on its "
                "own (for example ssh keyboard-interactive or the console).");
            return tell_waiting(pam, user, "single-prompt setup");
        case SwitchOffer::ask:
            break;
    }
    auto answer = pam.ask(kNewCodePrompt, false);
    if (!answer || answer->empty()) return tell_waiting(pam, user, "no code given");
    const SecretBytes code = normalize_typed_code(answer->view());
    const std::int64_t now = clock();  // after the answer, however long it took
    const auto step = check_new_code(*plan.proposal, code.view(), first_answer, now);
    if (!step) {
        pam.tell_error("That code is not from the new authenticator.");
        return tell_waiting(pam, user, "wrong code for the new authenticator");
    }
    auto ticket = stage_switch(options, user, plan, *step, now);
    if (!ticket) {
        pam.log(LOG_ERR,
                "user " + user + ": cannot stage the new authenticator: " + ticket.error().message);
        return tell_waiting(pam, user, "could not be staged");
    }
    // The user travels with the ticket: sudo sets PAM_USER to the target
    // user before pam_setcred. The ticket, 128 random bits known only to the
    // record, is what makes the claim.
    if (pam.set_env(kSwitchTicketVariable, to_hex(*ticket) + ":" + user) != PAM_SUCCESS) {
        pam.log(LOG_ERR, "user " + user + ": cannot hand the switch to pam_setcred");
        return tell_waiting(pam, user, "could not be staged");
    }
    pam.tell_info(
        "New authenticator confirmed. It replaces the old one when this login completes.");
    pam.log(LOG_NOTICE, "user " + user +
                            ": new authenticator confirmed, adopted when the login "
                            "completes (enrollment-id " +
                            plan.proposal->parsed.header.enrollment_id + ")");
    return true;
}

void commit_pending_switch(const PamHandle& pam, const ModuleOptions& options, std::int64_t now) {
    const auto value = pam.env(kSwitchTicketVariable);
    if (!value) return;
    pam.unset_env(kSwitchTicketVariable);
    const std::size_t colon = value->find(':');
    // 32 lower-case hex digits, as to_hex wrote them.
    const std::optional<SwitchTicket> ticket = parse_enrollment_id(value->substr(0, colon));
    const std::optional<std::string> user =
        colon == std::string::npos ? std::nullopt : std::optional(value->substr(colon + 1));
    if (!user || !ticket) return pam.log(LOG_ERR, "switch ticket in an unusable form");

    auto store = LockedStateFile::open_existing(options.statedir, *user);
    if (!store || !*store)
        return pam.log(LOG_ERR,
                       "user " + *user + ": no record to adopt the new authenticator into");
    const UserState& state = (*store)->state();
    const PendingSwitch& pending = state.pending;
    if (!pending.present ||
        CRYPTO_memcmp(pending.ticket.data(), ticket->data(), ticket->size()) != 0 ||
        !state.pin.present || pending.generation != state.pin.generation ||
        now - pending.made_at > kPendingSwitchLifetime || now < pending.made_at)
        return pam.log(LOG_WARNING, "user " + *user +
                                        ": the new authenticator was not adopted (the record "
                                        "changed since it was confirmed)");
    auto bytes = (*store)->pending_file();
    auto parsed = bytes ? parse_secret_file(*bytes) : Result<ParsedSecretFile>(bytes.error());
    const auto id = parsed ? parse_enrollment_id(parsed->header.enrollment_id) : std::nullopt;
    if (!parsed || !id || parsed->header.user != *user)
        return pam.log(LOG_ERR, "user " + *user + ": staged authenticator is unusable");

    // The second code's step is the replay position of the new pin.
    UserState next = with_new_pin(state, PinnedFile{*id, pending.hash, pending.length},
                                  (*store)->free_area(), now);
    next.has_last = true;
    next.last_accepted = pending.step;
    if (auto commit = (*store)->commit(next); !commit)
        return pam.log(LOG_ERR, "user " + *user + ": cannot adopt the new authenticator: " +
                                    commit.error().message);
    pam.log(LOG_NOTICE, "user " + *user + " switched to a new authenticator (enrollment-id " +
                            parsed->header.enrollment_id + ")");
    pam.tell_info("Your new authenticator is now in use; codes from the old one no longer work.");
}

}  // namespace pam_totp
