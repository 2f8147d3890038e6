#include <catch2/catch.hpp>

#include <string>

#include "core/printable_text.h"

using namespace pam_totp;

TEST_CASE("printable text: control characters and DEL become '?'", "[printable]") {
    CHECK(printable_text("cn=a\x1b[2J,ou=x", 100) == "cn=a?[2J,ou=x");
    CHECK(printable_text("line\nforged\r\t\x7f", 100) == "line?forged???");
    CHECK(printable_text(std::string("a\0b", 3), 100) == "a?b");
    // UTF-8 (a DN may hold it) passes: only ASCII controls are replaced.
    CHECK(printable_text("cn=J\xc3\xb6rg", 100) == "cn=J\xc3\xb6rg");
}

TEST_CASE("printable text: newlines kept on request, length bounded", "[printable]") {
    CHECK(printable_text("one\ntwo\x1b", 100, true) == "one\ntwo?");
    CHECK(printable_text("abcdef", 3) == "abc...");
    CHECK(printable_text("abc", 3) == "abc");
    CHECK(printable_text("", 3).empty());
}
