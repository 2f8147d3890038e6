// The user's secret file on disk: reading it, checking beforehand that it can
// be written (so nobody scans a QR code that is then never saved), sealing
// and writing it, removing it; always under the right identity (see
// fs_identity.h) and owned by the user it belongs to, or by root in the
// admin-managed mode (--owner root, the module's secret_owner=root).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli_options.h"
#include "core/host_key.h"
#include "core/secret_file.h"
#include "exit_codes.h"
#include "fs_identity.h"
#include "target_user.h"

namespace totp_enroll {

class SecretStore {
  public:
    SecretStore(std::string path, TargetUser owner, SecretOwner file_owner = SecretOwner::user)
        : path_(std::move(path)), owner_(std::move(owner)), file_owner_(file_owner) {}
    const std::string& path() const { return path_; }
    const TargetUser& owner() const { return owner_; }

    // The file's text, nullopt when there is none. Checked on the open
    // descriptor under the module's rules (core/secret_file_access.h); a
    // symlink is refused.
    Result<std::optional<std::string>> read() const;

    // Refuses a symlink or non-regular file at the path (system problem), an
    // existing file unless `replace` (refused), a directory we cannot write
    // or one the module would refuse to read from (system problem).
    Status check_can_write(bool replace) const;

    // Writes the sealed file's text atomically (0600, owned by the user, or
    // by root with SecretOwner::root).
    Status save(std::string_view text, bool replace) const;

    Status remove() const;

  private:
    // The file-system identity for `access`: see identity_for; root-owned
    // files are handled as root, only in a directory root alone controls.
    Result<std::optional<FsIdentity>> identity(Access access) const;

    std::string path_;
    TargetUser owner_;
    SecretOwner file_owner_;
};

// The text of a new secret file: header and payload sealed to `host`.
Result<std::string> seal_file(const std::string& path, const pam_totp::SecretHeader& header,
                              const pam_totp::SecretPayload& payload,
                              const pam_totp::HostPublicKey& host);

// A header for a new enrolment of `owner` sealed to `host`, created now.
pam_totp::SecretHeader new_header(const TargetUser& owner, const pam_totp::OtpParams& otp,
                                  std::uint64_t counter, const pam_totp::HostPublicKey& host);

}  // namespace totp_enroll
