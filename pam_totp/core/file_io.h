// Careful file access: checks run on the opened descriptor (never on the path),
// symlinks are never followed at the last component, FIFOs never block, sizes
// are capped, and writes go through an unpredictable temp file and rename.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/unique_fd.h"

namespace pam_totp {

struct FileRules {
    std::optional<uid_t> owner;  // required owner; root (0) is accepted too if allow_root
    bool allow_root = true;
    mode_t forbidden_mode = 0022;  // e.g. 0022: not group/world writable, 0077: private
    std::size_t max_size = 4096;
};

// Opens `path` with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC and checks it with fstat:
// regular file, owner, mode, size. Returns nullopt when the file does not
// exist (ENOENT); every other problem is an error naming the path and cause.
Result<std::optional<SecretBytes>> read_checked_file(const std::string& path,
                                                     const FileRules& rules);

// read_checked_file for an absolute `path` reached without resolving it
// twice: from "/", each directory is opened with O_PATH|O_DIRECTORY|
// O_NOFOLLOW relative to the one before and checked on that descriptor
// (owned by `dir_owner` or root, not writable by group or others), then the
// file is opened with O_NOFOLLOW relative to the last one and checked as
// read_checked_file does. No component may be a symbolic link (or ".."):
// the directories checked are the ones the file is read from. nullopt when
// a component does not exist.
Result<std::optional<SecretBytes>> read_checked_file_beneath_root(const std::string& path,
                                                                  const FileRules& rules,
                                                                  uid_t dir_owner);

// sshd's StrictModes for the directories above `path`: each one from its
// parent up to `stop` (or up to "/" when the path is not below `stop`),
// after resolving symbolic links, is owned by `owner` or root and not
// writable by group or others.
Status check_directory_chain(const std::string& path, const std::string& stop, uid_t owner);

// Same checks on an already opened descriptor.
Status check_opened_file(int fd, const std::string& path, const FileRules& rules);

// Whether `path` may be written: nothing there, or (with `replace`) a
// regular file; a symlink or anything else is refused, and an existing file
// without `replace` is an error whose code is EEXIST.
Status check_write_target(const std::string& path, bool replace);

struct WriteRules {
    mode_t mode = 0600;
    std::optional<uid_t> uid;  // fchown the temp file before it becomes visible
    std::optional<gid_t> gid;
    bool replace = false;  // false: refuse when `path` exists
};

// Writes `content` to a fresh temp file in the target's directory
// (O_CREAT|O_EXCL|O_NOFOLLOW, random name), fsyncs it, renames it over `path`
// (or links it, when not replacing, so an existing file is never touched),
// and fsyncs the directory. Refuses a target that is a symlink or not a
// regular file. First removes the temp files of writers that were killed
// before their rename (remove_stale_temp_files).
Status write_file_atomically(const std::string& path, std::span<const std::uint8_t> content,
                             const WriteRules& rules);

// How old a temp file must be before it is taken for a killed writer's.
// A live writer holds its temp file for milliseconds.
constexpr std::chrono::seconds kStaleTempAge{600};

// Removes the temp files write_file_atomically leaves next to `path` when it
// is killed before its rename (".NAME.tmp-" and 16 hex digits): only regular
// files owned by `owner` and older than `min_age`, never through a symlink.
// Best effort; returns how many it removed.
int remove_stale_temp_files(const std::string& path, uid_t owner, std::chrono::seconds min_age);

// Removes `path` if it is a regular file or a symlink (never follows it).
Status remove_file(const std::string& path);

std::string parent_directory(const std::string& path);
Status fsync_directory(const std::string& dir);

// "path: cause" with strerror(errno).
std::string errno_message(const std::string& path, int error);

}  // namespace pam_totp
