/* For the test drivers' --go-file (tests/pam/pam_driver.c,
 * tests/stress/stress_driver.c): block until a file exists, without polling.
 *
 * A test starts up to 30 drivers one by one, each waiting after pam_start,
 * then creates the go file to release them together. Polling for it every
 * 200 us kept both cores of a CI machine busy with the waiting drivers'
 * wake-ups; an inotify watch on the file's directory wakes them all once,
 * when it appears (and when another driver's ready file does). Polling
 * remains the fallback if inotify is unavailable. */
#ifndef PAM_TOTP_TESTS_WAIT_FOR_FILE_H
#define PAM_TOTP_TESTS_WAIT_FOR_FILE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static void wait_for_file(const char* path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char* slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    const int fd = inotify_init1(IN_CLOEXEC);
    if (fd >= 0 && inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO) >= 0) {
        /* Watching first, then checking: a file created in between is seen. */
        char events[4096] __attribute__((aligned(8)));
        while (access(path, F_OK) != 0) {
            if (read(fd, events, sizeof events) < 0 && errno != EINTR) break;
        }
    }
    if (fd >= 0) close(fd);
    while (access(path, F_OK) != 0) usleep(200);
}

#endif
