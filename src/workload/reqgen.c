/*
 * The request stream of one inference service (see reqgen.h for the three
 * sources, their equations and the random streams).
 */
#include "workload/reqgen.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/limits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY_S 86400.0
#define PI    3.14159265358979323846

/* Past this run time (s) every source ends: the duration limit. */
static double horizon_s(void)
{
    return SL_LIMIT(SL_LIM_DURATION);
}

/* ---- Token lengths ----------------------------------------------------- */

static int32_t draw_law(const struct sl_tokdist *law, struct sl_rng *r)
{
    double x;
    if (law->kind == SL_TOK_FIXED)
        x = law->value;
    else
        x = floor(sl_rng_lognormal(r, law->mu, law->sigma) + 0.5);
    if (!(x >= law->min))
        x = law->min;
    if (x > law->max)
        x = law->max;
    return (int32_t)x;
}

/* Fills out's lengths: from the laws, else from row (replay). */
static void fill_tokens(struct sl_reqgen *g, const struct sl_trace_req *row, struct sl_request *out)
{
    const struct sl_trace *t = g->trace;
    size_t drawn = SIZE_MAX;
    if (g->law_prompt) {
        if (g->prompt.kind == SL_TOK_TRACE) {
            drawn = (size_t)sl_rng_below(&g->rng_prompt, t->n_req);
            out->prompt = t->req[drawn].prompt;
        } else {
            out->prompt = draw_law(&g->prompt, &g->rng_prompt);
        }
        out->hash_first = out->hash_n = 0;
    } else {
        out->prompt = row->prompt;
        out->hash_first = row->hash_first;
        out->hash_n = row->hash_n;
    }
    if (g->law_output) {
        if (g->output.kind == SL_TOK_TRACE) {
            size_t i = drawn != SIZE_MAX ? drawn : (size_t)sl_rng_below(&g->rng_output, t->n_req);
            out->output = t->req[i].output;
        } else {
            out->output = draw_law(&g->output, &g->rng_output);
        }
    } else {
        out->output = row->output;
    }
}

/* ---- Generated arrivals ------------------------------------------------ */

/* Operational time Lambda(t) of the diurnal rate. */
static double op_time(const struct sl_reqgen *g, double t)
{
    if (g->diurnal == 0)
        return g->rate * t;
    return g->rate * (t + g->amp_s * (sin(g->omega * fmod(t + g->c_s, DAY_S)) - g->sin_c));
}

static double rate_at(const struct sl_reqgen *g, double t)
{
    return g->rate * (1 + g->diurnal * cos(g->omega * fmod(t + g->c_s, DAY_S)));
}

/* The next generated arrival (s): one unit-mean gap in operational time. */
static double generated_next(struct sl_reqgen *g)
{
    double gap = g->shape > 0 ? sl_rng_gamma(&g->arrivals, g->shape, 1.0 / g->shape)
                              : sl_rng_std_exponential(&g->arrivals);
    double target = g->L + gap;
    double t0 = g->t_s;
    double t;
    if (g->diurnal == 0) {
        t = target / g->rate;
    } else {
        double lo = t0 + gap / (g->rate * (1 + g->diurnal));
        double hi = t0 + gap / (g->rate * (1 - g->diurnal));
        t = t0 + gap / rate_at(g, t0);
        if (!(t >= lo && t <= hi))
            t = 0.5 * (lo + hi);
        for (int it = 0; it < 100; it++) {
            double f = op_time(g, t) - target;
            if (f > 0)
                hi = t;
            else
                lo = t;
            double tn = t - f / rate_at(g, t);
            if (!(tn > lo && tn < hi))
                tn = 0.5 * (lo + hi);
            double step = fabs(tn - t);
            t = tn;
            if (step < 1e-7 || hi - lo < 1e-7)
                break;
        }
    }
    if (t < t0)
        t = t0;
    g->L = target;
    g->t_s = t;
    return t;
}

/* ---- Rate traces ------------------------------------------------------- */

static const struct sl_trace_window *cwin(const struct sl_reqgen *g,
                                          const struct sl__reqgen_client *cl, size_t j)
{
    return &g->trace->windows[cl->first + j];
}

static double win_start(const struct sl_reqgen *g, const struct sl__reqgen_client *cl, size_t j)
{
    return cl->off_s + (double)cwin(g, cl, j)->t_us / 1e6;
}

static double win_end(const struct sl_reqgen *g, const struct sl__reqgen_client *cl, size_t j)
{
    if (j + 1 < cl->n)
        return cl->off_s + (double)cwin(g, cl, j + 1)->t_us / 1e6;
    return cl->off_s + (double)cwin(g, cl, j)->t_us / 1e6 + g->window_s;
}

