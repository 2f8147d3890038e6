// totp-enroll --import: the google-authenticator file parser
// (enroll-tool/google_authenticator_import.cpp). The file is the user's own,
// read by root for `--user NAME --import`. Whatever parses is within
// pam_totp's ranges and written back out (as a google-authenticator file and
// as the otpauth:// URI) gives the same enrolment; whatever is refused is
// refused with one of the fixed messages, which never quote the file.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base32.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "fuzz_common.h"
#include "google_authenticator_import.h"
#include "otpauth_uri.h"

using namespace pam_totp;
using totp_enroll::GoogleAuthenticatorFile;
using totp_enroll::parse_google_authenticator;

namespace {

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::size_t line_count(std::string_view text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// The file google-authenticator would write for this enrolment (without the
// options pam_totp does not carry over).
std::string serialise(const GoogleAuthenticatorFile& file) {
    std::string out = base32_encode(file.key.span()) + "\n";
    if (file.otp.type == OtpType::hotp) {
        out += "\" HOTP_COUNTER " + std::to_string(file.counter) + "\n";
    } else {
        out += "\" TOTP_AUTH\n";
        if (file.otp.period != 30) out += "\" STEP_SIZE " + std::to_string(file.otp.period) + "\n";
    }
    for (const SecretBytes& code : file.scratch_codes) {
        out.append(code.view());
        out += "\n";
    }
    return out;
}

bool same_bytes(const SecretBytes& a, const SecretBytes& b) {
    return std::ranges::equal(a.span(), b.span());
}

bool same_enrollment(const GoogleAuthenticatorFile& a, const GoogleAuthenticatorFile& b) {
    return same_bytes(a.key, b.key) && a.otp.type == b.otp.type &&
           a.otp.algorithm == b.otp.algorithm && a.otp.digits == b.otp.digits &&
           (a.otp.type == OtpType::hotp || a.otp.period == b.otp.period) &&
           a.counter == b.counter &&
           std::ranges::equal(a.scratch_codes, b.scratch_codes, same_bytes);
}

void check_accepted(const GoogleAuthenticatorFile& file) {
    FUZZ_CHECK(file.key.size() >= kMinKeySize && file.key.size() <= kMaxKeySize);
    FUZZ_CHECK(file.otp.algorithm == Algorithm::sha1 && file.otp.digits == 6);
    if (file.otp.type == OtpType::totp) {
        FUZZ_CHECK(file.otp.period >= kMinPeriod && file.otp.period <= kMaxPeriod);
        FUZZ_CHECK(file.counter == 0);
    } else {
        FUZZ_CHECK(file.counter <= (std::uint64_t{1} << 62));
    }
    FUZZ_CHECK(file.scratch_codes.size() <= static_cast<std::size_t>(kMaxRecoveryCodes));
    for (const SecretBytes& code : file.scratch_codes)
        FUZZ_CHECK(code.size() == 8 && all_digits(code.view()));
    for (const std::string& name : file.ignored_options) FUZZ_CHECK(name.size() <= 32);

    // Written back out as a google-authenticator file: the same enrolment.
    auto again = parse_google_authenticator(serialise(file));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(same_enrollment(file, *again));
    FUZZ_CHECK(again->ignored_options.empty());

    // The QR code's URI carries the same secret and settings.
    totp_enroll::UriFields fields;
    fields.issuer = "host";
    fields.account = "alice@host";
    fields.otp = file.otp;
    fields.counter = file.counter;
    const SecretBytes uri = totp_enroll::build_otpauth_uri(fields, file.key.span());
    const std::string_view text = uri.view();
    const bool totp = file.otp.type == OtpType::totp;
    FUZZ_CHECK(text.starts_with(totp ? "otpauth://totp/host:alice@host?secret="
                                     : "otpauth://hotp/host:alice@host?secret="));
    const std::size_t secret_at = text.find("?secret=") + 8;
    const std::size_t secret_end = text.find('&', secret_at);
    FUZZ_CHECK(secret_end != std::string_view::npos);
    auto secret = base32_decode(text.substr(secret_at, secret_end - secret_at));
    FUZZ_CHECK(secret.ok() && same_bytes(*secret, file.key));
    const std::string tail = "&issuer=host&algorithm=SHA1&digits=6" +
                             (totp ? "&period=" + std::to_string(file.otp.period)
                                   : "&counter=" + std::to_string(file.counter));
    FUZZ_CHECK(text.substr(secret_end) == tail);
}

// One of the parser's fixed sentences, with a line number inside the file
// where there is one: never a line's content (it may be a scratch code).
void check_refused(const std::string& message, std::string_view input) {
    FUZZ_CHECK(
        std::all_of(message.begin(), message.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
    if (message == "the file is empty") {
        FUZZ_CHECK(input.empty());
        return;
    }
    if (message ==
        "neither TOTP_AUTH nor HOTP_COUNTER: google-authenticator would not use this secret either")
        return;
    FUZZ_CHECK(message.starts_with("line "));
    const std::size_t colon = message.find(": ");
    FUZZ_CHECK(colon != std::string::npos && colon > 5 && colon <= 5 + 20);
    const std::string_view number = std::string_view(message).substr(5, colon - 5);
    FUZZ_CHECK(all_digits(number) && number[0] != '0');
    const std::size_t line = std::stoull(std::string(number));
    FUZZ_CHECK(line <= line_count(input));
    const std::string_view what = std::string_view(message).substr(colon + 2);
    if (line == 1) {
        if (what.starts_with("the secret is not valid base32 (base32: ")) {
            FUZZ_CHECK(what.ends_with(")"));
        } else {
            FUZZ_CHECK(what.starts_with("the secret is ") &&
                       what.ends_with(" bytes long; pam_totp takes 10 to 64"));
        }
        return;
    }
    FUZZ_CHECK(what == "HOTP_COUNTER needs a counter value" ||
               what == "STEP_SIZE must be 15 to 300 seconds for pam_totp" ||
               what == "OTP_DISABLED: one-time codes are switched off in this file" ||
               what == "more than 32 scratch codes" ||
               what == "neither an option (\" NAME) nor an eight-digit scratch code");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_google_authenticator(text);
    if (parsed)
        check_accepted(*parsed);
    else
        check_refused(parsed.error().message, text);

    // CRLF line ends read like LF ones (a file edited on Windows).
    if (text.find('\r') == std::string_view::npos) {
        std::string crlf;
        for (char c : text) {
            if (c == '\n') crlf += '\r';
            crlf += c;
        }
        auto again = parse_google_authenticator(crlf);
        FUZZ_CHECK(again.ok() == parsed.ok());
        if (parsed) {
            FUZZ_CHECK(same_enrollment(*parsed, *again));
            FUZZ_CHECK(again->ignored_options == parsed->ignored_options);
        } else {
            FUZZ_CHECK(again.error().message == parsed.error().message);
        }
    }
    return 0;
}
