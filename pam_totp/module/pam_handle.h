// Thin C++ wrappers over the Linux-PAM calls the module makes: items, the
// conversation (pam_prompt) and syslog (pam_syslog), so the login flow reads
// as a story and no PAM-owned buffer escapes without being wiped.
#pragma once

#include <security/pam_modules.h>

#include <optional>
#include <string>

#include "core/result.h"
#include "core/secret_bytes.h"

namespace pam_totp {

class PamHandle {
  public:
    PamHandle(pam_handle_t* pamh, int flags) : pamh_(pamh), flags_(flags) {}
    pam_handle_t* get() const { return pamh_; }

    // PAM_USER, asking the application if needed. The error's code is the
    // PAM status when PAM could not tell (conversation failure etc.).
    Result<std::string> user() const;
    // PAM_SERVICE if set.
    std::optional<std::string> service() const;
    // PAM_RHOST if set and non-empty.
    std::optional<std::string> rhost() const;
    // PAM_AUTHTOK if set (may be empty).
    std::optional<SecretBytes> authtok() const;
    int set_authtok(const SecretBytes& token) const;

    // Asks one question; the error's code is the PAM status of a failed
    // conversation.
    Result<SecretBytes> ask(const std::string& prompt, bool echo) const;
    // The PAM environment (pam_getenv/pam_putenv): the one channel from
    // pam_sm_authenticate to pam_sm_setcred that crosses sshd's forked
    // authentication child.
    std::optional<std::string> env(const char* name) const;
    int set_env(const std::string& name, const std::string& value) const;
    void unset_env(const std::string& name) const;

    void tell_error(const std::string& message) const;
    void tell_info(const std::string& message) const;

    // pam_syslog at `priority` (LOG_AUTHPRIV facility by Linux-PAM), adding
    // "rhost=..." when PAM_RHOST is set. Never pass a code or a secret here.
    void log(int priority, const std::string& message) const;

  private:
    pam_handle_t* pamh_;
    int flags_;
};

}  // namespace pam_totp
