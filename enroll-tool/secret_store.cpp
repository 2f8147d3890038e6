#include "secret_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "core/file_io.h"
#include "core/secret_file_access.h"
#include "fs_identity.h"

namespace totp_enroll {
namespace {

using pam_totp::errno_message;

Error system_failure(std::string message) {
    return failure(ExitCode::system, std::move(message));
}

}  // namespace

Result<std::optional<FsIdentity>> SecretStore::identity(Access access) const {
    if (file_owner_ == SecretOwner::user) return identity_for(owner_, path_, access);
    // Root reads and writes these as root, so no user may steer the path:
    // the module's secret_owner=root makes the same check.
    const std::string dir = pam_totp::parent_directory(path_);
    if (!root_controls_directory(dir))
        return system_failure(dir +
                              ": not controlled by root alone (it or a directory above it "
                              "belongs to another user or is writable by others); --owner root "
                              "needs a directory such as /etc/pam_totp/secrets");
    return std::optional<FsIdentity>();
}

Result<std::optional<std::string>> SecretStore::read() const {
    auto as = identity(Access::read);
    if (!as) return as.error();
    auto bytes =
        pam_totp::read_checked_file(path_, pam_totp::secret_file_rules(file_owner_, owner_.uid));
    if (!bytes) return system_failure(bytes.error().message);
    if (!*bytes) return std::optional<std::string>();
    // Not secret: the header is public and the rest is sealed.
    return std::optional<std::string>(std::string((*bytes)->view()));
}

Status SecretStore::check_can_write(bool replace) const {
    auto as = identity(Access::write);
    if (!as) return as.error();
    if (auto target = pam_totp::check_write_target(path_, replace); !target) {
        if (target.error().code != EEXIST) return system_failure(target.error().message);
        return failure(ExitCode::refused,
                       path_ + ": already exists (already enrolled); use --force to replace it");
    }
    // AT_EACCESS: the check uses the file-system identity just taken, and
    // reports a read-only file system (EROFS) as well as permissions.
    const std::string dir = pam_totp::parent_directory(path_);
    if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
        return system_failure("cannot create " + path_ + ": " + errno_message(dir, errno));
    // The module would refuse a file there: say so now, before a QR code.
    if (auto placed = pam_totp::check_secret_file_place(path_, file_owner_, owner_); !placed)
        return system_failure(path_ + " would be in an unsafe place, which pam_totp refuses: " +
                              placed.error().message);
    return {};
}

Status SecretStore::save(std::string_view text, bool replace) const {
    auto as = identity(Access::write);
    if (!as) return as.error();
    pam_totp::WriteRules rules{.mode = 0600, .replace = replace};
    // Root writing for someone else hands the file over before it appears.
    if (::geteuid() == 0 && owner_.uid != 0 && file_owner_ == SecretOwner::user) {
        rules.uid = owner_.uid;
        rules.gid = owner_.gid;
    }
    const std::span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    if (auto status = pam_totp::write_file_atomically(path_, bytes, rules); !status)
        return system_failure("cannot save " + path_ + ": " + status.error().message);
    return {};
}

Status SecretStore::remove() const {
    auto as = identity(Access::write);
    if (!as) return as.error();
    if (auto status = pam_totp::remove_file(path_); !status)
        return system_failure("cannot remove " + path_ + ": " + status.error().message);
    return {};
}

Result<std::string> seal_file(const std::string& path, const pam_totp::SecretHeader& header,
                              const pam_totp::SecretPayload& payload,
                              const pam_totp::HostPublicKey& host) {
    auto text = pam_totp::seal_secret_file(header, payload, host);
    if (!text) return system_failure("cannot seal " + path + ": " + text.error().message);
    return std::move(*text);
}

pam_totp::SecretHeader new_header(const TargetUser& owner, const pam_totp::OtpParams& otp,
                                  std::uint64_t counter, const pam_totp::HostPublicKey& host) {
    pam_totp::SecretHeader header;
    header.user = owner.name;
    header.otp = otp;
    header.counter = otp.type == pam_totp::OtpType::hotp ? counter : 0;
    header.created = static_cast<std::int64_t>(std::time(nullptr));
    header.key_id = host.key_id();
    header.enrollment_id = pam_totp::new_enrollment_id();
    return header;
}

}  // namespace totp_enroll
