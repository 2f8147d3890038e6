#include "core/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace pam_totp {
namespace {

bool is_symbol(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return Error{"base64: length is not a multiple of 4"};
    std::size_t padding = 0;
    if (text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    if (padding == 1 && text.back() != '=') return Error{"base64: misplaced '='"};
    for (std::size_t i = 0; i < text.size() - padding; ++i)
        if (!is_symbol(text[i]))
            return Error{"base64: invalid character at position " + std::to_string(i + 1)};
    std::vector<std::uint8_t> out(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0 || static_cast<std::size_t>(n) < padding) return Error{"base64: cannot decode"};
    out.resize(static_cast<std::size_t>(n) - padding);
    // Only the canonical spelling: spare bits in the last symbol must be zero,
    // or several texts would decode to the same bytes.
    // Both temporaries are wiped: this decodes the host private key too.
    std::string again = base64_encode(out);
    const bool canonical = again == text;
    OPENSSL_cleanse(again.data(), again.size());
    if (!canonical) {
        OPENSSL_cleanse(out.data(), out.size());
        return Error{"base64: non-zero bits after the last byte"};
    }
    return out;
}

}  // namespace pam_totp
