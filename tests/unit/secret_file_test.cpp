// Secret file v1: format, strict parsing, sealing and opening.
#include "core/secret_file.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/base64.h"
#include "core/host_key.h"
#include "core/recovery_codes.h"
#include "core/state_record.h"
#include "test_util.h"

using namespace pam_totp;
using test_util::string_of;

namespace {

struct Enrollment {
    HostPrivateKey host = HostPrivateKey::generate();
    SecretHeader header;
    SecretPayload payload;
    std::string text;  // the sealed file
};

SecretHeader header_for(const HostPublicKey& host, OtpType type) {
    SecretHeader header;
    header.user = "alice";
    header.otp = {.type = type, .algorithm = Algorithm::sha256, .digits = 8, .period = 45};
    header.counter = type == OtpType::hotp ? 17 : 0;
    header.created = 1795420000;
    header.key_id = host.key_id();
    header.enrollment_id = new_enrollment_id();
    return header;
}

Enrollment enroll(OtpType type = OtpType::totp, int recovery_codes = kRecoveryCodeCount) {
    Enrollment e;
    e.header = header_for(e.host.public_key(), type);
    e.payload.key = SecretBytes::random(kDefaultKeySize);
    e.payload.recovery = make_recovery_codes(generate_recovery_codes(recovery_codes));
    auto text = seal_secret_file(e.header, e.payload, e.host.public_key());
    INFO(text.error().message);
    REQUIRE(text.ok());
    e.text = std::move(*text);
    return e;
}

// Parses and opens; the error of whichever step refused.
Result<SecretPayload> parse_and_open(std::string_view text, const HostPrivateKey& host) {
    auto parsed = parse_secret_file(text);
    if (!parsed) return parsed.error();
    return open_secret_file(*parsed, host);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(text.substr(start, end - start));
    return lines;
}

// Replaces the line whose key is `key` by `replacement` (several lines, or
// none when empty).
std::string replace_line(const std::string& text, std::string_view key,
                         const std::string& replacement) {
    std::string out;
    for (const auto& line : lines_of(text)) {
        if (line.rfind(std::string(key) + " ", 0) == 0) {
            if (!replacement.empty()) out += replacement + "\n";
        } else {
            out += line + "\n";
        }
    }
    REQUIRE(out != text);
    return out;
}

std::string sealed_value(const std::string& text) {
    const auto lines = lines_of(text);
    REQUIRE(lines.back().rfind("sealed ", 0) == 0);
    return lines.back().substr(7);
}

void check_same_payload(const SecretPayload& a, const SecretPayload& b) {
    CHECK(string_of(a.key) == string_of(b.key));
    CHECK(a.recovery.salt == b.recovery.salt);
    CHECK(a.recovery.hashes == b.recovery.hashes);
}

}  // namespace

TEST_CASE("a sealed TOTP secret file has the documented layout and opens again", "[secret_file]") {
    const Enrollment e = enroll();
    const auto lines = lines_of(e.text);
    REQUIRE(lines.size() == 10);
    CHECK(lines[0] == "pam_totp 1");
    CHECK(lines[1] == "user alice");
    CHECK(lines[2] == "type totp");
    CHECK(lines[3] == "algorithm SHA256");
    CHECK(lines[4] == "digits 8");
    CHECK(lines[5] == "period 45");
    CHECK(lines[6] == "created 1795420000");
    CHECK(lines[7] == "key-id " + e.host.public_key().key_id());
    CHECK(lines[8] == "enrollment-id " + e.header.enrollment_id);
    CHECK(lines[9].rfind("sealed ", 0) == 0);
    CHECK(e.text.size() <= kMaxSecretFileSize);

    auto parsed = parse_secret_file(e.text);
    REQUIRE(parsed.ok());
    CHECK(parsed->aad == format_secret_header(e.header));
    CHECK(parsed->header.user == "alice");
    CHECK(parsed->header.otp.type == OtpType::totp);
    CHECK(parsed->header.otp.algorithm == Algorithm::sha256);
    CHECK(parsed->header.otp.digits == 8);
    CHECK(parsed->header.otp.period == 45);
    CHECK(parsed->header.created == 1795420000);
    CHECK(parsed->header.key_id == e.header.key_id);
    CHECK(parsed->header.enrollment_id == e.header.enrollment_id);

    auto opened = open_secret_file(*parsed, e.host);
    INFO(opened.error().message);
    REQUIRE(opened.ok());
    check_same_payload(*opened, e.payload);
    REQUIRE(opened->recovery.hashes.size() == kRecoveryCodeCount);
}

