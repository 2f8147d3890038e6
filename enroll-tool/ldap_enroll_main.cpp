// totp-enroll-ldap: fleet enrolment (see totp-enroll(1), FLEET ENROLMENT).
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <exception>
#include <string>

#include "ldap_enroll.h"
#include "terminal.h"

int main(int argc, char** argv) {
    using namespace totp_enroll;
    ::signal(SIGPIPE, SIG_IGN);
    // libldap reads no ldaprc, ldap.conf or LDAP* variables of the user's:
    // every setting comes from the root-owned configuration file.
    ::setenv("LDAPNOINIT", "1", 1);
    // It holds the user's password and the new secret: no core file, and no
    // other process of the user's may attach to it (ptrace) while it runs.
    const struct rlimit no_core { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    try {
        auto parsed = parse_ldap_enroll_options(argc, argv);
        if (!parsed) {
            write_stderr("totp-enroll-ldap: " + parsed.error().message + "\n");
            return static_cast<int>(exit_code(parsed.error()));
        }
        return static_cast<int>(run_ldap_enroll(*parsed));
    } catch (const std::exception& e) {
        write_stderr(std::string("totp-enroll-ldap: internal error: ") + e.what() + "\n");
    } catch (...) {
        write_stderr("totp-enroll-ldap: internal error\n");
    }
    return static_cast<int>(ExitCode::system);
}
