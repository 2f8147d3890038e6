#include "remove_command.h"

#include "admin_managed.h"
#include "core/record_admin.h"
#include "core/secret_file.h"
#include "record_access.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

// The file as found before removing it: whether there is one, and what a
// pin would know it by (nullopt when it does not parse).
struct FoundFile {
    bool exists = false;
    std::optional<pam_totp::PinnedFile> identity;
};

Result<FoundFile> find_file(const Context& context) {
    const std::string& path = context.store.path();
    const bool force = context.options.force;
    // Only a pam_totp secret file is removed without --force: a mistyped
    // --file must not delete something else.
    auto text = context.store.read();
    if (!text) {
        if (!force)
            return Error{text.error().message + "; not removing it without --force",
                         text.error().code};
        return FoundFile{true, std::nullopt};
    }
    const auto& contents = *text;
    if (!contents) return FoundFile{};
    if (auto parsed = pam_totp::parse_secret_file(*contents); !parsed && !force)
        return failure(ExitCode::system, path + ": not a pam_totp secret file (" +
                                             parsed.error().message +
                                             "); not removing it without --force");
    return FoundFile{true, pam_totp::identify_file(*contents)};
}

// The record to retire into: the existing one, or a new one when there is
// a file to retire; nullopt when there is neither.
Result<std::optional<pam_totp::LockedStateFile>> record_for(const Context& context,
                                                            bool file_exists) {
    auto existing = open_existing_record(context.options, context.user);
    if (!existing) return existing.error();
    if (*existing || !file_exists) return existing;
    auto created = open_record(context.options, context.user);
    if (!created) return created.error();
    return std::optional<pam_totp::LockedStateFile>(std::move(*created));
}

std::string retired_text(const pam_totp::PinRef& pin, const FoundFile& file) {
    std::string text;
    if (pin.present) text += " enrollment-id " + id_text(pin.enrollment_id) + " (pinned)";
    if (file.identity && !(pin.present && pin.hash == file.identity->hash))
        text += std::string(pin.present ? "," : "") + " enrollment-id " +
                id_text(file.identity->enrollment_id) + " (the file)";
    return text.empty() ? " nothing with an enrollment-id (the file was not a secret file)" : text;
}

// Root's part: the pin and the file are retired in the record, so no copy
// of them is trusted again, and only root enrols the user again. Returns
// what to say, "" when there was nothing to retire.
Result<std::string> retire(const Context& context, const FoundFile& file) {
    auto opened = record_for(context, file.exists);
    if (!opened) return opened.error();
    auto& record = *opened;
    if (!record || (!file.exists && !record->state().pin.present)) return std::string();
    const pam_totp::PinRef pin = record->state().pin;
    if (auto status = pam_totp::retire_enrollment(*record, file.identity, context.user.uid);
        !status)
        return failure(ExitCode::system, status.error().message);
    return "Retired in " + record->path() + ":" + retired_text(pin, file) +
           ". No copy is trusted again, and only root enrols " + context.user.name +
           " again (totp-enroll --user " + context.user.name + ", or --pin).\n";
}

}  // namespace

ExitCode run_remove(const Context& context) {
    const std::string& path = context.store.path();
    if (auto status = refuse_if_admin_managed(context); !status) return report(status.error());
    auto found = find_file(context);
    if (!found) return report(found.error());
    const FoundFile& file = *found;

    std::string retired;
    if (includes_record(context.options)) {
        auto done = retire(context, file);
        if (!done) return report(done.error());
        retired = *done;
    }
    if (!file.exists && retired.empty()) {
        if (auto status = write_stdout(path + ": not enrolled; nothing to remove\n"); !status)
            return report(status.error());
        return ExitCode::ok;
    }
    if (file.exists) {
        if (auto status = context.store.remove(); !status) return report(status.error());
    }
    std::string out = file.exists ? "Removed " + path + ".\n" : path + ": no file to remove.\n";
    if (includes_record(context.options))
        out += retired + context.user.name + " is no longer enrolled.\n";
    else
        out +=
            "If pam_totp has pinned your enrolment already, it keeps asking for its codes: only\n"
            "an administrator ends an enrolment (totp-enroll --remove --user " +
            context.user.name + ").\n";
    if (auto status = write_stdout(out); !status) return report(status.error());
    return ExitCode::ok;
}

}  // namespace totp_enroll
