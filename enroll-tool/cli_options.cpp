#include "cli_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <string_view>

#include "core/host_key_files.h"
#include "core/module_options.h"

#ifndef TOTP_ENROLL_VERSION
#error "TOTP_ENROLL_VERSION must be defined by the build"
#endif

namespace totp_enroll {
namespace {

using pam_totp::Algorithm;
using pam_totp::OtpType;

Error usage(std::string message) {
    return failure(ExitCode::usage, message + "\nTry 'totp-enroll --help' for more information.");
}

// A decimal number in [low, high]; no sign, no junk.
std::optional<int> parse_int(std::string_view text, int low, int high) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || text[0] == '-' ||
        text[0] == '+')
        return std::nullopt;
    if (value < low || value > high) return std::nullopt;
    return value;
}

// Issuer and label end up in the otpauth:// label "ISSUER:ACCOUNT", where a
// colon would move the split, and in the app's list, where control
// characters have no business.
Status check_display_text(std::string_view flag, std::string_view value) {
    if (value.empty()) return usage(std::string(flag) + " must not be empty");
    if (value.size() > 64) return usage(std::string(flag) + " is longer than 64 bytes");
    if (value.find(':') != std::string_view::npos)
        return usage(std::string(flag) + " must not contain ':' (it separates issuer and account)");
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return usage(std::string(flag) + " must not contain control characters");
    return {};
}

struct Spec {
    std::string_view name;
    bool takes_value;
};

constexpr Spec kSpecs[] = {
    {"--import", true},  {"--status", false},   {"--list", false},   {"--json", false},
    {"--remove", false}, {"--pin", false},      {"--unlock", false}, {"--generate-host-key", false},
    {"--help", false},   {"--version", false},  {"--force", false},  {"--all", false},
    {"--user", true},    {"--file", true},      {"--keydir", true},  {"--statedir", true},
    {"--owner", true},   {"--issuer", true},    {"--label", true},   {"--digits", true},
    {"--period", true},  {"--algorithm", true}, {"--hotp", false},   {"--qr", true},
    {"--check", false},  {"--root", true},      {"--code", false},   {"--rekey", false},
    {"--finish", false},
};

// Flags that only shape a new enrolment's secret and QR code.
constexpr std::string_view kEnrolSettings[] = {"--issuer",    "--label", "--digits", "--period",
                                               "--algorithm", "--hotp",  "--qr"};

// The flags that choose what totp-enroll does (enrolling is the default).
struct ActionFlag {
    std::string_view name;
    Action action;
};
constexpr ActionFlag kActionFlags[] = {
    {"--import", Action::import},
    {"--status", Action::status},
    {"--list", Action::list},
    {"--remove", Action::remove},
    {"--pin", Action::pin},
    {"--unlock", Action::unlock},
    {"--rekey", Action::rekey},
    {"--check", Action::check},
    {"--generate-host-key", Action::generate_host_key},
};

std::optional<Action> action_named(std::string_view name) {
    for (const ActionFlag& flag : kActionFlags)
        if (flag.name == name) return flag.action;
    return std::nullopt;
}

std::string_view action_flag(Action action) {
    for (const ActionFlag& flag : kActionFlags)
        if (flag.action == action) return flag.name;
    return "";
}

// --all picks the users itself: only with --pin, never with one user or file.
Status check_all_users(const Options& options, const std::set<std::string_view>& seen) {
    if (!options.all_users) return {};
    if (options.action != Action::pin) return usage("--all is used with --pin only");
    for (std::string_view flag : {"--user", "--file"})
        if (seen.count(flag)) return usage(std::string(flag) + " cannot be used with --all");
    return {};
}

// --owner shapes a file root writes for a user, at a path outside the home
// (the module's secret_owner=root refuses %h).
Status check_owner(const Options& options, const std::set<std::string_view>& seen) {
    if (!seen.count("--owner")) return {};
    if (options.action != Action::enroll && options.action != Action::import)
        return usage("--owner cannot be used with " + std::string(action_flag(options.action)));
    if (options.owner == SecretOwner::root && (!options.user || !options.file))
        return usage("--owner root needs --user NAME and --file PATH");
    return {};
}

