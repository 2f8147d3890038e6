#include "ldap_module/ldap_login.h"

#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <span>

#include "core/code_input.h"
#include "core/file_io.h"
#include "core/messages.h"
#include "core/printable_text.h"
#include "core/printable_text.h"
#include "core/verifier.h"
#include "ldap_module/bounded_child.h"
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

// The service account's password, read by the parent (root) before the
// fork: the child, which drops root, could not.
Result<SecretBytes> search_password(const LdapOptions& options) {
    auto bytes = read_checked_file(
        options.bindpw_file,
        {.owner = 0, .allow_root = true, .forbidden_mode = 0077, .max_size = kMaxBindPasswordFile});
    if (!bytes) return bytes.error();
    if (!*bytes) return Error{options.bindpw_file + ": no such file"};
    SecretBytes password = std::move(**bytes);
    std::size_t size = password.size();
    while (size > 0 && (password.data()[size - 1] == '\n' || password.data()[size - 1] == '\r'))
        --size;
    password.truncate(size);
    return password;
}

// The service account's connection to the first of `uris` that answers
// (connection failures move on to the next, told to the parent as they
// happen); everything after, the user's bind included, goes to that one
// server.
Result<LdapConnection> service_connection(const LdapOptions& options,
                                          std::span<const std::string> uris,
                                          std::string_view password, Deadline deadline,
                                          ChildChannel& channel) {
    std::string errors;
    for (const std::string& uri : uris) {
        channel.doing(uri);
        auto connection = LdapConnection::open(options, uri, deadline);
        Error error = connection ? Error{} : connection.error();
        if (connection) {
            auto bound = connection->bind(options.binddn, password, deadline);
            if (bound) return connection;
            if (bound.error().code != kLdapUnavailable) return bound.error();
            error = bound.error();
        }
        channel.failed(error.message);
        errors += (errors.empty() ? "" : "; ") + error.message;
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

// Every error of the child is a reply with a nonzero code (0 is success).
ChildReply error_reply(const Error& error, std::optional<int> code = std::nullopt) {
    int c = code.value_or(error.code);
    if (c == 0) c = kLdapUnavailable;
    return {c, {error.message}};
}

// ca= must be readable by the child, which is no longer root.
Status check_ca_readable(const LdapOptions& options, const std::string& uri) {
    if (uri.starts_with("ldapi://") || ::access(options.ca.c_str(), R_OK) == 0) return {};
    return Error{"ca=" + options.ca + ": " + std::strerror(errno) + " for uid " +
                     std::to_string(::geteuid()) +
                     ", which the LDAP process runs as (a CA certificate holds no secret: make "
                     "it readable by all)",
                 kLdapUnavailable};
}

// What the lookup before the prompts found; the child's reply fields:
// "unknown" URI | "none" URI DN | "token" URI DN TOKEN.
struct Lookup {
    enum class Found { unknown_user, no_token, token } found = Found::unknown_user;
    std::string uri;  // the server that answered: the user's bind goes there only
    std::string dn;
    std::string token;
};

// A failure of the lookup that another server would not change: no
// failover (the directory's own answer, or the configuration).
constexpr int kLookupFinal = -2;

// In the child, before the prompts: the service account finds the user's
// entry and its token on `uri`. kLdapUnavailable: try the next server.
ChildReply look_up(const LdapOptions& options, const std::string& uri, const std::string& user,
                   const std::string& filter, SecretBytes& password, Deadline deadline,
                   ChildChannel& channel) {
    if (auto ca = check_ca_readable(options, uri); !ca)
        return error_reply(ca.error(), kLookupFinal);
    auto service =
        service_connection(options, std::span(&uri, 1), password.view(), deadline, channel);
    password.wipe();
    if (!service)
        return error_reply(service.error(), service.error().code == kLdapUnavailable
                                                ? kLdapUnavailable
                                                : kLookupFinal);
    auto found = service->find_user(options.base, filter, deadline);
    if (!found)
        return error_reply(
            {"cannot look up user " + user + ": " + found.error().message},
            found.error().code == kLdapUnavailable ? kLdapUnavailable : kLookupFinal);
    std::optional<LdapEntry> entry = std::move(*found);
    if (entry && !is_users_entry(*entry, user, options.base)) entry.reset();
    if (!entry) return {0, {"unknown", service->uri()}};
    auto token = token_of(*entry);
    if (!token) return error_reply({"user " + user + ": " + token.error().message}, kLookupFinal);
    if (!*token) return {0, {"none", service->uri(), entry->dn}};
    return {0, {"token", service->uri(), entry->dn, **token}};
}

// The parent's reading of look_up's reply (code 0) from `uri`: exactly
// one of its shapes.
Result<Lookup> parse_lookup(const ChildReply& reply, const std::string& uri) {
    const std::vector<std::string>& f = reply.fields;
    Lookup lookup;
    if (f.size() == 2 && f[0] == "unknown")
        lookup.found = Lookup::Found::unknown_user;
    else if (f.size() == 3 && f[0] == "none" && !f[2].empty())
        lookup.found = Lookup::Found::no_token;
    else if (f.size() == 4 && f[0] == "token" && !f[2].empty() && !f[3].empty())
        lookup.found = Lookup::Found::token;
    else
        return Error{"the LDAP process sent a malformed answer"};
    if (f[1] != uri) return Error{"the LDAP process named another server than " + uri};
    lookup.uri = f[1];
    if (f.size() > 2) lookup.dn = f[2];
    if (f.size() > 3) lookup.token = f[3];
    return lookup;
}

// In the child, after the prompts: on the lookup's server, the step before,
// the user's bind, then the guard. Only the user's bind may answer
// invalidCredentials and only the guard compareFalse: every other failure
// is the directory's (PAM_AUTHINFO_UNAVAIL), the service account's too.
ChildReply verify(const LdapOptions& options, const Lookup& lookup, SecretBytes& password,
                  SecretBytes& both, Deadline deadline, ChildChannel& channel) {
    if (auto ca = check_ca_readable(options, lookup.uri); !ca) return error_reply(ca.error());
    auto service =
        service_connection(options, std::span(&lookup.uri, 1), password.view(), deadline, channel);
    password.wipe();
    if (!service) return error_reply(service.error(), kLdapUnavailable);
    auto before = last_step(*service, lookup.token, deadline);
    if (!before) return error_reply(before.error(), kLdapUnavailable);
    auto connection = LdapConnection::open(options, lookup.uri, deadline);
    if (!connection) return error_reply(connection.error(), kLdapUnavailable);
    // A time-out from here on is final: the code may be used up there.
    Status bound = connection->bind(lookup.dn, both.view(), deadline);
    both.wipe();
    if (!bound)
        return error_reply(bound.error(), bound.error().code == LDAP_INVALID_CREDENTIALS
                                              ? LDAP_INVALID_CREDENTIALS
                                              : kLdapUnavailable);
    Status verdict =
        check_and_claim(*connection, *service, lookup.dn, lookup.token, *before, deadline);
    if (verdict) return {0, {}};
    return error_reply(verdict.error(), verdict.error().code == LDAP_COMPARE_FALSE
                                            ? LDAP_COMPARE_FALSE
                                            : kLdapUnavailable);
}

// What reaches syslog from the child (server-chosen DNs among it): no
// control characters that could forge a line, and not without end.
std::string printable(std::string_view text) {
    constexpr std::size_t kMaxLogLine = 2000;
    return printable_text(text, kMaxLogLine);
}

}  // namespace

int authenticate_ldap(const PamHandle& pam, const LdapOptions& options) {
    const auto user = pam.user();
    if (!user) {
        pam.log(LOG_ERR, user.error().message);
        return user.error().code == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_USER_UNKNOWN;
    }
    auto filter = expand_ldap_filter(options.filter, *user);
    if (!filter) {
        pam.log(LOG_ERR, printable("filter= for user " + *user + ": " + filter.error().message));
        return PAM_AUTHINFO_UNAVAIL;
    }
    // timeout= bounds each phase of the directory work, before the prompts
    // and after them (the user's typing is neither): one deadline each,
    // which the child's libldap limits and the parent's kill share.
    const auto timeout = std::chrono::seconds(options.timeout_seconds);
    const Deadline lookup_deadline = std::chrono::steady_clock::now() + timeout;
    auto lookup = [&]() -> Result<Lookup> {
        auto password = search_password(options);
        if (!password) return Error{"bindpw_file=: " + password.error().message};
        // uri= in order, each server in a child of its own with an equal
        // share of what is left, so that one that never answers (a TLS
        // handshake, DNS) leaves time for the next.
        std::string errors;
        for (std::size_t i = 0; i < options.uris.size(); ++i) {
            const std::string& uri = options.uris[i];
            const auto now = std::chrono::steady_clock::now();
            const auto left = std::max(lookup_deadline - now, Deadline::duration::zero());
            const Deadline share = now + left / static_cast<long>(options.uris.size() - i);
            auto reply = run_bounded_child(share, [&](ChildChannel& channel) {
                return look_up(options, uri, *user, *filter, *password, share, channel);
            });
            if (reply && reply->code == 0) return parse_lookup(*reply, uri);
            if (reply && reply->fields.size() != 1)
                return Error{"user " + *user + ": the LDAP process sent a malformed answer"};
            if (reply && reply->code != kLdapUnavailable) return Error{reply->fields.front()};
            errors += (errors.empty() ? "" : "; ") +
                      (reply ? reply->fields.front() : reply.error().message);
        }
        return Error{"no directory server for user " + *user + ": " + errors};
    }();
    if (!lookup) {
        pam.log(LOG_ERR, printable(lookup.error().message));
        return PAM_AUTHINFO_UNAVAIL;
    }
    if (lookup->found == Lookup::Found::no_token && options.optional) {
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
    if (lookup->found == Lookup::Found::unknown_user)
        return refuse_wrong(pam, "refused an unknown user");
    // Without a token the overlay would take the password alone: never bind.
    if (lookup->found == Lookup::Found::no_token)
        return refuse_wrong(pam,
                            printable("refused user " + *user + ": no OTP token in " + lookup->dn));
    if (!plausible(*typed, options))
        return refuse_wrong(pam, "refused user " + *user + ": no password or no code");

    // The user's bind, on the lookup's server only.
    auto password = search_password(options);
    if (!password) {
        pam.log(LOG_ERR, "bindpw_file=: " + password.error().message);
        return PAM_AUTHINFO_UNAVAIL;
    }
    SecretBytes both = credential(*typed);
    const Deadline verify_deadline = std::chrono::steady_clock::now() + timeout;
    auto verdict = run_bounded_child(verify_deadline, [&](ChildChannel& channel) {
        typed->password.wipe();
        typed->code.wipe();
        return verify(options, *lookup, *password, both, verify_deadline, channel);
    });
    both.wipe();
    password->wipe();
    const std::string why = !verdict                      ? verdict.error().message
                            : verdict->fields.size() == 1 ? verdict->fields.front()
                                                          : "malformed answer";
    if (verdict && verdict->code == 0 && verdict->fields.empty()) {
        pam.log(LOG_INFO, "accepted password and code for user " + *user);
        return PAM_SUCCESS;
    }
    switch (verdict ? verdict->code : kLdapUnavailable) {
        case LDAP_INVALID_CREDENTIALS:
            // The server does not say which part was wrong, or that ppolicy
            // locked the account: one message for all.
            return refuse_wrong(pam, "wrong password or code for user " + *user);
        case LDAP_COMPARE_FALSE:
            pam.tell_error(kReplayMessage);
            pam.log(LOG_WARNING, printable("replayed code for user " + *user + ": " + why));
            return PAM_AUTH_ERR;
        default:
            pam.log(LOG_ERR, printable("user " + *user + ": " + why));
            return PAM_AUTHINFO_UNAVAIL;
    }
}

}  // namespace pam_totp
