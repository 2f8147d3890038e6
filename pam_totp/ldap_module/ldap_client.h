// A connection to one directory server for pam_totp_ldap.so: libldap
// (OpenLDAP) behind a small RAII type whose every call is bounded by the
// attempt's deadline, with TLS verified (CA file, host name) whenever the
// URI is not ldapi://, no referrals followed and no aliases dereferenced.
#pragma once

#include <ldap.h>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ldap_options.h"
#include "core/result.h"

namespace pam_totp {

using Deadline = std::chrono::steady_clock::time_point;

// Error codes: kLdapUnavailable (no answer, TLS failure, time out: try the
// next server / PAM_AUTHINFO_UNAVAIL) or the LDAP result code.
constexpr int kLdapUnavailable = -1;

struct LdapEntry {
    std::string dn;
    std::vector<std::string> uids;  // uid
    std::vector<std::string> object_classes;
    std::vector<std::string> totp_tokens;  // oathTOTPToken
    std::vector<std::string> hotp_tokens;  // oathHOTPToken
};

// One change of one attribute, for add_entry (op LDAP_MOD_ADD) and modify
// (LDAP_MOD_ADD, LDAP_MOD_DELETE or LDAP_MOD_REPLACE). The values are not
// copied: they point into the caller's buffers (a secret stays in its
// SecretBytes).
struct LdapChange {
    int op = LDAP_MOD_ADD;
    std::string attribute;
    std::vector<std::string_view> values;
};

class LdapConnection {
  public:
    // Connects (and, for ldap://, starts TLS) before `deadline`.
    static Result<LdapConnection> open(const LdapOptions& options, const std::string& uri,
                                       Deadline deadline);

    // A simple bind. An empty password is refused here: for LDAP it would be
    // an unauthenticated bind, which succeeds without checking anything.
    Status bind(const std::string& dn, std::string_view password, Deadline deadline);

    // The one entry `filter` finds under `base` (nullopt for none; an error
    // for several: the directory is ambiguous).
    Result<std::optional<LdapEntry>> find_user(const std::string& base, const std::string& filter,
                                               Deadline deadline);

    // One attribute's values of one entry (base-scope read).
    Result<std::vector<std::string>> read(const std::string& dn, const char* attribute,
                                          Deadline deadline);

    // Adds the entry cn=`name`,`parent` (class device): the claim of one
    // step. Adding is atomic: of concurrent adds of one name one succeeds,
    // the others get entryAlreadyExists.
    Status add_claim(const std::string& parent, const std::string& name, Deadline deadline);

    // Adds the entry `dn` with these attributes (every change an add).
    Status add_entry(const std::string& dn, std::span<const LdapChange> attributes,
                     Deadline deadline);

    // One modify operation of `dn`: the changes apply together or not at all.
    Status modify(const std::string& dn, std::span<const LdapChange> changes, Deadline deadline);

    // The authorization identity of this connection ("dn:..."): who the
    // server says the last bind made us.
    Result<std::string> whoami(Deadline deadline);

    const std::string& uri() const { return uri_; }

  private:
    struct Unbind {
        void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
    };
    LdapConnection(LDAP* ld, std::string uri) : ld_(ld), uri_(std::move(uri)) {}
    Status bound_by(Deadline deadline) const;

    std::unique_ptr<LDAP, Unbind> ld_;
    std::string uri_;
};

}  // namespace pam_totp
