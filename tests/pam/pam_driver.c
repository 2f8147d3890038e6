/* Test driver: one pam_authenticate through real libpam (under pam_wrapper),
 * answering prompts from the command line and printing every message.
 *
 *   pam_driver [--rhost HOST] [--go-file PATH] [--setcred] [--setcred-user NAME]
 *              [--run-before-prompt K CMD] SERVICE USER [RESPONSE...]
 *
 * --go-file: after pam_start, create PATH.ready.PID and wait until PATH
 * exists, so a test can start many drivers one by one (pam_wrapper picks its
 * per-process /tmp/pam.X directory racily) and release them together.
 *
 * --silent: pam_authenticate with PAM_SILENT (as sudo calls it).
 * --now T: the wall clock reads T (unix seconds) for the whole process,
 * the module included (the driver exports time(), gettimeofday() and
 * clock_gettime(); pamtest.py disables pam_wrapper's RTLD_DEEPBIND so the
 * module binds to them). A seam of this test executable only.
 * --setcred: after a successful pam_authenticate, pam_setcred(ESTABLISH_CRED)
 * as sshd, login and su do; --setcred-user NAME first sets PAM_USER to NAME
 * (sudo authenticates the invoking user, then names the target user) and
 * uses REINITIALIZE_CRED as sudo does. --run-before-prompt K CMD runs CMD
 * with system(3) before answering the K-th prompt (1-based).
 *
 * Output lines: "PROMPT <text>", "ERROR <text>", "INFO <text>",
 * "RESULT <code> <pam_strerror>", then with --setcred "SETCRED <code>" and
 * one "ENV <name=value>" per PAM environment entry. The exit status is the
 * pam_authenticate code. */
#include <security/pam_appl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wait_for_file.h"

static time_t forced_now; /* 0: the real clock */

static time_t real_now(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

time_t time(time_t* out) {
    const time_t now = forced_now ? forced_now : real_now();
    if (out) *out = now;
    return now;
}

int gettimeofday(struct timeval* tv, void* tz) {
    (void)tz;
    if (!forced_now) return (int)syscall(SYS_gettimeofday, tv, NULL);
    tv->tv_sec = forced_now;
    tv->tv_usec = 0;
    return 0;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
    if (forced_now && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
        ts->tv_sec = forced_now;
        ts->tv_nsec = 0;
        return 0;
    }
    return (int)syscall(SYS_clock_gettime, clock, ts);
}

struct answers {
    char** next;
    int left;
    int asked;
    int run_before;
    const char* run_command;
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
                fflush(stdout);
                if (++answers->asked == answers->run_before && system(answers->run_command) != 0)
                    fprintf(stderr, "pam_driver: command before prompt %d failed\n",
                            answers->asked);
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
    const char* go_file = NULL;
    const char* setcred_user = NULL;
    int setcred = 0, run_before = 0, pam_flags = 0;
    const char* run_command = NULL;
    while (argc - arg > 2 && strncmp(argv[arg], "--", 2) == 0) {
        if (strcmp(argv[arg], "--setcred") == 0) {
            setcred = 1;
            arg += 1;
            continue;
        }
        if (strcmp(argv[arg], "--silent") == 0) {
            pam_flags = PAM_SILENT;
            arg += 1;
            continue;
        }
        if (strcmp(argv[arg], "--run-before-prompt") == 0 && argc - arg > 4) {
            run_before = atoi(argv[arg + 1]);
            run_command = argv[arg + 2];
            arg += 3;
            continue;
        }
        if (strcmp(argv[arg], "--now") == 0)
            forced_now = (time_t)strtoll(argv[arg + 1], NULL, 10);
        else if (strcmp(argv[arg], "--rhost") == 0)
            rhost = argv[arg + 1];
        else if (strcmp(argv[arg], "--go-file") == 0)
            go_file = argv[arg + 1];
        else if (strcmp(argv[arg], "--setcred-user") == 0)
            setcred = 1, setcred_user = argv[arg + 1];
        else
            break;
        arg += 2;
    }
    if (argc - arg < 2) {
        fprintf(stderr,
                "usage: pam_driver [--now T] [--rhost HOST] [--go-file PATH] [--silent] [--setcred] "
                "[--setcred-user NAME] [--run-before-prompt K CMD] SERVICE USER [RESPONSE...]\n");
        return 99;
    }
    struct answers answers = {argv + arg + 2, argc - arg - 2, 0, run_before, run_command};
    struct pam_conv conv = {conversation, &answers};
    pam_handle_t* pamh = NULL;
    int rc = pam_start(argv[arg], argv[arg + 1], &conv, &pamh);
    if (rc != PAM_SUCCESS) {
        printf("RESULT %d pam_start: %s\n", rc, pam_strerror(pamh, rc));
        return rc;
    }
    if (rhost) pam_set_item(pamh, PAM_RHOST, rhost);
    if (go_file) {
        char ready[4096];
        snprintf(ready, sizeof ready, "%s.ready.%d", go_file, (int)getpid());
        FILE* f = fopen(ready, "w");
        if (f) fclose(f);
        wait_for_file(go_file);
    }
    rc = pam_authenticate(pamh, pam_flags);
    printf("RESULT %d %s\n", rc, pam_strerror(pamh, rc));
    if (setcred && rc == PAM_SUCCESS) {
        int flag = PAM_ESTABLISH_CRED;
        if (setcred_user) {
            pam_set_item(pamh, PAM_USER, setcred_user);
            flag = PAM_REINITIALIZE_CRED;
        }
        printf("SETCRED %d\n", pam_setcred(pamh, flag));
        char** env = pam_getenvlist(pamh);
        for (int i = 0; env && env[i]; ++i) {
            printf("ENV %s\n", env[i]);
            free(env[i]);
        }
        free(env);
    }
    fflush(stdout);
    pam_end(pamh, rc);
    return rc;
}
