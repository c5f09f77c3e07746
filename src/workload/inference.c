/*
 * The inference source (see inference.h): services, their cards, their
 * request streams, metrics, requests.csv and the summary.
 */
#include "workload/inference.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int enabled(const struct sl_scenario *sc)
{
    return sc->nservices > 0;
}

/* A cap moved: the replicas that hold the cards take the new speed from
 * their next step on. */
static void speed_changed(void *ctx, int64_t now_us, size_t first, size_t n)
{
    (void)now_us;
    struct sl_inference *inf = ctx;
    for (size_t k = 0; k < inf->nsvc; k++) {
        struct sl_inf_service *s = &inf->svc[k];
        size_t tp = (size_t)s->cfg->tp;
        size_t end = s->card0 + s->nrep * tp;
        if (first + n <= s->card0 || first >= end)
            continue;
        if (s->flow) {
            sl__serve_flow_recap(s, inf->fleet->cap_w[s->card0]);
            continue;
        }
        size_t r0 = first > s->card0 ? (first - s->card0) / tp : 0;
        size_t r1 = (first + n - s->card0 + tp - 1) / tp;
        if (r1 > s->nrep)
            r1 = s->nrep;
        for (size_t r = r0; r < r1; r++) {
            struct sl_inf_replica *rp = &s->rep[r];
            struct sl_perf_spec spec = s->res->perf;
            spec.cap_w = inf->fleet->cap_w[rp->card0];
            struct sl_diag d;
            if (sl_perf_init(&rp->perf, &spec, &d) != SL_OK)
                rp->perf = s->perf; /* cannot fail for a spec that loaded */
        }
    }
}

/* A server's availability changed: the replicas on it leave the router
 * when it is powered off and come back when it is on again.  Off the
 * fabric alone changes nothing (a replica stays within its server). */
static void avail_changed(void *ctx, int64_t now_us, size_t server, unsigned before, unsigned now)
{
    struct sl_inference *inf = ctx;
    int off_before = (before & SL_DOWN_OFF) != 0, off_now = (now & SL_DOWN_OFF) != 0;
    if (off_before == off_now)
        return;
    size_t first = sl_fleet_server_card0(inf->fleet, server);
    size_t n = inf->fleet->pool[sl_fleet_server_pool(inf->fleet, server)].cards_per_server;
    for (size_t k = 0; k < inf->nsvc; k++) {
        struct sl_inf_service *s = &inf->svc[k];
        size_t tp = (size_t)s->cfg->tp;
        size_t end = s->card0 + s->nrep * tp;
        if (first + n <= s->card0 || first >= end)
            continue;
        size_t r0 = first > s->card0 ? (first - s->card0) / tp : 0;
        size_t r1 = (first + n - s->card0 + tp - 1) / tp;
        if (r1 > s->nrep)
            r1 = s->nrep;
        if (s->flow) {
            if (off_now)
                s->ndown += r1 - r0;
            else
                s->ndown -= r1 - r0;
            sl__serve_flow_avail(s);
            continue;
        }
        for (size_t r = r0; r < r1; r++)
            sl__serve_request_avail(s, r, now_us, off_now);
    }
}

void sl__inf_complete(struct sl_inf_service *s, int64_t arrive_us, int64_t first_us, int64_t end_us,
                      int32_t prompt, int32_t output, uint64_t id, size_t replica,
                      uint32_t preemptions)
{
    struct sl_inference *inf = s->inf;
    double ttft = (double)(first_us - arrive_us) * 1e-6;
    double tpot = output > 1 ? (double)(end_us - first_us) * 1e-6 / (double)(output - 1) : 0;
    int met = ttft <= (double)s->cfg->slo.ttft_us * 1e-6 &&
              (output <= 1 || tpot <= (double)s->cfg->slo.tpot_us * 1e-6);
    struct sl_inf_metrics *ms[2] = {&s->m, &inf->total};
    for (int k = 0; k < 2; k++) {
        ms[k]->completed += 1;
        ms[k]->slo_weight += met;
        sl_hist_add(&ms[k]->ttft, ttft, 1);
        if (output > 1)
            sl_hist_add(&ms[k]->tpot, tpot, 1);
    }
    if (inf->logging) {
        FILE *f = inf->log.f;
        fprintf(f, "%s,%llu,%.6f,%zu,%ld,%ld,%.6f,", s->cfg->name, (unsigned long long)id,
                (double)arrive_us * 1e-6, replica, (long)prompt, (long)output, ttft);
        if (output > 1)
            fprintf(f, "%.6f", tpot);
        fprintf(f, ",%.6f,%u,%d\n", (double)end_us * 1e-6, preemptions, met);
    }
}

