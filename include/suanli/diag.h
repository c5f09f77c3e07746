/*
 * Result codes and diagnostics.
 *
 * Library functions return SL_OK (0) or a negative SL_E* code, libuv style.
 * Functions that can fail because of user input also fill a struct sl_diag
 * with the position (file:line:column, when there is a file) and a message a
 * user can act on.  Only app/ prints diagnostics and chooses exit codes:
 * SL_EINVAL, SL_ENOENT, SL_EUSAGE and SL_EBUSY are the user's fault (exit 2),
 * the rest are failures of the run (exit 1).
 */
#ifndef SUANLI_DIAG_H
#define SUANLI_DIAG_H

#include <stddef.h>

enum sl_result {
    SL_OK = 0,
    SL_EINVAL = -1, /* bad input: scenario, trace, value */
    SL_ENOMEM = -2, /* allocation failed */
    SL_EIO = -3,    /* reading or writing a file failed */
    SL_ENOENT = -4, /* a named file, key or catalog entry does not exist */
    SL_ERANGE = -5, /* a value or count outside what the library supports */
    SL_ESTALE = -6, /* an event handle that is no longer pending */
    SL_EUSAGE = -7, /* bad command line */
    SL_ESTATE = -8, /* call not valid in the current state */
    SL_EBUSY = -9   /* the output folder is in use by another run */
};

/* Returns a short static name for a result code, e.g. "EINVAL". */
const char *sl_strerror(int code);

/* A diagnostic: the first error of an operation, for the user.  The caller
 * owns it (usually on its stack), clears it with sl_diag_clear and passes
 * it down; a library function fills it at most once, so the first error
 * wins.  code is SL_OK while it holds no error, else the negative SL_E*
 * code the failing function returned.  line and col are 1-based; 0 means
 * "no position" (file is then empty or names only the file).  file and msg
 * are always NUL-terminated copies (truncated if very long), so the
 * diagnostic outlives the source it describes and owns no memory. */
struct sl_diag {
    int code;
    int line;
    int col;
    char file[512];
    char msg[1024];
};

void sl_diag_clear(struct sl_diag *d);

/* Fills d (if d is not NULL) and returns code, so callers can write
 * `return sl_diag_set(d, SL_EINVAL, file, line, col, "...")`.  file may be
 * NULL.  A diagnostic already holding an error is not overwritten: the first
 * error is the one the user sees. */
int sl_diag_set(struct sl_diag *d, int code, const char *file, int line, int col, const char *fmt,
                ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Formats "file:line:col: message" (or "file: message", or "message") into
 * buf; returns buf. */
char *sl_diag_format(const struct sl_diag *d, char *buf, size_t size);

#endif
