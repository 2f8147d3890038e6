// The decoy work for users who cannot log in: it does the full work and
// never opens anything.
#include "core/decoy_work.h"

#include <catch2/catch.hpp>

#include "core/host_key.h"

using namespace pam_totp;

TEST_CASE("the decoy unsealing gets as far as the GCM tag, with any host key", "[decoy]") {
    for (int i = 0; i < 3; ++i) {
        const HostPrivateKey host = HostPrivateKey::generate();
        auto opened = unseal_decoy(host);
        REQUIRE_FALSE(opened.ok());
        // Not refused early (too short, key agreement): it failed where a
        // real file with a wrong tag fails, after all the work.
        CHECK_THAT(opened.error().message, Catch::Contains("authentication failed"));
    }
}

TEST_CASE("the decoy check accepts any typed input without throwing", "[decoy]") {
    for (const char* typed : {"", "123456", "12345678", "abcdef", "0000-0000"})
        CHECK_NOTHROW(verify_decoy(1'700'000'000, 1, typed));
    CHECK_NOTHROW(verify_decoy(0, 10, "000000"));
}
