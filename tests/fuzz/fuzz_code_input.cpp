// What a user types at the prompt, through the same steps as the module's
// login flow (module/login_flow.cpp): optional forward_pass split, space
// normalisation, TOTP or HOTP window check, recovery-code match, then the
// policy decision. Every verdict is checked against a plain reference
// implementation, so the fuzzer finds logic errors as well as memory errors.
//
// Input layout: 25 bytes of parameters (see below), the rest is the typed text.
// Because the fuzzer cannot compute HMACs, one flag substitutes the true code
// of a chosen step into the typed text, so accepting, replayed and
// out-of-window codes are all reached.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/code_input.h"
#include "core/policy.h"
#include "core/recovery_codes.h"
#include "core/verifier.h"
#include "fuzz_common.h"

using namespace pam_totp;

namespace {

constexpr std::string_view kKey = "12345678901234567890";  // RFC 4226/6238 test key
constexpr const char* kRecoveryPlain[] = {"7KQ2-M9XD", "ABCD-EFGH", "2345-6789", "ZZZZ-ZZZ2"};

std::span<const std::uint8_t> key() {
    return {reinterpret_cast<const std::uint8_t*>(kKey.data()), kKey.size()};
}

// Fixed salt so runs are reproducible; what matters is the matching logic.
const RecoveryCodes& recovery() {
    static const RecoveryCodes codes = [] {
        RecoveryCodes c;
        for (std::size_t i = 0; i < c.salt.size(); ++i)
            c.salt[i] = static_cast<std::uint8_t>(i * 7 + 1);
        for (const char* plain : kRecoveryPlain) c.hashes.push_back(hash_recovery_code(c, plain));
        return c;
    }();
    return codes;
}

// Reference recovery matcher: normalise as documented, compare as strings.
std::optional<int> reference_recovery(std::string_view typed, std::uint32_t used) {
    if (typed.empty() || typed.size() > 64) return std::nullopt;
    auto norm = [](std::string_view s) {
        std::string out;
        for (char c : s) {
            if (c == ' ' || c == '-') continue;
            out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
        }
        return out;
    };
    std::optional<int> found;
    const std::string t = norm(typed);
    for (int i = 0; i < static_cast<int>(std::size(kRecoveryPlain)); ++i)
        if (norm(kRecoveryPlain[i]) == t && !((used >> i) & 1u)) found = i;
    return found;
}

// Reference window check: the newest fresh match wins, else any stale match.
Verification reference_scan(const OtpParams& p, std::uint64_t first, std::uint64_t last,
                            std::uint64_t fresh_from, std::string_view entered) {
    if (!looks_like_code(entered, p.digits)) return {};
    std::optional<std::uint64_t> fresh, stale;
    for (std::uint64_t c = first;; ++c) {
        if (hotp(key(), p.algorithm, c, p.digits).view() == entered)
            (c >= fresh_from ? fresh : stale) = c;
        if (c == last) break;
    }
    if (fresh) return {Verdict::accepted, *fresh};
    if (stale) return {Verdict::replayed, *stale};
    return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t flags = in.byte();
    const bool hotp_mode = flags & 1;
    const bool forward_pass = flags & 2;
    const bool substitute = flags & 4;
    const bool has_last = flags & 8;

    OtpParams params;
    params.type = hotp_mode ? OtpType::hotp : OtpType::totp;
    params.algorithm = static_cast<Algorithm>(in.byte() % 3);
    params.digits = kMinDigits + in.byte() % (kMaxDigits - kMinDigits + 1);
    params.period = kMinPeriod + in.byte() % (kMaxPeriod - kMinPeriod + 1);
    const int window =
        in.byte() % (kMaxTotpWindow + 2);  // one past the cap: clamping is tested too
    const int look_ahead = in.byte() % (kMaxHotpLookAhead + 2);
    const int offset = static_cast<int>(in.byte()) - 128;  // step of the substituted code, relative
    // Real clocks are positive and far from overflow; negative ones must still
    // be handled (a broken RTC), so the range is +-2^40 s.
    const std::int64_t now = static_cast<std::int64_t>(in.u64()) % (std::int64_t{1} << 40);
    const std::uint64_t last_raw = in.u64();
    const std::uint64_t last = last_raw >> (in.byte() % 64);  // small values are common too
    const std::uint32_t used_recovery = in.byte();
    std::string typed(in.rest());

    const std::uint64_t step = totp_step(now, params.period);
    const std::uint64_t center = hotp_mode ? last + 1 : step;
    if (substitute) {
        const std::uint64_t at =
            center + static_cast<std::uint64_t>(static_cast<std::int64_t>(offset));
        const std::string code(hotp(key(), params.algorithm, at, params.digits).view());
        // Replace the tail, so forward_pass inputs keep their password part.
        typed.replace(typed.size() - std::min(typed.size(), code.size()), std::string::npos, code);
    }

    // The module's order: forward_pass splits the raw text, then the code is normalised.
    std::optional<SecretBytes> code_part;
    if (forward_pass) {
        auto candidates = split_candidates(typed, params.digits);
        for (const PasswordAndCode& split : candidates) {
            FUZZ_CHECK(split.password.view().size() + split.code.view().size() == typed.size());
            FUZZ_CHECK(typed.substr(0, split.password.size()) == split.password.view());
            // The tail is a code, an imported scratch code, or (so recovery
            // codes work with forward_pass) a recovery code.
            FUZZ_CHECK(looks_like_code(split.code.view(), params.digits) ||
                       looks_like_code(split.code.view(), static_cast<int>(kImportedScratchLength)) ||
                       looks_like_recovery_code(split.code.view()));
        }
        // The first candidate is the one a login judges first (the one-time
        // code when the answer ends in one).
        code_part = candidates.empty() ? SecretBytes() : std::move(candidates.front().code);
    } else {
        code_part = SecretBytes::from_string(typed);
    }
    const SecretBytes code = normalize_typed_code(code_part->view());
    FUZZ_CHECK(code.size() <= kMaxTypedLength);
    FUZZ_CHECK(std::find(code.view().begin(), code.view().end(), ' ') == code.view().end());

    Attempt attempt;
    Verification expected;
    if (!hotp_mode) {
        const std::optional<std::uint64_t> last_accepted =
            has_last ? std::optional(last) : std::nullopt;
        attempt.otp = verify_totp(key(), params, now, window, last_accepted, code.view());
        const std::uint64_t w = static_cast<std::uint64_t>(std::clamp(window, 0, kMaxTotpWindow));
        expected = reference_scan(params, step >= w ? step - w : 0, step + w,
                                  last_accepted ? *last_accepted + 1 : 0, code.view());
    } else {
        const std::uint64_t next = last;
        attempt.otp = verify_hotp(key(), params, next, look_ahead, code.view());
        const std::uint64_t la =
            static_cast<std::uint64_t>(std::clamp(look_ahead, 0, kMaxHotpLookAhead));
        expected = reference_scan(params, next - std::min(next, la), next + la, next, code.view());
    }
    FUZZ_CHECK(attempt.otp.verdict == expected.verdict);
    if (expected.verdict != Verdict::wrong) FUZZ_CHECK(attempt.otp.counter == expected.counter);

    attempt.recovery = match_recovery_code(recovery(), code.view(), used_recovery);
    attempt.recovery_total = static_cast<int>(recovery().hashes.size());
    FUZZ_CHECK(attempt.recovery == reference_recovery(code.view(), used_recovery));

    // The policy on top: a lock refuses everything; a success clears the
    // counters; a wrong code counts or locks.
    UserState state;
    state.has_last = has_last;
    state.last_accepted = last;
    state.failures = flags >> 4;
    state.locks = static_cast<std::uint32_t>(offset & 7);
    // Up to 5100 s ahead: longer than any lock, as after the clock was set back.
    state.locked_until = (flags & 0x80) ? now + (offset + 128) * 20 : 0;
    state.used_recovery = used_recovery;
    const ThrottlePolicy policy{static_cast<std::uint32_t>(1 + (flags >> 5)), 30, 900};
    const Decision d = decide(state, attempt, policy, now);
    if (lock_remaining(state, now) > 0) {
        // Nothing judged or consumed; only a lock beyond the cap is shortened to it.
        UserState capped = state;
        capped.locked_until = std::min(state.locked_until, now + policy.max_lock);
        FUZZ_CHECK(d.outcome == Outcome::locked && d.next == capped);
        FUZZ_CHECK(d.lock_seconds > 0 && d.lock_seconds <= policy.max_lock);
    } else if (d.outcome == Outcome::accepted) {
        FUZZ_CHECK(attempt.otp.verdict == Verdict::accepted && d.next.has_last &&
                   d.next.last_accepted == attempt.otp.counter && d.next.failures == 0 &&
                   d.next.locks == 0);
    } else if (d.outcome == Outcome::accepted_recovery) {
        FUZZ_CHECK(attempt.recovery && ((d.next.used_recovery >> *attempt.recovery) & 1u));
        FUZZ_CHECK(d.recovery_remaining ==
                   count_unused(d.next.used_recovery, attempt.recovery_total));
    } else if (d.outcome == Outcome::replayed) {
        FUZZ_CHECK(d.next == state);
    } else {
        FUZZ_CHECK(d.outcome == Outcome::wrong && attempt.otp.verdict == Verdict::wrong &&
                   !attempt.recovery);
        FUZZ_CHECK(d.lock_seconds == 0
                       ? d.next.failures == state.failures + 1
                       : d.next.locked_until == now + d.lock_seconds && d.lock_seconds <= 900);
    }
    return 0;
}
