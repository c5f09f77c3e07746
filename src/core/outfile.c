/*
 * Atomic output files (see include/suanli/outfile.h): mkstemp in the target
 * directory, write, fflush + fsync, fclose, rename.  A write error at any of
 * these steps (a full disk, a file size limit, an I/O error) fails the
 * commit with SL_EIO and the final path, and nothing is renamed: an output
 * that exists is complete.
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
    /* Every step can be the first to see a write error: a write during the
     * run (the stream's error flag), the last buffer (fflush), the data
     * reaching the disk (fsync; EINVAL only says the file cannot be synced)
     * and, on some file systems, fclose.  e is the first failure's errno, 0
     * when only the error flag tells, its errno lost to later calls. */
    int e = 0;
    int bad = ferror(o->f) != 0;
    if (fflush(o->f) != 0) {
        bad = 1;
        e = errno;
    }
    bad |= ferror(o->f) != 0;
    if (!bad && fsync(fileno(o->f)) != 0 && errno != EINVAL) {
        bad = 1;
        e = errno;
    }
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    if (!bad && rename(o->tmp_path, o->final_path) != 0) {
        bad = 1;
        e = errno;
    }
    int rc = SL_OK;
    if (bad) {
        unlink(o->tmp_path);
        rc = sl_diag_set(d, SL_EIO, o->final_path, 0, 0, "cannot write output file: %s",
                         e ? strerror(e) : "a write failed");
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
static const char *const output_names[] = {
    "summary.json", "timeseries.csv", "monthly.csv",  "scenario.yaml", "comparison.csv",
    "requests.csv", "jobs.csv",       "failures.csv", "factory.json",  "factory_daily.csv"};

int sl_output_name(const char *name)
{
    for (size_t i = 0; i < sizeof output_names / sizeof output_names[0]; i++)
        if (strcmp(name, output_names[i]) == 0)
            return 1;
    return 0;
}
