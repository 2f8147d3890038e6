#include "core/host_key.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace pam_totp {
namespace {

BioPtr memory_bio(std::string_view text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

bool is_x25519(EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_X25519; }

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
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"out of memory"};
    PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Error{"not an unencrypted PEM private key"};
    if (!is_x25519(key.get())) return Error{"not an X25519 private key"};
    return HostPrivateKey(std::move(key));
}

SecretBytes HostPrivateKey::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1)
        throw std::runtime_error("cannot encode the private key as PEM");
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return SecretBytes(std::span(reinterpret_cast<const std::uint8_t*>(data),
                                 static_cast<std::size_t>(len)));
}

HostPublicKey HostPrivateKey::public_key() const {
    RawPublicKey raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &len) != 1 || len != raw.size())
        throw std::runtime_error("cannot derive the X25519 public key");
    return HostPublicKey(raw);
}

}  // namespace pam_totp
