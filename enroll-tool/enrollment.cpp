#include "enrollment.h"

#include <unistd.h>

#include <climits>
#include <ctime>
#include <string>

#include "admin_managed.h"
#include "clock_offset.h"
#include "core/base32.h"
#include "core/code_input.h"
#include "core/host_key_files.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "core/verifier.h"
#include "enrollment_writer.h"
#include "otpauth_uri.h"
#include "qr_render.h"
#include "recovery_output.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

using pam_totp::OtpType;
using pam_totp::SecretBytes;

std::string host_name() {
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

std::string describe(const pam_totp::OtpParams& otp) {
    std::string text = otp.type == OtpType::totp ? "TOTP" : "HOTP";
    text += ", " + std::string(pam_totp::algorithm_name(otp.algorithm)) + ", " +
            std::to_string(otp.digits) + " digits";
    if (otp.type == OtpType::totp) text += ", every " + std::to_string(otp.period) + " s";
    return text;
}

}  // namespace

// URI alone on its line (for copying, or for scripts, which read the secret
// from it), grouped secret, QR code. The QR code comes last, right above the
// prompt, so in an 80x24 terminal the lines that scroll away are the URI and
// then the text, never the QR code: a version 5 symbol (21 lines) leaves room
// for the two text lines, a version 6 one (23 lines) for the prompt.
pam_totp::Status show_secret(QrStyle style, const pam_totp::OtpParams& otp,
                             const pam_totp::SecretBytes& uri, const SecretBytes& key) {
    auto qr = render_qr(uri.view(), style);
    if (!qr) return pam_totp::Error{qr.error().message + " (try --qr=none)"};
    std::string grouped_text = pam_totp::base32_grouped(key.span());
    const pam_totp::SecretBytes grouped = pam_totp::SecretBytes::take(grouped_text);

    auto out = pam_totp::SecretBytes::with_capacity(qr->size() + 1024);
    out.append(uri.view());
    out.append("\n");
    out.append(style == QrStyle::none
                   ? "Type this secret into an authenticator app\n("
                   : "Scan the QR code below with an authenticator app, or type in this secret\n(");
    // At most 40 + 39 columns ("(TOTP, SHA512, 8 digits, every 300 s):  ").
    out.append(describe(otp));
    out.append("):  ");
    out.append(grouped.view());
    out.append("\n");
    out.append(qr->view());
    return write_stdout(out.view());
}

namespace {

// A TOTP code the window refused: said plainly when it is the code of
// another time within kClockSearchSeconds (the phone's clock is off, or the
// code expired at the prompt).
std::string wrong_totp_code(const pam_totp::OtpParams& otp, const SecretBytes& key,
                            std::int64_t shown, std::int64_t answered, std::string_view code) {
    const auto offset = phone_clock_offset(key.span(), otp, shown, answered, code);
    if (!offset) return "That code is not right. Check that the phone's clock is correct.";
    if (*offset == 0) return "That code has expired: type the one the app shows now.";
    return "That code is not right now: your phone's clock is " + describe_clock_offset(*offset) +
           ".\nSet the phone to automatic time, then type the code it shows.";
}

}  // namespace

