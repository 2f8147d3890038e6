// The optional `used-step` header line: TOTP only, bound into the AAD like
// every header line, round-trips through the parser.
#include <catch2/catch.hpp>

#include "core/secret_file.h"

using namespace pam_totp;

namespace {

SecretHeader totp_header(const HostPublicKey& pub) {
    SecretHeader h;
    h.user = "alice";
    h.created = 1795420000;
    h.key_id = pub.key_id();
    h.enrollment_id = new_enrollment_id();
    return h;
}

SecretPayload payload() {
    SecretPayload p;
    p.key = SecretBytes::random(kDefaultKeySize);
    return p;
}

}  // namespace

TEST_CASE("used-step round-trips and is authenticated") {
    const HostPrivateKey host = HostPrivateKey::generate();
    SecretHeader h = totp_header(host.public_key());
    h.used_step = 59806667;
    auto text = seal_secret_file(h, payload(), host.public_key());
    REQUIRE(text.ok());
    CHECK(text->find("\nperiod 30\nused-step 59806667\n") != std::string::npos);
    auto parsed = parse_secret_file(*text);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->header.used_step == std::optional<std::uint64_t>(59806667));
    CHECK(open_secret_file(*parsed, host).ok());

    // Moving the used step back would reopen the confirmation code: refused.
    std::string edited = *text;
    edited.replace(edited.find("used-step 59806667"), 18, "used-step 59806666");
    auto reparsed = parse_secret_file(edited);
    REQUIRE(reparsed.ok());
    CHECK_FALSE(open_secret_file(*reparsed, host).ok());
}

TEST_CASE("used-step is optional for TOTP and refused for HOTP") {
    const HostPrivateKey host = HostPrivateKey::generate();
    SecretHeader h = totp_header(host.public_key());
    auto text = seal_secret_file(h, payload(), host.public_key());
    REQUIRE(text.ok());
    CHECK(text->find("used-step") == std::string::npos);
    REQUIRE(parse_secret_file(*text).ok());
    CHECK_FALSE(parse_secret_file(*text)->header.used_step.has_value());

    h.otp.type = OtpType::hotp;
    auto hotp = seal_secret_file(h, payload(), host.public_key());
    REQUIRE(hotp.ok());
    std::string with_step = *hotp;
    with_step.insert(with_step.find("created "), "used-step 5\n");
    auto parsed = parse_secret_file(with_step);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find("used-step is not allowed for type hotp") !=
          std::string::npos);
}
