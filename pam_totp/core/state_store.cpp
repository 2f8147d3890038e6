#include "core/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <openssl/crypto.h>

#include <vector>

#include "core/file_io.h"

namespace pam_totp {
namespace {

constexpr std::size_t kMaxNameLength = 255;  // NAME_MAX

Status write_all(int fd, off_t offset, std::span<const std::uint8_t> bytes,
                 const std::string& path) {
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::pwrite(fd, bytes.data() + written, bytes.size() - written,
                                   offset + static_cast<off_t>(written));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error{errno_message(path, errno)};
        written += static_cast<std::size_t>(n);
    }
    return {};
}

// su and sudo inherit their caller's RLIMIT_FSIZE, which an unprivileged
// container cannot raise; a record created under a smaller limit would be cut
// short and lock its user out, so none is created then.
Status check_file_size_limit(const std::string& path) {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur >= kStateFileSize)
        return {};
    return Error{path + ": not created: this process may write only " +
                 std::to_string(limit.rlim_cur) + " bytes per file (RLIMIT_FSIZE)"};
}

Result<UniqueFd> open_or_create(const std::string& dir, const std::string& path) {
    if (auto status = check_file_size_limit(path); !status) return status.error();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) {
        // A new file: make its existence durable once, so later updates need
        // only fdatasync. Its first slot is written under the lock
        // (LockedStateFile::lock_and_load), never before it: another login
        // may already hold the lock and be writing.
        if (::fsync(fd.get()) != 0) return Error{errno_message(path, errno)};
        if (auto status = fsync_directory(dir); !status) return status.error();
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

// Writes `bytes` at `offset` and makes them durable: a slot is the only
// write an ordinary login makes.
Status write_durably(int fd, off_t offset, std::span<const std::uint8_t> bytes,
                     const std::string& path) {
    if (auto status = write_all(fd, offset, bytes, path); !status) return status;
    if (::fdatasync(fd) != 0) return Error{errno_message(path, errno)};
    return {};
}

off_t area_offset(std::uint8_t area) {
    return static_cast<off_t>(kPinAreaOffset + area * kPinAreaStride);
}

// A pin area: a 4-byte little-endian length, then the file's bytes. The
// bytes must be `length` long and hash to `hash`.
Result<std::string> read_area(int fd, std::uint8_t area, std::uint32_t length, const Sha256& hash,
                              const std::string& path) {
    std::string bytes(4 + length, '\0');
    std::size_t used = 0;
    while (used < bytes.size()) {
        const ssize_t n = ::pread(fd, bytes.data() + used, bytes.size() - used,
                                  area_offset(area) + static_cast<off_t>(used));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{errno_message(path, errno)};
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    std::uint32_t stored = 0;
    for (int i = 0; i < 4; ++i)
        stored |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    bytes.erase(0, 4);
    const Sha256 actual = sha256_of(bytes);
    if (used != 4 + static_cast<std::size_t>(length) || stored != length ||
        CRYPTO_memcmp(actual.data(), hash.data(), hash.size()) != 0)
        return Error{path + ": pin area " + std::to_string(area) +
                     " does not hold the file its record names (record damaged)"};
    return bytes;
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
    if (!fd) return fd.error();
    if (auto status = check_opened_file(fd->get(), path, state_file_rules()); !status)
        return status;
    return write_durably(fd->get(), 0, encode_slot(UserState{}, 1), path);
}

Result<LockedStateFile> LockedStateFile::open(const std::string& dir, const std::string& user) {
    if (!is_safe_file_name(user)) return Error{"user name is not usable as a state file name"};
    if (auto status = check_state_directory(dir); !status) return status.error();
    const std::string path = dir + "/" + user;
    auto fd = open_or_create(dir, path);
    if (!fd) return fd.error();
    return lock_and_load(std::move(*fd), path, true);
}

Result<std::optional<LockedStateFile>> LockedStateFile::open_existing(const std::string& dir,
                                                                      const std::string& user) {
    if (!is_safe_file_name(user)) return Error{"user name is not usable as a state file name"};
    if (auto status = check_state_directory(dir); !status) return status.error();
    const std::string path = dir + "/" + user;
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd && errno == ENOENT) return std::optional<LockedStateFile>();
    if (!fd)
        return Error{errno == ELOOP ? path + ": is a symbolic link" : errno_message(path, errno)};
    auto file = lock_and_load(std::move(fd), path, false);
    if (!file) return file.error();
    return std::optional<LockedStateFile>(std::move(*file));
}

Result<LockedStateFile> LockedStateFile::lock_and_load(UniqueFd fd, const std::string& path,
                                                       bool initialise) {
    if (auto status = lock_with_timeout(fd.get(), path); !status) return status.error();
    if (auto status = check_opened_file(fd.get(), path, state_file_rules()); !status)
        return status.error();
    // An empty record gets a valid empty slot first, under the lock, so a
    // record with no valid slot is always damage, never a first write cut
    // short (a pin staged before the first slot would otherwise be one).
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error{errno_message(path, errno)};
    if (initialise && st.st_size == 0) {
        if (auto status = write_durably(fd.get(), 0, encode_slot(UserState{}, 1), path); !status)
            return status.error();
    }
    LockedStateFile file(std::move(fd), path);
    if (auto status = file.load(); !status) return status.error();
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
                     ": record is damaged (no valid slot); logins fail until an administrator "
                     "checks the user's file, moves the record aside and runs totp-enroll --pin "
                     "--user NAME"};
    state_ = current.current->state;
    sequence_ = current.current->sequence;
    next_slot_ = current.next_slot;
    return {};
}

Result<std::string> LockedStateFile::pinned_file() const {
    if (!state_.pin.present) return std::string();
    return read_area(fd_.get(), state_.pin.area, state_.pin.length, state_.pin.hash, path_);
}

Result<std::string> LockedStateFile::pending_file() const {
    if (!state_.pending.present) return std::string();
    return read_area(fd_.get(), free_area(), state_.pending.length, state_.pending.hash, path_);
}

std::uint8_t LockedStateFile::free_area() const {
    return state_.pin.present ? static_cast<std::uint8_t>(1 - state_.pin.area) : 0;
}

Status LockedStateFile::stage_pin(std::string_view file) {
    if (file.size() > kMaxPinSize) return Error{"a pinned file is at most 4096 bytes"};
    std::vector<std::uint8_t> area(4 + file.size());
    for (int i = 0; i < 4; ++i)
        area[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(file.size() >> (8 * i));
    std::copy(file.begin(), file.end(), area.begin() + 4);
    return write_durably(fd_.get(), area_offset(free_area()), area, path_);
}

Status LockedStateFile::commit(const UserState& next) {
    const Slot slot = encode_slot(next, sequence_ + 1);
    const off_t offset = static_cast<off_t>(next_slot_) * static_cast<off_t>(kSlotStride);
    if (auto status = write_durably(fd_.get(), offset, slot, path_); !status) return status;
    state_ = next;
    ++sequence_;
    next_slot_ = 1 - next_slot_;
    return {};
}

}  // namespace pam_totp
