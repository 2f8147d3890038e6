// The user's secret file on disk: reading it, checking beforehand that it can
// be written (so nobody scans a QR code that is then never saved), sealing
// and writing it, removing it; always under the right identity (see
// fs_identity.h) and owned by the user it belongs to.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/host_key.h"
#include "core/secret_file.h"
#include "exit_codes.h"
#include "target_user.h"

namespace totp_enroll {

class SecretStore {
  public:
    SecretStore(std::string path, TargetUser owner)
        : path_(std::move(path)), owner_(std::move(owner)) {}
    const std::string& path() const { return path_; }
    const TargetUser& owner() const { return owner_; }

    // The file's text, nullopt when there is none. Checked on the open
    // descriptor: regular file (a symlink is refused), owned by the user or
    // root, not writable by group or others, at most 4 KiB.
    std::variant<std::optional<std::string>, Failure> read() const;

    // Refuses a symlink or non-regular file at the path (system problem), an
    // existing file unless `replace` (refused), a directory we cannot write
    // (system problem).
    std::optional<Failure> check_can_write(bool replace) const;

    // Seals header and payload to `host` and writes the file atomically
    // (0600, owned by the user).
    std::optional<Failure> save(const pam_totp::SecretHeader& header,
                                const pam_totp::SecretPayload& payload,
                                const pam_totp::HostPublicKey& host, bool replace) const;

    std::optional<Failure> remove() const;

  private:
    std::string path_;
    TargetUser owner_;
};

// A header for a new enrolment of `owner` sealed to `host`, created now.
pam_totp::SecretHeader new_header(const TargetUser& owner, const pam_totp::OtpParams& otp,
                                  std::uint64_t counter, const pam_totp::HostPublicKey& host);

}  // namespace totp_enroll
