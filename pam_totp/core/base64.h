// Standard base64 (RFC 4648 section 4) with padding, for the `sealed` line.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pam_totp {

std::string base64_encode(std::span<const std::uint8_t> bytes);

// Strict: length a multiple of 4, only the 64 symbols, '=' only as the last
// one or two characters; no white space.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace pam_totp
