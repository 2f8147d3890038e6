// pam_totp_ldap.so's options (fleet mode: codes checked by OpenLDAP's otp
// overlay), parsed without PAM or libldap so they can be unit-tested. As
// for pam_totp.so, anything unknown or out of range is an error and the
// module fails closed.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pam_totp {

enum class LdapPasswordMode {
    two_prompts,     // "Password: " then "Verification code: "
    forward_pass,    // one prompt: the password followed by the code
    use_first_pass,  // the password from PAM_AUTHTOK (an earlier module), then the code
};

struct LdapOptions {
    // uri=ldaps://a,ldaps://b: tried in order for connecting only (a server
    // that answers decides). ldaps:// or ldap:// with starttls; ldapi://.
    std::vector<std::string> uris;
    std::string base;  // base= of the user search (required)
    std::string filter = "(&(objectClass=posixAccount)(uid=%u))";
    std::string binddn;       // the service account: searches, reads steps, claims them
    std::string bindpw_file;  // its password: a root-owned 0600 file
    std::string ca;           // ca=: PEM file of the CA that signs the servers' certificates
    bool starttls = false;
    int timeout_seconds = 5;  // the whole attempt: connect, TLS, search, bind, guard
    bool optional = false;    // users without an OTP token: PAM_IGNORE
    LdapPasswordMode password_mode = LdapPasswordMode::two_prompts;
    bool debug = false;
};

Result<LdapOptions> parse_ldap_options(std::span<const std::string_view> args);
Result<LdapOptions> parse_ldap_options(int argc, const char** argv);

// `value` escaped for an LDAP filter (RFC 4515: \2a \28 \29 \5c \00).
std::string escape_filter_value(std::string_view value);

// The search filter with %u replaced by the escaped user name (%% is %).
Result<std::string> expand_ldap_filter(std::string_view pattern, std::string_view user);

}  // namespace pam_totp
