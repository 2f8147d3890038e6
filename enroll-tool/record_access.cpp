#include "record_access.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/host_key.h"
#include "core/unique_fd.h"

namespace totp_enroll {
namespace {

Error record_failure(const std::string& message) {
    // The directory is the one thing the caller may have named wrongly.
    const bool directory = message.starts_with("state directory");
    return failure(
        ExitCode::system,
        "record: " + message + (directory ? " (--statedir must name the module's statedir=)" : ""));
}

}  // namespace

bool includes_record(const Options& options) {
    return ::getuid() == 0 && options.user.has_value();
}

std::string record_path(const Options& options, const TargetUser& user) {
    return options.statedir + "/" + user.name;
}

Result<pam_totp::LockedStateFile> open_record(const Options& options, const TargetUser& user) {
    auto record = pam_totp::LockedStateFile::open(options.statedir, user.name);
    if (!record) return record_failure(record.error().message);
    return std::move(*record);
}

Result<std::optional<pam_totp::LockedStateFile>> open_existing_record(const Options& options,
                                                                      const TargetUser& user) {
    auto record = pam_totp::LockedStateFile::open_existing(options.statedir, user.name);
    if (!record) return record_failure(record.error().message);
    return std::move(*record);
}

Result<std::vector<std::string>> record_names(const std::string& dir) {
    if (auto status = pam_totp::check_state_directory(dir); !status)
        return failure(ExitCode::system, "record: " + status.error().message +
                                             " (--statedir must name the module's statedir=)");
    pam_totp::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return failure(ExitCode::system, dir + ": " + std::strerror(errno));
    DIR* stream = ::fdopendir(fd.get());
    if (!stream) return failure(ExitCode::system, dir + ": " + std::strerror(errno));
    const int dir_fd = fd.release();  // closedir closes it
    std::vector<std::string> names;
    int error = 0;
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(stream);
        if (!entry) {
            error = errno;
            break;
        }
        const std::string name = entry->d_name;
        if (name == pam_totp::kDecoyStateName || !pam_totp::is_safe_file_name(name)) continue;
        struct stat st {};
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // gone since readdir
        } else if (S_ISLNK(st.st_mode)) {
            continue;
        }
        names.push_back(name);
    }
    ::closedir(stream);
    if (error != 0) return failure(ExitCode::system, dir + ": " + std::strerror(error));
    std::sort(names.begin(), names.end());
    return names;
}

std::string id_text(const pam_totp::EnrollmentId& id) {
    return pam_totp::to_hex(id);
}

}  // namespace totp_enroll
