#include "target_user.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

namespace totp_enroll {
namespace {

// getpwnam_r/getpwuid_r with a buffer that grows on ERANGE.
template <class Lookup>
Result<TargetUser> lookup(Lookup&& call, const std::string& who) {
    long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
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
            return failure(
                ExitCode::system,
                "cannot look up " + who + " in the password database: " + std::strerror(error));
        if (!found)
            return failure(ExitCode::system, who + " does not exist in the password database");
        return TargetUser{found->pw_name, found->pw_uid, found->pw_gid,
                          found->pw_dir ? found->pw_dir : ""};
    }
}

}  // namespace

Result<TargetUser> invoking_user() {
    const uid_t uid = ::getuid();
    return lookup(
        [uid](struct passwd* entry, char* buf, std::size_t size, struct passwd** found) {
            return ::getpwuid_r(uid, entry, buf, size, found);
        },
        "the invoking user (uid " + std::to_string(uid) + ")");
}

Result<TargetUser> user_named(const std::string& name) {
    return lookup(
        [&name](struct passwd* entry, char* buf, std::size_t size, struct passwd** found) {
            return ::getpwnam_r(name.c_str(), entry, buf, size, found);
        },
        "user '" + name + "'");
}

std::vector<TargetUser> every_user() {
    std::vector<TargetUser> users;
    std::set<std::string> seen;
    ::setpwent();
    while (const struct passwd* entry = ::getpwent()) {
        if (!entry->pw_name || !seen.insert(entry->pw_name).second) continue;
        users.push_back(TargetUser{entry->pw_name, entry->pw_uid, entry->pw_gid,
                                   entry->pw_dir ? entry->pw_dir : ""});
    }
    ::endpwent();
    return users;
}

std::string default_secret_path(const TargetUser& user) {
    std::string home = user.home;
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    return (home == "/" ? "" : home) + "/.pam_totp";
}

}  // namespace totp_enroll
