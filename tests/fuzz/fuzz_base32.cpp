// Encoders of untrusted text: base32 (secrets imported from
// ~/.google_authenticator, typed by users) and base64 (the `sealed` line of a
// secret file in a user's home).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/base32.h"
#include "core/base64.h"
#include "fuzz_common.h"

using namespace pam_totp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto decoded = base32_decode(text)) {
        // Strict decoding loses nothing: re-encoding gives the same bytes back
        // through both text forms.
        FUZZ_CHECK(decoded->size() <= size * 5 / 8);
        auto plain = base32_decode(base32_encode(decoded->span()));
        auto grouped = base32_decode(base32_grouped(decoded->span()));
        FUZZ_CHECK(plain && std::ranges::equal(plain->span(), decoded->span()));
        FUZZ_CHECK(grouped && std::ranges::equal(grouped->span(), decoded->span()));
    }

    if (auto decoded = base64_decode(text)) {
        FUZZ_CHECK(decoded->size() <= size / 4 * 3);
        auto again = base64_decode(base64_encode(*decoded));
        FUZZ_CHECK(again && *again == *decoded);
    }
    return 0;
}
