// The host's X25519 key pair: secret files are sealed to the public half and
// only root, holding the private half, can open them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/hex.h"
#include "core/openssl_ptr.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace pam_totp {

using RawPublicKey = std::array<std::uint8_t, 32>;

class HostPublicKey {
  public:
    explicit HostPublicKey(const RawPublicKey& raw) : raw_(raw) {}
    static Result<HostPublicKey> from_pem(std::string_view pem);
    std::string to_pem() const;
    const RawPublicKey& raw() const { return raw_; }
    // First 16 hex digits of SHA-256(raw public key): names the key in files.
    std::string key_id() const;

  private:
    RawPublicKey raw_;
};

// HostPrivateKey::from_pem's error for a passphrase-protected key: the
// module never asks for a passphrase (OpenSSL would read the terminal).
inline constexpr std::string_view kEncryptedHostKeyError =
    "host key is encrypted; pam_totp needs an unencrypted key readable by root";

class HostPrivateKey {
  public:
    static HostPrivateKey generate();  // throws std::runtime_error if OpenSSL fails
    // Reads the first private key block; a public block right after it (as
    // to_pem writes) is taken as the public half instead of deriving it.
    // Never asks for a passphrase: an encrypted key is kEncryptedHostKeyError.
    static Result<HostPrivateKey> from_pem(std::string_view pem);
    // The PKCS#8 "PRIVATE KEY" block followed by the "PUBLIC KEY" block:
    // OpenSSL's tools read the first, the module saves a scalar multiplication
    // per login by reading both.
    SecretBytes to_pem() const;
    HostPublicKey public_key() const;
    EVP_PKEY* get() const { return key_.get(); }

  private:
    explicit HostPrivateKey(PKeyPtr key) : key_(std::move(key)) {}
    PKeyPtr key_;
};

}  // namespace pam_totp
