/*
 * Flow fidelity: a fluid model of one service's identical replicas, one
 * engine event per `flow_step` (the model is described in inference.h and
 * docs/model.md, "Serving at flow fidelity").
 *
 * Arrivals are expectations, not draws: the step's expected count and mean
 * lengths come from the rate function of a generated source (closed form
 * with the diurnal cosine), from prefix sums over a request trace's rows
 * (tiles and rate_scale as the request stream has them), or from the
 * summed client rates of a rate trace.  So a week of a whole center costs
 * one event per service and step, whatever the request rate.
 *
 * Per step, with R replicas, demand D = backlog + arrivals (mean prompt P,
 * output O), prefill time per request tau = T_prefill(P) and decode step
 * T_d(n) at n sequences of mean context P + O/2: a replica that serves x
 * requests/s spends x tau of its time in prefill and decodes n sequences
 * with (Little) n (1 - x tau) = x (O - 1) T_d(n), so
 *     x(n) = n / ((O - 1) T_d(n) + n tau),
 * increasing in n up to n_max = min(max_batch, KV tokens / (P + O/2)).
 * The step serves x = min(D / (R dt), x(n_max)) per replica; the rest stays
 * in the backlog (beyond max_queue per replica it is rejected).  Latencies
 * of the step's completions: TPOT = T_d(n) / (1 - x tau) (decoding pauses
 * for prefills); TTFT = W + rho ((1 - x tau) T_d / 2 + x tau tau / 2) + tau,
 * the backlog's wait W (first come first served: the time since the
 * arrival of the step's middle request, from the history of accepted
 * arrivals), the residual of the iteration in progress when busy (rho),
 * and the request's own prefill.
 */
#include "workload/inference.h"

#include "suanli/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SL_PI 3.14159265358979323846

/* Expected arrivals of the step: count and the sums of their lengths. */
struct flow_in {
    double n, prompt, output;
};

/* Prompt lengths are represented by NQ equal-probability points of their
 * law (the midpoints of 16 quantile bins), as ratios to the mean, so the
 * TTFT of a step is a distribution (prefill time grows with the prompt),
 * not one value. */
#define NQ 16
static const double z_mid[NQ] = {
    -1.8627318674216511,  -1.3180108973035367,  -1.0099901692495821,  -0.7764217611479276,
    -0.57913216225555597, -0.40225006532172525, -0.23720210932878771, -0.078412412733112197,
    0.078412412733112197, 0.23720210932878771,  0.40225006532172525,  0.57913216225555597,
    0.7764217611479276,   1.0099901692495821,   1.3180108973035367,   1.8627318674216511};

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Per-service arrival model (built at start). */
struct flow_src {
    double prompt_ratio[NQ];         /* quantile points / mean */
    int mode;                        /* 0 generated, 1 replay, 2 rates */
    double mean_prompt, mean_output; /* from the laws, when they are used */
    int law_prompt, law_output;
    /* generated */
    double rate, diurnal, omega, c_s;
    /* replay: prefix sums over rows (n + 1) */
    double *cum_prompt, *cum_output;
    const struct sl_trace *tr;
    double period_us, scale;
    int tile;
    /* rates: total rate per window of one repetition */
    double *win_rate;
    size_t nwin;
    double window_us, tod0_us;
};

/* Lambda(t) of a generated source, requests from 0 to t (seconds). */
static double gen_integral(const struct flow_src *f, double t)
{
    double L = t;
    if (f->diurnal > 0)
        L += f->diurnal / f->omega * (sin(f->omega * (t + f->c_s)) - sin(f->omega * f->c_s));
    return f->rate * L;
}

/* First row index with tau >= u (binary search). */
static size_t lower_row(const struct sl_trace *tr, double u)
{
    size_t lo = 0, hi = tr->n_req;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)tr->req[mid].t_us < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void replay_add(const struct flow_src *f, double u0, double u1, struct flow_in *in)
{
    size_t i0 = lower_row(f->tr, u0), i1 = lower_row(f->tr, u1);
    in->n += (double)(i1 - i0);
    in->prompt += f->cum_prompt[i1] - f->cum_prompt[i0];
    in->output += f->cum_output[i1] - f->cum_output[i0];
}

