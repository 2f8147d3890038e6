// Lower-case hex, the one spelling of bytes in pam_totp's files (key-id,
// enrollment-id, root's tag) and in the switch ticket.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pam_totp {

std::string to_hex(std::span<const std::uint8_t> bytes);

// Exactly 2 * out.size() lower-case hex digits into `out`; false (and `out`
// unspecified) for anything else.
bool from_hex(std::string_view hex, std::span<std::uint8_t> out);

// Exactly `length` lower-case hex digits.
bool is_lower_hex(std::string_view text, std::size_t length);

}  // namespace pam_totp
