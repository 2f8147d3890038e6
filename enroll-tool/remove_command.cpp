#include "remove_command.h"

#include "core/secret_file.h"
#include "terminal.h"

namespace totp_enroll {

ExitCode run_remove(const Context& context) {
    const std::string& path = context.store.path();
    const bool force = context.options.force;
    // Only a pam_totp secret file is removed without --force: a mistyped
    // --file must not delete something else.
    auto text = context.store.read();
    if (auto* failure = std::get_if<Failure>(&text)) {
        if (!force)
            return report({failure->code, failure->message + "; not removing it without --force"});
    } else if (const auto& contents = std::get<std::optional<std::string>>(text); !contents) {
        if (auto status = write_stdout(path + ": not enrolled; nothing to remove\n"); !status)
            return report({ExitCode::system, status.error()});
        return ExitCode::ok;
    } else if (auto parsed = pam_totp::parse_secret_file(*contents); !parsed && !force) {
        return report({ExitCode::system, path + ": not a pam_totp secret file (" + parsed.error() +
                                             "); not removing it without --force"});
    }
    if (auto failure = context.store.remove()) return report(*failure);
    if (auto status = write_stdout("Removed " + path + ": " + context.user.name +
                                   " is no longer enrolled.\n");
        !status)
        return report({ExitCode::system, status.error()});
    return ExitCode::ok;
}

}  // namespace totp_enroll
