// totp-enroll --check's judgements, as pure functions of what it read: a
// service's auth stack, sshd's effective settings. Each finding is a line
// of the report: PASS, WARN or FAIL, what was found, and the exact fix.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pam_stack.h"

namespace totp_enroll {

enum class Level { pass, warn, fail };

struct Finding {
    Level level = Level::pass;
    std::string area;     // "sshd", "pam sshd", "host key", "user alice", ...
    std::string message;  // what was found
    std::string fix;      // empty for PASS
};

// How a login through `service` meets pam_totp: not at all, twice, after a
// line that ends the stack first (sufficient, success=done, a success jump
// over it), with a control that lets a wrong code through, with options the
// module refuses, or `optional` in a stack where nothing else can succeed.
std::vector<Finding> check_auth_stack(const std::string& service,
                                      const std::vector<PamLine>& lines);

// The pam_totp lines of a stack.
std::vector<const PamLine*> totp_lines(const std::vector<PamLine>& lines);

// sshd's effective settings (`sshd -T`: lower-case keys) for a stack that
// has pam_totp: UsePAM, KbdInteractiveAuthentication, PasswordAuthentication
// and AuthenticationMethods.
using SshdSettings = std::map<std::string, std::string>;
std::vector<Finding> check_sshd(const SshdSettings& settings);

// `sshd -T` output as settings; a key given more than once (e.g.
// hostkey) keeps its first value.
SshdSettings parse_sshd_settings(const std::string& text);

}  // namespace totp_enroll
