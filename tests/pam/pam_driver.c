/* Test driver: one pam_authenticate through real libpam (under pam_wrapper),
 * answering prompts from the command line and printing every message.
 *
 *   pam_driver [--rhost HOST] SERVICE USER [RESPONSE...]
 *
 * Output lines: "PROMPT <text>", "ERROR <text>", "INFO <text>", and last
 * "RESULT <code> <pam_strerror>". The exit status is the PAM code. */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct answers {
    char** next;
    int left;
};

static int conversation(int n, const struct pam_message** msg, struct pam_response** resp,
                        void* data) {
    struct answers* answers = data;
    struct pam_response* out = calloc((size_t)n, sizeof *out);
    if (!out) return PAM_BUF_ERR;
    for (int i = 0; i < n; ++i) {
        switch (msg[i]->msg_style) {
            case PAM_PROMPT_ECHO_OFF:
            case PAM_PROMPT_ECHO_ON:
                printf("PROMPT%s %s\n", msg[i]->msg_style == PAM_PROMPT_ECHO_ON ? "-ECHO" : "",
                       msg[i]->msg);
                if (answers->left == 0) {
                    for (int k = 0; k < i; ++k) free(out[k].resp);
                    free(out);
                    return PAM_CONV_ERR;
                }
                out[i].resp = strdup(*answers->next++);
                answers->left--;
                break;
            case PAM_ERROR_MSG:
                printf("ERROR %s\n", msg[i]->msg);
                break;
            case PAM_TEXT_INFO:
                printf("INFO %s\n", msg[i]->msg);
                break;
            default:
                break;
        }
    }
    fflush(stdout);
    *resp = out;
    return PAM_SUCCESS;
}

int main(int argc, char** argv) {
    int arg = 1;
    const char* rhost = NULL;
    if (argc > 2 && strcmp(argv[1], "--rhost") == 0) {
        rhost = argv[2];
        arg = 3;
    }
    if (argc - arg < 2) {
        fprintf(stderr, "usage: pam_driver [--rhost HOST] SERVICE USER [RESPONSE...]\n");
        return 99;
    }
    struct answers answers = {argv + arg + 2, argc - arg - 2};
    struct pam_conv conv = {conversation, &answers};
    pam_handle_t* pamh = NULL;
    int rc = pam_start(argv[arg], argv[arg + 1], &conv, &pamh);
    if (rc != PAM_SUCCESS) {
        printf("RESULT %d pam_start: %s\n", rc, pam_strerror(pamh, rc));
        return rc;
    }
    if (rhost) pam_set_item(pamh, PAM_RHOST, rhost);
    rc = pam_authenticate(pamh, 0);
    printf("RESULT %d %s\n", rc, pam_strerror(pamh, rc));
    pam_end(pamh, rc);
    return rc;
}
