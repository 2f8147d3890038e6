// Bench-only PAM modules (never installed): the cryptographic work of one
// pam_totp login, alone, to measure what a fresh process pays for it.
// Each returns PAM_SUCCESS without prompting; inputs are fixed bytes (the
// AES-GCM tag check fails, which costs what a passing one does).
//
// Built by bench/run in these ways, each a C++ module linking libstdc++ as
// pam_totp does unless FLOOR_NO_LIBSTDCXX is set:
//   FLOOR_EVP         pam_totp's EVP calls as core/host_key.cpp and
//                     core/seal.cpp make them: X25519 key from both halves
//                     (EVP_PKEY_fromdata), X25519 derive, HKDF-SHA256
//                     (EVP_KDF), AES-256-GCM decrypt (EVP_aes_256_gcm),
//                     three HMAC-SHA1 (HMAC()). The "floor module".
//   FLOOR_EVP_LEAN    proposal (a): the same EVP work after
//                     OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
//                     OPENSSL_INIT_NO_ADD_ALL_CIPHERS | _DIGESTS), each
//                     algorithm fetched once (EVP_CIPHER_fetch, EVP_MAC_fetch)
//                     and the HMAC context re-initialised with its key.
//   FLOOR_NETTLE      proposal (b): the same work with Nettle/Hogweed:
//                     curve25519_mul, HKDF (hkdf_extract/expand over
//                     hmac_sha256), gcm_aes256, hmac_sha1. bench/run links it
//                     twice: with the shared libraries, and with libnettle.a
//                     and libhogweed.a inside the module (libgmp stays shared:
//                     Debian's libgmp.a is not position-independent).
//   FLOOR_NETTLE_PIN  proposal (c): only the three HMAC-SHA1 (Nettle), as if
//                     the OTP key were kept in plain text in the root-only
//                     record and nothing had to be unsealed.
//   FLOOR_NO_LIBSTDCXX with FLOOR_NETTLE: the same Nettle work in a module
//                     that does not link libstdc++ (what the C++ runtime's
//                     loading costs a fresh process). bench/run also links
//                     the FLOOR_NETTLE module with -static-libstdc++.
#include <security/pam_modules.h>

#include <cstdint>
#include <cstring>
#ifndef FLOOR_NO_LIBSTDCXX
#include <string>
#include <vector>
#endif

#if defined(FLOOR_EVP) || defined(FLOOR_EVP_LEAN)
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#else
#include <nettle/curve25519.h>
#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#endif

namespace {

constexpr std::size_t kPayload = 512;  // about a sealed key with ten recovery-code hashes

#if defined(FLOOR_EVP) || defined(FLOOR_EVP_LEAN)

using Bytes = std::vector<std::uint8_t>;

Bytes filled(std::size_t n, std::uint8_t seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 7 * i);
    return b;
}

const std::string kInfo = "pam_totp secret file v1";

int login() {
#ifdef FLOOR_EVP_LEAN
    // In a process that has already initialised OpenSSL (sshd) these flags
    // change nothing; su and login (Debian 12) do not link libcrypto.
    if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                            nullptr) != 1)
        return PAM_AUTH_ERR;
#endif
    Bytes host_priv = filled(32, 1), host_pub = filled(32, 2), eph = filled(32, 3);
    // Host key from both halves, as core/host_key.cpp.
    OSSL_PARAM kp[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, host_priv.data(), 32),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, host_pub.data(), 32),
        OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr);
    EVP_PKEY* own = nullptr;
    if (!kctx || EVP_PKEY_fromdata_init(kctx) != 1 ||
        EVP_PKEY_fromdata(kctx, &own, EVP_PKEY_KEYPAIR, kp) != 1)
        return PAM_AUTH_ERR;
    EVP_PKEY_CTX_free(kctx);
    // X25519 derive, as core/seal.cpp.
    EVP_PKEY* peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, eph.data(), 32);
    EVP_PKEY_CTX* dctx = EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr);
    Bytes shared(32);
    std::size_t len = shared.size();
    if (!peer || !dctx || EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, peer) != 1 ||
        EVP_PKEY_derive(dctx, shared.data(), &len) != 1)
        return PAM_AUTH_ERR;
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(own);
    // HKDF-SHA256.
    Bytes salt = eph;
    salt.insert(salt.end(), host_pub.begin(), host_pub.end());
    Bytes aes_key(32);
    char digest[] = "SHA256";
    OSSL_PARAM hp[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared.data(), shared.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(kInfo.data()), kInfo.size()),
        OSSL_PARAM_construct_end()};
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* hctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
    if (!hctx || EVP_KDF_derive(hctx, aes_key.data(), aes_key.size(), hp) != 1) return PAM_AUTH_ERR;
    EVP_KDF_CTX_free(hctx);
    EVP_KDF_free(kdf);
    // AES-256-GCM decrypt of the payload.
    Bytes nonce = filled(12, 4), aad = filled(64, 5), ct = filled(kPayload, 6), tag = filled(16, 7);
    Bytes pt(kPayload);
    EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
#ifdef FLOOR_EVP_LEAN
    EVP_CIPHER* aes = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    const EVP_CIPHER* cipher = aes;
#else
    const EVP_CIPHER* cipher = EVP_aes_256_gcm();
