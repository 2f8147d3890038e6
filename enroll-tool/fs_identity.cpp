#include "fs_identity.h"

#include <grp.h>
#include <limits.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/file_io.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

std::string absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return {};
    return std::string(cwd) + "/" + path;
}

bool safe_directory(const struct stat& st, bool last) {
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0) return false;
    if ((st.st_mode & 0022) == 0) return true;
    // Others may add names to a sticky directory but not rename or remove
    // root's: fine on the way, not as the directory the file goes in.
    return !last && (st.st_mode & S_ISVTX) && (st.st_mode & 0002);
}

bool walk(const std::string& path, int depth) {
    if (depth > 16) return false;
    const std::string full = absolute(path);
    if (full.empty()) return false;
    struct stat st {};
    if (::lstat("/", &st) != 0 ||
        !safe_directory(st, full.find_first_not_of('/') == std::string::npos))
        return false;
    std::size_t at = 0;
    while (at < full.size()) {
        const std::size_t begin = full.find_first_not_of('/', at);
        if (begin == std::string::npos) break;
        std::size_t end = full.find('/', begin);
        if (end == std::string::npos) end = full.size();
        const std::string prefix = full.substr(0, end);
        const bool last = full.find_first_not_of('/', end) == std::string::npos;
        if (::lstat(prefix.c_str(), &st) != 0) return false;
        if (S_ISLNK(st.st_mode)) {
            // A root-owned link in a root-controlled directory cannot be
            // swapped; where it points must pass the same test. One hop at a
            // time (not realpath), so a user's link further down the chain
            // is seen and refused rather than silently followed.
            if (st.st_uid != 0) return false;
            char target[PATH_MAX];
            const ssize_t n = ::readlink(prefix.c_str(), target, sizeof target - 1);
            if (n <= 0) return false;
            const std::string link(target, static_cast<std::size_t>(n));
            const std::string base =
                link[0] == '/' ? link : pam_totp::parent_directory(prefix) + "/" + link;
            return walk(base + full.substr(end), depth + 1);
        }
        if (!safe_directory(st, last)) return false;
        at = end;
    }
    return true;
}

std::vector<gid_t> current_groups() {
    const int count = ::getgroups(0, nullptr);
    std::vector<gid_t> groups(count > 0 ? static_cast<std::size_t>(count) : 0);
    if (count > 0 && ::getgroups(count, groups.data()) < 0) groups.clear();
    return groups;
}

std::vector<gid_t> groups_of(const TargetUser& user) {
    int count = 32;
    std::vector<gid_t> groups;
    for (int attempt = 0; attempt < 8; ++attempt) {
        groups.resize(static_cast<std::size_t>(count));
        int n = count;
        if (::getgrouplist(user.name.c_str(), user.gid, groups.data(), &n) >= 0) {
            groups.resize(static_cast<std::size_t>(n));
            return groups;
        }
        count = n > count ? n : count * 2;
    }
    return {user.gid};
}

}  // namespace

bool root_controls_directory(const std::string& dir) {
    return walk(dir, 0);
}

Result<FsIdentity> FsIdentity::become(const TargetUser& user) {
    FsIdentity identity(static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))),
                        static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))), current_groups());
    const std::vector<gid_t> groups = groups_of(user);
    if (::setgroups(groups.size(), groups.data()) != 0)
        return failure(ExitCode::system,
                       "cannot take the groups of user " + user.name + ": " + std::strerror(errno));
    // setfsuid/setfsgid report no errors; asking again tells whether they took.
    ::setfsgid(user.gid);
    ::setfsuid(user.uid);
    if (static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != user.gid ||
        static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != user.uid)
        return failure(ExitCode::system,
                       "cannot take the file-system identity of user " + user.name);
    return identity;
}

FsIdentity::FsIdentity(FsIdentity&& other) noexcept
    : active_(std::exchange(other.active_, false)),
      saved_uid_(other.saved_uid_),
      saved_gid_(other.saved_gid_),
      saved_groups_(std::move(other.saved_groups_)) {}

FsIdentity::~FsIdentity() {
    if (!active_) return;
    ::setfsuid(saved_uid_);
    ::setfsgid(saved_gid_);
    const bool groups_ok = ::setgroups(saved_groups_.size(), saved_groups_.data()) == 0;
    if (!groups_ok || static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != saved_uid_ ||
        static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != saved_gid_) {
        write_stderr("totp-enroll: cannot return to root's file-system identity; stopping\n");
        ::_exit(static_cast<int>(ExitCode::system));
    }
}

Result<std::optional<FsIdentity>> identity_for(const TargetUser& owner, const std::string& path,
                                               Access access) {
    if (::geteuid() != 0) return std::optional<FsIdentity>();
    const std::string dir = pam_totp::parent_directory(path);
    if (root_controls_directory(dir)) return std::optional<FsIdentity>();
    if (owner.uid == 0) {
        if (access == Access::read) return std::optional<FsIdentity>();
        return failure(ExitCode::system,
                       dir +
                           ": not controlled by root alone (it or a directory above it belongs to "
                           "another user or is writable by others); root does not write "
                           "there. Use --user NAME to act as that directory's user");
    }
    auto identity = FsIdentity::become(owner);
    if (!identity) return identity.error();
    return std::optional<FsIdentity>(std::move(*identity));
}

}  // namespace totp_enroll