/* Moves to the next window (the next repetition with `tile`); 0 when the
 * trace ends. */
static int next_window(struct sl_reqgen *g, struct sl__reqgen_client *cl)
{
    if (++cl->j < cl->n)
        return 1;
    cl->j = 0;
    cl->off_s += g->period_s;
    cl->tile++;
    double s = win_start(g, cl, 0);
    if (cl->tau_s < s)
        cl->tau_s = s;
    return cl->off_s - g->tod0_s < horizon_s();
}

/* A unit-mean gap from window w's law. */
static double unit_gap(const struct sl_trace_window *w, struct sl_rng *r)
{
    if (w->dist == 1)
        return sl_rng_gamma(r, w->shape, 1.0 / w->shape);
    if (w->dist == 2)
        return sl_rng_weibull(r, w->shape, 1.0 / tgamma(1.0 + 1.0 / w->shape));
    return sl_rng_std_exponential(r);
}

/* Advances client cl to its next arrival (next_us); 0 when it has ended. */
static int client_advance(struct sl_reqgen *g, struct sl__reqgen_client *cl)
{
    /* The gap starts in the window holding tau, or the next one with a
     * positive rate. */
    for (;;) {
        double s = win_start(g, cl, cl->j), e = win_end(g, cl, cl->j);
        if (cl->tau_s < s)
            cl->tau_s = s;
        if (cl->tau_s < e && cwin(g, cl, cl->j)->rate * g->scale > 0)
            break;
        if (cl->tau_s < e)
            cl->tau_s = e;
        if (!next_window(g, cl))
            return 0;
    }
    double gap = unit_gap(cwin(g, cl, cl->j), &cl->rng);
    for (;;) {
        double r = cwin(g, cl, cl->j)->rate * g->scale;
        double e = win_end(g, cl, cl->j);
        if (r > 0) {
            double room = (e - cl->tau_s) * r;
            if (gap <= room) {
                double tau = cl->tau_s + gap / r;
                cl->tau_s = tau < e ? tau : e;
                break;
            }
            gap -= room;
        }
        cl->tau_s = e;
        if (!next_window(g, cl))
            return 0;
        /* A gap longer than a whole repetition skips repetitions at once,
         * so a client of tiny rates costs O(windows) per arrival, not
         * O(windows x repetitions). */
        if (cl->j == 0 && cl->lam_period > 0 && gap > cl->lam_period) {
            double k = floor(gap / cl->lam_period);
            double off = cl->off_s + k * g->period_s;
            if (!(off - g->tod0_s < horizon_s()))
                return 0;
            cl->off_s = off;
            cl->tile = k >= (double)(UINT32_MAX - cl->tile) ? UINT32_MAX : cl->tile + (uint32_t)k;
            gap = fmax(gap - k * cl->lam_period, 0.0);
            cl->tau_s = win_start(g, cl, 0);
        }
    }
    double t = cl->tau_s - g->tod0_s;
    if (!(t < horizon_s()))
        return 0;
    cl->next_us = llround(t * 1e6);
    return 1;
}

static int heap_less(const struct sl_reqgen *g, uint32_t a, uint32_t b)
{
    int64_t ta = g->clients[a].next_us, tb = g->clients[b].next_us;
    return ta < tb || (ta == tb && a < b);
}

static void heap_down(struct sl_reqgen *g, size_t i)
{
    uint32_t *h = g->heap;
    size_t n = g->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(g, h[l], h[m]))
            m = l;
        if (l + 1 < n && heap_less(g, h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t x = h[i];
        h[i] = h[m];
        h[m] = x;
        i = m;
    }
}

static void heap_up(struct sl_reqgen *g, size_t i)
{
    uint32_t *h = g->heap;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(g, h[i], h[p]))
            return;
        uint32_t x = h[i];
        h[i] = h[p];
        h[p] = x;
        i = p;
    }
}

