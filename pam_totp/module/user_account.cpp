#include "module/user_account.h"

#include <security/pam_modutil.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_io.h"
#include "core/secret_file.h"

namespace pam_totp {

std::optional<Account> find_account(const std::string& name) {
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    if (size < 1024) size = 1024;
    for (int attempt = 0; attempt < 6; ++attempt, size *= 4) {
        Account account;
        account.storage = std::make_unique<char[]>(static_cast<std::size_t>(size));
        struct passwd* found = nullptr;
        const int error = ::getpwnam_r(name.c_str(), &account.pw, account.storage.get(),
                                       static_cast<std::size_t>(size), &found);
        if (error == ERANGE) continue;
        if (error != 0 || !found) return std::nullopt;
        account.name = found->pw_name ? found->pw_name : "";
        account.home = found->pw_dir ? found->pw_dir : "";
        account.uid = found->pw_uid;
        account.gid = found->pw_gid;
        return account;
    }
    return std::nullopt;
}

SecretFileRead read_secret_file_as(pam_handle_t* pamh, const Account& account,
                                   const std::string& path) {
    SecretFileRead result;
    // PAM_MODUTIL_DEF_PRIVS spelled out: the macro narrows -1 to an
    // unsigned id, which C++ rejects.
    gid_t saved_groups[PAM_MODUTIL_NGROUPS];
    struct pam_modutil_privs privs = {saved_groups,           PAM_MODUTIL_NGROUPS,    0,
                                      static_cast<gid_t>(-1), static_cast<uid_t>(-1), 0};
    if (pam_modutil_drop_priv(pamh, &privs, &account.pw) != 0) {
        result.reason = "cannot switch to the user's identity to read " + path;
        return result;
    }
    auto read = read_checked_file(path, {.owner = account.uid,
                                         .allow_root = true,
                                         .forbidden_mode = 0022,
                                         .max_size = kMaxSecretFileSize});
    if (pam_modutil_regain_priv(pamh, &privs) != 0) {
        // Running on with the wrong identity is worse than failing this login.
        result.reason = "cannot regain privileges after reading " + path;
        return result;
    }
    if (!read) {
        result.reason = read.error();
        return result;
    }
    if (!*read) {
        result.state = SecretFileState::missing;
        return result;
    }
    result.state = SecretFileState::present;
    result.content = std::move(**read);
    return result;
}

}  // namespace pam_totp
