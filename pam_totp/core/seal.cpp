#include "core/seal.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>

namespace pam_totp {
namespace {

constexpr std::size_t kPublicKeySize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kAesKeySize = 32;
constexpr char kHkdfInfo[] = "pam_totp v1 seal";

Result<SecretBytes> x25519(EVP_PKEY* own, const RawPublicKey& peer_raw) {
    PKeyPtr peer(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_raw.data(), peer_raw.size()));
    PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
    if (!peer || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
        return Error{"X25519 key agreement failed"};
    SecretBytes shared(kPublicKeySize);
    std::size_t len = shared.size();
    // OpenSSL refuses an all-zero shared secret (small-order peer point) here.
    if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != shared.size())
        return Error{"X25519 key agreement failed"};
    return shared;
}

Result<SecretBytes> hkdf(const SecretBytes& shared, const RawPublicKey& eph,
                         const RawPublicKey& host) {
    std::array<std::uint8_t, 2 * kPublicKeySize> salt{};
    std::copy(eph.begin(), eph.end(), salt.begin());
    std::copy(host.begin(), host.end(), salt.begin() + kPublicKeySize);
    return hkdf_sha256(shared.span(), salt, std::string_view(kHkdfInfo, sizeof kHkdfInfo - 1),
                       kAesKeySize);
}

Result<SecretBytes> derive_key(EVP_PKEY* own, const RawPublicKey& peer, const RawPublicKey& eph,
                               const RawPublicKey& host) {
    auto shared = x25519(own, peer);
    if (!shared) return shared.error();
    return hkdf(*shared, eph, host);
}

}  // namespace

Result<SecretBytes> hkdf_sha256(std::span<const std::uint8_t> key,
                                std::span<const std::uint8_t> salt, std::string_view info,
                                std::size_t length) {
    KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
    KdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
    if (!ctx) return Error{"HKDF unavailable"};
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()),
                                          key.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                          const_cast<std::uint8_t*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                          info.size()),
        OSSL_PARAM_construct_end()};
    SecretBytes out(length);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) return Error{"HKDF failed"};
    return out;
}

Result<std::vector<std::uint8_t>> seal(const HostPublicKey& host,
                                       std::span<const std::uint8_t> plaintext,
                                       std::string_view aad) {
    const HostPrivateKey ephemeral = HostPrivateKey::generate();
    const RawPublicKey eph_pub = ephemeral.public_key().raw();
    auto key = derive_key(ephemeral.get(), host.raw(), eph_pub, host.raw());
    if (!key) return key.error();

    std::vector<std::uint8_t> out(kPublicKeySize + kNonceSize + plaintext.size() + kTagSize);
    std::copy(eph_pub.begin(), eph_pub.end(), out.begin());
    std::uint8_t* nonce = out.data() + kPublicKeySize;
    std::uint8_t* ciphertext = nonce + kNonceSize;
    std::uint8_t* tag = ciphertext + plaintext.size();
    if (RAND_bytes(nonce, kNonceSize) != 1) return Error{"the random generator failed"};

    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->data(), nonce) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const std::uint8_t*>(aad.data()),
                          static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), ciphertext, &len, plaintext.data(),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) != 1)
        return Error{"AES-256-GCM encryption failed"};
    return out;
}

Result<SecretBytes> unseal(const HostPrivateKey& host, std::span<const std::uint8_t> sealed,
                           std::string_view aad) {
    // An empty ciphertext is never produced, and OpenSSL would read a NULL
    // output buffer as "more AAD", so refuse it outright.
    if (sealed.size() <= kSealOverhead) return Error{"sealed data is too short"};
    RawPublicKey eph_pub{};
    std::copy_n(sealed.begin(), kPublicKeySize, eph_pub.begin());
    const std::uint8_t* nonce = sealed.data() + kPublicKeySize;
    const std::uint8_t* ciphertext = nonce + kNonceSize;
    const std::size_t ciphertext_size = sealed.size() - kSealOverhead;
    const std::uint8_t* tag = ciphertext + ciphertext_size;

    auto key = derive_key(host.get(), eph_pub, eph_pub, host.public_key().raw());
    if (!key) return Error{"cannot open the sealed secret: " + key.error().message};

    SecretBytes plaintext(ciphertext_size);
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int total = 0;
    if (!ctx ||
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->data(), nonce) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const std::uint8_t*>(aad.data()),
                          static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, ciphertext,
                          static_cast<int>(ciphertext_size)) != 1)
        return Error{"AES-256-GCM decryption failed"};
    total = len;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                            const_cast<std::uint8_t*>(tag)) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + total, &len) != 1)
        return Error{"authentication failed: the file was modified or damaged"};
    return plaintext;
}

}  // namespace pam_totp
