// RFC 4648 base64 (the `sealed` line): vectors and the strict decoder.
#include "core/base64.h"

#include <catch2/catch.hpp>

#include <string>

#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;
using test_util::string_of;

TEST_CASE("base64 encodes and decodes the RFC 4648 section 10 vectors", "[base64]") {
    const std::pair<const char*, const char*> vectors[] = {
        {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    CHECK(base64_encode({}).empty());
    for (const auto& [plain, encoded] : vectors) {
        CHECK(base64_encode(bytes_of(plain)) == encoded);
        auto back = base64_decode(encoded);
        REQUIRE(back.ok());
        CHECK(string_of(*back) == plain);
    }
}

TEST_CASE("base64 round-trips every length and byte value", "[base64]") {
    std::vector<std::uint8_t> bytes;
    for (int n = 0; n < 300; ++n) {
        bytes.push_back(static_cast<std::uint8_t>(n));
        auto back = base64_decode(base64_encode(bytes));
        REQUIRE(back.ok());
        CHECK(*back == bytes);
    }
}

TEST_CASE("base64 strict decoding refuses malformed text", "[base64]") {
    const auto text = GENERATE(as<std::string>{},
                               "",          // nothing
                               "Zm9",       // not a multiple of 4
                               "Zm9vY",     // not a multiple of 4
                               "Zm9v\n",    // white space
                               "Zm 9",      // white space
                               "Zm9-",      // URL-safe alphabet
                               "Zm9_",      // URL-safe alphabet
                               "Z=9v",      // '=' in the middle
                               "Zg=v",      // '=' before the last symbol
                               "=m9v",      // '=' first
                               "Z===",      // too much padding
                               "====",      // only padding
                               "Zg==Zm9v",  // padding then data
                               "Zh==",      // non-zero bits after the last byte
                               "Zm9=",      // non-zero bits after the last byte
                               "Zm8\xff");  // not ASCII
    INFO("decoding \"" << text << "\"");
    auto result = base64_decode(text);
    CHECK_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::StartsWith("base64: "));
}

TEST_CASE("every single-character change of a base64 text changes what it decodes to or is refused",
          "[base64]") {
    // A decoder that ignored the spare bits of the last symbol would let a
    // changed file decode to the same bytes.
    for (const std::string plain : {"f", "fo", "foo", "foob"}) {
        const std::string encoded = base64_encode(bytes_of(plain));
        for (std::size_t i = 0; i < encoded.size(); ++i) {
            for (int bit = 0; bit < 8; ++bit) {
                std::string changed = encoded;
                changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
                auto result = base64_decode(changed);
                INFO("\"" << changed << "\"");
                if (result.ok()) CHECK(string_of(*result) != plain);
            }
        }
    }
}
