// HOTP/TOTP against the RFC test vectors and against oathtool.
#include "core/otp.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/base32.h"
#include "core/host_key.h"
#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;

namespace {

// RFC 6238 Appendix B: each algorithm uses the ASCII seed "1234567890..."
// repeated to the hash's output length.
std::string rfc6238_seed(Algorithm algorithm) {
    const std::size_t length = algorithm == Algorithm::sha1     ? 20
                               : algorithm == Algorithm::sha256 ? 32
                                                                : 64;
    std::string seed;
    while (seed.size() < length) seed += "1234567890";
    return seed.substr(0, length);
}

std::string totp_at(std::string_view key, Algorithm algorithm, std::int64_t time, int period,
                    int digits) {
    return std::string(hotp(bytes_of(key), algorithm, totp_step(time, period), digits).view());
}

}  // namespace

TEST_CASE("HOTP matches every value of RFC 4226 Appendix D", "[otp][rfc4226]") {
    const std::string key = "12345678901234567890";
    const std::vector<std::string> expected = {"755224", "287082", "359152", "969429", "338314",
                                               "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < expected.size(); ++counter) {
        INFO("counter " << counter);
        CHECK(hotp(bytes_of(key), Algorithm::sha1, counter, 6).view() == expected[counter]);
    }
}

TEST_CASE("TOTP matches every row of RFC 6238 Appendix B", "[otp][rfc6238]") {
    struct Row {
        std::int64_t time;
        std::uint64_t step;
        Algorithm algorithm;
        const char* code;
    };
    const Row row = GENERATE(values<Row>({
        {59, 0x1, Algorithm::sha1, "94287082"},
        {59, 0x1, Algorithm::sha256, "46119246"},
        {59, 0x1, Algorithm::sha512, "90693936"},
        {1111111109, 0x23523EC, Algorithm::sha1, "07081804"},
        {1111111109, 0x23523EC, Algorithm::sha256, "68084774"},
        {1111111109, 0x23523EC, Algorithm::sha512, "25091201"},
        {1111111111, 0x23523ED, Algorithm::sha1, "14050471"},
        {1111111111, 0x23523ED, Algorithm::sha256, "67062674"},
        {1111111111, 0x23523ED, Algorithm::sha512, "99943326"},
        {1234567890, 0x273EF07, Algorithm::sha1, "89005924"},
        {1234567890, 0x273EF07, Algorithm::sha256, "91819424"},
        {1234567890, 0x273EF07, Algorithm::sha512, "93441116"},
        {2000000000, 0x3F940AA, Algorithm::sha1, "69279037"},
        {2000000000, 0x3F940AA, Algorithm::sha256, "90698825"},
        {2000000000, 0x3F940AA, Algorithm::sha512, "38618901"},
        {20000000000, 0x27BC86AA, Algorithm::sha1, "65353130"},
        {20000000000, 0x27BC86AA, Algorithm::sha256, "77737706"},
        {20000000000, 0x27BC86AA, Algorithm::sha512, "47863826"},
    }));
    INFO("time " << row.time << ", " << algorithm_name(row.algorithm));
    CHECK(totp_step(row.time, 30) == row.step);
    CHECK(totp_at(rfc6238_seed(row.algorithm), row.algorithm, row.time, 30, 8) == row.code);
}

TEST_CASE("totp_step divides by the period and never goes negative", "[otp]") {
    CHECK(totp_step(0, 30) == 0);
    CHECK(totp_step(29, 30) == 0);
    CHECK(totp_step(30, 30) == 1);
    CHECK(totp_step(299, 300) == 0);
    CHECK(totp_step(300, 15) == 20);
    CHECK(totp_step(-1, 30) == 0);
    CHECK_THROWS_AS(totp_step(100, 0), std::invalid_argument);
}

TEST_CASE("codes are zero padded to the requested number of digits", "[otp]") {
    // RFC 6238 row 1111111109/SHA1 is 07081804: its 6- and 7-digit forms
    // keep the leading zeros.
    const std::string key = rfc6238_seed(Algorithm::sha1);
    CHECK(totp_at(key, Algorithm::sha1, 1111111109, 30, 8) == "07081804");
    CHECK(totp_at(key, Algorithm::sha1, 1111111109, 30, 7) == "7081804");
    CHECK(totp_at(key, Algorithm::sha1, 1111111109, 30, 6) == "081804");
    CHECK(OtpCode(42, 6).view() == "000042");
    CHECK(OtpCode(0, 8).view() == "00000000");
}

TEST_CASE("hotp refuses digits outside 6..8 and an empty key", "[otp]") {
    const std::string key = "12345678901234567890";
    CHECK_THROWS_AS(hotp(bytes_of(key), Algorithm::sha1, 0, 5), std::invalid_argument);
    CHECK_THROWS_AS(hotp(bytes_of(key), Algorithm::sha1, 0, 9), std::invalid_argument);
    CHECK_THROWS_AS(hotp({}, Algorithm::sha1, 0, 6), std::invalid_argument);
}

