/*
 * The output folder of a set, replaced whole (src/sim/outdir.c).
 *
 * A set's run never writes into its target folder T = <parent>/<base>.  It
 * takes a lock beside T, builds the whole new output in a build folder
 * beside T, and swaps it in only when every variant succeeded; until then
 * T keeps the previous complete output.  The work names beside T all start
 * with ".<base>.suanli-", so they are hidden, never taken for output, and
 * recognised (and removed) by the next run on T:
 *
 *     .<base>.suanli-lock               the lock (flock), removed on release
 *     .<base>.suanli-build-<pid>-<n>    the new output while it is built
 *     .<base>.suanli-old-<pid>-<n>      the previous output while swapped out
 *
 * Lifecycle: sl__outdir_begin (lock, clean leftovers, check T, create the
 * build folder), then write into o->build, then sl__outdir_commit (swap),
 * and in every case sl__outdir_release (remove what is left, unlock).
 */
#ifndef SL_SIM_OUTDIR_H
#define SL_SIM_OUTDIR_H

#include "suanli/diag.h"

#include <stddef.h>

/* The longest path the run writes, with its NUL: the path buffers of
 * src/sim and src/report hold this many bytes. */
#define SL__PATH_MAX 4096

/* Room kept after a folder's path for "/<variant>/" (a name is at most
 * 255 bytes) and a temporary file name (".timeseries.csv.tmp.XXXXXX"). */
#define SL__PATH_TAIL (1 + 255 + 1 + 64)

/* One replacement of a target folder.  Between a successful begin and
 * release it owns the strings, the open lock file lock_fd (holding an
 * exclusive flock) and the folder build, which exists until commit moves
 * it to target.  A zeroed struct with lock_fd -1 is the released state. */
struct sl__outdir {
    char *target;
    char *build;
    char *lock;
    char *old;   /* the name the previous output takes during the swap */
    int lock_fd; /* -1 when not locked */
    int built;   /* build exists and is ours to remove */
};

/* Locks target, removes the leftovers of killed runs (restoring the
 * previous output if a run died between the two renames of a swap),
 * checks that target is absent, empty or holds only suanli outputs, and
 * creates the build folder.  Returns SL_OK; SL_EBUSY when another run
 * holds the lock; SL_EUSAGE when target cannot be an output folder (too
 * long, '.', a file, a symbolic link, foreign files); SL_EIO; SL_ENOMEM.
 * On error o is released. */
int sl__outdir_begin(struct sl__outdir *o, const char *target, struct sl_diag *d);

/* Swaps the complete build folder in for target.  Returns SL_OK or SL_EIO
 * (target then still holds the previous output). */
int sl__outdir_commit(struct sl__outdir *o, struct sl_diag *d);

/* Removes the build folder unless committed, removes and unlocks the lock
 * file, frees the strings.  Safe on a released struct. */
void sl__outdir_release(struct sl__outdir *o);

/* Removes path and, if it is a folder, what it holds, to depth levels of
 * folders; best effort.  Returns 0 when path is gone. */
int sl__rmtree(const char *path, int depth);

#endif
