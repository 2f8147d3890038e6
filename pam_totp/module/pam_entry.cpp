// The PAM service functions: the only symbols pam_totp.so exports. Each
// catches everything, because a C++ exception must never unwind into the
// C caller (sshd, login, su, sudo).
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include <exception>

#include "core/module_options.h"
#include "module/login_flow.h"

extern "C" {

__attribute__((visibility("default"))) int pam_sm_authenticate(pam_handle_t* pamh, int flags,
                                                               int argc, const char** argv) {
    try {
        auto options = pam_totp::parse_module_options(argc, argv);
        if (!options) {
            pam_syslog(pamh, LOG_ERR, "configuration error: %s", options.error().c_str());
            return PAM_SERVICE_ERR;
        }
        return pam_totp::authenticate(pam_totp::PamHandle(pamh, flags), *options);
    } catch (const std::exception& e) {
        pam_syslog(pamh, LOG_ERR, "internal error: %s", e.what());
    } catch (...) {
        pam_syslog(pamh, LOG_ERR, "internal error");
    }
    return PAM_SERVICE_ERR;
}

__attribute__((visibility("default"))) int pam_sm_setcred(pam_handle_t*, int, int, const char**) {
    return PAM_SUCCESS;
}

}  // extern "C"
