// Module options from a PAM configuration line, and the secret= path
// expansion with user names and home directories from the name service.
// Input: NUL-separated arguments; a final argument pair after two NULs is
// used as (user, home) for expand_secret_path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/module_options.h"
#include "fuzz_common.h"

using namespace pam_totp;

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    for (;;) {
        const std::size_t at = text.find(sep);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

// True if the pattern has a real %u (not the "%%u" escape).
bool uses_user(std::string_view pattern) {
    for (std::size_t i = 0; i + 1 < pattern.size(); ++i) {
        if (pattern[i] != '%') continue;
        if (pattern[i + 1] == 'u') return true;
        ++i;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::size_t cut = text.find(std::string_view("\0\0", 2));
    const std::string_view option_text = text.substr(0, cut);
    const std::vector<std::string_view> args = split(option_text, '\0');

    auto options = parse_module_options(args);
    if (options) {
        // Whatever was accepted is inside the documented ranges.
        FUZZ_CHECK(options->window >= 0 && options->window <= 10);
        FUZZ_CHECK(options->hotp_window >= 0 && options->hotp_window <= 100);
        FUZZ_CHECK(options->fail_limit >= 1 && options->fail_limit <= 100);
        FUZZ_CHECK(options->fail_lock >= 1 && options->fail_lock <= 900);
        FUZZ_CHECK(!options->hostkey.empty() && options->hostkey[0] == '/');
        FUZZ_CHECK(!options->statedir.empty() && options->statedir[0] == '/');
        FUZZ_CHECK(!options->prompt.empty());
    }

    // The argc/argv entry point (what PAM calls with) agrees with the span one.
    std::vector<std::string> owned(args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& a : owned) argv.push_back(a.c_str());
    auto again = parse_module_options(static_cast<int>(argv.size()), argv.data());
    FUZZ_CHECK(again.ok() == options.ok());

    if (cut != std::string_view::npos) {
        const std::vector<std::string_view> who = split(text.substr(cut + 2), '\0');
        const std::string_view user = who[0];
        const std::string_view home = who.size() > 1 ? who[1] : std::string_view();
        const std::string pattern = options ? options->secret : std::string("%h/.pam_totp");
        auto path = expand_secret_path(pattern, user, home);
        if (path) {
            FUZZ_CHECK(!path->empty() && (*path)[0] == '/');
            // %u never smuggles a directory change in.
            if (uses_user(pattern))
                FUZZ_CHECK(user.find('/') == std::string_view::npos && user != ".." && user != ".");
        }
    }
    return 0;
}
