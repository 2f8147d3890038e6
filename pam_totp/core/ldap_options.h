// pam_totp_ldap.so's options (fleet mode: codes checked by OpenLDAP's otp
// overlay), parsed without PAM or libldap so they can be unit-tested. As
// for pam_totp.so, anything unknown or out of range is an error and the
// module fails closed.
//
// They come from the PAM line and from a file, /etc/pam_totp/ldap.conf
// (kDefaultLdapConfig) unless the PAM line says config=PATH, which
// totp-enroll-ldap reads too, so that both talk to the same servers:
//
//     # one option a line, the words of the PAM line; comments on lines
//     # of their own; blank lines
//     uri=ldaps://ldap1.example.com,ldaps://ldap2.example.com
//     base=ou=people,dc=example,dc=com
//     ca=/etc/ssl/certs/example-ca.pem
//     binddn=cn=pam_totp,ou=services,dc=example,dc=com
//     bindpw_file=/etc/pam_totp/ldap.secret
//
// The PAM line's options override the file's (a value replaces the file's;
// forward_pass or use_first_pass replaces the file's password mode; a flag
// such as optional, once in the file, cannot be turned off on a PAM line:
// keep such flags on the lines that want them). In the file a line holds
// one option: a value may contain spaces (a DN), a name may not; an option
// with a value may appear once; config= belongs on the PAM line only.
//
// The file holds no secret (the service account's password stays in the
// root-only bindpw_file=), so it may be world-readable, but whoever writes
// it chooses the servers and the CA: it must be a regular file (never a
// symbolic link), owned by root, not writable by group or others, in
// directories owned by root and not writable by group or others up to
// "/", at most kMaxLdapConfigSize bytes. A missing default file is no
// error (the PAM line then says everything); a missing config= file is.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/default_paths.h"
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
    // totp-enroll-ldap's (the module accepts and ignores them): where users'
    // tokens are created (tokens=, an OU's DN) and the oathTOTPParams entry
    // every token names (params=); empty: derived from base= by the tool.
    std::string tokens;
    std::string params;
    // config=PATH as given on the PAM line (empty: the default file); after
    // load_ldap_options, the file the options were read from (empty: none).
    std::string config;
};

inline constexpr std::size_t kMaxLdapConfigSize = 16384;

// Who reads the options: what must be set differs.
enum class LdapOptionsFor {
    module,     // pam_totp_ldap.so: binddn= and bindpw_file= (the service account) required
    enrolment,  // totp-enroll-ldap: binds as the user only; the service account may be absent
};

// The PAM line alone (config= is accepted and kept in `config`, not read).
Result<LdapOptions> parse_ldap_options(std::span<const std::string_view> args,
                                       LdapOptionsFor use = LdapOptionsFor::module);
Result<LdapOptions> parse_ldap_options(int argc, const char** argv);

// A config file's text, then `args` (the PAM line) over it: pure, no file
// access. Errors in the text name the line ("line 3: unknown option foo").
Result<LdapOptions> parse_ldap_config(std::string_view text,
                                      std::span<const std::string_view> args = {},
                                      LdapOptionsFor use = LdapOptionsFor::module);

// The options as pam_totp_ldap.so (or, with LdapOptionsFor::enrolment,
// totp-enroll-ldap with no arguments) sees them: the file config= in
// `args` names, or `default_path`, read under the rules above, then `args`
// over it. Every error names the file and the cause, for syslog or stderr;
// the error's code is ENOENT for a missing config= file.
Result<LdapOptions> load_ldap_options(std::span<const std::string_view> args,
                                      LdapOptionsFor use = LdapOptionsFor::module,
                                      const std::string& default_path = kDefaultLdapConfig);
Result<LdapOptions> load_ldap_options(int argc, const char** argv);

// `value` escaped for an LDAP filter (RFC 4515: \2a \28 \29 \5c \00).
std::string escape_filter_value(std::string_view value);

// The search filter with %u replaced by the escaped user name (%% is %).
Result<std::string> expand_ldap_filter(std::string_view pattern, std::string_view user);

}  // namespace pam_totp
