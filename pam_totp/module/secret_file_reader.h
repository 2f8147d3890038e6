// Reading a user's secret file with their own file-system identity
// (pam_modutil_drop_priv): root never opens a path inside a user-controlled
// directory with root's rights, and root-squashed NFS homes work. The rules
// the file must meet are core/secret_file_access.h's.
#pragma once

#include <security/pam_modules.h>

#include <string>

#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/user_account.h"

namespace pam_totp {

enum class SecretFileState { missing, present, refused };

struct SecretFileRead {
    SecretFileState state = SecretFileState::refused;
    SecretBytes content;
    std::string reason;  // for syslog when refused
};

// Reads `path` as the account's fsuid/fsgid under SecretOwner::user's rules.
// If privileges cannot be regained the process exits.
SecretFileRead read_secret_file_as(pam_handle_t* pamh, const Account& account,
                                   const std::string& path);

// secret_owner=root: reads `path` as root under SecretOwner::root's rules.
SecretFileRead read_root_managed_file(const std::string& path);

}  // namespace pam_totp
