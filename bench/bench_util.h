/* What the benchmark drivers (pam_bench.c, pam_cold.c) share: the
 * conversation that answers every prompt with one code, wall time on
 * CLOCK_MONOTONIC by direct system call (the fake clock of
 * fake_clock_driver.h only replaces CLOCK_REALTIME), percentiles, and the
 * key given in hex on the command line. Static inline: each driver is one
 * translation unit and uses only some of them. */
#pragma once

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The answer to every prompt: the code of the current login; with
   current_password set (fleet logins), the password to a "Password" prompt. */
static const char* current_code;
static const char* current_password;

static inline int conversation(int n, const struct pam_message** msg, struct pam_response** resp,
                               void* data) {
    (void)data;
    struct pam_response* out = calloc((size_t)n, sizeof *out);
    if (!out) return PAM_BUF_ERR;
    for (int i = 0; i < n; ++i) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        const int password = current_password && strncmp(msg[i]->msg, "Password", 8) == 0;
        out[i].resp = strdup(password ? current_password : current_code);
    }
    *resp = out;
    return PAM_SUCCESS;
}

static inline double monotonic_us(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int compare_double(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

/* `sorted` ascending, n > 0. */
static inline double percentile(const double* sorted, int n, double p) {
    int i = (int)(p * (n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

/* The key's bytes from its hex spelling; 0 when it does not fit. */
static inline size_t parse_hex_key(const char* hex, unsigned char* key, size_t capacity) {
    const size_t len = strlen(hex) / 2;
    if (len == 0 || len > capacity) return 0;
    for (size_t i = 0; i < len; ++i)
        if (sscanf(hex + 2 * i, "%2hhx", &key[i]) != 1) return 0;
    return len;
}
