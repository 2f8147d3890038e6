#include "core/root_tag.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/seal.h"

namespace pam_totp {
namespace {

constexpr std::string_view kTagInfo = "pam_totp tag v1";

void append_u64(std::string& out, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// Each field prefixed with its length, so no two inputs share an encoding.
void append_field(std::string& out, std::string_view field) {
    append_u64(out, field.size());
    out.append(field);
}

std::string tag_message(const TagInput& in) {
    std::string message;
    append_field(message, "pam_totp tag v1");
    append_field(message, in.user);
    std::string number;
    append_u64(number, in.uid);
    append_field(message, number);
    append_field(message, in.enrollment_id);
    number.clear();
    append_u64(number, static_cast<std::uint64_t>(in.created));
    append_field(message, number);
    number.clear();
    append_u64(number, static_cast<std::uint64_t>(in.expires));
    append_field(message, number);
    append_field(message, std::string_view(reinterpret_cast<const char*>(in.body_hash.data()),
                                           in.body_hash.size()));
    return message;
}

Result<SecretBytes> tag_key(const HostPrivateKey& host) {
    SecretBytes raw(32);
    std::size_t length = raw.size();
    if (EVP_PKEY_get_raw_private_key(host.get(), raw.data(), &length) != 1 || length != 32)
        return Error{"cannot read the host private key for the tag key"};
    const RawPublicKey pub = host.public_key().raw();
    return hkdf_sha256(raw.span(), pub, kTagInfo, 32);
}

}  // namespace

Result<Sha256> compute_root_tag(const HostPrivateKey& host, const TagInput& input) {
    auto key = tag_key(host);
    if (!key) return key.error();
    const std::string message = tag_message(input);
    Sha256 mac{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
              &length) ||
        length != mac.size())
        return Error{"HMAC-SHA256 failed"};
    return mac;
}

Result<std::string> format_root_tag(const HostPrivateKey& host, const TagInput& input) {
    auto mac = compute_root_tag(host, input);
    if (!mac) return mac.error();
    return "tag " + std::to_string(input.uid) + " " + std::to_string(input.expires) + " " +
           to_hex(*mac) + "\n";
}

bool root_tag_is_valid(const HostPrivateKey& host, const TagInput& input, const RootTag& tag) {
    if (tag.uid != input.uid || tag.expires != input.expires) return false;
    auto mac = compute_root_tag(host, input);
    return mac && CRYPTO_memcmp(mac->data(), tag.mac.data(), tag.mac.size()) == 0;
}

}  // namespace pam_totp
