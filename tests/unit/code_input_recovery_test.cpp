// forward_pass with a recovery code instead of a one-time code.
#include <catch2/catch.hpp>

#include <optional>
#include <string_view>

#include "core/code_input.h"
#include "test_util.h"

using namespace pam_totp;

TEST_CASE("forward_pass splits a trailing recovery code") {
    auto split = test_util::first_split("correct horse7KQ2-M9XD", 6);
    REQUIRE(split);
    CHECK(split->password.view() == "correct horse");
    CHECK(split->code.view() == "7KQ2-M9XD");
}

TEST_CASE("trailing digits win over the recovery shape") {
    auto split = test_util::first_split("pw7KQ2-M9X123456", 6);
    REQUIRE(split);
    CHECK(split->code.view() == "123456");
}

TEST_CASE("recovery code shape") {
    CHECK(looks_like_recovery_code("7KQ2-M9XD"));
    CHECK(looks_like_recovery_code("7kq2-m9xd"));
    CHECK_FALSE(looks_like_recovery_code("7KQ2M9XD"));
    CHECK_FALSE(looks_like_recovery_code("7KQ2-M9X!"));
    CHECK_FALSE(test_util::first_split("password", 6).has_value());
}
