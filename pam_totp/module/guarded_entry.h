// The one shape of every PAM service function of this project's modules:
// the body runs, and whatever it throws ends as a syslog line and
// PAM_SERVICE_ERR, because a C++ exception must never unwind into the C
// caller (sshd, login, su, sudo).
#pragma once

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include <exception>

namespace pam_totp {

template <class Body>
int guarded_entry(pam_handle_t* pamh, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        pam_syslog(pamh, LOG_ERR, "internal error: %s", e.what());
    } catch (...) {
        pam_syslog(pamh, LOG_ERR, "internal error");
    }
    return PAM_SERVICE_ERR;
}

}  // namespace pam_totp
