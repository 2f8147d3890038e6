// RFC 4648 base32: the vectors of section 10 and the strict decoder.
#include "core/base32.h"

#include <catch2/catch.hpp>

#include <string>

#include "core/secret_bytes.h"
#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;
using test_util::string_of;

namespace {

struct Vector {
    const char* plain;
    const char* padded;
    const char* unpadded;
};

// RFC 4648 section 10.
const Vector kRfc4648[] = {
    {"f", "MY======", "MY"},           {"fo", "MZXQ====", "MZXQ"},
    {"foo", "MZXW6===", "MZXW6"},      {"foob", "MZXW6YQ=", "MZXW6YQ"},
    {"fooba", "MZXW6YTB", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI======", "MZXW6YTBOI"},
};

std::string decoded(std::string_view text) {
    auto result = base32_decode(text);
    INFO("decoding \"" << text << "\": " << result.error().message);
    REQUIRE(result.ok());
    return string_of(*result);
}

void check_refused(std::string_view text, std::string_view reason) {
    auto result = base32_decode(text);
    INFO("decoding \"" << text << "\"");
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains(std::string(reason)));
}

}  // namespace

TEST_CASE("base32 encodes the RFC 4648 vectors without padding", "[base32]") {
    CHECK(base32_encode({}).empty());
    for (const Vector& v : kRfc4648) CHECK(base32_encode(bytes_of(v.plain)) == v.unpadded);
}

TEST_CASE("base32 decodes the RFC 4648 vectors with and without padding", "[base32]") {
    for (const Vector& v : kRfc4648) {
        CHECK(decoded(v.padded) == v.plain);
        CHECK(decoded(v.unpadded) == v.plain);
    }
}

TEST_CASE("base32 decoding is case-insensitive and ignores spaces and dashes", "[base32]") {
    CHECK(decoded("mzxw6ytboi") == "foobar");
    CHECK(decoded("MzXw6YtBoI======") == "foobar");
    CHECK(decoded("MZXW 6YTB OI") == "foobar");
    CHECK(decoded("mzxw-6ytb-oi") == "foobar");
    CHECK(decoded(" MZXW6YTBOI====== ") == "foobar");
}

TEST_CASE("base32 round-trips every length and byte value", "[base32]") {
    std::vector<std::uint8_t> bytes;
    for (int n = 0; n < 70; ++n) {
        bytes.push_back(static_cast<std::uint8_t>(n * 37 + 11));
        const std::string text = base32_encode(bytes);
        CHECK(text.size() == (bytes.size() * 8 + 4) / 5);
        auto back = base32_decode(text);
        REQUIRE(back.ok());
        CHECK(string_of(*back) == string_of(bytes));
    }
    std::vector<std::uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    auto back = base32_decode(base32_encode(all));
    REQUIRE(back.ok());
    CHECK(string_of(*back) == string_of(all));
}

TEST_CASE("base32_grouped puts a space after every four characters", "[base32]") {
    CHECK(base32_grouped(bytes_of("foobar")) == "MZXW 6YTB OI");
    CHECK(base32_grouped(bytes_of("fooba")) == "MZXW 6YTB");
    CHECK(decoded(base32_grouped(bytes_of("12345678901234567890"))) == "12345678901234567890");
}

TEST_CASE("base32 strict decoding refuses malformed text", "[base32]") {
    SECTION("characters outside the alphabet") {
        check_refused("MZXW1YTB", "invalid character at position 5");
        check_refused("MZXW0YTB", "invalid character");
        check_refused("MZXW8YTB", "invalid character");
        check_refused("MZXW_YTB", "invalid character");
        check_refused("MZXW6YT\n", "invalid character");
        check_refused("MZXW\t6YTB", "invalid character");
        check_refused("MZXW6YT\xc3\x9f", "invalid character");
    }
    SECTION("'=' anywhere but at the end") {
        check_refused("MZ=XW6==", "after '=' padding");
        check_refused("=MZXW6YTB", "after '=' padding");
        check_refused("MY======MY======", "after '=' padding");
    }
    SECTION("lengths no whole number of bytes can have") {
        check_refused("M", "impossible length");
        check_refused("MZX", "impossible length");
        check_refused("MZXW6Y", "impossible length");
        check_refused("MZXW6YTBO", "impossible length");
        check_refused("MZX=====", "impossible length");
    }
    SECTION("the wrong amount of padding") {
        check_refused("MY=", "padding");
        check_refused("MZXW6YQ==", "padding");
        check_refused("MY==============", "padding");
        check_refused("MZXW6YTB========", "padding");
    }
    SECTION("non-zero bits after the last byte") {
        // "MY" is 'f' with two zero bits left over; "MZ" sets one of them.
        check_refused("MZ", "non-zero bits");
        check_refused("MZ======", "non-zero bits");
        check_refused("MZXW6YR", "non-zero bits");
    }
    SECTION("nothing to decode") {
        check_refused("", "no data");
        check_refused("  - ", "no data");
        check_refused("========", "no data");
    }
}
