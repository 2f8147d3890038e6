// Draws a QR code of a text on the terminal with libqrencode.
#pragma once

#include <string_view>

#include "core/result.h"
#include "core/secret_bytes.h"

namespace totp_enroll {

enum class QrStyle {
    // Unicode half blocks, two module rows per text line, one column per
    // module, so a typical otpauth URI fits an 80x24 terminal. Light modules
    // are drawn, dark ones left blank (a light-on-dark terminal, like
    // `qrencode -t UTF8`); the quiet zone is drawn too, so the code has its
    // light border whatever surrounds it.
    utf8,
    // Two spaces per module with explicit black/white background colours:
    // needs no block characters and works on any terminal colour scheme, but
    // a typical URI needs 82x41 to 90x45 (totp-enroll(1) says so).
    ansi,
    none,
};

// The drawing, each line ending in '\n'. It encodes the secret, hence
// pam_totp::SecretBytes; libqrencode's own matrix is wiped before it is freed.
pam_totp::Result<pam_totp::SecretBytes> render_qr(std::string_view text, QrStyle style);

}  // namespace totp_enroll
