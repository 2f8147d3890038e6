/* Cold-login driver: one login per fresh process, as sudo, su, login and
 * every sshd connection do (they load the module once per process). Built
 * twice from this file:
 *
 *   pam_cold_login SERVICE USER CODE TIME          (built with -DCOLD_LOGIN)
 *       one pam_start + pam_authenticate + pam_end on a fake clock at TIME,
 *       answering the prompt with CODE, then exit: 0 if it succeeded. It does
 *       not link libcrypto (the code comes from the parent), so a module pays
 *       for loading and initialising OpenSSL itself, as under pamtester, sudo
 *       or login.
 *   pam_cold N START USER KEY_HEX LOGIN_BINARY SERVICE...
 *       N rounds; in round i every SERVICE logs in once in a new process
 *       (LOGIN_BINARY SERVICE USER CODE START+30*i, CODE that step's TOTP
 *       code), the order rotated each round so no module always follows the
 *       same one. Wall time per login is taken
 *       around posix_spawn + waitpid on CLOCK_MONOTONIC, so it includes exec,
 *       the loader and process exit: the same harness for every service.
 *       Prints "SERVICE p50_us p99_us mean_us failures" lines, then
 *       "retries N" (logins tried again, see below).
 *
 * Run under pam_wrapper with PAM_WRAPPER_DISABLE_DEEPBIND=1 (see pam_bench.c):
 * the fake clock (fake_clock_driver.h) is exported with -rdynamic, so each
 * module's state moves on by one 30 s step per round, a real state write.
 * pam_cold_login is linked with --as-needed: it never calls totp_code, so
 * libcrypto is not among its libraries (bench.py checks with ldd). */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "fake_clock_driver.h"

enum { kPeriod = 30, kDigits = 6 };

#ifdef COLD_LOGIN
int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: pam_cold_login SERVICE USER CODE TIME\n");
        return 2;
    }
    const char* service = argv[1];
    const char* user = argv[2];
    current_code = argv[3];
    fake_now = (time_t)atoll(argv[4]);
    struct pam_conv conv = {conversation, NULL};
    pam_handle_t* pamh = NULL;
    int rc = pam_start(service, user, &conv, &pamh);
    if (rc == PAM_SUCCESS) rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
#else
extern char** environ;

static int loop(int rounds, time_t start, const char* user, const char* hex, const char* login,
                int k, char** services) {
    unsigned char key[64];
    const size_t key_len = parse_hex_key(hex, key, sizeof key);
    if (key_len == 0) return 2;
    double* times = calloc((size_t)rounds * (size_t)k, sizeof *times);
    int* failures = calloc((size_t)k, sizeof *failures);
    int retries = 0;
    if (!times || !failures) return 2;
    for (int i = 0; i < rounds; ++i) {
        const time_t t = start + (time_t)i * kPeriod;
        char when[32], code[kDigits + 1];
        snprintf(when, sizeof when, "%lld", (long long)t);
        totp_code(key, key_len, (uint64_t)t / kPeriod, code);
        for (int j = 0; j < k; ++j) {
            const int s = (i + j) % k;
            char* argv[] = {(char*)login, services[s], (char*)user, code, when, NULL};
            /* pam_wrapper names its per-process config directory /tmp/pam.X
             * with one character X, so a process that starts while other
             * pam_wrapper processes run (a test suite on the same machine)
             * can fail before the module is loaded ("File exists"). Such a
             * login is tried again at the same step; a module that refuses
             * the code refuses it again (replay), so no failure is hidden. */
            int status = 0;
            double t0 = 0, t1 = 0;
            for (int attempt = 0; attempt < 3; ++attempt) {
                pid_t pid;
                t0 = monotonic_us();
                if (posix_spawn(&pid, login, NULL, NULL, argv, environ) != 0) return 2;
                waitpid(pid, &status, 0);
                t1 = monotonic_us();
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
                ++retries;
            }
            times[(size_t)s * (size_t)rounds + (size_t)i] = t1 - t0;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ++failures[s];
                fprintf(stderr, "pam_cold: %s login %d failed (status %d)\n", services[s], i, status);
            }
        }
    }
    int bad = 0;
    for (int s = 0; s < k; ++s) {
        double* t = times + (size_t)s * (size_t)rounds;
        qsort(t, (size_t)rounds, sizeof *t, compare_double);
        double sum = 0;
        for (int i = 0; i < rounds; ++i) sum += t[i];
        printf("%s %.1f %.1f %.1f %d\n", services[s], percentile(t, rounds, 0.50),
               percentile(t, rounds, 0.99), sum / rounds, failures[s]);
        bad |= failures[s] != 0;
    }
    printf("retries %d\n", retries);
    return bad;
}

int main(int argc, char** argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: pam_cold N START USER KEY_HEX LOGIN_BINARY SERVICE...\n");
        return 2;
    }
    return loop(atoi(argv[1]), (time_t)atoll(argv[2]), argv[3], argv[4], argv[5], argc - 6, argv + 6);
}
#endif