// --root and --code belong to --check; --code checks one user's phone.
Status check_doctor(const Options& options, const std::set<std::string_view>& seen) {
    if (options.action != Action::check) {
        for (std::string_view flag : {"--root", "--code"})
            if (seen.count(flag)) return usage(std::string(flag) + " is used with --check only");
        return {};
    }
    if (options.code && !options.user) return usage("--code needs --user NAME");
    if (options.root_dir && (options.root_dir->empty() || options.root_dir->front() != '/'))
        return usage("--root needs an absolute path");
    for (std::string_view flag : {"--force", "--all", "--owner", "--json"})
        if (seen.count(flag)) return usage(std::string(flag) + " cannot be used with --check");
    return {};
}

// --rekey works on the key directory and statedir; --finish only with it,
// and for the whole statedir.
Status check_rekey(const Options& options, const std::set<std::string_view>& seen) {
    if (options.action != Action::rekey) {
        if (seen.count("--finish")) return usage("--finish is used with --rekey only");
        return {};
    }
    if (options.finish && options.user) return usage("--finish cannot be used with --user");
    if (options.force && !options.finish) return usage("--force goes with --rekey --finish only");
    for (std::string_view flag : {"--file", "--all", "--owner", "--json"})
        if (seen.count(flag)) return usage(std::string(flag) + " cannot be used with --rekey");
    return {};
}

}  // namespace

