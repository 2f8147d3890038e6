#include "host_key_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_io.h"
#include "core/host_key_files.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

ExitCode run_generate_host_key(const Options& options) {
    const std::string& dir = options.keydir;
    if (::getuid() != 0 || ::geteuid() != 0)
        return report(
            failure(ExitCode::refused, "only root can create the host key (in " + dir + ")"));

    const std::string private_path = dir + "/" + pam_totp::kPrivateKeyName;
    const std::string public_path = dir + "/" + pam_totp::kPublicKeyName;
    // Mid-rekey, host.key.old holds the key pins may still be sealed to, and
    // a new pair now would strand them: finish the rekey first.
    if (exists(private_path + pam_totp::kPreviousKeySuffix))
        return report(failure(ExitCode::refused,
                              private_path + pam_totp::kPreviousKeySuffix +
                                  " exists: a rekey is not finished; run totp-enroll --rekey "
                                  "(again) and --rekey --finish first"));
    const bool had_key = exists(private_path) || exists(public_path);
    if (had_key && !options.force) {
        const std::string existing = exists(private_path) ? private_path : public_path;
        return report(failure(
            ExitCode::refused,
            existing +
                " already exists. A new host key makes every existing secret file "
                "unreadable (every user must enrol again); use --force if that is what you want"));
    }
    if (had_key) {
        auto old = pam_totp::load_host_public_key(public_path);
        warn("replacing the host key in " + dir + ": every secret file sealed to the old key" +
             (old ? " (key-id " + old->key_id() + ")" : std::string()) +
             " becomes unreadable, and those users must enrol again");
    }
    // Debian's postinst creates /etc/pam_totp; a source install may not have it.
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return report(
            failure(ExitCode::system, "cannot create " + pam_totp::errno_message(dir, errno)));

    auto key = pam_totp::write_new_host_key_pair(dir, options.force);
    if (!key)
        return report(
            failure(ExitCode::system, "cannot write the host key: " + key.error().message));
    if (auto status = write_stdout("Created " + private_path + " (0600) and " + public_path +
                                   " (0644), key-id " + key->key_id() + ".\n");
        !status)
        return report(status.error());
    return ExitCode::ok;
}

}  // namespace totp_enroll
