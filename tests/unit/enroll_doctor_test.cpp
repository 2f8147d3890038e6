// totp-enroll --check's pure parts: reading PAM lines, the success actions
// of bracketed controls, and the judgements on stacks and sshd settings.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "doctor.h"
#include "pam_stack.h"

using namespace totp_enroll;

namespace {

std::vector<PamLine> lines(const char* text) {
    return parse_pam_auth_lines(text, "svc");
}

bool has(const std::vector<Finding>& found, Level level, const std::string& text) {
    for (const Finding& f : found)
        if (f.level == level && f.message.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("PAM lines: comments, other types, continuations, brackets and includes",
          "[enroll][doctor]") {
    const auto parsed = lines(
        "# comment\n"
        "account required pam_unix.so\n"
        "auth [success=1 default=ignore] pam_unix.so nullok # trailing\n"
        "-auth optional pam_gnome_keyring.so\n"
        "auth required \\\n  pam_totp.so optional\n"
        "@include common-auth\n"
        "auth substack inner\n");
    REQUIRE(parsed.size() == 5);
    CHECK(parsed[0].control == "[success=1 default=ignore]");
    CHECK(parsed[0].module == "pam_unix.so");
    CHECK(parsed[0].args == std::vector<std::string>{"nullok"});
    CHECK(parsed[0].where == "svc:3");
    CHECK(parsed[1].module == "pam_gnome_keyring.so");
    CHECK(parsed[2].module == "pam_totp.so");
    CHECK(parsed[2].args == std::vector<std::string>{"optional"});
    CHECK(parsed[2].where == "svc:5");
    CHECK(parsed[3].module == "@include common-auth");
    CHECK(parsed[4].module == "substack inner");
    CHECK(module_name("/lib/x86_64-linux-gnu/security/pam_totp.so") == "pam_totp.so");
}

TEST_CASE("bracketed controls: what success does", "[enroll][doctor]") {
    CHECK_FALSE(on_success("required"));
    CHECK_FALSE(on_success("[success=ok default=bad]"));
    CHECK(on_success("[success=done new_authtok_reqd=done default=ignore]")->ends_stack);
    CHECK(on_success("[default=ignore success=2]")->jump == 2);
    CHECK_FALSE(on_success("[success=-1]"));
}

TEST_CASE("stacks: the traps before and at pam_totp", "[enroll][doctor]") {
    CHECK(has(check_auth_stack("sshd", lines("auth required pam_unix.so\n"
                                             "auth required pam_totp.so\n")),
              Level::pass, "a login reaches pam_totp at svc:2 (required; enforced"));
    CHECK(has(check_auth_stack("sshd", lines("auth sufficient pam_unix.so\n"
                                             "auth required pam_totp.so\n")),
              Level::fail, "is sufficient before pam_totp"));
    CHECK(has(check_auth_stack("su", lines("auth sufficient pam_rootok.so\n"
                                           "auth required pam_totp.so\n")),
              Level::pass, "reaches pam_totp"));
    CHECK(has(check_auth_stack("sshd", lines("auth [success=1 default=ignore] pam_unix.so\n"
                                             "auth required pam_totp.so\n")),
              Level::fail, "jumps over pam_totp"));
    CHECK_FALSE(has(check_auth_stack("sshd", lines("auth [success=1 default=ignore] pam_unix.so\n"
                                                   "auth requisite pam_deny.so\n"
                                                   "auth required pam_totp.so\n")),
                    Level::fail, "jumps over"));
    CHECK(has(check_auth_stack("sshd", lines("auth required pam_unix.so\n"
                                             "auth required pam_totp.so\n"
                                             "auth required pam_totp.so\n")),
              Level::fail, "2 times"));
    CHECK(has(check_auth_stack("sshd", lines("auth required pam_totp.so optional\n")), Level::fail,
              "no other module here can succeed"));
    CHECK(has(check_auth_stack("sshd", lines("auth required pam_totp.so bogus\n")), Level::fail,
              "refuses every login"));
    CHECK(has(check_auth_stack("sshd", lines("auth required pam_unix.so\n")), Level::warn,
              "not in the auth stack"));
}

TEST_CASE("sshd settings: what keeps the code from being asked", "[enroll][doctor]") {
    const SshdSettings good = parse_sshd_settings(
        "usepam yes\nkbdinteractiveauthentication yes\npasswordauthentication no\n"
        "pubkeyauthentication yes\nauthenticationmethods publickey,keyboard-interactive\n"
        "hostkey /a\nhostkey /b\n");
    CHECK(good.at("hostkey") == "/a");
    CHECK(has(check_sshd(good), Level::pass, "UsePAM yes"));
    SshdSettings s = good;
    s["passwordauthentication"] = "yes";
    CHECK(has(check_sshd(s), Level::fail, "PasswordAuthentication yes"));
    s = good;
    s["authenticationmethods"] = "publickey keyboard-interactive";
    CHECK(has(check_sshd(s), Level::fail, "AuthenticationMethods publickey skips"));
    s = good;
    s["authenticationmethods"] = "any";
    CHECK(has(check_sshd(s), Level::warn, "a public key alone logs in"));
    s = good;
    s["usepam"] = "no";
    CHECK(has(check_sshd(s), Level::fail, "UsePAM no"));
}
