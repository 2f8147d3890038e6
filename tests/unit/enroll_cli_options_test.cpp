// totp-enroll's command line: every action, every setting, and the
// combinations it refuses (enroll-tool/cli_options.cpp).
#include "cli_options.h"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "core/module_options.h"

using namespace totp_enroll;
using pam_totp::Algorithm;
using pam_totp::OtpType;

namespace {

Result<Options> parse(std::initializer_list<const char*> args) {
    std::vector<const char*> argv{"totp-enroll"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(nullptr);
    return parse_options(static_cast<int>(argv.size() - 1), argv.data());
}

Options parsed(std::initializer_list<const char*> args) {
    auto result = parse(args);
    if (!result) FAIL(result.error().message);
    return *result;
}

// Refused as a usage error whose message contains `reason` and the hint.
void refused(std::initializer_list<const char*> args, const std::string& reason) {
    std::string line;
    for (const char* arg : args) line += std::string(" ") + arg;
    INFO("totp-enroll" << line);
    auto result = parse(args);
    REQUIRE_FALSE(result.ok());
    const Error& failure = result.error();
    CHECK(exit_code(failure) == ExitCode::usage);
    CHECK_THAT(failure.message, Catch::Contains(reason));
    CHECK_THAT(failure.message, Catch::EndsWith("Try 'totp-enroll --help' for more information."));
}

}  // namespace

TEST_CASE("totp-enroll without arguments enrols the invoking user with the defaults",
          "[enroll][cli]") {
    const Options o = parsed({});
    CHECK(o.action == Action::enroll);
    CHECK_FALSE(o.force);
    CHECK_FALSE(o.all_users);
    CHECK_FALSE(o.user);
    CHECK_FALSE(o.file);
    CHECK_FALSE(o.import_file);
    CHECK_FALSE(o.issuer);
    CHECK_FALSE(o.label);
    CHECK(o.keydir == "/etc/pam_totp");
    CHECK(o.statedir == "/var/lib/pam_totp");
    CHECK(o.statedir == pam_totp::ModuleOptions{}.statedir);
    CHECK(o.owner == SecretOwner::user);
    CHECK(o.otp.type == OtpType::totp);
    CHECK(o.otp.algorithm == Algorithm::sha1);
    CHECK(o.otp.digits == 6);
    CHECK(o.otp.period == 30);
    CHECK(o.qr == QrStyle::utf8);
}

TEST_CASE("totp-enroll picks each action from its flag", "[enroll][cli]") {
    CHECK(parsed({"--status"}).action == Action::status);
    CHECK(parsed({"--remove"}).action == Action::remove);
    CHECK(parsed({"--pin"}).action == Action::pin);
    CHECK(parsed({"--unlock"}).action == Action::unlock);
    CHECK(parsed({"--generate-host-key"}).action == Action::generate_host_key);
    CHECK(parsed({"--help"}).action == Action::help);
    CHECK(parsed({"-h"}).action == Action::help);
    CHECK(parsed({"--version"}).action == Action::version);
    const Options import = parsed({"--import", "/home/alice/.google_authenticator"});
    CHECK(import.action == Action::import);
    CHECK(import.import_file == "/home/alice/.google_authenticator");
    CHECK(parsed({"--import=ga"}).import_file == "ga");
}

TEST_CASE("totp-enroll --help and --version win over everything after them", "[enroll][cli]") {
    CHECK(parsed({"--help", "--bogus"}).action == Action::help);
    CHECK(parsed({"--status", "--version", "--digits", "99"}).action == Action::version);
    // ... but not over what came before.
    refused({"--bogus", "--help"}, "unknown option '--bogus'");
    CHECK_THAT(help_text(), Catch::StartsWith("Usage: totp-enroll [OPTION]..."));
    CHECK(version_text().starts_with("totp-enroll (pam_totp) "));
    CHECK(version_text().ends_with("\n"));
}

TEST_CASE("totp-enroll refuses two actions at once", "[enroll][cli]") {
    refused({"--status", "--remove"}, "--status and --remove cannot be combined");
    refused({"--pin", "--unlock"}, "--pin and --unlock cannot be combined");
    refused({"--unlock", "--generate-host-key"},
            "--unlock and --generate-host-key cannot be combined");
    refused({"--import", "f", "--status"}, "--import and --status cannot be combined");
    refused({"--remove", "--import", "f"}, "--remove and --import cannot be combined");
}

TEST_CASE("totp-enroll takes the user, the file and the directories", "[enroll][cli]") {
    const Options o = parsed({"--user", "alice", "--file=/etc/pam_totp/secrets/alice", "--keydir",
                              "/k", "--statedir=/s", "--force"});
    CHECK(o.action == Action::enroll);
    CHECK(o.user == "alice");
    CHECK(o.file == "/etc/pam_totp/secrets/alice");
    CHECK(o.keydir == "/k");
    CHECK(o.statedir == "/s");
    CHECK(o.force);
    // The parser leaves "root only" to the run: it does not know who runs it.
    CHECK(parsed({"--status", "--user", "bob", "--statedir", "/s"}).user == "bob");
    CHECK(parsed({"--remove", "--user", "bob", "--file", "/f", "--force"}).force);
    CHECK(parsed({"--unlock", "--user", "bob", "--statedir", "/s"}).action == Action::unlock);
    CHECK(parsed({"--generate-host-key", "--keydir", "/k", "--force"}).keydir == "/k");
}

TEST_CASE("totp-enroll takes the settings of a new secret", "[enroll][cli]") {
    const Options o = parsed({"--issuer", "Example Corp", "--label=alice@example.org", "--digits",
                              "8", "--period=60", "--algorithm", "sha256", "--qr", "ansi"});
    CHECK(o.issuer == "Example Corp");
    CHECK(o.label == "alice@example.org");
    CHECK(o.otp.digits == 8);
    CHECK(o.otp.period == 60);
    CHECK(o.otp.algorithm == Algorithm::sha256);
    CHECK(o.qr == QrStyle::ansi);
    CHECK(parsed({"--algorithm=SHA512"}).otp.algorithm == Algorithm::sha512);
    CHECK(parsed({"--algorithm=Sha1"}).otp.algorithm == Algorithm::sha1);
    CHECK(parsed({"--qr=none"}).qr == QrStyle::none);
    CHECK(parsed({"--qr=utf8"}).qr == QrStyle::utf8);
    CHECK(parsed({"--digits=6"}).otp.digits == 6);
    CHECK(parsed({"--period=15"}).otp.period == 15);
    CHECK(parsed({"--period=300"}).otp.period == 300);
    const Options hotp = parsed({"--hotp", "--digits", "7"});
    CHECK(hotp.otp.type == OtpType::hotp);
    CHECK(hotp.otp.digits == 7);
}

TEST_CASE("totp-enroll refuses values out of range or malformed", "[enroll][cli]") {
    refused({"--digits", "5"}, "--digits must be a number from 6 to 8, not '5'");
    refused({"--digits", "9"}, "not '9'");
    refused({"--digits", "+6"}, "not '+6'");
    refused({"--digits", "-6"}, "--digits must be a number");
    refused({"--digits", "6x"}, "not '6x'");
    refused({"--digits", " 6"}, "--digits must be a number");
    refused({"--period", "14"}, "--period must be a number of seconds from 15 to 300, not '14'");
    refused({"--period", "301"}, "not '301'");
    refused({"--period", "99999999999999999999"}, "--period must be");
    refused({"--algorithm", "MD5"}, "--algorithm must be SHA1, SHA256 or SHA512, not 'MD5'");
    refused({"--algorithm", "SHA-256"}, "not 'SHA-256'");
    refused({"--qr", "png"}, "--qr must be utf8, ansi or none, not 'png'");
    refused({"--owner", "alice"}, "--owner must be user or root, not 'alice'");
}

TEST_CASE("totp-enroll checks the issuer and label shown by the app", "[enroll][cli]") {
    refused({"--issuer", "a:b"}, "--issuer must not contain ':'");
    refused({"--label", "alice:x"}, "--label must not contain ':'");
    refused({"--issuer", "tab\there"}, "--issuer must not contain control characters");
    refused({"--label", "del\x7f"}, "--label must not contain control characters");
    refused({"--issuer", std::string(65, 'x').c_str()}, "--issuer is longer than 64 bytes");
    CHECK(parsed({"--issuer", std::string(64, 'x').c_str()}).issuer == std::string(64, 'x'));
    // Bytes above 0x7f (UTF-8) are text, not control characters.
    CHECK(parsed({"--label", "J\xc3\xbcrgen"}).label == "J\xc3\xbcrgen");
}

TEST_CASE("totp-enroll refuses malformed arguments", "[enroll][cli]") {
    refused({"--bogus"}, "unknown option '--bogus'");
    refused({"--bogus=1"}, "unknown option '--bogus'");
    refused({"-x"}, "unknown option '-x'");
    refused({"alice"}, "unexpected argument 'alice'");
    refused({"--user"}, "--user needs a value");
    refused({"--status", "--file"}, "--file needs a value");
    refused({"--user", ""}, "--user needs a non-empty value");
    refused({"--user="}, "--user needs a non-empty value");
    refused({"--force=yes"}, "--force takes no value");
    refused({"--status=1"}, "--status takes no value");
    refused({"--user", "a", "--user", "b"}, "--user given twice");
    refused({"--user=a", "--user", "a"}, "--user given twice");
    refused({"--force", "--force"}, "--force given twice");
    refused({"--pin", "--pin"}, "--pin given twice");
    // A value is taken as it comes, even when it looks like a flag.
    CHECK(parsed({"--user", "--status"}).user == "--status");
    CHECK(parsed({"--user", "--status"}).action == Action::enroll);
}

TEST_CASE("totp-enroll refuses the settings of a new secret with the other actions",
          "[enroll][cli]") {
    refused({"--status", "--digits", "8"}, "--digits cannot be used with --status");
    refused({"--import", "f", "--period", "60"}, "--period cannot be used with --import");
    refused({"--import", "f", "--hotp"}, "--hotp cannot be used with --import");
    refused({"--remove", "--issuer", "x"}, "--issuer cannot be used with --remove");
    refused({"--pin", "--label", "x"}, "--label cannot be used with --pin");
    refused({"--unlock", "--algorithm", "SHA1"}, "--algorithm cannot be used with --unlock");
    refused({"--generate-host-key", "--qr", "none"},
            "--qr cannot be used with --generate-host-key");
    refused({"--hotp", "--period", "60"}, "--period cannot be used with --hotp");
}

TEST_CASE("totp-enroll --generate-host-key takes no user, file or statedir", "[enroll][cli]") {
    refused({"--generate-host-key", "--user", "alice"},
            "--user cannot be used with --generate-host-key");
    refused({"--generate-host-key", "--file", "/f"},
            "--file cannot be used with --generate-host-key");
    refused({"--generate-host-key", "--statedir", "/s"},
            "--statedir cannot be used with --generate-host-key");
}

TEST_CASE("totp-enroll refuses --force where it means nothing", "[enroll][cli]") {
    refused({"--status", "--force"}, "--force cannot be used with --status");
    refused({"--force", "--unlock"}, "--force cannot be used with --unlock");
    CHECK(parsed({"--pin", "--force"}).force);
    CHECK(parsed({"--import", "f", "--force"}).force);
}

TEST_CASE("totp-enroll --all goes with --pin alone", "[enroll][cli]") {
    const Options o = parsed({"--pin", "--all", "--statedir", "/s"});
    CHECK(o.action == Action::pin);
    CHECK(o.all_users);
    CHECK(parsed({"--all", "--pin", "--force"}).all_users);
    refused({"--all"}, "--all is used with --pin only");
    refused({"--status", "--all"}, "--all is used with --pin only");
    refused({"--unlock", "--all"}, "--all is used with --pin only");
    refused({"--pin", "--all", "--user", "alice"}, "--user cannot be used with --all");
    refused({"--pin", "--all", "--file", "/f"}, "--file cannot be used with --all");
}

TEST_CASE("totp-enroll --owner shapes a file root writes for a user", "[enroll][cli]") {
    const Options root = parsed({"--user", "alice", "--owner", "root", "--file", "/etc/s/alice"});
    CHECK(root.owner == SecretOwner::root);
    CHECK(root.action == Action::enroll);
    CHECK(parsed({"--import", "ga", "--user", "alice", "--owner=root", "--file", "/etc/s/alice"})
              .owner == SecretOwner::root);
    CHECK(parsed({"--owner", "user"}).owner == SecretOwner::user);
    CHECK(parsed({"--import", "ga", "--owner", "user"}).owner == SecretOwner::user);
    refused({"--owner", "root"}, "--owner root needs --user NAME and --file PATH");
    refused({"--owner", "root", "--user", "alice"},
            "--owner root needs --user NAME and --file PATH");
    refused({"--owner", "root", "--file", "/f"}, "--owner root needs --user NAME and --file PATH");
    refused({"--status", "--owner", "user"}, "--owner cannot be used with --status");
    refused({"--remove", "--owner", "root", "--user", "a", "--file", "/f"},
            "--owner cannot be used with --remove");
    refused({"--pin", "--owner", "user"}, "--owner cannot be used with --pin");
    refused({"--unlock", "--owner", "user"}, "--owner cannot be used with --unlock");
    refused({"--generate-host-key", "--owner", "user"},
            "--owner cannot be used with --generate-host-key");
}

TEST_CASE("totp-enroll --list takes --json and --statedir only", "[enroll][cli]") {
    const Options o = parsed({"--list"});
    CHECK(o.action == Action::list);
    CHECK_FALSE(o.json);
    CHECK(o.statedir == "/var/lib/pam_totp");
    const Options json = parsed({"--json", "--list", "--statedir=/s"});
    CHECK(json.action == Action::list);
    CHECK(json.json);
    CHECK(json.statedir == "/s");
    refused({"--json"}, "--json is used with --list only");
    refused({"--status", "--json"}, "--json is used with --list only");
    refused({"--list", "--json", "--json"}, "--json given twice");
    refused({"--list", "--status"}, "--list and --status cannot be combined");
    refused({"--pin", "--list"}, "--pin and --list cannot be combined");
    refused({"--list", "--user", "alice"}, "--user cannot be used with --list");
    refused({"--list", "--file", "/f"}, "--file cannot be used with --list");
    CHECK(parsed({"--list", "--keydir", "/k"}).action == Action::list);
    refused({"--list", "--force"}, "--force cannot be used with --list");
    refused({"--list", "--all"}, "--all is used with --pin only");
    refused({"--list", "--owner", "user"}, "--owner cannot be used with --list");
    refused({"--list", "--digits", "8"}, "--digits cannot be used with --list");
}

TEST_CASE("the doctor (--check) takes --root, --user and --code, nothing that writes", "[enroll][cli]") {
    const Options o = parsed({"--check", "--root", "/srv/copy", "--user", "alice", "--code"});
    CHECK(o.action == Action::check);
    CHECK(o.root_dir == "/srv/copy");
    CHECK(o.code);
    refused({"--check", "--code"}, "--code needs --user NAME");
    refused({"--check", "--root", "relative"}, "--root needs an absolute path");
    refused({"--check", "--force"}, "--force cannot be used with --check");
    refused({"--status", "--root", "/x"}, "--root is used with --check only");
    refused({"--code"}, "--code is used with --check only");
}
