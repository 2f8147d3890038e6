#include "core/base32.h"

#include <openssl/crypto.h>

namespace pam_totp {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int decode_char(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

// Lengths (mod 8) that a whole number of bytes can produce.
bool valid_tail_length(std::size_t symbols) {
    switch (symbols % 8) {
        case 0:
        case 2:
        case 4:
        case 5:
        case 7:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::string base32_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::uint8_t byte : bytes) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
    OPENSSL_cleanse(&buffer, sizeof buffer);
    return out;
}

std::string base32_grouped(std::span<const std::uint8_t> bytes) {
    std::string plain = base32_encode(bytes);
    std::string out;
    // Reserved up front: a reallocation would leave an unwiped copy behind.
    out.reserve(plain.size() + plain.size() / 4 + 1);
    for (std::size_t i = 0; i < plain.size(); ++i) {
        if (i && i % 4 == 0) out.push_back(' ');
        out.push_back(plain[i]);
    }
    OPENSSL_cleanse(plain.data(), plain.size());
    return out;
}

Result<SecretBytes> base32_decode(std::string_view text) {
    SecretBytes out(text.size() * 5 / 8 + 1);
    std::size_t written = 0;
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t symbols = 0;
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '-') continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding)
            return Error{"base32: data after '=' padding at position " + std::to_string(i + 1)};
        const int value = decode_char(c);
        if (value < 0)
            return Error{"base32: invalid character at position " + std::to_string(i + 1)};
        buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
        bits += 5;
        ++symbols;
        if (bits >= 8) {
            out.data()[written++] = static_cast<std::uint8_t>(buffer >> (bits - 8));
            bits -= 8;
        }
    }
    const std::uint32_t leftover = buffer & ((1u << bits) - 1);
    OPENSSL_cleanse(&buffer, sizeof buffer);
    if (symbols == 0) return Error{"base32: no data"};
    if (!valid_tail_length(symbols)) return Error{"base32: impossible length (truncated?)"};
    // Padding, if any, completes the last group of 8 symbols, no more.
    if (padding && padding != (8 - symbols % 8) % 8)
        return Error{"base32: wrong amount of '=' padding"};
    if (leftover != 0) return Error{"base32: non-zero bits after the last byte"};
    out.truncate(written);
    return out;
}

}  // namespace pam_totp
