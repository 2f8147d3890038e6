#include "core/host_key.h"

#include <openssl/core_names.h>
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
// the 32-byte key, and a SubjectPublicKeyInfo these 12 bytes followed by the
// 32-byte key. Reading them directly skips OpenSSL 3's generic decoder set-up,
// which costs ~0.8 ms per login (bench/RESULTS.md).
constexpr std::uint8_t kX25519Pkcs8Prefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                               0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20};
constexpr std::uint8_t kX25519SpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                              0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
constexpr std::size_t kX25519KeySize = 32;
constexpr std::string_view kPrivateBegin = "-----BEGIN PRIVATE KEY-----\n";
constexpr std::string_view kPrivateEnd = "\n-----END PRIVATE KEY-----\n";
constexpr std::string_view kPublicBegin = "-----BEGIN PUBLIC KEY-----\n";
constexpr std::string_view kPublicEnd = "\n-----END PUBLIC KEY-----\n";

// The DER of a one-line PEM block that is all of `pem`, provided it has the
// given armour and starts with `prefix` followed by a 32-byte key; empty
// otherwise. Wiped on destruction, as it may hold the private key.
SecretBytes x25519_block_der(std::string_view pem, std::string_view begin, std::string_view end,
                             std::span<const std::uint8_t> prefix) {
    if (pem.size() < begin.size() + end.size() || !pem.starts_with(begin) || !pem.ends_with(end))
        return SecretBytes{};
    auto der = base64_decode(pem.substr(begin.size(), pem.size() - begin.size() - end.size()));
    if (!der) return SecretBytes{};
    SecretBytes out{std::span<const std::uint8_t>(*der)};
    OPENSSL_cleanse(der->data(), der->size());
    if (out.size() != prefix.size() + kX25519KeySize ||
        !std::equal(prefix.begin(), prefix.end(), out.data()))
        return SecretBytes{};
    return out;
}

// Both halves given: OpenSSL keeps them as they are instead of deriving the
// public half (one X25519 scalar multiplication, a third of a login's CPU).
// A public half that does not belong to the private one cannot open anything:
// it enters the key-id check and the HKDF salt, so unsealing just fails.
PKeyPtr x25519_key_pair(const std::uint8_t* private_key, const std::uint8_t* public_key) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
                                          const_cast<std::uint8_t*>(private_key), kX25519KeySize),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                          const_cast<std::uint8_t*>(public_key), kX25519KeySize),
        OSSL_PARAM_construct_end()};
    PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
    EVP_PKEY* made = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &made, EVP_PKEY_KEYPAIR, params) != 1)
        return nullptr;
    return PKeyPtr(made);
}

// The key from the exact PEM forms we write: the private block, optionally
// followed by the public block (what HostPrivateKey::to_pem writes), or the
// private block alone (`openssl genpkey -algorithm X25519`). nullptr for
// anything else, which then goes through the generic decoder.
PKeyPtr parse_x25519_pem(std::string_view pem) {
    const std::size_t private_end = pem.find(kPrivateEnd);
    if (private_end == std::string_view::npos) return nullptr;
    const std::size_t split = private_end + kPrivateEnd.size();
    const SecretBytes private_der =
        x25519_block_der(pem.substr(0, split), kPrivateBegin, kPrivateEnd, kX25519Pkcs8Prefix);
    if (private_der.empty()) return nullptr;
    const std::uint8_t* private_key = private_der.data() + sizeof kX25519Pkcs8Prefix;
    if (split == pem.size())
        return PKeyPtr(
            EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key, kX25519KeySize));
    const SecretBytes public_der =
        x25519_block_der(pem.substr(split), kPublicBegin, kPublicEnd, kX25519SpkiPrefix);
    if (public_der.empty()) return nullptr;
    return x25519_key_pair(private_key, public_der.data() + sizeof kX25519SpkiPrefix);
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

// Given to OpenSSL instead of its default passphrase callback, which reads
// the controlling terminal outside the PAM conversation (a console login
// would block on it, on every attempt). Refuses, and notes that a passphrase
// was wanted: the key is encrypted.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* asked) {
    *static_cast<bool*>(asked) = true;
    return -1;
}

}  // namespace

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
    if (PKeyPtr key = parse_x25519_pem(pem)) return HostPrivateKey(std::move(key));
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"out of memory"};
    bool passphrase_asked = false;
    PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &passphrase_asked));
    if (!key && passphrase_asked) return Error{std::string(kEncryptedHostKeyError)};
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
    SecretBytes pem(
        std::span(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len)));
    const std::string public_pem = public_key().to_pem();
    pem.append(public_pem);
    return pem;
}

HostPublicKey HostPrivateKey::public_key() const {
    RawPublicKey raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &len) != 1 || len != raw.size())
        throw std::runtime_error("cannot derive the X25519 public key");
    return HostPublicKey(raw);
}

}  // namespace pam_totp
