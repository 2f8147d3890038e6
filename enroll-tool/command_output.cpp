#include "command_output.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/unique_fd.h"

namespace totp_enroll {
namespace {

std::string read_all(int fd) {
    std::string out;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace

Result<std::string> command_output(const std::vector<std::string>& argv) {
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
        return Error{std::string("pipe: ") + std::strerror(errno)};
    pam_totp::UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        return Error{std::string("pipe: ") + std::strerror(errno)};
    pam_totp::UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* env[] = {path, nullptr};
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), env);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return Error{"cannot run " + argv[0] + ": " + std::strerror(spawned)};
    out_write.reset();
    err_write.reset();
    // sshd -T and timedatectl print little: stdout first, then stderr, is
    // enough (neither fills a pipe).
    std::string out = read_all(out_read.get());
    std::string err = read_all(err_read.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    // One line in the report.
    for (char& c : err)
        if (c == '\n' || c == '\r') c = ' ';
    return Error{argv[0] + " failed" + (err.empty() ? std::string() : ": " + err)};
}

}  // namespace totp_enroll
