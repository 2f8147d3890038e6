// The per-user record file: two fixed slots and two pin areas, flock held
// from read to write, one pwrite + fdatasync per ordinary update, two when
// the pin changes (see pam_totp(5), "Record file").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/state_record.h"
#include "core/unique_fd.h"

namespace pam_totp {

constexpr char kDecoyStateName[] = ".decoy";

// Accepts the names a state file may be called after: no '/', not starting
// with '.', printable ASCII, at most 256 bytes.
bool is_safe_file_name(const std::string& name);

// The state directory must be a directory owned by the effective user (root
// in production) and not writable by group or others.
Status check_state_directory(const std::string& dir);

// Writes one slot to <dir>/.decoy and fdatasyncs it: the durable write that
// logins of unknown and unenrolled users make, so that they cost what a real
// login costs (no user's state file can start with '.'). The contents mean
// nothing, so the file is never read or locked: a shared lock would let an
// attacker who floods unknown names see which other names wait on it.
Status write_decoy_state(const std::string& dir);

class LockedStateFile {
  public:
    // Opens <dir>/<user>, creating it once (O_EXCL, fsync of file and
    // directory), takes LOCK_EX (held until destruction), checks the fd
    // (regular, owner, 0600-or-stricter) and reads both slots. A file with
    // no valid slot and a non-zero size is refused (fail closed).
    static Result<LockedStateFile> open(const std::string& dir, const std::string& user);
    // The same for a record that already exists; nullopt when there is none
    // (reading never creates a file for a user who may not be enrolled).
    static Result<std::optional<LockedStateFile>> open_existing(const std::string& dir,
                                                                const std::string& user);

    const UserState& state() const { return state_; }
    const std::string& path() const { return path_; }

    // The pinned secret file's bytes ("" without a pin). An area whose bytes
    // do not hash to what the slot names is an error: never another file.
    Result<std::string> pinned_file() const;
    // The file a pending switch staged in the inactive area ("" without one).
    Result<std::string> pending_file() const;

    // The area a new pin goes to: the one the current pin does not use.
    std::uint8_t free_area() const;
    // Writes `file` into free_area() and fdatasyncs it; the slot written
    // next decides whether it becomes the pin (2 fdatasyncs per pin change).
    Status stage_pin(std::string_view file);

    // Writes `next` into the older slot with sequence+1 and fdatasyncs.
    Status commit(const UserState& next);

  private:
    LockedStateFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    static Result<LockedStateFile> lock_and_load(UniqueFd fd, const std::string& path,
                                                 bool initialise);
    Status load();

    UniqueFd fd_;
    std::string path_;
    UserState state_;
    std::uint64_t sequence_ = 0;
    int next_slot_ = 0;
};

}  // namespace pam_totp