static void arrivals(const struct flow_src *f, int64_t t0_us, int64_t t1_us, struct flow_in *in)
{
    memset(in, 0, sizeof *in);
    if (f->mode == 0) {
        in->n = gen_integral(f, (double)t1_us * 1e-6) - gen_integral(f, (double)t0_us * 1e-6);
    } else if (f->mode == 1) {
        /* trace time u = t * scale; repetition k covers [k P, (k + 1) P) */
        double u0 = (double)t0_us * f->scale, u1 = (double)t1_us * f->scale;
        double k0 = floor(u0 / f->period_us), k1 = floor(u1 / f->period_us);
        if (!f->tile)
            k1 = fmin(k1, 0);
        for (double k = f->tile ? k0 : 0; k <= k1; k++) {
            double a = fmax(u0 - k * f->period_us, 0),
                   b = fmin(u1 - k * f->period_us, f->period_us);
            if (b > a)
                replay_add(f, a, b, in);
        }
    } else {
        /* piecewise-constant total rate per window, repeating */
        double t = (double)t0_us, end = (double)t1_us;
        double period = f->window_us * (double)f->nwin;
        while (t < end) {
            double u = fmod(t + f->tod0_us, period);
            size_t w = (size_t)(u / f->window_us);
            if (w >= f->nwin)
                w = f->nwin - 1;
            double wend = t + ((double)(w + 1) * f->window_us - u);
            double b = fmin(wend, end);
            in->n += f->win_rate[w] * f->scale * (b - t) * 1e-6;
            t = b > t ? b : end;
        }
    }
    if (f->law_prompt || f->mode != 1)
        in->prompt = in->n * f->mean_prompt;
    if (f->law_output || f->mode != 1)
        in->output = in->n * f->mean_output;
}

/* The prompt's quantile points (ratios to the mean). */
static int prompt_points(struct flow_src *f, const struct sl_service_res *res, struct sl_diag *d)
{
    const struct sl_trace *tr = res->trace;
    for (int k = 0; k < NQ; k++)
        f->prompt_ratio[k] = 1;
    if (res->has_prompt && res->prompt.kind == SL_TOK_LOGNORMAL) {
        const struct sl_tokdist *t = &res->prompt;
        double mean = sl_tokdist_mean(t, tr, 0);
        for (int k = 0; k < NQ; k++) {
            double x = exp(t->mu + t->sigma * z_mid[k]);
            x = fmax(x, t->min > 0 ? t->min : 1);
            if (t->max > 0)
                x = fmin(x, t->max);
            f->prompt_ratio[k] = x / mean;
        }
        return SL_OK;
    }
    int rows = tr && tr->n_req > 0 && (!res->has_prompt || res->prompt.kind == SL_TOK_TRACE);
    if (!rows)
        return SL_OK;
    int32_t *v = sl_reallocarray(NULL, tr->n_req, sizeof *v);
    if (!v)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    double sum = 0;
    for (size_t i = 0; i < tr->n_req; i++) {
        v[i] = tr->req[i].prompt;
        sum += v[i];
    }
    qsort(v, tr->n_req, sizeof *v, cmp_i32);
    double mean = sum / (double)tr->n_req;
    for (int k = 0; k < NQ; k++) {
        size_t i = (size_t)(((double)k + 0.5) / NQ * (double)tr->n_req);
        f->prompt_ratio[k] = (double)v[i < tr->n_req ? i : tr->n_req - 1] / mean;
    }
    sl_free(v);
    return SL_OK;
}

