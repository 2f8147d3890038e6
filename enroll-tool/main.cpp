// totp-enroll: enrol in pam_totp one-time codes (see totp-enroll(1)).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "app.h"
#include "cli_options.h"
#include "terminal.h"

#ifndef TOTP_ENROLL_LDAP_PATH
#error "TOTP_ENROLL_LDAP_PATH must be defined by the build"
#endif

namespace {

// totp-enroll --ldap ARGS: fleet enrolment is totp-enroll-ldap (package
// libpam-totp-ldap), so that this program never links libldap. Its path is
// fixed at build time: never looked up in PATH or the environment.
int exec_ldap_tool(int argc, char** argv) {
    using namespace totp_enroll;
    if (::getuid() != ::geteuid() || ::getgid() != ::getegid()) {
        write_stderr("totp-enroll: running setuid or setgid; refusing --ldap\n");
        return static_cast<int>(ExitCode::system);
    }
    std::vector<char*> args;
    args.push_back(const_cast<char*>("totp-enroll-ldap"));
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(TOTP_ENROLL_LDAP_PATH, args.data());
    const int error = errno;
    if (error == ENOENT)
        write_stderr(std::string("totp-enroll: --ldap (fleet enrolment) needs the package "
                                 "libpam-totp-ldap: ") +
                     TOTP_ENROLL_LDAP_PATH + " is not installed\n");
    else
        write_stderr(std::string("totp-enroll: cannot run ") + TOTP_ENROLL_LDAP_PATH + ": " +
                     std::strerror(error) + "\n");
    return static_cast<int>(ExitCode::system);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace totp_enroll;
    if (argc > 1 && std::string_view(argv[1]) == "--ldap") return exec_ldap_tool(argc, argv);
    // A closed standard output becomes a reported write error (exit 3), not a
    // silent death halfway through showing recovery codes.
    ::signal(SIGPIPE, SIG_IGN);
    try {
        auto parsed = parse_options(argc, argv);
        if (!parsed) return static_cast<int>(report(parsed.error()));
        return static_cast<int>(run(*parsed));
    } catch (const std::exception& e) {
        write_stderr(std::string("totp-enroll: internal error: ") + e.what() + "\n");
    } catch (...) {
        write_stderr("totp-enroll: internal error\n");
    }
    return static_cast<int>(ExitCode::system);
}
