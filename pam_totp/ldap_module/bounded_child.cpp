// Design: every LDAP call of a login is bounded by running it in a child.
//
// - The module forks (no exec) a child for each phase of a login: before
//   the prompts (connect, bind as the service account, search; one child
//   per uri= server tried, each with its share of the time) and after them
//   (connect, read the step, the user's bind, WhoAmI, the claim). The
//   parent keeps the PAM conversation; the child never prompts, never calls
//   libpam, never returns into its caller: it writes its reply and _exits,
//   and closes every descriptor it inherited but stdio and its pipe.
// - One deadline per phase (timeout= after its start), computed once by the
//   parent and shared: the child's libldap limits end at it (steady_clock is
//   system-wide), the parent kills (SIGKILL) at it plus kChildGrace,
//   whatever the child is stuck in (TLS handshake, DNS).
// - Child to parent: length-prefixed frames (child_messages.h), decoded
//   with every length checked; no secret crosses the pipe: the child has
//   the password and code by fork's copy, and wipes them after use.
// - The child has no more privileges than it needs: as root it drops to
//   kChildUid/kChildGid (no groups, no capabilities, not dumpable, no core
//   file, no new privileges); libldap then reads no ldaprc or LDAP* variable
//   (LDAPNOINIT); a child that cannot drop refuses to work. Not dumpable
//   whatever fs.suid_dumpable says (the uid change resets the flag to it):
//   set again after setresuid, with the capabilities kept until then so that
//   no process of uid 65534 can attach in between (drop_privileges), and a
//   child that finds itself traced afterwards exits without a reply (so
//   under strace -f or gdb the LDAP phases fail).
// - Nothing of the caller's session: the child is a session of its own (no
//   terminal's ^C, ^\ or ^Z, no signal to the login's process group reaches
//   it), with stdin, stdout and stderr on /dev/null and "/" as its cwd.
// - Callers with threads and signal handlers (sshd, sudo, gdm): all signals
//   are blocked across fork, so no caller handler runs in the child before it
//   resets them to SIG_DFL, and stay blocked until the privileges are
//   dropped (before, the user of su or sudo may signal it); SIGCHLD stays
//   blocked in the calling thread until the child is reaped (as system()
//   does), and the child is waited for and killed through a pidfd, never
//   wait(): a caller's handler cannot take our child's status, nor we one
//   of the caller's. Killed and reaped on every path (RAII), so no zombie.
// - Never a signal by pid (a caller that ignores SIGCHLD lets the kernel
//   reap the child at once, and its pid may be another process's next): the
//   child waits for a go byte before anything else, which the parent sends
//   once it holds the child's pidfd (and has checked it is its child). When
//   it cannot get one, it closes the go pipe instead, the child _exits, and
//   the parent waits for that pid (waitpid, no signal): PAM_AUTHINFO_UNAVAIL.
//   So the module needs pidfds (Linux 5.4, P_PIDFD).
// - fork in a multithreaded caller: the child uses malloc (glibc makes it
//   usable after fork) and libldap, whose state is fresh: the parent never
//   calls libldap, so the child initialises it and opens its own handles. A
//   lock another thread held at fork time can only hang the child, which the
//   deadline ends: PAM_AUTHINFO_UNAVAIL, never a success.
// - What it does not do: the child is a copy of the caller's memory (fork,
//   no exec), so code run in it by a libldap or GnuTLS flaw could read what
//   the caller holds (sshd's host keys) and forge the verdict; it gets uid
//   65534 and no descriptor of the caller's instead of root.
#include "ldap_module/bounded_child.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <optional>

#include "core/unique_fd.h"
#include "ldap_module/child_messages.h"

extern char** environ;

namespace pam_totp {
namespace {

// --- the child ---------------------------------------------------------------

void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ::_exit(3);  // the parent is gone
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void send(int fd, const ChildMessage& message) {
    auto frame = encode_child_message(message);
    if (!frame) {
        // Too large for the parent to accept: say so instead.
        ChildMessage error{ChildMessageKind::reply,
                           kChildFailed,
                           {"the LDAP answer is too large: " + frame.error().message}};
        frame = encode_child_message(error);
        if (!frame) ::_exit(3);
    }
    write_all(fd, *frame);
}

// Signals the caller may have handlers for: theirs must not run here.
// Faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT) keep
// what they had, which only a crash of this child would invoke (and which
// the sanitizers use).
bool is_fault(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
           sig == SIGSYS || sig == SIGABRT;
}

void reset_signals() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP || is_fault(sig)) continue;
        ::sigaction(sig, &dfl, nullptr);  // fails, harmlessly, for glibc's reserved ones
    }
    // A write to a server or a parent that went away is an error, not death.
    struct sigaction ignore = dfl;
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, nullptr);
}

