// Text that came from elsewhere (a directory server's DNs and diagnostics)
// made safe to print on a terminal or in syslog.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pam_totp {

// Every control character and DEL becomes '?', so the text cannot move the
// cursor, send a terminal escape or forge a log line; with `keep_newlines`,
// '\n' stays (a multi-line message for a terminal). At most `max_bytes` of
// the text are kept, then "..." says it was cut.
std::string printable_text(std::string_view text, std::size_t max_bytes,
                           bool keep_newlines = false);

}  // namespace pam_totp
