/*
 * Atomic output files (see include/suanli/outfile.h): mkstemp in the target
 * directory, write, fflush + fsync, fclose, rename.
 */
#define _POSIX_C_SOURCE 200809L

#include "suanli/outfile.h"
#include "suanli/alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sl_outfile_open(struct sl_outfile *o, const char *path, struct sl_diag *d)
{
    memset(o, 0, sizeof *o);
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    size_t need = dirlen + strlen(base) + 16;
    o->tmp_path = sl_malloc(need);
    o->final_path = sl_strdup(path);
    if (!o->tmp_path || !o->final_path) {
        sl_free(o->tmp_path);
        sl_free(o->final_path);
        memset(o, 0, sizeof *o);
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    memcpy(o->tmp_path, path, dirlen);
    snprintf(o->tmp_path + dirlen, need - dirlen, ".%s.tmp.XXXXXX", base);
    int fd = mkstemp(o->tmp_path);
    if (fd < 0) {
        int e = errno;
        sl_free(o->tmp_path);
        sl_free(o->final_path);
        memset(o, 0, sizeof *o);
        return sl_diag_set(d, SL_EIO, path, 0, 0, "cannot create output file: %s", strerror(e));
    }
    /* mkstemp creates 0600; outputs are ordinary files. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, (mode_t)(0666 & ~mask));
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp_path);
        sl_free(o->tmp_path);
        sl_free(o->final_path);
        memset(o, 0, sizeof *o);
        return sl_diag_set(d, SL_EIO, path, 0, 0, "cannot open output file: %s", strerror(e));
    }
    return SL_OK;
}

void sl_outfile_abort(struct sl_outfile *o)
{
    if (o->f) {
        fclose(o->f);
        unlink(o->tmp_path);
    }
    sl_free(o->tmp_path);
    sl_free(o->final_path);
    memset(o, 0, sizeof *o);
}

int sl_outfile_commit(struct sl_outfile *o, struct sl_diag *d)
{
    int ok = fflush(o->f) == 0 && !ferror(o->f);
    int e = errno;
    if (ok && fsync(fileno(o->f)) != 0 && errno != EINVAL) {
        ok = 0;
        e = errno;
    }
    if (fclose(o->f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    o->f = NULL;
    if (ok && rename(o->tmp_path, o->final_path) != 0) {
        ok = 0;
        e = errno;
    }
    int rc = SL_OK;
    if (!ok) {
        unlink(o->tmp_path);
        rc = sl_diag_set(d, SL_EIO, o->final_path, 0, 0, "cannot write output file: %s",
                         strerror(e));
    }
    sl_free(o->tmp_path);
    sl_free(o->final_path);
    memset(o, 0, sizeof *o);
    return rc;
}

int sl_mkdirs(const char *path, struct sl_diag *d)
{
    char *p = sl_strdup(path);
    if (!p)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = SL_OK;
    for (char *s = p + (*p == '/');; s++) { /* skip a leading root, not a NUL */
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = sl_diag_set(d, SL_EIO, p, 0, 0, "cannot create output directory: %s",
                             strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    if (rc == SL_OK) {
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = sl_diag_set(d, SL_EIO, path, 0, 0, "output path exists and is not a directory");
    }
    sl_free(p);
    return rc;
}

/* The files of a run (src/report, src/sim/run.c) and of a set
 * (src/sim/compare.c).  tests/cli_atomic.sh checks that a run writes no
 * other names. */
static const char *const output_names[] = {"summary.json", "timeseries.csv", "monthly.csv",
                                           "scenario.yaml", "comparison.csv"};

int sl_output_name(const char *name)
{
    for (size_t i = 0; i < sizeof output_names / sizeof output_names[0]; i++)
        if (strcmp(name, output_names[i]) == 0)
            return 1;
    return 0;
}
