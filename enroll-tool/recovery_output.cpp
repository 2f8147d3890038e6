#include "recovery_output.h"

#include <string>

namespace totp_enroll {

void append_recovery_codes(pam_totp::SecretBytes& out,
                           const std::vector<pam_totp::SecretBytes>& codes) {
    out.append(
        "Recovery codes: each one works once, typed instead of a code (for when the\n"
        "phone is lost). Keep them somewhere safe; they are not shown again.\n\n");
    for (std::size_t i = 0; i < codes.size(); ++i) {
        out.append("    ");
        out.append(codes[i].view());
        if (i % 2 == 1 || i + 1 == codes.size()) out.append('\n');
    }
    out.append('\n');
}

}  // namespace totp_enroll
