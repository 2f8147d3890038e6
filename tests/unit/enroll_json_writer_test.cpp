// totp-enroll's tiny JSON writer (enroll-tool/json_writer.cpp): escaping,
// invalid UTF-8, objects and arrays.
#include "json_writer.h"

#include <catch2/catch.hpp>

#include <string>

using namespace totp_enroll;

TEST_CASE("json_string escapes quotes, backslashes and control characters", "[enroll][json]") {
    CHECK(json_string("") == "\"\"");
    CHECK(json_string("alice") == "\"alice\"");
    CHECK(json_string("a\"b\\c/d") == "\"a\\\"b\\\\c/d\"");
    CHECK(json_string("\n\r\t\b\f") == "\"\\n\\r\\t\\b\\f\"");
    CHECK(json_string(std::string("\0\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\\u007f\"");
}

TEST_CASE("json_string keeps valid UTF-8 and replaces invalid bytes", "[enroll][json]") {
    CHECK(json_string("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x94\x91") ==
          "\"J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x94\x91\"");
    CHECK(json_string("\xff") == "\"\\ufffd\"");
    CHECK(json_string("a\xc3") == "\"a\\ufffd\"");                                 // cut short
    CHECK(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");                        // overlong '/'
    CHECK(json_string("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");             // a surrogate
    CHECK(json_string("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

TEST_CASE("JsonObject and json_array", "[enroll][json]") {
    JsonObject object;
    object.add_string("user", "al\"ice")
        .add_number("uid", 1000)
        .add_number("negative", -5)
        .add_bool("pinned", true)
        .add_bool("waiting", false)
        .add_null("last_login")
        .add_string_or_null("type", std::nullopt)
        .add_string_or_null("created", std::string("2026-01-02T03:04:05Z"))
        .add_number_or_null("locked", std::nullopt)
        .add_number_or_null("failures", std::int64_t{3});
    CHECK(object.text() ==
          "{\"user\": \"al\\\"ice\", \"uid\": 1000, \"negative\": -5, \"pinned\": true, "
          "\"waiting\": false, \"last_login\": null, \"type\": null, "
          "\"created\": \"2026-01-02T03:04:05Z\", \"locked\": null, \"failures\": 3}");
    CHECK(JsonObject().text() == "{}");
    CHECK(json_array({}) == "[]\n");
    CHECK(json_array({JsonObject().add_number("a", 1), JsonObject().add_number("b", 2)}) ==
          "[\n  {\"a\": 1},\n  {\"b\": 2}\n]\n");
}
