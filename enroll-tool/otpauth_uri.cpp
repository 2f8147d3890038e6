#include "otpauth_uri.h"

#include "core/base32.h"

namespace totp_enroll {
namespace {

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string percent_encode(std::string_view text, std::string_view keep) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (unreserved(c) || keep.find(ch) != std::string_view::npos) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

pam_totp::SecretBytes build_otpauth_uri(const UriFields& fields,
                                        std::span<const std::uint8_t> key) {
    const bool totp = fields.otp.type == pam_totp::OtpType::totp;
    const std::string issuer = percent_encode(fields.issuer);
    std::string secret = pam_totp::base32_encode(key);
    const pam_totp::SecretBytes secret_text = pam_totp::SecretBytes::take(secret);

    // '@' may stand in a path (RFC 3986 pchar) and apps show it literally.
    std::string tail = "&issuer=" + issuer +
                       "&algorithm=" + std::string(pam_totp::algorithm_name(fields.otp.algorithm)) +
                       "&digits=" + std::to_string(fields.otp.digits) +
                       (totp ? "&period=" + std::to_string(fields.otp.period)
                             : "&counter=" + std::to_string(fields.counter));
    auto uri = pam_totp::SecretBytes::with_capacity(256);
    uri.append(totp ? "otpauth://totp/" : "otpauth://hotp/");
    uri.append(issuer);
    uri.append(':');
    uri.append(percent_encode(fields.account, "@"));
    uri.append("?secret=");
    uri.append(secret_text.view());
    uri.append(tail);
    return uri;
}

}  // namespace totp_enroll
