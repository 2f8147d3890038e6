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

std::optional<PasswordAndCode> split_password_and_code(std::string_view typed, int digits) {
    const std::size_t n = static_cast<std::size_t>(digits);
    if (digits <= 0 || typed.size() < n) return std::nullopt;
    const std::string_view code = typed.substr(typed.size() - n);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    const std::string_view password = typed.substr(0, typed.size() - n);
    return PasswordAndCode{SecretBytes::from_string(password), SecretBytes::from_string(code)};
}

}  // namespace pam_totp