// libldap reads ~/.ldaprc, $LDAPRC, $LDAPCONF and LDAP* variables whenever
// the real and effective uids are equal, which they become here: only
// LDAPNOINIT=1 stops it (the module sets every option on its handles).
void clean_environment() {
    static std::vector<char*> kept;  // the child's own, until _exit
    static char noinit[] = "LDAPNOINIT=1";
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, "LDAP", 4) != 0) kept.push_back(*e);
    kept.push_back(noinit);
    kept.push_back(nullptr);
    environ = kept.data();
}

// Dies with the parent (sshd's LoginGraceTime alarm, a kill): no orphan.
// The kernel clears this whenever the uid changes: set again after it.
Status die_with(pid_t parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != parent) return Error{"the module went away"};
    return {};
}

// Capabilities through the system calls (no libcap): all three sets.
using CapData = std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3>;

Status clear_capabilities() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    CapData data{};
    if (::syscall(SYS_capset, &header, data.data()) != 0)
        return Error{std::string("cannot drop the capabilities: ") + std::strerror(errno)};
    CapData now{};
    if (::syscall(SYS_capget, &header, now.data()) != 0)
        return Error{std::string("cannot read the capabilities: ") + std::strerror(errno)};
    for (const auto& d : now)
        if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0)
            return Error{"the LDAP process kept capabilities"};
    return {};
}

Status not_dumpable() {
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
        return Error{"the LDAP process cannot be made undumpable"};
    return {};
}

// A tracer attached in a window this code did not close would control the
// process, replies included: refuse to go on. /proc/self/status read once.
Status check_not_traced() {
    UniqueFd fd(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
    if (!fd) return Error{std::string("/proc/self/status: ") + std::strerror(errno)};
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{std::string("/proc/self/status: ") + std::strerror(errno)};
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 64 * 1024) return Error{"/proc/self/status: too long"};
    }
    auto tracer = tracer_pid_in(text);
    if (!tracer) return tracer.error();
    if (*tracer != 0)
        return Error{"the LDAP process is traced (pid " + std::to_string(*tracer) + ")"};
    return {};
}

// Not traceable, nor dumped, by other processes of the uid it becomes: it
// holds the passwords and writes the verdict. The kernel sets the dumpable
// flag to fs.suid_dumpable whenever the effective uid changes, so it is
// cleared again after setresuid. Between the two, with suid_dumpable=1, a
// process of uid 65534 could attach (or open /proc/PID/mem, which stays
// open): the permitted capabilities kept across setresuid (KEEPCAPS) make
// the kernel refuse a tracer without them until the flag is cleared, and
// only then are they dropped (which leaves the flag alone: fewer
// capabilities, same uid). TracerPid is checked last, in case.
Status drop_privileges(pid_t parent) {
    const rlimit no_core{0, 0};  // the caller's (the user's, through sudo)
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0)
        return Error{std::string("cannot set RLIMIT_CORE: ") + std::strerror(errno)};
    if (auto s = not_dumpable(); !s) return s;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Error{std::string("cannot set no_new_privs: ") + std::strerror(errno)};
    if (::geteuid() == 0) {  // else nothing to give up (the module needs root anyway)
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
            return Error{std::string("cannot keep the capabilities: ") + std::strerror(errno)};
        if (::setgroups(0, nullptr) != 0 || ::setresgid(kChildGid, kChildGid, kChildGid) != 0 ||
            ::setresuid(kChildUid, kChildUid, kChildUid) != 0)
            return Error{std::string("cannot drop to uid ") + std::to_string(kChildUid) + ": " +
                         std::strerror(errno)};
        if (auto s = not_dumpable(); !s) return s;
        if (auto s = clear_capabilities(); !s) return s;
        ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if (::setuid(0) == 0 || ::geteuid() != kChildUid || ::getegid() != kChildGid)
            return Error{"the LDAP process kept root's privileges"};
        if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            return Error{"the LDAP process became dumpable again"};
    }
    rlimit core{};
    if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0)
        return Error{"the LDAP process kept a core size limit"};
    // Traced: whatever it would send could be the tracer's, so nothing.
    if (!check_not_traced()) ::_exit(4);
    return die_with(parent);
}

