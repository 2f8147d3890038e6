/* For the test and benchmark drivers that log in many times in one process
 * (tests/stress/stress_driver.c, bench/pam_bench.c): a settable wall clock
 * and a reference TOTP code (SHA-1, 6 digits) to answer with.
 *
 * The clock functions are defined here, in the driver executable, and
 * exported (-rdynamic / ENABLE_EXPORTS); with PAM_WRAPPER_DISABLE_DEEPBIND=1
 * the module's calls bind to them. This is a seam of the test executables
 * only: the shipped module has none. Include from exactly one file. */
#ifndef PAM_TOTP_TESTS_FAKE_CLOCK_DRIVER_H
#define PAM_TOTP_TESTS_FAKE_CLOCK_DRIVER_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static time_t fake_now;

time_t time(time_t* out) {
    if (out) *out = fake_now;
    return fake_now;
}

int gettimeofday(struct timeval* tv, void* tz) {
    (void)tz;
    tv->tv_sec = fake_now;
    tv->tv_usec = 0;
    return 0;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
    if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
        ts->tv_sec = fake_now;
        ts->tv_nsec = 0;
        return 0;
    }
    return (int)syscall(SYS_clock_gettime, clock, ts);
}

/* HOTP(key, step) as 6 digits: RFC 4226, written out independently of the
 * core so the drivers do not test the core with itself. */
static void totp_code(const unsigned char* key, size_t key_len, uint64_t step, char out[7]) {
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    for (int i = 7; i >= 0; --i, step >>= 8) msg[i] = (unsigned char)(step & 0xff);
    HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof msg, mac, &mac_len);
    const unsigned off = mac[mac_len - 1] & 0x0f;
    const uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                         ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    snprintf(out, 7, "%06u", bin % 1000000u);
}

#endif
