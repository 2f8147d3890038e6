// The code check: window, replay and look-ahead rules.
#include "core/verifier.h"

#include <catch2/catch.hpp>

#include <string>

#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;

namespace {

const std::string kKey = "12345678901234567890";
constexpr std::int64_t kNow = 1767225615;  // in the middle of a 30 s step

std::string code_at(const OtpParams& params, std::uint64_t counter) {
    return std::string(hotp(bytes_of(kKey), params.algorithm, counter, params.digits).view());
}

Verification totp(const OtpParams& params, std::int64_t offset_steps, int window,
                  std::optional<std::uint64_t> last_accepted = std::nullopt) {
    const std::uint64_t step = totp_step(kNow, params.period);
    const std::string code = code_at(params, step + static_cast<std::uint64_t>(offset_steps));
    return verify_totp(bytes_of(kKey), params, kNow, window, last_accepted, code);
}

}  // namespace

TEST_CASE("TOTP with window 1 accepts t-1, t and t+1 and nothing further", "[verifier]") {
    const OtpParams params = GENERATE(OtpParams{OtpType::totp, Algorithm::sha1, 6, 30},
                                      OtpParams{OtpType::totp, Algorithm::sha256, 8, 60},
                                      OtpParams{OtpType::totp, Algorithm::sha512, 7, 15});
    const std::uint64_t step = totp_step(kNow, params.period);
    INFO(algorithm_name(params.algorithm)
         << ", " << params.digits << " digits, period " << params.period);

    for (std::int64_t offset : {-1, 0, 1}) {
        const Verification v = totp(params, offset, 1);
        INFO("offset " << offset);
        CHECK(v.verdict == Verdict::accepted);
        CHECK(v.counter == step + static_cast<std::uint64_t>(offset));
    }
    CHECK(totp(params, -2, 1).verdict == Verdict::wrong);
    CHECK(totp(params, 2, 1).verdict == Verdict::wrong);
    CHECK(totp(params, -1, 0).verdict == Verdict::wrong);
    CHECK(totp(params, 0, 0).verdict == Verdict::accepted);
    CHECK(totp(params, -3, 3).verdict == Verdict::accepted);
    CHECK(totp(params, 4, 3).verdict == Verdict::wrong);
}

TEST_CASE("TOTP codes at or before the last accepted step are replayed", "[verifier]") {
    const OtpParams params{};
    const std::uint64_t step = totp_step(kNow, params.period);

    // The current code after it was accepted: replayed, with its step.
    Verification v = totp(params, 0, 1, step);
    CHECK(v.verdict == Verdict::replayed);
    CHECK(v.counter == step);
    // An older code in the window, after a newer one was accepted.
    v = totp(params, -1, 1, step);
    CHECK(v.verdict == Verdict::replayed);
    CHECK(v.counter == step - 1);
    // A newer code after an older one was accepted: fine.
    v = totp(params, 1, 1, step);
    CHECK(v.verdict == Verdict::accepted);
    CHECK(v.counter == step + 1);
    v = totp(params, 0, 1, step - 1);
    CHECK(v.verdict == Verdict::accepted);
    // The next step was already used (clock ahead): the current one is stale.
    CHECK(totp(params, 0, 1, step + 1).verdict == Verdict::replayed);
    // Outside the window it is wrong, whatever was accepted before.
    CHECK(totp(params, -2, 1, step).verdict == Verdict::wrong);
}

TEST_CASE("the TOTP window is capped at kMaxTotpWindow", "[verifier]") {
    const OtpParams params{};
    CHECK(totp(params, -kMaxTotpWindow, 1000).verdict == Verdict::accepted);
    CHECK(totp(params, -kMaxTotpWindow - 1, 1000).verdict == Verdict::wrong);
    CHECK(totp(params, kMaxTotpWindow + 1, 1000).verdict == Verdict::wrong);
    CHECK(totp(params, 0, -5).verdict == Verdict::accepted);
    CHECK(totp(params, 1, -5).verdict == Verdict::wrong);
}