// The descriptors the caller had open (a client's socket, files root
// opened, another login's pipe in a threaded caller) are not the child's
// business: all but stdin, stdout, stderr and its own pipe are closed.
void close_inherited(int keep) {
    auto close_from = [](unsigned first, unsigned last) {
        if (first > last) return;
        if (::syscall(SYS_close_range, first, last, 0) == 0) return;
        // Before Linux 5.9: one by one, up to the descriptor limit.
        const long limit = ::sysconf(_SC_OPEN_MAX);
        const unsigned top = static_cast<unsigned>(limit > 0 && limit < 65536 ? limit : 65536);
        for (unsigned fd = first; fd <= last && fd < top; ++fd) ::close(static_cast<int>(fd));
    };
    const unsigned fd = static_cast<unsigned>(keep);
    if (fd > 3) close_from(3, fd - 1);
    close_from(std::max(fd + 1, 3u), ~0u);
}

// Nothing of the caller's terminal, connection or directory: stdin, stdout
// and stderr on /dev/null (under sshd -i they are the client's socket, where
// a library's stray message would corrupt the stream), the cwd "/".
Status detach_from_caller() {
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) return Error{std::string("/dev/null: ") + std::strerror(errno)};
    for (int fd = 0; fd <= 2; ++fd)
        if (fd != null.get() && ::dup2(null.get(), fd) != fd)
            return Error{std::string("/dev/null: ") + std::strerror(errno)};
    if (null.get() <= 2) {
        // It became one of the three: it stays, without close-on-exec.
        ::fcntl(null.release(), F_SETFD, 0);
    }
    if (::chdir("/") != 0) return Error{std::string("chdir /: ") + std::strerror(errno)};
    return {};
}

[[noreturn]] void child_main(int fd, int go, pid_t parent, Deadline deadline,
                             const std::function<ChildReply(ChildChannel&)>& work) noexcept {
    // Every signal is blocked (the parent did, before fork), and stays so
    // until the privileges are dropped: until then its real uid may be the
    // user's (sudo, su), who could signal it. A session of its own first,
    // out of the caller's process group: a ^C, ^\ or ^Z on the terminal of
    // su or sudo, or a signal to the login's group, does not reach it.
    const int setsid_error = ::setsid() < 0 ? errno : 0;
    // Nothing more until the parent holds our pidfd (it signals through
    // nothing else) and says go; EOF instead: it has none, and waits for
    // this to end by itself.
    char byte = 0;
    ssize_t n;
    while ((n = ::read(go, &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1 || byte != 'g') ::_exit(3);
    ::close(go);
    reset_signals();
    close_inherited(fd);
    ChildChannel channel(fd);
    if (setsid_error != 0) {
        channel.reply({kChildFailed, {std::string("setsid: ") + std::strerror(setsid_error)}});
        ::_exit(0);
    }
    if (auto detached = detach_from_caller(); !detached) {
        channel.reply({kChildFailed, {detached.error().message}});
        ::_exit(0);
    }
    if (!die_with(parent)) ::_exit(3);
    // And, should the parent be unable to kill it, by itself soon after.
    const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - Deadline::clock::now());
    ::alarm(static_cast<unsigned>(std::max<long long>(left.count(), 0)) + 2);

    try {
        clean_environment();
        if (auto dropped = drop_privileges(parent); !dropped) {
            channel.reply({kChildFailed, {dropped.error().message}});
        } else {
            sigset_t none;
            sigemptyset(&none);
            ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
            channel.reply(work(channel));
        }
    } catch (const std::exception& e) {
        channel.reply({kChildFailed, {std::string("internal error: ") + e.what()}});
    } catch (...) {
        channel.reply({kChildFailed, {"internal error"}});
    }
    ::_exit(0);
}

// --- the parent --------------------------------------------------------------

// The calling thread's signal mask, restored when this goes.
class SignalMask {
  public:
    SignalMask() { ::pthread_sigmask(SIG_SETMASK, nullptr, &saved_); }
    SignalMask(const SignalMask&) = delete;
    SignalMask& operator=(const SignalMask&) = delete;
    ~SignalMask() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    void block_all() const {
        sigset_t all;
        sigfillset(&all);
        ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
    }
    // The caller's mask plus SIGCHLD.
    void block_sigchld_only() const {
        sigset_t mask = saved_;
        sigaddset(&mask, SIGCHLD);
        ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
    }

  private:
    sigset_t saved_;
};

// Our child, known by a pidfd only (a pid alone could be another process's
// by the time it is used): killed and reaped once, when asked or when this
// goes.
class Child {
  public:
    explicit Child(UniqueFd pidfd) : pidfd_(std::move(pidfd)) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() { kill_and_reap(); }

    // How it ended: an exit status, or the signal that ended it.
    struct Ending {
        bool signaled = false;
        int value = 0;
    };

    // SIGKILL (harmless if it has exited, even if the kernel reaped it: the
    // pidfd never names another process), then how it ended, or nullopt if
    // the kernel (a caller's SIGCHLD ignored) or someone else reaped it.
    std::optional<Ending> kill_and_reap() {
        if (reaped_) return status_;
        reaped_ = true;
        ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
        siginfo_t info{};
        for (;;) {
            if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED) == 0) break;
            if (errno == EINTR) continue;
            return status_;  // ECHILD
        }
        status_ = Ending{info.si_code != CLD_EXITED, info.si_status};
        return status_;
    }

  private:
    UniqueFd pidfd_;
    bool reaped_ = false;
    std::optional<Ending> status_;
};

