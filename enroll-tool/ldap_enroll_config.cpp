#include "ldap_enroll_config.h"

#include <cctype>
#include <cerrno>
#include <string_view>
#include <vector>

namespace totp_enroll {
namespace {

bool starts_with_ou(std::string_view rdn) {
    return rdn.size() > 3 && std::tolower(static_cast<unsigned char>(rdn[0])) == 'o' &&
           std::tolower(static_cast<unsigned char>(rdn[1])) == 'u' && rdn[2] == '=';
}

}  // namespace

std::string directory_suffix(const std::string& base) {
    const std::size_t comma = base.find(',');
    if (comma == std::string::npos || !starts_with_ou(base)) return base;
    std::string_view rest = std::string_view(base).substr(comma + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return std::string(rest);
}

pam_totp::Result<LdapEnrollConfig> load_enroll_config(const std::string& path) {
    const std::string named = "config=" + path;
    const std::vector<std::string_view> args = {named};
    auto options = pam_totp::load_ldap_options(args, pam_totp::LdapOptionsFor::enrolment);
    if (!options && options.error().code == ENOENT)
        return pam_totp::Error{path +
                               ": no such file (fleet mode's settings, pam_totp_ldap(8); "
                               "--ldap-config names another file)"};
    if (!options) return options.error();
    LdapEnrollConfig config;
    config.ldap = std::move(*options);
    const std::string suffix = directory_suffix(config.ldap.base);
    config.tokens = config.ldap.tokens.empty() ? "ou=tokens," + suffix : config.ldap.tokens;
    config.params = config.ldap.params.empty() ? "cn=totp,ou=params," + suffix : config.ldap.params;
    return config;
}

}  // namespace totp_enroll
