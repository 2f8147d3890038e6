/* Loads the built module the way libpam does (dlopen, RTLD_NOW) and checks
 * that the service functions resolve and internal symbols do not.
 * A C program rather than Python ctypes so it also runs in the ASan build. */
#include <dlfcn.h>
#include <security/pam_modules.h>
#include <stdio.h>

typedef int (*service_fn)(pam_handle_t*, int, int, const char**);

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    void* module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    int failures = 0;
    service_fn authenticate = (service_fn)dlsym(module, "pam_sm_authenticate");
    service_fn setcred = (service_fn)dlsym(module, "pam_sm_setcred");
    if (!authenticate || !setcred) {
        fprintf(stderr, "pam_sm_authenticate or pam_sm_setcred missing\n");
        failures++;
    }
    const char* hidden[] = {
        "pam_sm_open_session",
        "_ZN8pam_totp16parse_secret_fileESt17basic_string_viewIcSt11char_traitsIcEE",
        "_ZN8pam_totp12authenticateERKNS_9PamHandleERKNS_13ModuleOptionsE"};
    for (unsigned i = 0; i < sizeof hidden / sizeof *hidden; ++i) {
        if (dlsym(module, hidden[i])) {
            fprintf(stderr, "unexpected export: %s\n", hidden[i]);
            failures++;
        }
    }
    if (setcred && setcred(NULL, 0, 0, NULL) != PAM_SUCCESS) {
        fprintf(stderr, "pam_sm_setcred did not return PAM_SUCCESS\n");
        failures++;
    }
    dlclose(module);
    if (!failures) printf("dlopen check passed\n");
    return failures ? 1 : 0;
}
