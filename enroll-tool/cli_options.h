// The command line of totp-enroll: what to do and with which settings.
#pragma once

#include <optional>
#include <string>

#include "core/otp.h"
#include "core/secret_file_access.h"
#include "exit_codes.h"
#include "qr_render.h"

namespace totp_enroll {

enum class Action {
    enroll,
    import,
    status,
    list,
    remove,
    pin,
    unlock,
    generate_host_key,
    check,
    rekey,
    help,
    version
};

// Who owns the secret file root writes for a user: the user (the default),
// or root (admin-managed mode, the module's secret_owner=root).
using pam_totp::SecretOwner;

struct Options {
    Action action = Action::enroll;
    bool force = false;
    bool all_users = false;                  // --all: with --pin, every user with a file
    bool json = false;                       // --json: with --list
    std::optional<std::string> user;         // --user: root only, checked when run
    std::optional<std::string> file;         // --file: instead of ~/.pam_totp
    std::optional<std::string> import_file;  // --import
    std::optional<std::string> issuer;
    std::optional<std::string> label;
    std::string keydir;    // --keydir, default /etc/pam_totp
    std::string statedir;  // --statedir, default /var/lib/pam_totp (the module's statedir=)
    SecretOwner owner = SecretOwner::user;  // --owner
    std::optional<std::string> root_dir;    // --root: with --check, a copied tree
    bool code = false;                      // --code: with --check --user
    bool finish = false;                    // --finish: with --rekey
    pam_totp::OtpParams otp;
    QrStyle qr = QrStyle::utf8;
};

// Parses argv; a Failure (always ExitCode::usage) names the offending
// argument. Combinations that make no sense (e.g. --digits with --status)
// are refused here rather than silently ignored.
Result<Options> parse_options(int argc, const char* const* argv);

std::string help_text();
std::string version_text();

}  // namespace totp_enroll
