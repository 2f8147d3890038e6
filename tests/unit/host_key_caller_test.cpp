// Loading the host key where it cannot work: an encrypted host.key, and a
// caller that is not root. Both are refused with a sentence an administrator
// can act on, and neither ever reaches the terminal (issue 13, items 4 and 5).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "core/host_key.h"
#include "core/host_key_files.h"
#include "test_util.h"

using namespace pam_totp;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;

class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

struct ChildResult {
    bool finished = false;  // exited on its own within the time limit
    std::string message;    // what `body` returned
    std::string terminal;   // what the child wrote to its controlling terminal
};

// Appends what is readable on `fd` now; false at end of file or error.
bool drain(int fd, std::string& into) {
    char buffer[512];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) into.append(buffer, static_cast<std::size_t>(n));
    return n > 0;
}

// Runs `body` in a child process whose controlling terminal is a fresh
// pseudo-terminal and whose standard input is /dev/null, as a console login
// would have it: anything that prompts on /dev/tty shows up in `terminal`
// and, as nobody answers, blocks until the time limit. `as_nobody` drops to
// uid and gid 65534 (no supplementary groups) first.
ChildResult run_in_child(const std::function<std::string()>& body, bool as_nobody,
                         std::chrono::milliseconds limit = 10s) {
    Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    REQUIRE(master.get() >= 0);
    REQUIRE(::grantpt(master.get()) == 0);
    REQUIRE(::unlockpt(master.get()) == 0);
    const std::string terminal_name = ::ptsname(master.get());
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    Fd from_child(pipe_fds[0]);
    Fd to_parent(pipe_fds[1]);

    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Child: no Catch2 here, only _exit.
        int terminal = -1;
        if (::setsid() < 0 || (terminal = ::open(terminal_name.c_str(), O_RDWR)) < 0 ||
            ::ioctl(terminal, TIOCSCTTY, 0) != 0)
            ::_exit(2);
        const int null = ::open("/dev/null", O_RDONLY);
        if (null < 0 || ::dup2(null, STDIN_FILENO) < 0) ::_exit(2);
        if (as_nobody &&
            (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0))
            ::_exit(3);
        std::string message;
        try {
            message = body();
        } catch (...) {
            ::_exit(4);
        }
        std::size_t done = 0;
        while (done < message.size()) {
            const ssize_t n =
                ::write(to_parent.get(), message.data() + done, message.size() - done);
            if (n <= 0) ::_exit(5);
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }

    to_parent.reset();
    ChildResult result;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    bool pipe_open = true;
    while (pipe_open) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) break;
        pollfd fds[] = {{from_child.get(), POLLIN, 0}, {master.get(), POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        if (fds[0].revents) pipe_open = drain(from_child.get(), result.message);
        if (fds[1].revents & POLLIN) drain(master.get(), result.terminal);
    }
    if (pipe_open) ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    result.finished = !pipe_open && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    // Whatever reached the terminal last.
    ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
    while (drain(master.get(), result.terminal)) {
    }
    return result;
}

// A PKCS#8 "ENCRYPTED PRIVATE KEY" block, as `openssl genpkey -aes-256-cbc`
// or `openssl pkey -aes256` write it.
std::string encrypted_pem() {
    const HostPrivateKey key = HostPrivateKey::generate();
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(bio != nullptr);
    static const char kPassphrase[] = "correct horse";
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio, key.get(), EVP_aes_256_cbc(), kPassphrase,
                                          sizeof kPassphrase - 1, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    REQUIRE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    return pem;
}

std::string load_message(const std::string& path) {
    auto key = load_host_private_key(path);
    return key ? std::string("loaded") : key.error().message;
}

}  // namespace

TEST_CASE("an encrypted host key is refused, without a passphrase prompt on the terminal") {
    const std::string pem = encrypted_pem();
    const ChildResult r = run_in_child(
        [&] {
            auto key = HostPrivateKey::from_pem(pem);
            return key ? std::string("loaded") : key.error().message;
        },
        false);
    CHECK(r.terminal == "");
    CHECK(r.finished);
    CHECK(r.message == kEncryptedHostKeyError);
}

TEST_CASE("an encrypted host.key file: the message names the file") {
    if (!test_util::is_root()) {
        WARN("not root: key files must be owned by root, skipping");
        return;
    }
    test_util::TempDir dir;
    const std::string path = dir.file("host.key");
    // Made by the openssl tool, as an administrator would.
    const std::string command =
        "openssl genpkey -algorithm X25519 -aes-256-cbc -pass pass:secret -out " + path + " 2>&1";
    const auto made = test_util::run_command(command);
    REQUIRE(made.status == 0);
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    const ChildResult r = run_in_child([&] { return load_message(path); }, false);
    CHECK(r.terminal == "");
    CHECK(r.finished);
    CHECK(r.message == std::string(kEncryptedHostKeyError) + " (" + path + ")");
}

TEST_CASE("a caller without root is told that it needs root to read the host key") {
    if (!test_util::is_root()) {
        WARN("not root: cannot switch to uid 65534, skipping");
        return;
    }
    test_util::TempDir dir;  // 0700 root: uid 65534 cannot even look inside
    REQUIRE(write_new_host_key_pair(dir.path(), false).ok());
    const std::string in_private_dir = dir.file("host.key");
    const std::string expected =
        "pam_totp called by uid 65534 without root; cannot read the host key " + in_private_dir;
    const ChildResult r = run_in_child([&] { return load_message(in_private_dir); }, true);
    CHECK(r.finished);
    CHECK(r.message == expected);

    // A directory anyone may enter: the file's own mode (0600) denies it.
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    const ChildResult open_dir = run_in_child([&] { return load_message(in_private_dir); }, true);
    CHECK(open_dir.finished);
    CHECK(open_dir.message == expected);

    // Root itself still loads it, and other failures keep their own message.
    CHECK(load_message(in_private_dir) == "loaded");
    const ChildResult missing =
        run_in_child([&] { return load_message(dir.file("no-such.key")); }, true);
    CHECK(missing.message.starts_with("host key " + dir.file("no-such.key") + " does not exist"));
}
