// Finding the user and reading their secret file with their own file-system
// identity (pam_modutil_drop_priv): root never opens a path inside a
// user-controlled directory with root's rights, and root-squashed NFS homes
// work.
#pragma once

#include <pwd.h>
#include <security/pam_modules.h>

#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/secret_bytes.h"

namespace pam_totp {

// A getpwnam_r result with its own storage.
struct Account {
    std::string name;
    std::string home;
    uid_t uid = 0;
    gid_t gid = 0;
    std::unique_ptr<char[]> storage;
    struct passwd pw {};
};

// nullopt when the user does not exist (or the lookup failed: both end the
// same way, prompted and refused, so a caller cannot enumerate users).
std::optional<Account> find_account(const std::string& name);

enum class SecretFileState { missing, present, refused };

struct SecretFileRead {
    SecretFileState state = SecretFileState::refused;
    SecretBytes content;
    std::string reason;  // for syslog when refused
};

// Reads `path` as the account's fsuid/fsgid: regular file, owned by the user
// or root, not group/world writable, at most 4 KiB, and every directory from
// the home (or "/" outside it) down to it owned by the user or root and not
// group/world writable. If privileges cannot be regained the process exits.
SecretFileRead read_secret_file_as(pam_handle_t* pamh, const Account& account,
                                   const std::string& path);

// secret_owner=root: reads `path` as root after checking that it and every
// directory from "/" down are root's, not writable by others (0600/0400).
SecretFileRead read_root_managed_file(const std::string& path);

}  // namespace pam_totp
