/*
 * The training source (see training.h): jobs submitted to the cluster
 * scheduler, their placement's speed and power, jobs.csv and the summary.
 *
 * Events: one pending submit event (the next job of sc->jobs, which is
 * sorted by submit time) and one end event per running job.  Every submit
 * and every end asks the scheduler what can start.  Memory is one struct
 * sl_tr_job per job, one word per card and a few per server.
 */
#include "workload/training.h"

#include "faults/hazard.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ends run before submits of the same instant, so a job that ends frees
 * its cards for one submitted then. */
#define PRIO_END       (SL_PRIO_LOAD - 1)
#define DISPATCH_BATCH 64

/* Index of the lowest set bit of m (m != 0). */
static size_t low_bit(uint64_t m)
{
#if defined(__GNUC__)
    return (size_t)__builtin_ctzll(m);
#else
    size_t k = 0;
    while (!(m >> k & 1))
        k++;
    return k;
#endif
}

/* Takes the lowest run of consecutive set bits off *m (!= 0): its first
 * bit in *lo, its length returned. */
static size_t take_run(uint64_t *m, size_t *lo)
{
    size_t l = low_bit(*m), len = 0;
    while (l + len < 64 && (*m >> (l + len) & 1))
        len++;
    *m &= len < 64 ? ~(((UINT64_C(1) << len) - 1) << l) : 0;
    *lo = l;
    return len;
}

static int enabled(const struct sl_scenario *sc)
{
    return sc->njobs > 0;
}

static const struct sl_pool_res *pool_of(const struct sl_training *t, size_t j)
{
    return &t->sc->pools[t->sc->jobs[j].pool];
}

/* The pool of server s (sc->pools are in server order). */
static size_t server_pool(const struct sl_training *t, size_t s)
{
    const struct sl_pool_res *pl = t->sc->pools;
    size_t lo = 0, hi = t->sc->npools;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)pl[mid].first_server <= s)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Whether pool p takes training. */
static int trains(const struct sl_training *t, size_t p)
{
    return t->sc->pools[p].use != SL_POOL_INFERENCE;
}

/* The scheduler partition of pool p: the first pool that takes training
 * with p's device (p itself when p does not take training). */
static size_t partition_of(const struct sl_training *t, size_t p)
{
    const struct sl_pool_res *pl = t->sc->pools;
    if (!trains(t, p))
        return p;
    for (size_t q = 0; q < p; q++)
        if (trains(t, q) && pl[q].device == pl[p].device)
            return q;
    return p;
}

/* Whether pool q is in partition part. */
static int in_partition(const struct sl_training *t, size_t q, size_t part)
{
    return trains(t, q) && partition_of(t, q) == part;
}

/* First fleet card of server s as the scheduler numbers its cards. */
static size_t card_base(const struct sl_training *t, size_t s)
{
    const struct sl_pool_res *p = &t->sc->pools[server_pool(t, s)];
    return (size_t)p->first_card + (s - (size_t)p->first_server) * (size_t)p->server->cards +
           t->off[s];
}

/* Accounts the busy cards up to now. */
static void busy_advance(struct sl_training *t, int64_t now_us)
{
    if (now_us > t->busy_last_us) {
        t->busy_card_us += (double)t->busy_cards * (double)(now_us - t->busy_last_us);
        t->busy_last_us = now_us;
    }
}

/* Brings job j's progress, tokens, FLOPs and energy up to now. */
static void job_advance(struct sl_training *t, size_t j, int64_t now_us)
{
    struct sl_tr_job *jb = &t->job[j];
    if (now_us <= jb->last_us)
        return;
    double dt_us = (double)(now_us - jb->last_us);
    double done_us = fmin(dt_us * jb->rate, jb->work_us);
    jb->work_us -= done_us;
    jb->full_us += done_us;
    double compute_s = done_us * 1e-6 * jb->compute_share;
    jb->tokens += jb->tokens_per_s * compute_s;
    jb->flop += jb->flops_per_s * compute_s;
    jb->energy_j += (double)t->sc->jobs[j].cards * jb->card_w * dt_us * 1e-6;
    jb->last_us = now_us;
}

/* The slowest speed over job j's cards; sets the job's card power. */
static double job_rate(struct sl_training *t, size_t j)
{
    size_t n;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &n);
    double r = 1.0;
    for (size_t k = 0; k < n; k++) {
        size_t base = card_base(t, a[k].server);
        for (uint64_t m = a[k].mask; m; m &= m - 1)
            r = fmin(r, sl_fleet_card_speed(t->fleet, base + low_bit(m)));
    }
    if (n > 0)
        t->job[j].card_w =
            sl_fleet_card_power_w(t->fleet, card_base(t, a[0].server) + low_bit(a[0].mask));
    return r > 0 ? r : 1e-9;
}

static int64_t projected_end(const struct sl_tr_job *jb, int64_t now_us)
{
    double left = ceil(jb->work_us / jb->rate);
    if (left < 1)
        left = jb->work_us > 0 ? 1 : 0;
    return now_us + (int64_t)left;
}

/* Locality of a gang of servers in pool p: blocks (leaves) spanned and the
 * scale-out bytes/s per card.  Without a fabric every server is its own
 * block and a card gets the device's default scale-out bandwidth. */
static int locality(struct sl_training *t, size_t pool, const size_t *srv, size_t n, size_t *blocks,
                    double *card_bw, struct sl_diag *d)
{
    const struct sl_pool_res *p = &t->sc->pools[pool];
    if (!t->w->has_fabric) {
        *blocks = n;
        *card_bw = sl_train_scaleout_default(p->device);
        return SL_OK;
    }
    struct sl_fabric_locality loc;
    int rc = sl_fabric_locality(&t->w->fabric, srv, n, (size_t)p->server->cards, &loc, d);
    if (rc != SL_OK)
        return rc;
    *blocks = loc.blocks;
    *card_bw = loc.card_bw;
    return SL_OK;
}

/* The spec of job-like (model, cards) on pool p at a scale-out bandwidth. */
static void make_spec(const struct sl_training *t, struct sl_train_spec *spec,
                      const struct sl_llm_model *m, int64_t cards, size_t pool, double bw)
{
    const struct sl_pool_res *p = &t->sc->pools[pool];
    const struct sl_training_cfg *tc = &t->sc->workload.training;
    sl_train_spec_default(spec, m, p->device, cards);
    spec->phases = &t->sc->phase_model;
    if (tc->seq > 0)
        spec->seq = tc->seq;
    if (tc->global_batch_tokens > 0)
        spec->global_batch_tokens = tc->global_batch_tokens;
    spec->precision = tc->precision;
    spec->server_cards = p->server->cards;
    spec->scaleout_bw = bw;
    spec->fabric_oversub = 1.0; /* the locality's card_bw has the leaf's oversubscription */
    spec->cap_w = 0;            /* the fleet applies caps */
}

/* The cached layout of job j on pool `pool` (evaluated on first use).
 * SL_OK or SL_ENOMEM; a job that fits no layout gets an entry with fit 0. */