// The pidfd of the child just forked, checked to be our child (alive or not
// yet reaped: it waits for the go byte, but SIGKILL from elsewhere could end
// it, and with SIGCHLD ignored the kernel would reap it and free its pid).
// Through the system call: glibc 2.36's <sys/pidfd.h> has no extern "C".
Result<UniqueFd> open_pidfd(pid_t pid) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) return Error{std::string("pidfd_open: ") + std::strerror(errno)};
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        return Error{std::string("the new process is not ours: ") + std::strerror(errno)};
    return pidfd;
}

// Without a pidfd the child is never signalled: it ends by itself when the
// go pipe closes, and is waited for by its pid, which stays ours until this
// reaps it (or, SIGCHLD ignored, until the kernel does: then ECHILD).
void reap_unsignalled(pid_t pid) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

std::string seconds_text(std::chrono::steady_clock::duration d) {
    const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

// What the child said before it failed, for the log line.
struct Progress {
    std::vector<std::string> failures;
    std::string doing;

    std::string describe(const std::string& failure) const {
        std::string out;
        for (const std::string& f : failures) out += f + "; ";
        if (!doing.empty()) out += doing + ": ";
        return out + failure;
    }
};

}  // namespace

Result<long> tracer_pid_in(std::string_view status) {
    constexpr std::string_view key = "TracerPid:";
    std::size_t at = 0;
    while (at < status.size()) {
        std::size_t end = status.find('\n', at);
        if (end == std::string_view::npos) end = status.size();
        std::string_view line = status.substr(at, end - at);
        at = end + 1;
        if (!line.starts_with(key)) continue;
        line.remove_prefix(key.size());
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        long pid = 0;
        const auto [rest, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
        if (ec != std::errc{} || rest != line.data() + line.size() || pid < 0)
            return Error{"/proc/self/status: a TracerPid that is not a pid"};
        return pid;
    }
    return Error{"/proc/self/status: no TracerPid"};
}

void ChildChannel::doing(std::string_view what) {
    send(fd_, {ChildMessageKind::doing, 0, {std::string(what)}});
}

void ChildChannel::failed(std::string_view why) {
    send(fd_, {ChildMessageKind::failed, 0, {std::string(why)}});
}

void ChildChannel::reply(const ChildReply& reply) {
    send(fd_, {ChildMessageKind::reply, reply.code, reply.fields});
}

Result<ChildReply> run_bounded_child(Deadline deadline,
                                     const std::function<ChildReply(ChildChannel&)>& work) {
    const auto started = Deadline::clock::now();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return Error{std::string("cannot start the LDAP process: pipe: ") + std::strerror(errno),
                     kChildFailed};
    UniqueFd from_child(fds[0]);
    UniqueFd to_parent(fds[1]);
    // The go byte, parent to child: sent once the parent holds the pidfd.
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return Error{std::string("cannot start the LDAP process: pipe: ") + std::strerror(errno),
                     kChildFailed};
    UniqueFd go_in(fds[0]);
    UniqueFd go_out(fds[1]);
    // A caller without stdin, stdout or stderr would give the pipe one of
    // their numbers, where a library's stray message would land in it.
    for (UniqueFd* end : {&from_child, &to_parent, &go_in, &go_out}) {
        if (end->get() > 2) continue;
        const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, 3);
        if (moved < 0)
            return Error{std::string("cannot start the LDAP process: ") + std::strerror(errno),
                         kChildFailed};
        end->reset(moved);
    }

    const SignalMask mask;  // restored last, after the child is reaped
    mask.block_all();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // No destructor runs here: the child never returns.
        ::close(from_child.release());
        ::close(go_out.release());
        child_main(to_parent.release(), go_in.release(), parent, deadline, work);
    }
    if (pid < 0) {
        const int error = errno;
        return Error{std::string("cannot start the LDAP process: fork: ") + std::strerror(error),
                     kChildFailed};
    }
    auto pidfd = open_pidfd(pid);
    to_parent.reset();  // EOF once the child is gone
    // The parent keeps the go pipe's reading end until the byte is written:
    // a child gone already leaves it unread, and no SIGPIPE comes.
    if (!pidfd || ::write(go_out.get(), "g", 1) != 1) {
        const std::string why =
            pidfd ? std::string("go: ") + std::strerror(errno) : pidfd.error().message;
        go_out.reset();  // EOF: the child _exits
        if (!pidfd) {
            reap_unsignalled(pid);
        } else {
            Child(std::move(*pidfd)).kill_and_reap();
        }
        return Error{"cannot start the LDAP process: " + why, kChildFailed};
    }
    go_out.reset();
    go_in.reset();
    Child child(std::move(*pidfd));
    mask.block_sigchld_only();

    ChildMessageDecoder decoder;
    Progress progress;
    const Deadline kill_at = deadline + kChildGrace;
    auto failed = [&](const std::string& why) -> Error {
        child.kill_and_reap();
        return Error{progress.describe(why), kChildFailed};
    };
    for (;;) {
        // Whole messages first: a reply ends the wait.
        for (;;) {
            auto message = decoder.next();
            if (!message) return failed(message.error().message);
            if (!*message) break;
            ChildMessage& m = **message;
            if (m.kind == ChildMessageKind::reply) {
                child.kill_and_reap();
                return ChildReply{m.code, std::move(m.fields)};
            }
            if (m.fields.size() != 1) return failed("the LDAP process sent a malformed note");
            if (m.kind == ChildMessageKind::doing)
                progress.doing = std::move(m.fields.front());
            else if (progress.failures.size() < kMaxChildFields)
                progress.failures.push_back(std::move(m.fields.front()));
        }
        const auto now = Deadline::clock::now();
        if (now >= kill_at)
            return failed("no answer within " + seconds_text(now - started) +
                          " (timeout=): the LDAP process was stopped");
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(kill_at - now);
        pollfd p{from_child.get(), POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(wait.count(), 60000)));
        if (ready < 0 && errno != EINTR)
            return failed(std::string("poll: ") + std::strerror(errno));
        if (ready <= 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(from_child.get(), buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) return failed(std::string("read: ") + std::strerror(errno));
        if (n == 0) {
            const auto status = child.kill_and_reap();
            std::string how = "the LDAP process ended without an answer";
            if (status)
                how += (status->signaled ? " (signal " : " (exit status ") +
                       std::to_string(status->value) + ")";
            return failed(how);
        }
        if (auto fed = decoder.feed(std::string_view(buffer, static_cast<std::size_t>(n))); !fed)
            return failed(fed.error().message);
    }
}

}  // namespace pam_totp
