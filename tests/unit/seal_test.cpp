// The crypto envelope: X25519 + HKDF-SHA256 + AES-256-GCM.
#include "core/seal.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/host_key.h"
#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;
using test_util::string_of;

namespace {

constexpr std::string_view kAad = "pam_totp 1\nuser alice\n";
constexpr std::string_view kPlaintext = "twenty secret bytes!";

}  // namespace

TEST_CASE("seal and unseal round-trip", "[seal]") {
    const HostPrivateKey host = HostPrivateKey::generate();
    auto sealed = seal(host.public_key(), bytes_of(kPlaintext), kAad);
    REQUIRE(sealed.ok());
    CHECK(sealed->size() == kPlaintext.size() + kSealOverhead);
    auto opened = unseal(host, *sealed, kAad);
    REQUIRE(opened.ok());
    CHECK(string_of(*opened) == kPlaintext);
}

TEST_CASE("sealing twice gives different bytes (fresh ephemeral key and nonce)", "[seal]") {
    const HostPrivateKey host = HostPrivateKey::generate();
    auto a = seal(host.public_key(), bytes_of(kPlaintext), kAad);
    auto b = seal(host.public_key(), bytes_of(kPlaintext), kAad);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(std::vector(a->begin(), a->begin() + 32) != std::vector(b->begin(), b->begin() + 32));
    CHECK(std::vector(a->begin() + 32, a->begin() + 44) !=
          std::vector(b->begin() + 32, b->begin() + 44));
    // The plaintext does not appear in the sealed bytes.
    CHECK(string_of(*a).find(kPlaintext) == std::string::npos);
}

TEST_CASE("unseal fails on any single flipped byte, with one message for data and header",
          "[seal]") {
    const HostPrivateKey host = HostPrivateKey::generate();
    auto sealed = seal(host.public_key(), bytes_of(kPlaintext), kAad);
    REQUIRE(sealed.ok());

    // Layout: ephemeral public key (32), nonce (12), ciphertext, tag (16).
    std::string tamper_message;
    for (std::size_t i = 0; i < sealed->size(); ++i) {
        std::vector<std::uint8_t> changed = *sealed;
        changed[i] ^= 0x01;
        auto opened = unseal(host, changed, kAad);
        INFO("byte " << i);
        REQUIRE_FALSE(opened.ok());
        if (i >= 44) {  // ciphertext and tag: the GCM check itself
            if (tamper_message.empty()) tamper_message = opened.error().message;
            CHECK(opened.error().message == tamper_message);
        }
    }
    CHECK_THAT(tamper_message, Catch::Contains("authentication failed"));

    for (std::size_t i = 0; i < kAad.size(); ++i) {
        std::string aad(kAad);
        aad[i] = static_cast<char>(aad[i] ^ 0x01);
        auto opened = unseal(host, *sealed, aad);
        INFO("AAD byte " << i);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().message == tamper_message);
    }
    CHECK_FALSE(unseal(host, *sealed, "").ok());
    CHECK_FALSE(unseal(host, *sealed, std::string(kAad) + "\n").ok());
}

TEST_CASE("unseal fails with another host key", "[seal]") {
    const HostPrivateKey host = HostPrivateKey::generate();
    const HostPrivateKey other = HostPrivateKey::generate();
    auto sealed = seal(host.public_key(), bytes_of(kPlaintext), kAad);
    REQUIRE(sealed.ok());
    CHECK_FALSE(unseal(other, *sealed, kAad).ok());
}

TEST_CASE("unseal refuses sealed data too short to hold a ciphertext", "[seal]") {
    const HostPrivateKey host = HostPrivateKey::generate();
    auto sealed = seal(host.public_key(), bytes_of(kPlaintext), kAad);
    REQUIRE(sealed.ok());
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, kSealOverhead - 1, kSealOverhead}) {
        std::vector<std::uint8_t> cut(sealed->begin(),
                                      sealed->begin() + static_cast<std::ptrdiff_t>(size));
        auto opened = unseal(host, cut, kAad);
        REQUIRE_FALSE(opened.ok());
        CHECK_THAT(opened.error().message, Catch::Contains("too short"));
    }
    // Dropping trailing bytes moves the tag: refused by authentication.
    for (std::size_t drop = 1; drop <= kPlaintext.size(); ++drop) {
        std::vector<std::uint8_t> cut(sealed->begin(),
                                      sealed->end() - static_cast<std::ptrdiff_t>(drop));
        CHECK_FALSE(unseal(host, cut, kAad).ok());
    }
}
