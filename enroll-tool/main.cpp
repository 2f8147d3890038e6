// totp-enroll: enrol in pam_totp one-time codes (see totp-enroll(1)).
#include <signal.h>

#include <exception>
#include <string>

#include "app.h"
#include "cli_options.h"
#include "terminal.h"

int main(int argc, char** argv) {
    using namespace totp_enroll;
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
