// The module's record of a user as --status shows it to root: the pinned
// enrolment and how the user's file relates to it, a switch waiting,
// failed codes and the lock.
#pragma once

#include <optional>
#include <string>

#include "context.h"

namespace totp_enroll {

struct RecordStatus {
    std::string lines;    // indented like the rest of --status
    bool pinned = false;  // the module asks for a pinned enrolment's codes
};

// Reads the record without changing it; a record that cannot be read is a
// line saying why (status still reports the file). `file` is the user's
// secret file's text, if there is one.
RecordStatus describe_record(const Context& context, const std::optional<std::string>& file);

// "2026-01-02 03:04:05 UTC"
std::string utc_time(std::int64_t seconds);

}  // namespace totp_enroll
