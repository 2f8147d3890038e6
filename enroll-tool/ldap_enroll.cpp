#include "ldap_enroll.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>
#include <string_view>
#include <vector>

#include "core/code_input.h"
#include "core/otp.h"
#include "core/printable_text.h"
#include "core/secret_bytes.h"
#include "core/secret_file.h"
#include "core/user_account.h"
#include "core/verifier.h"
#include "enrollment.h"
#include "ldap_enroll_config.h"
#include "ldap_module/ldap_client.h"
#include "otpauth_uri.h"
#include "terminal.h"

#ifndef TOTP_ENROLL_VERSION
#error "TOTP_ENROLL_VERSION must be defined by the build"
#endif

namespace totp_enroll {
namespace {

using pam_totp::Deadline;
using pam_totp::LdapChange;
using pam_totp::LdapConnection;
using pam_totp::LdapEntry;
using pam_totp::SecretBytes;

constexpr std::size_t kMaxPasswordLength = 1024;
// What the recipe's params entry says (ldap/README.md): the settings every
// authenticator app uses by default.
const pam_totp::OtpParams kFleetOtp{};

Error usage(std::string message) {
    return failure(ExitCode::usage,
                   message + "\nTry 'totp-enroll-ldap --help' for more information.");
}

// What this tool prints carries the directory's DNs and diagnostics: no
// terminal escapes or other control characters from the server reach the
// user's terminal (newlines stay: the messages have several lines).
constexpr std::size_t kMaxPrinted = 16384;

ExitCode fail(const Error& error) {
    write_stderr(pam_totp::printable_text("totp-enroll-ldap: " + error.message, kMaxPrinted, true) +
                 "\n");
    return exit_code(error);
}

ExitCode say(const std::string& text) {
    if (auto status = write_stdout(pam_totp::printable_text(text, kMaxPrinted, true)); !status)
        return fail(status.error());
    return ExitCode::ok;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool has_class(const LdapEntry& entry, std::string_view name) {
    return std::any_of(entry.object_classes.begin(), entry.object_classes.end(),
                       [&](const std::string& c) { return equal_ignoring_case(c, name); });
}

// An RDN value as RFC 4514 writes it.
std::string escape_rdn_value(std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        const bool special =
            c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' ||
            c == '=' || (i == 0 && (c == '#' || c == ' ')) || (i + 1 == value.size() && c == ' ');
        if (special) out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// "dc=example,dc=com" -> "example.com": the issuer the app shows.
std::string issuer_of(const std::string& suffix) {
    std::string out;
    std::size_t at = 0;
    while (at < suffix.size()) {
        std::size_t comma = suffix.find(',', at);
        if (comma == std::string::npos) comma = suffix.size();
        std::string_view rdn = std::string_view(suffix).substr(at, comma - at);
        if (rdn.size() > 3 && equal_ignoring_case(rdn.substr(0, 3), "dc=")) {
            if (!out.empty()) out += '.';
            out += rdn.substr(3);
        }
        at = comma + 1;
    }
    return out.empty() ? std::string("pam_totp") : out;
}

// Everything a session needs: the settings, the user, one connection.
struct Session {
    LdapEnrollConfig config;
    std::string user;  // the name searched for (%u)
    QrStyle qr = QrStyle::utf8;
    Deadline deadline() const {
        return std::chrono::steady_clock::now() + std::chrono::seconds(config.ldap.timeout_seconds);
    }
};

// The first server that answers (uri= in order, for connecting only).
Result<LdapConnection> connect(const Session& session) {
    std::string errors;
    const Deadline deadline = session.deadline();
    for (const std::string& uri : session.config.ldap.uris) {
        auto connection = LdapConnection::open(session.config.ldap, uri, deadline);
        if (connection) return connection;
        errors += (errors.empty() ? "" : "; ") + connection.error().message;
    }
    return failure(ExitCode::system, "no directory server answered: " + errors);
}

// The user's entry: exactly one under base=, uid byte for byte.
Result<LdapEntry> find_entry(LdapConnection& connection, const Session& session) {
    auto filter = pam_totp::expand_ldap_filter(session.config.ldap.filter, session.user);
    if (!filter) return failure(ExitCode::system, "filter=: " + filter.error().message);
    auto found = connection.find_user(session.config.ldap.base, *filter, session.deadline());
    if (!found) return failure(ExitCode::system, found.error().message);
    const std::string& base = session.config.ldap.base;
    if (!*found)
        return failure(ExitCode::refused, "user " + session.user + " has no entry under " + base +
                                              " in the directory");
    LdapEntry& entry = **found;
    if (entry.uids.size() != 1 || entry.uids.front() != session.user ||
        entry.dn.size() <= base.size() || !entry.dn.ends_with("," + base))
        return failure(ExitCode::refused, "the directory's entry " + entry.dn + " is not user " +
                                              session.user + "'s byte for byte (uid=)");
    return std::move(entry);
}

struct Enrolment {
    bool enrolled = false;             // class oathTOTPUser
    std::optional<std::string> token;  // the one linked TOTP token
};

Result<Enrolment> enrolment_of(const LdapEntry& entry) {
    if (has_class(entry, "oathHOTPUser") || !entry.hotp_tokens.empty())
        return failure(ExitCode::refused,
                       entry.dn +
                           " has a HOTP token, which fleet mode does not take: ask the "
                           "directory administrator");
    Enrolment out;
    out.enrolled = has_class(entry, "oathTOTPUser");
    if (entry.totp_tokens.size() > 1)
        return failure(ExitCode::refused, entry.dn + " names " +
                                              std::to_string(entry.totp_tokens.size()) +
                                              " tokens: ask the directory administrator");
    if (entry.totp_tokens.size() == 1) out.token = entry.totp_tokens.front();
    if (out.enrolled && !out.token)
        return failure(ExitCode::refused, entry.dn +
                                              " has the class oathTOTPUser but names no token: "
                                              "ask the directory administrator");
    return out;
}

Result<SecretBytes> ask(const std::string& prompt) {
    auto typed = read_line(prompt, kMaxPasswordLength);
    if (!typed) return typed.error();
    if (typed->empty()) return failure(ExitCode::refused, "nothing typed; nothing was changed");
    return std::move(*typed);
}

SecretBytes joined(const SecretBytes& password, std::string_view code) {
    auto out = SecretBytes::with_capacity(password.size() + code.size());
    out.append(password.view());
    out.append(code);
    return out;
}

// A simple bind as `dn`, and the server's word that it bound that entry.
Status bind_as(LdapConnection& connection, const Session& session, const std::string& dn,
               std::string_view credential, bool exact = true) {
    if (auto bound = connection.bind(dn, credential, session.deadline()); !bound) {
        if (bound.error().code == LDAP_INVALID_CREDENTIALS)
            return failure(ExitCode::refused, "the directory refused the bind as " + dn);
        return failure(ExitCode::system, bound.error().message);
    }
    auto who = connection.whoami(session.deadline());
    if (!who) return failure(ExitCode::system, who.error().message);
    // A user's DN is the one the search returned, byte for byte; the
    // administrator's is typed, and the server answers its normalized form.
    const bool same = exact ? *who == "dn:" + dn : equal_ignoring_case(*who, "dn:" + dn);
    if (!same) return failure(ExitCode::system, "the server bound " + *who + ", not dn:" + dn);
    return {};
}

// The overlay's last step of `token` as this connection may read it: 0 when
// the token does not exist; nullopt when it cannot be read. `linked`: the
// user's entry names the token, so noSuchObject means that the ACLs hide it
// (the recipe's do from anonymous readers), not that there is none.
Result<std::optional<std::uint64_t>> last_step(LdapConnection& connection, const Session& session,
                                               const std::string& token, bool linked) {
    auto values = connection.read(token, "oathTOTPLastTimeStep", session.deadline());
    if (!values) {
        if (values.error().code == LDAP_NO_SUCH_OBJECT && !linked)
            return std::optional<std::uint64_t>(std::uint64_t{0});
        if (values.error().code == LDAP_INSUFFICIENT_ACCESS || values.error().code > 0)
            return std::optional<std::uint64_t>();
        return failure(ExitCode::system, values.error().message);
    }
    if (values->empty()) return std::optional<std::uint64_t>(std::uint64_t{0});
    std::uint64_t step = 0;
    const std::string& text = values->front();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
    if (values->size() != 1 || ec != std::errc() || end != text.data() + text.size())
        return failure(ExitCode::system, token + ": oathTOTPLastTimeStep is not one number");
    return std::optional<std::uint64_t>(step);
}

// The server-side check (review finding 7): a fresh connection to the
// server that took the writes, and a simple bind with the password and a
// code of the new secret for a step the overlay has not seen yet. It proves
// the directory holds the secret the phone holds.
Status confirm_on_server(const Session& session, const std::string& uri, const std::string& dn,
                         const SecretBytes& password, const SecretBytes& key,
                         const Confirmation& confirmed, std::uint64_t last) {
    std::optional<pam_totp::OtpCode> code;
    if (confirmed.counter > last) {
        code = pam_totp::hotp(key.span(), kFleetOtp.algorithm, confirmed.counter, kFleetOtp.digits);
    } else {
        // The step of the code just typed is spent on the server already
        // (a token kept by the administrator's reset whose last login used
        // this step or a later one).
        if (auto shown = write_stdout("The directory has used up this time step. Wait until your "
                                      "app shows the next code.\n");
            !shown)
            return shown.error();
        for (int attempt = 1; attempt <= kConfirmationTries && !code; ++attempt) {
            auto typed =
                read_line("Enter the next code the app shows: ", pam_totp::kMaxTypedLength);
            if (!typed)
                return Error{typed.error().message +
                                 "; the new secret is saved but not checked by the directory: "
                                 "check it with a login",
                             typed.error().code};
            const SecretBytes entered = pam_totp::normalize_typed_code(typed->view());
            const auto now = static_cast<std::int64_t>(std::time(nullptr));
            const auto result =
                pam_totp::verify_totp(key.span(), kFleetOtp, now, 1, last, entered.view());
            if (result.verdict == pam_totp::Verdict::accepted)
                code = pam_totp::hotp(key.span(), kFleetOtp.algorithm, result.counter,
                                      kFleetOtp.digits);
            else if (result.verdict == pam_totp::Verdict::replayed)
                write_stderr(
                    "That is still the code the directory has used: wait for the next "
                    "one.\n");
            else
                write_stderr("That code is not right.\n");
        }
        if (!code)
            return failure(ExitCode::refused,
                           "no new code to check the enrolment with; the new secret is saved: "
                           "check it with a login (if that fails, ask the directory "
                           "administrator)");
    }
    auto connection = LdapConnection::open(session.config.ldap, uri, session.deadline());
    if (!connection) return failure(ExitCode::system, connection.error().message);
    const SecretBytes credential = joined(password, code->view());
    if (auto bound = bind_as(*connection, session, dn, credential.view()); !bound)
        return failure(
            ExitCode::system,
            "the directory did not accept a code of the new secret (" + bound.error().message +
                "): what it holds is not what your app shows. Do not rely on this enrolment: "
                "ask the directory administrator");
    return {};
}

// Review finding 3 of the second reading (ldap/README.md): the token holds a
// secret, but the entry is not enrolled.
constexpr const char* kSecretAlreadySet =
    "a secret is already set for you: another enrolment is done or under way; ask your "
    "administrator. Nothing was written; the secret shown was not saved: delete it from your "
    "app";

// The writes of a first enrolment, on the connection the user bound.
Status write_first_enrolment(LdapConnection& connection, const Session& session,
                             const LdapEntry& entry, const Enrolment& state,
                             const std::string& token, const SecretBytes& key) {
    const std::vector<LdapChange> token_entry = {
        {LDAP_MOD_ADD, "objectClass", {"device", "oathTOTPToken"}},
        {LDAP_MOD_ADD, "cn", {session.user}},
        {LDAP_MOD_ADD, "oathSecret", {key.view()}},
        {LDAP_MOD_ADD, "oathTOTPParams", {session.config.params}},
    };
    auto added = connection.add_entry(token, token_entry, session.deadline());
    if (!added && added.error().code == LDAP_ALREADY_EXISTS) {
        // A token kept by the administrator's reset (with its step), which
        // deleted its secret: the secret is added, never replaced. Users may
        // only add one (ldap/fleet-database.ldif); oathSecret is single-valued,
        // so a token that has one refuses the add.
        const std::vector<LdapChange> secret = {{LDAP_MOD_ADD, "oathSecret", {key.view()}}};
        added = connection.modify(token, secret, session.deadline());
        if (!added && (added.error().code == LDAP_CONSTRAINT_VIOLATION ||
                       added.error().code == LDAP_TYPE_OR_VALUE_EXISTS))
            return failure(ExitCode::refused, kSecretAlreadySet);
    }
    if (!added) return failure(ExitCode::system, added.error().message);
    // One modify: the class and the link come together or not at all. Only
    // adds (users may not delete or replace either, ldap/fleet-database.ldif).
    std::vector<LdapChange> link;
    if (!state.enrolled) link.push_back({LDAP_MOD_ADD, "objectClass", {"oathTOTPUser"}});
    if (!state.token) link.push_back({LDAP_MOD_ADD, "oathTOTPToken", {token}});
    if (!link.empty()) {
        if (auto linked = connection.modify(entry.dn, link, session.deadline()); !linked) {
            if (linked.error().code == LDAP_TYPE_OR_VALUE_EXISTS)
                return failure(ExitCode::system,
                               linked.error().message +
                                   ": your entry was enrolled by another session meanwhile. Do "
                                   "not rely on this enrolment: ask your administrator");
            return failure(ExitCode::system, linked.error().message);
        }
    }
    return {};
}

// The invoking user as the directory has them: a connection to the first
// server that answers, their entry there, and whether it is enrolled.
struct Looked {
    LdapConnection connection;
    LdapEntry entry;
    Enrolment state;
};

Result<Looked> look_up(const Session& session) {
    auto connection = connect(session);
    if (!connection) return connection.error();
    auto entry = find_entry(*connection, session);
    if (!entry) return entry.error();
    auto state = enrolment_of(*entry);
    if (!state) return state.error();
    return Looked{std::move(*connection), std::move(*entry), std::move(*state)};
}

ExitCode run_enroll(Session& session) {
    auto looked = look_up(session);
    if (!looked) return fail(looked.error());
    auto* connection = &looked->connection;
    const LdapEntry* entry = &looked->entry;
    const Enrolment* state = &looked->state;
    // No self-service re-enrolment (ldap/README.md, "Enrolment"): users may
    // only add their factor, never replace it, so that a session bound once
    // cannot take it over later. A new phone goes through the reset.
    if (state->enrolled)
        return fail(failure(
            ExitCode::refused,
            session.user + " is enrolled already (token " + *state->token +
                "); nothing was changed.\nA new or lost phone goes through the directory "
                "administrator, who checks who you are and resets your enrolment:\n  "
                "totp-enroll-ldap --remove --user " +
                session.user +
                " --admin-dn THEIR-DN\nand hands you a new password; then run totp-enroll-ldap "
                "again at once."));
    const std::string expected =
        "cn=" + escape_rdn_value(session.user) + "," + session.config.tokens;
    if (state->token && !equal_ignoring_case(*state->token, expected))
        return fail(failure(ExitCode::refused, entry->dn + " names the token " + *state->token +
                                                   ", not " + expected +
                                                   ": ask the directory administrator"));
    const std::string token = state->token.value_or(expected);

    auto password = ask("Directory password for " + session.user + ": ");
    if (!password) return fail(password.error());
    if (auto bound = bind_as(*connection, session, entry->dn, password->view()); !bound)
        return fail(failure(exit_code(bound.error()),
                            bound.error().message + " (wrong password); nothing was changed"));
    // The step the overlay has spent on a token kept by the administrator's
    // reset: the server-side check needs a later one. A token that does not
    // exist yet has spent none; one this connection cannot read (a site's
    // stricter ACLs) is taken as 0, and a code of a step its last login used
    // is then refused by the server-side check, which says so.
    auto spent = last_step(*connection, session, token, false);
    if (!spent) return fail(spent.error());
    const std::uint64_t last = spent->value_or(0);

    const SecretBytes key = SecretBytes::random(pam_totp::kDefaultKeySize);
    UriFields fields;
    fields.issuer = issuer_of(directory_suffix(session.config.ldap.base));
    fields.account = session.user;
    fields.otp = kFleetOtp;
    const SecretBytes uri = build_otpauth_uri(fields, key.span());
    if (auto shown = show_secret(session.qr, kFleetOtp, uri, key); !shown)
        return fail(shown.error());
    auto confirmed = confirm_code(kFleetOtp, key);
    if (!confirmed) return fail(confirmed.error());

    if (auto written = write_first_enrolment(*connection, session, *entry, *state, token, key);
        !written)
        return fail(written.error());
    if (auto checked = confirm_on_server(session, connection->uri(), entry->dn, *password, key,
                                         *confirmed, last);
        !checked)
        return fail(checked.error());
    std::string done = "Code accepted by the directory (" + connection->uri() +
                       "): " + session.user + " is enrolled with token " + token + ".\n";
    done += confirmed->clock_note;
    done +=
        "The code just checked is used up: log in with the next one your app shows.\n"
        "A new or lost phone goes through the directory administrator's reset.\n";
    return say(done);
}

ExitCode run_status(Session& session) {
    auto looked = look_up(session);
    if (!looked) return fail(looked.error());
    auto* connection = &looked->connection;
    const LdapEntry* entry = &looked->entry;
    const Enrolment* state = &looked->state;
    if (!state->enrolled) {
        if (auto shown = say(session.user + " (" + entry->dn + "): not enrolled\n");
            shown != ExitCode::ok)
            return shown;
        return ExitCode::not_enrolled;
    }
    std::string text =
        session.user + " (" + entry->dn + "): enrolled, token " + *state->token + "\n";
    auto step = last_step(*connection, session, *state->token, true);
    if (step && *step && **step > 0) {
        const auto when = static_cast<std::time_t>(**step * kFleetOtp.period);
        char stamp[64] = {};
        std::tm tm{};
        ::gmtime_r(&when, &tm);
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S UTC", &tm);
        text += "last step used: " + std::to_string(**step) + " (" + stamp + ")\n";
    } else if (step && *step) {
        text += "last step used: none yet\n";
    } else {
        text += "last step used: not readable without binding\n";
    }
    return say(text);
}

// Review findings 4 and 5: removal is not self-service.
ExitCode refuse_self_removal(const Session& session) {
    return fail(failure(
        ExitCode::refused,
        "removing a fleet enrolment is done by the directory administrator, who checks who "
        "you are first: ask them to run\n  totp-enroll-ldap --remove --user " +
            session.user + " --admin-dn THEIR-DN\n(a new phone goes through the same reset)"));
}

// The administrator's reset: the class and the link values (named, never a
// replace or a whole-attribute delete), then the secret of the user's token
// cn=USER,TOKENS (a whole-attribute delete: the value is never read). The
// token stays: its last step and claims keep used codes used. The user can
// then enrol again (users may add a secret only where there is none).
ExitCode run_remove(Session& session, const std::string& admin_dn) {
    auto connection = connect(session);
    if (!connection) return fail(connection.error());
    auto password = ask("Password for " + admin_dn + ": ");
    if (!password) return fail(password.error());
    if (auto bound = bind_as(*connection, session, admin_dn, password->view(), false); !bound)
        return fail(bound.error());
    password->wipe();
    auto entry = find_entry(*connection, session);
    if (!entry) return fail(entry.error());
    const std::string token = "cn=" + escape_rdn_value(session.user) + "," + session.config.tokens;
    const bool has_totp_class = has_class(*entry, "oathTOTPUser");
    std::vector<LdapChange> changes;
    if (has_totp_class) changes.push_back({LDAP_MOD_DELETE, "objectClass", {"oathTOTPUser"}});
    if (!entry->totp_tokens.empty()) {
        LdapChange link{LDAP_MOD_DELETE, "oathTOTPToken", {}};
        for (const std::string& value : entry->totp_tokens) link.values.push_back(value);
        changes.push_back(std::move(link));
    }
    if (!changes.empty()) {
        if (auto removed = connection->modify(entry->dn, changes, session.deadline()); !removed)
            return fail(failure(ExitCode::system, removed.error().message));
    }
    const std::vector<LdapChange> secret = {{LDAP_MOD_DELETE, "oathSecret", {}}};
    bool secret_deleted = true;
    if (auto deleted = connection->modify(token, secret, session.deadline()); !deleted) {
        const int code = deleted.error().code;
        if (code != LDAP_NO_SUCH_ATTRIBUTE && code != LDAP_NO_SUCH_OBJECT)
            return fail(failure(
                ExitCode::system,
                (changes.empty() ? std::string()
                                 : "removed the class and link of " + entry->dn + ", but ") +
                    "the secret of " + token + " was not deleted: " + deleted.error().message +
                    "; until it is, " + session.user +
                    " cannot enrol: run this again once the cause is fixed"));
        secret_deleted = false;
    }
    if (changes.empty() && !secret_deleted)
        return fail(failure(ExitCode::refused, session.user + " (" + entry->dn +
                                                   ") is not enrolled and " + token +
                                                   " holds no secret; nothing was changed"));
    std::string text = "Removed the fleet enrolment of " + session.user + " (" + entry->dn + ")";
    std::vector<std::string> parts;
    if (has_totp_class) parts.push_back("the class oathTOTPUser");
    if (!entry->totp_tokens.empty()) parts.push_back("the link");
    if (secret_deleted) parts.push_back("the secret of " + token);
    for (std::size_t i = 0; i < parts.size(); ++i)
        text += (i == 0 ? ": " : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    text += "; the token is kept (its last step and claims keep used codes used).\n";
    for (const std::string& linked : entry->totp_tokens)
        if (!equal_ignoring_case(linked, token))
            text += "The entry named the token " + linked + ", not " + token +
                    ": that one's secret is kept.\n";
    text += "Hosts with `optional` now take the password alone; enforcing hosts refuse " +
            session.user +
            " until they enrol again with totp-enroll --ldap.\nSet a new password for " +
            session.user +
            ", hand it over out of band, and have them enrol at once (ldap/README.md, "
            "Recovery).\n";
    return say(text);
}

}  // namespace

Result<LdapEnrollOptions> parse_ldap_enroll_options(int argc, const char* const* argv) {
    LdapEnrollOptions options;
    options.config = pam_totp::kDefaultLdapConfig;
    bool action_set = false;
    bool config_set = false;
    bool qr_set = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view name = arg;
        std::optional<std::string> value;
        if (const std::size_t eq = arg.find('='); arg.starts_with("--") && eq != arg.npos) {
            name = arg.substr(0, eq);
            value = std::string(arg.substr(eq + 1));
        }
        auto take_value = [&]() -> Result<std::string> {
            if (!value) {
                if (i + 1 >= argc) return usage(std::string(name) + " needs a value");
                value = argv[++i];
            }
            if (value->empty()) return usage(std::string(name) + " needs a non-empty value");
            return *value;
        };
        auto set_action = [&](LdapAction action) -> Status {
            if (value) return usage(std::string(name) + " takes no value");
            if (action_set) return usage("only one of --status and --remove");
            action_set = true;
            options.action = action;
            return {};
        };
        if (name == "--help" || name == "-h") {
            options.action = LdapAction::help;
            return options;
        }
        if (name == "--version") {
            options.action = LdapAction::version;
            return options;
        }
        Status status;
        if (name == "--status") {
            status = set_action(LdapAction::status);
        } else if (name == "--remove") {
            status = set_action(LdapAction::remove);
        } else if (name == "--user" || name == "--admin-dn" || name == "--ldap-config" ||
                   name == "--qr") {
            auto text = take_value();
            if (!text) return text.error();
            auto& slot = name == "--user" ? options.user : options.admin_dn;
            if (name == "--ldap-config") {
                if (config_set) return usage("--ldap-config given twice");
                if (text->front() != '/') return usage("--ldap-config needs an absolute path");
                config_set = true;
                options.config = *text;
            } else if (name == "--qr") {
                if (qr_set) return usage("--qr given twice");
                qr_set = true;
                if (*text == "utf8")
                    options.qr = QrStyle::utf8;
                else if (*text == "ansi")
                    options.qr = QrStyle::ansi;
                else if (*text == "none")
                    options.qr = QrStyle::none;
                else
                    return usage("--qr must be utf8, ansi or none, not '" + *text + "'");
            } else {
                if (slot) return usage(std::string(name) + " given twice");
                slot = *text;
            }
        } else if (!arg.starts_with("-")) {
            return usage("unexpected argument '" + std::string(arg) + "'");
        } else {
            return usage("unknown option '" + std::string(name) + "'");
        }
        if (!status) return status.error();
    }
    // Self-service is the invoking user's, always: --user names someone
    // else only for the administrator's removal.
    if (options.user && !options.admin_dn)
        return usage(
            "--user is used with --remove --admin-dn only (self-service actions are "
            "always the invoking user's)");
    if (options.admin_dn && options.action != LdapAction::remove)
        return usage("--admin-dn is used with --remove only");
    if (options.admin_dn && !options.user) return usage("--admin-dn needs --user NAME");
    if (qr_set && options.action != LdapAction::enroll)
        return usage("--qr is used when enrolling only");
    return options;
}

std::string ldap_enroll_help() {
    return R"(Usage: totp-enroll-ldap [OPTION]...
       totp-enroll --ldap [OPTION]...
Fleet mode (pam_totp_ldap.so): enrol the invoking user's authenticator in
the directory. Asks the directory password, shows a QR code, checks one code
locally, writes the token and checks a code against the directory. An
enrolled user is told to ask the directory administrator for a reset (a new
or lost phone): users cannot replace or remove their factor.

Actions (default: enrol the invoking user):
      --status             enrolled or not, the token, its last step if readable
      --remove             with --user NAME --admin-dn DN: the directory
                           administrator resets NAME's enrolment (class, link
                           and the token's secret; the token stays); users
                           cannot remove their own
  -h, --help               show this help and exit
      --version            show the version and exit

Options:
      --ldap-config FILE   settings instead of /etc/pam_totp/ldap.conf (the
                           module's file: root-owned, not writable by others)
      --user NAME          with --remove: whose enrolment
      --admin-dn DN        with --remove: the administrator's bind DN (its
                           password is asked)
      --qr=MODE            utf8 (default), ansi or none

Exit status: 0 done (--status: enrolled); 1 refused (wrong password or code,
gave up, enrolled already, a secret already set, not enrolled, removal by a
user); 2 usage error; 3 system problem
(configuration, directory unreachable, a write refused).
)";
}

ExitCode run_ldap_enroll(const LdapEnrollOptions& options) {
    if (options.action == LdapAction::help) return say(ldap_enroll_help());
    if (options.action == LdapAction::version)
        return say(std::string("totp-enroll-ldap (pam_totp) ") + TOTP_ENROLL_VERSION + "\n");
    if (::getuid() != ::geteuid() || ::getgid() != ::getegid())
        return fail(failure(ExitCode::system,
                            "totp-enroll-ldap is running setuid or setgid; it must never be "
                            "installed that way (fix its mode with chmod u-s,g-s)"));
    Session session;
    if (options.user) {
        session.user = *options.user;  // the administrator's --remove
    } else {
        auto account = pam_totp::find_account(::getuid());
        if (!account) return fail(failure(ExitCode::system, account.error().message));
        session.user = account->name;
    }
    if (options.action == LdapAction::remove && !options.admin_dn)
        return refuse_self_removal(session);
    auto config = load_enroll_config(options.config);
    if (!config) return fail(failure(ExitCode::system, config.error().message));
    session.config = std::move(*config);
    session.qr = options.qr;
    switch (options.action) {
        case LdapAction::status:
            return run_status(session);
        case LdapAction::remove:
            return run_remove(session, *options.admin_dn);
        default:
            return run_enroll(session);
    }
}

}  // namespace totp_enroll
