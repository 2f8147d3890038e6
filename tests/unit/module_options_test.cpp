// The PAM module's options and the secret= path template.
#include "core/module_options.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace pam_totp;

namespace {

Result<ModuleOptions> parse(std::vector<std::string_view> args) {
    return parse_module_options(args);
}

ModuleOptions parsed(std::vector<std::string_view> args) {
    auto result = parse(args);
    INFO(result.error().message);
    REQUIRE(result.ok());
    return std::move(result).value();
}

void check_refused(std::vector<std::string_view> args, const std::string& expected) {
    auto result = parse(args);
    INFO("args: " << (args.empty() ? std::string_view() : args.front()));
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains(expected));
}

std::string expanded(std::string_view pattern, std::string_view user, std::string_view home) {
    auto result = expand_secret_path(pattern, user, home);
    INFO(pattern << ": " << result.error().message);
    REQUIRE(result.ok());
    return *result;
}

}  // namespace

TEST_CASE("no options gives the documented defaults", "[module_options]") {
    const ModuleOptions o = parsed({});
    CHECK(o.secret == "%h/.pam_totp");
    CHECK(o.hostkey == "/etc/pam_totp/host.key");
    CHECK(o.statedir == "/var/lib/pam_totp");
    CHECK_FALSE(o.optional);
    CHECK(o.window == 1);
    CHECK(o.hotp_window == 10);
    CHECK(o.fail_limit == 5);
    CHECK(o.fail_lock == 30);
    CHECK(o.password_mode == PasswordMode::prompt);
    CHECK(o.prompt == "Verification code: ");
    CHECK_FALSE(o.echo_code);
    CHECK_FALSE(o.debug);
}

TEST_CASE("every option is understood", "[module_options]") {
    const ModuleOptions o =
        parsed({"secret=/var/lib/pam_totp/secrets/%u", "hostkey=/etc/other/host.key",
                "statedir=/run/totp", "optional", "window=3", "hotp_window=20", "fail_limit=7",
                "fail_lock=60", "prompt=OTP:", "echo_code", "debug"});
    CHECK(o.secret == "/var/lib/pam_totp/secrets/%u");
    CHECK(o.hostkey == "/etc/other/host.key");
    CHECK(o.statedir == "/run/totp");
    CHECK(o.optional);
    CHECK(o.window == 3);
    CHECK(o.hotp_window == 20);
    CHECK(o.fail_limit == 7);
    CHECK(o.fail_lock == 60);
    CHECK(o.prompt == "OTP:");
    CHECK(o.echo_code);
    CHECK(o.debug);

    CHECK(parsed({"nullok"}).optional);
    CHECK(parsed({"forward_pass"}).password_mode == PasswordMode::forward_pass);
    CHECK(parsed({"use_first_pass"}).password_mode == PasswordMode::use_first_pass);
    CHECK(parsed({"try_first_pass"}).password_mode == PasswordMode::try_first_pass);
    CHECK(parsed({"forward_pass", "forward_pass"}).password_mode == PasswordMode::forward_pass);
    CHECK(parsed({"secret=%h/.config/totp"}).secret == "%h/.config/totp");
    CHECK(parsed({"prompt=Code=please"}).prompt == "Code=please");
}

TEST_CASE("the argc/argv form parses the same", "[module_options]") {
    const char* argv[] = {"window=0", "nullok", "debug"};
    auto result = parse_module_options(3, argv);
    REQUIRE(result.ok());
    CHECK(result->window == 0);
    CHECK(result->optional);
    CHECK(result->debug);
    const char* bad[] = {"debug", "bogus"};
    CHECK_FALSE(parse_module_options(2, bad).ok());
}

TEST_CASE("every listed option name is accepted", "[module_options]") {
    const auto names = module_option_names();
    CHECK(names.size() == 19);
    for (std::string_view name : names) {
        std::string arg(name);
        if (arg.back() == '=') {
            if (arg == "secret=" || arg == "hostkey=" || arg == "statedir=")
                arg += "/x";
            else if (arg == "prompt=")
                arg += "Code:";
            else if (arg == "tofu=" || arg == "switch=")
                arg += "off";
            else if (arg == "secret_owner=")
                arg += "user";
            else
                arg += "1";
        }
        INFO(arg);
        CHECK(parse({arg}).ok());
    }
}