TEST_CASE("a sealed HOTP secret file keeps its counter and opens again", "[secret_file]") {
    const Enrollment e = enroll(OtpType::hotp);
    const auto lines = lines_of(e.text);
    CHECK(lines[2] == "type hotp");
    CHECK(lines[5] == "counter 17");
    auto parsed = parse_secret_file(e.text);
    REQUIRE(parsed.ok());
    CHECK(parsed->header.otp.type == OtpType::hotp);
    CHECK(parsed->header.counter == 17);
    auto opened = open_secret_file(*parsed, e.host);
    REQUIRE(opened.ok());
    check_same_payload(*opened, e.payload);
}

TEST_CASE("the largest payload (64-byte key, 32 recovery codes) fits and opens", "[secret_file]") {
    Enrollment e;
    e.header = header_for(e.host.public_key(), OtpType::totp);
    e.payload.key = SecretBytes::random(kMaxKeySize);
    e.payload.recovery = make_recovery_codes(generate_recovery_codes(kMaxRecoveryCodes));
    auto text = seal_secret_file(e.header, e.payload, e.host.public_key());
    REQUIRE(text.ok());
    auto opened = parse_and_open(*text, e.host);
    REQUIRE(opened.ok());
    check_same_payload(*opened, e.payload);
}

TEST_CASE("flipping any byte of any header line makes the file fail to open", "[secret_file]") {
    const Enrollment e = enroll();
    const std::size_t header_size = format_secret_header(e.header).size();
    int reached_open = 0;  // edits the parser accepted, so the AEAD had to refuse them
    for (std::size_t i = 0; i < header_size; ++i) {
        for (const int mask : {0x01, 0x20}) {
            std::string text = e.text;
            text[i] = static_cast<char>(text[i] ^ mask);
            INFO("byte " << i << " of the header, mask " << mask << ":\n"
                         << text.substr(0, header_size));
            auto parsed = parse_secret_file(text);
            if (!parsed) {
                CHECK_FALSE(parsed.error().message.empty());
                continue;
            }
            ++reached_open;
            auto opened = open_secret_file(*parsed, e.host);
            CHECK_FALSE(opened.ok());
        }
    }
    // user, digits, period, created and enrollment-id edits parse fine.
    CHECK(reached_open > 40);
}

TEST_CASE("flipping any byte of the sealed data (key, nonce, ciphertext, tag) makes open fail",
          "[secret_file]") {
    const Enrollment e = enroll();
    auto sealed = base64_decode(sealed_value(e.text));
    REQUIRE(sealed.ok());
    for (std::size_t i = 0; i < sealed->size(); ++i) {
        std::vector<std::uint8_t> changed = *sealed;
        changed[i] ^= 0x01;
        const std::string text = replace_line(e.text, "sealed", "sealed " + base64_encode(changed));
        auto parsed = parse_secret_file(text);
        INFO("sealed byte " << i << " of " << sealed->size());
        REQUIRE(parsed.ok());
        auto opened = open_secret_file(*parsed, e.host);
        CHECK_FALSE(opened.ok());
        if (i >= 44) CHECK_THAT(opened.error().message, Catch::Contains("authentication failed"));
    }
}

TEST_CASE("changing any bit of any character of the file text makes it fail", "[secret_file]") {
    // Covers the base64 text too: no other spelling of the sealed bytes is accepted.
    for (int recovery_codes : {0, 1, 2}) {  // base64 with 0, 1 and 2 '=' of padding
        const Enrollment e = enroll(OtpType::totp, recovery_codes);
        for (std::size_t i = 0; i < e.text.size(); ++i) {
            for (int bit = 0; bit < 8; ++bit) {
                std::string text = e.text;
                text[i] = static_cast<char>(text[i] ^ (1 << bit));
                INFO("recovery codes " << recovery_codes << ", character " << i << ", bit " << bit);
                CHECK_FALSE(parse_and_open(text, e.host).ok());
            }
        }
    }
}

TEST_CASE("opening with another host key names the key-id mismatch", "[secret_file]") {
    const Enrollment e = enroll();
    const HostPrivateKey other = HostPrivateKey::generate();
    auto parsed = parse_secret_file(e.text);
    REQUIRE(parsed.ok());
    auto opened = open_secret_file(*parsed, other);
    REQUIRE_FALSE(opened.ok());
    CHECK_THAT(opened.error().message, Catch::Contains("key-id"));
    CHECK_THAT(opened.error().message, Catch::Contains(e.host.public_key().key_id()));
    CHECK_THAT(opened.error().message, Catch::Contains(other.public_key().key_id()));

    // A file whose key-id line was rewritten to the other key still fails.
    const std::string forged =
        replace_line(e.text, "key-id", "key-id " + other.public_key().key_id());
    CHECK_FALSE(parse_and_open(forged, other).ok());
}

