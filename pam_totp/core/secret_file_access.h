// The rules a secret file must meet, kept once for the module that reads it
// and totp-enroll that writes it, so the tool never writes a file the
// module refuses. A user's file (secret_owner=user, --owner user) may be the
// user's or root's, not writable by group or others, in directories each
// owned by the user or root and not writable by group or others, from the
// file up to the home (up to "/" outside it): sshd's StrictModes. Root's
// file (secret_owner=root, --owner root) is root's with no access for
// others, and so is every directory from "/" down: no user can then choose
// what root opens.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/file_io.h"
#include "core/result.h"
#include "core/user_account.h"

namespace pam_totp {

enum class SecretOwner { user, root };

// What the file itself must be, checked on the open descriptor.
FileRules secret_file_rules(SecretOwner owner, uid_t uid);

// Where it may be: the directories above `path` for `account`'s file.
Status check_secret_file_place(const std::string& path, SecretOwner owner, const Account& account);

// The path secret=%h/.pam_totp names for `account`.
Result<std::string> default_secret_path(const Account& account);

}  // namespace pam_totp
