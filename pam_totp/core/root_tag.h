// Root's tag on a secret file (version 2): an HMAC that only a holder of the
// host private key can make, so a file root wrote for a user (lost phone,
// shared homes) is adopted without the old authenticator's code on every
// host that has the key. Key = HKDF-SHA256(host private key, salt = host
// public key, info "pam_totp tag v1"). It covers, length-prefixed: user, uid,
// enrollment-id, created, expiry and the SHA-256 of every byte of the file
// before the tag line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/host_key.h"
#include "core/result.h"
#include "core/state_record.h"

namespace pam_totp {

// How long a tag lets hosts adopt the file without the old code.
constexpr std::int64_t kDefaultTagLifetime = 14 * 24 * 3600;
// A tag that claims longer than this is not honoured.
constexpr std::int64_t kMaxTagLifetime = 30 * 24 * 3600;

struct RootTag {
    std::uint32_t uid = 0;
    std::int64_t expires = 0;  // unix seconds
    Sha256 mac{};
};

struct TagInput {
    std::string_view user;
    std::uint32_t uid = 0;
    std::string_view enrollment_id;
    std::int64_t created = 0;
    std::int64_t expires = 0;
    Sha256 body_hash{};  // SHA-256 of the file before the tag line
};

Result<Sha256> compute_root_tag(const HostPrivateKey& host, const TagInput& input);

// The whole tag line, "tag UID EXPIRES HEX\n".
Result<std::string> format_root_tag(const HostPrivateKey& host, const TagInput& input);

// Constant-time check of `tag` for `input` (tag.uid and tag.expires must
// already be in `input`); says nothing about expiry, which the caller judges.
bool root_tag_is_valid(const HostPrivateKey& host, const TagInput& input, const RootTag& tag);

}  // namespace pam_totp
