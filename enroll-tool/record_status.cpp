#include "record_status.h"

#include <ctime>

#include "core/record_admin.h"
#include "record_access.h"

namespace totp_enroll {
namespace {

using pam_totp::UserState;

std::string line(const std::string& key, const std::string& value) {
    std::string padded = key;
    padded.resize(11, ' ');
    return "  " + padded + value + "\n";
}

// How the user's file stands against the pin.
std::string file_against_pin(const Context& context, const UserState& state,
                             const std::optional<std::string>& file) {
    if (!file) return "no file: the module still asks for the pinned enrolment's codes";
    const auto found = pam_totp::identify_file(*file);
    if (!found) return "the file is not valid: the module uses the pin";
    if (state.pin.present && found->hash == state.pin.hash) return "the file matches the pin";
    const std::string id = "(enrollment-id " + id_text(found->enrollment_id) + ")";
    if (pam_totp::is_retired(state, found->enrollment_id, found->hash))
        return "the file holds a retired enrolment " + id + ": the module refuses it";
    if (!state.pin.present) return "the file " + id + " is not pinned";
    return "the file differs " + id + ": a switch waits for " + context.user.name +
           "'s next login (old code, then new code)";
}

std::string pin_lines(const Context& context, const UserState& state,
                      const std::optional<std::string>& file) {
    std::string out;
    if (state.pin.present)
        out += line("pinned", "enrollment-id " + id_text(state.pin.enrollment_id) + " since " +
                                  utc_time(state.pin.pinned_at));
    else if (state.tofu_closed)
        out += line("pinned",
                    "nothing (removed by root: only root enrols " + context.user.name + " again)");
    else
        out += line("pinned", "nothing yet (the first valid file is pinned at a login)");
    out += line("", file_against_pin(context, state, file));
    if (state.pending.present)
        out += line("switch", "confirmed, waiting for the login to complete");
    return out;
}

std::string lock_line(const UserState& state) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::string text = std::to_string(state.failures) + " failed code" +
                       (state.failures == 1 ? "" : "s") + " in a row";
    if (state.locked_until > now)
        text += "; locked until " + utc_time(state.locked_until) + " (totp-enroll --unlock)";
    return line("failures", text);
}

}  // namespace

std::string utc_time(std::int64_t seconds) {
    const std::time_t t = static_cast<std::time_t>(seconds);
    struct tm parts {};
    char text[64] = {};
    if (!::gmtime_r(&t, &parts) ||
        std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts) == 0)
        return std::to_string(seconds);
    return text;
}

RecordStatus describe_record(const Context& context, const std::optional<std::string>& file) {
    auto opened = open_existing_record(context.options, context.user);
    if (!opened) return {line("record", "cannot be read: " + opened.error().message), false};
    const auto& record = *opened;
    if (!record)
        return {line("record", "none in " + context.options.statedir + " (nothing pinned yet)"),
                false};
    const UserState& state = record->state();
    std::string out = line("record", record->path());
    if (auto status = pam_totp::check_record_uid(state, context.user.uid); !status)
        out += line("", status.error().message);
    out += pin_lines(context, state, file) + lock_line(state);
    if (state.retired_count > 0)
        out += line("retired", std::to_string(state.retired_count) + " enrolment" +
                                   (state.retired_count == 1 ? "" : "s"));
    return {out, state.pin.present};
}

}  // namespace totp_enroll
