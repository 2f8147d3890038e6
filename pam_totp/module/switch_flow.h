// Changing the authenticator: after the pinned authenticator's code (or a
// recovery code) was accepted, the user proves the new file with a code
// from it. The new file is staged in the record and adopted in
// pam_sm_setcred, i.e. only when the whole auth stack has succeeded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/module_options.h"
#include "module/clock.h"
#include "module/enrollment_source.h"
#include "module/pam_handle.h"

namespace pam_totp {

// The PAM environment variable that carries the switch ticket from
// pam_sm_authenticate to pam_sm_setcred (sshd authenticates in a forked
// child and calls pam_setcred in its parent; only the PAM environment
// crosses). It is deleted when pam_sm_setcred reads it.
constexpr char kSwitchTicketVariable[] = "PAM_TOTP_SWITCH";

enum class SwitchOffer {
    ask,            // show the second prompt
    single_prompt,  // this setup has no prompt of its own: say where to switch
    capped,         // asked kMaxSwitchPrompts times for this file already
    disabled,       // switch=off for this service
};

// After an accepted first answer, with a valid proposal that is not the pin.
// True when the new authenticator was confirmed (and staged for setcred).
bool offer_switch(const PamHandle& pam, const std::string& user, const ModuleOptions& options,
                  const LoginPlan& plan, SwitchOffer offer, std::string_view first_answer,
                  Clock clock);

// pam_sm_setcred(PAM_ESTABLISH_CRED): adopts a switch this login staged.
// The ticket variable is deleted whatever happens.
void commit_pending_switch(const PamHandle& pam, const ModuleOptions& options, std::int64_t now);

}  // namespace pam_totp
