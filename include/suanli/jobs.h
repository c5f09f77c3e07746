/*
 * Training job traces: what a GPU cluster's scheduler was asked to run.
 *
 * Readers (src/trace/jobs.c) turn three sources into one row per job:
 *   - the Alibaba GPU 2023 pod list (openb_pod_list_default.csv: name,
 *     num_gpu, gpu_milli, gpu_spec, qos, pod_phase, creation_time,
 *     scheduled_time, deletion_time, times in seconds);
 *   - Slurm `sacct --parsable2` output ('|'-separated, a header of field
 *     names: JobID, Submit, Start, End, Elapsed, State and the GPUs from
 *     AllocTRES/ReqTRES `gres/gpu=N` or NNodes x AllocGRES/ReqGRES `gpu:N`);
 *   - a plain CSV `job_id,submit_s,cards,duration_s[,model,priority]`.
 * Times are microseconds from the earliest submit of the trace; rows are
 * sorted by submit time (stably).  A malformed row is an SL_EINVAL naming
 * file:line:column, or with `lenient` is skipped and counted.  The field
 * mapping of each format is described at the top of src/trace/jobs.c and
 * in docs/model.md ("Training job traces").
 */
#ifndef SUANLI_JOBS_H
#define SUANLI_JOBS_H

#include <stddef.h>
#include <stdint.h>

struct sl_diag;

enum sl_job_format {
    SL_JOBS_AUTO = 0, /* from the header line */
    SL_JOBS_ALIBABA,
    SL_JOBS_SACCT,
    SL_JOBS_CSV,
    SL_JOBS_FORMAT_COUNT
};
/* "auto", "alibaba", "sacct", "csv", NULL. */
extern const char *const sl_job_format_names[];

/* What became of a job, as far as the trace knows.  Slurm's NODE_FAIL,
 * OUT_OF_MEMORY and BOOT_FAIL are FAILED, DEADLINE is TIMEOUT, REQUEUED,
 * SUSPENDED and RESIZING are RUNNING; a plain CSV says nothing (UNKNOWN). */
enum sl_job_state {
    SL_JOB_UNKNOWN = 0,
    SL_JOB_PENDING,
    SL_JOB_RUNNING,
    SL_JOB_COMPLETED,
    SL_JOB_FAILED,
    SL_JOB_CANCELLED,
    SL_JOB_TIMEOUT,
    SL_JOB_PREEMPTED,
    SL_JOB_STATE_COUNT
};
/* "unknown", "pending", ..., NULL: the names of the states. */
extern const char *const sl_job_state_names[];

/* One job.  Strings (id, spec, tenant) are offsets into the trace's string
 * pool (sl_job_trace_str); offset 0 is the empty string.
 * Invariants: submit_us >= 0; start_us is -1 (unknown) or >= submit_us;
 * end_us is -1 or >= submit_us, and >= start_us when both are known;
 * duration_us is -1 (unknown) or >= 0; cards >= 0; share_milli in
 * [0, 1000]. */
struct sl_job_trace_row {
    int64_t submit_us;   /* first member: the reader sorts by it */
    int64_t start_us;    /* -1 unknown (never started, or not recorded) */
    int64_t end_us;      /* -1 unknown (still running, or not recorded) */
    int64_t duration_us; /* run time: end - start, Slurm's Elapsed, or the CSV's; -1 unknown */
    int32_t cards;       /* whole cards (accelerators) the job holds */
    /* Of each card, in thousandths: 1000 for whole cards; the Alibaba
     * gpu_milli of a GPU-sharing pod (cards 1, share 460: 0.46 of one
     * card); 0 with cards 0 (a CPU-only pod). */
    int32_t share_milli;
    int32_t priority; /* CSV priority or Slurm Priority; 0 when absent */
    int32_t state;    /* enum sl_job_state */
    uint32_t id;      /* job id or pod name */
    uint32_t spec;    /* GPU type constraint (gpu_spec), model (CSV), partition (Slurm) */
    uint32_t tenant;  /* qos (Alibaba), QOS or Account (Slurm), empty (CSV) */
    int line;         /* line of the file the row came from */
};

/* A loaded job trace, owned by whoever loaded it (sl_job_trace_release).
 * Invariants: n >= 1 rows sorted by submit_us (stable), the first at 0;
 * strings[0] == '\0' and every string offset of a row points at a
 * NUL-terminated string inside strings[0, n_strings). */
