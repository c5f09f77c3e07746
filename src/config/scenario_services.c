/*
 * Resolving `workload.inference`: from the keys of each service to a
 * struct sl_service_res the serving source can run without further checks.
 *
 * Everything a run could trip over is checked here, before anything runs,
 * and reported at the key at fault (file:line:col): an unknown model (with
 * a suggestion), a pool that is unknown (with a suggestion) or reserved
 * for training, a `tp` that does not divide the pool's server's cards (a
 * replica never straddles servers), more cards than its pool has (counted
 * across the pool's services in list order, reported at the service that
 * overflows), a model
 * that does not fit its replica's memory (the performance model's own
 * message: sl_perf_init), a profile or trace that does not read (the
 * reader's file:line), a token law that does not parse, and a generated
 * source without a rate.  A profile is read here and only its factors are
 * kept; a trace is read once and owned by the scenario.
 *
 * A service runs on one pool (`pool`, by default the first pool whose use
 * is inference or both): its device, server and tp check are the pool's,
 * and its cards are the pool's, claimed from the pool's first card upwards
 * in list order, each service starting on a multiple of its tp counted
 * from the pool's first card (which is a server boundary).
 */
#include "config/scenario_int.h"
#include "suanli/alloc.h"

#include "suanli/suggest.h"

#include <stdio.h>
#include <string.h>

/* "workload.inference.<i>.<key>" */
static const char *svc_path(char *buf, size_t size, size_t i, const char *key)
{
    snprintf(buf, size, "workload.inference.%zu.%s", i, key);
    return buf;
}

/* A reader's diagnostic: its own file:line when it has one (the position
 * inside the trace or profile says most), else at the key that named the
 * file. */
static int reader_error(const struct sl_ynode *root, const char *key, const char *file,
                        const struct sl_diag *rd, struct sl_diag *d)
{
    if (rd->code == SL_ENOMEM)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (rd->line > 0)
        return sl_diag_set(d, SL_EINVAL, rd->file, rd->line, rd->col, "%s", rd->msg);
    char msg[sizeof rd->msg + 512];
    if (strstr(rd->msg, file))
        snprintf(msg, sizeof msg, "%s", rd->msg);
    else
        snprintf(msg, sizeof msg, "%s: %s", file, rd->msg);
    return sl__scenario_path_error(root, key, d, msg);
}

/* The efficiency factors of a service: the profile's entry for (model,
 * device, tp) when the service names a profile that has one, else the
 * device's defaults (the link factors always come from the defaults). */
static int service_eff(struct sl_service_cfg *cfg, const struct sl_device_model *dev, size_t i,
                       const struct sl_ynode *root, const struct sl_ysource *file_src,
                       struct sl_perf_eff *eff, struct sl_diag *d)
{
    char key[160], msg[768];
    sl_perf_eff_default(dev, eff);
    if (!cfg->profile)
        return SL_OK;
    svc_path(key, sizeof key, i, "profile");
    int rc = sl__scenario_resolve_path(&cfg->profile, root, key, file_src, d);
    if (rc != SL_OK)
        return rc;
    struct sl_perf_profile prof;
    struct sl_diag pd;
    sl_diag_clear(&pd);
    rc = sl_perf_profile_load(cfg->profile, &prof, &pd);
    if (rc != SL_OK)
        return reader_error(root, key, cfg->profile, &pd, d);
    const struct sl_perf_profile_entry *e =
        sl_perf_profile_find(&prof, cfg->model, dev->name, cfg->tp);
    if (!e) {
        snprintf(msg, sizeof msg,
                 "profile %s has no entry for model '%s' on device '%s' at tp %lld; calibrate "
                 "that group (`suanli perf calibrate`) or leave `profile` unset for the device's "
                 "defaults",
                 cfg->profile, cfg->model, dev->name, (long long)cfg->tp);
        sl_perf_profile_release(&prof);
        return sl__scenario_path_error(root, key, d, msg);
    }
    eff->compute = e->compute;
    eff->memory = e->memory;
    eff->overhead_s = e->overhead_s;
    sl_perf_profile_release(&prof);
    return SL_OK;
}