static int src_init(struct flow_src *f, const struct sl_inf_service *s, int64_t tod0_us,
                    struct sl_diag *d)
{
    const struct sl_service_res *res = s->res;
    const struct sl_request_cfg *rq = &s->cfg->requests;
    const struct sl_trace *tr = res->trace;
    memset(f, 0, sizeof *f);
    f->law_prompt = res->has_prompt;
    f->law_output = res->has_output;
    f->mean_prompt = res->has_prompt ? sl_tokdist_mean(&res->prompt, tr, 0) : 0;
    f->mean_output = res->has_output ? sl_tokdist_mean(&res->output, tr, 1) : 0;
    f->scale = rq->rate_scale;
    f->tile = rq->tile;
    int rc = prompt_points(f, res, d);
    if (rc != SL_OK)
        return rc;
    if (tr && tr->n_req > 0 && rq->rate > 0) {
        /* generated arrivals with the trace's lengths (the stream draws
         * rows; their means are the rows' means) */
        struct sl_tokdist rows = {SL_TOK_TRACE, 0, 0, 0, 0, 0};
        if (!f->law_prompt)
            f->mean_prompt = sl_tokdist_mean(&rows, tr, 0);
        if (!f->law_output)
            f->mean_output = sl_tokdist_mean(&rows, tr, 1);
        f->law_prompt = f->law_output = 1;
        tr = NULL;
    }
    if (!tr) {
        f->mode = 0;
        f->rate = rq->rate;
        f->diurnal = rq->diurnal;
        f->omega = 2 * SL_PI / 86400.0;
        f->c_s = (double)(tod0_us - rq->peak_time_us) * 1e-6;
        return SL_OK;
    }
    if (tr->n_req > 0) {
        f->mode = 1;
        f->tr = tr;
        size_t n = tr->n_req;
        f->cum_prompt = sl_calloc(n + 1, sizeof *f->cum_prompt);
        f->cum_output = sl_calloc(n + 1, sizeof *f->cum_output);
        if (!f->cum_prompt || !f->cum_output)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        for (size_t i = 0; i < n; i++) {
            f->cum_prompt[i + 1] = f->cum_prompt[i] + tr->req[i].prompt;
            f->cum_output[i + 1] = f->cum_output[i] + tr->req[i].output;
        }
        double span = (double)tr->span_us;
        f->period_us = n > 1 ? span + span / (double)(n - 1) : 1e6;
        if (!(f->period_us > 0))
            f->period_us = 1e6;
        return SL_OK;
    }
    /* A rate trace: the clients' rates summed per window of one repetition. */
    f->mode = 2;
    f->window_us = tr->window_us > 0 ? (double)tr->window_us : 600e6;
    f->tod0_us = (double)tod0_us;
    size_t nwin = 1;
    for (size_t c = 0; c < tr->n_clients; c++)
        for (size_t j = tr->window_first[c]; j < tr->window_first[c + 1]; j++) {
            size_t w = (size_t)((double)tr->windows[j].t_us / f->window_us) + 1;
            if (w > nwin)
                nwin = w;
        }
    f->nwin = nwin;
    if (!(f->win_rate = sl_calloc(nwin, sizeof *f->win_rate)))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t c = 0; c < tr->n_clients; c++)
        for (size_t j = tr->window_first[c]; j < tr->window_first[c + 1]; j++) {
            size_t w = (size_t)((double)tr->windows[j].t_us / f->window_us);
            f->win_rate[w < nwin ? w : nwin - 1] += tr->windows[j].rate;
        }
    return SL_OK;
}

/* The state of a flow service, hung on the service (rep is unused). */
struct sl__flow {
    struct flow_src src;
    struct sl_perf perf;
    double last_p;    /* mean prompt of the cached prefill times */
    double tau_k[NQ]; /* prefill time at each prompt point */
    int phase;        /* load last set on the cards */
    double act;
    /* First come first served history for the TTFT waits: h_a[i] requests
     * accepted (arrived and not rejected) up to time h_t[i] (s), for i in
     * [h0, hn); h_a[h0] <= served, the requests served so far. */
    double *h_t, *h_a;
    size_t h0, hn, hcap;
    double served;
};

/* Appends (t, a) to the history; a run of steps without arrivals keeps
 * its first and last entries only.  SL_OK or SL_ENOMEM. */
static int fifo_push(struct sl__flow *fl, double t, double a)
{
    if (fl->hn - fl->h0 >= 2 && fl->h_a[fl->hn - 1] == a && fl->h_a[fl->hn - 2] == a) {
        fl->h_t[fl->hn - 1] = t;
        return SL_OK;
    }
    if (fl->h0 > 0 && fl->h0 >= fl->hn / 2) {
        memmove(fl->h_t, fl->h_t + fl->h0, (fl->hn - fl->h0) * sizeof *fl->h_t);
        memmove(fl->h_a, fl->h_a + fl->h0, (fl->hn - fl->h0) * sizeof *fl->h_a);
        fl->hn -= fl->h0;
        fl->h0 = 0;
    }
    if (fl->hn == fl->hcap) {
        size_t cap = fl->hcap ? 2 * fl->hcap : 64;
        double *nt = sl_reallocarray(fl->h_t, cap, sizeof *nt);
        if (!nt)
            return SL_ENOMEM;
        fl->h_t = nt;
        double *na = sl_reallocarray(fl->h_a, cap, sizeof *na);
        if (!na)
            return SL_ENOMEM;
        fl->h_a = na;
        fl->hcap = cap;
    }
    fl->h_t[fl->hn] = t;
    fl->h_a[fl->hn] = a;
    fl->hn++;
    return SL_OK;
}

