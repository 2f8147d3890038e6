// Test helper for the manual-page checks.
//   module_options_tool names          every option name the parser accepts, one a line
//   module_options_tool parse ARG...   exit 0 if the module would accept these
//                                      arguments, else print why and exit 1
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/module_options.h"

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "names") == 0) {
        for (std::string_view name : pam_totp::module_option_names())
            std::printf("%.*s\n", static_cast<int>(name.size()), name.data());
        return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "parse") == 0) {
        std::vector<std::string_view> args(argv + 2, argv + argc);
        auto options = pam_totp::parse_module_options(args);
        if (options) return 0;
        std::printf("%s\n", options.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "usage: module_options_tool names | parse ARG...\n");
    return 2;
}
