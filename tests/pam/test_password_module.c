/* A password module for tests only, standing in for pam_unix: checks the
 * password against "user:password" lines of passdb=FILE. With use_first_pass
 * it takes PAM_AUTHTOK set by an earlier module (pam_totp forward_pass) and
 * never prompts; otherwise it prompts "Password: " and sets PAM_AUTHTOK. */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(const char* passdb, const char* user, const char* password) {
    FILE* f = fopen(passdb, "r");
    if (!f) return PAM_AUTHINFO_UNAVAIL;
    char line[512];
    int rc = PAM_AUTH_ERR;
    size_t ulen = strlen(user);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, user, ulen) == 0 && line[ulen] == ':' &&
            strcmp(line + ulen + 1, password) == 0)
            rc = PAM_SUCCESS;
    }
    fclose(f);
    return rc;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)flags;
    const char* passdb = NULL;
    int use_first_pass = 0;
    for (int i = 0; i < argc; ++i) {
        if (strncmp(argv[i], "passdb=", 7) == 0)
            passdb = argv[i] + 7;
        else if (strcmp(argv[i], "use_first_pass") == 0)
            use_first_pass = 1;
    }
    const char* user = NULL;
    if (!passdb || pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user)
        return PAM_AUTHINFO_UNAVAIL;
    const void* item = NULL;
    if (use_first_pass) {
        if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || !item) return PAM_AUTH_ERR;
        return check(passdb, user, item);
    }
    char* typed = NULL;
    if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &typed, "Password: ") != PAM_SUCCESS || !typed)
        return PAM_CONV_ERR;
    pam_set_item(pamh, PAM_AUTHTOK, typed);
    int rc = check(passdb, user, typed);
    free(typed);
    return rc;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
