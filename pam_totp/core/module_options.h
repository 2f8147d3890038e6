// The PAM module's options (pam_totp(8)), parsed without PAM so they can be
// unit-tested and fuzzed. Anything unknown or out of range is an error: the
// module fails closed rather than guess what the administrator meant.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/default_paths.h"
#include "core/messages.h"
#include "core/result.h"
#include "core/secret_file_access.h"

namespace pam_totp {

enum class PasswordMode {
    prompt,          // ask for the code on its own
    forward_pass,    // one prompt: password followed by the code; password goes on as PAM_AUTHTOK
    use_first_pass,  // the code is the existing PAM_AUTHTOK; fail if there is none
    try_first_pass,  // the code is the existing PAM_AUTHTOK if any, else prompt
};

enum class SwitchSetting { by_service, on, off };

struct ModuleOptions {
    std::string secret = kDefaultSecretPattern;
    std::string hostkey = kDefaultHostKey;
    std::string statedir = kDefaultStateDir;
    bool optional = false;  // `optional` / `nullok`: unenrolled users get PAM_IGNORE
    int window = 1;
    int hotp_window = 10;
    int fail_limit = 5;
    int fail_lock = 30;
    PasswordMode password_mode = PasswordMode::prompt;
    std::string prompt = kCodePrompt;
    bool echo_code = false;
    bool debug = false;
    // tofu=off: only pins made by root (totp-enroll --pin) and files carrying
    // root's tag count; a user's first file is never trusted on its own.
    bool tofu = true;
    // switch=on|off: whether this service may ask for a new authenticator's
    // code; by default every service but su, sudo, polkit and runuser.
    SwitchSetting switch_setting = SwitchSetting::by_service;
    // secret_owner=root: only root-owned files in root-owned directories.
    SecretOwner secret_owner = SecretOwner::user;
    // max_age=DAYS: enrolments older than this stop logging in (0: never).
    int max_age_days = 0;
};

// Every option name the parser accepts ("secret=", "optional", ...), in the
// order the manual lists them; the man-page test compares against this.
std::span<const std::string_view> module_option_names();

Result<ModuleOptions> parse_module_options(std::span<const std::string_view> args);
Result<ModuleOptions> parse_module_options(int argc, const char** argv);

// Expands %u (user), %h (home) and %% in a `secret=` template. Refuses any
// other %-sequence, a relative result, and a user or home that would escape
// the intended path ('/' or ".." in the user name, a relative home).
Result<std::string> expand_secret_path(std::string_view pattern, std::string_view user,
                                       std::string_view home);

}  // namespace pam_totp