static int layout_of(struct sl_training *t, size_t j, size_t pool, uint32_t *out)
{
    const struct sl_job_spec *js = &t->sc->jobs[j];
    for (size_t k = 0; k < t->nlay; k++) {
        const struct sl_tr_layout *l = &t->lay[k];
        if (l->model == js->model && l->cards == js->cards && l->pool == pool && l->tp == js->tp &&
            l->pp == js->pp && l->dp == js->dp) {
            *out = (uint32_t)k;
            return SL_OK;
        }
    }
    if (t->nlay == t->lay_cap) {
        size_t cap = t->lay_cap ? 2 * t->lay_cap : 16;
        struct sl_tr_layout *p = sl_realloc(t->lay, cap * sizeof *p);
        if (!p)
            return SL_ENOMEM;
        t->lay = p;
        t->lay_cap = cap;
    }
    struct sl_tr_layout *l = &t->lay[t->nlay];
    memset(l, 0, sizeof *l);
    l->model = js->model;
    l->cards = js->cards;
    l->pool = pool;
    l->tp = js->tp;
    l->pp = js->pp;
    l->dp = js->dp;
    /* The compact placement: the pool's first servers (and the next ones
     * when the job spans several pools of the partition). */
    const struct sl_pool_res *p = &t->sc->pools[pool];
    size_t k = (size_t)p->server->cards;
    size_t n = ((size_t)js->cards + k - 1) / k;
    if (n > t->fleet->nservers - (size_t)p->first_server)
        n = t->fleet->nservers - (size_t)p->first_server;
    for (size_t i = 0; i < n; i++)
        t->srv_scratch[i] = (size_t)p->first_server + i;
    size_t blocks;
    double bw;
    struct sl_diag d;
    if (locality(t, pool, t->srv_scratch, n, &blocks, &bw, &d) != SL_OK)
        bw = sl_train_scaleout_default(p->device);
    struct sl_train_spec spec;
    make_spec(t, &spec, js->model, js->cards, pool, bw);
    spec.tp = js->tp;
    spec.pp = js->pp;
    spec.dp = js->dp;
    t->evals++;
    int given = js->tp > 0 && js->pp > 0 && js->dp > 0 && js->model->experts == 0;
    if (given)
        spec.ep = 1;
    l->fit = (given ? sl_train_eval(&spec, &l->ref, &d)
                    : sl_train_best_layout(&spec, &l->ref, &d)) == SL_OK;
    if (!l->fit && given)
        l->fit = sl_train_best_layout(&spec, &l->ref, &d) == SL_OK;
    l->worst_step_s = l->ref.step_time_s;
    double worst = fmin(bw, t->worst_bw[pool]);
    if (l->fit && worst < bw) {
        struct sl_train_result r;
        spec.tp = l->ref.tp;
        spec.pp = l->ref.pp;
        spec.dp = l->ref.dp;
        spec.ep = l->ref.ep;
        spec.interleave = l->ref.interleave;
        spec.scaleout_bw = worst;
        t->evals++;
        if (sl_train_eval(&spec, &r, &d) == SL_OK)
            l->worst_step_s = fmax(r.step_time_s, l->ref.step_time_s);
    }
    *out = (uint32_t)t->nlay++;
    return SL_OK;
}

/* Checkpoint writes during compute_us of training. */
static double ckpt_stall_us(const struct sl_tr_job *jb, double compute_us)
{
    if (jb->ckpt_us <= 0 || jb->write_us <= 0)
        return 0;
    return floor(compute_us / jb->ckpt_us) * jb->write_us;
}

double sl_training_young_daly_us(double write_us, double mtti_h)
{
    double tau = sqrt(2 * fmax(write_us, 0) * fmax(mtti_h, 0) * 3.6e9);
    return isfinite(tau) && tau >= 1 ? tau : isfinite(tau) ? 1 : 0;
}

/* Mean time (h) between interruptions of a synchronous job on `cards`
 * cards over `servers` servers, from the scenario's failure rates
 * (faults/hazard.h), whether or not the failure source runs. */
static double job_mtti_h(const struct sl_training *t, int64_t cards, size_t servers)
{
    return sl_faults_job_mtti_h(&t->sc->failures, (size_t)cards, servers);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The rack of server s. */
static size_t rack_of(const struct sl_fleet *f, size_t s)
{
    const struct sl_fleet_pool *p = &f->pool[sl_fleet_server_pool(f, s)];
    return p->first_rack + (s - p->first_server) / (p->per_rack ? p->per_rack : 1);
}

/* Job j's exposure up to now_us, at the rate of its placement, while it
 * trains. */
static void exposure_accrue(struct sl_training *t, size_t j, int64_t now_us)
{
    struct sl_tr_job *jb = &t->job[j];
    if (jb->state == SL_TR_RUNNING && !jb->down && now_us > jb->exposure_us)
        for (int k = 0; k < SL_FC_COUNT; k++)
            jb->exposure[k] += jb->rate_ph[k] * (double)(now_us - jb->exposure_us) / 3.6e9;
    jb->exposure_us = now_us;
}

/* Job j (re)starts training at now_us on its allocation: the leaves, pods
 * and racks its servers span (servers sorted: blocks, pods and racks are
 * monotone in the server's number) and the failure rate there.
 * O(servers log servers). */
static void exposure_place(struct sl_training *t, size_t j, int64_t now_us)
{
    struct sl_tr_job *jb = &t->job[j];
    const struct sl_failures_cfg *c = &t->sc->failures;
    size_t na;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &na);
    int64_t cards = t->sc->jobs[j].cards;
    sl_faults_job_span_compact(c, (size_t)cards, na, &jb->span);
    for (size_t k = 0; k < na; k++)
        t->srv_scratch[k] = a[k].server;
    qsort(t->srv_scratch, na, sizeof *t->srv_scratch, cmp_size);
    const struct sl_fabric *f = t->w->has_fabric ? &t->w->fabric : NULL;
    size_t blocks = 0, pods = 0, racks = 0;
    size_t lb = SIZE_MAX, lp = SIZE_MAX, lr = SIZE_MAX;
    for (size_t k = 0; k < na; k++) {
        size_t s = t->srv_scratch[k];
        size_t r = rack_of(t->fleet, s);
        racks += r != lr;
        lr = r;
        if (f && s < f->nservers) {
            size_t b = sl_fabric_block_of(f, s);
            size_t p = sl_fabric_pod_of_block(f, b);
            blocks += b != lb;
            pods += p != lp;
            lb = b;
            lp = p;
        }
    }
    jb->span.racks = (double)racks;
    if (f && f->blocks > 0) {
        jb->span.leaves = (double)blocks * (double)f->leaves / (double)f->blocks;
        jb->span.pods = (double)pods;
    }
    for (int k = 0; k < SL_FC_COUNT; k++)
        jb->rate_ph[k] = sl_faults_span_class_rate_ph(c, &jb->span, k);
    jb->exposure_us = now_us;
}

double sl_training_expected_interruptions(const struct sl_training *t, size_t j, int k,
                                          int64_t now_us)
{
    const struct sl_tr_job *jb = &t->job[j];
    if (k >= SL_FC_COUNT)
        return 0;
    int running = jb->state == SL_TR_RUNNING && !jb->down && now_us > jb->exposure_us;
    double dt_h = running ? (double)(now_us - jb->exposure_us) / 3.6e9 : 0;
    double e = 0;
    for (int c = k < 0 ? 0 : k; c < (k < 0 ? SL_FC_COUNT : k + 1); c++)
        e += jb->exposure[c] + jb->rate_ph[c] * dt_h;
    return e;
}

/* Resolves job j's checkpoint interval and write time (Young/Daly for
 * SL_CKPT_AUTO, at the servers its cards fill in its pool). */
