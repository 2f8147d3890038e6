// What the user typed: normalisation and the forward_pass split.
#include "core/code_input.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "test_util.h"

using namespace pam_totp;
using test_util::string_of;

TEST_CASE("normalize_typed_code drops spaces and nothing else", "[code_input]") {
    CHECK(string_of(normalize_typed_code("123 456")) == "123456");
    CHECK(string_of(normalize_typed_code(" 1 2 3 4 5 6 ")) == "123456");
    CHECK(string_of(normalize_typed_code("123-456")) == "123-456");
    CHECK(string_of(normalize_typed_code("12345a")) == "12345a");
    CHECK(string_of(normalize_typed_code("")).empty());
}

TEST_CASE("normalize_typed_code empties anything longer than kMaxTypedLength", "[code_input]") {
    CHECK(string_of(normalize_typed_code(std::string(kMaxTypedLength, '1'))) ==
          std::string(kMaxTypedLength, '1'));
    CHECK(normalize_typed_code(std::string(kMaxTypedLength + 1, '1')).empty());
    CHECK(normalize_typed_code(std::string(10000, ' ')).empty());
}

TEST_CASE("forward_pass input splits into password and trailing code", "[code_input]") {
    struct Case {
        const char* typed;
        int digits;
        const char* password;
        const char* code;
    };
    const Case c = GENERATE(values<Case>({
        {"hunter2123456", 6, "hunter2", "123456"},
        {"hunter212345678", 8, "hunter2", "12345678"},
        {"123456", 6, "", "123456"},
        {"pass word 000000", 6, "pass word ", "000000"},
        {"9999999", 6, "9", "999999"},
    }));
    INFO(c.typed);
    const auto split = test_util::first_split(c.typed, c.digits);
    REQUIRE(split);
    CHECK(string_of(split->password) == c.password);
    CHECK(string_of(split->code) == c.code);
}

TEST_CASE("forward_pass input that cannot be split is refused", "[code_input]") {
    CHECK_FALSE(test_util::first_split("hunter2", 6));      // too short
    CHECK_FALSE(test_util::first_split("hunter12345", 6));  // 'r' in the code part
    CHECK_FALSE(test_util::first_split("hunter212345 ", 6));
    CHECK_FALSE(test_util::first_split("", 6));
    CHECK_FALSE(test_util::first_split("password123456", 0));
    CHECK_FALSE(test_util::first_split("password123456", -1));
}
