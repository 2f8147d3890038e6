#include "terminal.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "core/file_io.h"

namespace totp_enroll {
namespace {

volatile sig_atomic_t g_interrupted = 0;

extern "C" void note_signal(int) {
    g_interrupted = 1;
}

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

constexpr std::array<int, 4> kStopSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// While it lives, the stop signals only set a flag; installed without
// SA_RESTART so a blocked read() returns EINTR and the caller can restore the
// terminal and unwind normally (wiping what was typed).
class SignalsInterruptRead {
  public:
    SignalsInterruptRead() {
        g_interrupted = 0;
        struct sigaction action {};
        action.sa_handler = note_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;
        for (std::size_t i = 0; i < kStopSignals.size(); ++i)
            installed_[i] = ::sigaction(kStopSignals[i], &action, &previous_[i]) == 0;
    }
    ~SignalsInterruptRead() {
        for (std::size_t i = 0; i < kStopSignals.size(); ++i)
            if (installed_[i]) ::sigaction(kStopSignals[i], &previous_[i], nullptr);
    }
    SignalsInterruptRead(const SignalsInterruptRead&) = delete;
    SignalsInterruptRead& operator=(const SignalsInterruptRead&) = delete;

  private:
    std::array<struct sigaction, kStopSignals.size()> previous_{};
    std::array<bool, kStopSignals.size()> installed_{};
};

// Turns terminal echo off for its lifetime (ECHONL keeps the newline visible,
// so the next output does not run into the prompt line).
class EchoOff {
  public:
    explicit EchoOff(int fd) : fd_(fd) {
        if (::tcgetattr(fd_, &saved_) != 0) return;
        struct termios quiet = saved_;
        quiet.c_lflag &= static_cast<tcflag_t>(~(ECHO | ECHOE | ECHOK));
        quiet.c_lflag |= ECHONL;
        // TCSANOW, not TCSAFLUSH: a code typed ahead must not be discarded.
        active_ = ::tcsetattr(fd_, TCSANOW, &quiet) == 0;
    }
    ~EchoOff() {
        if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

  private:
    int fd_;
    struct termios saved_ {};
    bool active_ = false;
};

}  // namespace

pam_totp::Status write_stdout(std::string_view text) {
    if (!write_all(STDOUT_FILENO, text))
        return pam_totp::Error{pam_totp::errno_message("standard output", errno)};
    return {};
}

void write_stderr(std::string_view text) {
    (void)write_all(STDERR_FILENO, text);
}

ExitCode report(const Error& error) {
    write_stderr("totp-enroll: " + error.message + "\n");
    return exit_code(error);
}

void warn(std::string_view message) {
    write_stderr("totp-enroll: warning: " + std::string(message) + "\n");
}

Result<pam_totp::SecretBytes> read_line(std::string_view prompt, std::size_t max_length) {
    const bool tty = ::isatty(STDIN_FILENO) == 1;
    SignalsInterruptRead signals;
    // Echo goes off before the prompt appears, so whatever is typed after
    // seeing the prompt is never shown.
    std::optional<EchoOff> echo_off;
    if (tty) echo_off.emplace(STDIN_FILENO);
    if (auto status = write_stdout(prompt); !status) return status.error();

    // Byte by byte, straight from the descriptor: a script may send several
    // lines (one per try) and no buffer may read ahead past this one.
    pam_totp::SecretBytes buffer(max_length);
    std::size_t used = 0;
    bool too_long = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) {
            if (g_interrupted) {
                if (tty) (void)write_stdout("\n");
                return failure(ExitCode::refused, "interrupted");
            }
            continue;
        }
        if (n < 0) return Error{pam_totp::errno_message("standard input", errno)};
        if (n == 0) {
            // End of input mid-line still counts as a line; nothing at all is
            // the user giving up.
            if (used == 0 && !too_long) {
                (void)write_stdout("\n");
                return failure(ExitCode::refused, "no code entered");
            }
            break;
        }
        if (c == '\n') break;
        if (c == '\r') continue;
        if (used < max_length)
            buffer.data()[used++] = static_cast<std::uint8_t>(c);
        else
            too_long = true;
        c = 0;
    }
    if (too_long) used = 0;
    buffer.truncate(used);
    // Not a terminal: nothing echoed the line, so end the prompt's line here.
    if (!tty) (void)write_stdout("\n");
    return buffer;
}

}  // namespace totp_enroll