static void ckpt_resolve(struct sl_training *t, size_t j)
{
    const struct sl_job_spec *js = &t->sc->jobs[j];
    struct sl_tr_job *jb = &t->job[j];
    int64_t k = pool_of(t, j)->server->cards;
    size_t servers = (size_t)((js->cards + k - 1) / (k > 0 ? k : 1));
    jb->write_us = js->checkpoint_write_us > 0 ? (double)js->checkpoint_write_us : 0;
    if (js->checkpoint_write_us == SL_CKPT_WRITE_AUTO) {
        /* A spec built by hand (the loader resolves `auto`). */
        const struct sl_training_cfg *tc = &t->sc->workload.training;
        jb->write_us = 1e6 * sl_train_checkpoint_write_s(
                                 js->model, (double)servers, tc->checkpoint_bytes_per_param,
                                 tc->checkpoint_bw, (double)tc->checkpoint_latency_us * 1e-6);
    }
    if (js->checkpoint_us == SL_CKPT_AUTO)
        jb->ckpt_us = sl_training_young_daly_us(jb->write_us, job_mtti_h(t, js->cards, servers));
    else
        jb->ckpt_us = js->checkpoint_us > 0 ? (double)js->checkpoint_us : 0;
}

/* Run time at full speed of job j at a step time (s), with its layout's
 * tokens/s scaled to it. */
static double run_us_at(const struct sl_training *t, size_t j, const struct sl_tr_layout *l,
                        double step_s)
{
    const struct sl_job_spec *js = &t->sc->jobs[j];
    if (js->duration_us > 0)
        return l->fit ? (double)js->duration_us * step_s / l->ref.step_time_s
                      : (double)js->duration_us;
    double share = js->share > 0 ? js->share : 1.0;
    double tps = l->ref.tokens_per_s * l->ref.step_time_s / step_s * share;
    double compute_us = js->tokens / tps * 1e6;
    return compute_us + ckpt_stall_us(&t->job[j], compute_us);
}

/* The memory-agnostic compute-bound rate of job j (training.h): tokens/s,
 * with its model FLOP/s and MFU. */
static double fallback_tps(const struct sl_training *t, size_t j, double *flops_per_s, double *mfu)
{
    const struct sl_job_spec *js = &t->sc->jobs[j];
    const struct sl_device_model *dev = pool_of(t, j)->device;
    double share = js->share > 0 && js->share < 1 ? js->share : 1.0;
    struct sl_train_eff eff;
    sl_train_eff_default(dev, &eff);
    double total, act;
    sl_llm_params(js->model, &total, &act);
    double fl = dev->fp16_flops * eff.compute * (double)js->cards * share;
    *flops_per_s = fl;
    *mfu = eff.compute;
    return act > 0 ? fl / (6 * act) : 1;
}

static void on_end(struct sl_engine *eng, void *ctx, uint64_t arg);
static int own_cards(struct sl_training *t, size_t j, int64_t now_us, size_t srv, uint64_t mask,
                     int take);
static void job_set_load(struct sl_training *t, size_t j, int64_t now_us, int phase, double act);

/* Starts job j (placed by the scheduler) at now. */
static int start_job(struct sl_training *t, size_t j, int64_t now_us)
{
    const struct sl_job_spec *js = &t->sc->jobs[j];
    struct sl_tr_job *jb = &t->job[j];
    size_t na;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &na);
    int rc;
    /* The job's own pool: its first server's (the pool of its whole
     * servers); its spec and layout are that pool's. */
    size_t pool = na > 0 ? server_pool(t, a[0].server) : js->pool;
    const struct sl_pool_res *p = &t->sc->pools[pool];
    jb->pool = (uint32_t)pool;
    if ((rc = layout_of(t, j, pool, &jb->layout)) != SL_OK) {
        sl_world_fail(t->w, rc, "out of memory evaluating training jobs");
        return rc;
    }
    for (size_t k = 0; k < na; k++) {
        t->srv_scratch[k] = a[k].server;
        if ((rc = own_cards(t, j, now_us, a[k].server, a[k].mask, 1)) != SL_OK)
            return rc;
    }
    size_t blocks;
    double bw;
    struct sl_diag d;
    if ((rc = locality(t, pool, t->srv_scratch, na, &blocks, &bw, &d)) != SL_OK) {
        sl_world_fail(t->w, rc, "training job '%s': %s", js->name, d.msg);
        return rc;
    }
    jb->servers = (uint32_t)na;
    jb->leaves = (uint32_t)blocks;
    const struct sl_tr_layout *l = &t->lay[jb->layout];
    double share = js->share > 0 && js->share < 1 ? js->share : 1.0;
    struct sl_train_result r;
    double power_w, comm_w;
    const struct sl_device_model *dev = p->device;
    if (l->fit) {
        r = l->ref;
        struct sl_train_spec spec;
        make_spec(t, &spec, js->model, js->cards, pool, bw);
        spec.tp = l->ref.tp;
        spec.pp = l->ref.pp;
        spec.dp = l->ref.dp;
        spec.ep = l->ref.ep;
        spec.interleave = l->ref.interleave;
        t->evals++;
        if (sl_train_eval(&spec, &r, &d) != SL_OK)
            r = l->ref;
        jb->tp = (int32_t)r.tp;
        jb->pp = (int32_t)r.pp;
        jb->dp = (int32_t)r.dp;
        jb->tokens_per_s = r.tokens_per_s * share;
        jb->flops_per_s = r.tflops_per_device * 1e12 * (double)js->cards * share;
        jb->mfu = r.mfu;
        power_w = r.power_mean_w;
        comm_w = r.power_comm_w;
    } else {
        jb->unfit = 1;
        jb->tokens_per_s = fallback_tps(t, j, &jb->flops_per_s, &jb->mfu);
        power_w = sl_device_power_w(dev, &t->sc->phase_model, SL_PHASE_TRAIN_COMPUTE, 1.0, 0);
        comm_w = power_w;
        r.step_time_s = 1;
    }
    double run_us = l->fit ? run_us_at(t, j, l, r.step_time_s) : (double)js->duration_us;
    double compute_us = run_us;
    if (js->duration_us <= 0) {
        compute_us = js->tokens / jb->tokens_per_s * 1e6;
        run_us = compute_us + ckpt_stall_us(jb, compute_us);
    }
    jb->compute_share = run_us > 0 ? compute_us / run_us : 1;
    double mean_w = (compute_us * power_w + (run_us - compute_us) * comm_w) / run_us;
    double range_w =
        (dev->tdp_w - dev->idle_w) * t->sc->phase_model.activity[SL_PHASE_TRAIN_COMPUTE];
    double act = range_w > 0 ? (mean_w - dev->idle_w) / range_w : 0;
    act = fmin(fmax(act, 0), 1) * share;
    jb->activity = act;
    jb->start_us = now_us;
    jb->last_us = now_us;
    jb->work_us = ceil(run_us);
    jb->state = SL_TR_RUNNING;
    exposure_place(t, j, now_us);
    job_set_load(t, j, now_us, SL_PHASE_TRAIN_COMPUTE, act);
    jb->rate = job_rate(t, j);
    jb->end_us = projected_end(jb, now_us);
    busy_advance(t, now_us);
    t->busy_cards += (size_t)js->cards;
    int64_t bound = jb->start_us + jb->est_us;
    sl_sched_set_end(t->sched, (uint32_t)j, jb->end_us < bound ? jb->end_us : bound);
    if ((rc = sl_engine_schedule(&t->w->eng, jb->end_us, PRIO_END, on_end, t, j, &jb->end_ev)) !=
        SL_OK) {
        sl_world_fail(t->w, rc, "out of memory scheduling a training job's end");
        return rc;
    }
    return SL_OK;
}

