// The PAM service functions of pam_totp_ldap.so; as in pam_totp.so, each
// catches everything so that no C++ exception reaches the C caller.
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include "core/ldap_options.h"
#include "ldap_module/ldap_login.h"
#include "module/guarded_entry.h"

extern "C" {

__attribute__((visibility("default"))) int pam_sm_authenticate(pam_handle_t* pamh, int flags,
                                                               int argc, const char** argv) {
    return pam_totp::guarded_entry(pamh, [&] {
        auto options = pam_totp::load_ldap_options(argc, argv);
        if (!options) {
            pam_syslog(pamh, LOG_ERR, "configuration error: %s", options.error().message.c_str());
            return PAM_SERVICE_ERR;
        }
        return pam_totp::authenticate_ldap(pam_totp::PamHandle(pamh, flags), *options);
    });
}

__attribute__((visibility("default"))) int pam_sm_setcred(pam_handle_t*, int, int, const char**) {
    return PAM_SUCCESS;
}

}  // extern "C"
