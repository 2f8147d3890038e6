#include "pin_command.h"

#include <ctime>
#include <variant>

#include "core/host_key_files.h"
#include "core/record_admin.h"
#include "core/secret_file_access.h"
#include "record_access.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

using pam_totp::HostPrivateKey;
using pam_totp::LockedStateFile;
using pam_totp::PinnedFile;
using pam_totp::UserState;

enum class Mode {
    one_user,   // --pin --user NAME: replaces a pin or a retired file with --force
    all_users,  // --pin --all: pins only records without a pin, never replaces
};

enum class Verdict { pinned, already_pinned, no_file, skipped, refused, failed };

struct Outcome {
    Verdict verdict = Verdict::failed;
    std::string message;
};

Outcome outcome(Verdict verdict, std::string message) {
    return Outcome{verdict, std::move(message)};
}

struct UserFile {
    std::string bytes;
    PinnedFile identity;
};

// Reads and checks the user's file as the module would: as the user, and it
// must parse, name the user and open with the host key.
std::variant<UserFile, Outcome> read_user_file(const SecretStore& store,
                                               const HostPrivateKey& key) {
    auto text = store.read();
    if (!text) return outcome(Verdict::failed, text.error().message);
    auto& contents = *text;
    if (!contents) return outcome(Verdict::no_file, "no secret file " + store.path());
    auto file = pam_totp::check_file_to_pin(*contents, store.owner().name, key);
    if (!file)
        return outcome(Verdict::skipped, store.path() + " is not a valid enrolment on this host: " +
                                             file.error().message);
    return UserFile{std::move(*contents), *file};
}

// Why the record may not take the file; nullopt when it may.
std::optional<Outcome> refusal(const UserState& state, const PinnedFile& file, Mode mode,
                               bool force) {
    const bool all = mode == Mode::all_users;
    const Verdict no = all ? Verdict::skipped : Verdict::refused;
    const std::string new_id = id_text(file.enrollment_id);
    if (state.pin.present && state.pin.hash == file.hash)
        return outcome(Verdict::already_pinned, "enrollment-id " + new_id);
    if (state.pin.present && (all || !force))
        return outcome(
            all ? Verdict::already_pinned : Verdict::refused,
            "the record pins enrollment-id " + id_text(state.pin.enrollment_id) +
                ", the file holds " + new_id +
                (all ? ": a switch the user makes at a login" : "; --force replaces the pin"));
    if (pam_totp::is_retired(state, file.enrollment_id, file.hash) && (all || !force))
        return outcome(no, "the file holds a retired enrolment (enrollment-id " + new_id +
                               ": removed by root or replaced in a switch)" +
                               (all ? "" : "; --force pins it again"));
    if (!all) return std::nullopt;
    if (state.tofu_closed)
        return outcome(no, "root removed this user's enrolment; pin with --pin --user NAME");
    if (state.enrollment_id != pam_totp::EnrollmentId{} &&
        state.enrollment_id != file.enrollment_id)
        return outcome(no, "the record counted enrollment-id " + id_text(state.enrollment_id) +
                               " before pins existed, the file holds " + new_id +
                               "; check it, then --pin --user NAME");
    return std::nullopt;
}

std::string pinned_message(const UserState& before, const PinnedFile& file,
                           const std::string& record) {
    std::string text = "enrollment-id " + id_text(file.enrollment_id) + " in " + record;
    if (before.pin.present)
        text += ", replacing " + id_text(before.pin.enrollment_id);
    else if (before.enrollment_id == file.enrollment_id)
        text += ", keeping the replay position and used recovery codes of its record";
    return text;
}

Outcome pin_user(const Options& options, const SecretStore& store, const HostPrivateKey& key,
                 Mode mode) {
    auto read = read_user_file(store, key);
    if (auto* early = std::get_if<Outcome>(&read)) return *early;
    const UserFile& file = std::get<UserFile>(read);
    const TargetUser& user = store.owner();

    auto opened = open_record(options, user);
    if (!opened) return outcome(Verdict::failed, opened.error().message);
    LockedStateFile& record = *opened;
    const UserState before = record.state();
    if (auto status = pam_totp::check_record_uid(before, user.uid); !status)
        return outcome(mode == Mode::all_users ? Verdict::skipped : Verdict::refused,
                       status.error().message);
    if (auto no = refusal(before, file.identity, mode, options.force)) return *no;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    if (auto status = pam_totp::pin_file(record, file.bytes, file.identity, user.uid, now); !status)
        return outcome(Verdict::failed, status.error().message);
    return outcome(Verdict::pinned, pinned_message(before, file.identity, record.path()));
}

Result<HostPrivateKey> load_key(const Options& options) {
    auto key = pam_totp::load_host_private_key(options.keydir + "/" + pam_totp::kPrivateKeyName);
    if (!key) return failure(ExitCode::system, key.error().message);
    return std::move(*key);
}

Status require_root(const char* what) {
    if (::getuid() == 0) return {};
    return failure(ExitCode::refused,
                   std::string("only root can ") + what + " (the module's records are root's)");
}

ExitCode exit_code(Verdict verdict) {
    switch (verdict) {
        case Verdict::pinned:
        case Verdict::already_pinned:
            return ExitCode::ok;
        case Verdict::no_file:
        case Verdict::skipped:
        case Verdict::refused:
            return ExitCode::refused;
        case Verdict::failed:
            break;
    }
    return ExitCode::system;
}

std::string_view verdict_word(Verdict verdict) {
    switch (verdict) {
        case Verdict::pinned:
            return "pinned";
        case Verdict::already_pinned:
            return "already pinned";
        case Verdict::no_file:
        case Verdict::skipped:
        case Verdict::refused:
            return "skipped";
        case Verdict::failed:
            break;
    }
    return "failed";
}

}  // namespace

ExitCode run_pin(const Context& context) {
    if (auto status = require_root("pin an enrolment"); !status) return report(status.error());
    auto key = load_key(context.options);
    if (!key) return report(key.error());
    const Outcome result = pin_user(context.options, context.store, *key, Mode::one_user);
    const std::string who = context.user.name + " (" + context.store.path() + "): ";
    if (exit_code(result.verdict) != ExitCode::ok)
        return report(failure(exit_code(result.verdict), who + result.message));
    const std::string line =
        who + std::string(verdict_word(result.verdict)) + ", " + result.message;
    if (auto status = write_stdout(line + "\n"); !status) return report(status.error());
    return ExitCode::ok;
}

ExitCode run_pin_all(const Options& options) {
    if (auto status = require_root("pin enrolments"); !status) return report(status.error());
    auto key = load_key(options);
    if (!key) return report(key.error());
    bool failed = false;
    for (const TargetUser& user : pam_totp::every_account()) {
        auto path = pam_totp::default_secret_path(user);
        if (!path) continue;  // no usable home: nothing to pin
        const SecretStore store(std::move(*path), user);
        const Outcome result = pin_user(options, store, *key, Mode::all_users);
        // Users without a file are not enrolled: most entries are system
        // accounts, and a line each would bury the ones that matter.
        if (result.verdict == Verdict::no_file) continue;
        failed |= result.verdict == Verdict::failed;
        const std::string line = user.name + ": " + std::string(verdict_word(result.verdict)) +
                                 " (" + result.message + ")";
        if (auto status = write_stdout(line + "\n"); !status) return report(status.error());
    }
    return failed ? ExitCode::system : ExitCode::ok;
}

}  // namespace totp_enroll
