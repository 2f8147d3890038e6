#include "ldap_module/ldap_client.h"

#include <openssl/crypto.h>
#include <sys/time.h>

#include <cstring>

namespace pam_totp {
namespace {

Error ldap_error(const std::string& what, int rc) {
    const bool unavailable = rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ||
                             rc == LDAP_CONNECT_ERROR || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
    return Error{what + ": " + ldap_err2string(rc), unavailable ? kLdapUnavailable : rc};
}

struct MessageFree {
    void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using Message = std::unique_ptr<LDAPMessage, MessageFree>;

struct ValuesFree {
    void operator()(berval** v) const { ldap_value_free_len(v); }
};

std::vector<std::string> values(LDAP* ld, LDAPMessage* entry, const char* attribute) {
    std::vector<std::string> out;
    std::unique_ptr<berval*, ValuesFree> vals(ldap_get_values_len(ld, entry, attribute));
    if (!vals) return out;
    for (berval** v = vals.get(); *v; ++v) out.emplace_back((*v)->bv_val, (*v)->bv_len);
    return out;
}

timeval remaining(Deadline deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    const long long us = left.count() > 1000 ? left.count() : 1000;
    return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

}  // namespace

Status LdapConnection::bound_by(Deadline deadline) const {
    // Both the socket (connect, TLS, reads) and each synchronous operation.
    const timeval left = remaining(deadline);
    if (ldap_set_option(ld_.get(), LDAP_OPT_NETWORK_TIMEOUT, &left) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld_.get(), LDAP_OPT_TIMEOUT, &left) != LDAP_OPT_SUCCESS)
        return Error{"cannot set the LDAP time limits", kLdapUnavailable};
    return {};
}

Result<LdapConnection> LdapConnection::open(const LdapOptions& options, const std::string& uri,
                                            Deadline deadline) {
    LDAP* raw = nullptr;
    if (const int rc = ldap_initialize(&raw, uri.c_str()); rc != LDAP_SUCCESS)
        return ldap_error(uri, rc);
    LdapConnection connection(raw, uri);
    LDAP* ld = raw;
    const int version = LDAP_VERSION3;
    const int never = LDAP_DEREF_NEVER;
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_DEREF, &never);
    if (auto status = connection.bound_by(deadline); !status) return status.error();
    if (!uri.starts_with("ldapi://")) {
        // Verified TLS only: this CA, a certificate for the host name in the
        // URI (libldap checks it), at least TLS 1.2; ldap.conf is not read for
        // these (a new context from these settings alone).
        const int hard = LDAP_OPT_X_TLS_HARD;
        const int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
        const int fresh = 0;
        if (ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, options.ca.c_str()) !=
                LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &fresh) != LDAP_OPT_SUCCESS)
            return Error{uri + ": cannot set up TLS with " + options.ca, kLdapUnavailable};
        if (uri.starts_with("ldap://")) {
            if (const int rc = ldap_start_tls_s(ld, nullptr, nullptr); rc != LDAP_SUCCESS)
                return Error{uri + ": StartTLS failed: " + ldap_err2string(rc), kLdapUnavailable};
        }
    }
    return connection;
}