#endif
    int n = 0;
    if (!cctx || EVP_DecryptInit_ex(cctx, cipher, nullptr, aes_key.data(), nonce.data()) != 1 ||
        EVP_DecryptUpdate(cctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(cctx, pt.data(), &n, ct.data(), static_cast<int>(ct.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1)
        return PAM_AUTH_ERR;
    const bool opened = EVP_DecryptFinal_ex(cctx, pt.data() + n, &n) == 1;
    EVP_CIPHER_CTX_free(cctx);
#ifdef FLOOR_EVP_LEAN
    EVP_CIPHER_free(aes);
#endif
    // Three HMAC-SHA1 (window=1).
    Bytes otp_key = filled(20, 8);
    unsigned acc = opened;
#ifdef FLOOR_EVP_LEAN
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* mctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    char sha1[] = "SHA1";
    OSSL_PARAM mp[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha1, 0),
                       OSSL_PARAM_construct_end()};
    if (!mctx) return PAM_AUTH_ERR;
#endif
    for (std::uint64_t step = 1000; step < 1003; ++step) {
        std::uint8_t msg[8], out[EVP_MAX_MD_SIZE];
        for (int i = 7; i >= 0; --i) msg[i] = static_cast<std::uint8_t>(step >> (8 * (7 - i)));
#ifdef FLOOR_EVP_LEAN
        std::size_t out_len = 0;
        if (EVP_MAC_init(mctx, step == 1000 ? otp_key.data() : nullptr, step == 1000 ? otp_key.size() : 0,
                         step == 1000 ? mp : nullptr) != 1 ||
            EVP_MAC_update(mctx, msg, sizeof msg) != 1 || EVP_MAC_final(mctx, out, &out_len, sizeof out) != 1)
            return PAM_AUTH_ERR;
#else
        unsigned out_len = 0;
        if (!HMAC(EVP_sha1(), otp_key.data(), static_cast<int>(otp_key.size()), msg, sizeof msg, out, &out_len))
            return PAM_AUTH_ERR;
#endif
        acc += out[19];
    }
#ifdef FLOOR_EVP_LEAN
    EVP_MAC_CTX_free(mctx);
    EVP_MAC_free(mac);
#endif
    return acc == 0xffffffffu ? PAM_AUTH_ERR : PAM_SUCCESS;
}

#else  // Nettle: plain arrays only, so FLOOR_NO_LIBSTDCXX can leave libstdc++ out

void fill(std::uint8_t* p, std::size_t n, std::uint8_t seed) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(seed + 7 * i);
}

void hotp3(unsigned& acc) {
    std::uint8_t otp_key[20];
    fill(otp_key, sizeof otp_key, 8);
    struct hmac_sha1_ctx h;
    hmac_sha1_set_key(&h, sizeof otp_key, otp_key);
    for (std::uint64_t step = 1000; step < 1003; ++step) {
        std::uint8_t msg[8], out[SHA1_DIGEST_SIZE];
        for (int i = 7; i >= 0; --i) msg[i] = static_cast<std::uint8_t>(step >> (8 * (7 - i)));
        hmac_sha1_update(&h, sizeof msg, msg);
        hmac_sha1_digest(&h, sizeof out, out);  // digest resets to the keyed state
        acc += out[19];
    }
}

int login() {
    unsigned acc = 0;
#ifndef FLOOR_NETTLE_PIN
    static const char kInfoText[] = "pam_totp secret file v1";
    std::uint8_t host_priv[32], host_pub[32], eph[32], shared[32], salt[64], aes_key[32];
    fill(host_priv, 32, 1);
    fill(host_pub, 32, 2);
    fill(eph, 32, 3);
    curve25519_mul(shared, host_priv, eph);
    std::memcpy(salt, eph, 32);
    std::memcpy(salt + 32, host_pub, 32);
    struct hmac_sha256_ctx k;
    std::uint8_t prk[SHA256_DIGEST_SIZE];
    hmac_sha256_set_key(&k, sizeof salt, salt);
    hkdf_extract(&k, reinterpret_cast<nettle_hash_update_func*>(hmac_sha256_update),
                 reinterpret_cast<nettle_hash_digest_func*>(hmac_sha256_digest), SHA256_DIGEST_SIZE,
                 sizeof shared, shared, prk);
    hmac_sha256_set_key(&k, sizeof prk, prk);
    hkdf_expand(&k, reinterpret_cast<nettle_hash_update_func*>(hmac_sha256_update),
                reinterpret_cast<nettle_hash_digest_func*>(hmac_sha256_digest), SHA256_DIGEST_SIZE,
                sizeof kInfoText - 1, reinterpret_cast<const std::uint8_t*>(kInfoText), sizeof aes_key,
                aes_key);
    std::uint8_t nonce[12], aad[64], ct[kPayload], tag[16], pt[kPayload], computed[GCM_DIGEST_SIZE];
    fill(nonce, sizeof nonce, 4);
    fill(aad, sizeof aad, 5);
    fill(ct, sizeof ct, 6);
    fill(tag, sizeof tag, 7);
    struct gcm_aes256_ctx g;
    gcm_aes256_set_key(&g, aes_key);
    gcm_aes256_set_iv(&g, sizeof nonce, nonce);
    gcm_aes256_update(&g, sizeof aad, aad);
    gcm_aes256_decrypt(&g, sizeof ct, pt, ct);
    gcm_aes256_digest(&g, sizeof computed, computed);
    acc += memeql_sec(computed, tag, sizeof computed) + pt[0];
#endif
    hotp3(acc);
    return acc == 0xffffffffu ? PAM_AUTH_ERR : PAM_SUCCESS;
}

#endif

}  // namespace

#if !defined(FLOOR_NO_LIBSTDCXX) && !defined(FLOOR_EVP) && !defined(FLOOR_EVP_LEAN)
// The Nettle rows are C++ modules like pam_totp: a std::string keeps
// libstdc++ a real dependency (bench/run also links it with --no-as-needed).
const std::string kLinkedWithLibstdcxx = "libstdc++";
#endif

extern "C" int pam_sm_authenticate(pam_handle_t*, int, int, const char**) { return login(); }
extern "C" int pam_sm_setcred(pam_handle_t*, int, int, const char**) { return PAM_SUCCESS; }
