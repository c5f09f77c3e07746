/*
 * The job mix of an LLM center (include/suanli/jobs.h, sl_jobmix_generate).
 *
 * Two classes of jobs, after the Acme summary of Shanghai AI Lab's LLM
 * clusters (docs/model.md, "The LLM job mix"):
 *   - a few pre-training jobs, pretrain_jobs of pretrain_cards cards each,
 *     submitted at the start with a token budget (their run time is what
 *     the training performance model makes of the budget);
 *   - many small jobs (evaluation, debugging, fine-tuning) arriving as a
 *     Poisson process at jobs_per_day.  Size: P(1 card) = single_card, and
 *     P(2^k cards) = (1 - single_card) 2^(-a k) / sum_j 2^(-a j) over
 *     k = 1 .. K, 2^K the largest power of two <= max_cards.  Run time:
 *     ln T = mu + b k + sigma Z (T in seconds, Z standard normal), clipped
 *     to [1 s, duration_max]: a size-dependent median, since in Acme large
 *     jobs run longer (GPU-time per job is 4-8x the mean size times the
 *     mean run time).
 * Three streams, one per stochastic source (arrivals, sizes, run times),
 * keyed by (seed, "training.jobmix.<source>", 0): the k-th job's size and
 * run time do not depend on the arrival rate.  Sizes are drawn by
 * inversion over at most 21 classes, without allocation.
 */
#include "suanli/jobs.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/rng.h"

#include <math.h>
#include <stddef.h>

#define DAY_US   86400e6
#define MAX_LOG2 20 /* 2^20 cards: SL_LIM_JOB_CARDS */

/* The largest k with 2^k <= max_cards (max_cards >= 1). */
static int top_class(int64_t max_cards)
{
    int k = 0;
    while (k < MAX_LOG2 && ((int64_t)1 << (k + 1)) <= max_cards)
        k++;
    return k;
}

double sl_jobmix_size_prob(const struct sl_jobmix_params *p, int k)
{
    int kmax = top_class(p->max_cards);
    if (k < 0 || k > kmax)
        return 0;
    if (kmax == 0)
        return 1;
    if (k == 0)
        return p->single_card;
    double sum = 0;
    for (int j = 1; j <= kmax; j++)
        sum += exp2(-p->size_decay * j);
    return (1 - p->single_card) * exp2(-p->size_decay * k) / sum;
}

static int check(const struct sl_jobmix_params *p, int64_t span_us, struct sl_diag *d)
{
    const char *bad = NULL;
    if (!(p->jobs_per_day >= 0) || !isfinite(p->jobs_per_day))
        bad = "jobs_per_day must be a finite number >= 0";
    else if (!isfinite(p->size_decay))
        bad = "size_decay must be finite";
    else if (!(p->single_card >= 0 && p->single_card <= 1))
        bad = "single_card must be in [0, 1]";
    else if (p->max_cards < 1 || (double)p->max_cards > SL_LIMIT(SL_LIM_JOB_CARDS))
        bad = "max_cards must be at least 1 and at most the cards-per-job limit";
    else if (!isfinite(p->duration_mu) || !isfinite(p->duration_per_log2) ||
             !(p->duration_sigma >= 0) || !isfinite(p->duration_sigma))
        bad = "the run-time law needs a finite median, growth and sigma >= 0";
    else if (p->duration_max_us < 1000000)
        bad = "the longest run time must be at least 1 s";
    else if (p->pretrain_jobs < 0)
        bad = "pretrain_jobs must be >= 0";
    else if (p->pretrain_jobs > 0 &&
             (p->pretrain_cards < 1 || !(p->pretrain_tokens > 0) || !isfinite(p->pretrain_tokens)))
        bad = "pre-training jobs need pretrain_cards >= 1 and pretrain_tokens > 0";
    else if (span_us <= 0)
        bad = "the span to generate must be positive";
    if (bad)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "job mix: %s", bad);
    double expect = p->jobs_per_day * (double)span_us / DAY_US + (double)p->pretrain_jobs;
    /* Six standard deviations of the Poisson count above its mean. */
    if (expect + 6 * sqrt(expect) > SL_LIMIT(SL_LIM_JOB_ROWS))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "job mix: about %.3g jobs expected, more than the limit of %.3g "
                           "(`job trace rows`): lower jobs_per_day or shorten run.duration",
                           expect, SL_LIMIT(SL_LIM_JOB_ROWS));
    return SL_OK;
}

static int grow(struct sl_jobmix_row **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return SL_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    struct sl_jobmix_row *nv = sl_reallocarray(*v, c, sizeof *nv);
    if (!nv)
        return SL_ENOMEM;
    *v = nv;
    *cap = c;
    return SL_OK;
}

int sl_jobmix_generate(const struct sl_jobmix_params *p, uint64_t seed, int64_t span_us,
                       struct sl_jobmix_row **out, size_t *n, struct sl_diag *d)
{
    *out = NULL;
    *n = 0;
    int rc = check(p, span_us, d);
    if (rc != SL_OK)
        return rc;
    int kmax = top_class(p->max_cards);
    double cum[MAX_LOG2 + 1];
    double acc = 0;
    for (int k = 0; k <= kmax; k++)
        cum[k] = acc += sl_jobmix_size_prob(p, k);

    struct sl_rng arr, size, dur;
    sl_rng_seed(&arr, seed, sl_rng_source_id("training.jobmix.arrivals"), 0);
    sl_rng_seed(&size, seed, sl_rng_source_id("training.jobmix.sizes"), 0);
    sl_rng_seed(&dur, seed, sl_rng_source_id("training.jobmix.durations"), 0);

    struct sl_jobmix_row *v = NULL;
    size_t cap = 0, len = 0;
    double expect = p->jobs_per_day * (double)span_us / DAY_US + (double)p->pretrain_jobs;
    if (grow(&v, &cap, (size_t)(expect + 4 * sqrt(expect)) + 1) != SL_OK)
        goto nomem;
    for (int64_t i = 0; i < p->pretrain_jobs; i++)
        v[len++] = (struct sl_jobmix_row){0, p->pretrain_cards, 0, p->pretrain_tokens};

    double mean_gap_us = p->jobs_per_day > 0 ? DAY_US / p->jobs_per_day : 0;
    double t = 0;
    double max_s = (double)p->duration_max_us / 1e6;
    while (mean_gap_us > 0) {
        t += sl_rng_exponential(&arr, mean_gap_us);
        if (!(t < (double)span_us))
            break;
        if ((double)len + 1 > SL_LIMIT(SL_LIM_JOB_ROWS)) {
            sl_free(v);
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "job mix: more than the limit of %.3g jobs (`job trace rows`): "
                               "lower jobs_per_day or shorten run.duration",
                               SL_LIMIT(SL_LIM_JOB_ROWS));
        }
        if (grow(&v, &cap, len + 1) != SL_OK)
            goto nomem;
        double u = sl_rng_uniform(&size);
        int k = 0;
        while (k < kmax && u >= cum[k])
            k++;
        double s =
            sl_rng_lognormal(&dur, p->duration_mu + p->duration_per_log2 * k, p->duration_sigma);
        s = s < 1 ? 1 : s > max_s ? max_s : s;
        int64_t dus = (int64_t)llround(s * 1e6);
        v[len++] = (struct sl_jobmix_row){(int64_t)t, (int64_t)1 << k, dus, 0};
    }
    if (len == 0) {
        sl_free(v);
        return SL_OK;
    }
    *out = v;
    *n = len;
    return SL_OK;
nomem:
    sl_free(v);
    return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
}
