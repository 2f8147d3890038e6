#include "core/secret_file.h"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

#include "core/base64.h"
#include "core/hex.h"
#include "core/seal.h"
#include "core/state_record.h"

namespace pam_totp {
namespace {

constexpr std::string_view kMagicLine = "pam_totp 1";
constexpr std::string_view kTaggedMagicLine = "pam_totp 2";
constexpr std::size_t kKeyIdLength = 16;
constexpr std::size_t kEnrollmentIdLength = 32;
constexpr std::size_t kMaxUserLength = 256;
constexpr std::uint8_t kPayloadVersion = 1;

std::string line_error(std::size_t line, std::string_view what) {
    return "line " + std::to_string(line) + ": " + std::string(what);
}

bool is_valid_user(std::string_view s) {
    return !s.empty() && s.size() <= kMaxUserLength &&
           std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; });
}

// A decimal number without sign, leading zeros or trailing junk.
template <class T>
std::optional<T> parse_number(std::string_view s) {
    if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    T value{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
}

struct Line {
    std::size_t number;
    std::string_view key;
    std::string_view value;
};

// Splits into "key value" lines; every line must end in '\n'.
Result<std::vector<Line>> split_lines(std::string_view text) {
    std::vector<Line> lines;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        const std::size_t end = text.find('\n');
        if (end == std::string_view::npos)
            return Error{line_error(number, "no newline at the end (file truncated?)")};
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end + 1);
        if (std::any_of(line.begin(), line.end(),
                        [](char c) { return c == '\r' || c == '\0' || c == '\t'; }))
            return Error{line_error(number, "contains a control character")};
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || space + 1 == line.size())
            return Error{line_error(number, "expected \"key value\"")};
        lines.push_back({number, line.substr(0, space), line.substr(space + 1)});
    }
    return lines;
}

Status apply_field(SecretHeader& h, const Line& line) {
    const std::string_view v = line.value;
    if (line.key == "user") {
        if (!is_valid_user(v)) return Error{line_error(line.number, "invalid user name")};
        h.user = std::string(v);
    } else if (line.key == "type") {
        if (v == "totp")
            h.otp.type = OtpType::totp;
        else if (v == "hotp")
            h.otp.type = OtpType::hotp;
        else
            return Error{line_error(line.number, "type must be totp or hotp")};
    } else if (line.key == "algorithm") {
        auto alg = parse_algorithm(v);
        if (!alg) return Error{line_error(line.number, "algorithm must be SHA1, SHA256 or SHA512")};
        h.otp.algorithm = *alg;
    } else if (line.key == "digits") {
        auto d = parse_number<int>(v);
        if (!d || *d < kMinDigits || *d > kMaxDigits)
            return Error{line_error(line.number, "digits must be 6 to 8")};
        h.otp.digits = *d;
    } else if (line.key == "period") {
        auto p = parse_number<int>(v);
        if (!p || *p < kMinPeriod || *p > kMaxPeriod)
            return Error{line_error(line.number, "period must be 15 to 300")};
        h.otp.period = *p;
    } else if (line.key == "counter") {
        auto c = parse_number<std::uint64_t>(v);
        if (!c || *c > (std::uint64_t{1} << 62))
            return Error{line_error(line.number, "invalid counter")};
        h.counter = *c;
    } else if (line.key == "used-step") {
        auto step = parse_number<std::uint64_t>(v);
        if (!step || *step > (std::uint64_t{1} << 62))
            return Error{line_error(line.number, "invalid used-step")};
        h.used_step = *step;
    } else if (line.key == "created") {
        auto c = parse_number<std::int64_t>(v);
        if (!c) return Error{line_error(line.number, "invalid creation time")};
        h.created = *c;
    } else if (line.key == "key-id") {
        if (!is_lower_hex(v, kKeyIdLength))
            return Error{line_error(line.number, "key-id must be 16 hex digits")};
        h.key_id = std::string(v);
    } else if (line.key == "enrollment-id") {
        if (!is_lower_hex(v, kEnrollmentIdLength))
            return Error{line_error(line.number, "enrollment-id must be 32 hex digits")};
        h.enrollment_id = std::string(v);
    } else {
        return Error{
            line_error(line.number, "unknown key \"" + std::string(line.key.substr(0, 32)) + "\"")};
    }
    return {};
}

