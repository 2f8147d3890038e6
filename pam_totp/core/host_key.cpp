#include "core/host_key.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <stdexcept>

#include "core/base64.h"

namespace pam_totp {
namespace {

// RFC 8410: an X25519 PKCS#8 PrivateKeyInfo is these 16 bytes followed by
// the 32-byte key. Reading it directly skips OpenSSL 3's generic decoder
// set-up, which costs ~0.8 ms per login (bench/RESULTS.md).
constexpr std::uint8_t kX25519Pkcs8Prefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                               0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20};
constexpr std::size_t kX25519KeySize = 32;
constexpr std::string_view kPemBegin = "-----BEGIN PRIVATE KEY-----\n";
constexpr std::string_view kPemEnd = "\n-----END PRIVATE KEY-----\n";

// The key from the exact PEM form we (and `openssl genpkey -algorithm
// X25519`) write; nullptr for anything else, which then goes through the
// generic decoder.
PKeyPtr parse_x25519_pkcs8_pem(std::string_view pem) {
    if (pem.size() < kPemBegin.size() + kPemEnd.size() ||
        pem.substr(0, kPemBegin.size()) != kPemBegin ||
        pem.substr(pem.size() - kPemEnd.size()) != kPemEnd)
        return nullptr;
    const std::string_view body =
        pem.substr(kPemBegin.size(), pem.size() - kPemBegin.size() - kPemEnd.size());
    auto der = base64_decode(body);
    if (!der) return nullptr;
    PKeyPtr key;
    if (der->size() == sizeof kX25519Pkcs8Prefix + kX25519KeySize &&
        std::equal(std::begin(kX25519Pkcs8Prefix), std::end(kX25519Pkcs8Prefix), der->begin()))
        key.reset(EVP_PKEY_new_raw_private_key(
            EVP_PKEY_X25519, nullptr, der->data() + sizeof kX25519Pkcs8Prefix, kX25519KeySize));
    OPENSSL_cleanse(der->data(), der->size());
    return key;
}

BioPtr memory_bio(std::string_view text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

bool is_x25519(EVP_PKEY* key) {
    return EVP_PKEY_get_id(key) == EVP_PKEY_X25519;
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

Result<HostPublicKey> HostPublicKey::from_pem(std::string_view pem) {
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"out of memory"};
    PKeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Error{"not a PEM public key"};
    if (!is_x25519(key.get())) return Error{"not an X25519 public key"};
    RawPublicKey raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &len) != 1 || len != raw.size())
        return Error{"cannot read the X25519 public key"};
    return HostPublicKey(raw);
}

std::string HostPublicKey::to_pem() const {
    PKeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, raw_.data(), raw_.size()));
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!key || !bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1)
        throw std::runtime_error("cannot encode the public key as PEM");
    return bio_contents(bio.get());
}

std::string HostPublicKey::key_id() const {
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(raw_.data(), raw_.size(), digest);
    return to_hex(std::span(digest, 8));
}

HostPrivateKey HostPrivateKey::generate() {
    PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    if (!key) throw std::runtime_error("cannot generate an X25519 key");
    return HostPrivateKey(std::move(key));
}

Result<HostPrivateKey> HostPrivateKey::from_pem(std::string_view pem) {
    if (PKeyPtr key = parse_x25519_pkcs8_pem(pem)) return HostPrivateKey(std::move(key));
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"out of memory"};
    PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Error{"not an unencrypted PEM private key"};
    if (!is_x25519(key.get())) return Error{"not an X25519 private key"};
    return HostPrivateKey(std::move(key));
}

SecretBytes HostPrivateKey::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot encode the private key as PEM");
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return SecretBytes(
        std::span(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len)));
}

HostPublicKey HostPrivateKey::public_key() const {
    RawPublicKey raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &len) != 1 || len != raw.size())
        throw std::runtime_error("cannot derive the X25519 public key");
    return HostPublicKey(raw);
}

}  // namespace pam_totp
