// Acting on files as the target user when root works for someone else:
// root must never create, rename or delete files in a directory a user
// controls (cf. CVE-2024-47191 in pam_oath), and root-squashed NFS homes
// only let the user in anyway.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "exit_codes.h"
#include "target_user.h"

namespace totp_enroll {

// True when no one but root can change what `dir` resolves to or what it
// contains: every directory from / down to it is owned by root and not
// writable by group or others (a sticky world-writable directory such as
// /tmp is accepted on the way, not as `dir` itself), and every symbolic link
// on the way is root's. Anything unexpected (missing, unreadable) is false.
bool root_controls_directory(const std::string& dir);

// Switches the file-system identity (fsuid, fsgid, supplementary groups) to
// `user` for its lifetime; the real and effective ids stay, so only file
// access changes. Restores root's identity when it dies; if that fails the
// process cannot safely continue and exits with status 3.
class FsIdentity {
  public:
    static Result<FsIdentity> become(const TargetUser& user);
    FsIdentity(FsIdentity&& other) noexcept;
    FsIdentity& operator=(FsIdentity&&) = delete;
    FsIdentity(const FsIdentity&) = delete;
    FsIdentity& operator=(const FsIdentity&) = delete;
    ~FsIdentity();

  private:
    FsIdentity(uid_t uid, gid_t gid, std::vector<gid_t> groups)
        : saved_uid_(uid), saved_gid_(gid), saved_groups_(std::move(groups)) {}
    bool active_ = true;
    uid_t saved_uid_;
    gid_t saved_gid_;
    std::vector<gid_t> saved_groups_;
};

enum class Access { read, write };

// The identity to act on `path` (a file) for `owner`: root working for
// another user takes the user's identity unless root alone controls the
// file's directory (e.g. a central /var/lib/pam_totp/secrets); root writing
// its own file into a directory someone else controls is refused (a user's
// symlink or rename there must never steer root); everyone else simply acts
// as themselves (nullopt).
Result<std::optional<FsIdentity>> identity_for(const TargetUser& owner, const std::string& path,
                                               Access access);

}  // namespace totp_enroll