static int start(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct sl_inference *inf = state;
    const struct sl_scenario *sc = w->sc;
    inf->w = w;
    inf->fleet = &w->fleet;
    inf->free_head = UINT32_MAX;
    sl_hist_clear(&inf->total.ttft);
    sl_hist_clear(&inf->total.tpot);
    int rc = sl_fleet_add_owner(inf->fleet, "inference", speed_changed, inf, &inf->owner);
    if (rc == SL_OK)
        rc = sl_fleet_set_avail_fn(inf->fleet, inf->owner, avail_changed);
    if (rc != SL_OK)
        return sl_diag_set(d, rc, NULL, 0, 0, "the inference services cannot own cards");
    if (sc->output.requests && w->out_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/requests.csv", w->out_dir);
        if ((rc = sl_outfile_open(&inf->log, path, d)) != SL_OK)
            return rc;
        inf->logging = 1;
        fputs("service,request,arrival_s,replica,prompt_tokens,output_tokens,ttft_s,tpot_s,"
              "end_s,preemptions,slo_met\n",
              inf->log.f);
    }
    inf->svc = sl_calloc(sc->nservices, sizeof *inf->svc);
    if (!inf->svc)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    inf->nsvc = sc->nservices;
    int64_t tod_s = sc->start_s % 86400;
    int64_t tod0_us = (tod_s < 0 ? tod_s + 86400 : tod_s) * 1000000;
    for (size_t k = 0; k < inf->nsvc; k++) {
        struct sl_inf_service *s = &inf->svc[k];
        s->inf = inf;
        s->res = &sc->services[k];
        s->cfg = s->res->cfg;
        s->index = k;
        sl_hist_clear(&s->m.ttft);
        sl_hist_clear(&s->m.tpot);
        if ((rc = sl_perf_init(&s->perf, &s->res->perf, d)) != SL_OK)
            return rc;
        s->kv_cap = s->perf.kv_capacity_tokens;
        s->nrep = (size_t)s->cfg->replicas;
        /* The loader placed the service in its pool: from the pool's first
         * card upwards, on a multiple of its tp, which divides the pool's
         * server's cards, so replicas never straddle servers. */
        size_t card = (size_t)s->res->first_card;
        s->card0 = card;
        size_t ncards = s->nrep * (size_t)s->cfg->tp;
        if ((rc = sl_fleet_claim(inf->fleet, inf->owner, card, ncards)) != SL_OK)
            return sl_diag_set(d, rc, NULL, 0, 0, "service '%s' cannot claim cards %zu-%zu",
                               s->cfg->name, card, card + ncards - 1);
        sl_fleet_set_tier(inf->fleet, 0, card, ncards,
                          s->cfg->svc_class == SL_CLASS_BATCH ? SL_TIER_BATCH
                                                              : SL_TIER_INTERACTIVE);
        if ((rc = sl_reqgen_init(&s->gen, &s->cfg->requests, s->res, s->cfg->name,
                                 (uint64_t)sc->run.seed, tod0_us, d)) != SL_OK)
            return rc;
        rc = s->cfg->fidelity == SL_FIDELITY_FLOW ? sl__serve_flow_start(s, tod0_us, d)
                                                  : sl__serve_request_start(s, d);
        if (rc != SL_OK)
            return rc;
    }
    /* Servers already off when the services start (a rollout's absent
     * ones, set by a source that started first) were never ours to be
     * told about: their replicas start out of the router. */
    for (size_t sv = 0; sv < inf->fleet->nservers; sv++) {
        unsigned bits = sl_fleet_server_down(inf->fleet, sv);
        if (bits & SL_DOWN_OFF)
            avail_changed(inf, 0, sv, 0, bits);
    }
    return SL_OK;
}

static void release(void *state)
{
    struct sl_inference *inf = state;
    for (size_t k = 0; k < inf->nsvc; k++) {
        struct sl_inf_service *s = &inf->svc[k];
        for (size_t r = 0; s->rep && r < s->nrep; r++) {
            sl_free(s->rep[r].run);
            sl_free(s->rep[r].due);
            sl_pcache_release(&s->rep[r].pcache);
        }
        sl_free(s->rep);
        sl__serve_flow_release(s);
        sl_reqgen_release(&s->gen);
    }
    sl_free(inf->svc);
    sl_free(inf->req);
    sl_outfile_abort(&inf->log);
    memset(inf, 0, sizeof *inf);
}

