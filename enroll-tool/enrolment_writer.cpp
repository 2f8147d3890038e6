#include "enrolment_writer.h"

#include <unistd.h>

#include <ctime>

#include "core/host_key_files.h"
#include "core/record_admin.h"
#include "core/root_tag.h"
#include "record_access.h"

namespace totp_enroll {
namespace {

std::int64_t now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::variant<pam_totp::HostPrivateKey, Failure> load_matching_private_key(
    const Context& context, const pam_totp::HostPublicKey& host) {
    const std::string path = context.options.keydir + "/" + pam_totp::kPrivateKeyName;
    auto key = pam_totp::load_host_private_key(path);
    if (!key) return Failure{ExitCode::system, key.error()};
    if (key->public_key().key_id() != host.key_id())
        return Failure{ExitCode::system,
                       path + " and " + context.host_public_key_path + " are not one key pair"};
    return std::move(*key);
}

// The record must be usable before anything is shown: its directory exists
// and it is not another uid's (reading creates nothing).
std::optional<Failure> check_record(const Context& context) {
    auto record = open_existing_record(context.options, context.user);
    if (auto* failure = std::get_if<Failure>(&record)) return *failure;
    const auto& existing = std::get<std::optional<pam_totp::LockedStateFile>>(record);
    if (!existing) return std::nullopt;
    if (auto status = pam_totp::check_record_uid(existing->state(), context.user.uid); !status)
        return Failure{ExitCode::refused, existing->path() + ": " + status.error()};
    return std::nullopt;
}

// Wrapped for an 80-column terminal.
constexpr char kSwitchNotice[] =
    "Your old authenticator stays in use until you switch: at your next login give\n"
    "a code from the OLD authenticator (or a recovery code), then a code from the\n"
    "NEW one when asked.\n";

}  // namespace

std::variant<EnrolmentWriter, Failure> EnrolmentWriter::prepare(
    const Context& context, const pam_totp::HostPublicKey& host) {
    EnrolmentWriter writer(context, host);
    if (!includes_record(context.options)) return writer;
    auto key = load_matching_private_key(context, host);
    if (auto* failure = std::get_if<Failure>(&key)) return *failure;
    if (auto failure = check_record(context)) return *failure;
    writer.private_key_ = std::move(std::get<pam_totp::HostPrivateKey>(key));
    return writer;
}

std::variant<SavedEnrolment, Failure> EnrolmentWriter::save(
    pam_totp::SecretHeader header, const pam_totp::SecretPayload& payload) const {
    if (is_roots_write()) header.version = 2;
    auto sealed = seal_file(context_.store.path(), header, payload, host_);
    if (auto* failure = std::get_if<Failure>(&sealed)) return *failure;
    std::string text = std::move(std::get<std::string>(sealed));
    if (is_roots_write()) {
        auto with_tag = tagged(text);
        if (auto* failure = std::get_if<Failure>(&with_tag)) return *failure;
        text = std::move(std::get<std::string>(with_tag));
    }
    if (auto failure = context_.store.save(text, context_.options.force)) return *failure;
    if (!is_roots_write()) return SavedEnrolment{};
    auto pinned = pin(text);
    if (auto* failure = std::get_if<Failure>(&pinned)) return SavedEnrolment{"", *failure};
    return SavedEnrolment{std::get<std::string>(pinned), std::nullopt};
}

std::string EnrolmentWriter::closing_notice() const {
    if (is_roots_write() || ::getuid() == 0 || !context_.options.force) return std::string();
    return kSwitchNotice;
}

std::variant<std::string, Failure> EnrolmentWriter::tagged(const std::string& text) const {
    auto out = pam_totp::add_root_tag(text, *private_key_, context_.user.uid,
                                      now() + pam_totp::kDefaultTagLifetime);
    if (!out)
        return Failure{ExitCode::system,
                       "cannot tag " + context_.store.path() + ": " + out.error()};
    return std::move(*out);
}

std::variant<std::string, Failure> EnrolmentWriter::pin(const std::string& text) const {
    const std::string& path = context_.store.path();
    // The file is saved and carries root's tag: should pinning fail, the
    // module adopts it at the next login anyway (within the tag's lifetime).
    auto fail = [&](const std::string& why) {
        return Failure{ExitCode::system,
                       path + " was saved with root's tag, but pinning it failed: " + why +
                           "; run totp-enroll --pin --user " + context_.user.name + " --force"};
    };
    auto file = pam_totp::check_file_to_pin(text, context_.user.name, *private_key_);
    if (!file) return fail(file.error());
    auto opened = open_record(context_.options, context_.user);
    if (auto* failure = std::get_if<Failure>(&opened)) return fail(failure->message);
    auto& record = std::get<pam_totp::LockedStateFile>(opened);
    if (auto status = pam_totp::check_record_uid(record.state(), context_.user.uid); !status)
        return fail(status.error());
    const bool had_pin = record.state().pin.present;
    if (auto status = pam_totp::pin_file(record, text, *file, context_.user.uid, now()); !status)
        return fail(status.error());
    return "Pinned in " + record.path() + " (enrollment-id " + id_text(file->enrollment_id) + ")" +
           (had_pin ? ": codes from " + context_.user.name +
                          "'s earlier authenticator no longer work on this host.\n"
                    : ".\n");
}

}  // namespace totp_enroll