struct sl_job_trace {
    char *path;
    int format; /* enum sl_job_format, resolved (never AUTO) */
    struct sl_job_trace_row *rows;
    size_t n;
    char *strings;
    size_t n_strings;
    int64_t epoch_s; /* the earliest submit in the file's own clock (s; Slurm: UTC epoch) */
    size_t skipped;  /* malformed rows skipped (lenient) */
    size_t steps;    /* Slurm job steps (JobID with '.') ignored */
};

/* Reads the job trace at path (a regular file) in format (AUTO: from the
 * header: `JobID|...` sacct, `name,...,num_gpu,...` Alibaba, `job_id,...`
 * CSV).  lenient skips malformed rows and counts them in skipped; header
 * faults, an empty trace and limits are errors either way.  Returns SL_OK,
 * SL_ENOENT, SL_EINVAL (file:line:column and what was expected in d) or
 * SL_ENOMEM; on failure out holds nothing.  Files above
 * SL_LIM_TRACE_BYTES, traces above SL_LIM_JOB_ROWS jobs, jobs above
 * SL_LIM_JOB_CARDS cards or SL_LIM_JOB_DURATION are refused.  An Alibaba
 * pod list without creation_time (the sampled openb_pod_list_multigpu50
 * and siblings carry sizes only) is refused: a job trace needs submit
 * times.  The caller owns out (sl_job_trace_release).  O(rows log rows). */
int sl_job_trace_read(const char *path, int format, int lenient, struct sl_job_trace *out,
                      struct sl_diag *d);
void sl_job_trace_release(struct sl_job_trace *t);

/* The string at offset off of t's pool (borrowed; "" when out of range). */
static inline const char *sl_job_trace_str(const struct sl_job_trace *t, uint32_t off)
{
    return off < t->n_strings ? t->strings + off : "";
}

/* The parameters of an LLM center's job mix (src/trace/jobmix.c; their
 * defaults and sources in docs/model.md, "The LLM job mix"): Poisson
 * arrivals of small (fine-tuning and evaluation) jobs at jobs_per_day; a
 * size of 1 card with probability single_card, else 2^k cards (k >= 1,
 * 2^k <= max_cards) with probability proportional to 2^(-size_decay k); a
 * lognormal run time ln T ~ N(duration_mu + duration_per_log2 log2 cards,
 * duration_sigma^2) (T in seconds) clipped to [1 s, duration_max_us]; and
 * pretrain_jobs pre-training jobs of pretrain_cards cards and a budget of
 * pretrain_tokens tokens each, submitted at 0.  Invariants (checked by
 * sl_jobmix_generate): jobs_per_day >= 0; size_decay finite; single_card
 * in [0, 1]; max_cards in [1, SL_LIMIT(SL_LIM_JOB_CARDS)]; duration_sigma
 * >= 0; duration_max_us >= 1 s; pretrain_jobs >= 0 and, when > 0,
 * pretrain_cards >= 1 and pretrain_tokens > 0. */
struct sl_jobmix_params {
    double jobs_per_day;
    double size_decay;
    double single_card;
    int64_t max_cards;
    double duration_mu;
    double duration_per_log2;
    double duration_sigma;
    int64_t duration_max_us;
    int64_t pretrain_jobs;
    int64_t pretrain_cards;
    double pretrain_tokens;
};

/* One generated job: a pre-training job has tokens > 0 and duration_us 0,
 * a small job duration_us >= 1 s and tokens 0. */
struct sl_jobmix_row {
    int64_t submit_us;
    int64_t cards;
    int64_t duration_us;
    double tokens;
};

/* Generates the jobs submitted in [0, span_us): the pre-training jobs first
 * (at 0), then the small jobs in submit order.  The streams are keyed by
 * (seed, "training.jobmix.<what>", 0) for arrivals, sizes and run times
 * apart, so changing the arrival rate keeps the k-th job's size and run
 * time (common random numbers).  Returns SL_OK, SL_EINVAL (a parameter out
 * of range, or more than SL_LIMIT(SL_LIM_JOB_ROWS) jobs expected: d says
 * which) or SL_ENOMEM; on success *out (NULL when *n is 0) is the caller's
 * to sl_free.  Deterministic for a seed.  O(jobs). */
int sl_jobmix_generate(const struct sl_jobmix_params *p, uint64_t seed, int64_t span_us,
                       struct sl_jobmix_row **out, size_t *n, struct sl_diag *d);

/* The probability of size 2^k cards under p (k = 0: one card); 0 beyond
 * max_cards.  For tests and docs. */
double sl_jobmix_size_prob(const struct sl_jobmix_params *p, int k);

#endif
