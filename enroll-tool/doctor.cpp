#include "doctor.h"

#include <algorithm>
#include <sstream>

#include "core/module_options.h"

namespace totp_enroll {
namespace {

constexpr char kTotp[] = "pam_totp.so";

Finding pass(std::string area, std::string message) {
    return Finding{Level::pass, std::move(area), std::move(message), ""};
}
Finding warn(std::string area, std::string message, std::string fix) {
    return Finding{Level::warn, std::move(area), std::move(message), std::move(fix)};
}
Finding fail(std::string area, std::string message, std::string fix) {
    return Finding{Level::fail, std::move(area), std::move(message), std::move(fix)};
}

std::string describe(const PamLine& line) {
    return module_name(line.module) + " (" + line.where + ")";
}

// Modules that never succeed in auth (they deny, ignore or only set things
// up): a stack of these and pam_totp fails whenever pam_totp ignores.
bool cannot_succeed(const PamLine& line) {
    static const char* const kNever[] = {"pam_deny.so",    "pam_env.so",     "pam_faildelay.so",
                                         "pam_nologin.so", "pam_warn.so",    "pam_totp.so",
                                         "pam_cap.so",     "pam_faillock.so"};
    const std::string name = module_name(line.module);
    return std::find(std::begin(kNever), std::end(kNever), name) != std::end(kNever);
}

// A line before pam_totp that, when it succeeds, ends the stack (or jumps
// over pam_totp) so that no code is asked.
std::optional<Finding> ends_before(const std::string& area, const std::vector<PamLine>& lines,
                                   std::size_t index, std::size_t totp) {
    const PamLine& line = lines[index];
    // pam_rootok: su run by root, by design; a substack's end stays inside it.
    if (module_name(line.module) == "pam_rootok.so") return std::nullopt;
    if (line.in_substack && !lines[totp].in_substack) return std::nullopt;
    const std::string fix = "put pam_totp before " + module_name(line.module) +
                            " or make that line required ([success=ok ...])";
    if (line.control == "sufficient")
        return fail(area,
                    describe(line) +
                        " is sufficient before pam_totp: when it succeeds the stack "
                        "ends and no code is asked",
                    fix);
    const auto success = on_success(line.control);
    if (success && success->ends_stack)
        return fail(area,
                    describe(line) +
                        " has success=done before pam_totp: when it succeeds the "
                        "stack ends and no code is asked",
                    fix);
    if (success && index + static_cast<std::size_t>(success->jump) >= totp)
        return fail(area,
                    describe(line) + " jumps over pam_totp on success (success=" +
                        std::to_string(success->jump) + "): no code is asked",
                    "count the jump again so it lands before pam_totp");
    return std::nullopt;
}

std::string mode_of(const pam_totp::ModuleOptions& options) {
    std::string mode = options.optional ? "optional: users who have not enrolled pass"
                                        : "enforced: users who have not enrolled are refused";
    switch (options.password_mode) {
        case pam_totp::PasswordMode::prompt:
            return mode + "; asks for the code";
        case pam_totp::PasswordMode::forward_pass:
            return mode + "; one prompt for password and code (forward_pass)";
        case pam_totp::PasswordMode::use_first_pass:
            return mode + "; the code from the previous prompt (use_first_pass)";
        case pam_totp::PasswordMode::try_first_pass:
            return mode + "; the previous answer if it is a code (try_first_pass)";
    }
    return mode;
}

std::vector<Finding> check_totp_line(const std::string& area, const std::vector<PamLine>& lines,
                                     std::size_t totp) {
    const PamLine& line = lines[totp];
    std::vector<const char*> argv;
    for (const std::string& arg : line.args) argv.push_back(arg.c_str());
    auto options = pam_totp::parse_module_options(static_cast<int>(argv.size()), argv.data());
    if (!options)
        return {fail(area,
                     describe(line) + ": " + options.error().message +
                         ": the module refuses every login here",
                     "correct the options (pam_totp(8))")};
    if (line.control == "optional" || line.control == "sufficient")
        return {fail(
            area, describe(line) + " is " + line.control + ": a wrong code does not fail the login",
            "use `auth required pam_totp.so`")};
    std::vector<Finding> out;
    if (line.control != "required" && line.control != "requisite")
        out.push_back(warn(area, describe(line) + " has the control " + line.control,
                           "check that a wrong code fails the stack, or use required"));
    else
        out.push_back(pass(area, "a login reaches pam_totp at " + line.where + " (" + line.control +
                                     "; " + mode_of(*options) + ")"));
    const bool others = std::any_of(lines.begin(), lines.end(),
                                    [](const PamLine& l) { return !cannot_succeed(l); });
    if (options->optional && !others)
        out.push_back(fail(area,
                           "pam_totp is `optional` and no other module here can succeed: a user "
                           "who has not enrolled gets PAM_IGNORE from every module and the login "
                           "fails",
                           "enrol every user first, or keep a password module in the stack"));
    return out;
}

// An sshd setting that keeps the code from being asked (or answered).
struct SshdRule {
    const char* key;   // as sshd -T spells it
    const char* name;  // as sshd_config does
    const char* value;
    bool must_equal;  // the setting must be `value` (or must not be)
    const char* why;
    const char* fix;
};
constexpr SshdRule kSshdRules[] = {
    {"usepam", "UsePAM", "yes", true, ": sshd never runs its PAM stack, so no code is ever asked",
     "set `UsePAM yes` in sshd_config"},
    {"kbdinteractiveauthentication", "KbdInteractiveAuthentication", "yes", true,
     ": sshd never passes PAM's questions on, so no code is ever asked",
     "set `KbdInteractiveAuthentication yes` in sshd_config"},
    {"passwordauthentication", "PasswordAuthentication", "yes", false,
     " while pam_totp is in sshd's stack: sshd answers the code prompt with the password",
     "set `PasswordAuthentication no` (the password is still asked, through "
     "keyboard-interactive)"},
};

}  // namespace

std::vector<const PamLine*> totp_lines(const std::vector<PamLine>& lines) {
    std::vector<const PamLine*> out;
    for (const PamLine& line : lines)
        if (module_name(line.module) == kTotp) out.push_back(&line);
    return out;
}

std::vector<Finding> check_auth_stack(const std::string& service,
                                      const std::vector<PamLine>& lines) {
    const std::string area = "pam " + service;
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (module_name(lines[i].module) == kTotp) at.push_back(i);
    if (at.empty())
        return {warn(area,
                     "pam_totp is not in the auth stack: logins through " + service +
                         " never ask for a code",
                     "add `auth required pam_totp.so` after the password module (README: "
                     "Recipes), or leave it out on purpose")};
    std::vector<Finding> out;
    if (at.size() > 1)
        out.push_back(fail(area,
                           "pam_totp is in the stack " + std::to_string(at.size()) + " times (" +
                               lines[at[0]].where + ", " + lines[at[1]].where +
                               "): the code is asked twice",
                           "keep one: remove the per-service line, or turn the pam-auth-update "
                           "profile off (pam-auth-update)"));
    for (std::size_t i = 0; i < at[0]; ++i)
        if (auto ended = ends_before(area, lines, i, at[0])) out.push_back(*ended);
    for (Finding& f : check_totp_line(area, lines, at[0])) out.push_back(std::move(f));
    return out;
}

SshdSettings parse_sshd_settings(const std::string& text) {
    SshdSettings settings;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t space = line.find(' ');
        if (space == std::string::npos) continue;
        settings.emplace(line.substr(0, space), line.substr(space + 1));
    }
    return settings;
}