/* Reads the service's trace, if any. */
static int service_trace(struct sl_service_cfg *cfg, struct sl_service_res *res, size_t i,
                         const struct sl_ynode *root, const struct sl_ysource *file_src,
                         struct sl_diag *d)
{
    char key[160];
    struct sl_request_cfg *rq = &cfg->requests;
    if (!rq->trace)
        return SL_OK;
    svc_path(key, sizeof key, i, "requests.trace");
    int rc = sl__scenario_resolve_path(&rq->trace, root, key, file_src, d);
    if (rc != SL_OK)
        return rc;
    if (!(res->trace = sl_calloc(1, sizeof *res->trace)))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    struct sl_diag td;
    sl_diag_clear(&td);
    rc = sl_trace_read(rq->trace, rq->format, rq->lenient, res->trace, &td);
    if (rc != SL_OK) {
        sl_free(res->trace);
        res->trace = NULL;
        return reader_error(root, key, rq->trace, &td, d);
    }
    return SL_OK;
}

/* Parses one token law (`prompt_tokens` or `output_tokens`); a law that is
 * unset takes the trace's rows, which a request trace must then have. */
static int service_law(const struct sl_service_cfg *cfg, const struct sl_service_res *res, size_t i,
                       const char *which, const char *text, struct sl_tokdist *law, int *has,
                       const struct sl_ynode *root, struct sl_diag *d)
{
    char key[160], err[256], msg[768];
    char lkey[64];
    snprintf(lkey, sizeof lkey, "requests.%s", which);
    svc_path(key, sizeof key, i, lkey);
    int rows = res->trace && res->trace->n_req > 0;
    if (!text) {
        if (rows)
            return SL_OK;
        snprintf(msg, sizeof msg,
                 "service '%s': give requests.%s (e.g. `lognormal(6.6, 1.1)` or `512`): %s",
                 cfg->name, which,
                 res->trace ? "a rate trace has no request lengths"
                            : "generated requests need a length law");
        svc_path(key, sizeof key, i, res->trace ? "requests.trace" : "requests");
        return sl__scenario_path_error(root, key, d, msg);
    }
    if (sl_tokdist_parse(text, law, err, sizeof err) != SL_OK) {
        snprintf(msg, sizeof msg, "'%s': %s", text, err);
        return sl__scenario_path_error(root, key, d, msg);
    }
    if (law->kind == SL_TOK_TRACE && !rows) {
        snprintf(msg, sizeof msg,
                 "'%s' takes the lengths of the service's request trace, and service '%s' has "
                 "%s",
                 text, cfg->name, res->trace ? "a rate trace (no lengths)" : "no trace");
        return sl__scenario_path_error(root, key, d, msg);
    }
    *has = 1;
    return SL_OK;
}

/* The pool of service i: the one it names, else the first that takes
 * inference.  Sets *pool or reports the key at fault. */
static int service_pool(const struct sl_scenario *sc, const struct sl_service_cfg *cfg, size_t i,
                        const struct sl_ynode *root, size_t *pool, struct sl_diag *d)
{
    char key[160], msg[768];
    if (!cfg->pool) {
        for (size_t k = 0; k < sc->npools; k++)
            if (sc->pools[k].use != SL_POOL_TRAINING) {
                *pool = k;
                return SL_OK;
            }
        snprintf(msg, sizeof msg,
                 "service '%s': every pool of the fleet is reserved for training; give a pool "
                 "`use: inference` or `use: both`",
                 cfg->name);
        return sl__scenario_path_error(root, svc_path(key, sizeof key, i, "name"), d, msg);
    }
    svc_path(key, sizeof key, i, "pool");
    for (size_t k = 0; k < sc->npools; k++) {
        if (strcmp(sc->pools[k].name, cfg->pool) != 0)
            continue;
        if (sc->pools[k].use == SL_POOL_TRAINING) {
            snprintf(msg, sizeof msg,
                     "service '%s': pool '%s' is reserved for training (`use: training`); run "
                     "the service on a pool whose use is inference or both",
                     cfg->name, cfg->pool);
            return sl__scenario_path_error(root, key, d, msg);
        }
        *pool = k;
        return SL_OK;
    }
    const char *names[SL_MAX_POOLS];
    size_t n = 0, len = 0;
    for (size_t k = 0; k < sc->npools; k++)
        names[n++] = sc->pools[k].name;
    const char *near = sl_suggest_nearest(cfg->pool, names, n, sl_suggest_threshold(cfg->pool),
                                          SL_SUGGEST_NOCASE | SL_SUGGEST_PREFIX);
    if (near) {
        snprintf(msg, sizeof msg, "service '%s': unknown pool '%s' (did you mean '%s'?)", cfg->name,
                 cfg->pool, near);
    } else {
        len = (size_t)snprintf(msg, sizeof msg, "service '%s': unknown pool '%s'; the pools are",
                               cfg->name, cfg->pool);
        for (size_t k = 0; k < n && len < sizeof msg; k++)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s '%s'", k ? "," : "", names[k]);
    }
    return sl__scenario_path_error(root, key, d, msg);
}