static const char *const columns[] = {"tokens_out_per_s", "requests_waiting"};

static void sample(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values)
{
    (void)w;
    struct sl_inference *inf = state;
    double out = 0, waiting = 0;
    for (size_t k = 0; k < inf->nsvc; k++) {
        struct sl_inf_service *s = &inf->svc[k];
        out += s->m.tokens_out - s->tokens_out_sampled;
        s->tokens_out_sampled = s->m.tokens_out;
        if (s->cfg->fidelity == SL_FIDELITY_FLOW)
            waiting += s->backlog;
        else
            for (size_t r = 0; r < s->nrep; r++)
                waiting += (double)s->rep[r].nwait;
    }
    values[0] = out / ((double)(t1_us - t0_us) * 1e-6);
    values[1] = waiting;
}

static int add_metrics(struct sl_summary *s, const char *prefix, const struct sl_inf_metrics *m,
                       double dur_s)
{
    char key[256];
    int rc = SL_OK;
#define NUM(name, v)                                                                               \
    do {                                                                                           \
        snprintf(key, sizeof key, "%s.%s", prefix, name);                                          \
        if (rc == SL_OK)                                                                           \
            rc = sl_summary_num(s, key, (v));                                                      \
    } while (0)
#define INT(name, v)                                                                               \
    do {                                                                                           \
        snprintf(key, sizeof key, "%s.%s", prefix, name);                                          \
        if (rc == SL_OK)                                                                           \
            rc = sl_summary_int(s, key, (int64_t)llround(v));                                      \
    } while (0)
    INT("requests", m->requests);
    INT("completed", m->completed);
    INT("rejected", m->rejected);
    INT("preemptions", m->preemptions);
    NUM("tokens_in", m->tokens_in);
    NUM("tokens_out", m->tokens_out);
    NUM("tokens_lost", m->tokens_lost);
    NUM("cached_tokens", m->cached_tokens);
    NUM("tokens_per_s", m->tokens_out / dur_s);
    NUM("ttft_mean_s", sl_hist_mean(&m->ttft));
    NUM("ttft_p50_s", sl_hist_quantile(&m->ttft, 0.5));
    NUM("ttft_p99_s", sl_hist_quantile(&m->ttft, 0.99));
    NUM("tpot_mean_s", sl_hist_mean(&m->tpot));
    NUM("tpot_p50_s", sl_hist_quantile(&m->tpot, 0.5));
    NUM("tpot_p99_s", sl_hist_quantile(&m->tpot, 0.99));
    NUM("slo_attainment", m->completed > 0 ? m->slo_weight / m->completed : 0);
#undef NUM
#undef INT
    return rc;
}

static int summary(void *state, const struct sl_world *w, struct sl_summary *s)
{
    struct sl_inference *inf = state;
    double dur_s = (double)w->end_us * 1e-6;
    int rc = add_metrics(s, "inference", &inf->total, dur_s);
    double kwh = w->tot.facility_j / 3.6e6;
    if (rc == SL_OK)
        rc = sl_summary_num(s, "inference.tokens_per_kwh",
                            kwh > 0 ? inf->total.tokens_out / kwh : 0);
    if (rc == SL_OK && w->sc->power.admission)
        rc = sl_summary_num(s, "inference.requests_shed", inf->shed);
    for (size_t k = 0; rc == SL_OK && k < inf->nsvc; k++) {
        char prefix[200];
        snprintf(prefix, sizeof prefix, "inference.services.%s", inf->svc[k].cfg->name);
        rc = add_metrics(s, prefix, &inf->svc[k].m, dur_s);
        const struct sl_trace *tr = inf->svc[k].res->trace;
        if (rc == SL_OK && tr) {
            char key[256];
            snprintf(key, sizeof key, "%s.trace_rows_skipped", prefix);
            rc = sl_summary_int(s, key, (int64_t)tr->skipped);
        }
    }
    if (rc == SL_OK && inf->logging) {
        struct sl_diag d;
        inf->logging = 0;
        if (sl_outfile_commit(&inf->log, &d) != SL_OK)
            return d.code ? d.code : SL_EIO;
    }
    return rc;
}

const struct sl_source_ops sl_inference_source = {
    .name = "inference",
    .state_size = sizeof(struct sl_inference),
    .enabled = enabled,
    .start = start,
    .release = release,
    .ncolumns = 2,
    .columns = columns,
    .sample = sample,
    .summary = summary,
};
