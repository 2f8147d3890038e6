// pam_totp_ldap.so's LDAP work runs in a child process that the module
// kills when the time is up: libldap bounds neither its GnuTLS handshake
// nor host-name lookups, and only a process can be stopped wherever it is
// stuck. bounded_child.cpp explains the design; ldap_login.cpp runs its two
// phases (before the prompts, after them) this way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pam_totp {

using Deadline = std::chrono::steady_clock::time_point;

// The child's answer: code 0 for success, else the error code of the work
// (kLdapUnavailable, an LDAP result code), with the fields it defines.
struct ChildReply {
    std::int32_t code = 0;
    std::vector<std::string> fields;
};

// The child's end of the pipe: what it is doing, for the parent's log line
// if it is killed.
class ChildChannel {
  public:
    explicit ChildChannel(int fd) : fd_(fd) {}
    void doing(std::string_view what);  // "ldaps://host/": replaces the last one
    void failed(std::string_view why);  // a server that failed; the work goes on
    void reply(const ChildReply& reply);

  private:
    int fd_;
};

// The uid and gid the child drops to when it starts as root (Debian's
// nobody and nogroup), after which it can read no root-only file and no
// other process of that uid may trace it (bounded_child.cpp's
// drop_privileges), though any may signal it.
inline constexpr unsigned kChildUid = 65534;
inline constexpr unsigned kChildGid = 65534;

// How long after the deadline the child may still answer by itself (its
// own libldap time limits end at the deadline) before it is killed.
inline constexpr std::chrono::milliseconds kChildGrace{250};

// Runs `work` in a child process (fork, no exec) with fewer privileges,
// and returns its reply. The child is killed (SIGKILL) and reaped when no
// reply has come by `deadline` plus kChildGrace; then, or when the child
// dies, sends something malformed or cannot be started, the error says
// why and what the child was doing, with code kChildFailed. Never returns
// before the child is reaped. `work` runs in the child only; whatever it
// throws becomes an error reply.
inline constexpr int kChildFailed = -1;
Result<ChildReply> run_bounded_child(Deadline deadline,
                                     const std::function<ChildReply(ChildChannel&)>& work);

// The TracerPid of a /proc/PID/status text (0: not traced); an error when
// the line is missing or not a number, which the child takes as traced.
Result<long> tracer_pid_in(std::string_view status);

}  // namespace pam_totp
