#include "core/secret_file_access.h"

#include "core/default_paths.h"
#include "core/module_options.h"
#include "core/secret_file.h"

namespace pam_totp {

FileRules secret_file_rules(SecretOwner owner, uid_t uid) {
    if (owner == SecretOwner::root)
        return {
            .owner = 0, .allow_root = true, .forbidden_mode = 0077, .max_size = kMaxSecretFileSize};
    return {
        .owner = uid, .allow_root = true, .forbidden_mode = 0022, .max_size = kMaxSecretFileSize};
}

Status check_secret_file_place(const std::string& path, SecretOwner owner, const Account& account) {
    if (owner == SecretOwner::root) return check_directory_chain(path, "/", 0);
    return check_directory_chain(path, account.home, account.uid);
}

Result<std::string> default_secret_path(const Account& account) {
    return expand_secret_path(kDefaultSecretPattern, account.name, account.home);
}

}  // namespace pam_totp
