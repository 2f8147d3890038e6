#include "core/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/file_io.h"

namespace pam_totp {
namespace {

constexpr std::size_t kMaxNameLength = 256;

Result<UniqueFd> open_or_create(const std::string& dir, const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) {
        // A new file: make its existence durable once, so later updates need
        // only fdatasync.
        if (::fsync(fd.get()) != 0) return Error{errno_message(path, errno)};
        if (auto status = fsync_directory(dir); !status) return Error{status.error()};
        return fd;
    }
    if (errno != EEXIST) return Error{errno_message(path, errno)};
    fd.reset(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd)
        return Error{errno == ELOOP ? path + ": is a symbolic link" : errno_message(path, errno)};
    return fd;
}

Status read_slot(int fd, std::size_t offset, Slot& slot, const std::string& path) {
    slot.fill(0);
    std::size_t used = 0;
    while (used < slot.size()) {
        const ssize_t n =
            ::pread(fd, slot.data() + used, slot.size() - used, static_cast<off_t>(offset + used));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{errno_message(path, errno)};
        if (n == 0) break;  // short file: the slot stays zero and so invalid
        used += static_cast<std::size_t>(n);
    }
    return {};
}

// Holders keep the lock for a read, a few HMACs and one write, never while
// talking to a client; a wait this long means something is stuck, and the
// login fails rather than hang.
constexpr int kLockWaitMilliseconds = 10000;
constexpr int kLockPollMilliseconds = 5;

// Writes one slot at `offset` and makes it durable: the only write a login makes.
Status write_slot_durably(int fd, off_t offset, const Slot& slot, const std::string& path) {
    std::size_t written = 0;
    while (written < slot.size()) {
        const ssize_t n = ::pwrite(fd, slot.data() + written, slot.size() - written,
                                   offset + static_cast<off_t>(written));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error{errno_message(path, errno)};
        written += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd) != 0) return Error{errno_message(path, errno)};
    return {};
}

// A state file (the decoy too) is a regular file of ours, private, no larger
// than its two slots.
FileRules state_file_rules() {
    return FileRules{.owner = ::geteuid(),
                     .allow_root = false,
                     .forbidden_mode = 0077,
                     .max_size = kStateFileSize};
}

Status lock_with_timeout(int fd, const std::string& path) {
    for (int waited = 0;; waited += kLockPollMilliseconds) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return {};
        if (errno != EWOULDBLOCK && errno != EINTR) return Error{errno_message(path, errno)};
        if (waited >= kLockWaitMilliseconds)
            return Error{path + ": still locked by another login after " +
                         std::to_string(kLockWaitMilliseconds / 1000) + " s"};
        ::usleep(kLockPollMilliseconds * 1000);
    }
}

}  // namespace

bool is_safe_file_name(const std::string& name) {
    return !name.empty() && name.size() <= kMaxNameLength && name[0] != '.' &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return c > ' ' && c < 127 && c != '/'; });
}

Status check_state_directory(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error{"state directory " + errno_message(dir, errno)};
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error{errno_message(dir, errno)};
    if (st.st_uid != ::geteuid())
        return Error{"state directory " + dir + ": owned by uid " + std::to_string(st.st_uid) +
                     ", not by root"};
    if (st.st_mode & 0022) return Error{"state directory " + dir + ": writable by group or others"};
    return {};
}

Status write_decoy_state(const std::string& dir) {
    if (auto status = check_state_directory(dir); !status) return status;
    const std::string path = dir + "/" + kDecoyStateName;
    auto fd = open_or_create(dir, path);
    if (!fd) return Error{fd.error()};
    if (auto status = check_opened_file(fd->get(), path, state_file_rules()); !status)
        return status;
    return write_slot_durably(fd->get(), 0, encode_slot(UserState{}, 1), path);
}

Result<LockedStateFile> LockedStateFile::open(const std::string& dir, const std::string& user) {
    if (!is_safe_file_name(user)) return Error{"user name is not usable as a state file name"};
    if (auto status = check_state_directory(dir); !status) return Error{status.error()};
    const std::string path = dir + "/" + user;
    auto fd = open_or_create(dir, path);
    if (!fd) return Error{fd.error()};
    if (auto status = lock_with_timeout(fd->get(), path); !status) return Error{status.error()};
    if (auto status = check_opened_file(fd->get(), path, state_file_rules()); !status)
        return Error{status.error()};
    LockedStateFile file(std::move(*fd), path);
    if (auto status = file.load(); !status) return Error{status.error()};
    return file;
}

Status LockedStateFile::load() {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return Error{errno_message(path_, errno)};
    if (st.st_size == 0) return {};  // created and never written: a fresh user
    Slot slot0{}, slot1{};
    if (auto s = read_slot(fd_.get(), 0, slot0, path_); !s) return s;
    if (auto s = read_slot(fd_.get(), kSlotStride, slot1, path_); !s) return s;
    const CurrentState current = pick_current(slot0, slot1);
    if (!current.current)
        return Error{path_ +
                     ": state file is corrupt (no valid slot); remove it to reset this user's "
                     "replay and lock state"};
    state_ = current.current->state;
    sequence_ = current.current->sequence;
    next_slot_ = current.next_slot;
    return {};
}

Status LockedStateFile::commit(const UserState& next) {
    const Slot slot = encode_slot(next, sequence_ + 1);
    const off_t offset = static_cast<off_t>(next_slot_) * static_cast<off_t>(kSlotStride);
    if (auto status = write_slot_durably(fd_.get(), offset, slot, path_); !status) return status;
    state_ = next;
    ++sequence_;
    next_slot_ = 1 - next_slot_;
    return {};
}

}  // namespace pam_totp
