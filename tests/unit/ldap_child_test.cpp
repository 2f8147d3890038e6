// pam_totp_ldap.so's LDAP child: the frames it sends (every length checked
// by the parent) and the process itself (killed at the deadline, reaped on
// every path, no caller handler run in it, fewer privileges, no LDAP*
// variables). Each test case runs as a process of its own (ctest), so a
// waitpid(-1) here sees only the children of the case.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "ldap_module/bounded_child.h"
#include "ldap_module/child_messages.h"

using namespace pam_totp;
using namespace std::chrono_literals;

namespace {

std::string frame_of(const ChildMessage& m) {
    auto frame = encode_child_message(m);
    REQUIRE(frame.ok());
    return *frame;
}

std::string decode_error(std::string_view bytes) {
    ChildMessageDecoder decoder;
    REQUIRE(decoder.feed(bytes).ok());
    auto m = decoder.next();
    REQUIRE_FALSE(m.ok());
    return m.error().message;
}

std::string u32(std::uint32_t v) {
    return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
            static_cast<char>((v >> 16) & 0xff), static_cast<char>(v >> 24)};
}

int death_signal() {
    int sig = 0;
    ::prctl(PR_GET_PDEATHSIG, &sig);
    return sig;
}

bool no_children_left() {
    return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

Deadline in(std::chrono::milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

}  // namespace

TEST_CASE("LDAP child frames: round trip, a byte at a time", "[ldap_child]") {
    const ChildMessage sent{
        ChildMessageKind::reply, -49, {"", "dn:uid=a,dc=x", std::string(1000, 'z')}};
    const std::string bytes =
        frame_of(sent) + frame_of({ChildMessageKind::doing, 0, {"ldaps://a/"}});
    ChildMessageDecoder decoder;
    std::vector<ChildMessage> got;
    for (char c : bytes) {
        REQUIRE(decoder.feed(std::string_view(&c, 1)).ok());
        auto m = decoder.next();
        REQUIRE(m.ok());
        if (*m) got.push_back(std::move(**m));
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0].kind == ChildMessageKind::reply);
    CHECK(got[0].code == -49);
    CHECK(got[0].fields == sent.fields);
    CHECK(got[1].kind == ChildMessageKind::doing);
    CHECK(got[1].fields == std::vector<std::string>{"ldaps://a/"});
    CHECK(decoder.pending() == 0);
}

TEST_CASE("LDAP child frames: malformed or oversized input is refused", "[ldap_child]") {
    const std::string head = std::string(1, '\3') + u32(0);
    CHECK(decode_error(u32(kMaxChildFrame + 1)) ==
          "the LDAP process sent a frame of a wrong length");
    CHECK(decode_error(u32(2) + "ab") == "the LDAP process sent a frame of a wrong length");
    CHECK(decode_error(u32(6) + std::string(1, '\7') + u32(0) + '\0') ==
          "the LDAP process sent a frame of an unknown kind");
    CHECK(decode_error(u32(6) + head + '\x09') == "the LDAP process sent too many fields");
    CHECK(decode_error(u32(8) + head + '\1' + "ab") == "the LDAP process sent a truncated field");
    CHECK(decode_error(u32(14) + head + '\1' + u32(5) + "abcd") ==
          "the LDAP process sent a field longer than its frame");
    CHECK(decode_error(u32(7) + head + '\0' + "x") ==
          "the LDAP process sent bytes after the last field");
    // A field length near 2^32 is no overflow.
    CHECK(decode_error(u32(14) + head + '\1' + u32(0xffffffffu) + "abcd") ==
          "the LDAP process sent a field longer than its frame");

    // After an error the decoder takes nothing more.
    ChildMessageDecoder broken;
    REQUIRE(broken.feed(u32(0xffffffffu)).ok());
    CHECK_FALSE(broken.next().ok());
    CHECK_FALSE(broken.feed(frame_of({ChildMessageKind::reply, 0, {}})).ok());

    // Everything one child may send is bounded.
    ChildMessageDecoder flood;
    const std::string note = frame_of({ChildMessageKind::doing, 0, {std::string(30000, 'x')}});
    std::size_t fed = 0;
    while (flood.feed(note).ok()) {
        fed += note.size();
        REQUIRE(fed <= kMaxChildBytes);
        while (auto m = flood.next()) {
            REQUIRE(m.ok());
            if (!*m) break;
        }
    }
    CHECK(fed + note.size() > kMaxChildBytes);

    // The encoder refuses what the decoder would.
    CHECK_FALSE(
        encode_child_message({ChildMessageKind::reply, 0, {std::string(kMaxChildFrame, 'x')}})
            .ok());
    CHECK_FALSE(
        encode_child_message({ChildMessageKind::reply, 0, std::vector<std::string>(9)}).ok());
}

