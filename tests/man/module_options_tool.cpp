// Test helper for the manual-page checks.
//   module_options_tool names               every option name pam_totp.so's parser
//                                           accepts, one a line
//   module_options_tool parse ARG...        exit 0 if pam_totp.so would accept these
//                                           arguments, else print why and exit 1
//   module_options_tool ldap-parse ARG...   the same for pam_totp_ldap.so
//   module_options_tool ldap-config FILE ARG...
//                                           the same, with the options of the
//                                           configuration file FILE under them
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "core/ldap_options.h"
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
    if (argc >= 2 && std::strcmp(argv[1], "ldap-parse") == 0) {
        std::vector<std::string_view> args(argv + 2, argv + argc);
        auto options = pam_totp::parse_ldap_options(args);
        if (options) return 0;
        std::printf("%s\n", options.error().message.c_str());
        return 1;
    }
    if (argc >= 3 && std::strcmp(argv[1], "ldap-config") == 0) {
        std::ifstream file(argv[2], std::ios::binary);
        if (!file) {
            std::printf("cannot read %s\n", argv[2]);
            return 1;
        }
        const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
        std::vector<std::string_view> args(argv + 3, argv + argc);
        auto options = pam_totp::parse_ldap_config(text, args);
        if (options) return 0;
        std::printf("%s\n", options.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr,
                 "usage: module_options_tool names | parse ARG... | ldap-parse ARG... | "
                 "ldap-config FILE ARG...\n");
    return 2;
}
