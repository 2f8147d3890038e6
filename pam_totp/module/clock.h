// The module's clock: read where a decision is made (under the record's
// lock, after each answer), never once at the start of a login whose prompt
// may wait for minutes. A function pointer, so a test build can put another
// clock in at compile time; the shipped module always reads the system's.
#pragma once

#include <cstdint>
#include <ctime>

namespace pam_totp {

using Clock = std::int64_t (*)();

inline std::int64_t system_clock_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

}  // namespace pam_totp
