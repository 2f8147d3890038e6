#include "core/code_input.h"

#include <algorithm>

namespace pam_totp {

SecretBytes normalize_typed_code(std::string_view typed) {
    if (typed.size() > kMaxTypedLength) return SecretBytes();
    SecretBytes out(typed.size());
    std::size_t n = 0;
    for (char c : typed)
        if (c != ' ') out.data()[n++] = static_cast<std::uint8_t>(c);
    out.truncate(n);
    return out;
}

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

PasswordAndCode split_at(std::string_view typed, std::size_t code_length) {
    return {SecretBytes::from_string(typed.substr(0, typed.size() - code_length)),
            SecretBytes::from_string(typed.substr(typed.size() - code_length))};
}

}  // namespace

bool looks_like_recovery_code(std::string_view s) {
    return s.size() == 9 && s[4] == '-' && std::all_of(s.begin(), s.begin() + 4, is_alnum) &&
           std::all_of(s.begin() + 5, s.end(), is_alnum);
}

std::vector<PasswordAndCode> split_candidates(std::string_view typed, int digits) {
    std::vector<PasswordAndCode> out;
    const auto digits_at_end = [&](std::size_t n) {
        return typed.size() >= n && std::all_of(typed.end() - n, typed.end(), is_digit);
    };
    const std::size_t n = static_cast<std::size_t>(digits);
    if (digits > 0 && digits_at_end(n)) out.push_back(split_at(typed, n));
    // google-authenticator's scratch codes, kept by --import, are 8 digits.
    if (n != kImportedScratchLength && digits_at_end(kImportedScratchLength))
        out.push_back(split_at(typed, kImportedScratchLength));
    constexpr std::size_t kRecoveryLength = 9;
    if (typed.size() >= kRecoveryLength &&
        looks_like_recovery_code(typed.substr(typed.size() - kRecoveryLength)))
        out.push_back(split_at(typed, kRecoveryLength));
    return out;
}

}  // namespace pam_totp
