// pam_totp_ldap.so's login: find the user's entry, decide from it whether
// the user has an OTP token, ask for the password and the code, and let the
// directory (OpenLDAP's otp overlay) judge both in one simple bind; then
// record the step the server accepted with a compare-and-swap, because the
// overlay of slapd 2.5 lets concurrent binds use one code more than once.
#pragma once

#include "core/ldap_options.h"
#include "module/pam_handle.h"

namespace pam_totp {

int authenticate_ldap(const PamHandle& pam, const LdapOptions& options);

}  // namespace pam_totp
