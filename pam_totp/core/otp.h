// HOTP (RFC 4226) and TOTP (RFC 6238) code generation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pam_totp {

enum class Algorithm { sha1, sha256, sha512 };
enum class OtpType { totp, hotp };

constexpr int kMinDigits = 6;
constexpr int kMaxDigits = 8;
constexpr int kMinPeriod = 15;
constexpr int kMaxPeriod = 300;

struct OtpParams {
    OtpType type = OtpType::totp;
    Algorithm algorithm = Algorithm::sha1;
    int digits = 6;
    int period = 30;  // TOTP only
};

std::string_view algorithm_name(Algorithm algorithm);             // "SHA1", "SHA256", "SHA512"
std::optional<Algorithm> parse_algorithm(std::string_view name);  // exact, upper case
std::string_view otp_type_name(OtpType type);                     // "totp", "hotp"

// A code as text: exactly `digits` decimal digits, zero padded. Fixed-size
// storage that wipes itself, since a code is a credential while it is valid.
class OtpCode {
  public:
    OtpCode() = default;
    OtpCode(std::uint32_t value, int digits);
    OtpCode(const OtpCode&) = default;
    OtpCode& operator=(const OtpCode&) = default;
    ~OtpCode();
    std::string_view view() const { return {text_, static_cast<std::size_t>(length_)}; }

  private:
    char text_[kMaxDigits + 1] = {};
    int length_ = 0;
};

// HOTP(K, C) truncated to `digits` digits. `digits` must be 6..8 and the key
// non-empty; throws std::invalid_argument otherwise and std::runtime_error if
// OpenSSL fails.
OtpCode hotp(std::span<const std::uint8_t> key, Algorithm algorithm, std::uint64_t counter,
             int digits);

// The TOTP time step containing unix_time: floor(unix_time / period).
std::uint64_t totp_step(std::int64_t unix_time, int period);

}  // namespace pam_totp
