#include "status_command.h"

#include "core/host_key_files.h"
#include "core/secret_file.h"
#include "record_access.h"
#include "record_status.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

// The public key is optional here: --status must work without it, but when
// it can be read, a file sealed to another key is worth pointing out.
std::string key_note(const Context& context, const std::string& key_id) {
    auto host = pam_totp::load_host_public_key(context.host_public_key_path);
    if (!host) return "(cannot compare with this host's key: " + host.error().message + ")";
    if (host->key_id() == key_id) return "(this host's key, " + context.host_public_key_path + ")";
    return "(NOT this host's key " + host->key_id() + ": the module cannot open it; enrol again)";
}

}  // namespace

ExitCode run_status(const Context& context) {
    const std::string& path = context.store.path();
    auto text = context.store.read();
    if (!text) return report(text.error());
    const auto& contents = *text;
    // The module's record is root's; a user sees their file only.
    const std::optional<RecordStatus> record =
        includes_record(context.options) ? std::optional(describe_record(context, contents))
                                         : std::nullopt;
    if (!contents) {
        const bool pinned = record && record->pinned;
        std::string out = path + (pinned ? ": no file, but the module's record pins an enrolment\n"
                                         : ": not enrolled\n");
        if (record) out += record->lines;
        if (auto status = write_stdout(out); !status) return report(status.error());
        return pinned ? ExitCode::ok : ExitCode::not_enrolled;
    }
    auto parsed = pam_totp::parse_secret_file(*contents);
    if (!parsed)
        return report(failure(ExitCode::system, path + ": not a valid pam_totp secret file: " +
                                                    parsed.error().message));
    const pam_totp::SecretHeader& h = parsed->header;

    std::string out = path + ": enrolled\n";
    out += "  user       " + h.user + "\n";
    out += "  type       " + std::string(pam_totp::otp_type_name(h.otp.type)) + "\n";
    out += "  algorithm  " + std::string(pam_totp::algorithm_name(h.otp.algorithm)) + "\n";
    out += "  digits     " + std::to_string(h.otp.digits) + "\n";
    if (h.otp.type == pam_totp::OtpType::totp)
        out += "  period     " + std::to_string(h.otp.period) + " s\n";
    else
        out += "  counter    " + std::to_string(h.counter) + " (at enrolment)\n";
    out += "  created    " + utc_time(h.created) + "\n";
    out += "  key-id     " + h.key_id + " " + key_note(context, h.key_id) + "\n";
    if (h.user != context.user.name)
        out += "Warning: the file is for user " + h.user + ", not " + context.user.name +
               "; the module refuses it for " + context.user.name + ".\n";
    if (record) out += record->lines;
    if (auto status = write_stdout(out); !status) return report(status.error());
    return ExitCode::ok;
}

}  // namespace totp_enroll