Status LdapConnection::bind(const std::string& dn, std::string_view password, Deadline deadline) {
    if (password.empty()) return Error{"empty password", LDAP_INVALID_CREDENTIALS};
    if (auto status = bound_by(deadline); !status) return status;
    berval credential{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
    const int rc = ldap_sasl_bind_s(ld_.get(), dn.c_str(), LDAP_SASL_SIMPLE, &credential, nullptr,
                                    nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return ldap_error(uri_ + ": bind as " + dn, rc);
    return {};
}

Result<std::optional<LdapEntry>> LdapConnection::find_user(const std::string& base,
                                                           const std::string& filter,
                                                           Deadline deadline) {
    if (auto status = bound_by(deadline); !status) return status.error();
    const char* attributes[] = {"uid", "objectClass", "oathTOTPToken", "oathHOTPToken", nullptr};
    timeval left = remaining(deadline);
    LDAPMessage* raw = nullptr;
    const int rc =
        ldap_search_ext_s(ld_.get(), base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(),
                          const_cast<char**>(attributes), 0, nullptr, nullptr, &left, 2, &raw);
    Message result(raw);
    if (rc == LDAP_SIZELIMIT_EXCEEDED) return Error{uri_ + ": several entries match " + filter};
    if (rc != LDAP_SUCCESS) return ldap_error(uri_ + ": search " + filter, rc);
    const int count = ldap_count_entries(ld_.get(), result.get());
    if (count == 0) return std::optional<LdapEntry>();
    if (count > 1) return Error{uri_ + ": several entries match " + filter};
    LDAPMessage* entry = ldap_first_entry(ld_.get(), result.get());
    LdapEntry out;
    if (char* dn = ldap_get_dn(ld_.get(), entry)) {
        out.dn = dn;
        ldap_memfree(dn);
    }
    out.uids = values(ld_.get(), entry, "uid");
    out.object_classes = values(ld_.get(), entry, "objectClass");
    out.totp_tokens = values(ld_.get(), entry, "oathTOTPToken");
    out.hotp_tokens = values(ld_.get(), entry, "oathHOTPToken");
    return std::optional<LdapEntry>(std::move(out));
}

Result<std::vector<std::string>> LdapConnection::read(const std::string& dn, const char* attribute,
                                                      Deadline deadline) {
    if (auto status = bound_by(deadline); !status) return status.error();
    const char* attributes[] = {attribute, nullptr};
    timeval left = remaining(deadline);
    LDAPMessage* raw = nullptr;
    const int rc =
        ldap_search_ext_s(ld_.get(), dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)",
                          const_cast<char**>(attributes), 0, nullptr, nullptr, &left, 1, &raw);
    Message result(raw);
    if (rc != LDAP_SUCCESS) return ldap_error(uri_ + ": read " + dn, rc);
    LDAPMessage* entry = ldap_first_entry(ld_.get(), result.get());
    if (!entry) return Error{uri_ + ": cannot read " + dn};
    return values(ld_.get(), entry, attribute);
}

Status LdapConnection::add_claim(const std::string& parent, const std::string& name,
                                 Deadline deadline) {
    if (auto status = bound_by(deadline); !status) return status;
    const std::string dn = "cn=" + name + "," + parent;
    char object_class[] = "objectClass";
    char device[] = "device";
    char cn[] = "cn";
    std::string value = name;
    char* classes[] = {device, nullptr};
    char* names[] = {value.data(), nullptr};
    LDAPMod class_mod{};
    class_mod.mod_op = LDAP_MOD_ADD;
    class_mod.mod_type = object_class;
    class_mod.mod_values = classes;
    LDAPMod name_mod{};
    name_mod.mod_op = LDAP_MOD_ADD;
    name_mod.mod_type = cn;
    name_mod.mod_values = names;
    LDAPMod* mods[] = {&class_mod, &name_mod, nullptr};
    const int rc = ldap_add_ext_s(ld_.get(), dn.c_str(), mods, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return ldap_error(uri_ + ": add " + dn, rc);
    return {};
}

namespace {

// The berval arrays of `changes`, pointing into their values, and the
// LDAPMod array ldap_add/ldap_modify take (null-terminated both).
class ModList {
  public:
    explicit ModList(std::span<const LdapChange> changes) {
        values_.resize(changes.size());
        mods_.resize(changes.size());
        for (std::size_t i = 0; i < changes.size(); ++i) {
            for (std::string_view v : changes[i].values)
                bervals_.push_back(
                    berval{static_cast<ber_len_t>(v.size()), const_cast<char*>(v.data())});
        }
        std::size_t at = 0;
        for (std::size_t i = 0; i < changes.size(); ++i) {
            for (std::size_t j = 0; j < changes[i].values.size(); ++j)
                values_[i].push_back(&bervals_[at++]);
            values_[i].push_back(nullptr);
            mods_[i].mod_op = changes[i].op | LDAP_MOD_BVALUES;
            mods_[i].mod_type = const_cast<char*>(changes[i].attribute.c_str());
            mods_[i].mod_bvalues = values_[i].data();
            pointers_.push_back(&mods_[i]);
        }
        pointers_.push_back(nullptr);
    }
    LDAPMod** get() { return pointers_.data(); }

  private:
    std::vector<berval> bervals_;
    std::vector<std::vector<berval*>> values_;
    std::vector<LDAPMod> mods_;
    std::vector<LDAPMod*> pointers_;
};

// The server's diagnostic text of the last operation ("no write access to
// attribute"), in parentheses, or "".
std::string diagnostic(LDAP* ld) {
    char* text = nullptr;
    if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text) != LDAP_OPT_SUCCESS || !text)
        return "";
    std::string out = *text ? std::string(" (") + text + ")" : "";
    ldap_memfree(text);
    return out;
}

// The outcome of a write: its error names what was written and carries the
// server's reason (an ACL refusal says which attribute).
Status write_result(LDAP* ld, int rc, const std::string& what) {
    if (rc == LDAP_SUCCESS) return {};
    Error error = ldap_error(what, rc);
    error.message += diagnostic(ld);
    return error;
}

}  // namespace

Status LdapConnection::add_entry(const std::string& dn, std::span<const LdapChange> attributes,
                                 Deadline deadline) {
    if (auto status = bound_by(deadline); !status) return status;
    ModList mods(attributes);
    return write_result(ld_.get(),
                        ldap_add_ext_s(ld_.get(), dn.c_str(), mods.get(), nullptr, nullptr),
                        uri_ + ": add " + dn);
}

Status LdapConnection::modify(const std::string& dn, std::span<const LdapChange> changes,
                              Deadline deadline) {
    if (auto status = bound_by(deadline); !status) return status;
    ModList mods(changes);
    return write_result(ld_.get(),
                        ldap_modify_ext_s(ld_.get(), dn.c_str(), mods.get(), nullptr, nullptr),
                        uri_ + ": modify " + dn);
}

Result<std::string> LdapConnection::whoami(Deadline deadline) {
    if (auto status = bound_by(deadline); !status) return status.error();
    berval* id = nullptr;
    const int rc = ldap_whoami_s(ld_.get(), &id, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return ldap_error(uri_ + ": whoami", rc);
    std::string out = id ? std::string(id->bv_val, id->bv_len) : std::string();
    ber_bvfree(id);
    return out;
}

}  // namespace pam_totp
