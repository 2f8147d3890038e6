#include "core/user_account.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace pam_totp {
namespace {

Account from_entry(const struct passwd& entry) {
    return Account{entry.pw_name ? entry.pw_name : "", entry.pw_uid, entry.pw_gid,
                   entry.pw_dir ? entry.pw_dir : ""};
}

// getpwnam_r/getpwuid_r with a buffer that grows on ERANGE (NSS sources
// such as LDAP can return long entries), up to 1 MiB.
template <class Lookup>
Result<Account> lookup(Lookup&& call, const std::string& who) {
    const long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 4096);
    for (;;) {
        struct passwd entry {};
        struct passwd* found = nullptr;
        const int error = call(&entry, buffer.data(), buffer.size(), &found);
        if (error == ERANGE && buffer.size() < (1u << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (error != 0)
            return Error{"cannot look up " + who +
                         " in the password database: " + std::strerror(error)};
        if (!found) return Error{who + " does not exist in the password database"};
        return from_entry(*found);
    }
}

}  // namespace

Result<Account> find_account(const std::string& name) {
    return lookup(
        [&name](struct passwd* entry, char* buf, std::size_t size, struct passwd** found) {
            return ::getpwnam_r(name.c_str(), entry, buf, size, found);
        },
        "user '" + name + "'");
}

Result<Account> find_account(uid_t uid) {
    return lookup(
        [uid](struct passwd* entry, char* buf, std::size_t size, struct passwd** found) {
            return ::getpwuid_r(uid, entry, buf, size, found);
        },
        "uid " + std::to_string(uid));
}

std::vector<Account> every_account() {
    std::vector<Account> accounts;
    std::set<std::string> seen;
    ::setpwent();
    while (const struct passwd* entry = ::getpwent()) {
        if (!entry->pw_name || !seen.insert(entry->pw_name).second) continue;
        accounts.push_back(from_entry(*entry));
    }
    ::endpwent();
    return accounts;
}

}  // namespace pam_totp
