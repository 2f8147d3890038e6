#include "core/login_notice.h"

#include <ctime>
#include <limits>

namespace pam_totp {
namespace {

// Remote host names come from the client: only printable ASCII is kept.
std::string printable_host(std::string_view host) {
    std::string out(host.substr(0, kMaxRecordedHost));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return out;
}

std::string utc_time(std::int64_t when) {
    const std::time_t t = static_cast<std::time_t>(when);
    std::tm tm{};
    if (!::gmtime_r(&t, &tm)) return "an unknown time";
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
    return text;
}

}  // namespace

void note_refused_attempt(UserState& next, std::int64_t now, std::string_view remote_host) {
    if (next.failed_since_login < std::numeric_limits<std::uint32_t>::max())
        ++next.failed_since_login;
    next.last_failure_at = now;
    next.last_failure_host = printable_host(remote_host);
}

LoginNotice note_success(UserState& next, const UserState& before, std::int64_t now,
                         const Attempt& attempt, const OtpParams& otp) {
    LoginNotice notice;
    notice.refused = before.failed_since_login;
    notice.last_refused_at = before.last_failure_at;
    notice.last_refused_from = before.last_failure_host;
    if (otp.type == OtpType::totp && attempt.otp.verdict == Verdict::accepted && otp.period > 0) {
        const std::int64_t step_now = now / otp.period;
        notice.clock_offset =
            (static_cast<std::int64_t>(attempt.otp.counter) - step_now) * otp.period;
    }
    next.failed_since_login = 0;
    next.last_failure_at = 0;
    next.last_failure_host.clear();
    next.last_login = now;
    return notice;
}

std::vector<std::string> notice_lines(const LoginNotice& notice) {
    std::vector<std::string> lines;
    if (notice.refused > 0) {
        std::string line = std::to_string(notice.refused) + " failed code attempt" +
                           (notice.refused == 1 ? "" : "s") + " since your last login, the last";
        if (!notice.last_refused_from.empty()) line += " from " + notice.last_refused_from;
        line += " at " + utc_time(notice.last_refused_at) + ".";
        lines.push_back(line);
    }
    if (notice.clock_offset != 0) {
        const std::int64_t seconds =
            notice.clock_offset < 0 ? -notice.clock_offset : notice.clock_offset;
        lines.push_back("Your phone's clock is about " + std::to_string(seconds) + " s " +
                        (notice.clock_offset < 0 ? "behind" : "ahead") +
                        "; set it to automatic time.");
    }
    return lines;
}

}  // namespace pam_totp