Status check_required(const SecretHeader& h, const std::map<std::string_view, std::size_t>& seen) {
    std::vector<std::string_view> required = {"user",    "type",   "algorithm",    "digits",
                                              "created", "key-id", "enrollment-id"};
    required.push_back(h.otp.type == OtpType::totp ? "period" : "counter");
    for (std::string_view key : required)
        if (!seen.count(key)) return Error{"missing key \"" + std::string(key) + "\""};
    const std::string_view forbidden = h.otp.type == OtpType::totp ? "counter" : "period";
    if (auto it = seen.find(forbidden); it != seen.end())
        return Error{line_error(it->second, std::string(forbidden) + " is not allowed for type " +
                                                std::string(otp_type_name(h.otp.type)))};
    if (auto it = seen.find("used-step"); it != seen.end() && h.otp.type != OtpType::totp)
        return Error{line_error(it->second, "used-step is not allowed for type hotp")};
    return {};
}

void append_line(std::string& out, std::string_view key, std::string_view value) {
    out.append(key).append(" ").append(value).append("\n");
}

}  // namespace

std::string new_enrollment_id() {
    std::uint8_t id[kEnrollmentIdLength / 2];
    if (RAND_bytes(id, sizeof id) != 1)
        throw std::runtime_error("the OpenSSL random generator failed");
    return to_hex(id);
}

std::string format_secret_header(const SecretHeader& h) {
    std::string out;
    out.append(h.version == 2 ? kTaggedMagicLine : kMagicLine).append("\n");
    append_line(out, "user", h.user);
    append_line(out, "type", otp_type_name(h.otp.type));
    append_line(out, "algorithm", algorithm_name(h.otp.algorithm));
    append_line(out, "digits", std::to_string(h.otp.digits));
    if (h.otp.type == OtpType::totp) {
        append_line(out, "period", std::to_string(h.otp.period));
        if (h.used_step) append_line(out, "used-step", std::to_string(*h.used_step));
    } else {
        append_line(out, "counter", std::to_string(h.counter));
    }
    append_line(out, "created", std::to_string(h.created));
    append_line(out, "key-id", h.key_id);
    append_line(out, "enrollment-id", h.enrollment_id);
    return out;
}

namespace {

Result<RootTag> parse_tag(const Line& line) {
    // "tag UID EXPIRES HEX"
    const std::string_view v = line.value;
    const std::size_t first = v.find(' ');
    const std::size_t second = first == std::string_view::npos ? first : v.find(' ', first + 1);
    if (second == std::string_view::npos)
        return Error{line_error(line.number, "tag must be \"UID EXPIRES HMAC\"")};
    const auto uid = parse_number<std::uint32_t>(v.substr(0, first));
    const auto expires = parse_number<std::int64_t>(v.substr(first + 1, second - first - 1));
    const std::string_view hex = v.substr(second + 1);
    if (!uid || !expires || !is_lower_hex(hex, 64))
        return Error{line_error(line.number, "tag must be \"UID EXPIRES HMAC\"")};
    RootTag tag;
    tag.uid = *uid;
    tag.expires = *expires;
    if (!from_hex(hex, tag.mac))
        return Error{line_error(line.number, "tag must be \"UID EXPIRES HMAC\"")};
    return tag;
}

}  // namespace

