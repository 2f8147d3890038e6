// The otpauth:// URI in totp-enroll's QR code (enroll-tool/otpauth_uri.cpp):
// exact strings for each kind of code, and the escaping of issuer and label.
#include "otpauth_uri.h"

#include <catch2/catch.hpp>

#include <string>

#include "test_util.h"

using namespace totp_enroll;
using pam_totp::Algorithm;
using pam_totp::OtpType;
using test_util::bytes_of;
using test_util::string_of;

namespace {

// "12345678901234567890" (the RFC 6238 SHA1 key) and its base32.
constexpr const char* kKey = "12345678901234567890";
constexpr const char* kSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

std::string uri(const UriFields& fields, std::string_view key = kKey) {
    return string_of(build_otpauth_uri(fields, bytes_of(key)));
}

UriFields fields(std::string issuer, std::string account) {
    UriFields f;
    f.issuer = std::move(issuer);
    f.account = std::move(account);
    return f;
}

}  // namespace

TEST_CASE("otpauth URI for TOTP with the defaults", "[enroll][otpauth]") {
    CHECK(uri(fields("host1", "alice@host1")) ==
          std::string("otpauth://totp/host1:alice@host1?secret=") + kSecret +
              "&issuer=host1&algorithm=SHA1&digits=6&period=30");
}

TEST_CASE("otpauth URI for TOTP with SHA256, SHA512, digits and period", "[enroll][otpauth]") {
    UriFields f = fields("Example", "bob");
    f.otp.algorithm = Algorithm::sha256;
    f.otp.digits = 8;
    f.otp.period = 60;
    const std::string key32 = "12345678901234567890123456789012";
    CHECK(uri(f, key32) ==
          "otpauth://totp/Example:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
          "&issuer=Example&algorithm=SHA256&digits=8&period=60");
    f.otp.algorithm = Algorithm::sha512;
    f.otp.digits = 7;
    f.otp.period = 15;
    CHECK(uri(f) == std::string("otpauth://totp/Example:bob?secret=") + kSecret +
                        "&issuer=Example&algorithm=SHA512&digits=7&period=15");
}

TEST_CASE("otpauth URI for HOTP carries the counter, not the period", "[enroll][otpauth]") {
    UriFields f = fields("host1", "alice@host1");
    f.otp.type = OtpType::hotp;
    f.otp.period = 60;  // ignored for HOTP
    CHECK(uri(f) == std::string("otpauth://hotp/host1:alice@host1?secret=") + kSecret +
                        "&issuer=host1&algorithm=SHA1&digits=6&counter=0");
    f.counter = 18446744073709551615u;
    f.otp.algorithm = Algorithm::sha512;
    f.otp.digits = 8;
    CHECK(uri(f) == std::string("otpauth://hotp/host1:alice@host1?secret=") + kSecret +
                        "&issuer=host1&algorithm=SHA512&digits=8&counter=18446744073709551615");
}

TEST_CASE("otpauth URI escapes issuer and label", "[enroll][otpauth]") {
    // Spaces, reserved characters and UTF-8 are percent-encoded; '@' stays
    // literal in the account only.
    CHECK(uri(fields("Example Corp", "alice smith@mail.example.org")) ==
          std::string("otpauth://totp/Example%20Corp:alice%20smith@mail.example.org?secret=") +
              kSecret + "&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30");
    CHECK(uri(fields("a&b=c?d/e#f+g%h@i", "J\xc3\xbcrgen:x&y")) ==
          std::string("otpauth://totp/a%26b%3Dc%3Fd%2Fe%23f%2Bg%25h%40i:J%C3%BCrgen%3Ax%26y"
                      "?secret=") +
              kSecret +
              "&issuer=a%26b%3Dc%3Fd%2Fe%23f%2Bg%25h%40i&algorithm=SHA1&digits=6&period=30");
    CHECK(uri(fields("-._~", "A-Z_a.z~0")) == std::string("otpauth://totp/-._~:A-Z_a.z~0?secret=") +
                                                  kSecret +
                                                  "&issuer=-._~&algorithm=SHA1&digits=6&period=30");
}

TEST_CASE("percent_encode keeps unreserved characters and the ones asked for",
          "[enroll][otpauth]") {
    CHECK(percent_encode("") == "");
    CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(percent_encode("a b") == "a%20b");
    CHECK(percent_encode("a@b") == "a%40b");
    CHECK(percent_encode("a@b", "@") == "a@b");
    CHECK(percent_encode(std::string_view("\0\x1f\x7f\xff", 4)) == "%00%1F%7F%FF");
    CHECK(percent_encode(":/?#[]!$&'()*+,;=%") ==
          "%3A%2F%3F%23%5B%5D%21%24%26%27%28%29%2A%2B%2C%3B%3D%25");
}
