#include "google_authenticator_import.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "core/base32.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"

namespace totp_enroll {
namespace {

using pam_totp::Error;

constexpr std::size_t kScratchCodeLength = 8;

std::string at_line(std::size_t number, std::string_view what) {
    return "line " + std::to_string(number) + ": " + std::string(what);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    if (!all_digits(s) || s.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
}

struct OptionLine {
    std::string_view name;
    std::string_view arguments;
};

OptionLine split_option(std::string_view line) {
    line.remove_prefix(2);  // `" `
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return {line, {}};
    return {line.substr(0, space), line.substr(space + 1)};
}

}  // namespace

pam_totp::Result<GoogleAuthenticatorFile> parse_google_authenticator(std::string_view text) {
    GoogleAuthenticatorFile file;
    bool totp_auth = false;
    std::optional<std::uint64_t> hotp_counter;
    std::optional<int> step_size;

    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);

        if (number == 1) {
            auto key = pam_totp::base32_decode(line);
            if (!key)
                return Error{
                    at_line(1, "the secret is not valid base32 (" + key.error().message + ")")};
            if (key->size() < pam_totp::kMinKeySize || key->size() > pam_totp::kMaxKeySize)
                return Error{at_line(1, "the secret is " + std::to_string(key->size()) +
                                            " bytes long; pam_totp takes 10 to 64")};
            file.key = std::move(*key);
            continue;
        }
        if (line.empty()) continue;
        if (line.starts_with("\" ")) {
            const OptionLine option = split_option(line);
            if (option.name == "TOTP_AUTH") {
                totp_auth = true;
            } else if (option.name == "HOTP_COUNTER") {
                hotp_counter = parse_decimal(option.arguments);
                if (!hotp_counter || *hotp_counter > (std::uint64_t{1} << 62))
                    return Error{at_line(number, "HOTP_COUNTER needs a counter value")};
            } else if (option.name == "STEP_SIZE") {
                const auto step = parse_decimal(option.arguments);
                if (!step || *step < static_cast<std::uint64_t>(pam_totp::kMinPeriod) ||
                    *step > static_cast<std::uint64_t>(pam_totp::kMaxPeriod))
                    return Error{
                        at_line(number, "STEP_SIZE must be 15 to 300 seconds for pam_totp")};
                step_size = static_cast<int>(*step);
            } else if (option.name == "OTP_DISABLED") {
                return Error{
                    at_line(number, "OTP_DISABLED: one-time codes are switched off in this file")};
            } else {
                // WINDOW_SIZE, RATE_LIMIT, DISALLOW_REUSE and anything newer:
                // state or policy that pam_totp keeps in its own way.
                file.ignored_options.emplace_back(option.name.substr(0, 32));
            }
            continue;
        }
        if (line.size() == kScratchCodeLength && all_digits(line)) {
            if (file.scratch_codes.size() == static_cast<std::size_t>(pam_totp::kMaxRecoveryCodes))
                return Error{at_line(number, "more than 32 scratch codes")};
            file.scratch_codes.push_back(pam_totp::SecretBytes::from_string(line));
            continue;
        }
        return Error{
            at_line(number, "neither an option (\" NAME) nor an eight-digit scratch code")};
    }
    if (number == 0) return Error{"the file is empty"};

    if (hotp_counter) {
        // As in google-authenticator: HOTP_COUNTER wins and a time step means nothing.
        if (step_size) file.ignored_options.emplace_back("STEP_SIZE");
        file.otp.type = pam_totp::OtpType::hotp;
        file.counter = *hotp_counter;
    } else if (totp_auth) {
        file.otp.type = pam_totp::OtpType::totp;
        file.otp.period = step_size.value_or(30);
    } else {
        return Error{
            "neither TOTP_AUTH nor HOTP_COUNTER: google-authenticator would not use this secret "
            "either"};
    }
    file.otp.algorithm = pam_totp::Algorithm::sha1;
    file.otp.digits = 6;
    return file;
}

}  // namespace totp_enroll
