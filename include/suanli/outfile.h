/*
 * Atomic output files.
 *
 * An output is written to a temporary file in the same directory
 * (".<name>.tmp.XXXXXX") and renamed over the final name only when complete,
 * so a reader never sees a half-written summary.json and a failed run leaves
 * no partial file behind.  Rename within one directory is atomic on POSIX
 * file systems.
 */
#ifndef SUANLI_OUTFILE_H
#define SUANLI_OUTFILE_H

#include <stdio.h>

#include "suanli/diag.h"

/* One output file being written atomically.  The caller embeds it; between
 * a successful sl_outfile_open and sl_outfile_commit or sl_outfile_abort it
 * owns an open stream f on the temporary file tmp_path (in the directory of
 * final_path) and both path strings.  Commit and abort close the stream,
 * free the strings and zero the struct, so a zeroed sl_outfile is the
 * closed state and aborting it is a no-op.  final_path never exists half
 * written: it appears only by the rename in commit. */
struct sl_outfile {
    FILE *f; /* write here between open and commit */
    char *tmp_path;
    char *final_path;
};

/* Creates the temporary file for path (the directory must exist).  Returns
 * SL_OK, SL_EIO or SL_ENOMEM. */
int sl_outfile_open(struct sl_outfile *o, const char *path, struct sl_diag *d);
/* Flushes, syncs, closes and renames into place.  Any write error since open
 * (the stream's error flag, fflush, fsync, fclose) or a failed rename fails
 * the commit with SL_EIO naming final_path, and the temporary file is
 * removed.  Returns SL_OK or SL_EIO. */
int sl_outfile_commit(struct sl_outfile *o, struct sl_diag *d);
/* Closes and removes the temporary file (no-op after commit). */
void sl_outfile_abort(struct sl_outfile *o);

/* Creates a directory and its parents (like mkdir -p).  Returns SL_OK or
 * SL_EIO with a message. */
int sl_mkdirs(const char *path, struct sl_diag *d);

/* 1 when name is the name of a file a run writes (summary.json,
 * timeseries.csv, monthly.csv, scenario.yaml, comparison.csv), else 0.
 * The scenario loader refuses these as scenario and variant names, which
 * become folder names beside them. */
int sl_output_name(const char *name);

#endif
