/*
 * Replacing a set's output folder whole (see src/sim/outdir.h).
 *
 * The contract: at every instant, even if the process is killed with
 * SIGKILL, the target folder T holds either the previous complete output
 * or the new complete output (or, if it had none, nothing), never a mix;
 * and no work file or folder outlives the next run on T.  Two runs on one
 * T at once are refused rather than interleaved.
 *
 * The lock is an flock on ".<base>.suanli-lock" beside T.  flock locks
 * die with their process, so a run killed while holding it leaves a file
 * but no lock: the next run takes it.  The holder unlinks the file before
 * closing it; a run that opened the old file just before takes its lock
 * on an unlinked inode, which it detects (the path no longer names its
 * inode) and retries on a fresh file.
 *
 * The swap, once the build folder B is complete:
 *   - no T yet: rename(B, T), atomic.
 *   - T exists: renameat2(B, T, RENAME_EXCHANGE) swaps both names in one
 *     atomic step, after which B's name holds the previous output, which
 *     is removed.  Where the file system cannot exchange, two renames:
 *     T -> O (".<base>.suanli-old-..."), then B -> T, then remove O.  A
 *     crash between the two renames leaves no T but O complete (and B
 *     complete); the next run on T puts O back as T before anything else,
 *     so T is again the previous output.
 * Every other crash point leaves T as it was before or after the swap,
 * plus hidden leftovers (B, O or the lock file) that the next run removes.
 */
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE */

#include "sim/outdir.h"

#include "suanli/alloc.h"
#include "suanli/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Numbers the build folders of one process (several sets may run). */
static atomic_ulong serial;

/* A new string of the printf format, or NULL (out of memory). */
static char *format_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_new(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = sl_malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int sl__rmtree(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    if (depth > 0) {
        DIR *dir = opendir(path);
        if (dir) {
            struct dirent *e;
            while ((e = readdir(dir)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char child[SL__PATH_MAX];
                int n = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                if (n > 0 && (size_t)n < sizeof child)
                    sl__rmtree(child, depth - 1);
            }
            closedir(dir);
        }
    }
    return rmdir(path);
}

/* 1 when name is a file a run leaves in a folder: an output, or the
 * temporary file of one (".<output>.tmp.XXXXXX", left by a killed run). */
static int output_file(const char *name)
{
    if (sl_output_name(name))
        return 1;
    if (name[0] != '.')
        return 0;
    const char *tmp = strstr(name + 1, ".tmp.");
    if (!tmp || tmp == name + 1 || (size_t)(tmp - name) > 64)
        return 0;
    char out[72];
    memcpy(out, name + 1, (size_t)(tmp - name) - 1);
    out[tmp - name - 1] = '\0';
    return sl_output_name(out);
}

/* Checks that dir holds only what runs write: output files and, at depth
 * 0, variant folders holding output files.  A folder holding anything else
 * is not replaced, so that `--out ~` cannot remove a home folder. */
static int check_outputs(const char *dir, int depth, struct sl_diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return sl_diag_set(d, SL_EIO, dir, 0, 0, "cannot read the output folder: %s",
                           strerror(errno));
    int rc = SL_OK;
    struct dirent *e;
    while (rc == SL_OK && (e = readdir(dh)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char path[SL__PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat st;
        if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0) {
            rc = sl_diag_set(d, SL_EIO, dir, 0, 0, "cannot read the output folder");
            break;
        }
        if (S_ISREG(st.st_mode) && output_file(name))
            continue;
        if (S_ISDIR(st.st_mode) && depth == 0 && name[0] != '.') {
            rc = check_outputs(path, 1, d);
            continue;
        }
        rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                         "'%s' holds '%s', which is not a suanli output; a run replaces its "
                         "output folder whole, so choose a new or empty folder (--out)",
                         dir, depth == 0 ? name : path);
    }
    closedir(dh);
    return rc;
}

/* Takes the lock: see the opening comment. */
static int take_lock(struct sl__outdir *o, struct sl_diag *d)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        int fd = open(o->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            return sl_diag_set(d, SL_EIO, o->lock, 0, 0, "cannot create the lock file: %s",
                               strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK)
                return sl_diag_set(d, SL_EBUSY, NULL, 0, 0,
                                   "another run is writing to '%s' (it holds %s); wait for it "
                                   "to finish or choose another --out",
                                   o->target, o->lock);
            return sl_diag_set(d, SL_EIO, o->lock, 0, 0, "cannot lock: %s", strerror(e));
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(o->lock, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino) {
            o->lock_fd = fd;
            return SL_OK;
        }
        close(fd); /* the previous holder removed it meanwhile: try a fresh one */
    }
    return sl_diag_set(d, SL_EBUSY, NULL, 0, 0, "cannot take the lock %s", o->lock);
}

/* Removes the work folders that killed runs left beside the target
 * (prefix ".<base>.suanli-"), after putting back a previous output that a
 * run killed in the middle of a two-rename swap left aside. */
static void clean_leftovers(const struct sl__outdir *o, const char *parent, const char *prefix)
{
    size_t np = strlen(prefix);
    struct stat st;
    int have_target = lstat(o->target, &st) == 0;
    for (int pass = 0; pass < 2; pass++) {
        DIR *dh = opendir(parent);
        if (!dh)
            return;
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            const char *name = e->d_name;
            if (strncmp(name, prefix, np) != 0)
                continue;
            int old = strncmp(name + np, "old-", 4) == 0;
            int build = strncmp(name + np, "build-", 6) == 0;
            char path[SL__PATH_MAX];
            int n = snprintf(path, sizeof path, "%s/%s", parent, name);
            if (n < 0 || (size_t)n >= sizeof path)
                continue;
            if (pass == 0 && old && !have_target && rename(path, o->target) == 0)
                have_target = 1;
            else if (pass == 1 && (old || build))
                sl__rmtree(path, 3);
        }
        closedir(dh);
    }
}

