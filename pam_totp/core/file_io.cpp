#include "core/file_io.h"

#include <climits>
#include <cstdlib>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>
#include <vector>

#include "core/host_key.h"

namespace pam_totp {
namespace {

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

Status write_all(int fd, std::span<const std::uint8_t> content, const std::string& path) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error{errno_message(path, errno)};
        content = content.subspan(static_cast<std::size_t>(n));
    }
    return {};
}

constexpr std::size_t kTempRandomBytes = 8;

// ".NAME.tmp-": what every temp file for `path` starts with.
std::string temp_prefix_for(const std::string& path) {
    return "." + path.substr(path.find_last_of('/') + 1) + ".tmp-";
}

std::string temp_name_for(const std::string& path) {
    std::uint8_t random[kTempRandomBytes];
    if (RAND_bytes(random, sizeof random) != 1)
        throw std::runtime_error("the OpenSSL random generator failed");
    return parent_directory(path) + "/" + temp_prefix_for(path) + to_hex(random);
}

bool is_temp_name_for(std::string_view name, const std::string& prefix) {
    if (!name.starts_with(prefix) || name.size() != prefix.size() + 2 * kTempRandomBytes)
        return false;
    return name.substr(prefix.size()).find_first_not_of("0123456789abcdef") ==
           std::string_view::npos;
}

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// One directory above a file we trust: owned by `owner` or root, and not
// writable by group or others (or they could swap the file). Both directory
// walks apply it: by path (check_directory_chain), by descriptor (the walk
// of read_checked_file_beneath_root).
Status check_directory_stat(const struct stat& st, const std::string& dir, uid_t owner) {
    if (st.st_uid != owner && st.st_uid != 0)
        return Error{"directory " + dir + " is owned by uid " + std::to_string(st.st_uid) +
                     (owner == 0 ? ", not by root" : ", not by the user or root")};
    if (st.st_mode & 0022) return Error{"directory " + dir + " is writable by group or others"};
    return {};
}

}  // namespace

std::string errno_message(const std::string& path, int error) {
    return path + ": " + std::strerror(error);
}

Status check_write_target(const std::string& path, bool replace) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return Error{errno_message(path, errno)};
    }
    if (S_ISLNK(st.st_mode))
        return Error{path + ": is a symbolic link; refusing to write through it"};
    if (!S_ISREG(st.st_mode)) return Error{path + ": exists and is not a regular file"};
    if (!replace) return Error{path + ": already exists", EEXIST};
    return {};
}

std::string parent_directory(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

Status check_directory_chain(const std::string& path, const std::string& stop, uid_t owner) {
    char resolved[PATH_MAX];
    if (!::realpath(parent_directory(path).c_str(), resolved))
        return Error{errno_message(parent_directory(path), errno)};
    char resolved_stop[PATH_MAX];
    const std::string top = ::realpath(stop.c_str(), resolved_stop) ? resolved_stop : "/";
    const bool below_top = top == "/" || std::string_view(resolved) == top ||
                           std::string_view(resolved).starts_with(top + "/");
    std::string dir = resolved;
    for (;;) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) return Error{errno_message(dir, errno)};
        if (auto status = check_directory_stat(st, dir, owner); !status) return status;
        if (dir == "/" || (below_top && dir == top)) return {};
        dir = parent_directory(dir);
    }
}

Status check_opened_file(int fd, const std::string& path, const FileRules& rules) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Error{errno_message(path, errno)};
    if (!S_ISREG(st.st_mode)) return Error{path + ": not a regular file"};
    if (rules.owner) {
        const bool owner_ok = st.st_uid == *rules.owner || (rules.allow_root && st.st_uid == 0);
        if (!owner_ok)
            return Error{path + ": owned by uid " + std::to_string(st.st_uid) + ", expected uid " +
                         std::to_string(*rules.owner) + (rules.allow_root ? " or root" : "")};
    }
    if (st.st_mode & rules.forbidden_mode)
        return Error{path + ": mode " + octal(st.st_mode) + " is too open (must not have " +
                     octal(rules.forbidden_mode) + ")"};
    if (static_cast<std::uint64_t>(st.st_size) > rules.max_size)
        return Error{path + ": larger than " + std::to_string(rules.max_size) + " bytes"};
    return {};
}

