// pam_sm_authenticate's work: who is logging in, what they typed, what the
// core decides, what the user is told and what syslog records.
#pragma once

#include <cstdint>

#include "core/module_options.h"
#include "module/clock.h"
#include "module/pam_handle.h"

namespace pam_totp {

// Returns a PAM code; never PAM_SUCCESS unless a fresh code or an unused
// recovery code was accepted and the new state is durably stored.
int authenticate(const PamHandle& pam, const ModuleOptions& options, Clock clock);

}  // namespace pam_totp
