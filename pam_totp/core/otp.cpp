#include "core/otp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace pam_totp {
namespace {

const EVP_MD* digest_for(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::sha1:
            return EVP_sha1();
        case Algorithm::sha256:
            return EVP_sha256();
        case Algorithm::sha512:
            return EVP_sha512();
    }
    throw std::invalid_argument("unknown algorithm");
}

constexpr std::uint32_t kPowersOfTen[] = {1,      10,      100,      1000,     10000,
                                          100000, 1000000, 10000000, 100000000};

}  // namespace

std::string_view algorithm_name(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::sha1:
            return "SHA1";
        case Algorithm::sha256:
            return "SHA256";
        case Algorithm::sha512:
            return "SHA512";
    }
    return "?";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) {
    if (name == "SHA1") return Algorithm::sha1;
    if (name == "SHA256") return Algorithm::sha256;
    if (name == "SHA512") return Algorithm::sha512;
    return std::nullopt;
}

std::string_view otp_type_name(OtpType type) {
    return type == OtpType::totp ? "totp" : "hotp";
}

OtpCode::OtpCode(std::uint32_t value, int digits) : length_(digits) {
    for (int i = digits - 1; i >= 0; --i) {
        text_[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

OtpCode::~OtpCode() {
    OPENSSL_cleanse(text_, sizeof text_);
}

OtpCode hotp(std::span<const std::uint8_t> key, Algorithm algorithm, std::uint64_t counter,
             int digits) {
    if (digits < kMinDigits || digits > kMaxDigits)
        throw std::invalid_argument("digits out of range");
    if (key.empty()) throw std::invalid_argument("empty OTP key");

    std::array<std::uint8_t, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<std::uint8_t>(counter & 0xff);
        counter >>= 8;
    }
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    if (!HMAC(digest_for(algorithm), key.data(), static_cast<int>(key.size()), message.data(),
              message.size(), mac.data(), &mac_len))
        throw std::runtime_error("HMAC failed");

    // RFC 4226 section 5.3: dynamic truncation.
    const unsigned offset = mac[mac_len - 1] & 0x0f;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    OtpCode code(binary % kPowersOfTen[digits], digits);
    OPENSSL_cleanse(mac.data(), mac.size());
    return code;
}

std::uint64_t totp_step(std::int64_t unix_time, int period) {
    if (period <= 0) throw std::invalid_argument("period must be positive");
    if (unix_time < 0) return 0;
    return static_cast<std::uint64_t>(unix_time) / static_cast<std::uint64_t>(period);
}

}  // namespace pam_totp
