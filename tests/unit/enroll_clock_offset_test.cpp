// How far the phone's clock is off, from a code typed at enrolment
// (enroll-tool/clock_offset.cpp), against RFC 6238's SHA1 test vectors.
#include "clock_offset.h"

#include <catch2/catch.hpp>

#include <string>

#include "test_util.h"

using namespace totp_enroll;
using test_util::bytes_of;

namespace {

const std::string kKey = "12345678901234567890";
const pam_totp::OtpParams kEight{pam_totp::OtpType::totp, pam_totp::Algorithm::sha1, 8, 30};

std::optional<std::int64_t> offset(std::int64_t shown, std::int64_t answered,
                                   const std::string& code) {
    return phone_clock_offset(bytes_of(kKey), kEight, shown, answered, code);
}

}  // namespace

TEST_CASE("the phone's clock offset is the code's step against the prompt's steps",
          "[enroll][clock]") {
    // RFC 6238: 94287082 at T = 59 (step 1, 30..59).
    CHECK(offset(59, 59, "94287082") == 0);
    CHECK(offset(30, 30, "94287082") == 0);
    CHECK(offset(89, 89, "94287082") == -30);  // the phone shows a step ago: behind
    CHECK(offset(29, 29, "94287082") == 30);   // the phone shows a step ahead
    CHECK(offset(150, 150, "94287082") == -120);
    // A code that changed while the prompt waited is on time.
    CHECK(offset(50, 65, "94287082") == 0);
    CHECK(offset(20, 65, "94287082") == 0);
    CHECK(offset(65, 95, "94287082") == -30);
}

TEST_CASE("the phone's clock offset is searched 10 minutes either way", "[enroll][clock]") {
    // RFC 6238: 07081804 at T = 1111111109 (step 37037036, 1111111080..1111111109).
    const std::int64_t t = 1111111109;
    CHECK(offset(t, t, "07081804") == 0);
    CHECK(offset(t + 300, t + 300, "07081804") == -300);
    CHECK(offset(t - 600, t - 600, "07081804") == 600);
    CHECK(offset(t + 600, t + 600, "07081804") == -600);
    CHECK_FALSE(offset(t + 660, t + 660, "07081804"));
    CHECK_FALSE(offset(t - 700, t - 700, "07081804"));
    CHECK_FALSE(offset(t, t, "12345678"));
    CHECK_FALSE(offset(t, t, "0708180"));  // another length matches nothing
}

TEST_CASE("the phone's clock offset in plain words", "[enroll][clock]") {
    CHECK(describe_clock_offset(-30) == "about 30 s behind");
    CHECK(describe_clock_offset(30) == "about 30 s ahead");
    CHECK(describe_clock_offset(-90) == "about 90 s behind");
    CHECK(describe_clock_offset(120) == "about 2 min ahead");
    CHECK(describe_clock_offset(-150) == "about 2 min 30 s behind");
    CHECK(describe_clock_offset(-600) == "about 10 min behind");
}