TEST_CASE("LDAP child: its reply reaches the parent, the child is reaped", "[ldap_child]") {
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel& channel) {
        channel.doing("ldaps://a/");
        channel.failed("ldaps://a/: Can't contact LDAP server");
        return ChildReply{49, {"wrong", std::string(20000, 'y')}};
    });
    REQUIRE(reply.ok());
    CHECK(reply->code == 49);
    CHECK(reply->fields == std::vector<std::string>{"wrong", std::string(20000, 'y')});
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: killed at the deadline, named by what it was doing", "[ldap_child]") {
    const auto t0 = std::chrono::steady_clock::now();
    auto reply = run_bounded_child(in(300ms), [](ChildChannel& channel) {
        channel.failed("ldaps://a/: Can't contact LDAP server");
        channel.doing("ldaps://b/");
        for (;;) ::pause();  // a TLS handshake that never ends
        return ChildReply{};
    });
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().code == kChildFailed);
    INFO(reply.error().message);
    CHECK(reply.error().message.starts_with(
        "ldaps://a/: Can't contact LDAP server; ldaps://b/: no answer within 0."));
    CHECK(reply.error().message.ends_with("s (timeout=): the LDAP process was stopped"));
    CHECK(elapsed >= 300ms + kChildGrace);
    CHECK(elapsed < 300ms + kChildGrace + 700ms);
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: a child that dies or throws is a failure, never a reply", "[ldap_child]") {
    auto died = run_bounded_child(in(5000ms), [](ChildChannel&) -> ChildReply { ::_exit(5); });
    REQUIRE_FALSE(died.ok());
    CHECK(died.error().message == "the LDAP process ended without an answer (exit status 5)");
    auto killed = run_bounded_child(in(5000ms), [](ChildChannel&) -> ChildReply {
        ::raise(SIGKILL);
        return {};
    });
    REQUIRE_FALSE(killed.ok());
    CHECK(killed.error().message == "the LDAP process ended without an answer (signal 9)");
    auto threw = run_bounded_child(
        in(5000ms), [](ChildChannel&) -> ChildReply { throw std::runtime_error("boom"); });
    REQUIRE(threw.ok());  // an error reply, code kChildFailed
    CHECK(threw->code == kChildFailed);
    CHECK(threw->fields == std::vector<std::string>{"internal error: boom"});
    CHECK(no_children_left());
}

namespace {
volatile sig_atomic_t caller_handler_ran = 0;
volatile sig_atomic_t sigchld_seen = 0;
void caller_handler(int) {
    caller_handler_ran = 1;
}
void reaping_handler(int) {
    sigchld_seen = 1;
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}
}  // namespace

