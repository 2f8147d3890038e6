#include "unlock_command.h"

#include <unistd.h>

#include <ctime>

#include "core/record_admin.h"
#include "record_access.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

std::string what_was_cleared(const pam_totp::UserState& state) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::string text =
        std::to_string(state.failures) + " failed code" + (state.failures == 1 ? "" : "s");
    if (state.locked_until > now)
        text += ", a lock of " + std::to_string(state.locked_until - now) + " s more";
    if (state.locks > 0) text += ", lock count " + std::to_string(state.locks);
    return text;
}

}  // namespace

ExitCode run_unlock(const Context& context) {
    if (::getuid() != 0)
        return report(
            failure(ExitCode::refused, "only root can unlock a user (the records are root's)"));
    auto opened = open_existing_record(context.options, context.user);
    if (!opened) return report(opened.error());
    auto& record = *opened;
    if (!record)
        return report(
            failure(ExitCode::refused, "no record for " + context.user.name + " in " +
                                           context.options.statedir +
                                           ": nothing to unlock (no login has counted yet)"));
    const std::string cleared = what_was_cleared(record->state());
    if (auto status = pam_totp::unlock_record(*record); !status) return report(status.error());
    const std::string out = "Unlocked " + context.user.name + " (" + record->path() +
                            "): cleared " + cleared +
                            ". The pin, the replay position and used recovery codes stay.\n";
    if (auto status = write_stdout(out); !status) return report(status.error());
    return ExitCode::ok;
}

}  // namespace totp_enroll