TEST_CASE("unknown options are refused", "[module_options]") {
    check_refused({"bogus"}, "unknown option \"bogus\"");
    check_refused({"debug", "Debug"}, "unknown option");
    check_refused({"optional=1"}, "unknown option");
    check_refused({"window"}, "unknown option");
    check_refused({"secret"}, "unknown option");
    check_refused({"nullok "}, "unknown option");
    check_refused({""}, "unknown option");
    check_refused({"=5"}, "unknown option");
    const std::string long_arg(5000, 'x');
    auto result = parse({long_arg});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.size() < 200);  // the message quotes only a prefix
}

TEST_CASE("numbers out of range or malformed are refused", "[module_options]") {
    const auto [arg, name] = GENERATE(table<const char*, const char*>({
        {"window=11", "window="},
        {"window=-1", "window="},
        {"window=", "window="},
        {"window=1x", "window="},
        {"window= 1", "window="},
        {"window=+1", "window="},
        {"hotp_window=101", "hotp_window="},
        {"hotp_window=-1", "hotp_window="},
        {"fail_limit=0", "fail_limit="},
        {"fail_limit=101", "fail_limit="},
        {"fail_lock=0", "fail_lock="},
        {"fail_lock=901", "fail_lock="},
        {"fail_lock=99999999999999999999", "fail_lock="},
    }));
    check_refused({arg}, std::string("option ") + name + " must be a number from");
}

TEST_CASE("numbers at the limits are accepted", "[module_options]") {
    CHECK(parsed({"window=10", "hotp_window=100", "fail_limit=100", "fail_lock=900"}).fail_lock ==
          900);
    CHECK(parsed({"window=0", "hotp_window=0", "fail_limit=1", "fail_lock=1"}).fail_limit == 1);
}

TEST_CASE("paths and prompts must be sensible", "[module_options]") {
    check_refused({"secret=relative/path"}, "secret=");
    check_refused({"secret="}, "secret=");
    check_refused({"hostkey=host.key"}, "absolute path");
    check_refused({"hostkey="}, "absolute path");
    check_refused({"statedir=var/lib"}, "absolute path");
    check_refused({"prompt="}, "prompt=");
    const std::string long_prompt = "prompt=" + std::string(201, 'x');
    check_refused({long_prompt}, "prompt=");
    const std::string long_path = "secret=/" + std::string(1100, 'x');
    check_refused({long_path}, "secret=");
}

TEST_CASE("password modes exclude each other", "[module_options]") {
    check_refused({"forward_pass", "use_first_pass"}, "exclude each other");
    check_refused({"use_first_pass", "forward_pass"}, "exclude each other");
    check_refused({"try_first_pass", "use_first_pass"}, "exclude each other");
    check_refused({"forward_pass", "debug", "try_first_pass"}, "exclude each other");
}

TEST_CASE("expand_secret_path substitutes %u, %h and %%", "[module_options]") {
    CHECK(expanded("%h/.pam_totp", "alice", "/home/alice") == "/home/alice/.pam_totp");
    CHECK(expanded("/var/lib/pam_totp/secrets/%u", "alice", "/home/alice") ==
          "/var/lib/pam_totp/secrets/alice");
    CHECK(expanded("/srv/%u/%u%%.totp", "bob", "") == "/srv/bob/bob%.totp");
    CHECK(expanded("%h/%u", "carol", "/") == "//carol");
    CHECK(expanded("/fixed/path", "", "") == "/fixed/path");
    CHECK(expanded("/tmp/.%u", ".hidden", "/h") == "/tmp/..hidden");
}

TEST_CASE("expand_secret_path refuses what could escape the intended path", "[module_options]") {
    const auto [pattern, user, home, expected] =
        GENERATE(table<const char*, const char*, const char*, const char*>({
            {"/secrets/%u", "../root", "/home/x", "user name"},
            {"/secrets/%u", "a/b", "/home/x", "user name"},
            {"/secrets/%u", "..", "/home/x", "user name"},
            {"/secrets/%u", ".", "/home/x", "user name"},
            {"/secrets/%u", "", "/home/x", "user name"},
            {"%h/.pam_totp", "alice", "home/alice", "home directory"},
            {"%h/.pam_totp", "alice", "", "home directory"},
            {"/secrets/%x", "alice", "/home/alice", "unknown sequence %x"},
            {"/secrets/%", "alice", "/home/alice", "lone '%'"},
            {"%u/.pam_totp", "alice", "/home/alice", "absolute path"},
            {"relative/%u", "alice", "/home/alice", "absolute path"},
            {"", "alice", "/home/alice", "absolute path"},
        }));
    auto result = expand_secret_path(pattern, user, home);
    INFO(pattern << " user \"" << user << "\" home \"" << home << "\"");
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains(expected));
}
