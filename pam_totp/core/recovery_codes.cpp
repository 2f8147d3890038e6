#include "core/recovery_codes.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace pam_totp {
namespace {

// 32 symbols: digits and capitals without 0/O, 1/I.
constexpr char kAlphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
constexpr std::size_t kCodeSymbols = 8;
constexpr std::size_t kMaxTypedLength = 64;

bool all_digits(const SecretBytes& code) {
    return std::all_of(code.data(), code.data() + code.size(),
                       [](std::uint8_t c) { return c >= '0' && c <= '9'; });
}

SecretBytes one_code() {
    for (;;) {
        SecretBytes random = SecretBytes::random(kCodeSymbols);
        SecretBytes code(kCodeSymbols + 1);
        std::size_t out = 0;
        for (std::size_t i = 0; i < kCodeSymbols; ++i) {
            if (i == kCodeSymbols / 2) code.data()[out++] = '-';
            code.data()[out++] = static_cast<std::uint8_t>(kAlphabet[random.data()[i] & 31]);
        }
        SecretBytes normalized = normalize_recovery_code(code.view());
        if (!all_digits(normalized)) return code;
    }
}

}  // namespace

std::vector<SecretBytes> generate_recovery_codes(int count) {
    std::vector<SecretBytes> codes;
    codes.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) codes.push_back(one_code());
    return codes;
}

SecretBytes normalize_recovery_code(std::string_view typed) {
    typed = typed.substr(0, kMaxTypedLength);
    SecretBytes out(typed.size());
    std::size_t n = 0;
    for (char c : typed) {
        if (c == ' ' || c == '-') continue;
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        out.data()[n++] = static_cast<std::uint8_t>(c);
    }
    out.truncate(n);
    return out;
}

RecoveryHash hash_recovery_code(const RecoveryCodes& codes, std::string_view typed) {
    const SecretBytes normalized = normalize_recovery_code(typed);
    RecoveryHash hash{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), codes.salt.data(), static_cast<int>(codes.salt.size()),
              normalized.data(), normalized.size(), hash.data(), &len) ||
        len != hash.size())
        throw std::runtime_error("HMAC-SHA256 failed");
    return hash;
}

TokenFingerprint token_fingerprint(const RecoveryCodes& codes, std::string_view token) {
    // A domain of its own under the enrolment's secret salt: never equal to
    // a recovery code's hash, unreadable without the host key.
    SecretBytes message = SecretBytes::with_capacity(16 + token.size());
    message.append("pam_totp token:");
    message.append(token);
    std::uint8_t digest[32];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), codes.salt.data(), static_cast<int>(codes.salt.size()), message.data(),
              message.size(), digest, &len) ||
        len != sizeof digest)
        throw std::runtime_error("HMAC-SHA256 failed");
    TokenFingerprint out{};
    std::copy_n(digest, out.size(), out.begin());
    OPENSSL_cleanse(digest, sizeof digest);
    return out;
}

RecoveryCodes make_recovery_codes(const std::vector<SecretBytes>& plain) {
    if (plain.size() > static_cast<std::size_t>(kMaxRecoveryCodes))
        throw std::invalid_argument("too many recovery codes");
    RecoveryCodes codes;
    if (RAND_bytes(codes.salt.data(), static_cast<int>(codes.salt.size())) != 1)
        throw std::runtime_error("the OpenSSL random generator failed");
    for (const SecretBytes& code : plain)
        codes.hashes.push_back(hash_recovery_code(codes, code.view()));
    return codes;
}

RecoveryMatch find_recovery_code(const RecoveryCodes& codes, std::string_view typed,
                                 std::uint32_t used_mask) {
    RecoveryMatch match;
    if (codes.hashes.empty() || typed.empty() || typed.size() > kMaxTypedLength) return match;
    const RecoveryHash hash = hash_recovery_code(codes, typed);
    int found = -1;
    bool used = false;
    for (std::size_t i = 0; i < codes.hashes.size(); ++i) {
        const bool equal = CRYPTO_memcmp(hash.data(), codes.hashes[i].data(), hash.size()) == 0;
        const bool unused = ((used_mask >> i) & 1u) == 0;
        if (equal && unused) found = static_cast<int>(i);
        used |= equal && !unused;
    }
    if (found >= 0) match.unused = found;
    match.used = used && found < 0;
    return match;
}

std::optional<int> match_recovery_code(const RecoveryCodes& codes, std::string_view typed,
                                       std::uint32_t used_mask) {
    return find_recovery_code(codes, typed, used_mask).unused;
}

}  // namespace pam_totp
