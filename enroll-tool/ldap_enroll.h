// totp-enroll-ldap: fleet enrolment in the directory pam_totp_ldap.so asks
// (see totp-enroll(1), FLEET ENROLMENT, and ldap/README.md, "Enrolment").
// Self-service actions are always the invoking user's (getpwuid(getuid())).
#pragma once

#include <optional>
#include <string>

#include "exit_codes.h"
#include "qr_render.h"

namespace totp_enroll {

enum class LdapAction { enroll, status, remove, help, version };

struct LdapEnrollOptions {
    LdapAction action = LdapAction::enroll;
    std::string config;                   // --ldap-config, default pam_totp::kDefaultLdapConfig
    std::optional<std::string> user;      // --user: with --remove --admin-dn only
    std::optional<std::string> admin_dn;  // --admin-dn: the directory admin's bind DN
    QrStyle qr = QrStyle::utf8;
};

Result<LdapEnrollOptions> parse_ldap_enroll_options(int argc, const char* const* argv);
std::string ldap_enroll_help();

ExitCode run_ldap_enroll(const LdapEnrollOptions& options);

}  // namespace totp_enroll
