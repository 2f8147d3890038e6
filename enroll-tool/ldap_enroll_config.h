// totp-enroll-ldap's settings: the fleet module's own file
// (/etc/pam_totp/ldap.conf, or --ldap-config FILE) read by the module's
// load_ldap_options under the same rules, and the two names enrolment
// writes under (tokens= and params=, by default derived from base=).
#pragma once

#include <string>

#include "core/ldap_options.h"
#include "core/result.h"

namespace totp_enroll {

struct LdapEnrollConfig {
    // uri= (first reachable, for connecting only), base=, filter=, ca=,
    // starttls, timeout=. binddn= and bindpw_file= are the hosts' service
    // account: parsed like the module does, never used, the password file
    // never opened.
    pam_totp::LdapOptions ldap;
    // Where the users' tokens are: tokens=, default ou=tokens,SUFFIX.
    std::string tokens;
    // The one oathTOTPParams entry every token names: params=, default
    // cn=totp,ou=params,SUFFIX.
    std::string params;
};

// SUFFIX above: base= without its first RDN when that is an ou= (the
// recipe's base=ou=people,dc=example,dc=com gives dc=example,dc=com), else
// base= itself.
std::string directory_suffix(const std::string& base);

// Reads `path` (the module's rules: a regular root-owned file, not writable
// by others, in root's directories); the service account's options are
// parsed, never used, bindpw_file= never opened.
pam_totp::Result<LdapEnrollConfig> load_enroll_config(const std::string& path);

}  // namespace totp_enroll
