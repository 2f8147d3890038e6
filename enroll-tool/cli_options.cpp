#include "cli_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <string_view>

#include "core/host_key_files.h"

#ifndef TOTP_ENROLL_VERSION
#error "TOTP_ENROLL_VERSION must be defined by the build"
#endif

namespace totp_enroll {
namespace {

using pam_totp::Algorithm;
using pam_totp::OtpType;

Failure usage(std::string message) {
    return Failure{ExitCode::usage, message + "\nTry 'totp-enroll --help' for more information."};
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
std::optional<std::string> check_display_text(std::string_view flag, std::string_view value) {
    if (value.empty()) return std::string(flag) + " must not be empty";
    if (value.size() > 64) return std::string(flag) + " is longer than 64 bytes";
    if (value.find(':') != std::string_view::npos)
        return std::string(flag) + " must not contain ':' (it separates issuer and account)";
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return std::string(flag) + " must not contain control characters";
    return std::nullopt;
}

struct Spec {
    std::string_view name;
    bool takes_value;
};

constexpr Spec kSpecs[] = {
    {"--import", true}, {"--status", false},  {"--remove", false},   {"--generate-host-key", false},
    {"--help", false},  {"--version", false}, {"--force", false},    {"--user", true},
    {"--file", true},   {"--keydir", true},   {"--issuer", true},    {"--label", true},
    {"--digits", true}, {"--period", true},   {"--algorithm", true}, {"--hotp", false},
    {"--qr", true},
};

// Flags that only shape a new enrolment's secret and QR code.
constexpr std::string_view kEnrolSettings[] = {"--issuer",    "--label", "--digits", "--period",
                                               "--algorithm", "--hotp",  "--qr"};

std::string_view action_flag(Action action) {
    switch (action) {
        case Action::import:
            return "--import";
        case Action::status:
            return "--status";
        case Action::remove:
            return "--remove";
        case Action::generate_host_key:
            return "--generate-host-key";
        default:
            return "";
    }
}

}  // namespace

std::variant<Options, Failure> parse_options(int argc, const char* const* argv) {
    Options options;
    options.keydir = pam_totp::kDefaultKeyDir;
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

        auto set_action = [&](Action a) -> std::optional<Failure> {
            if (action)
                return usage(std::string(action_flag(*action)) + " and " + std::string(name) +
                             " cannot be combined");
            action = a;
            return std::nullopt;
        };

        if (name == "--help") {
            options.action = Action::help;
            return options;
        }
        if (name == "--version") {
            options.action = Action::version;
            return options;
        }
        std::optional<Failure> failure;
        if (name == "--import") {
            failure = set_action(Action::import);
            options.import_file = value;
        } else if (name == "--status") {
            failure = set_action(Action::status);
        } else if (name == "--remove") {
            failure = set_action(Action::remove);
        } else if (name == "--generate-host-key") {
            failure = set_action(Action::generate_host_key);
        } else if (name == "--force") {
            options.force = true;
        } else if (name == "--user") {
            options.user = value;
        } else if (name == "--file") {
            options.file = value;
        } else if (name == "--keydir") {
            options.keydir = value;
        } else if (name == "--issuer" || name == "--label") {
            if (auto problem = check_display_text(name, value)) return usage(*problem);
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
        if (failure) return *failure;
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
        for (std::string_view flag : {"--user", "--file"})
            if (seen.count(flag))
                return usage(std::string(flag) + " cannot be used with --generate-host-key");
    }
    if (options.action == Action::status && options.force)
        return usage("--force cannot be used with --status");
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
                           the file's header, needs no key)
      --remove             delete the user's secret file
      --generate-host-key  create host.key (0600) and host.pub (0644) in the key
                           directory (root only)
  -h, --help               show this help and exit
      --version            show the version and exit

Options:
      --force              replace an existing enrolment or host key (a new host
                           key makes every existing secret file unreadable)
      --user NAME          act on another user's secret file, written owned by
                           that user (root only)
      --file PATH          the secret file (default: ~/.pam_totp of the user,
                           the home directory from the password database); it
                           must match the module's secret= option
      --keydir DIR         where host.key and host.pub are
                           (default: /etc/pam_totp)
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
or host key exists without --force, a root-only action by another user);
2 usage error; 3 system problem (host key, files, user database).
)";
}

std::string version_text() {
    return std::string("totp-enroll (pam_totp) ") + TOTP_ENROLL_VERSION + "\n";
}

}  // namespace totp_enroll
