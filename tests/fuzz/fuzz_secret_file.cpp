// Secret file path as the module runs it: strict parse of untrusted text
// (the file lives in a user's home; versions 1 and 2, the latter with root's
// tag), then the tag check, key-id check, AEAD open and payload
// decode with the host key. The payload decoder is also fed the raw input,
// since the fuzzer cannot forge a GCM tag to reach it through open().
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/secret_file.h"
#include "fuzz_common.h"

using namespace pam_totp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const HostPrivateKey& host = fuzz::test_host_key();

    auto parsed = parse_secret_file(text);
    if (parsed) {
        // What the parser accepted must be self-consistent: the AAD is the
        // file's prefix, and the header written back out in canonical order
        // parses to the same values (nothing was half-read or misassigned).
        FUZZ_CHECK(text.substr(0, parsed->aad.size()) == parsed->aad);
        std::string canonical =
            format_secret_header(parsed->header) + "sealed " + base64_encode(parsed->sealed) + "\n";
        if (parsed->tag) {
            // Version 2: root's tag, whose MAC only the host key can make;
            // checking it must not crash whatever the file claims.
            (void)root_tag_is_valid(*parsed, host, parsed->tag->uid);
            canonical += "tag " + std::to_string(parsed->tag->uid) + " " +
                         std::to_string(parsed->tag->expires) + " " + to_hex(parsed->tag->mac) +
                         "\n";
        }
        FUZZ_CHECK(parsed->tag.has_value() == (parsed->header.version == 2));
        auto again = parse_secret_file(canonical);
        FUZZ_CHECK(again);
        const SecretHeader& a = parsed->header;
        const SecretHeader& b = again->header;
        FUZZ_CHECK(a.user == b.user && a.otp.type == b.otp.type &&
                   a.otp.algorithm == b.otp.algorithm && a.otp.digits == b.otp.digits &&
                   a.created == b.created && a.key_id == b.key_id &&
                   a.enrollment_id == b.enrollment_id && again->sealed == parsed->sealed &&
                   a.version == b.version);
        FUZZ_CHECK(a.otp.type == OtpType::hotp ? a.counter == b.counter
                                               : a.otp.period == b.otp.period);
        FUZZ_CHECK(parsed->header.otp.digits >= kMinDigits &&
                   parsed->header.otp.digits <= kMaxDigits);
        auto opened = open_secret_file(*parsed, host);
        if (opened) {
            FUZZ_CHECK(opened->key.size() >= kMinKeySize && opened->key.size() <= kMaxKeySize);
            FUZZ_CHECK(opened->recovery.hashes.size() <=
                       static_cast<std::size_t>(kMaxRecoveryCodes));
        }
    } else {
        FUZZ_CHECK(!parsed.error().message.empty());
    }

    auto payload = decode_payload(std::span(data, size));
    if (payload) {
        // A payload that decodes re-encodes to the same bytes.
        const SecretBytes again = encode_payload(*payload);
        FUZZ_CHECK(again.size() == size && std::equal(data, data + size, again.data()));
    }
    return 0;
}