static int rates_init(struct sl_reqgen *g, uint64_t seed, uint64_t src, struct sl_diag *d)
{
    const struct sl_trace *t = g->trace;
    g->window_s = (double)t->window_us / 1e6;
    g->period_s = 0;
    for (size_t c = 0; c < t->n_clients; c++) {
        size_t last = t->window_first[c + 1] - 1;
        double end = (double)t->windows[last].t_us / 1e6 + g->window_s;
        if (end > g->period_s)
            g->period_s = end;
    }
    if (t->n_clients > UINT32_MAX)
        return sl_diag_set(d, SL_EINVAL, t->path, 0, 0, "too many clients in the rate trace");
    g->clients = sl_calloc(t->n_clients, sizeof *g->clients);
    g->heap = sl_calloc(t->n_clients, sizeof *g->heap);
    if (!g->clients || !g->heap)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory for the request stream");
    g->n_clients = t->n_clients;
    for (size_t c = 0; c < t->n_clients; c++) {
        struct sl__reqgen_client *cl = &g->clients[c];
        sl_rng_seed(&cl->rng, seed, src, c);
        cl->first = t->window_first[c];
        cl->n = t->window_first[c + 1] - cl->first;
        int any = 0;
        for (size_t j = 0; j < cl->n; j++) {
            double r = cwin(g, cl, j)->rate * g->scale;
            any |= r > 0;
            cl->lam_period += r * (win_end(g, cl, j) - win_start(g, cl, j));
        }
        if (!any)
            continue;
        cl->tau_s = g->tod0_s;
        double k = floor(g->tod0_s / g->period_s);
        cl->off_s = k * g->period_s;
        cl->tile = (uint32_t)k;
        cl->j = 0;
        while (cl->j + 1 < cl->n && win_start(g, cl, cl->j + 1) <= cl->tau_s)
            cl->j++;
        if (!client_advance(g, cl))
            continue;
        g->heap[g->heap_n++] = (uint32_t)c;
        heap_up(g, g->heap_n - 1);
    }
    return SL_OK;
}

/* ---- Set-up and the stream --------------------------------------------- */

/* The law of one side: given in res, else parsed from cfg's text. */
static int take_law(const struct sl_service_res *res, int has, const struct sl_tokdist *given,
                    const char *text, const char *key, struct sl_tokdist *law, int *have,
                    struct sl_diag *d)
{
    *have = 0;
    if (res && has) {
        *law = *given;
        *have = 1;
        return SL_OK;
    }
    if (!text)
        return SL_OK;
    char err[300];
    if (sl_tokdist_parse(text, law, err, sizeof err) != SL_OK)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "requests.%s: %s", key, err);
    *have = 1;
    return SL_OK;
}

void sl_reqgen_release(struct sl_reqgen *g)
{
    sl_free(g->clients);
    sl_free(g->heap);
    g->clients = NULL;
    g->heap = NULL;
    g->n_clients = g->heap_n = 0;
}

int sl_reqgen_init(struct sl_reqgen *g, const struct sl_request_cfg *cfg,
                   const struct sl_service_res *res, const char *service, uint64_t seed,
                   int64_t start_tod_us, struct sl_diag *d)
{
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->trace = res ? res->trace : NULL;
    if (!service)
        service = res && res->cfg && res->cfg->name ? res->cfg->name : "service";
    int rc = take_law(res, res && res->has_prompt, res ? &res->prompt : NULL, cfg->prompt_tokens,
                      "prompt_tokens", &g->prompt, &g->law_prompt, d);
    if (rc == SL_OK)
        rc = take_law(res, res && res->has_output, res ? &res->output : NULL, cfg->output_tokens,
                      "output_tokens", &g->output, &g->law_output, d);
    if (rc != SL_OK)
        return rc;
    g->scale = cfg->rate_scale;
    if (!(g->scale > 0 && g->scale < 1e9))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "requests.rate_scale %g is not a positive factor (expected > 0; 1 "
                           "replays the trace at its own pace)",
                           g->scale);
    const struct sl_trace *t = g->trace;
    int rows = t && t->n_req > 0;
    if (rows && cfg->rate > 0) {
        /* A request trace with a rate: generated arrivals, the trace's
         * lengths (one row for both unless a law is given). */
        g->mode = SL_REQGEN_GENERATED;
        if (!g->law_prompt) {
            memset(&g->prompt, 0, sizeof g->prompt);
            g->prompt.kind = SL_TOK_TRACE;
            g->law_prompt = 1;
        }
        if (!g->law_output) {
            memset(&g->output, 0, sizeof g->output);
            g->output.kind = SL_TOK_TRACE;
            g->law_output = 1;
        }
    } else if (rows)
        g->mode = SL_REQGEN_REPLAY;
    else if (t && t->n_clients > 0)
        g->mode = SL_REQGEN_RATES;
    else
        g->mode = SL_REQGEN_GENERATED;
    if ((g->law_prompt && g->prompt.kind == SL_TOK_TRACE && !rows) ||
        (g->law_output && g->output.kind == SL_TOK_TRACE && !rows))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "requests: the token law `trace` draws rows of a request trace, and "
                           "this service has none (give a request trace or a lognormal or "
                           "fixed law)");
    if (!rows && (!g->law_prompt || !g->law_output))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "requests: %s has no request rows to take token lengths from (give "
                           "prompt_tokens and output_tokens, such as lognormal(6.5, 1.1))",
                           t ? "a rate trace" : "a generated source");

    char name[512];
    snprintf(name, sizeof name, "inference.%s.arrivals", service);
    uint64_t src = sl_rng_source_id(name);
    sl_rng_seed(&g->arrivals, seed, src, 0);
    snprintf(name, sizeof name, "inference.%s.prompt_tokens", service);
    sl_rng_seed(&g->rng_prompt, seed, sl_rng_source_id(name), 0);
    snprintf(name, sizeof name, "inference.%s.output_tokens", service);
    sl_rng_seed(&g->rng_output, seed, sl_rng_source_id(name), 0);

    double tod = fmod((double)start_tod_us / 1e6, DAY_S);
    if (tod < 0)
        tod += DAY_S;
    g->tod0_s = tod;

    if (g->mode == SL_REQGEN_REPLAY) {
        double gap = t->n_req > 1 ? (double)t->span_us / (double)(t->n_req - 1) : 1e6;
        g->period_us = (double)t->span_us + gap;
        return SL_OK;
    }
    if (g->mode == SL_REQGEN_RATES) {
        rc = rates_init(g, seed, src, d);
        if (rc != SL_OK)
            sl_reqgen_release(g);
        return rc;
    }
    g->rate = cfg->rate * g->scale;
    if (!(g->rate > 0 && g->rate <= SL_LIMIT(SL_LIM_TRACE_RATE)))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "requests.rate %g requests/s (times rate_scale %g) is outside (0, "
                           "%.0f] (expected the mean arrival rate of a generated source)",
                           cfg->rate, g->scale, SL_LIMIT(SL_LIM_TRACE_RATE));
    if (cfg->arrival == SL_ARRIVAL_GAMMA) {
        if (!(cfg->cv > 0 && cfg->cv <= 30))
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "requests.cv %g is outside (0, 30] (expected the coefficient of "
                               "variation of gamma inter-arrival times; 1 is Poisson)",
                               cfg->cv);
        g->shape = 1.0 / (cfg->cv * cfg->cv);
    } else if (cfg->arrival != SL_ARRIVAL_POISSON) {
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "requests.arrival: unknown process %d",
                           cfg->arrival);
    }
    if (!(cfg->diurnal >= 0 && cfg->diurnal < 1))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "requests.diurnal %g is outside [0, 1) (expected the relative "
                           "amplitude of the daily cosine on the rate)",
                           cfg->diurnal);
    g->diurnal = cfg->diurnal;
    g->omega = 2 * PI / DAY_S;
    g->amp_s = g->diurnal / g->omega;
    g->c_s = fmod(tod - (double)cfg->peak_time_us / 1e6, DAY_S);
    if (g->c_s < 0)
        g->c_s += DAY_S;
    g->sin_c = sin(g->omega * g->c_s);
    return SL_OK;
}

