/* Stress-test driver: authentications through real libpam (under pam_wrapper)
 * on a fake clock, so one test can use thousands of fresh TOTP steps.
 *
 *   stress_driver [--go-file PATH] [--wrong-first] SERVICE USER KEY_HEX FIRST_STEP COUNT
 *
 * Authentication i runs at time (FIRST_STEP + i) * 30 + 1 and answers the
 * prompt with that step's code (SHA-1, 6 digits). --wrong-first: before each,
 * one attempt with a wrong code, so failure counters get written too.
 * --go-file: for a single authentication, pam_start first, create
 * PATH.ready.PID, wait until PATH exists, then pam_authenticate: the test
 * releases many processes at once.
 * Prints "step S wrong|code RC" after every attempt, flushed, so a test that
 * kills this process knows which logins completed. Exit 0 if every
 * correct-code attempt succeeded.
 *
 * time(), gettimeofday() and clock_gettime(CLOCK_REALTIME) are defined here
 * and exported (-rdynamic); run with PAM_WRAPPER_DISABLE_DEEPBIND=1 so the
 * module binds to them. */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <security/pam_appl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "fake_clock_driver.h"
#include "wait_for_file.h"

enum { kPeriod = 30 };

static const char* answer;

static int conversation(int n, const struct pam_message** msg, struct pam_response** resp,
                        void* data) {
    (void)data;
    struct pam_response* out = calloc((size_t)n, sizeof *out);
    if (!out) return PAM_BUF_ERR;
    for (int i = 0; i < n; ++i)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            out[i].resp = strdup(answer);
    *resp = out;
    return PAM_SUCCESS;
}

static int authenticate(const char* service, const char* user, const char* go_file) {
    struct pam_conv conv = {conversation, NULL};
    pam_handle_t* pamh = NULL;
    int rc = pam_start(service, user, &conv, &pamh);
    if (rc != PAM_SUCCESS) return rc;
    if (go_file) {
        /* Tell the test this process is loaded and waiting, then wait. */
        char ready[4096];
        snprintf(ready, sizeof ready, "%s.ready.%d", go_file, (int)getpid());
        FILE* f = fopen(ready, "w");
        if (f) fclose(f);
        wait_for_file(go_file);
    }
    rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    return rc;
}

int main(int argc, char** argv) {
    const char* go_file = NULL;
    int wrong_first = 0;
    int arg = 1;
    for (; arg < argc && strncmp(argv[arg], "--", 2) == 0; ++arg) {
        if (strcmp(argv[arg], "--go-file") == 0 && arg + 1 < argc)
            go_file = argv[++arg];
        else if (strcmp(argv[arg], "--wrong-first") == 0)
            wrong_first = 1;
        else
            break;
    }
    if (argc - arg != 5) {
        fprintf(stderr,
                "usage: stress_driver [--go-file PATH] [--wrong-first] SERVICE USER KEY_HEX "
                "FIRST_STEP COUNT\n");
        return 2;
    }
    const char* service = argv[arg];
    const char* user = argv[arg + 1];
    const char* hex = argv[arg + 2];
    const long long first = atoll(argv[arg + 3]);
    const int count = atoi(argv[arg + 4]);
    unsigned char key[64];
    const size_t key_len = strlen(hex) / 2;
    if (key_len == 0 || key_len > sizeof key || count <= 0) return 2;
    for (size_t i = 0; i < key_len; ++i) sscanf(hex + 2 * i, "%2hhx", &key[i]);

    int failed = 0;
    for (int i = 0; i < count; ++i) {
        const long long step = first + i;
        char code[7], wrong[7];
        fake_now = (time_t)(step * kPeriod + 1);
        totp_code(key, key_len, (uint64_t)step, code);
        if (wrong_first) {
            /* A code that is no valid code of the window: shift every digit. */
            for (int k = 0; k < 6; ++k) wrong[k] = (char)('0' + (code[k] - '0' + 5) % 10);
            wrong[6] = '\0';
            answer = wrong;
            printf("step %lld wrong %d\n", step, authenticate(service, user, NULL));
            fflush(stdout);
        }
        answer = code;
        const int rc = authenticate(service, user, go_file);
        printf("step %lld code %d\n", step, rc);
        fflush(stdout);
        failed |= rc != PAM_SUCCESS;
    }
    return failed;
}