TEST_CASE("LDAP child: the caller's signal handlers and mask", "[ldap_child]") {
    // A caller with a SIGTERM handler (sshd) and a SIGCHLD handler that
    // reaps any child (a daemon's): neither runs for our child.
    struct sigaction act {};
    act.sa_handler = caller_handler;
    sigemptyset(&act.sa_mask);
    REQUIRE(::sigaction(SIGTERM, &act, nullptr) == 0);
    act.sa_handler = reaping_handler;
    REQUIRE(::sigaction(SIGCHLD, &act, nullptr) == 0);
    sigset_t before, after;
    sigemptyset(&before);
    sigaddset(&before, SIGUSR2);  // something the caller blocks
    REQUIRE(::pthread_sigmask(SIG_SETMASK, &before, nullptr) == 0);

    // In the child SIGTERM is back to its default: it ends the child.
    auto terminated = run_bounded_child(in(5000ms), [](ChildChannel&) -> ChildReply {
        ::raise(SIGTERM);
        return {0, {"the caller's handler ran here"}};
    });
    REQUIRE_FALSE(terminated.ok());
    CHECK(terminated.error().message == "the LDAP process ended without an answer (signal 15)");
    CHECK(caller_handler_ran == 0);

    // The reply arrives although the caller's handler would reap anything.
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) { return ChildReply{0, {"ok"}}; });
    REQUIRE(reply.ok());
    CHECK(reply->fields == std::vector<std::string>{"ok"});

    // The caller's mask is back; the SIGCHLD held meanwhile is delivered.
    REQUIRE(::pthread_sigmask(SIG_SETMASK, nullptr, &after) == 0);
    CHECK(sigismember(&after, SIGUSR2));
    CHECK_FALSE(sigismember(&after, SIGCHLD));
    CHECK(sigchld_seen == 1);
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: no LDAP* variables, fewer privileges", "[ldap_child]") {
    REQUIRE(::setenv("LDAPRC", "/home/someone/.ldaprc", 1) == 0);
    REQUIRE(::setenv("LDAPTLS_REQCERT", "never", 1) == 0);
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) {
        auto text = [](const char* name) {
            const char* v = std::getenv(name);
            return std::string(v ? v : "(unset)");
        };
        return ChildReply{
            0,
            {text("LDAPRC"), text("LDAPTLS_REQCERT"), text("LDAPNOINIT"),
             std::to_string(::getuid()), std::to_string(::geteuid()), std::to_string(::getgid()),
             std::to_string(::getgroups(0, nullptr)),
             std::to_string(death_signal()) + " " + std::to_string(::prctl(PR_GET_DUMPABLE))}};
    });
    REQUIRE(reply.ok());
    REQUIRE(reply->fields.size() == 8);
    // Dies with the parent (even after the uid change, which clears that);
    // not dumpable, not traceable.
    CHECK(reply->fields[7] == std::to_string(SIGKILL) + " 0");
    CHECK(reply->fields[0] == "(unset)");
    CHECK(reply->fields[1] == "(unset)");
    CHECK(reply->fields[2] == "1");
    if (::geteuid() == 0) {
        CHECK(reply->fields[3] == std::to_string(kChildUid));
        CHECK(reply->fields[4] == std::to_string(kChildUid));
        CHECK(reply->fields[5] == std::to_string(kChildGid));
        CHECK(reply->fields[6] == "0");
    }
    CHECK(std::getenv("LDAPRC") != nullptr);  // the parent's environment is its own
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: only stdio and its pipe are left open in it", "[ldap_child]") {
    const int inherited = ::open("/dev/null", O_RDONLY);  // not O_CLOEXEC: no exec anyway
    REQUIRE(inherited > 2);
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) {
        ChildReply out;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
            out.fields.push_back(entry.path().filename().string());
        if (out.fields.size() > 8) out.fields.resize(8);
        return out;
    });
    ::close(inherited);
    REQUIRE(reply.ok());
    INFO(reply->fields.size());
    // 0, 1, 2, the pipe, and the directory being listed.
    CHECK(reply->fields.size() <= 5);
    CHECK(std::find(reply->fields.begin(), reply->fields.end(), std::to_string(inherited)) ==
          reply->fields.end());

    // A caller without stdin: the pipe does not take its number.
    const int saved = ::dup(0);
    REQUIRE(saved > 2);
    ::close(0);
    auto without_stdin = run_bounded_child(in(5000ms), [](ChildChannel&) {
        return ChildReply{0, {"fine"}};
    });
    CHECK(::fcntl(0, F_GETFD) == -1);  // still closed
    ::dup2(saved, 0);
    ::close(saved);
    REQUIRE(without_stdin.ok());
    CHECK(without_stdin->fields == std::vector<std::string>{"fine"});
    CHECK(no_children_left());
}

