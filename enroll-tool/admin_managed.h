// Admin-managed enrolment (the module's secret_owner=root): root writes the
// users' files, root-owned, and a user's totp-enroll changes nothing there.
#pragma once

#include <optional>
#include <string>

#include "context.h"
#include "exit_codes.h"

namespace totp_enroll {

// Where root keeps admin-managed files by convention (the module's
// secret=/etc/pam_totp/secrets/%u): <keydir>/secrets/<user>.
std::string managed_file_path(const Context& context);

// For a user (not root) about to write or remove their enrolment: refused
// when the file they name belongs to root, or, without --file, when root
// keeps a file for them in managed_file_path().
Status refuse_if_admin_managed(const Context& context);

}  // namespace totp_enroll
