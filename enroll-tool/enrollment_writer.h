// Saving a new enrolment (totp-enroll, totp-enroll --import). When root
// writes for a user (--user NAME), the file is a version 2 file carrying
// root's tag, so every host holding the host key adopts it without the old
// authenticator's code, and it becomes the pin in this host's record at
// once, so a lost phone's codes stop working here immediately.
#pragma once

#include <optional>
#include <string>

#include "context.h"
#include "core/host_key.h"
#include "core/secret_file.h"
#include "exit_codes.h"

namespace totp_enroll {

struct SavedEnrollment {
    std::string note;  // what to tell the person running the tool
    // The file is saved, but pinning it failed: report it after the
    // recovery codes are shown (the file carries root's tag meanwhile).
    Status pinning;
};

class EnrollmentWriter {
  public:
    // Checks up front what could fail after the user has scanned a QR code:
    // an enrolment an administrator manages, the host public key, whether
    // the file may be written (core/secret_file_access.h), and for root's
    // write the host private key (matching host.pub) and the user's record
    // (its directory, and its uid binding).
    static Result<EnrollmentWriter> prepare(const Context& context);

    const pam_totp::HostPublicKey& host() const { return host_; }
    bool is_roots_write() const { return private_key_.has_value(); }

    // Seals, tags (root's write), writes the file and pins it (root's
    // write). An error means nothing was saved.
    Result<SavedEnrollment> save(pam_totp::SecretHeader header,
                                 const pam_totp::SecretPayload& payload) const;

    // The last thing to tell a user who replaced their own enrolment
    // (--force): the module keeps the old authenticator until they switch
    // at a login. Empty otherwise.
    std::string closing_notice() const;

  private:
    EnrollmentWriter(const Context& context, const pam_totp::HostPublicKey& host)
        : context_(context), host_(host) {}
    Result<std::string> tagged(const std::string& text) const;
    Result<std::string> pin(const std::string& text) const;

    const Context& context_;
    pam_totp::HostPublicKey host_;
    std::optional<pam_totp::HostPrivateKey> private_key_;
};

}  // namespace totp_enroll