static void dispatch(struct sl_training *t, int64_t now_us);

/* ---- Admission control (docs/model.md, "Power limits in a hierarchy,
 * ramps and admission") ---- */

static void on_power_retry(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_training *t = ctx;
    t->power_retry = 0;
    dispatch(t, sl_engine_now(eng));
}

/* The scheduler's gate: job j may start when the power manager admits its
 * cards at train-compute power above idle (an upper bound of its mean).
 * When refused, the job stays queued and the queue is asked again one
 * control interval later (one retry event at a time). */
static double job_add_w(const struct sl_training *t, uint32_t j)
{
    const struct sl_job_spec *js = &t->sc->jobs[j];
    const struct sl_device_model *dev = pool_of(t, j)->device;
    double share = js->share > 0 && js->share < 1 ? js->share : 1.0;
    return (double)js->cards * (dev->tdp_w - dev->idle_w) *
           t->sc->phase_model.activity[SL_PHASE_TRAIN_COMPUTE] * share;
}

static int power_gate(void *ctx, uint32_t j, int64_t now_us)
{
    struct sl_training *t = ctx;
    if (sl_world_admit(t->w, now_us, job_add_w(t, j))) {
        if (t->power_refused_us[j] >= 0) {
            t->power_wait_s += (double)(now_us - t->power_refused_us[j]) * 1e-6;
            t->power_refused_us[j] = -1;
        }
        return 1;
    }
    if (t->power_refused_us[j] < 0) {
        t->power_refused_us[j] = now_us;
        t->power_delayed_jobs++;
    }
    int64_t at = now_us + t->sc->power.control_interval_us;
    if (!t->power_retry && at < t->w->end_us) {
        if (sl_engine_schedule(&t->w->eng, at, SL_PRIO_LOAD, on_power_retry, t, 0, NULL) != SL_OK)
            sl_world_fail(t->w, SL_ENOMEM, "out of memory scheduling a training start");
        t->power_retry = 1;
    }
    return 0;
}

/* ---- Riding through failures (docs/model.md, "Training through
 * failures") ----
 *
 * A server of a running job goes down: the job is interrupted at once
 * (its cards go idle, its end is cancelled, the work since its last
 * completed checkpoint is lost), it notices after `detection`, then takes
 * healthy servers for the ones it lost (a hot spare, else free cards in
 * service; sl_sched_move) or waits until some are back, and trains again
 * `restart` later from its checkpoint. */

#define POLL_US (60 * INT64_C(1000000))

static unsigned down_bits(const struct sl_training *t, size_t s)
{
    return sl_fleet_server_down(t->fleet, s);
}

/* Whether server s cannot carry job j: failed or absent, or without its
 * fabric when the job spans several servers. */
static int bad_for(const struct sl_training *t, size_t j, size_t s)
{
    unsigned b = down_bits(t, s);
    return (b & SL_DOWN_OFF) || ((b & SL_DOWN_FABRIC) && t->job[j].servers > 1);
}

/* Brings the scheduler's view of down servers in line with the bits (it
 * never places on a server with any bit set), giving a server back in
 * service to the hot spares when its partition is short of them. */
static void sync_down(struct sl_training *t)
{
    if (!t->down_seen && sl_fleet_servers_down(t->fleet) == 0)
        return;
    t->down_seen = 1;
    const struct sl_training_cfg *tc = &t->sc->workload.training;
    for (size_t s = 0; s < t->fleet->nservers; s++) {
        if (!t->sched_cards[s])
            continue;
        int d = down_bits(t, s) != 0;
        if (d == sl_sched_server_down(t->sched, s))
            continue;
        if (sl_sched_set_down(t->sched, s, d) != SL_OK) {
            sl_world_fail(t->w, SL_ENOMEM, "out of memory marking a server down");
            return;
        }
        if (!d && tc->spare_servers > 0 &&
            sl_sched_spares(t->sched, t->part[s]) < (size_t)tc->spare_servers)
            (void)sl_sched_set_spare(t->sched, s, 1);
    }
}

/* Sets every card of job j to phase at activity act. */
static void job_set_load(struct sl_training *t, size_t j, int64_t now_us, int phase, double act)
{
    size_t na;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &na);
    for (size_t k = 0; k < na; k++) {
        size_t base = card_base(t, a[k].server), lo;
        for (uint64_t m = a[k].mask; m;) {
            size_t len = take_run(&m, &lo);
            sl_fleet_set_load(t->fleet, now_us, base + lo, len, phase, act);
        }
    }
}

/* Claims (take) or releases the cards mask of server srv for job j. */
static int own_cards(struct sl_training *t, size_t j, int64_t now_us, size_t srv, uint64_t mask,
                     int take)
{
    size_t base = card_base(t, srv), lo;
    for (uint64_t m = mask; m;) {
        size_t len = take_run(&m, &lo);
        if (take) {
            int rc = sl_fleet_claim(t->fleet, t->owner, base + lo, len);
            if (rc != SL_OK) {
                sl_world_fail(t->w, rc, "training job '%s' cannot claim cards %zu-%zu",
                              t->sc->jobs[j].name, base + lo, base + lo + len - 1);
                return rc;
            }
            /* Idle cards: their new limit moves no speed, so no one is told. */
            sl_fleet_set_tier(t->fleet, now_us, base + lo, len,
                              t->sc->jobs[j].priority > 0 ? SL_TIER_TRAINING : SL_TIER_BEST_EFFORT);
        } else {
            sl_fleet_release_cards(t->fleet, now_us, t->owner, base + lo, len);
        }
        for (size_t c = 0; c < len; c++)
            t->job_of[base + lo + c] = take ? (uint32_t)j : UINT32_MAX;
    }
    return SL_OK;
}

/* Replaces the servers of job j that cannot carry it by healthy ones.
 * Returns 1 when the job holds only good servers, 0 when some are missing
 * (the ones found are kept), -1 on a failed run. */
static int acquire(struct sl_training *t, size_t j, int64_t now_us)
{
    sync_down(t);
    size_t na;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &na);
    int ok = 1;
    for (size_t k = 0; k < na; k++) {
        if (!bad_for(t, j, a[k].server))
            continue;
        size_t old = a[k].server;
        uint64_t old_mask = a[k].mask;
        size_t to = sl_sched_move(t->sched, (uint32_t)j, k);
        if (to == SIZE_MAX) {
            ok = 0;
            continue;
        }
        if (own_cards(t, j, now_us, old, old_mask, 0) != SL_OK ||
            own_cards(t, j, now_us, to, a[k].mask, 1) != SL_OK)
            return -1;
        if (bad_for(t, j, to))
            ok = 0; /* not told of it yet; the next try moves it again */
    }
    return ok;
}

static void on_resume(struct sl_engine *eng, void *ctx, uint64_t arg);

static void schedule_down_ev(struct sl_training *t, size_t j, int64_t at, sl_event_fn fn)
{
    if (sl_engine_schedule(&t->w->eng, at, PRIO_END, fn, t, j, &t->job[j].down_ev) != SL_OK)
        sl_world_fail(t->w, SL_ENOMEM, "out of memory scheduling a training restart");
}

static void on_poll(struct sl_engine *eng, void *ctx, uint64_t arg);

/* Job j found no healthy servers: it waits (polled every POLL_US, and
 * tried again whenever cards are freed or a server of its comes back). */