TEST_CASE("TOTP near the epoch does not wrap below step 0", "[verifier]") {
    const OtpParams params{};
    const std::string code0 = code_at(params, 0);
    const Verification v = verify_totp(bytes_of(kKey), params, 5, 1, std::nullopt, code0);
    CHECK(v.verdict == Verdict::accepted);
    CHECK(v.counter == 0);
    CHECK(
        verify_totp(bytes_of(kKey), params, 5, 1, std::nullopt, code_at(params, ~std::uint64_t{0}))
            .verdict == Verdict::wrong);
}

TEST_CASE("HOTP looks ahead from the next counter and reports older counters as replayed",
          "[verifier]") {
    const OtpParams params{OtpType::hotp, Algorithm::sha1, 6, 30};
    const std::uint64_t next = 100;
    auto check = [&](std::uint64_t counter, Verdict expected) {
        const Verification v =
            verify_hotp(bytes_of(kKey), params, next, 10, code_at(params, counter));
        INFO("counter " << counter);
        CHECK(v.verdict == expected);
        if (expected != Verdict::wrong) CHECK(v.counter == counter);
    };
    check(100, Verdict::accepted);
    check(105, Verdict::accepted);
    check(110, Verdict::accepted);
    check(111, Verdict::wrong);
    check(99, Verdict::replayed);
    check(90, Verdict::replayed);
    check(89, Verdict::wrong);

    // Near zero there is nothing behind.
    const Verification first = verify_hotp(bytes_of(kKey), params, 0, 10, code_at(params, 0));
    CHECK(first.verdict == Verdict::accepted);
    CHECK(first.counter == 0);
    // Look-ahead 0: only the next counter.
    CHECK(verify_hotp(bytes_of(kKey), params, next, 0, code_at(params, 100)).verdict ==
          Verdict::accepted);
    CHECK(verify_hotp(bytes_of(kKey), params, next, 0, code_at(params, 101)).verdict ==
          Verdict::wrong);
    // Capped at kMaxHotpLookAhead.
    CHECK(
        verify_hotp(bytes_of(kKey), params, 0, 1000, code_at(params, kMaxHotpLookAhead)).verdict ==
        Verdict::accepted);
    CHECK(verify_hotp(bytes_of(kKey), params, 0, 1000, code_at(params, kMaxHotpLookAhead + 1))
              .verdict == Verdict::wrong);
}

TEST_CASE("RFC 4226 codes verify at their counters", "[verifier]") {
    const OtpParams params{OtpType::hotp, Algorithm::sha1, 6, 30};
    const Verification v = verify_hotp(bytes_of(kKey), params, 0, 10, "162583");  // counter 7
    CHECK(v.verdict == Verdict::accepted);
    CHECK(v.counter == 7);
    CHECK(verify_hotp(bytes_of(kKey), params, 8, 10, "162583").verdict == Verdict::replayed);
}

TEST_CASE("malformed input is wrong and never throws", "[verifier]") {
    const OtpParams params{};
    const std::string right = code_at(params, totp_step(kNow, params.period));
    const auto entered =
        GENERATE_COPY(as<std::string>{}, "", right.substr(0, 5), right + "0", "0" + right,
                      right.substr(0, 5) + "a", "abcdef", " " + right.substr(1),
                      right.substr(0, 3) + " " + right.substr(3), right + "\n",
                      "\xef\xbc\x91\xef\xbc\x92", "-12345", "+12345");
    INFO("\"" << entered << "\"");
    CHECK(verify_totp(bytes_of(kKey), params, kNow, 1, std::nullopt, entered).verdict ==
          Verdict::wrong);
    CHECK(verify_hotp(bytes_of(kKey), OtpParams{OtpType::hotp}, 0, 10, entered).verdict ==
          Verdict::wrong);
}

TEST_CASE("looks_like_code wants exactly `digits` ASCII digits", "[verifier]") {
    CHECK(looks_like_code("123456", 6));
    CHECK(looks_like_code("00000000", 8));
    CHECK_FALSE(looks_like_code("1234567", 6));
    CHECK_FALSE(looks_like_code("12345", 6));
    CHECK_FALSE(looks_like_code("12345a", 6));
    CHECK_FALSE(looks_like_code("", 6));
    CHECK_FALSE(looks_like_code("123 456", 6));
}
