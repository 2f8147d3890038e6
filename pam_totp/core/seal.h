// The crypto envelope of secret files: ECIES-style sealing to the host key.
// X25519 ECDH(ephemeral, host) -> HKDF-SHA256(salt = eph_pub || host_pub,
// info = "pam_totp v1 seal") -> AES-256-GCM with caller-supplied AAD.
// Sealed bytes: eph_pub (32) || nonce (12) || ciphertext || tag (16).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/host_key.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace pam_totp {

constexpr std::size_t kSealOverhead = 32 + 12 + 16;

// HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF.
Result<SecretBytes> hkdf_sha256(std::span<const std::uint8_t> key,
                                std::span<const std::uint8_t> salt, std::string_view info,
                                std::size_t length);

Result<std::vector<std::uint8_t>> seal(const HostPublicKey& host,
                                       std::span<const std::uint8_t> plaintext,
                                       std::string_view aad);

// Fails with one message for any tampering (header, ciphertext or tag): GCM
// cannot tell them apart and an attacker should not learn which.
Result<SecretBytes> unseal(const HostPrivateKey& host, std::span<const std::uint8_t> sealed,
                           std::string_view aad);

}  // namespace pam_totp
