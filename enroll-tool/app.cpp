#include "app.h"

#include <unistd.h>

#include "check_command.h"
#include "context.h"
#include "core/host_key_files.h"
#include "core/secret_file_access.h"
#include "enrollment.h"
#include "host_key_command.h"
#include "import_command.h"
#include "list_command.h"
#include "pin_command.h"
#include "rekey_command.h"
#include "remove_command.h"
#include "status_command.h"
#include "terminal.h"
#include "unlock_command.h"

namespace totp_enroll {
namespace {

ExitCode print(const std::string& text) {
    if (auto status = write_stdout(text); !status) return report(status.error());
    return ExitCode::ok;
}

Result<TargetUser> target_user(const Options& options) {
    if (!options.user) return pam_totp::find_account(::getuid());
    // Checked against the real uid: even a wrongly installed setuid binary
    // would not let a user act on someone else's enrolment.
    if (::getuid() != 0)
        return failure(ExitCode::refused, "--user " + *options.user +
                                              ": only root may act on another user's enrolment");
    return pam_totp::find_account(*options.user);
}

}  // namespace

ExitCode run(const Options& options) {
    if (options.action == Action::help) return print(help_text());
    if (options.action == Action::version) return print(version_text());

    // Never setuid or setgid: the whole design rests on users writing their
    // own files with their own rights, so a privileged copy stops here.
    if (::getuid() != ::geteuid() || ::getgid() != ::getegid())
        return report(failure(ExitCode::system,
                              "totp-enroll is running setuid or setgid; it must never be installed "
                              "that way (fix its mode with chmod u-s,g-s)"));

    if (options.action == Action::generate_host_key) return run_generate_host_key(options);
    if (options.action == Action::pin && options.all_users) return run_pin_all(options);
    if (options.action == Action::list) return run_list(options);
    if (options.action == Action::check) return run_check(options);
    if (options.action == Action::rekey) return run_rekey(options);

    auto user = target_user(options);
    if (!user) return report(user.error());
    TargetUser& who = *user;

    std::string path;
    if (options.file) {
        path = *options.file;
    } else {
        auto home_file = pam_totp::default_secret_path(who);
        if (!home_file)
            return report(failure(ExitCode::system, "user " + who.name + ": " +
                                                        home_file.error().message +
                                                        " (password database); use --file"));
        path = std::move(*home_file);
    }
    const Context context{options, who, SecretStore(path, who, options.owner),
                          options.keydir + "/" + pam_totp::kPublicKeyName};

    switch (options.action) {
        case Action::import:
            return run_import(context);
        case Action::status:
            return run_status(context);
        case Action::remove:
            return run_remove(context);
        case Action::pin:
            return run_pin(context);
        case Action::unlock:
            return run_unlock(context);
        default:
            return run_enrollment(context);
    }
}

}  // namespace totp_enroll
