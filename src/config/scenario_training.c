/*
 * Resolving `workload.training`: from the jobs list, a job trace and the
 * generated job mix to sc->jobs, one struct sl_job_spec per job, sorted by
 * submit time (stably: list jobs, then trace rows, then generated jobs at
 * equal times), which the training source runs without further checks.
 *
 * Rules (docs/model.md, "Resolving the jobs").  Every job has a pool (by
 * name, else the first pool whose use is training or both; naming a pool
 * selects its device, and the job may run on any pool of that device that
 * takes training), a model (its own, the trace row's when the row names a
 * catalog model, else the section's), 1 to the cards of all the pools of
 * its device that take training, exactly one of a token budget and a
 * run time, and the section's checkpoint interval and write time unless it
 * gives its own.  A job with a token budget, or with a layout given, must
 * fit in memory on the pool's device (the training performance model's
 * own refusal is reported at the key); a job that runs for a duration
 * without a layout is accepted even when nothing fits (the training source
 * then estimates its tokens bound by compute alone).  Trace rows: CPU-only
 * rows (0 cards) and rows without a run time (never started, or still
 * running when the trace ends) are skipped and counted in sc; a run time
 * of 0 becomes 1 us; the Alibaba gpu_milli of a shared card becomes the
 * job's share; submit times are multiplied by time_scale.  Errors name the
 * key (file:line:col) or, for a trace row, the trace's file:line.
 *
 * Strings the jobs borrow that the scenario does not otherwise own (trace
 * ids and tenants, generated names, the file a listed job came from) live
 * in one struct store, sc->jobs_store, freed by
 * sl__scenario_release_training.
 */
#include "config/scenario_int.h"
#include "suanli/alloc.h"
#include "suanli/jobs.h"
#include "suanli/limits.h"
#include "suanli/suggest.h"
#include "suanli/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SL_CKPT_WRITE_AUTO == SL_TIME_AUTO, "`auto` of checkpoint_write is the schema's");

/* The checkpoint write time (us) of a job of `cards` cards of model m on
 * pool `pool`, given `wr` (its own or the section's): wr itself unless
 * `auto`; for `auto`, its state (all the parameters, experts included, x
 * checkpoint_bytes_per_param) written by each of its servers at
 * checkpoint_bw, plus checkpoint_latency (docs/model.md, "Training through
 * failures"). */
static int64_t ckpt_write_us(const struct sl_scenario *sc, int64_t wr, const struct sl_llm_model *m,
                             int64_t cards, size_t pool)
{
    if (wr != SL_CKPT_WRITE_AUTO)
        return wr;
    const struct sl_training_cfg *t = &sc->workload.training;
    double total = 0, active = 0;
    if (m)
        sl_llm_params(m, &total, &active);
    int64_t k = sc->pools[pool].server->cards;
    double servers = ceil((double)cards / (double)(k > 0 ? k : 1));
    double bytes = total * t->checkpoint_bytes_per_param;
    double us =
        bytes / (t->checkpoint_bw * fmax(servers, 1)) * 1e6 + (double)t->checkpoint_latency_us;
    return us < 1e15 ? (int64_t)llround(us) : INT64_C(1000000000000000);
}

/* 1.577 jobs per card per day: Acme Seren's 663,813 GPU jobs over 184
 * days (3,608/day) on its 2,288 GPUs (docs/model.md). */
#define JOBS_PER_CARD_DAY (3608.0 / 2288.0)
#define GEN_NAME_MAX      24 /* "pretrain-" + 20 digits + NUL */

struct store {
    struct sl_job_trace trace;
    int has_trace;
    char *names;  /* generated names, GEN_NAME_MAX bytes each */
    char **files; /* per listed job: the file that gave it (owned copies) */
    size_t nfiles;
};

static const char *job_key(char *buf, size_t size, size_t i, const char *key)
{
    if (key)
        snprintf(buf, size, "workload.training.jobs.%zu.%s", i, key);
    else
        snprintf(buf, size, "workload.training.jobs.%zu", i);
    return buf;
}

static int nomem(struct sl_diag *d)
{
    return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
}

