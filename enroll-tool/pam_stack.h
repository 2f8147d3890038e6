// A service's auth stack as Linux-PAM runs it: its /etc/pam.d file with
// `@include`, `auth include` and `auth substack` followed, one line per
// module, in order. For totp-enroll --check, which reads the stacks to tell
// whether a login reaches pam_totp; the parsing is pure and unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exit_codes.h"

namespace totp_enroll {

struct PamLine {
    std::string control;            // "required", "[success=1 default=ignore]", ...
    std::string module;             // the file name, e.g. "pam_unix.so"
    std::vector<std::string> args;  // the module's options
    std::string where;              // "common-auth:25", for the report
    bool in_substack = false;       // done/die end only the substack there
};

// What a bracketed control does on success: nullopt for ok/ignore or no
// success=; 0 for done (the stack ends), N > 0 to jump over N lines.
struct SuccessAction {
    bool ends_stack = false;
    int jump = 0;
};
std::optional<SuccessAction> on_success(std::string_view control);

// The auth lines of one file's text (comments, blank lines and other types
// dropped; "\" continuations joined). The files it pulls in stay as lines
// whose module is "@include NAME", "include NAME" or "substack NAME", for
// read_auth_stack to expand.
std::vector<PamLine> parse_pam_auth_lines(std::string_view text, const std::string& file);

// The expanded auth stack of `service` under `pam_dir` (/etc/pam.d). An
// error when a file cannot be read or includes nest deeper than 8.
Result<std::vector<PamLine>> read_auth_stack(const std::string& pam_dir,
                                             const std::string& service);

// The module's base name: "/lib/x86_64-linux-gnu/security/pam_totp.so" and
// "pam_totp.so" are both "pam_totp.so".
std::string module_name(std::string_view module);

}  // namespace totp_enroll
