#include "enrollment_writer.h"

#include <unistd.h>

#include <ctime>

#include "admin_managed.h"
#include "core/host_key_files.h"
#include "core/record_admin.h"
#include "core/root_tag.h"
#include "record_access.h"

namespace totp_enroll {
namespace {

std::int64_t now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

Result<pam_totp::HostPrivateKey> load_matching_private_key(const Context& context,
                                                           const pam_totp::HostPublicKey& host) {
    const std::string path = context.options.keydir + "/" + pam_totp::kPrivateKeyName;
    auto key = pam_totp::load_host_private_key(path);
    if (!key) return failure(ExitCode::system, key.error().message);
    if (key->public_key().key_id() != host.key_id())
        return failure(ExitCode::system,
                       path + " and " + context.host_public_key_path + " are not one key pair");
    return std::move(*key);
}

// The record must be usable before anything is shown: its directory exists
// and it is not another uid's (reading creates nothing).
Status check_record(const Context& context) {
    auto record = open_existing_record(context.options, context.user);
    if (!record) return record.error();
    const auto& existing = *record;
    if (!existing) return {};
    if (auto status = pam_totp::check_record_uid(existing->state(), context.user.uid); !status)
        return failure(ExitCode::refused, existing->path() + ": " + status.error().message);
    return {};
}

// Wrapped for an 80-column terminal.
constexpr char kSwitchNotice[] =
    "Your old authenticator stays in use until you switch: at your next login give\n"
    "a code from the OLD authenticator (or a recovery code), then a code from the\n"
    "NEW one when asked.\n";

}  // namespace

Result<EnrollmentWriter> EnrollmentWriter::prepare(const Context& context) {
    if (auto status = refuse_if_admin_managed(context); !status) return status.error();
    auto host = pam_totp::load_host_public_key(context.host_public_key_path);
    if (!host) return host.error();
    if (auto status = context.store.check_can_write(context.options.force); !status)
        return status.error();
    EnrollmentWriter writer(context, *host);
    if (!includes_record(context.options)) return writer;
    auto key = load_matching_private_key(context, *host);
    if (!key) return key.error();
    if (auto status = check_record(context); !status) return status.error();
    writer.private_key_ = std::move(*key);
    return writer;
}

Result<SavedEnrollment> EnrollmentWriter::save(pam_totp::SecretHeader header,
                                               const pam_totp::SecretPayload& payload) const {
    if (is_roots_write()) header.version = 2;
    auto sealed = seal_file(context_.store.path(), header, payload, host_);
    if (!sealed) return sealed.error();
    std::string text = std::move(*sealed);
    if (is_roots_write()) {
        auto with_tag = tagged(text);
        if (!with_tag) return with_tag.error();
        text = std::move(*with_tag);
    }
    if (auto status = context_.store.save(text, context_.options.force); !status)
        return status.error();
    if (!is_roots_write()) return SavedEnrollment{};
    auto pinned = pin(text);
    if (!pinned) return SavedEnrollment{"", pinned.error()};
    return SavedEnrollment{*pinned, {}};
}

std::string EnrollmentWriter::closing_notice() const {
    if (is_roots_write() || ::getuid() == 0 || !context_.options.force) return std::string();
    return kSwitchNotice;
}

Result<std::string> EnrollmentWriter::tagged(const std::string& text) const {
    auto out = pam_totp::add_root_tag(text, *private_key_, context_.user.uid,
                                      now() + pam_totp::kDefaultTagLifetime);
    if (!out)
        return failure(ExitCode::system,
                       "cannot tag " + context_.store.path() + ": " + out.error().message);
    return std::move(*out);
}

Result<std::string> EnrollmentWriter::pin(const std::string& text) const {
    const std::string& path = context_.store.path();
    // The file is saved and carries root's tag: should pinning fail, the
    // module adopts it at the next login anyway (within the tag's lifetime).
    auto fail = [&](const std::string& why) {
        return failure(ExitCode::system,
                       path + " was saved with root's tag, but pinning it failed: " + why +
                           "; run totp-enroll --pin --user " + context_.user.name + " --force");
    };
    auto file = pam_totp::check_file_to_pin(text, context_.user.name, *private_key_);
    if (!file) return fail(file.error().message);
    auto opened = open_record(context_.options, context_.user);
    if (!opened) return fail(opened.error().message);
    auto& record = *opened;
    if (auto status = pam_totp::check_record_uid(record.state(), context_.user.uid); !status)
        return fail(status.error().message);
    const bool had_pin = record.state().pin.present;
    if (auto status = pam_totp::pin_file(record, text, *file, context_.user.uid, now()); !status)
        return fail(status.error().message);
    return "Pinned in " + record.path() + " (enrollment-id " + id_text(file->enrollment_id) + ")" +
           (had_pin ? ": codes from " + context_.user.name +
                          "'s earlier authenticator no longer work on this host.\n"
                    : ".\n");
}

}  // namespace totp_enroll
