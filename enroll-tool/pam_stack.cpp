#include "pam_stack.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace totp_enroll {
namespace {

constexpr int kMaxIncludeDepth = 8;

std::vector<std::string> split_words(std::string_view line) {
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < line.size()) {
        const std::size_t begin = line.find_first_not_of(" \t", at);
        if (begin == std::string_view::npos) break;
        std::size_t end;
        if (line[begin] == '[') {
            // A bracketed control may hold spaces; "\]" does not close it.
            end = begin + 1;
            while (end < line.size() && !(line[end] == ']' && line[end - 1] != '\\')) ++end;
            end = end < line.size() ? end + 1 : end;
        } else {
            end = line.find_first_of(" \t", begin);
            if (end == std::string_view::npos) end = line.size();
        }
        words.emplace_back(line.substr(begin, end - begin));
        at = end;
    }
    return words;
}

// Joined logical lines with their first physical line number.
std::vector<std::pair<std::string, int>> logical_lines(std::string_view text) {
    std::vector<std::pair<std::string, int>> out;
    std::string current;
    int first = 0, number = 0;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(at, end - at);
        ++number;
        if (current.empty()) first = number;
        if (!line.empty() && line.back() == '\\') {
            current.append(line.substr(0, line.size() - 1));
            current.push_back(' ');
        } else {
            current.append(line);
            out.emplace_back(std::move(current), first);
            current.clear();
        }
        if (end == text.size()) break;
        at = end + 1;
    }
    if (!current.empty()) out.emplace_back(std::move(current), first);
    return out;
}

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Error{"cannot read " + path};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct Include {
    std::string name;
    bool substack = false;
};

// The file an "@include X", "auth include X" or "auth substack X" line names.
std::optional<Include> include_of(std::string_view module) {
    for (std::string_view kind : {"@include ", "include ", "substack "})
        if (module.starts_with(kind))
            return Include{std::string(module.substr(kind.size())), kind == "substack "};
    return std::nullopt;
}

Status expand(const std::string& pam_dir, const std::string& name, int depth, bool in_substack,
              std::vector<PamLine>& out) {
    if (depth > kMaxIncludeDepth) return Error{"includes nest deeper than 8 at " + name};
    auto text = read_text(pam_dir + "/" + name);
    if (!text) return text.error();
    for (PamLine& line : parse_pam_auth_lines(*text, name)) {
        if (const auto included = include_of(line.module)) {
            const bool substack = in_substack || included->substack;
            if (auto status = expand(pam_dir, included->name, depth + 1, substack, out); !status)
                return status;
            continue;
        }
        line.in_substack = in_substack;
        out.push_back(std::move(line));
    }
    return {};
}

}  // namespace

std::optional<SuccessAction> on_success(std::string_view control) {
    if (!control.starts_with('[')) return std::nullopt;
    for (const std::string& word : split_words(control.substr(1, control.size() - 2))) {
        if (!word.starts_with("success=")) continue;
        const std::string_view action = std::string_view(word).substr(8);
        if (action == "done") return SuccessAction{true, 0};
        int jump = 0;
        auto [end, ec] = std::from_chars(action.data(), action.data() + action.size(), jump);
        if (ec == std::errc() && end == action.data() + action.size() && jump > 0)
            return SuccessAction{false, jump};
        return std::nullopt;
    }
    return std::nullopt;
}

std::vector<PamLine> parse_pam_auth_lines(std::string_view text, const std::string& file) {
    std::vector<PamLine> lines;
    for (auto& [raw, number] : logical_lines(text)) {
        std::string_view line = raw;
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        std::vector<std::string> words = split_words(line);
        if (words.empty()) continue;
        const std::string where = file + ":" + std::to_string(number);
        if (words[0] == "@include" && words.size() >= 2) {
            lines.push_back(PamLine{"", "@include " + words[1], {}, where, false});
            continue;
        }
        // "-auth": the module may be missing; it is still run when present.
        std::string type = words[0];
        if (type.starts_with('-')) type.erase(0, 1);
        if (type != "auth" || words.size() < 3) continue;
        if (words[1] == "include" || words[1] == "substack") {
            lines.push_back(PamLine{"", words[1] + " " + words[2], {}, where, false});
            continue;
        }
        lines.push_back(
            PamLine{words[1], words[2], {words.begin() + 3, words.end()}, where, false});
    }
    return lines;
}

Result<std::vector<PamLine>> read_auth_stack(const std::string& pam_dir,
                                             const std::string& service) {
    std::vector<PamLine> out;
    if (auto status = expand(pam_dir, service, 0, false, out); !status) return status.error();
    return out;
}

std::string module_name(std::string_view module) {
    const std::size_t slash = module.find_last_of('/');
    return std::string(slash == std::string_view::npos ? module : module.substr(slash + 1));
}

}  // namespace totp_enroll
