// The PAM service functions: the only symbols pam_totp.so exports, each
// a guarded_entry (no C++ exception reaches the C caller).
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include "core/module_options.h"
#include "module/file_size_limit.h"
#include "module/guarded_entry.h"
#include "module/login_flow.h"
#include "module/switch_flow.h"

extern "C" {

__attribute__((visibility("default"))) int pam_sm_authenticate(pam_handle_t* pamh, int flags,
                                                               int argc, const char** argv) {
    return pam_totp::guarded_entry(pamh, [&] {
        auto options = pam_totp::parse_module_options(argc, argv);
        if (!options) {
            pam_syslog(pamh, LOG_ERR, "configuration error: %s", options.error().message.c_str());
            return PAM_SERVICE_ERR;
        }
        const pam_totp::FileSizeLimitLifted unlimited;
        return pam_totp::authenticate(pam_totp::PamHandle(pamh, flags), *options,
                                      pam_totp::system_clock_now);
    });
}

// Called by sshd, login, su and sudo only after the whole auth stack
// succeeded: the moment a confirmed new authenticator may replace the pin.
// Always PAM_SUCCESS: the login itself was already decided.
__attribute__((visibility("default"))) int pam_sm_setcred(pam_handle_t* pamh, int flags, int argc,
                                                          const char** argv) {
    if (!pamh) return PAM_SUCCESS;  // nothing to complete without a handle
    (void)pam_totp::guarded_entry(pamh, [&] {
        const pam_totp::PamHandle pam(pamh, flags);
        auto options = pam_totp::parse_module_options(argc, argv);
        if (!options || !(flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED))) {
            // Never leave the ticket for the session's environment.
            pam.unset_env(pam_totp::kSwitchTicketVariable);
            return PAM_SUCCESS;
        }
        const pam_totp::FileSizeLimitLifted unlimited;
        pam_totp::commit_pending_switch(pam, *options, pam_totp::system_clock_now());
        return PAM_SUCCESS;
    });
    return PAM_SUCCESS;
}

}  // extern "C"
