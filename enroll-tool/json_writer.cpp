#include "json_writer.h"

namespace totp_enroll {
namespace {

// Length of the valid UTF-8 sequence at text[i], 0 if there is none
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    return length;
}

}  // namespace

std::string json_string(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = utf8_length(text, i);
            if (length == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(text.substr(i, length));
                i += length;
            }
            continue;
        }
        ++i;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xf];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

JsonObject& JsonObject::raw(std::string_view name, std::string_view json) {
    if (!fields_.empty()) fields_ += ", ";
    fields_ += json_string(name);
    fields_ += ": ";
    fields_.append(json);
    return *this;
}

JsonObject& JsonObject::add_string(std::string_view name, std::string_view value) {
    return raw(name, json_string(value));
}

JsonObject& JsonObject::add_number(std::string_view name, std::int64_t value) {
    return raw(name, std::to_string(value));
}

JsonObject& JsonObject::add_bool(std::string_view name, bool value) {
    return raw(name, value ? "true" : "false");
}

JsonObject& JsonObject::add_null(std::string_view name) {
    return raw(name, "null");
}

JsonObject& JsonObject::add_string_or_null(std::string_view name,
                                           const std::optional<std::string>& value) {
    return value ? add_string(name, std::string_view(*value)) : add_null(name);
}

JsonObject& JsonObject::add_number_or_null(std::string_view name,
                                           const std::optional<std::int64_t>& value) {
    return value ? add_number(name, *value) : add_null(name);
}

std::string json_array(const std::vector<JsonObject>& items) {
    if (items.empty()) return "[]\n";
    std::string out = "[\n";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += "  " + items[i].text() + (i + 1 < items.size() ? ",\n" : "\n");
    return out + "]\n";
}

}  // namespace totp_enroll