namespace {

constexpr int kReadFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

// The file `fd` opened with kReadFlags (or the open's errno), checked and
// read.
Result<std::optional<SecretBytes>> read_opened_file(const UniqueFd& fd, int open_error,
                                                    const std::string& path,
                                                    const FileRules& rules) {
    if (!fd) {
        if (open_error == ENOENT) return std::optional<SecretBytes>();
        if (open_error == ELOOP) return Error{path + ": is a symbolic link"};
        return Error{errno_message(path, open_error)};
    }
    if (auto status = check_opened_file(fd.get(), path, rules); !status) return status.error();

    // Read one byte past the cap so a file that grew after fstat is caught too.
    SecretBytes buffer(rules.max_size + 1);
    std::size_t used = 0;
    while (used < buffer.size()) {
        const ssize_t n = ::read(fd.get(), buffer.data() + used, buffer.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{errno_message(path, errno)};
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    if (used > rules.max_size)
        return Error{path + ": larger than " + std::to_string(rules.max_size) + " bytes"};
    buffer.truncate(used);
    return std::optional<SecretBytes>(std::move(buffer));
}

// A directory of the walk, on its descriptor.
Status check_walked_directory(int fd, const std::string& dir, uid_t owner) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Error{errno_message(dir, errno)};
    return check_directory_stat(st, dir, owner);
}

}  // namespace

Result<std::optional<SecretBytes>> read_checked_file(const std::string& path,
                                                     const FileRules& rules) {
    const UniqueFd fd(::open(path.c_str(), kReadFlags));
    return read_opened_file(fd, fd ? 0 : errno, path, rules);
}

Result<std::optional<SecretBytes>> read_checked_file_beneath_root(const std::string& path,
                                                                  const FileRules& rules,
                                                                  uid_t dir_owner) {
    if (!path.starts_with("/")) return Error{path + ": not an absolute path"};
    std::vector<std::string_view> names;
    for (std::string_view rest = path; !rest.empty();) {
        const std::size_t slash = rest.find('/');
        const std::string_view name = rest.substr(0, slash);
        if (name == "..") return Error{path + ": a path with .. is refused"};
        if (!name.empty() && name != ".") names.push_back(name);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    if (names.empty()) return Error{path + ": not a regular file"};

    UniqueFd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error{errno_message("/", errno)};
    if (auto status = check_walked_directory(dir.get(), "/", dir_owner); !status)
        return Error{path + ": " + status.error().message};
    std::string shown;  // the directories walked so far
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        shown += "/" + std::string(names[i]);
        const std::string name(names[i]);
        UniqueFd next(
            ::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) {
            const int error = errno;
            if (error == ENOENT) return std::optional<SecretBytes>();
            struct stat st {};
            if (error == ENOTDIR &&
                ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                return Error{path + ": directory " + shown + " is a symbolic link"};
            return Error{path + ": " + errno_message(shown, error)};
        }
        if (auto status = check_walked_directory(next.get(), shown, dir_owner); !status)
            return Error{path + ": " + status.error().message};
        dir = std::move(next);
    }
    const std::string file(names.back());
    const UniqueFd fd(::openat(dir.get(), file.c_str(), kReadFlags));
    return read_opened_file(fd, fd ? 0 : errno, path, rules);
}

Status fsync_directory(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error{errno_message(dir, errno)};
    if (::fsync(fd.get()) != 0) return Error{errno_message(dir, errno)};
    return {};
}

int remove_stale_temp_files(const std::string& path, uid_t owner, std::chrono::seconds min_age) {
    const int dir_fd =
        ::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dir_fd < 0) return 0;
    DirPtr dir(::fdopendir(dir_fd));
    if (!dir) {
        ::close(dir_fd);
        return 0;
    }
    const std::string prefix = temp_prefix_for(path);
    const auto cutoff = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) -
                        static_cast<std::time_t>(min_age.count());
    int removed = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
        if (!is_temp_name_for(entry->d_name, prefix)) continue;
        struct stat st {};
        if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(st.st_mode) || st.st_uid != owner || st.st_mtime > cutoff) continue;
        if (::unlinkat(dir_fd, entry->d_name, 0) == 0) ++removed;
    }
    return removed;
}

Status write_file_atomically(const std::string& path, std::span<const std::uint8_t> content,
                             const WriteRules& rules) {
    if (auto status = check_write_target(path, rules.replace); !status) return status;
    remove_stale_temp_files(path, rules.uid.value_or(::geteuid()), kStaleTempAge);
    const std::string temp = temp_name_for(path);
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       rules.mode & 07777));
    if (!fd) return Error{errno_message(temp, errno)};

    Status status = [&]() -> Status {
        if (::fchmod(fd.get(), rules.mode & 07777) != 0) return Error{errno_message(temp, errno)};
        if ((rules.uid || rules.gid) &&
            ::fchown(fd.get(), rules.uid ? *rules.uid : static_cast<uid_t>(-1),
                     rules.gid ? *rules.gid : static_cast<gid_t>(-1)) != 0)
            return Error{errno_message(temp, errno)};
        if (auto w = write_all(fd.get(), content, temp); !w) return w;
        if (::fsync(fd.get()) != 0) return Error{errno_message(temp, errno)};
        if (rules.replace) {
            if (::rename(temp.c_str(), path.c_str()) != 0) return Error{errno_message(path, errno)};
        } else {
            // link() fails with EEXIST instead of replacing: no race with a
            // file that appeared after check_write_target.
            if (::link(temp.c_str(), path.c_str()) != 0) return Error{errno_message(path, errno)};
            ::unlink(temp.c_str());
        }
        return fsync_directory(parent_directory(path));
    }();
    if (!status) ::unlink(temp.c_str());
    return status;
}

Status remove_file(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return Error{errno_message(path, errno)};
    if (S_ISDIR(st.st_mode)) return Error{path + ": is a directory"};
    if (::unlink(path.c_str()) != 0) return Error{errno_message(path, errno)};
    return fsync_directory(parent_directory(path));
}

}  // namespace pam_totp
