#include "record_access.h"

#include <unistd.h>

#include "core/host_key.h"

namespace totp_enroll {
namespace {

Error record_failure(const std::string& message) {
    // The directory is the one thing the caller may have named wrongly.
    const bool directory = message.starts_with("state directory");
    return failure(
        ExitCode::system,
        "record: " + message + (directory ? " (--statedir must name the module's statedir=)" : ""));
}

}  // namespace

bool includes_record(const Options& options) {
    return ::getuid() == 0 && options.user.has_value();
}

std::string record_path(const Options& options, const TargetUser& user) {
    return options.statedir + "/" + user.name;
}

Result<pam_totp::LockedStateFile> open_record(const Options& options, const TargetUser& user) {
    auto record = pam_totp::LockedStateFile::open(options.statedir, user.name);
    if (!record) return record_failure(record.error().message);
    return std::move(*record);
}

Result<std::optional<pam_totp::LockedStateFile>> open_existing_record(const Options& options,
                                                                      const TargetUser& user) {
    auto record = pam_totp::LockedStateFile::open_existing(options.statedir, user.name);
    if (!record) return record_failure(record.error().message);
    return std::move(*record);
}

std::string id_text(const pam_totp::EnrollmentId& id) {
    return pam_totp::to_hex(id);
}

}  // namespace totp_enroll
