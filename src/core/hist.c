/*
 * Log-bucket histograms (see suanli/hist.h).  Bucket k holds values in
 * [LO * G^k, LO * G^(k+1)) with G = 1.01 and LO = 1e-6; the index is
 * floor(ln(x / LO) / ln G), clamped to the table.
 */
#include "suanli/hist.h"

#include <math.h>
#include <string.h>

#define LO   1e-6
#define GROW 1.01

static double inv_log_grow(void)
{
    static const double v = 100.49917080713044; /* 1 / ln(1.01) */
    return v;
}

void sl_hist_clear(struct sl_hist *h)
{
    memset(h, 0, sizeof *h);
}

static int bucket_of(double x)
{
    double k = floor(log(x / LO) * inv_log_grow());
    if (!(k >= 0))
        return 0;
    if (k >= SL_HIST_BUCKETS)
        return SL_HIST_BUCKETS - 1;
    return (int)k;
}

void sl_hist_add(struct sl_hist *h, double x, double w)
{
    if (!(w > 0))
        return;
    h->total += w;
    if (!(x > 0)) {
        h->zero += w;
        return;
    }
    h->sum += x * w;
    h->bucket[bucket_of(x)] += w;
}

double sl_hist_mean(const struct sl_hist *h)
{
    return h->total > 0 ? h->sum / h->total : 0;
}

double sl_hist_quantile(const struct sl_hist *h, double q)
{
    if (!(h->total > 0))
        return 0;
    double target = q * h->total;
    double acc = h->zero;
    if (acc >= target && h->zero > 0)
        return 0;
    for (int k = 0; k < SL_HIST_BUCKETS; k++) {
        acc += h->bucket[k];
        if (acc >= target && h->bucket[k] > 0)
            return LO * pow(GROW, (double)k + 0.5);
    }
    for (int k = SL_HIST_BUCKETS - 1; k >= 0; k--) /* rounding: the last used bucket */
        if (h->bucket[k] > 0)
            return LO * pow(GROW, (double)k + 0.5);
    return 0;
}

double sl_hist_count_le(const struct sl_hist *h, double x)
{
    double acc = h->zero;
    if (!(x > 0))
        return acc;
    int kx = bucket_of(x);
    for (int k = 0; k <= kx; k++)
        acc += h->bucket[k];
    return acc;
}

void sl_hist_merge(struct sl_hist *dst, const struct sl_hist *src)
{
    dst->total += src->total;
    dst->zero += src->zero;
    dst->sum += src->sum;
    for (int k = 0; k < SL_HIST_BUCKETS; k++)
        dst->bucket[k] += src->bucket[k];
}