static void wait_servers(struct sl_training *t, size_t j, int64_t now_us)
{
    t->job[j].down = 2;
    t->waiting[t->nwaiting++] = (uint32_t)j;
    if (!t->poll_pending && now_us + POLL_US < t->w->end_us) {
        if (sl_engine_schedule(&t->w->eng, now_us + POLL_US, PRIO_END, on_poll, t, 0, NULL) !=
            SL_OK) {
            sl_world_fail(t->w, SL_ENOMEM, "out of memory scheduling a training restart");
            return;
        }
        t->poll_pending = 1;
    }
}

/* Tries the waiting jobs again, in the order they started waiting. */
static void retry_waiting(struct sl_training *t, int64_t now_us)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nwaiting; i++) {
        uint32_t j = t->waiting[i];
        int r = acquire(t, j, now_us);
        if (r < 0)
            return;
        if (r == 1) {
            t->job[j].down = 1;
            schedule_down_ev(t, j, now_us + t->sc->workload.training.restart_us, on_resume);
        } else {
            t->waiting[n++] = j;
        }
    }
    t->nwaiting = n;
}

static void on_poll(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_training *t = ctx;
    int64_t now = sl_engine_now(eng);
    t->poll_pending = 0;
    retry_waiting(t, now);
    if (t->nwaiting > 0 && now + POLL_US < t->w->end_us) {
        if (sl_engine_schedule(eng, now + POLL_US, PRIO_END, on_poll, t, 0, NULL) != SL_OK) {
            sl_world_fail(t->w, SL_ENOMEM, "out of memory scheduling a training restart");
            return;
        }
        t->poll_pending = 1;
    }
}

/* Detection is over: take healthy servers, then restart. */
static void on_detect(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_training *t = ctx;
    int64_t now = sl_engine_now(eng);
    size_t j = (size_t)arg;
    int r = acquire(t, j, now);
    if (r < 0)
        return;
    if (r == 1)
        schedule_down_ev(t, j, now + t->sc->workload.training.restart_us, on_resume);
    else
        wait_servers(t, j, now);
}

/* The restart is over: the job trains again from its last checkpoint. */
static void on_resume(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_training *t = ctx;
    int64_t now = sl_engine_now(eng);
    size_t j = (size_t)arg;
    struct sl_tr_job *jb = &t->job[j];
    /* A restart puts the job's power back at once, like a start: with
     * admission control it waits, one control interval at a time, until
     * the manager admits it. */
    if (t->power_refused_us && !sl_world_admit(t->w, now, job_add_w(t, (uint32_t)j))) {
        if (!jb->restart_refused) {
            jb->restart_refused = 1;
            t->power_delayed_restarts++;
        }
        int64_t at = now + t->sc->power.control_interval_us;
        if (at < t->w->end_us)
            schedule_down_ev(t, j, at, on_resume);
        return;
    }
    jb->restart_refused = 0;
    int r = acquire(t, j, now); /* a server lost during the restart */
    if (r < 0)
        return;
    if (r == 0) {
        wait_servers(t, j, now);
        return;
    }
    job_advance(t, j, now);
    job_set_load(t, j, now, SL_PHASE_TRAIN_COMPUTE, jb->activity);
    jb->down = 0;
    jb->down_us += now - jb->down_since_us;
    exposure_place(t, j, now);
    jb->restarts++;
    t->restarts++;
    jb->seg_base_us = jb->full_us;
    jb->rate = job_rate(t, j);
    jb->end_us = projected_end(jb, now);
    int64_t bound = jb->start_us + jb->est_us;
    sl_sched_set_end(t->sched, (uint32_t)j, jb->end_us < bound ? jb->end_us : bound);
    if (sl_engine_schedule(eng, jb->end_us, PRIO_END, on_end, t, j, &jb->end_ev) != SL_OK)
        sl_world_fail(t->w, SL_ENOMEM, "out of memory scheduling a training job's end");
}

/* Checkpoints job j completed in its current segment (work since its last
 * (re)start). */
static double seg_ckpts(const struct sl_tr_job *jb)
{
    if (jb->ckpt_us <= 0)
        return 0;
    return floor((jb->full_us - jb->seg_base_us) / (jb->ckpt_us + jb->write_us));
}

/* Interrupts running job j at now_us. */
static void interrupt(struct sl_training *t, size_t j, int64_t now_us)
{
    struct sl_tr_job *jb = &t->job[j];
    if (jb->state != SL_TR_RUNNING || jb->down)
        return;
    job_advance(t, j, now_us);
    exposure_accrue(t, j, now_us);
    double n = seg_ckpts(jb);
    double kept = jb->ckpt_us > 0 ? n * (jb->ckpt_us + jb->write_us) : 0;
    double lost = fmax(jb->full_us - jb->seg_base_us - kept, 0);
    jb->ckpts += n;
    jb->full_us -= lost;
    jb->work_us += lost;
    jb->lost_us += lost;
    double lost_s = lost * 1e-6 * jb->compute_share;
    jb->tokens = fmax(jb->tokens - jb->tokens_per_s * lost_s, 0);
    jb->flop = fmax(jb->flop - jb->flops_per_s * lost_s, 0);
    jb->seg_base_us = jb->full_us;
    (void)sl_engine_cancel(&t->w->eng, jb->end_ev);
    /* The gang stops at once: its cards idle (a failed server is off). */
    job_set_load(t, j, now_us, SL_PHASE_IDLE, 0);
    size_t na;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &na);
    jb->card_w =
        na ? sl_fleet_card_power_w(t->fleet, card_base(t, a[0].server) + low_bit(a[0].mask)) : 0;
    jb->rate = 0;
    jb->down = 1;
    jb->down_since_us = now_us;
    jb->interruptions++;
    t->interruptions++;
    schedule_down_ev(t, j, now_us + t->sc->workload.training.detect_us, on_detect);
}

void sl_training_server_event(struct sl_training *t, int64_t now_us, size_t server,
                              unsigned down_before, unsigned down_now)
{
    (void)down_before;
    if (!t->sched || server >= t->fleet->nservers)
        return;
    t->down_seen = 1;
    if (t->sched_cards[server] && sl_sched_set_down(t->sched, server, down_now != 0) != SL_OK) {
        sl_world_fail(t->w, SL_ENOMEM, "out of memory marking a server down");
        return;
    }
    size_t base = card_base(t, server);
    uint32_t prev = UINT32_MAX;
    for (size_t c = 0; c < t->sched_cards[server]; c++) {
        uint32_t j = t->job_of[base + c];
        if (j == UINT32_MAX || j == prev)
            continue;
        prev = j;
        if (bad_for(t, j, server))
            interrupt(t, j, now_us);
    }
    if (down_now == 0 && t->nwaiting > 0)
        retry_waiting(t, now_us);
}

/* The fleet's availability callback (contract C3). */
static void avail_changed(void *ctx, int64_t now_us, size_t server, unsigned down_before,
                          unsigned down_now)
{
    sl_training_server_event(ctx, now_us, server, down_before, down_now);
}

static void dispatch(struct sl_training *t, int64_t now_us)
{
    size_t n;
    if (t->nwaiting > 0)
        retry_waiting(t, now_us); /* interrupted jobs before new ones */
    sync_down(t);
    do {
        n = sl_sched_dispatch(t->sched, now_us, t->dispatched, DISPATCH_BATCH);
        for (size_t k = 0; k < n; k++)
            if (start_job(t, t->dispatched[k], now_us) != SL_OK)
                return;
    } while (n == DISPATCH_BATCH);
}

