#include "core/decoy_work.h"

#include <array>

#include "core/recovery_codes.h"
#include "core/seal.h"
#include "core/verifier.h"

namespace pam_totp {
namespace {

// About the size of a real file's sealed payload (20-byte key, 10 recovery
// hashes) and header; AES-GCM over a few bytes more or less costs nothing
// next to the key agreement.
constexpr std::size_t kDecoyPlaintextSize = 400;
constexpr std::size_t kDecoyHeaderSize = 200;

// RFC 7748 section 6.1, Bob's public key: any valid X25519 point serves as
// the ephemeral key, as long as it gives a full-cost key agreement.
constexpr std::array<std::uint8_t, 32> kDecoyEphemeral = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};

}  // namespace

Result<SecretBytes> unseal_decoy(const HostPrivateKey& host) {
    std::array<std::uint8_t, kSealOverhead + kDecoyPlaintextSize> sealed{};
    std::copy(kDecoyEphemeral.begin(), kDecoyEphemeral.end(), sealed.begin());
    const std::array<char, kDecoyHeaderSize> aad{};
    return unseal(host, sealed, std::string_view(aad.data(), aad.size()));
}

void verify_decoy(std::int64_t now, int window, std::string_view typed) {
    const std::array<std::uint8_t, 20> key{};
    (void)verify_totp(key, OtpParams{}, now, window, std::nullopt, typed);
    RecoveryCodes recovery;
    recovery.hashes.resize(kRecoveryCodeCount);
    (void)match_recovery_code(recovery, typed, 0);
}

}  // namespace pam_totp