TEST_CASE("seal_secret_file refuses a header naming another key", "[secret_file]") {
    Enrollment e = enroll();
    const HostPrivateKey other = HostPrivateKey::generate();
    auto text = seal_secret_file(e.header, e.payload, other.public_key());
    REQUIRE_FALSE(text.ok());
    CHECK_THAT(text.error().message, Catch::Contains("key-id"));
}

TEST_CASE("every truncation of a secret file is refused", "[secret_file]") {
    const Enrollment e = enroll();
    for (std::size_t size = 0; size < e.text.size(); ++size) {
        INFO("truncated to " << size << " of " << e.text.size() << " bytes");
        auto result = parse_and_open(e.text.substr(0, size), e.host);
        REQUIRE_FALSE(result.ok());
        CHECK_FALSE(result.error().message.empty());
    }
    auto cut = parse_secret_file(e.text.substr(0, e.text.size() - 20));
    REQUIRE_FALSE(cut.ok());
    CHECK_THAT(cut.error().message, Catch::Contains("line 10") && Catch::Contains("truncated"));
    auto empty = parse_secret_file("");
    REQUIRE_FALSE(empty.ok());
    CHECK_THAT(empty.error().message, Catch::Contains("empty"));
}

TEST_CASE("a 5 MiB secret file is refused for its size", "[secret_file]") {
    const Enrollment e = enroll();
    std::string huge = e.text;
    while (huge.size() < 5 * 1024 * 1024) huge += "created 1795420000\n";
    auto parsed = parse_secret_file(huge);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Catch::Contains("larger than 4096 bytes"));
    auto one_over = parse_secret_file(std::string(kMaxSecretFileSize + 1, 'x'));
    REQUIRE_FALSE(one_over.ok());
    CHECK_THAT(one_over.error().message, Catch::Contains("larger than"));
}

TEST_CASE("malformed secret files are refused with a message naming the problem", "[secret_file]") {
    const Enrollment totp = enroll(OtpType::totp);
    const Enrollment hotp = enroll(OtpType::hotp);
    const std::string sealed = sealed_value(totp.text);
    struct Case {
        const char* what;
        const Enrollment& file;
        const char* key;                    // the line to replace ...
        std::string replacement;            // ... by these lines (none if empty)
        std::vector<std::string> expected;  // substrings of the message
    };
    const std::vector<Case> cases = {
        {"a duplicate key",
         totp,
         "digits",
         "digits 8\ndigits 8",
         {"line 6", "duplicate key \"digits\""}},
        {"an unknown key",
         totp,
         "user",
         "user alice\ncolour blue",
         {"line 3", "unknown key \"colour\""}},
        {"bad base64", totp, "sealed", "sealed " + sealed + "*", {"line 10", "base64"}},
        {"a base64 line broken in two",
         totp,
         "sealed",
         "sealed " + sealed.substr(0, 40) + "\n" + sealed.substr(40),
         {"line 11"}},
        {"sealed data too short", totp, "sealed", "sealed AAAA", {"line 10", "too short"}},
        {"digits 9", totp, "digits", "digits 9", {"line 5", "digits must be 6 to 8"}},
        {"digits 5", totp, "digits", "digits 5", {"line 5", "digits"}},
        {"digits with a leading zero", totp, "digits", "digits 06", {"line 5", "digits"}},
        {"period 14", totp, "period", "period 14", {"line 6", "period must be 15 to 300"}},
        {"period 301", totp, "period", "period 301", {"line 6", "period"}},
        {"a missing key", totp, "created", "", {"missing key \"created\""}},
        {"a missing period", totp, "period", "", {"missing key \"period\""}},
        {"a missing key-id", totp, "key-id", "", {"missing key \"key-id\""}},
        {"a missing sealed line", totp, "sealed", "", {"line 9", "last line must be \"sealed\""}},
        {"a period on hotp",
         hotp,
         "counter",
         "counter 17\nperiod 30",
         {"line 7", "period is not allowed for type hotp"}},
        {"a counter on totp",
         totp,
         "period",
         "period 45\ncounter 3",
         {"line 7", "counter is not allowed for type totp"}},
        {"a missing counter on hotp", hotp, "counter", "", {"missing key \"counter\""}},
        {"another version", totp, "pam_totp", "pam_totp 3", {"line 1", "version 1 or 2"}},
        {"version 2 without its tag", totp, "pam_totp", "pam_totp 2", {"must end with \"tag\""}},
        {"no magic line", totp, "pam_totp", "", {"line 1"}},
        {"an unknown type", totp, "type", "type motp", {"line 3", "type must be totp or hotp"}},
        {"an unknown algorithm", totp, "algorithm", "algorithm MD5", {"line 4", "algorithm"}},
        {"a lower-case algorithm", totp, "algorithm", "algorithm sha256", {"line 4", "algorithm"}},
        {"a negative creation time", totp, "created", "created -5", {"line 7", "creation time"}},
        {"an upper-case key-id",
         totp,
         "key-id",
         "key-id " + std::string(16, 'A'),
         {"line 8", "key-id must be 16 hex digits"}},
        {"a short enrollment-id",
         totp,
         "enrollment-id",
         "enrollment-id abc",
         {"line 9", "enrollment-id must be 32 hex digits"}},
        {"a user name with a space", totp, "user", "user al ice", {"line 2", "invalid user name"}},
        {"a line without a value", totp, "user", "user", {"line 2", "expected \"key value\""}},
        {"an empty line", totp, "user", "user alice\n", {"line 3", "expected \"key value\""}},
        {"a CRLF line end", totp, "user", "user alice\r", {"line 2", "control character"}},
        {"a NUL byte",
         totp,
         "user",
         std::string("user ali\0ce", 11),
         {"line 2", "control character"}},
        {"a counter above 2^62",
         hotp,
         "counter",
         "counter 4611686018427387905",
         {"line 6", "invalid counter"}},
    };
    for (const Case& c : cases) {
        const std::string text = replace_line(c.file.text, c.key, c.replacement);
        auto parsed = parse_secret_file(text);
        INFO(c.what << ":\n" << text);
        REQUIRE_FALSE(parsed.ok());
        for (const std::string& part : c.expected)
            CHECK_THAT(parsed.error().message, Catch::Contains(part));
    }
}