static void on_end(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_training *t = ctx;
    int64_t now = sl_engine_now(eng);
    size_t j = (size_t)arg;
    struct sl_tr_job *jb = &t->job[j];
    const struct sl_job_spec *js = &t->sc->jobs[j];
    job_advance(t, j, now);
    exposure_accrue(t, j, now);
    if (js->duration_us <= 0)
        jb->tokens = js->tokens; /* exact, whatever the rounding of the end */
    size_t na;
    const struct sl_sched_alloc *a = sl_sched_alloc_of(t->sched, (uint32_t)j, &na);
    for (size_t k = 0; k < na; k++)
        own_cards(t, j, now, a[k].server, a[k].mask, 0); /* a release cannot fail */
    busy_advance(t, now);
    t->busy_cards -= (size_t)js->cards;
    sl_sched_finish(t->sched, (uint32_t)j, now);
    jb->end_us = now;
    jb->work_us = 0;
    jb->state = SL_TR_DONE;
    dispatch(t, now);
}

static void on_submit(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_training *t = ctx;
    int64_t now = sl_engine_now(eng);
    const struct sl_job_spec *jobs = t->sc->jobs;
    while (t->next_submit < t->njobs && jobs[t->next_submit].submit_us <= now) {
        size_t j = t->next_submit++;
        const struct sl_job_spec *js = &jobs[j];
        struct sl_tr_job *jb = &t->job[j];
        /* The upper bound over every pool of the partition the job may
         * start on (its first server is a largest server of the partition
         * or, for a job of one server, one with room for it). */
        size_t part = partition_of(t, js->pool);
        ckpt_resolve(t, j);
        int64_t kmax = 0;
        for (size_t q = 0; q < t->sc->npools; q++)
            if (in_partition(t, q, part) && t->sc->pools[q].server->cards > kmax)
                kmax = t->sc->pools[q].server->cards;
        int64_t need = js->cards < kmax ? js->cards : kmax;
        double est = 0;
        for (size_t q = 0; q < t->sc->npools; q++) {
            if (!in_partition(t, q, part) || t->sc->pools[q].server->cards < need)
                continue;
            uint32_t li;
            if (layout_of(t, j, q, &li) != SL_OK) {
                sl_world_fail(t->w, SL_ENOMEM, "out of memory evaluating training jobs");
                return;
            }
            const struct sl_tr_layout *l = &t->lay[li];
            double e = l->fit ? run_us_at(t, j, l, l->worst_step_s) : (double)js->duration_us;
            if (!l->fit && js->duration_us <= 0) {
                /* Token jobs that fit nothing are rejected at load; kept safe. */
                double fl, mfu, c_us = js->tokens / fallback_tps(t, j, &fl, &mfu) * 1e6;
                e = c_us + ckpt_stall_us(jb, c_us);
            }
            est = fmax(est, e);
        }
        jb->est_us = (int64_t)ceil(est * (1 + 1e-9)) + 2;
        jb->pool = (uint32_t)js->pool;
        struct sl_diag d;
        sl_diag_clear(&d);
        if (sl_sched_submit(t->sched, (uint32_t)j, (uint32_t)js->cards, (uint32_t)part,
                            js->priority, now, jb->est_us, &d) != SL_OK) {
            jb->state = SL_TR_REJECTED;
            continue;
        }
        jb->state = SL_TR_QUEUED;
    }
    dispatch(t, now);
    if (t->next_submit < t->njobs) {
        int64_t at = jobs[t->next_submit].submit_us;
        if (at < t->w->end_us &&
            sl_engine_schedule(eng, at, SL_PRIO_LOAD, on_submit, t, 0, NULL) != SL_OK)
            sl_world_fail(t->w, SL_ENOMEM, "out of memory scheduling a training job");
    }
}

/* A cap moved: the jobs on those cards go on at their slowest card's new
 * speed; their end moves. */
static void speed_changed(void *ctx, int64_t now_us, size_t first, size_t n)
{
    struct sl_training *t = ctx;
    uint32_t prev = UINT32_MAX;
    for (size_t c = first; c < first + n; c++) {
        uint32_t j = t->job_of[c];
        if (j == UINT32_MAX || j == prev)
            continue;
        prev = j;
        struct sl_tr_job *jb = &t->job[j];
        if (jb->down)
            continue; /* its cards are idle; the restart reads their speed */
        job_advance(t, j, now_us);
        jb->rate = job_rate(t, j);
        jb->end_us = projected_end(jb, now_us);
        int64_t bound = jb->start_us + jb->est_us;
        sl_sched_set_end(t->sched, j, jb->end_us < bound ? jb->end_us : bound);
        if (sl_engine_reschedule(&t->w->eng, jb->end_ev, jb->end_us) != SL_OK)
            sl_world_fail(t->w, SL_ESTATE, "training job '%s': its end cannot move",
                          t->sc->jobs[j].name);
    }
}

