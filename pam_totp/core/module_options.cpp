#include "core/module_options.h"

#include <charconv>

#include "core/option_values.h"

namespace pam_totp {
namespace {

constexpr std::string_view kOptionNames[] = {
    "secret=",        "hostkey=",       "statedir=",     "optional",   "nullok",
    "window=",        "hotp_window=",   "fail_limit=",   "fail_lock=", "forward_pass",
    "use_first_pass", "try_first_pass", "prompt=",       "echo_code",  "debug",
    "tofu=",          "switch=",        "secret_owner=", "max_age=",
};

Status parse_on_off(std::string_view name, std::string_view value, bool& out) {
    if (value != "on" && value != "off")
        return Error{"option " + std::string(name) + " must be on or off"};
    out = value == "on";
    return {};
}

Status parse_path(std::string_view name, std::string_view value, std::string& out) {
    if (value.empty() || value.size() > 1024)
        return Error{"option " + std::string(name) + " needs a path"};
    out = std::string(value);
    return {};
}

Status set_password_mode(ModuleOptions& o, PasswordMode mode, bool& mode_set) {
    if (mode_set && o.password_mode != mode)
        return Error{"forward_pass, use_first_pass and try_first_pass exclude each other"};
    o.password_mode = mode;
    mode_set = true;
    return {};
}

Status apply_option(ModuleOptions& o, std::string_view arg, bool& mode_set) {
    const std::size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : arg.substr(eq + 1);
    const bool has_value = eq != std::string_view::npos;
    if (has_value) {
        if (name == "secret") {
            if (!value.empty() && value[0] != '/' && value[0] != '%')
                return Error{"option secret= needs an absolute path or one starting with %h"};
            return parse_path("secret=", value, o.secret);
        }
        if (name == "hostkey" || name == "statedir") {
            if (value.empty() || value[0] != '/')
                return Error{"option " + std::string(name) + "= needs an absolute path"};
            return parse_path(name, value, name == "hostkey" ? o.hostkey : o.statedir);
        }
        if (name == "window") return parse_option_number("window=", value, 0, 10, o.window);
        if (name == "hotp_window")
            return parse_option_number("hotp_window=", value, 0, 100, o.hotp_window);
        if (name == "fail_limit")
            return parse_option_number("fail_limit=", value, 1, 100, o.fail_limit);
        if (name == "fail_lock")
            return parse_option_number("fail_lock=", value, 1, 900, o.fail_lock);
        if (name == "tofu") return parse_on_off("tofu=", value, o.tofu);
        if (name == "max_age")
            return parse_option_number("max_age=", value, 1, 3650, o.max_age_days);
        if (name == "switch") {
            bool on = false;
            if (auto status = parse_on_off("switch=", value, on); !status) return status;
            o.switch_setting = on ? SwitchSetting::on : SwitchSetting::off;
            return {};
        }
        if (name == "secret_owner") {
            if (value != "user" && value != "root")
                return Error{"option secret_owner= must be user or root"};
            o.secret_owner = value == "root" ? SecretOwner::root : SecretOwner::user;
            return {};
        }
        if (name == "prompt") {
            if (value.empty() || value.size() > 200)
                return Error{"option prompt= needs 1 to 200 characters"};
            o.prompt = std::string(value);
            return {};
        }
    } else {
        if (name == "optional" || name == "nullok") return o.optional = true, Status{};
        if (name == "echo_code") return o.echo_code = true, Status{};
        if (name == "debug") return o.debug = true, Status{};
        if (name == "forward_pass")
            return set_password_mode(o, PasswordMode::forward_pass, mode_set);
        if (name == "use_first_pass")
            return set_password_mode(o, PasswordMode::use_first_pass, mode_set);
        if (name == "try_first_pass")
            return set_password_mode(o, PasswordMode::try_first_pass, mode_set);
    }
    return Error{"unknown option \"" + std::string(arg.substr(0, 64)) + "\""};
}

}  // namespace

std::span<const std::string_view> module_option_names() {
    return kOptionNames;
}

Result<ModuleOptions> parse_module_options(std::span<const std::string_view> args) {
    ModuleOptions options;
    bool mode_set = false;
    for (std::string_view arg : args)
        if (auto status = apply_option(options, arg, mode_set); !status) return status.error();
    // Root-managed files are read as root: a path through the user's home
    // would let the user choose what root opens.
    if (options.secret_owner == SecretOwner::root && options.secret.find("%h") != std::string::npos)
        return Error{"secret_owner=root needs a secret= path outside the home (no %h)"};
    return options;
}

Result<ModuleOptions> parse_module_options(int argc, const char** argv) {
    std::vector<std::string_view> args;
    for (int i = 0; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
    return parse_module_options(args);
}

Result<std::string> expand_secret_path(std::string_view pattern, std::string_view user,
                                       std::string_view home) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '%') {
            out.push_back(pattern[i]);
            continue;
        }
        if (++i == pattern.size()) return Error{"secret= ends in a lone '%'"};
        switch (pattern[i]) {
            case '%':
                out.push_back('%');
                break;
            case 'u':
                if (user.empty() || user.find('/') != std::string_view::npos || user == "." ||
                    user == "..")
                    return Error{"user name cannot be used in a path"};
                out.append(user);
                break;
            case 'h':
                if (home.empty() || home[0] != '/')
                    return Error{"home directory is not an absolute path"};
                out.append(home);
                break;
            default:
                return Error{std::string("secret= has an unknown sequence %") + pattern[i]};
        }
    }
    if (out.empty() || out[0] != '/') return Error{"secret= does not expand to an absolute path"};
    return out;
}

Status parse_option_number(std::string_view name, std::string_view value, int low, int high,
                           int& out) {
    int parsed = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || parsed < low ||
        parsed > high)
        return Error{"option " + std::string(name) + " must be a number from " +
                     std::to_string(low) + " to " + std::to_string(high)};
    out = parsed;
    return {};
}

}  // namespace pam_totp
