#include "module/secret_file_reader.h"

#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modutil.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/file_io.h"
#include "core/secret_file_access.h"

namespace pam_totp {
namespace {

// What is done with the reader's identity: check the directories above the
// file (sshd's StrictModes), read the file, and when it is missing, tell a
// missing file (not enrolled) from a missing directory (an unmounted home
// must not count as "not enrolled" under `optional`).
// noexcept: nothing may skip the regain that follows.
SecretFileRead read_checked(const std::string& path, SecretOwner owner,
                            const Account& account) noexcept {
    SecretFileRead result;
    try {
        struct stat st {};
        if (::stat(parent_directory(path).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            result.reason = "directory " + parent_directory(path) + " of " + path + " is not there";
            return result;
        }
        // An unsafe place is refused before anything there is opened (the
        // path is then only looked at, never followed at its last part).
        if (const Status placed = check_secret_file_place(path, owner, account); !placed) {
            struct stat file {};
            if (::lstat(path.c_str(), &file) != 0 && errno == ENOENT)
                result.state = SecretFileState::missing;
            else
                result.reason = path + " is in an unsafe place: " + placed.error().message;
            return result;
        }
        auto read = read_checked_file(path, secret_file_rules(owner, account.uid));
        if (!read) {
            result.reason = read.error().message;
        } else if (!*read) {
            result.state = SecretFileState::missing;
        } else {
            result.state = SecretFileState::present;
            result.content = std::move(**read);
        }
    } catch (...) {
        result = SecretFileRead{};  // refused; the caller names the file
    }
    return result;
}

}  // namespace

SecretFileRead read_secret_file_as(pam_handle_t* pamh, const Account& account,
                                   const std::string& path) {
    // PAM_MODUTIL_DEF_PRIVS spelled out: the macro narrows -1 to an
    // unsigned id, which C++ rejects.
    gid_t saved_groups[PAM_MODUTIL_NGROUPS];
    struct pam_modutil_privs privs = {saved_groups,           PAM_MODUTIL_NGROUPS,    0,
                                      static_cast<gid_t>(-1), static_cast<uid_t>(-1), 0};
    // What pam_modutil_drop_priv reads: the name (for the groups) and the ids.
    struct passwd pw {};
    pw.pw_name = const_cast<char*>(account.name.c_str());
    pw.pw_uid = account.uid;
    pw.pw_gid = account.gid;
    if (pam_modutil_drop_priv(pamh, &privs, &pw) != 0) {
        SecretFileRead result;
        result.reason = "cannot switch to the user's identity to read " + path;
        return result;
    }
    SecretFileRead result = read_checked(path, SecretOwner::user, account);
    if (pam_modutil_regain_priv(pamh, &privs) != 0) {
        // Carrying on under the user's identity would let whatever the stack
        // does next act with it: stop this process, as OpenSSH would.
        pam_syslog(pamh, LOG_CRIT, "cannot regain privileges after reading %s; exiting",
                   path.c_str());
        ::_exit(EXIT_FAILURE);
    }
    if (result.state == SecretFileState::refused && result.reason.empty())
        result.reason = "cannot read " + path;
    return result;
}

SecretFileRead read_root_managed_file(const std::string& path) {
    // Read as root, so every directory from "/" down must be root's: no
    // user can then choose what root opens.
    SecretFileRead result = read_checked(path, SecretOwner::root, Account{"root", 0, 0, "/"});
    if (result.state == SecretFileState::refused && result.reason.empty())
        result.reason = "cannot read " + path;
    return result;
}

}  // namespace pam_totp
