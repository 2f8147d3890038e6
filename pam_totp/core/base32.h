// RFC 4648 base32: the text form of OTP secrets in otpauth:// URIs and in
// google-authenticator files.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secret_bytes.h"

namespace pam_totp {

// Upper-case base32 without padding (what authenticator apps expect in a URI).
std::string base32_encode(std::span<const std::uint8_t> bytes);

// The same with a space every four characters, for reading aloud or typing.
std::string base32_grouped(std::span<const std::uint8_t> bytes);

// Strict decode: case-insensitive; spaces and '-' are ignored; '=' padding is
// optional but only at the end; any other character, an impossible length or
// non-zero trailing bits are refused with a message saying which.
Result<SecretBytes> base32_decode(std::string_view text);

}  // namespace pam_totp