static int resolve_one(struct sl_scenario *sc, size_t i, int64_t *cards_used,
                       const struct sl_ynode *root, const struct sl_ysource *file_src,
                       struct sl_diag *d)
{
    char key[160], key2[160], msg[1024];
    struct sl_service_cfg *cfg = (struct sl_service_cfg *)sc->workload.inference.owned + i;
    struct sl_service_res *res = &sc->services[i];
    res->cfg = cfg;
    const struct sl_service_cfg *all = sc->workload.inference.items;
    for (size_t j = 0; j < i; j++)
        if (strcmp(all[j].name, cfg->name) == 0) {
            snprintf(msg, sizeof msg, "service '%s' is defined twice (also entry %zu)", cfg->name,
                     j);
            return sl__scenario_path_error(root, svc_path(key, sizeof key, i, "name"), d, msg);
        }
    if (!(res->model = sl_scenario_find_model(sc, cfg->model)))
        return sl__scenario_unknown_entry(sc, SL__KIND_MODEL, cfg->model, root,
                                          svc_path(key, sizeof key, i, "model"), d);
    int rc = service_pool(sc, cfg, i, root, &res->pool, d);
    if (rc != SL_OK)
        return rc;
    const struct sl_pool_res *pool = &sc->pools[res->pool];
    int64_t cards = pool->server->cards;
    if (cards % cfg->tp != 0) {
        snprintf(msg, sizeof msg,
                 "service '%s': tp %lld does not divide the %lld cards of server '%s'; a replica "
                 "must sit within one server (tensor parallelism across servers would run over "
                 "the network)",
                 cfg->name, (long long)cfg->tp, (long long)cards, pool->server->name);
        return sl__scenario_path_error(root, svc_path(key, sizeof key, i, "tp"), d, msg);
    }
    int64_t pool_cards = pool->cards;
    int64_t need = cfg->replicas * cfg->tp; /* both bounded by the schema */
    /* A service starts at a multiple of its tp from the pool's first card
     * (a server boundary), so that no replica straddles two servers (tp
     * divides the server's cards). */
    int64_t used = cards_used[res->pool];
    int64_t start = (used + cfg->tp - 1) / cfg->tp * cfg->tp;
    if (need > pool_cards - start) {
        char whose[160];
        if (sc->fleet.pools.n)
            snprintf(whose, sizeof whose, "pool '%s'", pool->name);
        else
            snprintf(whose, sizeof whose, "the fleet");
        snprintf(msg, sizeof msg,
                 "service '%s': %lld replicas x tp %lld need %lld cards, but %s has %lld "
                 "(%lld servers x %lld) and the services before it take %lld%s",
                 cfg->name, (long long)cfg->replicas, (long long)cfg->tp, (long long)need, whose,
                 (long long)pool_cards, (long long)pool->servers, (long long)cards,
                 (long long)start,
                 start > used ? " (with the cards skipped so that this service's "
                                "replicas start on a multiple of its tp)"
                              : "");
        if (sc->fleet.pools.n) {
            char pkey[160];
            snprintf(pkey, sizeof pkey, "fleet.pools.%zu.servers", res->pool);
            return sl__scenario_pair_error(root, svc_path(key, sizeof key, i, "replicas"), pkey, d,
                                           msg);
        }
        return sl__scenario_pair_error(root, svc_path(key, sizeof key, i, "replicas"),
                                       "fleet.servers", d, msg);
    }
    cards_used[res->pool] = start + need;
    res->first_card = pool->first_card + start;