Result<Confirmation> confirm_code(const pam_totp::OtpParams& otp, const SecretBytes& key) {
    const std::string prompt =
        "Enter the " + std::to_string(otp.digits) + "-digit code the app shows: ";
    for (int attempt = 1; attempt <= kConfirmationTries; ++attempt) {
        const auto shown = static_cast<std::int64_t>(std::time(nullptr));
        const auto typed = read_line(prompt, pam_totp::kMaxTypedLength);
        const auto answered = static_cast<std::int64_t>(std::time(nullptr));
        if (!typed) return Error{typed.error().message + "; nothing was saved", typed.error().code};
        const SecretBytes code = pam_totp::normalize_typed_code(typed->view());
        const int left = kConfirmationTries - attempt;
        std::string complaint;
        if (!pam_totp::looks_like_code(code.view(), otp.digits)) {
            complaint = "That is not a " + std::to_string(otp.digits) + "-digit code.";
        } else {
            const pam_totp::Verification result =
                otp.type == OtpType::totp
                    ? pam_totp::verify_totp(key.span(), otp, answered, 1, std::nullopt, code.view())
                    : pam_totp::verify_hotp(key.span(), otp, 0, kConfirmationLookAhead,
                                            code.view());
            if (result.verdict == pam_totp::Verdict::accepted) {
                if (otp.type == OtpType::hotp) return Confirmation{result.counter, ""};
                // Accepted inside the window; the wider search only says how
                // far the phone's clock is off.
                const auto offset =
                    phone_clock_offset(key.span(), otp, shown, answered, code.view());
                std::string note;
                if (offset && *offset != 0)
                    note = "Your phone's clock is " + describe_clock_offset(*offset) +
                           "; codes still work,\nbut set it to automatic time.\n";
                return Confirmation{result.counter, note};
            }
            complaint = otp.type == OtpType::totp
                            ? wrong_totp_code(otp, key, shown, answered, code.view())
                            : "That code is not right.";
        }
        if (left > 0)
            write_stderr(complaint + " " + std::to_string(left) + (left == 1 ? " try" : " tries") +
                         " left.\n");
        else
            write_stderr(complaint + "\n");
    }
    return failure(ExitCode::refused, "no right code after " + std::to_string(kConfirmationTries) +
                                          " tries; nothing was saved");
}

ExitCode run_enrollment(const Context& context) {
    const Options& options = context.options;
    // Everything that can fail without the user comes first: nobody should
    // add an account to their app for a secret that is then never saved.
    auto writer = EnrollmentWriter::prepare(context);
    if (!writer) return report(writer.error());
    const EnrollmentWriter& saver = *writer;

    const SecretBytes key = SecretBytes::random(pam_totp::kDefaultKeySize);
    const std::string host_label = host_name();
    UriFields fields;
    fields.issuer = options.issuer.value_or(host_label);
    fields.account = options.label.value_or(context.user.name + "@" + host_label);
    fields.otp = options.otp;
    fields.counter = 0;
    const pam_totp::SecretBytes uri = build_otpauth_uri(fields, key.span());
    if (auto status = show_secret(options.qr, options.otp, uri, key); !status)
        return report(status.error());

    const auto confirmed = confirm_code(options.otp, key);
    if (!confirmed) return report(confirmed.error());
    const Confirmation& confirmation = *confirmed;

    // HOTP: the code just typed is used up; the module starts after it.
    pam_totp::SecretHeader header =
        new_header(context.user, options.otp, confirmation.counter + 1, saver.host());
    // TOTP: the step of the confirmation code is spent too, so a code seen
    // over the user's shoulder while enrolling cannot log in.
    if (options.otp.type == OtpType::totp) header.used_step = confirmation.counter;
    const std::vector<SecretBytes> recovery =
        pam_totp::generate_recovery_codes(pam_totp::kRecoveryCodeCount);
    pam_totp::SecretPayload payload{SecretBytes(key.span()),
                                    pam_totp::make_recovery_codes(recovery)};
    auto saved = saver.save(header, payload);
    if (!saved) return report(saved.error());

    auto done = pam_totp::SecretBytes::with_capacity(2048);
    done.append("Code accepted. Saved " + context.store.path() + " for user " + context.user.name +
                " (sealed to host key " + header.key_id + ").\n");
    done.append(confirmation.clock_note);
    if (header.otp.type == pam_totp::OtpType::totp)
        done.append(
            "The code you just typed is used up: log in with the next one your app shows.\n");
    done.append(saved->note);
    done.append("\n");
    append_recovery_codes(done, recovery);
    if (const std::string notice = saver.closing_notice(); !notice.empty()) {
        done.append("\n");
        done.append(notice);
    }
    if (auto status = write_stdout(done.view()); !status)
        return report(Error{status.error().message +
                            " (the enrolment was saved, but the recovery codes could not be "
                            "shown; run totp-enroll --force again)"});
    if (!saved->pinning) return report(saved->pinning.error());
    return ExitCode::ok;
}

}  // namespace totp_enroll
