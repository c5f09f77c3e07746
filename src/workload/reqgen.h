/*
 * The request stream of one inference service: when requests arrive and
 * how many prompt and output tokens each has (`requests:` of a service,
 * struct sl_request_cfg in suanli/scenario.h).
 *
 * Three sources, chosen by the service's resolved trace:
 *   - Trace replay (a request trace: Azure, Mooncake).  Row i arrives at
 *         t_i = (k P + tau_i) / rate_scale
 *     where tau_i is the row's time from the trace's first request, k the
 *     repetition (0 unless `tile`) and P = span + span / (n - 1) the span
 *     plus one mean gap (1 s for a one-row trace), so a tiled trace repeats
 *     end to end with its own mean spacing between the copies.  Token
 *     lengths are the row's own, or drawn from the laws when given; hash
 *     blocks (Mooncake) are the row's, with `tile` = k so that a consumer
 *     can keep the copies' prefixes apart, and none when the prompt is
 *     drawn.  Without `tile` the stream ends after the last row.
 *   - Generated arrivals (no trace): a Poisson process, or a renewal
 *     process with gamma gaps of coefficient of variation cv (shape 1/cv^2),
 *     at the rate
 *         lambda(t) = rate * (1 + diurnal * cos(2 pi (tod(t) - peak_time) / 24 h)),
 *     tod(t) the local time of day.  The modulation is exact by time
 *     rescaling: unit-mean gaps are drawn in the operational time
 *         Lambda(t) = integral of lambda = rate * (t + A (sin(w (t + c)) - sin(w c))),
 *     w = 2 pi / 24 h, A = diurnal / w, c = tod(0) - peak_time, and each
 *     arrival is the t solving Lambda(t) = L by Newton's method inside the
 *     bracket [dL / (rate (1 + diurnal)), dL / (rate (1 - diurnal))] after
 *     the previous arrival (converged to 1e-7 s; a pure function of the
 *     draws, so deterministic).  With Poisson gaps this is the
 *     inhomogeneous Poisson process; with gamma gaps a modulated renewal
 *     process whose local CV is cv.  The first gap is an ordinary gap from
 *     t = 0.  The stream is endless; the caller stops at the run's end.
 *     With a request trace and a `rate`, arrivals are generated so and the
 *     lengths are the trace's (uniform draws of its rows, one row for both,
 *     unless a law is given): real lengths at a chosen load.
 *   - Rate traces (ServeGen: per-client windows).  Each client is a renewal
 *     process in its own operational time: in window j its rate is
 *     rate_j * rate_scale and its gaps follow the window's law (gamma or
 *     Weibull with the file's shape, or exponential), rescaled to the mean
 *     1 / rate_j so that the window's rate is kept and its shape (the CV)
 *     is the file's: the ServeGen fits of the scale describe gaps within
 *     bursts and do not match the window's rate, which the rate column
 *     does.  ServeGen's own generator (servegen/construct.py) also keeps
 *     the shape and rescales: it draws rate x window gaps of the fitted law
 *     and stretches them to fill the window exactly; here the count per
 *     window is random (a renewal process), with the same mean.  The cv
 *     column, an empirical CV, is not used: the shape sets the CV.  A gap
 *     that runs past a window's end continues in the next window at that
 *     window's rate; windows of rate 0 pass without arrivals.  Trace time
 *     is aligned to local time: run time 0 is trace time tod(0) (taking
 *     ServeGen's time 0 as midnight, which its files do not state), and
 *     the trace repeats every P = max over clients of (last window start +
 *     window length), with or without `tile`: a rate trace describes a
 *     recurring load, and the run's end bounds it.  Clients are merged in time order by a binary
 * heap keyed on (time, client index).  rate_scale multiplies the rates and keeps the windows where
 * they are (a day stays a day).  Token lengths come from the laws, which such a service must give.
 *
 * Token laws (struct sl_tokdist): a fixed count; a lognormal draw rounded
 * to the nearest integer and clipped to [min, max]; or `trace`, the length
 * of a uniformly drawn row of the request trace (its empirical law); when
 * both laws are `trace` one row gives both, so their correlation is kept.
 *
 * Randomness: streams keyed by (seed, FNV-1a of "inference.<service>.
 * arrivals", client index), "...prompt_tokens" and "...output_tokens", so
 * changing a token law never moves an arrival and vice versa.  Every
 * request costs O(1) (O(log clients) for rate traces, plus the windows a
 * gap crosses); nothing is allocated after init.
 */