static int start(void *state, struct sl_world *w, struct sl_diag *d)
{
    struct sl_training *t = state;
    const struct sl_scenario *sc = w->sc;
    t->w = w;
    t->sc = sc;
    t->fleet = &w->fleet;
    t->njobs = sc->njobs;
    int rc = sl_fleet_add_owner(t->fleet, "training", speed_changed, t, &t->owner);
    if (rc != SL_OK)
        return sl_diag_set(d, rc, NULL, 0, 0, "the training jobs cannot own cards");
    size_t ns = t->fleet->nservers;
    t->job = sl_calloc(t->njobs, sizeof *t->job);
    t->job_of = sl_malloc(t->fleet->ncards * sizeof *t->job_of);
    t->off = sl_calloc(ns, 1);
    t->sched_cards = sl_calloc(ns, 1);
    t->part = sl_calloc(ns, sizeof *t->part);
    t->pool_cards = sl_calloc(sc->npools, sizeof *t->pool_cards);
    t->worst_bw = sl_calloc(sc->npools, sizeof *t->worst_bw);
    t->srv_scratch = sl_malloc((ns ? ns : 1) * sizeof *t->srv_scratch);
    t->dispatched = sl_malloc(DISPATCH_BATCH * sizeof *t->dispatched);
    if (!t->job || !t->job_of || !t->off || !t->sched_cards || !t->part || !t->pool_cards ||
        !t->worst_bw || !t->srv_scratch || !t->dispatched)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t c = 0; c < t->fleet->ncards; c++)
        t->job_of[c] = UINT32_MAX;
    for (size_t j = 0; j < t->njobs; j++)
        t->job[j].pool = (uint32_t)sc->jobs[j].pool;
    /* Schedulable cards: servers of training pools, the free cards after
     * any that an earlier source holds (inference claims from a server's
     * first card on). */
    for (size_t p = 0; p < sc->npools; p++) {
        const struct sl_pool_res *pl = &sc->pools[p];
        size_t k = (size_t)pl->server->cards;
        for (size_t s = (size_t)pl->first_server; s < (size_t)(pl->first_server + pl->servers);
             s++) {
            t->part[s] = (uint32_t)partition_of(t, p);
            if (pl->use == SL_POOL_INFERENCE)
                continue;
            size_t base = (size_t)pl->first_card + (s - (size_t)pl->first_server) * k;
            size_t free_tail = 0;
            while (free_tail < k && t->fleet->card[base + k - 1 - free_tail].owner == 0)
                free_tail++;
            t->off[s] = (uint8_t)(k - free_tail);
            t->sched_cards[s] = (uint8_t)free_tail;
            t->pool_cards[p] += (double)free_tail;
        }
        /* The worst scale-out bandwidth: a gang of two full blocks (each
         * block's uplinks shared by all its servers). */
        double bw = sl_train_scaleout_default(pl->device);
        if (w->has_fabric) {
            struct sl_fabric *f = &w->fabric;
            size_t nb = 0;
            struct sl_fabric_locality loc;
            struct sl_diag d2;
            t->srv_scratch[nb++] = (size_t)pl->first_server;
            if (sl_fabric_locality(f, t->srv_scratch, 1, k, &loc, &d2) == SL_OK)
                bw = loc.card_bw;
            size_t b0 = sl_fabric_block_of(f, (size_t)pl->first_server);
            if (b0 + 1 < f->blocks) {
                nb = 0;
                for (size_t b = b0; b < b0 + 2; b++)
                    for (size_t i = 0; i < sl_fabric_block_count(f, b); i++)
                        t->srv_scratch[nb++] = sl_fabric_block_first(f, b) + i;
                if (sl_fabric_locality(f, t->srv_scratch, nb, k, &loc, &d2) == SL_OK)
                    bw = fmin(bw, loc.card_bw);
            }
        }
        t->worst_bw[p] = bw;
    }
    /* A partition's worst bandwidth is its pools' lowest (kept in each of
     * its pools' entries). */
    for (size_t p = 0; p < sc->npools; p++)
        if (trains(t, p) && partition_of(t, p) != p)
            t->worst_bw[partition_of(t, p)] = fmin(t->worst_bw[partition_of(t, p)], t->worst_bw[p]);
    for (size_t p = 0; p < sc->npools; p++)
        if (trains(t, p))
            t->worst_bw[p] = t->worst_bw[partition_of(t, p)];
    const struct sl_training_cfg *tc = &sc->workload.training;
    if ((rc = sl_sched_new(&t->sched, tc->queue, tc->placement, w->has_fabric ? &w->fabric : NULL,
                           ns, t->sched_cards, t->part, t->njobs, d)) != SL_OK)
        return rc;
    /* Failures: told of the servers where jobs hold cards, the waiting
     * list, and the hot spares (the last whole servers of each
     * partition). */
    if ((rc = sl_fleet_set_avail_fn(t->fleet, t->owner, avail_changed)) != SL_OK)
        return sl_diag_set(d, rc, NULL, 0, 0, "the training jobs cannot follow failures");
    t->waiting = sl_malloc((t->njobs ? t->njobs : 1) * sizeof *t->waiting);
    if (!t->waiting)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (tc->spare_servers > 0)
        for (size_t s = ns; s-- > 0;)
            if (t->sched_cards[s] &&
                sl_sched_spares(t->sched, t->part[s]) < (size_t)tc->spare_servers)
                (void)sl_sched_set_spare(t->sched, s, 1);
    if (sc->power.admission) {
        if (!(t->power_refused_us = sl_malloc((t->njobs ? t->njobs : 1) * sizeof(int64_t))))
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        for (size_t j = 0; j < t->njobs; j++)
            t->power_refused_us[j] = -1;
        sl_sched_set_gate(t->sched, power_gate, t);
    }
    if (w->out_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/jobs.csv", w->out_dir);
        if ((rc = sl_outfile_open(&t->log, path, d)) != SL_OK)
            return rc;
        t->logging = 1;
    }
    if (t->njobs > 0 && sc->jobs[0].submit_us < w->end_us &&
        sl_engine_schedule(&w->eng, sc->jobs[0].submit_us, SL_PRIO_LOAD, on_submit, t, 0, NULL) !=
            SL_OK)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return SL_OK;
}

static void release(void *state)
{
    struct sl_training *t = state;
    if (t->sched)
        sl_sched_free(t->sched);
    sl_free(t->job);
    sl_free(t->job_of);
    sl_free(t->off);
    sl_free(t->sched_cards);
    sl_free(t->part);
    sl_free(t->pool_cards);
    sl_free(t->worst_bw);
    sl_free(t->srv_scratch);
    sl_free(t->dispatched);
    sl_free(t->lay);
    sl_free(t->power_refused_us);
    sl_free(t->waiting);
    sl_outfile_abort(&t->log);
    memset(t, 0, sizeof *t);
}

static const char *const columns[] = {"training_cards_busy", "jobs_queued", "jobs_running"};

static void sample(void *state, const struct sl_world *w, int64_t t0_us, int64_t t1_us,
                   double *values)
{
    (void)w;
    struct sl_training *t = state;
    busy_advance(t, t1_us);
    values[0] = (t->busy_card_us - t->busy_sampled) / (double)(t1_us - t0_us);
    t->busy_sampled = t->busy_card_us;
    values[1] = t->sched ? (double)sl_sched_queued(t->sched) : 0;
    values[2] = t->sched ? (double)sl_sched_running(t->sched) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Summary metrics of the jobs of pool (SIZE_MAX: all) under prefix. */
static int add_metrics(struct sl_training *t, struct sl_summary *s, const char *prefix, size_t pool,
                       double *waits)
{
    const struct sl_scenario *sc = t->sc;
    double end_s = (double)t->w->end_us * 1e-6;
    double submitted = 0, started = 0, completed = 0, card_s = 0, wait_sum = 0, jct_sum = 0;
    double tokens = 0, flop = 0, mfu_w = 0, energy_j = 0, sched_cards = 0;
    double ran_card_us = 0, full_card_us = 0; /* for the slowdown */
    double prod_us = 0, held_us = 0, prod_card_us = 0, held_card_us = 0, lost_card_us = 0;
    double ckpts = 0, interruptions = 0, restarts = 0;
    size_t nw = 0, unfit = 0, rejected = 0;
    for (size_t j = 0; j < t->njobs; j++) {
        const struct sl_job_spec *js = &sc->jobs[j];
        const struct sl_tr_job *jb = &t->job[j];
        if (pool != SIZE_MAX && jb->pool != pool)
            continue;
        if (jb->state == SL_TR_FUTURE)
            continue;
        submitted++;
        rejected += jb->state == SL_TR_REJECTED;
        if (jb->state != SL_TR_RUNNING && jb->state != SL_TR_DONE)
            continue;
        started++;
        unfit += jb->unfit;
        double wait = (double)(jb->start_us - js->submit_us) * 1e-6;
        wait_sum += wait;
        waits[nw++] = wait;
        double held = (jb->state == SL_TR_DONE ? (double)jb->end_us * 1e-6 : end_s) -
                      (double)jb->start_us * 1e-6;
        double cs = held * (double)js->cards;
        card_s += cs;
        mfu_w += jb->mfu * cs;
        tokens += jb->tokens;
        flop += jb->flop;
        /* Failures aside: time down and work lost are not a power limit's. */
        double down_to_last = (double)jb->down_us;
        if (jb->down)
            down_to_last += (double)(jb->last_us - jb->down_since_us);
        ran_card_us += ((double)(jb->last_us - jb->start_us) - down_to_last) * (double)js->cards;
        full_card_us += (jb->full_us + jb->lost_us) * (double)js->cards;
        energy_j += jb->energy_j;
        {
            /* Riding through failures: productive time is the kept work
             * less the checkpoint writes in it, in wall time: at full
             * speed scaled by the job's own slowdown (time running over
             * the full-speed time of the work done and lost), so that a
             * power limit slows the job (training.slowdown) without
             * counting against its ETTR. */
            int64_t stop = jb->state == SL_TR_DONE ? jb->end_us : t->w->end_us;
            double held_j = (double)(stop - jb->start_us);
            double down = (double)jb->down_us;
            if (jb->down)
                down += (double)(stop - jb->down_since_us);
            double n = jb->ckpts + (jb->down ? 0 : seg_ckpts(jb));
            double worked = jb->full_us + jb->lost_us, ran = held_j - down;
            double slow = worked > 0 && ran > worked ? ran / worked : 1;
            double prod = fmin(fmax(jb->full_us - n * jb->write_us, 0) * slow, held_j);
            prod_us += prod;
            held_us += held_j;
            prod_card_us += prod * (double)js->cards;
            held_card_us += held_j * (double)js->cards;
            lost_card_us += (jb->lost_us + down) * (double)js->cards;
            ckpts += n;
            interruptions += jb->interruptions;
            restarts += jb->restarts;
        }
        if (jb->state == SL_TR_DONE) {
            completed++;
            jct_sum += (double)(jb->end_us - js->submit_us) * 1e-6;
        }
    }
    for (size_t p = 0; p < sc->npools; p++)
        if (pool == SIZE_MAX || p == pool)
            sched_cards += t->pool_cards[p];
    qsort(waits, nw, sizeof *waits, cmp_double);
    double p95 = 0;
    if (nw > 0) {
        size_t r = (size_t)ceil(0.95 * (double)nw);
        p95 = waits[r > 0 ? r - 1 : 0];
    }
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
            rc = sl_summary_int(s, key, (int64_t)(v));                                             \
    } while (0)
    INT("jobs_submitted", submitted);
    INT("jobs_started", started);
    INT("jobs_completed", completed);
    INT("jobs_rejected", rejected);
    INT("jobs_no_layout", unfit);
    NUM("card_hours", card_s / 3600);
    NUM("utilization", sched_cards > 0 && end_s > 0 ? card_s / (sched_cards * end_s) : 0);
    NUM("mean_wait_s", nw > 0 ? wait_sum / (double)nw : 0);
    NUM("p95_wait_s", p95);
    NUM("mean_jct_s", completed > 0 ? jct_sum / completed : 0);
    NUM("tokens", tokens);
    NUM("pflop", flop * 1e-15);
    NUM("mfu", card_s > 0 ? mfu_w / card_s : 0);
    NUM("energy_mwh", energy_j / 3.6e9);
    NUM("slowdown", full_card_us > 0 ? ran_card_us / full_card_us : 1);
    NUM("ettr", held_us > 0 ? prod_us / held_us : 0);
    NUM("goodput", held_card_us > 0 ? prod_card_us / held_card_us : 0);
    NUM("lost_card_h", lost_card_us / 3.6e9);
    INT("interruptions", interruptions);
    INT("restarts", restarts);
    INT("checkpoints", ckpts);
#undef NUM
#undef INT
    return rc;
}

