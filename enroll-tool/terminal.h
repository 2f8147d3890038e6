// Talking to the person (or script) running totp-enroll: output without stdio
// buffers (those would keep copies of the secret in memory nobody wipes) and
// reading the confirmation code from a terminal without echo, or as a line
// from standard input when that is a pipe or a file.
#pragma once

#include <string_view>

#include "core/result.h"
#include "core/secret_bytes.h"
#include "exit_codes.h"

namespace totp_enroll {

// Writes everything to standard output / standard error (retrying short
// writes and EINTR). Standard output failing is an error worth reporting,
// since it may carry the secret or the recovery codes.
pam_totp::Status write_stdout(std::string_view text);
void write_stderr(std::string_view text);

// "totp-enroll: <message>" on standard error; returns the error's exit status.
ExitCode report(const Error& error);
// "totp-enroll: warning: <message>" on standard error.
void warn(std::string_view message);

// Prints `prompt` on standard output and reads one line from standard input
// (without its newline). On a terminal the echo is off while reading and is
// restored even when SIGINT, SIGTERM, SIGHUP or SIGQUIT arrive, which end the
// read with an "interrupted" error instead of killing the process with the
// echo off; end of input before any character is a "no code entered" error
// (both ExitCode::refused). Lines longer than `max_length` are read to their
// end and returned empty.
Result<pam_totp::SecretBytes> read_line(std::string_view prompt, std::size_t max_length);

}  // namespace totp_enroll