int sl_reqgen_next(struct sl_reqgen *g, struct sl_request *out)
{
    if (g->ended)
        return 0;
    memset(out, 0, sizeof *out);
    if (g->mode == SL_REQGEN_REPLAY) {
        const struct sl_trace *t = g->trace;
        if (g->next == t->n_req) {
            if (!g->cfg->tile || g->tile == UINT32_MAX) {
                g->ended = 1;
                return 0;
            }
            g->next = 0;
            g->tile++;
        }
        const struct sl_trace_req *row = &t->req[g->next++];
        double t_us = ((double)g->tile * g->period_us + (double)row->t_us) / g->scale;
        if (!(t_us < horizon_s() * 1e6)) {
            g->ended = 1;
            return 0;
        }
        out->t_us = llround(t_us);
        out->tile = g->tile;
        fill_tokens(g, row, out);
        return 1;
    }
    if (g->mode == SL_REQGEN_GENERATED) {
        double t = generated_next(g);
        if (!(t < horizon_s())) {
            g->ended = 1;
            return 0;
        }
        out->t_us = llround(t * 1e6);
        fill_tokens(g, NULL, out);
        return 1;
    }
    if (g->heap_n == 0) {
        g->ended = 1;
        return 0;
    }
    uint32_t c = g->heap[0];
    struct sl__reqgen_client *cl = &g->clients[c];
    out->t_us = cl->next_us;
    out->client = c;
    out->tile = cl->tile;
    if (client_advance(g, cl)) {
        heap_down(g, 0);
    } else {
        g->heap[0] = g->heap[--g->heap_n];
        heap_down(g, 0);
    }
    fill_tokens(g, NULL, out);
    return 1;
}

double sl_reqgen_mean_rate(const struct sl_reqgen *g)
{
    if (g->mode == SL_REQGEN_REPLAY)
        return (double)g->trace->n_req / (g->period_us / 1e6) * g->scale;
    if (g->mode == SL_REQGEN_GENERATED)
        return g->rate;
    double sum = 0;
    for (size_t c = 0; c < g->n_clients; c++)
        sum += g->clients[c].lam_period;
    return g->period_s > 0 ? sum / g->period_s : 0;
}