Result<ParsedSecretFile> parse_secret_file(std::string_view text) {
    if (text.size() > kMaxSecretFileSize)
        return Error{"file is larger than " + std::to_string(kMaxSecretFileSize) + " bytes"};
    if (text.empty()) return Error{"file is empty"};
    int version = 0;
    if (text.starts_with(std::string(kMagicLine) + "\n")) version = 1;
    if (text.starts_with(std::string(kTaggedMagicLine) + "\n")) version = 2;
    if (version == 0) return Error{"line 1: not a pam_totp version 1 or 2 secret file"};
    auto lines = split_lines(text);
    if (!lines) return lines.error();

    ParsedSecretFile file;
    file.header.version = version;
    std::string_view body = text;
    if (version == 2) {
        if (lines->size() < 3) return Error{"file is truncated"};
        const Line& tag_line = lines->back();
        if (tag_line.key != "tag")
            return Error{line_error(tag_line.number, "a version 2 file must end with \"tag\"")};
        auto tag = parse_tag(tag_line);
        if (!tag) return tag.error();
        file.tag = *tag;
        body = text.substr(0, text.size() - (tag_line.key.size() + 1 + tag_line.value.size() + 1));
        lines->pop_back();
    }
    if (lines->size() < 2) return Error{"file is truncated after line 1"};
    file.body_hash = sha256_of(body);

    std::map<std::string_view, std::size_t> seen;
    for (std::size_t i = 1; i + 1 < lines->size(); ++i) {
        const Line& line = (*lines)[i];
        if (!seen.emplace(line.key, line.number).second)
            return Error{
                line_error(line.number, "duplicate key \"" + std::string(line.key) + "\"")};
        if (auto status = apply_field(file.header, line); !status) return status.error();
    }
    const Line& last = lines->back();
    if (last.key != "sealed")
        return Error{line_error(last.number, "the last line must be \"sealed\"")};
    if (auto status = check_required(file.header, seen); !status) return status.error();

    auto sealed = base64_decode(last.value);
    if (!sealed) return Error{line_error(last.number, sealed.error().message)};
    if (sealed->size() <= kSealOverhead)
        return Error{line_error(last.number, "sealed data is too short")};
    file.sealed = std::move(*sealed);
    file.aad =
        std::string(body.substr(0, body.size() - (last.key.size() + 1 + last.value.size() + 1)));
    return file;
}

Result<std::string> seal_secret_file(const SecretHeader& header, const SecretPayload& payload,
                                     const HostPublicKey& host) {
    if (header.key_id != host.key_id())
        return Error{"the header's key-id does not match the host key"};
    const std::string aad = format_secret_header(header);
    const SecretBytes plaintext = encode_payload(payload);
    auto sealed = seal(host, plaintext.span(), aad);
    if (!sealed) return sealed.error();
    std::string text = aad + "sealed " + base64_encode(*sealed) + "\n";
    if (text.size() > kMaxSecretFileSize) return Error{"the secret file would exceed 4096 bytes"};
    // Version 2 is complete only with its tag (add_root_tag checks it then).
    if (header.version == 2) return text;
    // Round-trip through the parser: never write a file the module would refuse.
    if (auto parsed = parse_secret_file(text); !parsed)
        return Error{"internal error: " + parsed.error().message};
    return text;
}

namespace {

TagInput tag_input(const ParsedSecretFile& file, std::uint32_t uid, std::int64_t expires) {
    return TagInput{.user = file.header.user,
                    .uid = uid,
                    .enrollment_id = file.header.enrollment_id,
                    .created = file.header.created,
                    .expires = expires,
                    .body_hash = file.body_hash};
}

}  // namespace

Result<std::string> add_root_tag(std::string_view text, const HostPrivateKey& host,
                                 std::uint32_t uid, std::int64_t expires) {
    if (!text.starts_with(std::string(kTaggedMagicLine) + "\n"))
        return Error{"internal error: only a version 2 file takes a tag"};
    // Parse the body as if it were untagged to read its header.
    std::string as_v1 = std::string(kMagicLine) + std::string(text.substr(kTaggedMagicLine.size()));
    auto body = parse_secret_file(as_v1);
    if (!body) return Error{"internal error: " + body.error().message};
    body->body_hash = sha256_of(text);
    auto line = format_root_tag(host, tag_input(*body, uid, expires));
    if (!line) return line.error();
    std::string tagged = std::string(text) + *line;
    if (tagged.size() > kMaxSecretFileSize) return Error{"the secret file would exceed 4096 bytes"};
    auto parsed = parse_secret_file(tagged);
    if (!parsed || !root_tag_is_valid(*parsed, host, uid))
        return Error{"internal error: the tagged file does not verify"};
    return tagged;
}

