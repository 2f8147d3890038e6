#include "ldap_module/ldap_login.h"

#include <openssl/crypto.h>
#include <syslog.h>

#include <algorithm>
#include <cctype>

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

// The token the overlay will check, or why there is none. Exactly one
// token of the kind the entry's class names: two would leave it to the
// server which one counts.
struct Token {
    std::string dn;
    bool hotp = false;
};
Result<std::optional<Token>> token_of(const LdapEntry& entry) {
    const bool totp = has_class(entry, "oathTOTPUser");
    const bool hotp = has_class(entry, "oathHOTPUser");
    if (!totp && !hotp) return std::optional<Token>();
    if (totp && hotp) return Error{"entry " + entry.dn + " has both a TOTP and a HOTP token"};
    const auto& links = totp ? entry.totp_tokens : entry.hotp_tokens;
    if (links.size() != 1)
        return Error{"entry " + entry.dn + " must name exactly one token (it names " +
                     std::to_string(links.size()) + ")"};
    return std::optional<Token>(Token{links.front(), hotp});
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

// The servers in order: the first that answers decides. Connection failures
// (kLdapUnavailable) move on; anything else is the answer.
template <class Attempt>
auto on_first_server(const LdapOptions& options, Deadline deadline, std::string& errors,
                     Attempt&& attempt) -> decltype(attempt(std::declval<LdapConnection&>())) {
    for (const std::string& uri : options.uris) {
        auto connection = LdapConnection::open(options, uri, deadline);
        if (!connection) {
            errors += (errors.empty() ? "" : "; ") + connection.error().message;
            continue;
        }
        auto result = attempt(*connection);
        if (result || result.error().code != kLdapUnavailable) return result;
        errors += (errors.empty() ? "" : "; ") + result.error().message;
    }
    return Error{errors.empty() ? "no server" : errors, kLdapUnavailable};
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

// After the server accepted the code: the step it recorded, swapped into
// the guard attribute. Two logins with one code read the same step; the
// second swap finds the value gone and fails.
Status guard(LdapConnection& connection, const Token& token, Deadline deadline) {
    const char* counter = token.hotp ? "oathHOTPCounter" : "oathTOTPLastTimeStep";
    auto step = connection.read(token.dn, counter, deadline);
    if (!step) return step.error();
    if (step->size() != 1) return Error{token.dn + ": no " + std::string(counter) + " to guard"};
    auto seen = connection.read(token.dn, kGuardAttribute, deadline);
    if (!seen) return seen.error();
    if (seen->size() > 1) return Error{token.dn + ": several " + std::string(kGuardAttribute)};
    const std::optional<std::string> before =
        seen->empty() ? std::nullopt : std::optional<std::string>(seen->front());
    if (before == step->front())
        return Error{"step " + step->front() + " was already used", LDAP_COMPARE_FALSE};
    if (auto status = connection.swap(token.dn, kGuardAttribute, before, step->front(), deadline);
        !status)
        return Error{
            "another login used step " + step->front() + " (" + status.error().message + ")",
            LDAP_COMPARE_FALSE};
    return {};
}

int refuse_wrong(const PamHandle& pam, const std::string& log) {
    pam.tell_error(kWrongCodeMessage);
    pam.log(LOG_NOTICE, log);
    return PAM_AUTH_ERR;
}

}  // namespace

int authenticate_ldap(const PamHandle& pam, const LdapOptions& options) {
    const auto user = pam.user();
    if (!user) {
        pam.log(LOG_ERR, user.error().message);
        return user.error().code == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_USER_UNKNOWN;
    }
    const Deadline deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
    auto filter = expand_ldap_filter(options.filter, *user);
    if (!filter) {
        pam.log(LOG_ERR, "filter= for user " + *user + ": " + filter.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    std::string search_as;
    if (!options.binddn.empty()) {
        auto password = search_password(options);
        if (!password) {
            pam.log(LOG_ERR, "bindpw_file=: " + password.error().message);
            return PAM_AUTHINFO_UNAVAIL;
        }
        search_as = std::move(*password);
    }
    std::string errors;
    auto found = on_first_server(options, deadline, errors, [&](LdapConnection& c) {
        using Found = Result<std::optional<LdapEntry>>;
        if (!options.binddn.empty())
            if (auto status = c.bind(options.binddn, search_as, deadline); !status)
                return Found(status.error());
        return c.find_user(options.base, *filter, deadline);
    });
    OPENSSL_cleanse(search_as.data(), search_as.size());
    if (!found) {
        pam.log(LOG_ERR, "cannot look up user " + *user + ": " + found.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    const std::optional<LdapEntry>& entry = *found;
    auto token = entry ? token_of(*entry) : Result<std::optional<Token>>(std::optional<Token>());
    if (!token) {
        pam.log(LOG_ERR, "user " + *user + ": " + token.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    if (entry && !*token && options.optional) {
        if (options.debug) pam.log(LOG_DEBUG, "user " + *user + " has no OTP token: ignored");
        return PAM_IGNORE;
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

    errors.clear();
    auto verdict = on_first_server(options, deadline, errors, [&](LdapConnection& c) {
        const SecretBytes both = credential(*typed);
        if (auto status = c.bind(entry->dn, both.view(), deadline); !status) return status;
        return guard(c, **token, deadline);
    });
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
