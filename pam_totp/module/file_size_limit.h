// RLIMIT_FSIZE lifted while the module writes the record: su and sudo
// inherit their caller's limits, and a write cut short by a limit the
// attacker chose must not reach another user's record. Where the hard limit
// cannot be raised (no CAP_SYS_RESOURCE, as in some containers) the record
// store refuses to create a record rather than write part of one, and
// ordinary writes touch only the slot and area no valid slot depends on.
#pragma once

#include <sys/resource.h>

namespace pam_totp {

class FileSizeLimitLifted {
  public:
    FileSizeLimitLifted() {
        saved_ok_ = ::getrlimit(RLIMIT_FSIZE, &saved_) == 0;
        if (!saved_ok_ || saved_.rlim_cur == RLIM_INFINITY) return;
        const struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
        lifted_ = ::setrlimit(RLIMIT_FSIZE, &unlimited) == 0;
    }
    ~FileSizeLimitLifted() {
        if (lifted_) (void)::setrlimit(RLIMIT_FSIZE, &saved_);
    }
    FileSizeLimitLifted(const FileSizeLimitLifted&) = delete;
    FileSizeLimitLifted& operator=(const FileSizeLimitLifted&) = delete;

  private:
    struct rlimit saved_ {};
    bool saved_ok_ = false;
    bool lifted_ = false;
};

}  // namespace pam_totp