TEST_CASE("algorithm and type names round-trip and parsing is exact", "[otp]") {
    for (Algorithm a : {Algorithm::sha1, Algorithm::sha256, Algorithm::sha512}) {
        const auto parsed = parse_algorithm(algorithm_name(a));
        REQUIRE(parsed);
        CHECK(*parsed == a);
    }
    CHECK(algorithm_name(Algorithm::sha256) == "SHA256");
    CHECK_FALSE(parse_algorithm("sha1"));
    CHECK_FALSE(parse_algorithm("SHA-1"));
    CHECK_FALSE(parse_algorithm("SHA384"));
    CHECK_FALSE(parse_algorithm(""));
    CHECK(otp_type_name(OtpType::totp) == "totp");
    CHECK(otp_type_name(OtpType::hotp) == "hotp");
}

// ---------------------------------------------------------------------------
// Agreement with oathtool (OATH Toolkit) for random secrets.

namespace {

struct OathCase {
    Algorithm algorithm;
    int digits;
};

std::string oathtool(const std::string& arguments) {
    const std::string command = std::string(OATHTOOL) + " " + arguments + " 2>&1";
    const auto result = test_util::run_command(command);
    INFO(command << " -> " << result.output);
    REQUIRE(result.status == 0);
    return result.output;
}

// A fresh seed per run; each test reports it so a failure can be replayed.
std::uint64_t random_seed() {
    static const std::uint64_t seed = std::random_device{}();
    return seed;
}

std::mt19937_64& rng() {
    static std::mt19937_64 engine(random_seed());
    return engine;
}

std::vector<std::uint8_t> random_key() {
    std::uniform_int_distribution<int> length(10, 64);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<std::uint8_t> key(static_cast<std::size_t>(length(rng())));
    for (auto& b : key) b = static_cast<std::uint8_t>(byte(rng()));
    return key;
}

template <class T>
T uniform(T low, T high) {
    return std::uniform_int_distribution<T>(low, high)(rng());
}

}  // namespace

TEST_CASE("TOTP agrees with oathtool for random secrets, periods and times", "[otp][oathtool]") {
    const OathCase c = GENERATE(values<OathCase>({{Algorithm::sha1, 6},
                                                  {Algorithm::sha1, 8},
                                                  {Algorithm::sha256, 6},
                                                  {Algorithm::sha256, 8},
                                                  {Algorithm::sha512, 6},
                                                  {Algorithm::sha512, 8}}));
    INFO("random seed " << random_seed());
    const std::string alg(algorithm_name(c.algorithm));
    const std::string digits = std::to_string(c.digits);

    SECTION("the default 30 s period at a fixed date") {
        const auto key = random_key();
        const std::int64_t new_year_2026 = 1767225600;
        const std::string expected =
            oathtool("--totp=" + alg + " -d " + digits + " --now \"2026-01-01 00:00:00 UTC\" -b " +
                     base32_encode(key));
        CHECK(hotp(key, c.algorithm, totp_step(new_year_2026, 30), c.digits).view() == expected);
    }
    SECTION("random periods and times") {
        for (int i = 0; i < 5; ++i) {
            const auto key = random_key();
            const int period = uniform(kMinPeriod, kMaxPeriod);
            const std::int64_t now = uniform<std::int64_t>(0, std::int64_t{4} << 32);
            INFO("key " << to_hex(key) << ", period " << period << ", time " << now);
            const std::string expected =
                oathtool("--totp=" + alg + " -d " + digits + " -s " + std::to_string(period) +
                         "s --now @" + std::to_string(now) + " -b " + base32_encode(key));
            CHECK(hotp(key, c.algorithm, totp_step(now, period), c.digits).view() == expected);
        }
    }
}

TEST_CASE("HOTP agrees with oathtool for random secrets and counters", "[otp][oathtool]") {
    const OathCase c = GENERATE(values<OathCase>({{Algorithm::sha1, 6},
                                                  {Algorithm::sha1, 8},
                                                  {Algorithm::sha256, 6},
                                                  {Algorithm::sha256, 8},
                                                  {Algorithm::sha512, 6},
                                                  {Algorithm::sha512, 8}}));
    INFO("random seed " << random_seed());
    const std::string digits = std::to_string(c.digits);
    for (int i = 0; i < 5; ++i) {
        const auto key = random_key();
        // Small counters, and large ones that exercise the high counter bytes.
        const std::uint64_t counter = i < 2 ? uniform<std::uint64_t>(0, 1000)
                                            : uniform<std::uint64_t>(0, std::uint64_t{1} << 48);
        INFO("key " << to_hex(key) << ", counter " << counter);
        // oathtool's --hotp is HMAC-SHA1 only; for SHA256/SHA512 a TOTP with
        // a 1 s step at unix time `counter` is HOTP at that counter.
        const std::string arguments =
            c.algorithm == Algorithm::sha1
                ? "--hotp -c " + std::to_string(counter) + " -d " + digits + " " + to_hex(key)
                : "--totp=" + std::string(algorithm_name(c.algorithm)) + " -s 1s --now @" +
                      std::to_string(counter) + " -d " + digits + " " + to_hex(key);
        CHECK(hotp(key, c.algorithm, counter, c.digits).view() == oathtool(arguments));
    }
}