std::vector<Finding> check_sshd(const SshdSettings& settings) {
    const auto value = [&](const std::string& key) {
        const auto it = settings.find(key);
        return it == settings.end() ? std::string() : it->second;
    };
    const std::string area = "sshd";
    std::vector<Finding> out;
    for (const SshdRule& rule : kSshdRules) {
        const std::string v = value(rule.key);
        if ((v == rule.value) != rule.must_equal)
            out.push_back(fail(area, std::string(rule.name) + " " + v + rule.why, rule.fix));
    }
    const std::string methods = value("authenticationmethods");
    if (methods.empty() || methods == "any") {
        if (value("pubkeyauthentication") == "yes")
            out.push_back(warn(area,
                               "AuthenticationMethods any with PubkeyAuthentication yes: a public "
                               "key alone logs in, without a code",
                               "set `AuthenticationMethods publickey,keyboard-interactive` (key "
                               "and code) or `keyboard-interactive`"));
    } else {
        std::istringstream lists(methods);
        std::string list;
        while (lists >> list)
            if (list.find("keyboard-interactive") == std::string::npos)
                out.push_back(fail(area,
                                   "AuthenticationMethods " + list +
                                       " skips keyboard-interactive: it logs in without a code",
                                   "add keyboard-interactive to every list (e.g. "
                                   "publickey,keyboard-interactive)"));
    }
    if (out.empty())
        out.push_back(pass(area,
                           "UsePAM yes, KbdInteractiveAuthentication yes, "
                           "PasswordAuthentication no, AuthenticationMethods " +
                               (methods.empty() ? std::string("any") : methods)));
    return out;
}

}  // namespace totp_enroll
