#include "core/ldap_options.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "core/file_io.h"
#include "core/option_values.h"

namespace pam_totp {
namespace {

Status parse_uris(std::string_view value, std::vector<std::string>& out) {
    out.clear();
    std::size_t at = 0;
    while (at <= value.size()) {
        std::size_t comma = value.find(',', at);
        if (comma == std::string_view::npos) comma = value.size();
        const std::string_view uri = value.substr(at, comma - at);
        if (!uri.starts_with("ldaps://") && !uri.starts_with("ldap://") &&
            !uri.starts_with("ldapi://"))
            return Error{"option uri= takes ldaps://, ldap:// (with starttls) or ldapi:// URIs"};
        if (uri.find_first_of(" \t") != std::string_view::npos)
            return Error{"option uri=: one URI per comma"};
        out.emplace_back(uri);
        at = comma + 1;
    }
    return {};
}

Status set_mode(LdapOptions& o, LdapPasswordMode mode, bool& set) {
    if (set && o.password_mode != mode)
        return Error{"forward_pass and use_first_pass exclude each other"};
    o.password_mode = mode;
    set = true;
    return {};
}

Status apply(LdapOptions& o, std::string_view arg, bool& mode_set) {
    const std::size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : arg.substr(eq + 1);
    if (eq != std::string_view::npos) {
        if (value.empty() || value.size() > 1024)
            return Error{"option " + std::string(name) + "= needs a value"};
        if (name == "uri") return parse_uris(value, o.uris);
        if (name == "timeout")
            return parse_option_number("timeout=", value, 1, 60, o.timeout_seconds);
        if (name == "config") {
            if (value[0] != '/') return Error{"option config= needs an absolute path"};
            o.config = std::string(value);
            return {};
        }
        std::string* text = name == "base"          ? &o.base
                            : name == "filter"      ? &o.filter
                            : name == "binddn"      ? &o.binddn
                            : name == "bindpw_file" ? &o.bindpw_file
                            : name == "ca"          ? &o.ca
                            : name == "tokens"      ? &o.tokens
                            : name == "params"      ? &o.params
                                                    : nullptr;
        if (!text) return Error{"unknown option " + std::string(name) + "="};
        if ((name == "bindpw_file" || name == "ca") && value[0] != '/')
            return Error{"option " + std::string(name) + "= needs an absolute path"};
        *text = std::string(value);
        return {};
    }
    if (arg == "optional" || arg == "nullok") {
        o.optional = true;
    } else if (arg == "starttls") {
        o.starttls = true;
    } else if (arg == "debug") {
        o.debug = true;
    } else if (arg == "forward_pass") {
        return set_mode(o, LdapPasswordMode::forward_pass, mode_set);
    } else if (arg == "use_first_pass") {
        return set_mode(o, LdapPasswordMode::use_first_pass, mode_set);
    } else {
        return Error{"unknown option " + std::string(arg)};
    }
    return {};
}

// What the options must say together: where, how securely, as whom.
Status check_together(const LdapOptions& o, LdapOptionsFor use) {
    if (o.uris.empty()) return Error{"option uri= is required"};
    if (o.base.empty()) return Error{"option base= is required"};
    if (o.filter.find("%u") == std::string::npos) return Error{"option filter= must contain %u"};
    // The service account searches, reads the token's step and claims it:
    // nothing a user can write decides a login.
    if (use == LdapOptionsFor::module && (o.binddn.empty() || o.bindpw_file.empty()))
        return Error{"options binddn= and bindpw_file= are required (the service account)"};
    bool tls = false;
    for (const std::string& uri : o.uris) {
        if (uri.starts_with("ldap://") && !o.starttls)
            return Error{"ldap:// sends passwords in clear: use ldaps:// or starttls"};
        tls |= !uri.starts_with("ldapi://");
    }
    if (tls && o.ca.empty()) return Error{"option ca= is required for ldaps:// and starttls"};
    return {};
}

Status apply_all(LdapOptions& o, std::span<const std::string_view> args) {
    bool mode_set = false;  // the PAM line's own: its mode replaces the file's
    for (std::string_view arg : args)
        if (auto status = apply(o, arg, mode_set); !status) return status;
    return {};
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// One line of a config file applied to `o`; `names` holds the value
// options seen so far (each may be given once in a file).
Status apply_line(LdapOptions& o, std::string_view line, bool& mode_set,
                  std::vector<std::string>& names) {
    for (char c : line)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
            return Error{c == '\0' ? "a NUL byte" : "a control character"};
    while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') return {};
    const std::string_view name = line.substr(0, line.find('='));
    if (name.find_first_of(" \t") != std::string_view::npos)
        return Error{"one option a line, with no blank before '='"};
    for (std::size_t i = 1; i < line.size(); ++i)
        if (line[i] == '#' && is_blank(line[i - 1]))
            return Error{"a comment goes on a line of its own"};
    if (name.size() < line.size()) {
        if (name == "config") return Error{"config= belongs on the PAM line only"};
        if (std::find(names.begin(), names.end(), name) != names.end())
            return Error{"option " + std::string(name) + "= is given twice"};
        names.emplace_back(name);
    }
    return apply(o, line, mode_set);
}

Result<LdapOptions> parse_config_text(std::string_view text, std::string_view where) {
    LdapOptions o;
    bool mode_set = false;
    std::vector<std::string> names;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (auto status = apply_line(o, line, mode_set, names); !status)
            return Error{std::string(where) + "line " + std::to_string(number) + ": " +
                         status.error().message};
    }
    return o;
}

}  // namespace

Result<LdapOptions> parse_ldap_options(std::span<const std::string_view> args, LdapOptionsFor use) {
    LdapOptions options;
    if (auto status = apply_all(options, args); !status) return status.error();
    if (auto status = check_together(options, use); !status) return status.error();
    return options;
}

Result<LdapOptions> parse_ldap_options(int argc, const char** argv) {
    std::vector<std::string_view> args;
    for (int i = 0; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
    return parse_ldap_options(args);
}

Result<LdapOptions> parse_ldap_config(std::string_view text, std::span<const std::string_view> args,
                                      LdapOptionsFor use) {
    auto options = parse_config_text(text, "");
    if (!options) return options.error();
    if (auto status = apply_all(*options, args); !status) return status.error();
    if (auto status = check_together(*options, use); !status) return status.error();
    return options;
}

Result<LdapOptions> load_ldap_options(std::span<const std::string_view> args, LdapOptionsFor use,
                                      const std::string& default_path) {
    // config= first: which file to read (the PAM line's own checks, the
    // absolute path and a single config=, come with it).
    LdapOptions line;
    if (auto status = apply_all(line, args); !status) return status.error();
    const bool named = !line.config.empty();
    if (named && std::count_if(args.begin(), args.end(),
                               [](std::string_view a) { return a.starts_with("config="); }) > 1)
        return Error{"option config= is given twice"};
    const std::string path = named ? line.config : default_path;

    // Whoever may replace a directory above it chooses the file: each one
    // root's and not writable by others, checked on the descriptor the
    // next is opened from, and no symbolic link on the way.
    auto text = read_checked_file_beneath_root(
        path,
        {.owner = 0, .allow_root = false, .forbidden_mode = 0022, .max_size = kMaxLdapConfigSize},
        0);
    if (!text) return text.error();
    if (!*text) {
        if (named) return Error{path + ": no such file (option config=)", ENOENT};
        auto options = parse_ldap_options(args, use);
        if (!options) return options.error();
        options->config.clear();
        return options;
    }
    auto options = parse_config_text((*text)->view(), path + ": ");
    if (!options) return options.error();
    if (auto status = apply_all(*options, args); !status) return status.error();
    if (auto status = check_together(*options, use); !status)
        return Error{status.error().message + " (options from " + path + " and the PAM line)"};
    options->config = path;
    return options;
}

Result<LdapOptions> load_ldap_options(int argc, const char** argv) {
    std::vector<std::string_view> args;
    for (int i = 0; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
    return load_ldap_options(args);
}

std::string escape_filter_value(std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (char c : value) {
        if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0') {
            out.push_back('\\');
            out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
            out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<std::string> expand_ldap_filter(std::string_view pattern, std::string_view user) {
    if (user.empty()) return Error{"empty user name"};
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '%') {
            out.push_back(pattern[i]);
            continue;
        }
        if (++i == pattern.size()) return Error{"filter= ends in a lone '%'"};
        if (pattern[i] == '%')
            out.push_back('%');
        else if (pattern[i] == 'u')
            out += escape_filter_value(user);
        else
            return Error{std::string("filter= has an unknown sequence %") + pattern[i]};
    }
    return out;
}

}  // namespace pam_totp
