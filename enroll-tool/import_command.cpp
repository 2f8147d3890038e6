#include "import_command.h"

#include "admin_managed.h"
#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "enrollment_writer.h"
#include "fs_identity.h"
#include "google_authenticator_import.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

// google-authenticator keeps it at most 1 KiB; some slack for hand edits.
constexpr std::size_t kMaxImportSize = 4096;

Result<pam_totp::SecretBytes> read_import_file(const Context& context) {
    const std::string& path = *context.options.import_file;
    // The file sits in the user's home: read it as the user, like the module
    // reads secret files.
    auto identity = identity_for(context.user, path, Access::read);
    if (!identity) return identity.error();
    // Not writable by others: whoever could write it could have planted a
    // secret of their own.
    auto bytes = pam_totp::read_checked_file(path, {.owner = context.user.uid,
                                                    .allow_root = true,
                                                    .forbidden_mode = 0022,
                                                    .max_size = kMaxImportSize});
    if (!bytes) return failure(ExitCode::system, "cannot import " + bytes.error().message);
    if (!*bytes) return failure(ExitCode::system, "cannot import " + path + ": no such file");
    return std::move(**bytes);
}

}  // namespace

ExitCode run_import(const Context& context) {
    const Options& options = context.options;
    const std::string& import_path = *options.import_file;
    auto writer = EnrollmentWriter::prepare(context);
    if (!writer) return report(writer.error());
    const EnrollmentWriter& saver = *writer;

    auto text = read_import_file(context);
    if (!text) return report(text.error());
    auto parsed = parse_google_authenticator(text->view());
    if (!parsed)
        return report(failure(ExitCode::system,
                              "cannot import " + import_path + ": " + parsed.error().message));
    GoogleAuthenticatorFile& imported = *parsed;

    // No confirmation code: the app already has this secret, and an
    // administrator migrating users has no phone to read codes from.
    const pam_totp::SecretHeader header =
        new_header(context.user, imported.otp, imported.counter, saver.host());
    pam_totp::SecretPayload payload{std::move(imported.key),
                                    pam_totp::make_recovery_codes(imported.scratch_codes)};
    auto saved = saver.save(header, payload);
    if (!saved) return report(saved.error());

    std::string out = "Imported " + import_path + " into " + context.store.path() + " for user " +
                      context.user.name + " (sealed to host key " + header.key_id + "): ";
    if (imported.otp.type == pam_totp::OtpType::totp)
        out += "TOTP, SHA1, 6 digits, every " + std::to_string(imported.otp.period) + " s";
    else
        out += "HOTP, SHA1, 6 digits, next counter " + std::to_string(imported.counter);
    out += ".\n" + saved->note;
    if (imported.scratch_codes.empty())
        out +=
            "The file had no scratch codes, so there are no recovery codes; run totp-enroll\n"
            "(without --import) to get a new secret with recovery codes.\n";
    else
        out += "Its " + std::to_string(imported.scratch_codes.size()) +
               " scratch codes are now recovery codes: each works once, typed instead of a code.\n";
    if (!imported.ignored_options.empty()) {
        out += "Not carried over (the module has its own options for these):";
        for (const std::string& name : imported.ignored_options) out += " " + name;
        out += ".\n";
    }
    out += "\nThe secret is still in plain text in " + import_path +
           ". Delete that file once\n"
           "logins with pam_totp work, for example: rm " +
           import_path + "\n";
    if (const std::string notice = saver.closing_notice(); !notice.empty()) out += "\n" + notice;
    if (auto status = write_stdout(out); !status) return report(status.error());
    if (!saved->pinning) return report(saved->pinning.error());
    return ExitCode::ok;
}

}  // namespace totp_enroll
