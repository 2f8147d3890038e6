// Single-use recovery codes: shape, hashing, matching.
#include "core/recovery_codes.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "test_util.h"

using namespace pam_totp;
using test_util::string_of;

namespace {

bool is_code_symbol(char c) {
    // Digits and capitals without the look-alikes 0/O and 1/I.
    return (c >= '2' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'O' && c != 'I');
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return s;
}

}  // namespace

TEST_CASE("recovery codes look like XXXX-XXXX and are never all digits", "[recovery]") {
    auto codes = generate_recovery_codes(kRecoveryCodeCount);
    REQUIRE(codes.size() == kRecoveryCodeCount);
    for (SecretBytes& code : generate_recovery_codes(2000)) codes.push_back(std::move(code));
    std::set<std::string> distinct;
    for (const SecretBytes& code : codes) {
        const std::string text = string_of(code);
        INFO(text);
        REQUIRE(text.size() == 9);
        CHECK(text[4] == '-');
        const std::string symbols = text.substr(0, 4) + text.substr(5);
        CHECK(std::all_of(symbols.begin(), symbols.end(), is_code_symbol));
        CHECK_FALSE(std::all_of(symbols.begin(), symbols.end(),
                                [](char c) { return c >= '0' && c <= '9'; }));
        distinct.insert(text);
    }
    CHECK(distinct.size() == codes.size());  // 40 bits each: no repeats expected
}

TEST_CASE("a large batch of recovery codes holds no all-digit code", "[recovery]") {
    // One raw draw in 65536 is all digits (8 of 32 symbols, 8 symbols), so
    // 300000 codes would show about 4 if the generator did not redraw them.
    int all_digit = 0;
    for (const SecretBytes& code : generate_recovery_codes(300000)) {
        const std::string normalized = string_of(normalize_recovery_code(code.view()));
        all_digit += std::all_of(normalized.begin(), normalized.end(),
                                 [](char c) { return c >= '0' && c <= '9'; });
    }
    CHECK(all_digit == 0);
}

TEST_CASE("normalize_recovery_code upper-cases and drops spaces and dashes", "[recovery]") {
    CHECK(string_of(normalize_recovery_code("7kq2 m9xd")) == "7KQ2M9XD");
    CHECK(string_of(normalize_recovery_code("7KQ2-M9XD")) == "7KQ2M9XD");
    CHECK(string_of(normalize_recovery_code(" 7k-q2 m9-xd ")) == "7KQ2M9XD");
    CHECK(string_of(normalize_recovery_code("")).empty());
}

TEST_CASE("a typed recovery code matches its own index, however it is spelled", "[recovery]") {
    const auto plain = generate_recovery_codes(kRecoveryCodeCount);
    const RecoveryCodes codes = make_recovery_codes(plain);
    REQUIRE(codes.hashes.size() == plain.size());
    for (int i = 0; i < kRecoveryCodeCount; ++i) {
        const std::string text = string_of(plain[static_cast<std::size_t>(i)]);
        const std::string spaced = lower(text.substr(0, 4)) + " " + lower(text.substr(5));
        const std::string squashed = text.substr(0, 4) + text.substr(5);
        INFO(text);
        for (const std::string& typed : {text, spaced, squashed, " " + text + " "}) {
            const auto match = match_recovery_code(codes, typed, 0);
            REQUIRE(match);
            CHECK(*match == i);
        }
    }
}

TEST_CASE("used codes, wrong codes and junk do not match", "[recovery]") {
    const auto plain = generate_recovery_codes(kRecoveryCodeCount);
    const RecoveryCodes codes = make_recovery_codes(plain);
    const std::string third = string_of(plain[3]);

    CHECK(match_recovery_code(codes, third, 1u << 3) == std::nullopt);
    CHECK(match_recovery_code(codes, third, ~0u) == std::nullopt);
    CHECK(match_recovery_code(codes, third, ~(1u << 3)) == std::optional<int>(3));

    std::string changed = third;
    changed[0] = changed[0] == 'A' ? 'B' : 'A';
    CHECK_FALSE(match_recovery_code(codes, changed, 0));
    CHECK_FALSE(match_recovery_code(codes, third.substr(0, 8), 0));
    CHECK_FALSE(match_recovery_code(codes, "", 0));
    CHECK_FALSE(match_recovery_code(codes, "123456", 0));
    CHECK_FALSE(match_recovery_code(codes, std::string(65, ' ') + third, 0));
    CHECK_FALSE(match_recovery_code(RecoveryCodes{}, third, 0));

    // Another salt: the same code hashes differently and does not match.
    const RecoveryCodes other = make_recovery_codes(plain);
    CHECK(other.salt != codes.salt);
    CHECK(other.hashes[0] != codes.hashes[0]);
    CHECK(hash_recovery_code(codes, third) == codes.hashes[3]);
    CHECK(hash_recovery_code(codes, lower(third)) == codes.hashes[3]);
}

TEST_CASE("make_recovery_codes refuses more codes than the used mask can hold", "[recovery]") {
    CHECK_NOTHROW(make_recovery_codes(generate_recovery_codes(kMaxRecoveryCodes)));
    CHECK_THROWS_AS(make_recovery_codes(generate_recovery_codes(kMaxRecoveryCodes + 1)),
                    std::invalid_argument);
}