int sl__outdir_begin(struct sl__outdir *o, const char *target, struct sl_diag *d)
{
    memset(o, 0, sizeof *o);
    o->lock_fd = -1;
    size_t len = strlen(target);
    while (len > 1 && target[len - 1] == '/')
        len--;
    /* The build folder's name adds up to 56 bytes to the target's. */
    if (len + 56 + SL__PATH_TAIL >= SL__PATH_MAX)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "the output folder's path is too long (%zu bytes; at most %d)", len,
                           SL__PATH_MAX - 57 - SL__PATH_TAIL);
    o->target = format_new("%.*s", (int)len, target);
    if (!o->target)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    char *slash = strrchr(o->target, '/');
    const char *base = slash ? slash + 1 : o->target;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        int rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                             "'%s' cannot be an output folder, which a run replaces whole; "
                             "name a folder of its own (e.g. --out results)",
                             o->target);
        sl__outdir_release(o);
        return rc;
    }
    char *parent =
        slash ? format_new("%.*s", (int)(slash == o->target ? 1 : slash - o->target), o->target)
              : format_new(".");
    char *prefix = format_new(".%s.suanli-", base);
    unsigned long n = atomic_fetch_add(&serial, 1);
    o->lock = format_new("%s/%slock", parent ? parent : "", prefix ? prefix : "");
    o->build = format_new("%s/%sbuild-%ld-%lu", parent ? parent : "", prefix ? prefix : "",
                          (long)getpid(), n);
    o->old = format_new("%s/%sold-%ld-%lu", parent ? parent : "", prefix ? prefix : "",
                        (long)getpid(), n);
    int rc = SL_OK;
    if (!parent || !prefix || !o->lock || !o->build || !o->old)
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc == SL_OK)
        rc = sl_mkdirs(parent, d);
    if (rc == SL_OK)
        rc = take_lock(o, d);
    if (rc == SL_OK) {
        clean_leftovers(o, parent, prefix);
        struct stat st;
        if (lstat(o->target, &st) == 0) {
            if (S_ISLNK(st.st_mode))
                rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                                 "'%s' is a symbolic link; give the folder it points to as --out",
                                 o->target);
            else if (!S_ISDIR(st.st_mode))
                rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "'%s' exists and is not a folder",
                                 o->target);
            else
                rc = check_outputs(o->target, 0, d);
        } else if (errno != ENOENT) {
            rc = sl_diag_set(d, SL_EIO, o->target, 0, 0, "%s", strerror(errno));
        }
    }
    if (rc == SL_OK) {
        if (mkdir(o->build, 0777) == 0)
            o->built = 1;
        else
            rc = sl_diag_set(d, SL_EIO, o->build, 0, 0, "cannot create the build folder: %s",
                             strerror(errno));
    }
    sl_free(parent);
    sl_free(prefix);
    if (rc != SL_OK)
        sl__outdir_release(o);
    return rc;
}

int sl__outdir_commit(struct sl__outdir *o, struct sl_diag *d)
{
    struct stat st;
    if (lstat(o->target, &st) != 0) {
        /* No previous output: one atomic rename.  A crash before it leaves
         * no T and a build folder the next run removes; after it, T. */
        if (rename(o->build, o->target) != 0)
            return sl_diag_set(d, SL_EIO, o->target, 0, 0, "cannot move the output into place: %s",
                               strerror(errno));
        o->built = 0;
        return SL_OK;
    }
#ifdef RENAME_EXCHANGE
    /* One atomic exchange: before it T is the previous output, after it
     * the new one.  The build name then holds the previous output, which
     * release removes (or, after a crash, the next run). */
    if (renameat2(AT_FDCWD, o->build, AT_FDCWD, o->target, RENAME_EXCHANGE) == 0)
        return SL_OK;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return sl_diag_set(d, SL_EIO, o->target, 0, 0, "cannot move the output into place: %s",
                           strerror(errno));
#endif
    /* Two renames.  A crash before the first: T previous.  Between them: no
     * T, the previous output at o->old, which the next run renames back
     * to T before anything else.  After the second: T new, and o->old a
     * leftover the next run removes. */
    if (rename(o->target, o->old) != 0)
        return sl_diag_set(d, SL_EIO, o->target, 0, 0, "cannot move the previous output aside: %s",
                           strerror(errno));
    if (rename(o->build, o->target) != 0) {
        int e = errno;
        (void)rename(o->old, o->target);
        return sl_diag_set(d, SL_EIO, o->target, 0, 0, "cannot move the output into place: %s",
                           strerror(e));
    }
    o->built = 0;
    sl__rmtree(o->old, 3);
    return SL_OK;
}

void sl__outdir_release(struct sl__outdir *o)
{
    if (o->built && o->build)
        sl__rmtree(o->build, 3);
    if (o->lock_fd >= 0) {
        /* Unlink while still holding the lock: see the opening comment. */
        unlink(o->lock);
        close(o->lock_fd);
    }
    sl_free(o->target);
    sl_free(o->build);
    sl_free(o->lock);
    sl_free(o->old);
    memset(o, 0, sizeof *o);
    o->lock_fd = -1;
}
