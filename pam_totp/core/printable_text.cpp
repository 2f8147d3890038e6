#include "core/printable_text.h"

namespace pam_totp {

std::string printable_text(std::string_view text, std::size_t max_bytes, bool keep_newlines) {
    const bool cut = text.size() > max_bytes;
    std::string out(text.substr(0, max_bytes));
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && !(keep_newlines && c == '\n')) || byte == 0x7f) c = '?';
    }
    if (cut) out += "...";
    return out;
}

}  // namespace pam_totp