    struct sl_perf_spec *ps = &res->perf;
    memset(ps, 0, sizeof *ps);
    rc = service_eff(cfg, pool->device, i, root, file_src, &ps->eff, d);
    if (rc != SL_OK)
        return rc;
    ps->model = res->model;
    ps->device = pool->device;
    ps->phases = &sc->phase_model;
    ps->tp = cfg->tp;
    ps->weights = cfg->weights;
    ps->kv = cfg->kv;
    ps->cap_w = 0;
    ps->mem_util = cfg->mem_util;
    ps->act_bytes = cfg->reserved_bytes;
    ps->page_tokens = 16;
    ps->dp_ep = cfg->expert_parallel;
    ps->server_cards = pool->server->cards;
    struct sl_perf perf;
    struct sl_diag pd;
    sl_diag_clear(&pd);
    if (sl_perf_init(&perf, ps, &pd) != SL_OK) {
        if (pd.code == SL_ENOMEM)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        snprintf(msg, sizeof msg, "service '%s': model '%s' at tp %lld on '%s': %s", cfg->name,
                 cfg->model, (long long)cfg->tp, pool->device->name, pd.msg);
        return sl__scenario_pair_error(root, svc_path(key, sizeof key, i, "model"),
                                       svc_path(key2, sizeof key2, i, "tp"), d, msg);
    }

    rc = service_trace(cfg, res, i, root, file_src, d);
    if (rc != SL_OK)
        return rc;
    const struct sl_request_cfg *rq = &cfg->requests;
    if (res->trace && res->trace->n_req == 0 && rq->rate > 0) {
        snprintf(msg, sizeof msg,
                 "service '%s': a rate trace sets its own arrival rates; scale them with "
                 "requests.rate_scale instead of giving requests.rate",
                 cfg->name);
        return sl__scenario_path_error(root, svc_path(key, sizeof key, i, "requests.rate"), d, msg);
    }
    if (!rq->trace && !(rq->rate > 0)) {
        snprintf(msg, sizeof msg,
                 "service '%s': give requests.rate (e.g. `12/s`) for generated requests, or "
                 "requests.trace to replay a trace",
                 cfg->name);
        return sl__scenario_path_error(root, svc_path(key, sizeof key, i, "requests"), d, msg);
    }
    rc = service_law(cfg, res, i, "prompt_tokens", rq->prompt_tokens, &res->prompt,
                     &res->has_prompt, root, d);
    if (rc == SL_OK)
        rc = service_law(cfg, res, i, "output_tokens", rq->output_tokens, &res->output,
                         &res->has_output, root, d);
    return rc;
}

int sl__scenario_resolve_services(struct sl_scenario *sc, const struct sl_ynode *root,
                                  const struct sl_ysource *file_src, struct sl_diag *d)
{
    char key[160];
    const struct sl_llm_model *own = sc->catalog.models.items;
    for (size_t i = 0; i < sc->catalog.models.n; i++) {
        struct sl_diag vd;
        sl_diag_clear(&vd);
        if (sl_llm_validate(&own[i], &vd) != SL_OK) {
            snprintf(key, sizeof key, "catalog.models.%zu", i);
            return sl__scenario_path_error(root, key, d, vd.msg);
        }
    }
    size_t n = sc->workload.inference.n;
    if (n == 0)
        return SL_OK;
    if (!(sc->services = sl_calloc(n, sizeof *sc->services)))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    sc->nservices = n;
    int64_t *used = sl_calloc(sc->npools, sizeof *used); /* per pool, from its first card */
    if (!used)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = SL_OK;
    for (size_t i = 0; i < n && rc == SL_OK; i++)
        rc = resolve_one(sc, i, used, root, file_src, d);
    sl_free(used);
    return rc;
}

void sl__scenario_release_services(struct sl_scenario *sc)
{
    for (size_t i = 0; i < sc->nservices; i++)
        if (sc->services[i].trace) {
            sl_trace_release(sc->services[i].trace);
            sl_free(sc->services[i].trace);
        }
    sl_free(sc->services);
    sc->services = NULL;
    sc->nservices = 0;
}