/* When the j-th accepted request arrived: arrivals spread evenly within a
 * step (binary search for the step, linear inside it). */
static double fifo_arrival(const struct sl__flow *fl, double j)
{
    size_t lo = fl->h0, hi = fl->hn - 1;
    if (j <= fl->h_a[lo])
        return fl->h_t[lo];
    if (j >= fl->h_a[hi])
        return fl->h_t[hi];
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (fl->h_a[mid] < j)
            lo = mid;
        else
            hi = mid;
    }
    double a0 = fl->h_a[lo], a1 = fl->h_a[hi];
    return fl->h_t[lo] + (j - a0) / (a1 - a0) * (fl->h_t[hi] - fl->h_t[lo]);
}

/* Share of R replicas busy when N sequences are in the service, N Poisson
 * with mean m (M/G/infinity by Little).  A balancing router (jsq,
 * least-tokens) keeps a replica busy whenever N reaches it: E[min(N, R)] /
 * R; round-robin splits arrivals blindly, each replica an M/G/infinity of
 * its own: 1 - e^(-m / R). */
static double busy_share(double m, double R, int router)
{
    if (!(m > 0))
        return 0;
    if (router == SL_ROUTER_ROUND_ROBIN)
        return 1 - exp(-m / R);
    double e;
    if (m > 500) {
        /* normal approximation: E[min] = m - E[(N - R)+] */
        double sd = sqrt(m), a = (R - m) / sd;
        double phi = exp(-0.5 * a * a) / sqrt(2 * SL_PI), tail = 0.5 * erfc(a / sqrt(2.0));
        e = m - (sd * phi - (R - m) * tail);
    } else {
        /* E[min(N, R)] = sum_{j=1..R} P(N >= j) */
        double pk = exp(-m), cdf = pk;
        e = 0;
        for (double j = 1; j <= R; j++) {
            double tail = 1 - cdf;
            if (tail < 1e-15)
                break;
            e += tail;
            pk *= m / j;
            cdf += pk;
        }
    }
    return fmin(fmax(e / R, 0), 1);
}

/* Decode step time at a fractional batch n (>= 1 step of one sequence),
 * each of context ctx: linear between whole batches. */
static double t_decode(const struct sl_perf *p, double n, double ctx)
{
    if (n < 1)
        n = 1;
    double lo = floor(n);
    double a = sl_perf_decode_s(p, (int64_t)lo, ctx);
    if (n == lo)
        return a;
    double b = sl_perf_decode_s(p, (int64_t)lo + 1, ctx);
    return a + (n - lo) * (b - a);
}

/* Requests/s one replica serves with n sequences decoding. */
static double x_of_n(const struct sl_perf *p, double n, double out, double ctx, double tau)
{
    if (out <= 1)
        return tau > 0 ? 1 / tau : 0;
    return n / ((out - 1) * t_decode(p, n, ctx) + n * tau);
}

