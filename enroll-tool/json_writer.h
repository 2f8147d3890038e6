// A tiny JSON writer for totp-enroll's --json output: strings escaped
// (RFC 8259), invalid UTF-8 replaced by U+FFFD so the output always parses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace totp_enroll {

// `text` as a JSON string, quotes included.
std::string json_string(std::string_view text);

// One object, fields in the order they are added.
class JsonObject {
  public:
    JsonObject& add_string(std::string_view name, std::string_view value);
    JsonObject& add_number(std::string_view name, std::int64_t value);
    JsonObject& add_bool(std::string_view name, bool value);
    JsonObject& add_null(std::string_view name);
    // null for nullopt
    JsonObject& add_string_or_null(std::string_view name, const std::optional<std::string>& value);
    JsonObject& add_number_or_null(std::string_view name, const std::optional<std::int64_t>& value);

    // {"name": value, ...}
    std::string text() const { return "{" + fields_ + "}"; }

  private:
    JsonObject& raw(std::string_view name, std::string_view json);
    std::string fields_;
};

// [ objects ], one per line.
std::string json_array(const std::vector<JsonObject>& items);

}  // namespace totp_enroll