TEST_CASE("the sealed payload encoding round-trips and its decoder is strict", "[secret_file]") {
    SecretPayload payload;
    payload.key = SecretBytes::random(kDefaultKeySize);
    payload.recovery = make_recovery_codes(generate_recovery_codes(3));
    const SecretBytes encoded = encode_payload(payload);
    const std::vector<std::uint8_t> bytes(encoded.data(), encoded.data() + encoded.size());
    REQUIRE(bytes.size() == 2 + kDefaultKeySize + kRecoverySaltSize + 1 + 3 * 32);
    CHECK(bytes[0] == 1);
    CHECK(bytes[1] == kDefaultKeySize);

    auto decoded = decode_payload(bytes);
    REQUIRE(decoded.ok());
    check_same_payload(*decoded, payload);

    auto refused = [](std::vector<std::uint8_t> b, const char* expected) {
        auto result = decode_payload(b);
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error().message, Catch::Contains(expected));
    };
    auto with = [&](std::size_t index, std::uint8_t value) {
        auto b = bytes;
        b[index] = value;
        return b;
    };
    refused({}, "version");
    refused(with(0, 2), "version");
    refused(with(1, kMinKeySize - 1), "key size");
    refused(with(1, kMaxKeySize + 1), "key size");
    refused(with(2 + kDefaultKeySize + kRecoverySaltSize, 4), "wrong length");
    refused(with(2 + kDefaultKeySize + kRecoverySaltSize, kMaxRecoveryCodes + 1), "too many");
    refused({bytes.begin(), bytes.end() - 1}, "wrong length");
    refused({bytes.begin(), bytes.begin() + 10}, "truncated");
    auto longer = bytes;
    longer.push_back(0);
    refused(longer, "wrong length");

    SecretPayload bad;
    bad.key = SecretBytes::random(kMinKeySize - 1);
    CHECK_THROWS_AS(encode_payload(bad), std::invalid_argument);
    bad.key = SecretBytes::random(kMaxKeySize + 1);
    CHECK_THROWS_AS(encode_payload(bad), std::invalid_argument);
}

TEST_CASE("enrollment ids are fresh 32-digit lower-case hex", "[secret_file]") {
    const std::string a = new_enrollment_id();
    const std::string b = new_enrollment_id();
    CHECK(a != b);
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    const auto binary = parse_enrollment_id(a);
    REQUIRE(binary);
    CHECK(to_hex(*binary) == a);
}