namespace {

// fs.suid_dumpable set for the duration of a test, and put back.
class SuidDumpable {
  public:
    static constexpr const char* kPath = "/proc/sys/fs/suid_dumpable";
    explicit SuidDumpable(const std::string& value) {
        std::ifstream in(kPath);
        std::string old;
        if (!(in >> old)) return;
        if (!write(value)) return;
        saved_ = old;
    }
    SuidDumpable(const SuidDumpable&) = delete;
    SuidDumpable& operator=(const SuidDumpable&) = delete;
    ~SuidDumpable() {
        if (saved_) write(*saved_);
    }
    bool set() const { return saved_.has_value(); }

  private:
    static bool write(const std::string& value) {
        std::ofstream out(kPath);
        out << value << "\n";
        out.close();
        return !out.fail();
    }
    std::optional<std::string> saved_;
};

// What a process of the child's uid, without capabilities, can do to it:
// "attach refused" and "mem refused", or what it managed.
std::string attack_from_same_uid(pid_t target) {
    const pid_t attacker = ::fork();
    if (attacker == 0) {
        int result = 0;
        if (::ptrace(PTRACE_SEIZE, target, nullptr, nullptr) == 0) result |= 1;
        const std::string mem = "/proc/" + std::to_string(target) + "/mem";
        const int fd = ::open(mem.c_str(), O_RDWR);
        if (fd >= 0) result |= 2;
        ::_exit(result);
    }
    int status = 0;
    if (attacker < 0 || ::waitpid(attacker, &status, 0) != attacker || !WIFEXITED(status))
        return "no attacker";
    const int result = WEXITSTATUS(status);
    return std::string(result & 1 ? "attached" : "attach refused") + ", " +
           (result & 2 ? "mem opened" : "mem refused");
}

}  // namespace

TEST_CASE("LDAP child: not dumpable, no core, whatever fs.suid_dumpable says", "[ldap_child]") {
    // The uid change resets the dumpable flag to fs.suid_dumpable: at 0
    // (Debian's default) the flag would be 0 anyway, so the test sets 1
    // (the debugging setting) if it can.
    rlimit core_before{};
    REQUIRE(::getrlimit(RLIMIT_CORE, &core_before) == 0);
    rlimit core_big = core_before;
    core_big.rlim_cur = core_big.rlim_max;  // a caller that allows core files
    REQUIRE(::setrlimit(RLIMIT_CORE, &core_big) == 0);
    std::optional<SuidDumpable> suid_dumpable;
    if (::geteuid() == 0) suid_dumpable.emplace("1");
    if (!suid_dumpable || !suid_dumpable->set())
        WARN(
            "fs.suid_dumpable not set to 1 (needs root and a writable /proc/sys): the check "
            "below proves little");
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) {
        rlimit core{};
        ::getrlimit(RLIMIT_CORE, &core);
        return ChildReply{0,
                          {std::to_string(::prctl(PR_GET_DUMPABLE)),
                           std::to_string(core.rlim_cur) + " " + std::to_string(core.rlim_max),
                           attack_from_same_uid(::getpid())}};
    });
    suid_dumpable.reset();
    REQUIRE(::setrlimit(RLIMIT_CORE, &core_before) == 0);
    REQUIRE(reply.ok());
    REQUIRE(reply->fields.size() == 3);
    CHECK(reply->fields[0] == "0");
    CHECK(reply->fields[1] == "0 0");
    CHECK(reply->fields[2] == "attach refused, mem refused");
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: no capabilities left after the drop", "[ldap_child]") {
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) {
        std::ifstream in("/proc/self/status");
        ChildReply out;
        for (std::string line; std::getline(in, line);)
            if (line.starts_with("Cap") || line.starts_with("TracerPid:"))
                out.fields.push_back(line);
        return out;
    });
    REQUIRE(reply.ok());
    const std::vector<std::string> expected{
        "CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000"};
    for (const std::string& line : expected) {
        INFO(line);
        if (::geteuid() == 0)
            CHECK(std::find(reply->fields.begin(), reply->fields.end(), line) !=
                  reply->fields.end());
    }
    CHECK(std::find(reply->fields.begin(), reply->fields.end(), "TracerPid:\t0") !=
          reply->fields.end());
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: a traced child fails closed (TracerPid)", "[ldap_child]") {
    const std::string head = "Name:\tpam_totp\nState:\tR (running)\nTgid:\t7\n";
    auto parsed = [&](const std::string& line) { return tracer_pid_in(head + line + "Uid:\t0\n"); };
    REQUIRE(parsed("TracerPid:\t0\n").ok());
    CHECK(*parsed("TracerPid:\t0\n") == 0);
    REQUIRE(parsed("TracerPid:\t4242\n").ok());
    CHECK(*parsed("TracerPid:\t4242\n") == 4242);
    CHECK(*tracer_pid_in("TracerPid: 17") == 17);  // last line, no newline
    // Anything else is no proof of "not traced".
    for (const std::string bad :
         {"", "TracerPid:\t\n", "TracerPid:\t-1\n", "TracerPid:\t12x\n", "TracerPid:\tnone\n",
          "TracerPid:\t99999999999999999999999\n", "tracerpid:\t0\n", " TracerPid:\t0\n"}) {
        INFO(bad);
        CHECK_FALSE(parsed(bad).ok());
    }
    CHECK(tracer_pid_in("").error().message == "/proc/self/status: no TracerPid");
}