/* The pool called name, or SIZE_MAX. */
static size_t find_pool(const struct sl_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->npools; i++)
        if (strcmp(sc->pools[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* The cards of job pool p's partition: of every pool of p's device that
 * takes training (the training source schedules them as one cluster). */
static int64_t partition_cards(const struct sl_scenario *sc, size_t p)
{
    int64_t n = 0;
    for (size_t q = 0; q < sc->npools; q++)
        if (sc->pools[q].use != SL_POOL_INFERENCE && sc->pools[q].device == sc->pools[p].device)
            n += sc->pools[q].cards;
    return n;
}

/* A listed job's pool: by name, else the default (dflt, SIZE_MAX when no
 * pool takes training). */
static int job_pool(const struct sl_scenario *sc, const struct sl_job_cfg *j, size_t i, size_t dflt,
                    const struct sl_ynode *root, size_t *out, struct sl_diag *d)
{
    char key[160], msg[768];
    if (!j->pool) {
        if (dflt == SIZE_MAX) {
            snprintf(msg, sizeof msg,
                     "job '%s': no pool of the fleet takes training (every pool's use is "
                     "inference); give a pool `use: training` or `both`",
                     j->name);
            return sl__scenario_path_error(root, job_key(key, sizeof key, i, "name"), d, msg);
        }
        *out = dflt;
        return SL_OK;
    }
    size_t p = find_pool(sc, j->pool);
    if (p == SIZE_MAX) {
        const char *cands[64];
        size_t n = sc->npools < 64 ? sc->npools : 64;
        char names[512] = "";
        for (size_t k = 0; k < n; k++) {
            cands[k] = sc->pools[k].name;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "", cands[k]);
        }
        const char *best =
            sl_suggest_nearest(j->pool, cands, n, sl_suggest_threshold(j->pool), SL_SUGGEST_PREFIX);
        if (best)
            snprintf(msg, sizeof msg, "job '%s': unknown pool '%s' (did you mean '%s'?)", j->name,
                     j->pool, best);
        else
            snprintf(msg, sizeof msg, "job '%s': unknown pool '%s'; the fleet has: %s", j->name,
                     j->pool, names);
        return sl__scenario_path_error(root, job_key(key, sizeof key, i, "pool"), d, msg);
    }
    if (sc->pools[p].use == SL_POOL_INFERENCE) {
        snprintf(msg, sizeof msg,
                 "job '%s': pool '%s' is reserved for inference (`use: inference`); choose a "
                 "pool whose use is training or both",
                 j->name, j->pool);
        return sl__scenario_path_error(root, job_key(key, sizeof key, i, "pool"), d, msg);
    }
    *out = p;
    return SL_OK;
}

/* Whether model with the given layout (zeros: chosen) fits on cards of the
 * pool's device; SL_OK, or SL_EINVAL with the performance model's reason
 * in why. */
static int layout_fits(const struct sl_scenario *sc, const struct sl_llm_model *model,
                       const struct sl_pool_res *pool, int64_t cards, int64_t tp, int64_t pp,
                       int64_t dp, char *why, size_t size)
{
    const struct sl_training_cfg *t = &sc->workload.training;
    struct sl_train_spec spec;
    sl_train_spec_default(&spec, model, pool->device, cards);
    spec.phases = &sc->phase_model;
    spec.seq = t->seq;
    spec.global_batch_tokens = t->global_batch_tokens;
    spec.precision = t->precision;
    spec.server_cards = pool->server->cards;
    spec.tp = tp;
    spec.pp = pp;
    spec.dp = dp;
    struct sl_train_result res;
    struct sl_diag td;
    sl_diag_clear(&td);
    int rc = sl_train_best_layout(&spec, &res, &td);
    if (rc != SL_OK)
        snprintf(why, size, "%s", td.msg);
    return rc;
}

/* Checks one listed job and fills *js. */
static int resolve_listed(struct sl_scenario *sc, struct store *st, size_t i, size_t dflt_pool,
                          const struct sl_ynode *root, struct sl_job_spec *js, struct sl_diag *d)
{
    char key[160], key2[160], msg[1536], why[1024];
    const struct sl_training_cfg *t = &sc->workload.training;
    const struct sl_job_cfg *all = t->jobs.items;
    const struct sl_job_cfg *j = &all[i];
    for (size_t k = 0; k < i; k++)
        if (strcmp(all[k].name, j->name) == 0) {
            snprintf(msg, sizeof msg, "job '%s' is listed twice (also entry %zu)", j->name, k);
            return sl__scenario_path_error(root, job_key(key, sizeof key, i, "name"), d, msg);
        }
    const char *mname = j->model ? j->model : t->model;
    const struct sl_llm_model *model = sl_scenario_find_model(sc, mname);
    if (!model)
        return sl__scenario_unknown_entry(
            sc, SL__KIND_MODEL, mname, root,
            j->model ? job_key(key, sizeof key, i, "model") : "workload.training.model", d);
    size_t p;
    int rc = job_pool(sc, j, i, dflt_pool, root, &p, d);
    if (rc != SL_OK)
        return rc;
    const struct sl_pool_res *pool = &sc->pools[p];
    if (j->cards > partition_cards(sc, p)) {
        snprintf(msg, sizeof msg,
                 "job '%s' wants %lld cards; pool '%s' and the other pools of device '%s' that "
                 "take training have %lld",
                 j->name, (long long)j->cards, pool->name, pool->device->name,
                 (long long)partition_cards(sc, p));
        return sl__scenario_path_error(root, job_key(key, sizeof key, i, "cards"), d, msg);
    }
    if ((j->tokens > 0) == (j->duration_us > 0)) {
        snprintf(msg, sizeof msg,
                 j->tokens > 0 ? "job '%s': give `tokens` or `duration`, not both (a job runs "
                                 "until it has trained its tokens, or for a time)"
                               : "job '%s': give `tokens` (a budget such as 2e11) or `duration` "
                                 "(such as 12h)",
                 j->name);
        if (j->tokens > 0)
            return sl__scenario_pair_error(root, job_key(key, sizeof key, i, "tokens"),
                                           job_key(key2, sizeof key2, i, "duration"), d, msg);
        return sl__scenario_path_error(root, job_key(key, sizeof key, i, NULL), d, msg);
    }
    int given = j->tp || j->pp || j->dp;
    if (j->tp && j->pp && j->dp && j->tp * j->pp * j->dp != j->cards) {
        snprintf(msg, sizeof msg,
                 "job '%s': the layout tp %lld x pp %lld x dp %lld is %lld cards, but the job has "
                 "%lld",
                 j->name, (long long)j->tp, (long long)j->pp, (long long)j->dp,
                 (long long)(j->tp * j->pp * j->dp), (long long)j->cards);
        return sl__scenario_path_error(root, job_key(key, sizeof key, i, "tp"), d, msg);
    }
    for (int k = 0; k < 3; k++) {
        int64_t v = k == 0 ? j->tp : k == 1 ? j->pp : j->dp;
        if (v && j->cards % v != 0) {
            static const char *const nm[] = {"tp", "pp", "dp"};
            snprintf(msg, sizeof msg, "job '%s': %s %lld does not divide its %lld cards", j->name,
                     nm[k], (long long)v, (long long)j->cards);
            return sl__scenario_path_error(root, job_key(key, sizeof key, i, nm[k]), d, msg);
        }
    }
    if ((given || j->tokens > 0) &&
        layout_fits(sc, model, pool, j->cards, j->tp, j->pp, j->dp, why, sizeof why) != SL_OK) {
        snprintf(msg, sizeof msg, "job '%s' on pool '%s': %s", j->name, pool->name, why);
        const char *at = j->tp ? "tp" : j->pp ? "pp" : j->dp ? "dp" : "cards";
        return sl__scenario_path_error(root, job_key(key, sizeof key, i, at), d, msg);
    }
    /* A checkpoint write longer than the interval between writes is not
     * a checkpointing policy (the job would write more than it trains). */
    int64_t ckpt = j->checkpoint_us ? j->checkpoint_us : t->checkpoint_us;
    int64_t wr0 = j->checkpoint_write_us ? j->checkpoint_write_us : t->checkpoint_write_us;
    int64_t wr = ckpt_write_us(sc, wr0, model, j->cards, p);
    if (ckpt > 0 && wr > ckpt) {
        snprintf(msg, sizeof msg,
                 "job '%s': its checkpoint write (%.6g s%s) is longer than its checkpoint interval "
                 "(%.6g s); shorten `checkpoint_write` or lengthen `checkpoint` (0: Young/Daly)",
                 j->name, (double)wr * 1e-6,
                 wr0 == SL_CKPT_WRITE_AUTO ? ", `auto` from its model and the storage" : "",
                 (double)ckpt * 1e-6);
        /* At the job's own key, else the section's interval. */
        const char *at = j->checkpoint_write_us ? job_key(key, sizeof key, i, "checkpoint_write")
                         : j->checkpoint_us     ? job_key(key, sizeof key, i, "checkpoint")
                                                : "workload.training.checkpoint";
        return sl__scenario_path_error(root, at, d, msg);
    }
    const struct sl_ynode *n = sl_ytree_lookup(root, job_key(key, sizeof key, i, "name"));
    const char *file = NULL;
    if (n && n->src && n->src->name) {
        if (!(st->files[st->nfiles] = sl_strdup(n->src->name)))
            return nomem(d);
        file = st->files[st->nfiles++];
    }
    *js = (struct sl_job_spec){
        .name = j->name,
        .tenant = j->tenant,
        .model = model,
        .submit_us = j->submit_us,
        .cards = j->cards,
        .duration_us = j->duration_us,
        .tokens = j->tokens,
        .priority = j->priority,
        .tp = j->tp,
        .pp = j->pp,
        .dp = j->dp,
        .checkpoint_us = ckpt ? ckpt : SL_CKPT_AUTO,
        .checkpoint_write_us = wr,
        .pool = p,
        .share = 1,
        .file = file,
        .line = n ? n->line : 0,
    };
    return SL_OK;
}

/* The model a trace row names, NULL when it names none; an error at the
 * row when a CSV's model column names an unknown one. */
static int row_model(const struct sl_scenario *sc, const struct sl_job_trace *tr,
                     const struct sl_job_trace_row *r, const struct sl_llm_model *dflt,
                     const struct sl_llm_model **out, struct sl_diag *d)
{
    const char *spec = sl_job_trace_str(tr, r->spec);
    const struct sl_llm_model *m = spec[0] ? sl_scenario_find_model(sc, spec) : NULL;
    if (m || !spec[0] || tr->format != SL_JOBS_CSV) {
        *out = m ? m : dflt;
        return SL_OK;
    }
    /* The unknown-name diagnostic without a position, then placed at the
     * row. */
    struct sl_diag ud;
    sl_diag_clear(&ud);
    sl__scenario_unknown_entry(sc, SL__KIND_MODEL, spec, NULL, "", &ud);
    return sl_diag_set(d, SL_EINVAL, tr->path, r->line, 0, "job '%s': %s",
                       sl_job_trace_str(tr, r->id), ud.msg);
}

/* Reads the trace (kept in st) and appends its jobs. */
static int add_trace(struct sl_scenario *sc, struct store *st, const struct sl_ynode *root,
                     const struct sl_ysource *file_src, size_t pool, const struct sl_llm_model *dm,
                     struct sl_job_spec **v, size_t *len, struct sl_diag *d)
{
    struct sl_training_cfg *t = &sc->workload.training;
    const char *key = "workload.training.trace";
    int rc = sl__scenario_resolve_path(&t->trace, root, key, file_src, d);
    if (rc != SL_OK)
        return rc;
    struct sl_diag td;
    sl_diag_clear(&td);
    rc = sl_job_trace_read(t->trace, t->format, t->lenient, &st->trace, &td);
    if (rc != SL_OK) {
        if (rc == SL_ENOMEM)
            return nomem(d);
        if (td.line > 0)
            return sl_diag_set(d, SL_EINVAL, td.file, td.line, td.col, "%s", td.msg);
        char msg[sizeof td.msg + 600];
        if (strstr(td.msg, t->trace))
            snprintf(msg, sizeof msg, "%s", td.msg);
        else
            snprintf(msg, sizeof msg, "%s: %s", t->trace, td.msg);
        return sl__scenario_path_error(root, key, d, msg);
    }
    st->has_trace = 1;
    const struct sl_job_trace *tr = &st->trace;
    sc->jobs_skipped_malformed = tr->skipped;
    const struct sl_pool_res *pp = &sc->pools[pool];
    int64_t part_cards = partition_cards(sc, pool);
    struct sl_job_spec *nv = sl_reallocarray(*v, *len + tr->n, sizeof *nv);
    if (!nv)
        return nomem(d);
    *v = nv;
    for (size_t i = 0; i < tr->n; i++) {
        const struct sl_job_trace_row *r = &tr->rows[i];
        if (r->cards == 0) {
            sc->jobs_skipped_cpu++;
            continue;
        }
        if (r->duration_us < 0) {
            sc->jobs_skipped_unfinished++;
            continue;
        }
        const char *id = sl_job_trace_str(tr, r->id);
        if (r->cards > part_cards)
            return sl_diag_set(d, SL_EINVAL, tr->path, r->line, 0,
                               "job '%s' wants %d cards; pool '%s' and the other pools of device "
                               "'%s' that take training have %lld (a smaller trace row filter, or "
                               "larger pools)",
                               id, r->cards, pp->name, pp->device->name, (long long)part_cards);
        const struct sl_llm_model *m;
        rc = row_model(sc, tr, r, dm, &m, d);
        if (rc != SL_OK)
            return rc;
        const char *tenant = sl_job_trace_str(tr, r->tenant);
        double submit = nearbyint((double)r->submit_us * t->time_scale);
        if (submit > SL_LIMIT(SL_LIM_DURATION) * 1e6)
            return sl_diag_set(d, SL_EINVAL, tr->path, r->line, 0,
                               "job '%s': its submit time x time_scale %g is beyond the "
                               "duration limit of %.3g s; lower workload.training.time_scale",
                               id, t->time_scale, SL_LIMIT(SL_LIM_DURATION));
        (*v)[(*len)++] = (struct sl_job_spec){
            .name = id,
            .tenant = tenant[0] ? tenant : NULL,
            .model = m,
            .submit_us = (int64_t)submit,
            .cards = r->cards,
            .duration_us = r->duration_us > 0 ? r->duration_us : 1,
            .tokens = 0,
            .priority = r->priority,
            .checkpoint_us = t->checkpoint_us ? t->checkpoint_us : SL_CKPT_AUTO,
            .checkpoint_write_us = ckpt_write_us(sc, t->checkpoint_write_us, m, r->cards, pool),
            .pool = pool,
            .share = r->cards == 1 && r->share_milli < 1000 ? r->share_milli / 1000.0 : 1,
            .file = tr->path,
            .line = r->line,
        };
    }
    return SL_OK;
}

/* Generates the job mix and appends its jobs. */
static int add_generated(struct sl_scenario *sc, struct store *st, const struct sl_ynode *root,
                         size_t pool, const struct sl_llm_model *dm, struct sl_job_spec **v,
                         size_t *len, struct sl_diag *d)
{
    char msg[1536], why[1024];
    struct sl_training_cfg *t = &sc->workload.training;
    struct sl_jobmix_cfg *g = &t->generate;
    const struct sl_pool_res *pp = &sc->pools[pool];
    const struct sl_llm_model *sm = dm, *pm = NULL;
    if (g->model && !(sm = sl_scenario_find_model(sc, g->model)))
        return sl__scenario_unknown_entry(sc, SL__KIND_MODEL, g->model, root,
                                          "workload.training.generate.model", d);
    if (g->pretrain_jobs > 0 && !(pm = sl_scenario_find_model(sc, g->pretrain_model)))
        return sl__scenario_unknown_entry(sc, SL__KIND_MODEL, g->pretrain_model, root,
                                          "workload.training.generate.pretrain_model", d);
    int64_t part_cards = partition_cards(sc, pool);
    if (g->max_cards > part_cards) {
        snprintf(msg, sizeof msg,
                 "generated jobs of up to %lld cards; pool '%s' and the other pools of device "
                 "'%s' that take training have %lld: lower max_cards",
                 (long long)g->max_cards, pp->name, pp->device->name, (long long)part_cards);
        return sl__scenario_path_error(root, "workload.training.generate.max_cards", d, msg);
    }
    if (g->pretrain_jobs > 0) {
        if (g->pretrain_cards > part_cards) {
            snprintf(msg, sizeof msg,
                     "pre-training jobs want %lld cards; pool '%s' and the other pools of device "
                     "'%s' that take training have %lld",
                     (long long)g->pretrain_cards, pp->name, pp->device->name,
                     (long long)part_cards);
            return sl__scenario_path_error(root, "workload.training.generate.pretrain_cards", d,
                                           msg);
        }
        if (layout_fits(sc, pm, pp, g->pretrain_cards, 0, 0, 0, why, sizeof why) != SL_OK) {
            snprintf(msg, sizeof msg, "pre-training jobs on pool '%s': %s", pp->name, why);
            return sl__scenario_pair_error(root, "workload.training.generate.pretrain_model",
                                           "workload.training.generate.pretrain_cards", d, msg);
        }
    }
    if (!(g->jobs_per_day > 0))
        g->jobs_per_day = JOBS_PER_CARD_DAY * (double)pp->cards; /* shown by `suanli check` */
    g->duration_mu = log((double)g->duration_median_us / 1e6);
    g->duration_per_log2 = log(g->duration_growth);
    struct sl_jobmix_params mp = {
        .jobs_per_day = g->jobs_per_day,
        .size_decay = g->size_decay,
        .single_card = g->single_card,
        .max_cards = g->max_cards,
        .duration_mu = g->duration_mu,
        .duration_per_log2 = g->duration_per_log2,
        .duration_sigma = g->duration_sigma,
        .duration_max_us = g->duration_max_us,
        .pretrain_jobs = g->pretrain_jobs,
        .pretrain_cards = g->pretrain_cards,
        .pretrain_tokens = g->pretrain_tokens,
    };
    struct sl_jobmix_row *rows = NULL;
    size_t n = 0;
    struct sl_diag gd;
    sl_diag_clear(&gd);
    int rc = sl_jobmix_generate(&mp, (uint64_t)sc->run.seed, sc->run.duration_us, &rows, &n, &gd);
    if (rc == SL_ENOMEM)
        return nomem(d);
    if (rc != SL_OK)
        return sl__scenario_path_error(root, "workload.training.generate", d, gd.msg);
    if (n == 0)
        return SL_OK;
    struct sl_job_spec *nv = sl_reallocarray(*v, *len + n, sizeof *nv);
    if (!nv || !(st->names = sl_reallocarray(NULL, n, GEN_NAME_MAX))) {
        if (nv)
            *v = nv;
        sl_free(rows);
        return nomem(d);
    }
    *v = nv;
    size_t npre = 0, nsmall = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sl_jobmix_row *r = &rows[i];
        char *name = st->names + i * GEN_NAME_MAX;
        int pre = r->tokens > 0;
        snprintf(name, GEN_NAME_MAX, pre ? "pretrain-%zu" : "gen-%zu", pre ? npre++ : nsmall++);
        (*v)[(*len)++] = (struct sl_job_spec){
            .name = name,
            .tenant = pre             ? "pretrain"
                      : r->cards == 1 ? "eval"
                                      : "finetune",
            .model = pre ? pm : sm,
            .submit_us = r->submit_us,
            .cards = r->cards,
            .duration_us = r->duration_us,
            .tokens = r->tokens,
            .checkpoint_us = t->checkpoint_us ? t->checkpoint_us : SL_CKPT_AUTO,
            .checkpoint_write_us =
                ckpt_write_us(sc, t->checkpoint_write_us, pre ? pm : sm, r->cards, pool),
            .pool = pool,
            .share = 1,
        };
    }
    sl_free(rows);
    return SL_OK;
}

struct order {
    int64_t submit_us;
    size_t i;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->submit_us != y->submit_us)
        return x->submit_us < y->submit_us ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Sorts v by submit time, stably. */
static int sort_jobs(struct sl_job_spec *v, size_t n, struct sl_diag *d)
{
    struct order *o = sl_reallocarray(NULL, n, sizeof *o);
    struct sl_job_spec *w = sl_reallocarray(NULL, n, sizeof *w);
    if (!o || !w) {
        sl_free(o);
        sl_free(w);
        return nomem(d);
    }
    for (size_t i = 0; i < n; i++)
        o[i] = (struct order){v[i].submit_us, i};
    qsort(o, n, sizeof *o, cmp_order);
    for (size_t i = 0; i < n; i++)
        w[i] = v[o[i].i];
    memcpy(v, w, n * sizeof *v);
    sl_free(o);
    sl_free(w);
    return SL_OK;
}

int sl__scenario_resolve_training(struct sl_scenario *sc, const struct sl_ynode *root,
                                  const struct sl_ysource *file_src, struct sl_diag *d)
{
    char msg[768];
    struct sl_training_cfg *t = &sc->workload.training;
    if (t->precision != SL_PREC_FP16 && t->precision != SL_PREC_FP8)
        return sl__scenario_path_error(root, "workload.training.precision", d,
                                       "training runs in bf16 or fp8, not int8");
    const struct sl_llm_model *dm = sl_scenario_find_model(sc, t->model);
    if (!dm)
        return sl__scenario_unknown_entry(sc, SL__KIND_MODEL, t->model, root,
                                          "workload.training.model", d);
    if (t->checkpoint_us > 0 && t->checkpoint_write_us > t->checkpoint_us) {
        snprintf(msg, sizeof msg,
                 "the checkpoint write (%.6g s) is longer than the checkpoint interval (%.6g s); "
                 "shorten workload.training.checkpoint_write or lengthen "
                 "workload.training.checkpoint (0: Young/Daly)",
                 (double)t->checkpoint_write_us * 1e-6, (double)t->checkpoint_us * 1e-6);
        return sl__scenario_path_error(root,
                                       sl_ytree_lookup(root, "workload.training.checkpoint_write")
                                           ? "workload.training.checkpoint_write"
                                           : "workload.training.checkpoint",
                                       d, msg);
    }
    if (t->jobs.n == 0 && !t->trace && !t->generate.enabled)
        return SL_OK;
    size_t pool = SIZE_MAX;
    for (size_t i = 0; i < sc->npools && pool == SIZE_MAX; i++)
        if (sc->pools[i].use != SL_POOL_INFERENCE)
            pool = i;
    if (pool == SIZE_MAX && (t->trace || t->generate.enabled)) {
        snprintf(msg, sizeof msg,
                 "no pool of the fleet takes training (every pool's use is inference); give a "
                 "pool `use: training` or `both`");
        return sl__scenario_path_error(
            root, t->trace ? "workload.training.trace" : "workload.training.generate.enabled", d,
            msg);
    }
    struct store *st = sl_calloc(1, sizeof *st);
    if (!st)
        return nomem(d);
    sc->jobs_store = st;
    if (t->jobs.n && !(st->files = sl_calloc(t->jobs.n, sizeof *st->files)))
        return nomem(d);
    struct sl_job_spec *v = NULL;
    size_t len = 0;
    int rc = SL_OK;
    if (t->jobs.n && !(v = sl_calloc(t->jobs.n, sizeof *v)))
        return nomem(d);
    for (size_t i = 0; i < t->jobs.n && rc == SL_OK; i++) {
        rc = resolve_listed(sc, st, i, pool, root, &v[len], d);
        if (rc == SL_OK)
            len++;
    }
    if (rc == SL_OK && t->trace)
        rc = add_trace(sc, st, root, file_src, pool, dm, &v, &len, d);
    if (rc == SL_OK && t->generate.enabled)
        rc = add_generated(sc, st, root, pool, dm, &v, &len, d);
    if (rc == SL_OK && len > 1)
        rc = sort_jobs(v, len, d);
    sc->jobs = v;
    sc->njobs = len;
    return rc;
}

void sl__scenario_release_training(struct sl_scenario *sc)
{
    struct store *st = sc->jobs_store;
    if (st) {
        if (st->has_trace)
            sl_job_trace_release(&st->trace);
        sl_free(st->names);
        for (size_t i = 0; i < st->nfiles; i++)
            sl_free(st->files[i]);
        sl_free(st->files);
        sl_free(st);
    }
    sl_free(sc->jobs);
    sc->jobs = NULL;
    sc->njobs = 0;
    sc->jobs_store = NULL;
}
