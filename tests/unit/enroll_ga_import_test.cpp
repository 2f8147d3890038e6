// totp-enroll --import: the google-authenticator file parser
// (enroll-tool/google_authenticator_import.cpp). Valid files as
// google-authenticator(1) writes them, and every malformed shape refused with
// its line number but never with the line's content.
#include "google_authenticator_import.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/base32.h"
#include "test_util.h"

using namespace totp_enroll;
using pam_totp::Algorithm;
using pam_totp::OtpType;
using test_util::string_of;

namespace {

// 20 bytes, "12345678901234567890" (the RFC 6238 test key) in base32.
constexpr const char* kSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
constexpr const char* kKey = "12345678901234567890";

GoogleAuthenticatorFile parsed(const std::string& text) {
    auto result = parse_google_authenticator(text);
    INFO(text);
    if (!result) FAIL(result.error().message);
    return std::move(result).value();
}

std::vector<std::string> scratch_of(const GoogleAuthenticatorFile& file) {
    std::vector<std::string> codes;
    for (const auto& code : file.scratch_codes) codes.push_back(string_of(code));
    return codes;
}

// Refused with exactly `message`; the message never repeats a line's content.
void refused(const std::string& text, const std::string& message) {
    auto result = parse_google_authenticator(text);
    INFO(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == message);
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("google-authenticator import reads a TOTP file as the tool writes it",
          "[enroll][ga_import]") {
    const std::string text = std::string(kSecret) +
                             "\n"
                             "\" RATE_LIMIT 3 30 1795420000\n"
                             "\" WINDOW_SIZE 17\n"
                             "\" DISALLOW_REUSE 59847333\n"
                             "\" TOTP_AUTH\n"
                             "12345678\n"
                             "87654321\n"
                             "00000000\n"
                             "99999999\n"
                             "10203040\n";
    const GoogleAuthenticatorFile file = parsed(text);
    CHECK(string_of(file.key) == kKey);
    CHECK(file.otp.type == OtpType::totp);
    CHECK(file.otp.algorithm == Algorithm::sha1);
    CHECK(file.otp.digits == 6);
    CHECK(file.otp.period == 30);
    CHECK(file.counter == 0);
    CHECK(scratch_of(file) == Strings{"12345678", "87654321", "00000000", "99999999", "10203040"});
    CHECK(file.ignored_options == Strings{"RATE_LIMIT", "WINDOW_SIZE", "DISALLOW_REUSE"});
}

TEST_CASE("google-authenticator import takes STEP_SIZE as the TOTP period", "[enroll][ga_import]") {
    CHECK(parsed(std::string(kSecret) + "\n\" TOTP_AUTH\n\" STEP_SIZE 60\n").otp.period == 60);
    CHECK(parsed(std::string(kSecret) + "\n\" STEP_SIZE 15\n\" TOTP_AUTH\n").otp.period == 15);
    CHECK(parsed(std::string(kSecret) + "\n\" STEP_SIZE 300\n\" TOTP_AUTH\n").otp.period == 300);
    CHECK(parsed(std::string(kSecret) + "\n\" STEP_SIZE 030\n\" TOTP_AUTH\n").otp.period == 30);
}

TEST_CASE("google-authenticator import reads an HOTP file and its counter", "[enroll][ga_import]") {
    const GoogleAuthenticatorFile file =
        parsed(std::string(kSecret) + "\n\" HOTP_COUNTER 42\n\" WINDOW_SIZE 3\n11112222\n");
    CHECK(file.otp.type == OtpType::hotp);
    CHECK(file.otp.algorithm == Algorithm::sha1);
    CHECK(file.otp.digits == 6);
    CHECK(file.counter == 42);
    CHECK(scratch_of(file) == Strings{"11112222"});
    CHECK(file.ignored_options == Strings{"WINDOW_SIZE"});

    // HOTP_COUNTER wins over TOTP_AUTH (as in google-authenticator), and a
    // STEP_SIZE next to it is reported as not carried over.
    const GoogleAuthenticatorFile both =
        parsed(std::string(kSecret) + "\n\" TOTP_AUTH\n\" STEP_SIZE 60\n\" HOTP_COUNTER 0\n");
    CHECK(both.otp.type == OtpType::hotp);
    CHECK(both.counter == 0);
    CHECK(both.ignored_options == Strings{"STEP_SIZE"});

    const std::uint64_t max = std::uint64_t{1} << 62;
    CHECK(
        parsed(std::string(kSecret) + "\n\" HOTP_COUNTER " + std::to_string(max) + "\n").counter ==
        max);
}

TEST_CASE("google-authenticator import takes CRLF, blank lines and no final newline",
          "[enroll][ga_import]") {
    const GoogleAuthenticatorFile file =
        parsed(std::string(kSecret) + "\r\n\r\n\" TOTP_AUTH\r\n\n12345678\r\n87654321");
    CHECK(string_of(file.key) == kKey);
    CHECK(file.otp.type == OtpType::totp);
    CHECK(scratch_of(file) == Strings{"12345678", "87654321"});
    CHECK(file.ignored_options.empty());
    // The secret as base32_decode takes it: lower case, spaces, padding.
    CHECK(string_of(parsed("gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n\" TOTP_AUTH\n").key) == kKey);
    CHECK(string_of(parsed(std::string(kSecret) + "\n\" TOTP_AUTH").key) == kKey);
}

TEST_CASE("google-authenticator import takes key sizes from 10 to 64 bytes",
          "[enroll][ga_import]") {
    for (std::size_t size : {std::size_t{10}, std::size_t{64}}) {
        const std::vector<std::uint8_t> key(size, 0xa5);
        const GoogleAuthenticatorFile file =
            parsed(pam_totp::base32_encode(key) + "\n\" TOTP_AUTH\n");
        CHECK(file.key.size() == size);
    }
    const std::vector<std::uint8_t> short_key(9, 1), long_key(65, 1);
    refused(pam_totp::base32_encode(short_key) + "\n\" TOTP_AUTH\n",
            "line 1: the secret is 9 bytes long; pam_totp takes 10 to 64");
    refused(pam_totp::base32_encode(long_key) + "\n\" TOTP_AUTH\n",
            "line 1: the secret is 65 bytes long; pam_totp takes 10 to 64");
}

TEST_CASE("google-authenticator import keeps up to 32 scratch codes", "[enroll][ga_import]") {
    std::string text = std::string(kSecret) + "\n\" TOTP_AUTH\n";
    for (int i = 0; i < 32; ++i) text += std::to_string(10000000 + i) + "\n";
    CHECK(parsed(text).scratch_codes.size() == 32);
    refused(text + "20000000\n", "line 35: more than 32 scratch codes");
}

TEST_CASE("google-authenticator import reports long unknown option names truncated",
          "[enroll][ga_import]") {
    const std::string name(40, 'X');
    const GoogleAuthenticatorFile file =
        parsed(std::string(kSecret) + "\n\" TOTP_AUTH\n\" " + name + " 1 2\n");
    CHECK(file.ignored_options == Strings{std::string(32, 'X')});
}

TEST_CASE("google-authenticator import refuses a missing or bad secret", "[enroll][ga_import]") {
    refused("", "the file is empty");
    refused("\n\" TOTP_AUTH\n", "line 1: the secret is not valid base32 (base32: no data)");
    refused("not base32!\n\" TOTP_AUTH\n",
            "line 1: the secret is not valid base32 (base32: invalid character at position 11)");
    refused("\" TOTP_AUTH\n" + std::string(kSecret) + "\n",
            "line 1: the secret is not valid base32 (base32: invalid character at position 1)");
    refused("12345678\n\" TOTP_AUTH\n",
            "line 1: the secret is not valid base32 (base32: invalid character at position 1)");
    refused("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ\n\" TOTP_AUTH\n",
            "line 1: the secret is not valid base32 (base32: non-zero bits after the last byte)");
}

TEST_CASE("google-authenticator import refuses a file that is neither TOTP nor HOTP",
          "[enroll][ga_import]") {
    const std::string neither =
        "neither TOTP_AUTH nor HOTP_COUNTER: google-authenticator would not use this secret "
        "either";
    refused(std::string(kSecret) + "\n", neither);
    refused(std::string(kSecret), neither);
    refused(std::string(kSecret) + "\n\" WINDOW_SIZE 3\n12345678\n", neither);
    refused(std::string(kSecret) + "\n\"TOTP_AUTH\n",
            "line 2: neither an option (\" NAME) nor an eight-digit scratch code");
    refused(std::string(kSecret) + "\n\" TOTP_AUTH\n\" OTP_DISABLED\n",
            "line 3: OTP_DISABLED: one-time codes are switched off in this file");
}

TEST_CASE("google-authenticator import refuses bad option values", "[enroll][ga_import]") {
    const std::string head = std::string(kSecret) + "\n\" TOTP_AUTH\n";
    const std::string counter = "line 3: HOTP_COUNTER needs a counter value";
    refused(head + "\" HOTP_COUNTER\n", counter);
    refused(head + "\" HOTP_COUNTER \n", counter);
    refused(head + "\" HOTP_COUNTER -1\n", counter);
    refused(head + "\" HOTP_COUNTER 1 2\n", counter);
    refused(head + "\" HOTP_COUNTER 0x10\n", counter);
    refused(head + "\" HOTP_COUNTER 12345678901234567890\n", counter);  // 20 digits
    refused(head + "\" HOTP_COUNTER " + std::to_string((std::uint64_t{1} << 62) + 1) + "\n",
            counter);
    const std::string step = "line 3: STEP_SIZE must be 15 to 300 seconds for pam_totp";
    refused(head + "\" STEP_SIZE\n", step);
    refused(head + "\" STEP_SIZE 14\n", step);
    refused(head + "\" STEP_SIZE 301\n", step);
    refused(head + "\" STEP_SIZE 30s\n", step);
    refused(head + "\" STEP_SIZE 9999999999999999999\n", step);
}

TEST_CASE("google-authenticator import refuses lines that are neither options nor scratch codes",
          "[enroll][ga_import]") {
    const std::string head = std::string(kSecret) + "\n\" TOTP_AUTH\n";
    const std::string what = "neither an option (\" NAME) nor an eight-digit scratch code";
    // The content (perhaps a mistyped scratch code) never reaches the message.
    for (const char* line : {"1234567", "123456789", "1234567x", " 12345678", "12345678 ",
                             "# comment", "\"", "TOTP_AUTH", "1234\t5678"})
        refused(head + line + "\n", "line 3: " + what);
    refused(head + "12345678\n\n\n\x01\n", "line 6: " + what);
    refused(head + "12345678\r\r\n", "line 3: " + what);
    refused(head + std::string("1234\0"
                               "5678\n",
                               10),
            "line 3: " + what);
}