namespace {
volatile sig_atomic_t terminal_signals_seen = 0;
void count_signal(int) {
    terminal_signals_seen = terminal_signals_seen + 1;
}
std::string link_of(const std::string& path) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(path, ec);
    return ec ? "(" + ec.message() + ")" : target.string();
}
}  // namespace

TEST_CASE("LDAP child: a session of its own, stdio on /dev/null, cwd /", "[ldap_child]") {
    // The login's process group gets a terminal's ^C, ^\ and ^Z (su, sudo):
    // they reach the caller, which has handlers, and not the child. This
    // test's process becomes the leader of a group of its own first, so
    // that the signals reach nothing else.
    REQUIRE(::setpgid(0, 0) == 0);
    struct sigaction act {};
    act.sa_handler = count_signal;
    sigemptyset(&act.sa_mask);
    for (int sig : {SIGINT, SIGQUIT, SIGTSTP}) REQUIRE(::sigaction(sig, &act, nullptr) == 0);
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path("/tmp");
    std::thread terminal([] {
        std::this_thread::sleep_for(300ms);
        for (int sig : {SIGINT, SIGQUIT, SIGTSTP}) ::kill(-::getpgrp(), sig);
    });
    const pid_t caller_group = ::getpgrp();
    auto reply = run_bounded_child(in(5000ms), [caller_group](ChildChannel&) {
        ChildReply out;
        out.fields.push_back(std::to_string(::getsid(0) == ::getpid()) + " " +
                             std::to_string(::getpgrp() == ::getpid()) + " " +
                             std::to_string(::getpgrp() != caller_group));
        for (int fd = 0; fd <= 2; ++fd)
            out.fields.push_back(link_of("/proc/self/fd/" + std::to_string(fd)));
        out.fields.push_back(std::filesystem::current_path().string());
        sigset_t mask;
        ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
        out.fields.push_back(sigisemptyset(&mask) ? "unblocked" : "blocked");
        std::this_thread::sleep_for(800ms);  // the terminal's signals come meanwhile
        return out;
    });
    terminal.join();
    std::filesystem::current_path(cwd);
    REQUIRE(reply.ok());
    CHECK(reply->fields == std::vector<std::string>{"1 1 1", "/dev/null", "/dev/null", "/dev/null",
                                                    "/", "unblocked"});
    CHECK(terminal_signals_seen == 3);  // the caller got them
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: a caller that ignores SIGCHLD", "[ldap_child]") {
    // The kernel reaps the child as soon as it exits: its pid may be
    // another process's by then, so the module signals only through the
    // pidfd it got while the child waited for the go byte.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    REQUIRE(::sigaction(SIGCHLD, &ignore, nullptr) == 0);

    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) { return ChildReply{0, {"ok"}}; });
    REQUIRE(reply.ok());
    CHECK(reply->fields == std::vector<std::string>{"ok"});

    auto died = run_bounded_child(in(5000ms), [](ChildChannel&) -> ChildReply { ::_exit(5); });
    REQUIRE_FALSE(died.ok());
    CHECK(died.error().code == kChildFailed);
    CHECK(died.error().message.starts_with("the LDAP process ended without an answer"));

    const auto t0 = std::chrono::steady_clock::now();
    auto hung = run_bounded_child(in(300ms), [](ChildChannel&) -> ChildReply {
        for (;;) ::pause();
    });
    REQUIRE_FALSE(hung.ok());
    CHECK(hung.error().message.ends_with("the LDAP process was stopped"));
    CHECK(std::chrono::steady_clock::now() - t0 < 300ms + kChildGrace + 700ms);
    CHECK(no_children_left());
}

