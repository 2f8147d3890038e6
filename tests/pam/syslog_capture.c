/* LD_PRELOAD shim for tests only: appends every syslog line to the file
 * named by $TEST_SYSLOG_FILE as "<priority> <message>", so a test can assert
 * what the module logged (and that it never logged a code). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

void vsyslog(int priority, const char* format, va_list ap) {
    const char* path = getenv("TEST_SYSLOG_FILE");
    if (!path) return;
    FILE* f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%d ", priority);
    vfprintf(f, format, ap);
    fputc('\n', f);
    fclose(f);
}

void syslog(int priority, const char* format, ...) {
    va_list ap;
    va_start(ap, format);
    vsyslog(priority, format, ap);
    va_end(ap);
}

void __syslog_chk(int priority, int flag, const char* format, ...) {
    (void)flag;
    va_list ap;
    va_start(ap, format);
    vsyslog(priority, format, ap);
    va_end(ap);
}

void __vsyslog_chk(int priority, int flag, const char* format, va_list ap) {
    (void)flag;
    vsyslog(priority, format, ap);
}
