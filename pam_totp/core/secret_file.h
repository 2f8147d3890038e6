// Secret file format (see man pam_totp(5)): text header lines, all bound
// into the AEAD as associated data, then one `sealed` line holding the OTP key
// and the recovery-code hashes sealed to the host key. Version 2 is version 1
// plus a last `tag` line: root's HMAC over the rest (core/root_tag.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_key.h"
#include "core/otp.h"
#include "core/recovery_codes.h"
#include "core/result.h"
#include "core/root_tag.h"
#include "core/secret_bytes.h"

namespace pam_totp {

constexpr std::size_t kMaxSecretFileSize = 4096;
constexpr std::size_t kDefaultKeySize = 20;  // 160 bits, RFC 4226 section 4
constexpr std::size_t kMinKeySize = 10;      // 80 bits: google-authenticator's size
constexpr std::size_t kMaxKeySize = 64;

struct SecretHeader {
    int version = 1;  // 2: carries root's tag
    std::string user;
    OtpParams otp;
    std::uint64_t counter = 0;  // HOTP only: the next counter the token will show
    // TOTP only, optional: the time step of the code typed to confirm the
    // enrolment. The module treats it as already used, so that code (seen
    // over a shoulder while enrolling) cannot log in.
    std::optional<std::uint64_t> used_step;
    std::int64_t created = 0;
    std::string key_id;         // HostPublicKey::key_id() of the key it is sealed to
    std::string enrollment_id;  // 32 hex digits, new for every enrolment
};

struct SecretPayload {
    SecretBytes key;
    RecoveryCodes recovery;
};

struct ParsedSecretFile {
    SecretHeader header;
    std::string aad;  // the header lines exactly as they stand in the file
    std::vector<std::uint8_t> sealed;
    std::optional<RootTag> tag;  // version 2 only
    Sha256 body_hash{};          // SHA-256 of every byte before the tag line
};

std::string new_enrollment_id();

// The header lines (each ending in '\n') that precede `sealed`.
std::string format_secret_header(const SecretHeader& header);

// Strict parse: size cap, exact first line, known keys once each, values in
// range, `sealed` last; every refusal names the line and what is wrong.
Result<ParsedSecretFile> parse_secret_file(std::string_view text);

// The complete file text.
Result<std::string> seal_secret_file(const SecretHeader& header, const SecretPayload& payload,
                                     const HostPublicKey& host);

// totp-enroll --rekey: the same enrolment sealed to `to` instead: header
// and payload unchanged but for the key-id (same enrollment-id, created,
// counters, recovery codes). Root's tag is never carried over, so a version
// 2 file comes out as version 1: a key that may have leaked must not vouch
// for anything after the rekey (root tags again if it wants to).
Result<std::string> reseal_secret_file(std::string_view text, const HostPrivateKey& from,
                                       const HostPublicKey& to);

// Appends root's tag to a version 2 file text (as seal_secret_file made it).
Result<std::string> add_root_tag(std::string_view text, const HostPrivateKey& host,
                                 std::uint32_t uid, std::int64_t expires);

// True when `file` carries a tag that this host key made for its user, its
// enrollment and `uid` (expiry is the caller's to judge).
bool root_tag_is_valid(const ParsedSecretFile& file, const HostPrivateKey& host, std::uint32_t uid);

// Checks the key-id, then authenticates and decrypts.
Result<SecretPayload> open_secret_file(const ParsedSecretFile& file, const HostPrivateKey& host);

// The sealed plaintext: version (1), key length, key, salt, hash count, hashes.
SecretBytes encode_payload(const SecretPayload& payload);
Result<SecretPayload> decode_payload(std::span<const std::uint8_t> bytes);

}  // namespace pam_totp
