#include "qr_render.h"

#include <openssl/crypto.h>
#include <qrencode.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace totp_enroll {
namespace {

// Scanners want a light margin; two modules is enough for phone cameras
// (tested with zbar) and keeps version 6 codes within 24 lines.
constexpr int kQuietZone = 2;

struct QrFree {
    void operator()(QRcode* code) const {
        if (code->data)
            OPENSSL_cleanse(code->data, static_cast<std::size_t>(code->width) * code->width);
        QRcode_free(code);
    }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

class Matrix {
  public:
    explicit Matrix(const QRcode& code) : code_(code), size_(code.width + 2 * kQuietZone) {}
    int size() const { return size_; }
    // Outside the symbol (the quiet zone and beyond) everything is light.
    bool dark(int row, int column) const {
        row -= kQuietZone;
        column -= kQuietZone;
        if (row < 0 || column < 0 || row >= code_.width || column >= code_.width) return false;
        return (code_.data[row * code_.width + column] & 1) != 0;
    }

  private:
    const QRcode& code_;
    int size_;
};

pam_totp::SecretBytes draw_utf8(const Matrix& m) {
    static constexpr std::string_view kFull = "\u2588", kUpper = "\u2580", kLower = "\u2584",
                                      kBlank = " ";
    const int lines = (m.size() + 1) / 2;
    auto out = pam_totp::SecretBytes::with_capacity(static_cast<std::size_t>(lines) *
                                                    (static_cast<std::size_t>(m.size()) * 3 + 1));
    for (int line = 0; line < lines; ++line) {
        const int top = 2 * line;
        for (int column = 0; column < m.size(); ++column) {
            // An odd last row pairs with a light row below: more quiet zone.
            const bool top_light = !m.dark(top, column);
            const bool bottom_light = top + 1 >= m.size() || !m.dark(top + 1, column);
            out.append(top_light ? (bottom_light ? kFull : kUpper)
                                 : (bottom_light ? kLower : kBlank));
        }
        out.append('\n');
    }
    return out;
}

pam_totp::SecretBytes draw_ansi(const Matrix& m) {
    static constexpr std::string_view kLight = "\x1b[47m", kDark = "\x1b[40m", kReset = "\x1b[0m";
    auto out = pam_totp::SecretBytes::with_capacity(static_cast<std::size_t>(m.size()) *
                                                    (static_cast<std::size_t>(m.size()) * 3 + 10));
    for (int row = 0; row < m.size(); ++row) {
        bool current_dark = false;
        for (int column = 0; column < m.size(); ++column) {
            const bool dark = m.dark(row, column);
            // Colour codes only where the colour changes.
            if (column == 0 || dark != current_dark) out.append(dark ? kDark : kLight);
            current_dark = dark;
            out.append("  ");
        }
        out.append(kReset);
        out.append('\n');
    }
    return out;
}

}  // namespace

pam_totp::Result<pam_totp::SecretBytes> render_qr(std::string_view text, QrStyle style) {
    if (style == QrStyle::none) return pam_totp::SecretBytes();
    // libqrencode wants a C string.
    auto c_string = pam_totp::SecretBytes::with_capacity(text.size() + 1);
    c_string.append(text);
    c_string.append('\0');
    // Level L: the smallest symbol; a screen does not get dirty or torn. Mixed
    // modes (QR_MODE_8 hint): the upper-case base32 secret packs as alphanumeric.
    errno = 0;
    QrPtr code(QRcode_encodeString(c_string.view().data(), 0, QR_ECLEVEL_L, QR_MODE_8, 1));
    if (!code)
        return pam_totp::Error{std::string("cannot draw the QR code: ") +
                               (errno == ERANGE ? "the URI is too long" : std::strerror(errno))};
    const Matrix matrix(*code);
    return style == QrStyle::utf8 ? draw_utf8(matrix) : draw_ansi(matrix);
}

}  // namespace totp_enroll
