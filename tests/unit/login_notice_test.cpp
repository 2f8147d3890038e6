// The notice after a successful login: refused attempts since the last
// login, and the phone's clock offset.
#include "core/login_notice.h"

#include <catch2/catch.hpp>

using namespace pam_totp;

namespace {

Attempt accepted_at(std::uint64_t step) {
    Attempt a;
    a.otp = {Verdict::accepted, step};
    return a;
}

}  // namespace

TEST_CASE("refused attempts are counted until the next success, which reports and resets them",
          "[login_notice]") {
    UserState s;
    note_refused_attempt(s, 1795420000, "198.51.100.7");
    note_refused_attempt(s, 1795420060, "203.0.113.9\x1b[31m");
    CHECK(s.failed_since_login == 2);
    CHECK(s.last_failure_host == "203.0.113.9?[31m");  // no terminal controls
    const UserState before = s;
    const OtpParams otp;  // TOTP, 30 s
    const LoginNotice n = note_success(s, before, 1795420095, accepted_at(1795420095 / 30), otp);
    CHECK(n.refused == 2);
    CHECK(n.clock_offset == 0);
    CHECK(s.failed_since_login == 0);
    CHECK(s.last_failure_host.empty());
    CHECK(s.last_login == 1795420095);
    const auto lines = notice_lines(n);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] ==
          "2 failed code attempts since your last login, the last from 203.0.113.9?[31m at "
          "2026-11-23 07:47 UTC.");
}

TEST_CASE("a code from a neighbouring step gives a clock hint, a recovery code none",
          "[login_notice]") {
    UserState s;
    const OtpParams otp;
    const std::int64_t now = 1795420095;
    auto n = note_success(s, s, now, accepted_at(now / 30 - 1), otp);
    CHECK(n.clock_offset == -30);
    REQUIRE(notice_lines(n).size() == 1);
    CHECK(notice_lines(n)[0] ==
          "Your phone's clock is about 30 s behind; set it to automatic time.");
    n = note_success(s, s, now, accepted_at(now / 30 + 1), otp);
    CHECK(notice_lines(n)[0] ==
          "Your phone's clock is about 30 s ahead; set it to automatic time.");
    Attempt recovery;
    recovery.recovery = 0;
    CHECK(notice_lines(note_success(s, s, now, recovery, otp)).empty());
    UserState one;
    note_refused_attempt(one, now - 5, "");
    CHECK(notice_lines(note_success(one, one, now, recovery, otp))[0] ==
          "1 failed code attempt since your last login, the last at 2026-11-23 07:48 UTC.");
}

TEST_CASE("the notice fields survive a slot round trip", "[login_notice]") {
    UserState s;
    note_refused_attempt(s, 77, std::string(100, 'h'));
    s.last_login = 55;
    CHECK(s.last_failure_host.size() == kMaxRecordedHost);
    const auto back = decode_slot(encode_slot(s, 3));
    REQUIRE(back);
    CHECK(back->state == s);
}
