#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

#include "core/hex.h"

using namespace pam_totp;

TEST_CASE("hex round-trips and refuses anything but exact lower-case digits", "[hex]") {
    const std::array<std::uint8_t, 4> bytes{0x00, 0x7f, 0xa0, 0xff};
    CHECK(to_hex(bytes) == "007fa0ff");
    std::array<std::uint8_t, 4> out{};
    CHECK(from_hex("007fa0ff", out));
    CHECK(out == bytes);
    CHECK_FALSE(from_hex("007FA0FF", out));    // upper case is not our spelling
    CHECK_FALSE(from_hex("007fa0f", out));     // short
    CHECK_FALSE(from_hex("007fa0ff00", out));  // long
    CHECK_FALSE(from_hex("007fa0fg", out));
    CHECK_FALSE(from_hex("+7fa0ff0", out));  // what stoi would have taken
    CHECK(is_lower_hex("0123456789abcdef", 16));
    CHECK_FALSE(is_lower_hex("0123456789abcdef", 15));
    CHECK_FALSE(is_lower_hex("0123456789abcdeF", 16));
}