static void on_flow(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_inf_service *s = ctx;
    struct sl_inference *inf = s->inf;
    struct sl__flow *fl = s->flow;
    int64_t t0 = sl_engine_now(eng);
    int64_t end = inf->w->end_us;
    int64_t t1 = t0 + s->cfg->flow_step_us < end ? t0 + s->cfg->flow_step_us : end;
    double dt = (double)(t1 - t0) * 1e-6;
    /* Replicas in service: those on powered-off servers serve nothing. */
    double R = (double)(s->nrep - s->ndown);
    const struct sl_perf *p = &fl->perf;

    struct flow_in in;
    arrivals(&fl->src, t0, t1, &in);
    s->m.requests += in.n;
    inf->total.requests += in.n;
    /* Admission control sheds the step's arrivals when the site is
     * forecast over its cap. */
    if (in.n > 0 && !sl_world_admit(inf->w, t0, 0)) {
        s->m.rejected += in.n;
        inf->total.rejected += in.n;
        inf->shed += in.n;
        in.n = in.prompt = in.output = 0;
    }
    double D = s->backlog + in.n;
    double f_p = 0, s_d = 0, served = 0;
    if (D > 1e-12 && !(R > 0)) {
        /* No replica in service: the demand waits, up to the queue of one
         * replica (the router holds it); the rest is rejected. */
        double qmax = (double)s->cfg->max_queue;
        s->fl_prompt = (s->backlog * s->fl_prompt + in.prompt) / D;
        s->fl_output = (s->backlog * s->fl_output + in.output) / D;
        s->backlog = D;
        if (s->backlog > qmax) {
            double rej = s->backlog - qmax;
            s->m.rejected += rej;
            inf->total.rejected += rej;
            s->backlog = qmax;
        }
        if (fifo_push(fl, (double)t1 * 1e-6, fl->served + s->backlog) != SL_OK) {
            sl_world_fail(inf->w, SL_ENOMEM, "out of memory in inference service '%s'",
                          s->cfg->name);
            return;
        }
    } else if (D > 1e-12) {
        double P = (s->backlog * s->fl_prompt + in.prompt) / D;
        double O = (s->backlog * s->fl_output + in.output) / D;
        if (P < 1)
            P = 1;
        if (O < 1)
            O = 1;
        double ctxm = P + 0.5 * O;
        double tau = sl_perf_prefill_s(p, 1, (int64_t)llround(P));
        double n_max = fmin((double)s->cfg->max_batch, s->kv_cap / ctxm);
        if (n_max < 1)
            n_max = 1;
        double x_max = x_of_n(p, n_max, O, ctxm, tau);
        double demand = D / (R * dt);
        double x = fmin(demand, x_max);
        /* n with x(n) = x, by bisection (x(n) increases with n) */
        double n = 0;
        if (O > 1 && x > 0) {
            double lo = 0, hi = n_max;
            for (int it = 0; it < 44; it++) { /* to 2^-44 of n_max */
                double mid = 0.5 * (lo + hi);
                if (x_of_n(p, mid, O, ctxm, tau) < x)
                    lo = mid;
                else
                    hi = mid;
            }
            n = hi;
        }
        served = x * R * dt;
        if (p->spec.cap_w > 0) {
            /* Tokens lost to the limit: what uncapped replicas would have
             * served of the same demand this step, less what these did. */
            double tau_u = sl_perf_prefill_s(&s->perf, 1, (int64_t)llround(P));
            double x_u = fmin(demand, x_of_n(&s->perf, n_max, O, ctxm, tau_u));
            if (x_u > x) {
                double lost = (x_u - x) * R * dt * O;
                s->m.tokens_lost += lost;
                inf->total.tokens_lost += lost;
            }
        }
        double q_before = s->backlog;
        s->backlog = D - served;
        double qmax = (double)s->cfg->max_queue * R;
        if (s->backlog > qmax) {
            double rej = s->backlog - qmax;
            s->m.rejected += rej;
            inf->total.rejected += rej;
            s->backlog = qmax;
        }
        s->fl_prompt = P;
        s->fl_output = O;
        f_p = fmin(x * tau, 1);
        double td = t_decode(p, n, ctxm);
        double tpot = f_p < 1 ? td / (1 - f_p) : td;
        double wq = x > 0 ? 0.5 * (q_before + s->backlog) / (x * R) : 0;
        /* Busy: a sequence in the replica (M/G/infinity: 1 - e^-N with N
         * sequences in the system by Little), as prefill or decode. */
        double base = wq + tau + (O > 1 ? (O - 1) * tpot : 0);
        double busy = busy_share(x * R * base, R, s->cfg->router);
        s_d = fmax(busy - f_p, 0);
        double rho = fmin(f_p + s_d, 1);
        double resid = rho * ((1 - f_p) * td * 0.5 + f_p * tau * 0.5);
        /* The queueing wait of the step's requests: first come first
         * served, the middle one of them (number served + served / 2)
         * arrived at fifo_arrival and starts mid-step.  (Little's law on
         * the backlog, wq, holds in steady state only: while the backlog
         * grows it overstates the wait by arrivals / service rate, while
         * it drains it understates it.) */
        double acc = fl->served + served + s->backlog;
        if (fifo_push(fl, (double)t1 * 1e-6, acc) != SL_OK) {
            sl_world_fail(inf->w, SL_ENOMEM, "out of memory in inference service '%s'",
                          s->cfg->name);
            return;
        }
        double wf =
            fmax((double)t0 * 1e-6 + 0.5 * dt - fifo_arrival(fl, fl->served + 0.5 * served), 0);
        struct sl_inf_metrics *ms[2] = {&s->m, &inf->total};
        double w = served / NQ;
        if (P != fl->last_p) {
            fl->last_p = P;
            for (int q = 0; q < NQ; q++) {
                double pk = P * fl->src.prompt_ratio[q];
                fl->tau_k[q] = sl_perf_prefill_s(p, 1, pk < 1 ? 1 : (int64_t)llround(pk));
            }
        }
        for (int q = 0; q < NQ; q++) {
            double ttft = wf + resid + fl->tau_k[q];
            int met = ttft <= (double)s->cfg->slo.ttft_us * 1e-6 &&
                      (O <= 1 || tpot <= (double)s->cfg->slo.tpot_us * 1e-6);
            for (int k = 0; k < 2; k++) {
                ms[k]->slo_weight += met ? w : 0;
                sl_hist_add(&ms[k]->ttft, ttft, w);
            }
        }
        for (int k = 0; k < 2; k++) {
            ms[k]->completed += served;
            ms[k]->tokens_in += served * P;
            ms[k]->tokens_out += served * O;
            if (O > 1)
                sl_hist_add(&ms[k]->tpot, tpot, served);
        }
    }
    if (!(D > 1e-12) && fifo_push(fl, (double)t1 * 1e-6, fl->served + s->backlog) != SL_OK) {
        sl_world_fail(inf->w, SL_ENOMEM, "out of memory in inference service '%s'", s->cfg->name);
        return;
    }
    fl->served += served;
    while (fl->h0 + 1 < fl->hn && fl->h_a[fl->h0 + 1] <= fl->served)
        fl->h0++;
    /* Power: the replicas' time shares as one blended load (exact in energy
     * since card power is linear in activity within a phase). */
    const struct sl_phase_model *pm = p->spec.phases;
    double ap = pm->activity[SL_PHASE_PREFILL], ad = pm->activity[SL_PHASE_DECODE];
    int phase = ap >= ad ? SL_PHASE_PREFILL : SL_PHASE_DECODE;
    double act = ap >= ad ? f_p + (ap > 0 ? s_d * ad / ap : 0) : (ad > 0 ? f_p * ap / ad : 0) + s_d;
    if (!(act > 0))
        phase = SL_PHASE_IDLE;
    act = act > 1 ? 1 : act > 0 ? act : 0;
    if (phase != fl->phase || act != fl->act) {
        fl->phase = phase;
        fl->act = act;
        sl_fleet_set_load(inf->fleet, t0, s->card0, s->nrep * (size_t)s->cfg->tp, phase, act);
    }
    s->fl_prefill_share = f_p;
    if (t1 < end && sl_engine_schedule(eng, t1, SL_PRIO_LOAD, on_flow, s, 0, NULL) != SL_OK)
        sl_world_fail(inf->w, SL_ENOMEM, "out of memory in inference service '%s'", s->cfg->name);
}

