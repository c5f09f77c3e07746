/*
 * Log-bucket histograms for latency quantiles (TTFT, TPOT, waits).
 *
 * Positive values fall into buckets of constant relative width (1 %, so a
 * quantile is known to within 0.5 % of its value) from 1 us to about 32
 * years; zero and negative values go to an underflow count, values above
 * the range to the last bucket.  Counts are weights (double), so a fluid
 * model can add a share of a request.  The exact mean is kept beside.
 * Memory: SL_HIST_BUCKETS doubles; adding is O(1) (one log), a quantile
 * O(buckets).  Results depend only on the values added, not their order
 * (up to the rounding of the running sum).
 */
#ifndef SUANLI_HIST_H
#define SUANLI_HIST_H

#include <stdint.h>

#define SL_HIST_BUCKETS 3000

/* Invariants: total = zero + sum of bucket; sum is the weighted sum of
 * every value added (zeros included). */
struct sl_hist {
    double total;
    double zero;
    double sum;
    double bucket[SL_HIST_BUCKETS];
};

void sl_hist_clear(struct sl_hist *h);
/* Adds value x (seconds, or any positive unit >= 1e-6) with weight w >= 0. */
void sl_hist_add(struct sl_hist *h, double x, double w);
/* The q-quantile (0 <= q <= 1) of what was added: the geometric middle of
 * its bucket; 0 when empty. */
double sl_hist_quantile(const struct sl_hist *h, double q);
/* The mean of what was added; 0 when empty. */
double sl_hist_mean(const struct sl_hist *h);
/* Weight of values <= x (x inside a bucket counts the bucket whole). */
double sl_hist_count_le(const struct sl_hist *h, double x);
/* Adds every count of src into dst. */
void sl_hist_merge(struct sl_hist *dst, const struct sl_hist *src);

#endif