bool root_tag_is_valid(const ParsedSecretFile& file, const HostPrivateKey& host,
                       std::uint32_t uid) {
    if (!file.tag) return false;
    return root_tag_is_valid(host, tag_input(file, uid, file.tag->expires), *file.tag);
}

Result<std::string> reseal_secret_file(std::string_view text, const HostPrivateKey& from,
                                       const HostPublicKey& to) {
    auto parsed = parse_secret_file(text);
    if (!parsed) return parsed.error();
    auto payload = open_secret_file(*parsed, from);
    if (!payload) return payload.error();
    SecretHeader header = parsed->header;
    header.key_id = to.key_id();
    header.version = 1;
    return seal_secret_file(header, *payload, to);
}

Result<SecretPayload> open_secret_file(const ParsedSecretFile& file, const HostPrivateKey& host) {
    const std::string host_id = host.public_key().key_id();
    if (file.header.key_id != host_id)
        return Error{"sealed to another host key (file key-id " + file.header.key_id +
                     ", this host's key-id " + host_id + ")"};
    auto plaintext = unseal(host, file.sealed, file.aad);
    if (!plaintext) return plaintext.error();
    return decode_payload(plaintext->span());
}

SecretBytes encode_payload(const SecretPayload& payload) {
    if (payload.key.size() < kMinKeySize || payload.key.size() > kMaxKeySize)
        throw std::invalid_argument("OTP key size out of range");
    if (payload.recovery.hashes.size() > static_cast<std::size_t>(kMaxRecoveryCodes))
        throw std::invalid_argument("too many recovery codes");
    const std::size_t size = 2 + payload.key.size() + kRecoverySaltSize + 1 +
                             payload.recovery.hashes.size() * sizeof(RecoveryHash);
    SecretBytes out(size);
    std::uint8_t* p = out.data();
    *p++ = kPayloadVersion;
    *p++ = static_cast<std::uint8_t>(payload.key.size());
    p = std::copy(payload.key.data(), payload.key.data() + payload.key.size(), p);
    p = std::copy(payload.recovery.salt.begin(), payload.recovery.salt.end(), p);
    *p++ = static_cast<std::uint8_t>(payload.recovery.hashes.size());
    for (const RecoveryHash& hash : payload.recovery.hashes)
        p = std::copy(hash.begin(), hash.end(), p);
    return out;
}

Result<SecretPayload> decode_payload(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 2 || bytes[0] != kPayloadVersion) return Error{"unknown payload version"};
    const std::size_t key_size = bytes[1];
    if (key_size < kMinKeySize || key_size > kMaxKeySize)
        return Error{"payload: OTP key size out of range"};
    if (bytes.size() < 2 + key_size + kRecoverySaltSize + 1) return Error{"payload: truncated"};
    SecretPayload payload;
    payload.key = SecretBytes(bytes.subspan(2, key_size));
    std::size_t at = 2 + key_size;
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), kRecoverySaltSize,
                payload.recovery.salt.begin());
    at += kRecoverySaltSize;
    const std::size_t count = bytes[at++];
    if (count > static_cast<std::size_t>(kMaxRecoveryCodes))
        return Error{"payload: too many recovery codes"};
    if (bytes.size() != at + count * sizeof(RecoveryHash)) return Error{"payload: wrong length"};
    payload.recovery.hashes.resize(count);
    for (RecoveryHash& hash : payload.recovery.hashes) {
        std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), hash.size(), hash.begin());
        at += hash.size();
    }
    return payload;
}

}  // namespace pam_totp
