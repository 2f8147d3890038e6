/* Benchmark driver: loops pam_start / pam_authenticate / pam_end through real
 * libpam (run it under pam_wrapper) and answers the prompt with the current
 * TOTP code. Used by bench/run for every module, so all pay the same harness.
 *
 *   pam_bench SERVICE USER KEY_HEX ITERATIONS [WARMUP [wrong]]
 *
 * "wrong": answer with a wrong code instead (every digit shifted by 5), to
 * measure the refusal path; every login must then fail.
 *
 * Every module under test refuses a code twice (replay protection), so the
 * driver runs on a fake clock: authentication i happens at start + 30*i
 * seconds and answers with that step's code. time(), gettimeofday() and
 * clock_gettime(CLOCK_REALTIME) are defined here and exported (-rdynamic) so
 * the modules see the fake clock; run with PAM_WRAPPER_DISABLE_DEEPBIND=1 so
 * the modules bind to these rather than libc's. Wall time is measured on
 * CLOCK_MONOTONIC by direct system call.
 *
 * Fleet mode (pam_totp_ldap.so) judges the code on the directory server's
 * clock, which no fake clock reaches, and takes each step once per user:
 *
 *   pam_bench --users FILE SERVICE ITERATIONS [WARMUP]
 *
 * logs in user i of FILE (lines "USER PASSWORD KEY_HEX", WARMUP + ITERATIONS
 * of them) with the code of the real current step, the fake clock set to the
 * real one; the password answers the "Password: " prompt, the code the
 * other.
 *
 * Under callgrind (--collect-atstart=no) only the measured authentications
 * are collected. Output: one "key value" line per figure, the CPU time of
 * the whole run last (this process; the children it reaped). */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <security/pam_appl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "bench_util.h"
#include "fake_clock_driver.h"

enum { kPeriod = 30, kDigits = 6, kMaxField = 256 };

/* --users: one account per login. */
struct account {
    char user[kMaxField], password[kMaxField];
    unsigned char key[64];
    size_t key_len;
};

static double timeval_us(struct timeval tv) {
    return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

/* `count` accounts from FILE, or NULL. */
static struct account* read_accounts(const char* path, int count) {
    FILE* f = fopen(path, "r");
    struct account* accounts = calloc((size_t)count, sizeof *accounts);
    char hex[2 * sizeof accounts->key + 2];
    int n = 0;
    while (f && accounts && n < count) {
        struct account* a = &accounts[n];
        if (fscanf(f, "%255s %255s %129s", a->user, a->password, hex) != 3) break;
        a->key_len = parse_hex_key(hex, a->key, sizeof a->key);
        if (a->key_len == 0) break;
        ++n;
    }
    if (f) fclose(f);
    if (n == count) return accounts;
    fprintf(stderr, "pam_bench: %s: %d accounts, %d needed\n", path, n, count);
    free(accounts);
    return NULL;
}

int main(int argc, char** argv) {
    const int fleet = argc > 1 && strcmp(argv[1], "--users") == 0;
    if (argc < 5) {
        fprintf(stderr,
                "usage: pam_bench SERVICE USER KEY_HEX ITERATIONS [WARMUP [wrong]]\n"
                "       pam_bench --users FILE SERVICE ITERATIONS [WARMUP]\n");
        return 2;
    }
    const char* service = fleet ? argv[3] : argv[1];
    const char* user = fleet ? NULL : argv[2];
    const char* hex = fleet ? NULL : argv[3];
    const int iterations = atoi(argv[4]);
    const int warmup = argc > 5 ? atoi(argv[5]) : 5;
    const int wrong = !fleet && argc > 6 && strcmp(argv[6], "wrong") == 0;
    unsigned char key[64];
    const size_t key_len = fleet ? 0 : parse_hex_key(hex, key, sizeof key);
    if (iterations <= 0 || warmup < 0 || (!fleet && key_len == 0)) return 2;
    struct account* accounts = fleet ? read_accounts(argv[2], warmup + iterations) : NULL;
    if (fleet && !accounts) return 2;

    /* Start at the beginning of a real time step, so the fake clock is close
     * to the real one and every fake step is new to the module's state. */
    struct timespec real;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &real);
    const time_t start = real.tv_sec - real.tv_sec % kPeriod + 1;

    double* times = calloc((size_t)iterations, sizeof *times);
    int successes = 0, as_expected = 0;
    struct pam_conv conv = {conversation, NULL};
    for (int i = 0; i < warmup + iterations; ++i) {
        char code[kDigits + 1];
        if (fleet) {
            syscall(SYS_clock_gettime, CLOCK_REALTIME, &real);
            fake_now = real.tv_sec;
            user = accounts[i].user;
            current_password = accounts[i].password;
            totp_code(accounts[i].key, accounts[i].key_len, (uint64_t)fake_now / kPeriod, code);
        } else {
            fake_now = start + (time_t)i * kPeriod;
            totp_code(key, key_len, (uint64_t)fake_now / kPeriod, code);
        }
        if (wrong)
            for (int k = 0; k < kDigits; ++k) code[k] = (char)('0' + (code[k] - '0' + 5) % 10);
        current_code = code;
        const int measured = i >= warmup;

        if (measured) CALLGRIND_TOGGLE_COLLECT;
        const double t0 = monotonic_us();
        pam_handle_t* pamh = NULL;
        int rc = pam_start(service, user, &conv, &pamh);
        if (rc == PAM_SUCCESS) rc = pam_authenticate(pamh, 0);
        pam_end(pamh, rc);
        const double t1 = monotonic_us();
        if (measured) CALLGRIND_TOGGLE_COLLECT;

        if ((rc == PAM_SUCCESS) == wrong) {
            fprintf(stderr, "pam_bench: authentication %d returned %d (%s)\n", i, rc,
                    pam_strerror(NULL, rc));
            continue;
        }
        if (measured) times[as_expected++] = t1 - t0;
        successes += rc == PAM_SUCCESS && measured;
    }
    printf("iterations %d\nsuccesses %d\nas_expected %d\n", iterations, successes, as_expected);
    if (as_expected > 0) {
        qsort(times, (size_t)as_expected, sizeof *times, compare_double);
        double sum = 0;
        for (int i = 0; i < as_expected; ++i) sum += times[i];
        printf("p50_us %.1f\np99_us %.1f\nmean_us %.1f\n", percentile(times, as_expected, 0.50),
               percentile(times, as_expected, 0.99), sum / as_expected);
    }
    free(times);
    free(accounts);
    /* CPU time of the whole run, warm-up included: this process, and the
     * children the module forked and reaped (fleet mode's phases). */
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    printf("cpu_self_us %.0f\ncpu_children_us %.0f\n",
           timeval_us(self.ru_utime) + timeval_us(self.ru_stime),
           timeval_us(children.ru_utime) + timeval_us(children.ru_stime));
    return as_expected == iterations ? 0 : 1;
}
