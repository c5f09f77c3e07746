/*
 * Result-code names and diagnostics (see include/suanli/diag.h).
 */
#include "suanli/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sl_strerror(int code)
{
    switch (code) {
    case SL_OK:
        return "OK";
    case SL_EINVAL:
        return "EINVAL";
    case SL_ENOMEM:
        return "ENOMEM";
    case SL_EIO:
        return "EIO";
    case SL_ENOENT:
        return "ENOENT";
    case SL_ERANGE:
        return "ERANGE";
    case SL_ESTALE:
        return "ESTALE";
    case SL_EUSAGE:
        return "EUSAGE";
    case SL_ESTATE:
        return "ESTATE";
    case SL_EBUSY:
        return "EBUSY";
    default:
        return "EUNKNOWN";
    }
}

void sl_diag_clear(struct sl_diag *d)
{
    if (d)
        memset(d, 0, sizeof *d);
}

int sl_diag_set(struct sl_diag *d, int code, const char *file, int line, int col, const char *fmt,
                ...)
{
    if (!d || d->code != SL_OK)
        return code;
    d->code = code;
    d->line = line;
    d->col = col;
    d->file[0] = '\0';
    if (file)
        snprintf(d->file, sizeof d->file, "%s", file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return code;
}

char *sl_diag_format(const struct sl_diag *d, char *buf, size_t size)
{
    if (d->file[0] && d->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s", d->file, d->line, d->col > 0 ? d->col : 1, d->msg);
    else if (d->file[0])
        snprintf(buf, size, "%s: %s", d->file, d->msg);
    else
        snprintf(buf, size, "%s", d->msg);
    return buf;
}
