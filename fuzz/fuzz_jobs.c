/*
 * libFuzzer harness for the job trace readers (sl_job_trace_read).
 *
 * The input bytes are a job trace file, read with format detection,
 * strictly and then leniently.  Bad input must give an error code, never a
 * crash or a sanitizer report.  A trace that loads must keep what struct
 * sl_job_trace promises: at least one row, rows sorted by submit from 0,
 * start and end unknown (-1) or not before submit, end not before start,
 * run time unknown or >= 0 and within the limit, cards in [0, the limit],
 * share in [0, 1000], a known state, and string offsets inside a pool that
 * starts with the empty string.  A broken promise prints what broke and
 * aborts, so libFuzzer saves the input.
 */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "suanli/diag.h"
#include "suanli/jobs.h"
#include "suanli/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, size_t i)
{
    fprintf(stderr, "fuzz_jobs: %s (row %zu)\n", what, i);
    abort();
}

static void check(const struct sl_job_trace *t)
{
    if (t->format == SL_JOBS_AUTO || t->format >= SL_JOBS_FORMAT_COUNT)
        broken("format not resolved", 0);
    if (t->n < 1 || t->rows[0].submit_us != 0)
        broken("a trace without rows or not starting at 0", 0);
    if (t->n_strings < 1 || t->strings[0] != '\0' || t->strings[t->n_strings - 1] != '\0')
        broken("a string pool without its empty string or final NUL", 0);
    for (size_t i = 0; i < t->n; i++) {
        const struct sl_job_trace_row *r = &t->rows[i];
        if (i > 0 && r->submit_us < t->rows[i - 1].submit_us)
            broken("rows out of order", i);
        if ((r->start_us != -1 && r->start_us < r->submit_us) ||
            (r->end_us != -1 && r->end_us < r->submit_us) ||
            (r->start_us >= 0 && r->end_us >= 0 && r->end_us < r->start_us))
            broken("times out of order", i);
        if (r->duration_us < -1 || (double)r->duration_us > SL_LIMIT(SL_LIM_JOB_DURATION) * 1e6)
            broken("a run time outside [-1, limit]", i);
        if (r->cards < 0 || r->cards > SL_LIMIT(SL_LIM_JOB_CARDS))
            broken("cards outside [0, limit]", i);
        if (r->share_milli < 0 || r->share_milli > 1000)
            broken("a share outside [0, 1000]", i);
        if (r->state < 0 || r->state >= SL_JOB_STATE_COUNT)
            broken("an unknown state", i);
        if (r->id >= t->n_strings || r->spec >= t->n_strings || r->tenant >= t->n_strings)
            broken("a string outside the pool", i);
        if (r->id == 0)
            broken("an empty id", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("input.jobs");
    fuzz_write_file(path, data, size);
    for (int lenient = 0; lenient < 2; lenient++) {
        struct sl_job_trace t;
        struct sl_diag d;
        sl_diag_clear(&d);
        int rc = sl_job_trace_read(path, SL_JOBS_AUTO, lenient, &t, &d);
        if (rc == SL_OK) {
            check(&t);
            sl_job_trace_release(&t);
        } else if (rc != SL_EINVAL && rc != SL_ENOMEM) {
            fprintf(stderr, "fuzz_jobs: unexpected code %d\n", rc);
            abort();
        }
    }
    return 0;
}
