// The module's record of a user (pam_totp(5), "Record file") as totp-enroll
// opens it, as root: <statedir>/<user>, locked for as long as the returned
// object lives. Never held while a person is asked for anything: logins of
// that user wait on the lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli_options.h"
#include "core/state_store.h"
#include "exit_codes.h"
#include "target_user.h"

namespace totp_enroll {

// Whether --status and --remove include the record: root naming the user
// with --user. Without it root handles its own file like any user.
bool includes_record(const Options& options);

std::string record_path(const Options& options, const TargetUser& user);

// Opens the record, creating it if there is none.
Result<pam_totp::LockedStateFile> open_record(const Options& options, const TargetUser& user);

// Opens the record if there is one (nullopt otherwise); creates nothing.
Result<std::optional<pam_totp::LockedStateFile>> open_existing_record(const Options& options,
                                                                      const TargetUser& user);

// "0123...ef" for an enrollment-id.
std::string id_text(const pam_totp::EnrollmentId& id);

// The names in the state directory that may be records: what the record
// store accepts as a name (no ".decoy", no dot files), never a symbolic link;
// sorted.
Result<std::vector<std::string>> record_names(const std::string& dir);

}  // namespace totp_enroll
