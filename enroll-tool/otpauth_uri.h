// The otpauth:// URI that authenticator apps read from the QR code (Google's
// "Key Uri Format"):
//   otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//   otpauth://hotp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&counter=0
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/otp.h"
#include "core/secret_bytes.h"

namespace totp_enroll {

struct UriFields {
    std::string issuer;
    std::string account;  // e.g. "alice@host"
    pam_totp::OtpParams otp;
    std::uint64_t counter = 0;  // HOTP only
};

// RFC 3986 percent-encoding of every byte except the unreserved characters
// and those in `keep` (e.g. "@" inside the label).
std::string percent_encode(std::string_view text, std::string_view keep = {});

// The URI; it contains the secret, hence pam_totp::SecretBytes.
pam_totp::SecretBytes build_otpauth_uri(const UriFields& fields, std::span<const std::uint8_t> key);

}  // namespace totp_enroll