static void csv_field(FILE *f, const char *v)
{
    if (!v)
        v = "";
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static const char *const state_names[] = {"unsubmitted", "queued", "running", "completed",
                                          "rejected"};

static void write_jobs(struct sl_training *t)
{
    FILE *f = t->log.f;
    const struct sl_scenario *sc = t->sc;
    fputs("name,tenant,model,pool,cards,submit_s,start_s,end_s,wait_s,jct_s,leaves,servers,tp,pp,"
          "dp,tokens,tokens_per_s,mfu,energy_kwh,state\n",
          f);
    for (size_t j = 0; j < t->njobs; j++) {
        const struct sl_job_spec *js = &sc->jobs[j];
        const struct sl_tr_job *jb = &t->job[j];
        csv_field(f, js->name);
        fputc(',', f);
        csv_field(f, js->tenant);
        fputc(',', f);
        csv_field(f, js->model ? js->model->name : NULL);
        fputc(',', f);
        csv_field(f, sc->pools[jb->pool].name);
        fprintf(f, ",%lld,%.6f,", (long long)js->cards, (double)js->submit_us * 1e-6);
        int started = jb->state == SL_TR_RUNNING || jb->state == SL_TR_DONE;
        if (started)
            fprintf(f, "%.6f", (double)jb->start_us * 1e-6);
        fputc(',', f);
        if (jb->state == SL_TR_DONE)
            fprintf(f, "%.6f", (double)jb->end_us * 1e-6);
        fputc(',', f);
        if (started)
            fprintf(f, "%.6f", (double)(jb->start_us - js->submit_us) * 1e-6);
        fputc(',', f);
        if (jb->state == SL_TR_DONE)
            fprintf(f, "%.6f", (double)(jb->end_us - js->submit_us) * 1e-6);
        if (started)
            fprintf(f, ",%u,%u,%d,%d,%d,%.1f,%.9g,%.4f,%.6f,", jb->leaves, jb->servers, jb->tp,
                    jb->pp, jb->dp, jb->tokens, jb->tokens_per_s, jb->mfu, jb->energy_j / 3.6e6);
        else
            fputs(",,,,,,,,,,", f);
        fputs(state_names[jb->state], f);
        fputc('\n', f);
    }
}

static int summary(void *state, const struct sl_world *w, struct sl_summary *s)
{
    struct sl_training *t = state;
    for (size_t j = 0; j < t->njobs; j++)
        if (t->job[j].state == SL_TR_RUNNING)
            job_advance(t, j, w->end_us);
    busy_advance(t, w->end_us);
    double *waits = sl_malloc((t->njobs ? t->njobs : 1) * sizeof *waits);
    if (!waits)
        return SL_ENOMEM;
    int rc = add_metrics(t, s, "training", SIZE_MAX, waits);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "training.layout_evals", (int64_t)t->evals);
    if (rc == SL_OK && t->power_refused_us) {
        /* Jobs still waiting for power at the end waited until then. */
        for (size_t j = 0; j < t->njobs; j++)
            if (t->power_refused_us[j] >= 0) {
                t->power_wait_s += (double)(w->end_us - t->power_refused_us[j]) * 1e-6;
                t->power_refused_us[j] = -1;
            }
        rc = sl_summary_num(s, "training.power_wait_s", t->power_wait_s);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "training.power_delayed_jobs", (int64_t)t->power_delayed_jobs);
        if (rc == SL_OK)
            rc = sl_summary_int(s, "training.power_delayed_restarts",
                                (int64_t)t->power_delayed_restarts);
    }
    for (size_t p = 0; rc == SL_OK && t->sc->npools > 1 && p < t->sc->npools; p++) {
        if (t->sc->pools[p].use == SL_POOL_INFERENCE)
            continue;
        char prefix[200];
        snprintf(prefix, sizeof prefix, "training.pools.%s", t->sc->pools[p].name);
        rc = add_metrics(t, s, prefix, p, waits);
    }
    sl_free(waits);
    if (rc == SL_OK && t->logging) {
        struct sl_diag d;
        write_jobs(t);
        t->logging = 0;
        if (sl_outfile_commit(&t->log, &d) != SL_OK)
            return d.code ? d.code : SL_EIO;
    }
    return rc;
}

const struct sl_source_ops sl_training_source = {
    .name = "training",
    .state_size = sizeof(struct sl_training),
    .enabled = enabled,
    .start = start,
    .release = release,
    .ncolumns = 3,
    .columns = columns,
    .sample = sample,
    .summary = summary,
};
