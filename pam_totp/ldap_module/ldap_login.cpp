#include "ldap_module/ldap_login.h"

#include <openssl/crypto.h>
#include <syslog.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/code_input.h"
#include "core/file_io.h"
#include "core/messages.h"
#include "core/verifier.h"
#include "ldap_module/ldap_client.h"

namespace pam_totp {
namespace {

constexpr std::size_t kMaxBindPasswordFile = 4096;

bool has_class(const LdapEntry& entry, std::string_view name) {
    return std::any_of(entry.object_classes.begin(), entry.object_classes.end(),
                       [&](const std::string& c) {
                           return c.size() == name.size() &&
                                  std::equal(c.begin(), c.end(), name.begin(), [](char a, char b) {
                                      return std::tolower(static_cast<unsigned char>(a)) ==
                                             std::tolower(static_cast<unsigned char>(b));
                                  });
                       });
}

// The token the overlay will check, or why there is none: exactly one
// TOTP token, and no HOTP one (the overlay tries TOTP, then HOTP, so an
// entry with both accepts the weaker, and slapd 2.5 can leave such a bind
// unanswered).
Result<std::optional<std::string>> token_of(const LdapEntry& entry) {
    const bool totp = has_class(entry, "oathTOTPUser");
    const bool hotp = has_class(entry, "oathHOTPUser") || !entry.hotp_tokens.empty();
    if (!totp && !hotp) return std::optional<std::string>();
    if (hotp) return Error{"entry " + entry.dn + " has a HOTP token: fleet mode takes TOTP only"};
    if (entry.totp_tokens.size() != 1)
        return Error{"entry " + entry.dn + " must name exactly one token (it names " +
                     std::to_string(entry.totp_tokens.size()) + ")"};
    return std::optional<std::string>(entry.totp_tokens.front());
}

Result<std::string> search_password(const LdapOptions& options) {
    auto bytes = read_checked_file(
        options.bindpw_file,
        {.owner = 0, .allow_root = true, .forbidden_mode = 0077, .max_size = kMaxBindPasswordFile});
    if (!bytes) return bytes.error();
    if (!*bytes) return Error{options.bindpw_file + ": no such file"};
    std::string password((*bytes)->view());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
        password.pop_back();
    return password;
}

// The service account's connection to the first server that answers
// (connection failures move on to the next uri=); everything after, the
// user's bind included, goes to that one server.
Result<LdapConnection> service_connection(const LdapOptions& options, const std::string& password,
                                          Deadline deadline) {
    std::string errors;
    for (const std::string& uri : options.uris) {
        auto connection = LdapConnection::open(options, uri, deadline);
        if (connection) {
            auto bound = connection->bind(options.binddn, password, deadline);
            if (bound) return connection;
            if (bound.error().code != kLdapUnavailable) return bound.error();
            errors += (errors.empty() ? "" : "; ") + bound.error().message;
            continue;
        }
        errors += (errors.empty() ? "" : "; ") + connection.error().message;
    }
    return Error{errors.empty() ? "no server" : errors, kLdapUnavailable};
}

// The step the overlay last accepted for `token` (0 before the first).
Result<std::uint64_t> last_step(LdapConnection& service, const std::string& token,
                                Deadline deadline) {
    auto values = service.read(token, "oathTOTPLastTimeStep", deadline);
    if (!values) return values.error();
    if (values->empty()) return std::uint64_t{0};
    std::uint64_t step = 0;
    const std::string& text = values->front();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
    if (values->size() != 1 || ec != std::errc() || end != text.data() + text.size())
        return Error{token + ": oathTOTPLastTimeStep is not one number"};
    return step;
}

struct Typed {
    SecretBytes password;
    SecretBytes code;  // empty with forward_pass: it ends the password
};

Result<Typed> ask(const PamHandle& pam, const LdapOptions& options) {
    Typed typed;
    if (options.password_mode == LdapPasswordMode::forward_pass) {
        auto answer = pam.ask(kForwardPassPrompt, false);
        if (!answer) return answer.error();
        typed.password = std::move(*answer);
        return typed;
    }
    if (options.password_mode == LdapPasswordMode::use_first_pass) {
        auto token = pam.authtok();
        if (!token) return Error{"no PAM_AUTHTOK for use_first_pass", PAM_AUTH_ERR};
        typed.password = std::move(*token);
    } else {
        auto password = pam.ask(kPasswordPrompt, false);
        if (!password) return password.error();
        typed.password = std::move(*password);
    }
    auto code = pam.ask(kCodePrompt, false);
    if (!code) return code.error();
    typed.code = normalize_typed_code(code->view());
    return typed;
}

// What the bind sends: the password followed by the code (slapo-otp takes
// the last oathOTPLength characters as the code).
SecretBytes credential(const Typed& typed) {
    auto out = SecretBytes::with_capacity(typed.password.size() + typed.code.size());
    out.append(typed.password.view());
    out.append(typed.code.view());
    return out;
}

bool plausible(const Typed& typed, const LdapOptions& options) {
    if (options.password_mode == LdapPasswordMode::forward_pass)
        return typed.password.size() > static_cast<std::size_t>(kMinDigits);
    if (typed.password.empty()) return false;
    for (int digits = kMinDigits; digits <= kMaxDigits; ++digits)
        if (looks_like_code(typed.code.view(), digits)) return true;
    return false;
}

int refuse_wrong(const PamHandle& pam, const std::string& log) {
    pam.tell_error(kWrongCodeMessage);
    pam.log(LOG_NOTICE, log);
    return PAM_AUTH_ERR;
}


// After the user's bind: the server says it bound the user's entry, the
// overlay's step moved on past the one read before the bind, and the
// service account's claim of that step is the first (claims are entries
// that can only be added: of concurrent logins with one code, one add
// succeeds).
Status check_and_claim(LdapConnection& user_connection, LdapConnection& service,
                       const std::string& dn, const std::string& token, std::uint64_t before,
                       Deadline deadline) {
    auto who = user_connection.whoami(deadline);
    if (!who) return who.error();
    if (*who != "dn:" + dn) return Error{"the server bound " + *who + ", not dn:" + dn};
    auto after = last_step(service, token, deadline);
    if (!after) return after.error();
    if (*after <= before)
        return Error{"the overlay's step did not move on (" + std::to_string(*after) + ")",
                     LDAP_COMPARE_FALSE};
    if (auto claimed = service.add_claim(token, std::to_string(*after), deadline); !claimed) {
        if (claimed.error().code == LDAP_ALREADY_EXISTS)
            return Error{"step " + std::to_string(*after) + " was claimed by another login",
                         LDAP_COMPARE_FALSE};
        return claimed.error();
    }
    return {};
}

bool is_users_entry(const LdapEntry& entry, const std::string& user, const std::string& base) {
    // uid matching in the directory ignores case and spaces: the entry
    // must be the user's byte for byte, and under base=.
    return entry.uids.size() == 1 && entry.uids.front() == user && entry.dn.size() > base.size() &&
           entry.dn.ends_with("," + base);
}

}  // namespace

int authenticate_ldap(const PamHandle& pam, const LdapOptions& options) {
    const auto user = pam.user();
    if (!user) {
        pam.log(LOG_ERR, user.error().message);
        return user.error().code == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_USER_UNKNOWN;
    }
    const auto timeout = std::chrono::seconds(options.timeout_seconds);
    Deadline deadline = std::chrono::steady_clock::now() + timeout;
    auto filter = expand_ldap_filter(options.filter, *user);
    if (!filter) {
        pam.log(LOG_ERR, "filter= for user " + *user + ": " + filter.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    auto password = search_password(options);
    if (!password) {
        pam.log(LOG_ERR, "bindpw_file=: " + password.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    auto service = service_connection(options, *password, deadline);
    OPENSSL_cleanse(password->data(), password->size());
    if (!service) {
        pam.log(LOG_ERR, "no directory server for user " + *user + ": " + service.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    auto found = service->find_user(options.base, *filter, deadline);
    if (!found) {
        pam.log(LOG_ERR, "cannot look up user " + *user + ": " + found.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    std::optional<LdapEntry> entry = std::move(*found);
    if (entry && !is_users_entry(*entry, *user, options.base)) entry.reset();
    auto token = entry ? token_of(*entry) : Result<std::optional<std::string>>(std::nullopt);
    if (!token) {
        pam.log(LOG_ERR, "user " + *user + ": " + token.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    if (entry && !*token && options.optional) {
        if (options.debug) pam.log(LOG_DEBUG, "user " + *user + " has no OTP token: ignored");
        return PAM_IGNORE;
    }
    std::uint64_t before = 0;
    if (entry && *token) {
        auto step = last_step(*service, **token, deadline);
        if (!step) {
            pam.log(LOG_ERR, "user " + *user + ": " + step.error().message);
            return PAM_AUTHINFO_UNAVAIL;
        }
        before = *step;
    }

    // Everyone else is asked, with or without a token, so the prompts
    // reveal nothing.
    auto typed = ask(pam, options);
    if (!typed) {
        pam.log(LOG_NOTICE, "no password and code from user " + *user);
        return typed.error().code == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_AUTH_ERR;
    }
    if (!entry) return refuse_wrong(pam, "refused an unknown user");
    // Without a token the overlay would take the password alone: never bind.
    if (!*token)
        return refuse_wrong(pam, "refused user " + *user + ": no OTP token in " + entry->dn);
    if (!plausible(*typed, options))
        return refuse_wrong(pam, "refused user " + *user + ": no password or no code");

    // The user's bind, on the service account's server only: a timeout
    // after the code was sent is final (the code may be used up there).
    deadline = std::chrono::steady_clock::now() + timeout;
    Status verdict = [&]() -> Status {
        auto connection = LdapConnection::open(options, service->uri(), deadline);
        if (!connection) return connection.error();
        const SecretBytes both = credential(*typed);
        if (auto bound = connection->bind(entry->dn, both.view(), deadline); !bound) return bound;
        return check_and_claim(*connection, *service, entry->dn, **token, before, deadline);
    }();
    if (verdict) {
        pam.log(LOG_INFO, "accepted password and code for user " + *user);
        return PAM_SUCCESS;
    }
    switch (verdict.error().code) {
        case LDAP_INVALID_CREDENTIALS:
            // The server does not say which part was wrong, or that ppolicy
            // locked the account: one message for all.
            return refuse_wrong(pam, "wrong password or code for user " + *user);
        case LDAP_COMPARE_FALSE:
            pam.tell_error(kReplayMessage);
            pam.log(LOG_WARNING,
                    "replayed code for user " + *user + ": " + verdict.error().message);
            return PAM_AUTH_ERR;
        default:
            pam.log(LOG_ERR, "user " + *user + ": " + verdict.error().message);
            return PAM_AUTHINFO_UNAVAIL;
    }
}

}  // namespace pam_totp