#ifndef SUANLI_WORKLOAD_REQGEN_H
#define SUANLI_WORKLOAD_REQGEN_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/rng.h"
#include "suanli/scenario.h"
#include "suanli/trace.h"

/* One request.  hash_first/hash_n index the generator's trace's hash pool
 * (sl_reqgen.trace->hash); 0/0 when there are none. */
struct sl_request {
    int64_t t_us; /* arrival, from the run's start */
    int32_t prompt;
    int32_t output;
    uint32_t hash_first;
    uint32_t hash_n;
    uint32_t tile;   /* repetition of a tiled trace, else 0 */
    uint32_t client; /* client of a rate trace, else 0 */
};

enum sl_reqgen_mode { SL_REQGEN_REPLAY = 0, SL_REQGEN_GENERATED, SL_REQGEN_RATES };

/* One client of a rate trace.  Invariants: windows [first, first + n) of
 * the trace; j < n the window holding tau_s (or the window the next gap
 * starts in); off_s the start of the current repetition. */
struct sl__reqgen_client {
    struct sl_rng rng;
    size_t first, n, j;
    double tau_s; /* trace time of the last arrival (repetitions included) */
    double off_s;
    double lam_period; /* expected arrivals in one repetition of the trace */
    int64_t next_us;   /* run time of the pending arrival */
    uint32_t tile;
};

/* The generator, embedded by its owner.  It borrows cfg and the trace,
 * which must outlive it; it owns clients and heap (rate traces). */
struct sl_reqgen {
    int mode; /* enum sl_reqgen_mode */
    const struct sl_request_cfg *cfg;
    const struct sl_trace *trace;
    struct sl_tokdist prompt, output;
    int law_prompt, law_output; /* draw lengths (else the rows') */
    struct sl_rng arrivals, rng_prompt, rng_output;
    double scale; /* rate_scale */
    int ended;
    /* replay */
    size_t next;
    uint32_t tile;
    double period_us;
    /* generated */
    double rate, shape, diurnal, amp_s, omega, c_s, sin_c;
    double L, t_s;
    /* rate traces */
    struct sl__reqgen_client *clients;
    size_t n_clients;
    uint32_t *heap;
    size_t heap_n;
    double period_s, tod0_s, window_s;
};

/* Sets up the stream of one service: cfg its `requests:`, res its resolved
 * trace and laws (res->trace NULL: generated; laws from res->prompt/output
 * when has_prompt/has_output, else parsed from cfg's texts when set),
 * service its name (the random streams' key; NULL: res->cfg->name), seed
 * the run's seed and start_tod_us the local time of day at run time 0.
 * Returns SL_OK or SL_EINVAL (a mode lacking what it needs, such as a law
 * for a source without rows; message in d) or SL_ENOMEM.  Borrows cfg and
 * res->trace. */
int sl_reqgen_init(struct sl_reqgen *g, const struct sl_request_cfg *cfg,
                   const struct sl_service_res *res, const char *service, uint64_t seed,
                   int64_t start_tod_us, struct sl_diag *d);
void sl_reqgen_release(struct sl_reqgen *g);

/* The next request, in nondecreasing t_us: returns 1 with *out filled, or 0
 * when the source has ended (an untiled trace after its last row). */
int sl_reqgen_next(struct sl_reqgen *g, struct sl_request *out);

/* The long-run mean arrival rate (requests/s) of the stream: a replay's n
 * rows per repetition P / rate_scale (its own rate over the trace when not
 * tiled), `rate` for a generated source (the cosine averages out), and the
 * sum over clients of the expected arrivals per repetition of a rate trace
 * over its period.  For sizing and checks; O(1). */
double sl_reqgen_mean_rate(const struct sl_reqgen *g);

#endif