TEST_CASE("LDAP child: without a pidfd, no signal: the child ends by itself", "[ldap_child]") {
    // Every descriptor but the four the two pipes take is in use, so
    // pidfd_open fails (EMFILE); with SIGCHLD ignored, as the worst case.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    REQUIRE(::sigaction(SIGCHLD, &ignore, nullptr) == 0);
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit few = saved;
    few.rlim_cur = 256;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &few) == 0);
    std::vector<int> fillers;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
    REQUIRE(errno == EMFILE);
    REQUIRE(fillers.size() > 4);
    for (int i = 0; i < 4; ++i) {
        ::close(fillers.back());
        fillers.pop_back();
    }
    bool ran = false;
    const auto t0 = std::chrono::steady_clock::now();
    auto reply = run_bounded_child(in(5000ms), [&ran](ChildChannel&) {
        ran = true;  // in the child: never seen here anyway
        return ChildReply{0, {"the work ran"}};
    });
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    for (int fd : fillers) ::close(fd);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().code == kChildFailed);
    CHECK(reply.error().message ==
          "cannot start the LDAP process: pidfd_open: " + std::string(std::strerror(EMFILE)));
    CHECK(elapsed < 2s);  // the child ended at the go pipe's EOF, not at the deadline
    CHECK(no_children_left());
}

namespace {

// A root process that traces `target` and, through PTRACE_O_TRACEFORK,
// every child it forks from then on, resuming each stop (and passing the
// signals on) until it is killed, which detaches them all.
pid_t start_tracer(pid_t target) {
    int ready[2];
    if (::pipe(ready) != 0) return -1;
    const pid_t tracer = ::fork();
    if (tracer == 0) {
        ::close(ready[0]);
        if (::ptrace(PTRACE_SEIZE, target, nullptr, PTRACE_O_TRACEFORK) != 0) ::_exit(1);
        (void)!::write(ready[1], "r", 1);
        ::close(ready[1]);
        for (;;) {
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, __WALL);
            if (pid < 0) {
                if (errno == EINTR) continue;
                ::_exit(0);
            }
            if (!WIFSTOPPED(status)) continue;
            // Event stops (fork, the new child's first stop) resume as they
            // are; a signal-delivery stop gets its signal delivered.
            const int sig = WSTOPSIG(status);
            const bool event = (status >> 16) != 0 || sig == SIGTRAP;
            ::ptrace(PTRACE_CONT, pid, nullptr, event ? 0 : sig);
        }
    }
    ::close(ready[1]);
    char byte = 0;
    const bool seized = tracer > 0 && ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    if (!seized && tracer > 0) {
        ::kill(tracer, SIGKILL);
        ::waitpid(tracer, nullptr, 0);
        return -1;
    }
    return tracer;
}

}  // namespace

TEST_CASE("LDAP child: a traced child exits without a reply", "[ldap_child]") {
    // The tracer attaches before the uid change here (as root may); one of
    // uid 65534 in the window after it would be as visible in TracerPid.
    if (::geteuid() != 0) {
        WARN("not root: cannot trace, skipping");
        return;
    }
    const pid_t tracer = start_tracer(::getpid());
    REQUIRE(tracer > 0);
    auto reply = run_bounded_child(in(5000ms), [](ChildChannel&) {
        return ChildReply{0, {"the tracer's verdict"}};
    });
    ::kill(tracer, SIGKILL);  // detaches this process
    ::waitpid(tracer, nullptr, 0);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().code == kChildFailed);
    CHECK(reply.error().message == "the LDAP process ended without an answer (exit status 4)");
    CHECK(no_children_left());
}