int sl__serve_flow_start(struct sl_inf_service *s, int64_t tod0_us, struct sl_diag *d)
{
    struct sl__flow *fl = sl_calloc(1, sizeof *fl);
    if (!fl)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    s->flow = fl;
    fl->perf = s->perf;
    fl->last_p = -1;
    fl->phase = -1;
    int rc = src_init(&fl->src, s, tod0_us, d);
    if (rc != SL_OK)
        return rc;
    if (fifo_push(fl, 0, 0) != SL_OK)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (sl_engine_schedule(&s->inf->w->eng, 0, SL_PRIO_LOAD, on_flow, s, 0, NULL) != SL_OK)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return SL_OK;
}

void sl__serve_flow_release(struct sl_inf_service *s)
{
    struct sl__flow *fl = s->flow;
    if (!fl)
        return;
    sl_free(fl->src.cum_prompt);
    sl_free(fl->src.cum_output);
    sl_free(fl->src.win_rate);
    sl_free(fl->h_t);
    sl_free(fl->h_a);
    sl_free(fl);
    s->flow = NULL;
}

void sl__serve_flow_avail(struct sl_inf_service *s)
{
    if (s->flow)
        s->flow->phase = -1; /* the next step sets every replica's load again */
}

void sl__serve_flow_recap(struct sl_inf_service *s, double cap_w)
{
    struct sl__flow *fl = s->flow;
    struct sl_perf_spec spec = s->res->perf;
    spec.cap_w = cap_w;
    struct sl_diag d;
    if (!fl)
        return;
    if (sl_perf_init(&fl->perf, &spec, &d) != SL_OK)
        fl->perf = s->perf;
    fl->last_p = -1; /* prefill times change with the cap */
}