Result<Options> parse_options(int argc, const char* const* argv) {
    Options options;
    options.keydir = pam_totp::kDefaultKeyDir;
    // The module's own default for statedir=, so both name the same records.
    options.statedir = pam_totp::ModuleOptions{}.statedir;
    std::set<std::string_view> seen;
    std::optional<Action> action;

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h") arg = "--help";
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (const std::size_t eq = arg.find('=');
            arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        const auto spec = std::find_if(std::begin(kSpecs), std::end(kSpecs),
                                       [&](const Spec& s) { return s.name == name; });
        if (spec == std::end(kSpecs)) {
            if (arg == "--ldap") return usage("--ldap must be the first argument");
            if (!arg.starts_with("-"))
                return usage("unexpected argument '" + std::string(arg) + "'");
            return usage("unknown option '" + std::string(name) + "'");
        }
        if (!seen.insert(spec->name).second) return usage(std::string(name) + " given twice");

        std::string value;
        if (spec->takes_value) {
            if (inline_value) {
                value = std::string(*inline_value);
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return usage(std::string(name) + " needs a value");
            }
            if (value.empty()) return usage(std::string(name) + " needs a non-empty value");
        } else if (inline_value) {
            return usage(std::string(name) + " takes no value");
        }

        auto set_action = [&](Action a) -> Status {
            if (action)
                return usage(std::string(action_flag(*action)) + " and " + std::string(name) +
                             " cannot be combined");
            action = a;
            return {};
        };

        if (name == "--help") {
            options.action = Action::help;
            return options;
        }
        if (name == "--version") {
            options.action = Action::version;
            return options;
        }
        Status status;
        if (const auto chosen = action_named(name)) {
            status = set_action(*chosen);
            if (*chosen == Action::import) options.import_file = value;
        } else if (name == "--json") {
            options.json = true;
        } else if (name == "--finish") {
            options.finish = true;
        } else if (name == "--root") {
            options.root_dir = value;
        } else if (name == "--code") {
            options.code = true;
        } else if (name == "--force") {
            options.force = true;
        } else if (name == "--all") {
            options.all_users = true;
        } else if (name == "--user") {
            options.user = value;
        } else if (name == "--file") {
            options.file = value;
        } else if (name == "--keydir") {
            options.keydir = value;
        } else if (name == "--statedir") {
            options.statedir = value;
        } else if (name == "--owner") {
            if (value != "user" && value != "root")
                return usage("--owner must be user or root, not '" + value + "'");
            options.owner = value == "root" ? SecretOwner::root : SecretOwner::user;
        } else if (name == "--issuer" || name == "--label") {
            if (auto checked = check_display_text(name, value); !checked) return checked.error();
            (name == "--issuer" ? options.issuer : options.label) = value;
        } else if (name == "--digits") {
            auto digits = parse_int(value, pam_totp::kMinDigits, pam_totp::kMaxDigits);
            if (!digits) return usage("--digits must be a number from 6 to 8, not '" + value + "'");
            options.otp.digits = *digits;
        } else if (name == "--period") {
            auto period = parse_int(value, pam_totp::kMinPeriod, pam_totp::kMaxPeriod);
            if (!period)
                return usage("--period must be a number of seconds from 15 to 300, not '" + value +
                             "'");
            options.otp.period = *period;
        } else if (name == "--algorithm") {
            std::string upper = value;
            std::transform(upper.begin(), upper.end(), upper.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            auto algorithm = pam_totp::parse_algorithm(upper);
            if (!algorithm)
                return usage("--algorithm must be SHA1, SHA256 or SHA512, not '" + value + "'");
            options.otp.algorithm = *algorithm;
        } else if (name == "--hotp") {
            options.otp.type = OtpType::hotp;
        } else if (name == "--qr") {
            if (value == "utf8")
                options.qr = QrStyle::utf8;
            else if (value == "ansi")
                options.qr = QrStyle::ansi;
            else if (value == "none")
                options.qr = QrStyle::none;
            else
                return usage("--qr must be utf8, ansi or none, not '" + value + "'");
        }
        if (!status) return status.error();
    }

    options.action = action.value_or(Action::enroll);
    if (options.action != Action::enroll) {
        // Settings of a new secret mean nothing to the other actions (an
        // imported file keeps its own); refusing beats ignoring them.
        for (std::string_view flag : kEnrolSettings)
            if (seen.count(flag))
                return usage(std::string(flag) + " cannot be used with " +
                             std::string(action_flag(options.action)));
    }
    if (options.action == Action::generate_host_key) {
        for (std::string_view flag : {"--user", "--file", "--statedir"})
            if (seen.count(flag))
                return usage(std::string(flag) + " cannot be used with --generate-host-key");
    }
    if (auto checked = check_doctor(options, seen); !checked) return checked.error();
    if (auto checked = check_rekey(options, seen); !checked) return checked.error();
    if (options.json && options.action != Action::list)
        return usage("--json is used with --list only");
    if (options.action == Action::list) {
        // Every record in the state directory, read only: no user, no file,
        // nothing to force (--keydir is accepted and unused: nothing is
        // unsealed).
        for (std::string_view flag : {"--user", "--file", "--force"})
            if (seen.count(flag)) return usage(std::string(flag) + " cannot be used with --list");
    }
    if ((options.action == Action::status || options.action == Action::unlock) && options.force)
        return usage("--force cannot be used with " + std::string(action_flag(options.action)));
    if (auto status = check_all_users(options, seen); !status) return status.error();
    if (auto status = check_owner(options, seen); !status) return status.error();
    if (options.otp.type == OtpType::hotp && seen.count("--period"))
        return usage("--period cannot be used with --hotp (HOTP codes have no time step)");
    return options;
}

std::string help_text() {
    return R"(Usage: totp-enroll [OPTION]...
Enrol in pam_totp one-time codes: show a QR code for an authenticator app,
check one code from it, then save the secret sealed to this host's key and
print ten single-use recovery codes.

Actions (default: enrol the invoking user):
      --import FILE        enrol from a ~/.google_authenticator file: keep its
                           secret, TOTP/HOTP mode and scratch codes (they become
                           recovery codes); no QR code, no code asked
      --status             tell whether the user is enrolled and how (reads only
                           the file's header, needs no key); as root also the
                           module's record: pin, switch waiting, failures, lock
      --list               one line per user record in the state directory (root
                           only): uid, pin, type and creation of the pinned
                           file, last login, failures, lock, switch waiting,
                           or why the record is damaged; exit 1 if one is
      --json               with --list: a JSON array of objects, for scripts
      --remove             delete the user's secret file; as root also retire
                           it and the pinned enrolment in the module's record,
                           so no copy of them is trusted again
      --pin                make the user's secret file the enrolment the module
                           trusts (root only); with --all, every user whose
                           ~/.pam_totp exists and who has no pin yet
      --unlock             clear the user's failed codes and lock (root only);
                           used recovery codes stay used
      --rekey              (root) a new host key pair; every pinned enrolment
                           in statedir and every user's file re-sealed to it
                           (nobody enrols again); the previous key stays as
                           host.key.old for pins not yet re-sealed; safe to
                           run again after an interruption
      --finish             with --rekey: remove host.key.old once no record in
                           statedir needs it
      --check              the setup doctor: the PAM stacks of sshd, login, su
                           and sudo, sshd's effective settings (sshd -T), the
                           host key, the state directory and the clock; with
                           --user NAME also that user's file and record; one
                           PASS/WARN/FAIL line each with its fix; exit 1 when
                           something fails
      --root DIR           with --check: read DIR/etc/pam.d, DIR/etc/ssh and
                           the module's paths under DIR instead of /
      --code               with --check --user NAME (root): ask for a code from
                           the user's phone and say how far its clock is off;
                           nothing is written, the code stays usable
      --generate-host-key  create host.key (0600) and host.pub (0644) in the key
                           directory (root only)
      --ldap [ARGS]        fleet mode (pam_totp_ldap): run totp-enroll-ldap with
                           ARGS (package libpam-totp-ldap), which enrols the
                           invoking user in the directory; must come first;
                           totp-enroll-ldap --help lists ARGS
  -h, --help               show this help and exit
      --version            show the version and exit

Options:
      --force              replace an existing enrolment, pin or host key (a
                           new host key makes every existing secret file
                           unreadable)
      --all                with --pin: every user in the password database
      --user NAME          act on another user's enrolment (root only); a new
                           file carries root's tag and is pinned at once
      --file PATH          the secret file (default: ~/.pam_totp of the user,
                           the home directory from the password database); it
                           must match the module's secret= option
      --owner OWNER        user (default) or root: who owns the file written
                           with --user and --file; root for the module's
                           secret_owner=root
      --keydir DIR         where host.key and host.pub are
                           (default: /etc/pam_totp)
      --statedir DIR       the module's records (default: /var/lib/pam_totp);
                           it must match the module's statedir= option
      --issuer TEXT        issuer shown by the app (default: the host name)
      --label TEXT         account shown by the app (default: USER@HOST)
      --digits N           digits per code, 6 to 8 (default: 6)
      --period SECONDS     TOTP time step, 15 to 300 (default: 30)
      --algorithm NAME     SHA1, SHA256 or SHA512 (default: SHA1, the only one
                           every app supports)
      --hotp               counter-based (HOTP) instead of time-based codes
      --qr=MODE            utf8: half blocks, fits 80x24 (default); ansi:
                           terminal colours, for fonts without block
                           characters; none: no QR code

The code is read from the terminal without echo, or, when standard input is
not a terminal, as a line from standard input (so enrolment can be scripted).

Exit status: 0 done; 1 refused (gave up, three wrong codes, already enrolled
or pinned, host key exists without --force, a root-only action by another
user, no record to unlock, an administrator manages the enrolment, a
damaged record in --list); 2 usage error; 3 system problem (host key, files,
records, user database). --status: 0 enrolled, 1 not enrolled, 3 unreadable
or invalid file.
)";
}

std::string version_text() {
    return std::string("totp-enroll (pam_totp) ") + TOTP_ENROLL_VERSION + "\n";
}

}  // namespace totp_enroll
