/*
 * Request fidelity: every request, every iteration of every replica (the
 * model is described in inference.h).
 *
 * State per request (struct sl_inf_req, a pool linked by index): while
 * waiting it sits in its replica's FIFO; once admitted it is in the
 * replica's run array, first prefilling (in the prefill list, `need`
 * tokens, `prefilled` of them done), then decoding.  A decoding sequence's
 * generated count is not updated per step: it is gen0 + (dstep - dstep0),
 * the replica's decode steps since it started decoding, so a stretch of k
 * decode steps costs O(1) plus its completions, which a min-heap on the
 * finishing step (lazy deletion by version) yields in order.  KV tokens of
 * a decoding sequence = prompt + generated; the replica's ctx_sum and
 * kv_used are the sums over its sequences.
 */
#include "workload/inference.h"

#include "suanli/alloc.h"

#include <math.h>
#include <string.h>

#define NIL UINT32_MAX

static void on_step(struct sl_engine *eng, void *ctx, uint64_t arg);
static void step_begin(struct sl_inf_service *s, struct sl_inf_replica *rp, int64_t now);

/* ---- request pool --------------------------------------------------- */

static uint32_t req_alloc(struct sl_inference *inf)
{
    if (inf->free_head != NIL) {
        uint32_t i = inf->free_head;
        inf->free_head = inf->req[i].next;
        return i;
    }
    if (inf->nreq == inf->capreq) {
        uint32_t cap = inf->capreq ? inf->capreq * 2 : 1024;
        if (cap > (UINT32_MAX - 1) / 2)
            return NIL;
        struct sl_inf_req *nr = sl_reallocarray(inf->req, cap, sizeof *nr);
        if (!nr)
            return NIL;
        inf->req = nr;
        inf->capreq = cap;
    }
    return inf->nreq++;
}

static void req_free(struct sl_inference *inf, uint32_t i)
{
    inf->req[i].next = inf->free_head;
    inf->free_head = i;
}

/* ---- queues ---------------------------------------------------------- */

static void wait_push_back(struct sl_inference *inf, struct sl_inf_replica *rp, uint32_t q)
{
    inf->req[q].next = NIL;
    if (rp->wait_tail == NIL)
        rp->wait_head = q;
    else
        inf->req[rp->wait_tail].next = q;
    rp->wait_tail = q;
    rp->nwait++;
}

static void wait_push_front(struct sl_inference *inf, struct sl_inf_replica *rp, uint32_t q)
{
    inf->req[q].next = rp->wait_head;
    rp->wait_head = q;
    if (rp->wait_tail == NIL)
        rp->wait_tail = q;
    rp->nwait++;
}

static uint32_t wait_pop(struct sl_inference *inf, struct sl_inf_replica *rp)
{
    uint32_t q = rp->wait_head;
    rp->wait_head = inf->req[q].next;
    if (rp->wait_head == NIL)
        rp->wait_tail = NIL;
    rp->nwait--;
    return q;
}

/* ---- completion heap ------------------------------------------------- */

static int due_less(const struct sl_inf_due *a, const struct sl_inf_due *b)
{
    return a->step < b->step || (a->step == b->step && a->req < b->req);
}

static int due_push(struct sl_inf_replica *rp, uint64_t step, uint32_t req, uint32_t version)
{
    if (rp->ndue == rp->capdue) {
        size_t cap = rp->capdue ? rp->capdue * 2 : 64;
        struct sl_inf_due *nd = sl_reallocarray(rp->due, cap, sizeof *nd);
        if (!nd)
            return SL_ENOMEM;
        rp->due = nd;
        rp->capdue = cap;
    }
    size_t i = rp->ndue++;
    struct sl_inf_due e = {step, req, version};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!due_less(&e, &rp->due[p]))
            break;
        rp->due[i] = rp->due[p];
        i = p;
    }
    rp->due[i] = e;
    return SL_OK;
}

static void due_pop(struct sl_inf_replica *rp)
{
    struct sl_inf_due last = rp->due[--rp->ndue];
    size_t i = 0, n = rp->ndue;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && due_less(&rp->due[c + 1], &rp->due[c]))
            c++;
        if (!due_less(&rp->due[c], &last))
            break;
        rp->due[i] = rp->due[c];
        i = c;
    }
    if (n > 0)
        rp->due[i] = last;
}

/* Drops stale entries (preempted sequences) from the top. */
static void due_clean(struct sl_inference *inf, struct sl_inf_replica *rp)
{
    while (rp->ndue > 0 && rp->due[0].version != inf->req[rp->due[0].req].version)
        due_pop(rp);
}

/* ---- sequences --------------------------------------------------------- */

static int32_t generated_now(struct sl_inference *inf, const struct sl_inf_replica *rp, uint32_t q)
{
    const struct sl_inf_req *r = &inf->req[q];
    return r->gen0 + (int32_t)(rp->dstep - r->dstep0);
}

static void run_remove(struct sl_inference *inf, struct sl_inf_replica *rp, uint32_t q)
{
    uint32_t pos = inf->req[q].run_pos;
    uint32_t last = rp->run[--rp->nrun];
    rp->run[pos] = last;
    inf->req[last].run_pos = pos;
}

static void set_phase(struct sl_inf_service *s, struct sl_inf_replica *rp, int64_t now, int phase)
{
    if (rp->phase == phase)
        return;
    rp->phase = phase;
    sl_fleet_set_load(s->inf->fleet, now, rp->card0, (size_t)s->cfg->tp, phase,
                      phase == SL_PHASE_IDLE ? 0.0 : 1.0);
}

static int64_t dur_us(double s)
{
    double us = floor(s * 1e6 + 0.5);
    return us < 1 ? 1 : (int64_t)us;
}

static void fail_nomem(struct sl_inf_service *s)
{
    sl_world_fail(s->inf->w, SL_ENOMEM, "out of memory in inference service '%s'", s->cfg->name);
}

/* A decoding sequence is done: metrics, free its KV and slot. */
static void finish_seq(struct sl_inf_service *s, struct sl_inf_replica *rp, uint32_t q, int64_t now)
{
    struct sl_inference *inf = s->inf;
    struct sl_inf_req *r = &inf->req[q];
    double kv = (double)r->prompt + (double)r->output;
    rp->ctx_sum -= kv;
    rp->kv_used -= kv;
    rp->ndecode--;
    run_remove(inf, rp, q);
    sl__inf_complete(s, r->arrive_us, r->first_us, now, r->prompt, r->output, r->id,
                     (size_t)(rp - s->rep), r->preempted);
    req_free(inf, q);
}

/* Preempts the most recently admitted sequence (recompute): it gives up
 * its KV and waits at the head of the queue to prefill prompt + generated
 * again.  Returns 0 when nothing can be preempted. */
static int preempt_newest(struct sl_inf_service *s, struct sl_inf_replica *rp)
{
    struct sl_inference *inf = s->inf;
    if (rp->nrun <= 1)
        return 0;
    uint32_t best = NIL;
    for (uint32_t i = 0; i < rp->nrun; i++) {
        uint32_t q = rp->run[i];
        if (best == NIL || inf->req[q].admit_seq > inf->req[best].admit_seq)
            best = q;
    }
    struct sl_inf_req *r = &inf->req[best];
    if (r->prefilled < r->need || r->chunk > 0) {
        /* still prefilling: drop its reservation and what it prefilled */
        rp->kv_used -= (double)r->need;
        rp->outstanding += (double)r->prefilled;
        /* unlink from the prefill list: rebuilt from run[] order below */
    } else {
        int32_t gen = generated_now(inf, rp, best);
        double kv = (double)r->prompt + (double)gen;
        rp->ctx_sum -= kv;
        rp->kv_used -= kv;
        rp->ndecode--;
        r->generated = gen;
        r->version++;
        rp->outstanding += kv;
    }
    run_remove(inf, rp, best);
    r->need = r->prompt + r->generated;
    r->prefilled = 0;
    r->chunk = 0;
    r->preempted++;
    s->m.preemptions += 1;
    inf->total.preemptions += 1;
    wait_push_front(inf, rp, best);
    return 1;
}

/* ---- steps ------------------------------------------------------------- */

/* Whether the head of the queue could be admitted now.  reserve is KV the
 * step will add besides the prompt: one token per decoding sequence when
 * the step also decodes (chunked prefill), and the first token of each
 * prompt that completes in the step. */
static int can_admit(const struct sl_inf_service *s, const struct sl_inf_replica *rp, double budget,
                     double reserve)
{
    const struct sl_inf_req *r;
    if (rp->wait_head == NIL || rp->nrun >= (uint32_t)s->cfg->max_batch || !(budget > 0))
        return 0;
    r = &s->inf->req[rp->wait_head];
    return rp->kv_used + reserve + (double)r->need + 1 <= s->kv_cap;
}

/* The prefix cache: the key of block k of request r (its tile in the high
 * half, so the copies of a repeated trace do not share prefixes). */
static uint64_t block_key(const struct sl_inf_service *s, const struct sl_inf_req *r, uint32_t k)
{
    return (uint64_t)r->tile << 32 | s->gen.trace->hash[r->hash_first + k];
}

/* Prompt tokens of r whose KV the replica still holds from earlier
 * requests: its leading blocks found in the cache (at most need - 1, so a
 * step always computes the last token); counted as cached tokens. */
static int32_t prefix_hits(struct sl_inf_service *s, struct sl_inf_replica *rp,
                           const struct sl_inf_req *r)
{
    if (!rp->pcache.cap || r->hash_n == 0)
        return 0;
    uint32_t hits = 0;
    while (hits < r->hash_n && sl_pcache_hit(&rp->pcache, block_key(s, r, hits)))
        hits++;
    double block = (double)s->cfg->prefix_block;
    double cached = fmin((double)hits * block, (double)r->need - 1);
    if (cached <= 0)
        return 0;
    s->m.cached_tokens += cached;
    s->inf->total.cached_tokens += cached;
    rp->outstanding -= cached;
    return (int32_t)cached;
}

/* End of a decode stretch of k steps from (t0, ctx): the boundary times
 * are the running sums of rounded step times. */
static int64_t stretch_end(const struct sl_inf_replica *rp, int64_t t0, double ctx, uint64_t k,
                           int64_t stop_at, uint64_t *k_out)
{
    struct sl_perf_batch b = {rp->ndecode, ctx, 0, 0};
    int64_t t = t0;
    uint64_t i = 0;
    while (i < k) {
        t += dur_us(sl_perf_step_s(&rp->perf, &b));
        b.decode_ctx += (double)rp->ndecode;
        i++;
        if (t >= stop_at)
            break;
    }
    *k_out = i;
    return t;
}

static void schedule_end(struct sl_inf_service *s, struct sl_inf_replica *rp, int64_t end)
{
    rp->busy = 1;
    rp->step_end_us = end;
    if (sl_engine_schedule(&s->inf->w->eng, end, SL_PRIO_LOAD, on_step, s, (uint64_t)(rp - s->rep),
                           &rp->event) != SL_OK)
        fail_nomem(s);
}

/* Plans the replica's next step at now (it is not busy). */
static void step_begin(struct sl_inf_service *s, struct sl_inf_replica *rp, int64_t now)
{
    struct sl_inference *inf = s->inf;
    const struct sl_service_cfg *c = s->cfg;
    double budget = (double)c->max_batch_tokens;
    int chunked = c->chunked_prefill;
    /* KV for one more token per decoding sequence. */
    while (rp->ndecode > 0 && rp->kv_used + (double)rp->ndecode > s->kv_cap &&
           preempt_newest(s, rp))
        ;
    struct sl_perf_batch b = {0, 0, 0, 0};
    if (chunked) {
        b.decode = rp->ndecode;
        b.decode_ctx = rp->ctx_sum;
        budget -= (double)rp->ndecode;
    }
    double reserve = chunked ? (double)rp->ndecode : 0;
    /* Prompt chunks: admitted sequences still prefilling (chunked prefill
     * only; without it a prefill completes in its step), then new
     * admissions, first come first served. */
    int64_t tokens = 0;
    for (uint32_t i = 0; chunked && i < rp->nrun && budget > 0; i++) {
        struct sl_inf_req *r = &inf->req[rp->run[i]];
        if (r->prefilled >= r->need)
            continue;
        int32_t left = r->need - r->prefilled;
        int32_t ch = (double)left <= budget ? left : (int32_t)budget;
        r->chunk = ch;
        tokens += ch;
        b.prefill_attn += (double)ch * (double)r->prefilled + 0.5 * (double)ch * (double)(ch + 1);
        budget -= ch;
        if (ch >= left)
            reserve += 1; /* its first token, at the step's end */
    }
    while (can_admit(s, rp, budget, reserve)) {
        struct sl_inf_req *r = &inf->req[rp->wait_head];
        if (!chunked && tokens > 0 && (double)(tokens + r->need) > budget)
            break;
        if (rp->nrun == rp->caprun) {
            /* grown on demand: a large max_batch on many replicas must not
             * cost max_batch slots each up front */
            uint32_t cap = rp->caprun * 2;
            if (cap > (uint32_t)c->max_batch)
                cap = (uint32_t)c->max_batch;
            uint32_t *nr = sl_reallocarray(rp->run, cap, sizeof *nr);
            if (!nr) {
                fail_nomem(s);
                break;
            }
            rp->run = nr;
            rp->caprun = cap;
        }
        uint32_t q = wait_pop(inf, rp);
        r = &inf->req[q];
        r->run_pos = rp->nrun;
        rp->run[rp->nrun++] = q;
        r->admit_seq = ++inf->admit_seq;
        r->prefilled = prefix_hits(s, rp, r);
        rp->kv_used += (double)r->need;
        int32_t left = r->need - r->prefilled;
        int32_t ch = chunked && (double)left > budget ? (int32_t)budget : left;
        r->chunk = ch;
        tokens += ch;
        b.prefill_attn += (double)ch * (double)r->prefilled + 0.5 * (double)ch * (double)(ch + 1);
        if (ch >= left)
            reserve += 1; /* its first token, at the step's end */
        if (chunked)
            budget -= ch;
    }
    if (tokens > 0) {
        /* A prefill step (with chunked prefill: mixed with the decodes). */
        b.prefill_tokens = tokens;
        rp->kind = 1;
        rp->prefill_tokens = tokens;
        rp->step_t0_us = now;
        set_phase(s, rp, now, SL_PHASE_PREFILL);
        schedule_end(s, rp, now + dur_us(sl_perf_step_s(&rp->perf, &b)));
        return;
    }
    if (rp->ndecode > 0) {
        /* A decode stretch: up to the next completion or KV overflow; an
         * arrival routed here cuts it (cut_stretch). */
        due_clean(inf, rp);
        uint64_t k = rp->ndue > 0 ? rp->due[0].step - rp->dstep : 1;
        double room = floor((s->kv_cap - rp->kv_used) / (double)rp->ndecode);
        if (room < 1)
            room = 1;
        if ((double)k > room)
            k = (uint64_t)room;
        if (k < 1)
            k = 1;
        uint64_t kk;
        int64_t end = stretch_end(rp, now, rp->ctx_sum, k, INT64_MAX, &kk);
        rp->kind = 0;
        rp->stretch_k = kk;
        rp->step_t0_us = now;
        set_phase(s, rp, now, SL_PHASE_DECODE);
        schedule_end(s, rp, end);
        return;
    }
    rp->busy = 0;
    set_phase(s, rp, now, SL_PHASE_IDLE);
}

/* An arrival joined a replica in a decode stretch: end the stretch at the
 * first step boundary at or after now, where the request can be admitted. */
static void cut_stretch(struct sl_inf_service *s, struct sl_inf_replica *rp, int64_t now)
{
    if (rp->kind != 0 || rp->step_end_us <= now)
        return;
    uint64_t kk;
    int64_t end = stretch_end(rp, rp->step_t0_us, rp->ctx_sum, rp->stretch_k, now, &kk);
    if (end == rp->step_end_us)
        return;
    rp->stretch_k = kk;
    rp->step_end_us = end;
    if (sl_engine_reschedule(&s->inf->w->eng, rp->event, end) != SL_OK)
        fail_nomem(s);
}

/* Starts decoding a sequence whose prefill just ended (it emitted a
 * token), or finishes it when that was its last. */
static void start_decode(struct sl_inf_service *s, struct sl_inf_replica *rp, uint32_t q,
                         int64_t now)
{
    struct sl_inference *inf = s->inf;
    struct sl_inf_req *r = &inf->req[q];
    for (uint32_t k = 0; rp->pcache.cap && k < r->hash_n; k++)
        sl_pcache_put(&rp->pcache, block_key(s, r, k)); /* its prompt's blocks */
    if (r->first_us < 0) {
        r->first_us = now;
        s->m.tokens_in += r->prompt;
        inf->total.tokens_in += r->prompt;
    }
    r->generated++;
    s->m.tokens_out += 1;
    inf->total.tokens_out += 1;
    rp->outstanding -= 1;
    rp->kv_used += 1; /* the emitted token; the prompt was reserved */
    rp->ctx_sum += (double)r->need + 1;
    rp->ndecode++;
    r->dstep0 = rp->dstep;
    r->gen0 = r->generated;
    if (r->generated >= r->output) {
        finish_seq(s, rp, q, now);
        return;
    }
    if (due_push(rp, rp->dstep + (uint64_t)(r->output - r->generated), q, r->version) != SL_OK)
        fail_nomem(s);
}

/* Applies k decode steps and their completions. */
static void apply_decode(struct sl_inf_service *s, struct sl_inf_replica *rp, uint64_t k,
                         int64_t now)
{
    struct sl_inference *inf = s->inf;
    double toks = (double)rp->ndecode * (double)k;
    if (rp->perf.spec.cap_w > 0 && toks > 0) {
        /* Tokens lost to the limit: the uncapped rate less the capped one
         * over the stretch, at the batch it started with. */
        struct sl_perf_batch b = {rp->ndecode, rp->ctx_sum, 0, 0};
        double tc = sl_perf_step_s(&rp->perf, &b), tu = sl_perf_step_s(&s->perf, &b);
        if (tc > tu && tu > 0) {
            double lost = toks * (tc / tu - 1);
            s->m.tokens_lost += lost;
            inf->total.tokens_lost += lost;
        }
    }
    rp->dstep += k;
    rp->ctx_sum += toks;
    rp->kv_used += toks;
    rp->outstanding -= toks;
    s->m.tokens_out += toks;
    inf->total.tokens_out += toks;
    for (;;) {
        due_clean(inf, rp);
        if (rp->ndue == 0 || rp->due[0].step > rp->dstep)
            break;
        uint32_t q = rp->due[0].req;
        due_pop(rp);
        inf->req[q].generated = inf->req[q].output;
        finish_seq(s, rp, q, now);
    }
}

static void on_step(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    struct sl_inf_service *s = ctx;
    struct sl_inference *inf = s->inf;
    struct sl_inf_replica *rp = &s->rep[arg];
    int64_t now = sl_engine_now(eng);
    rp->busy = 0;
    if (rp->kind == 0) {
        apply_decode(s, rp, rp->stretch_k, now);
    } else {
        uint32_t ndec_before = rp->ndecode;
        if (s->cfg->chunked_prefill && ndec_before > 0)
            apply_decode(s, rp, 1, now);
        /* Prefill chunks done; sequences whose prompt is complete emit their
         * first token.  run[] changes as sequences finish, so collect first. */
        uint32_t done[64], ndone = 0;
        for (;;) {
            ndone = 0;
            for (uint32_t i = 0; i < rp->nrun && ndone < 64; i++) {
                uint32_t q = rp->run[i];
                struct sl_inf_req *r = &inf->req[q];
                if (r->chunk <= 0)
                    continue;
                r->prefilled += r->chunk;
                rp->outstanding -= r->chunk;
                r->chunk = 0;
                if (r->prefilled >= r->need)
                    done[ndone++] = q;
            }
            for (uint32_t j = 0; j < ndone; j++)
                start_decode(s, rp, done[j], now);
            if (ndone < 64)
                break;
        }
    }
    step_begin(s, rp, now);
}

/* ---- arrivals ---------------------------------------------------------- */

/* Leading blocks of a request (not yet in the pool) that replica rp
 * holds, without touching its cache. */
static uint32_t cached_blocks(const struct sl_inf_service *s, const struct sl_inf_replica *rp,
                              const struct sl_request *rq)
{
    uint32_t k = 0;
    const uint32_t *h = s->gen.trace ? s->gen.trace->hash : NULL;
    while (h && k < rq->hash_n &&
           sl_pcache_contains(&rp->pcache, (uint64_t)rq->tile << 32 | h[rq->hash_first + k]))
        k++;
    return k;
}

/* The replica for a request: by the service's router among the replicas
 * in service; SIZE_MAX when every replica is down. */
static size_t route(struct sl_inf_service *s, const struct sl_request *rq)
{
    size_t n = s->nrep;
    size_t start = (size_t)(s->rr++ % n);
    if (s->ndown > 0) {
        /* the router sees only the replicas in service */
        size_t j = 0;
        while (j < n && s->rep[start + j < n ? start + j : start + j - n].down)
            j++;
        if (j == n)
            return SIZE_MAX;
        start = start + j < n ? start + j : start + j - n;
    }
    if (s->cfg->router == SL_ROUTER_ROUND_ROBIN)
        return start;
    if (s->cfg->router == SL_ROUTER_PREFIX && rq->hash_n > 0 && s->rep[0].pcache.cap) {
        /* the least work before this request's first token: tokens the
         * replica still has to process plus the prompt tokens it lacks
         * (Mooncake's conductor weighs cache hits against queueing) */
        size_t best = start;
        double best_v = 0;
        for (size_t j = 0; j < n; j++) {
            size_t r = start + j < n ? start + j : start + j - n;
            const struct sl_inf_replica *rp = &s->rep[r];
            if (rp->down)
                continue;
            double cached = fmin((double)cached_blocks(s, rp, rq) * (double)s->cfg->prefix_block,
                                 (double)rq->prompt - 1);
            double v = rp->outstanding + (double)rq->prompt - cached;
            if (j == 0 || v < best_v) {
                best = r;
                best_v = v;
            }
        }
        return best;
    }
    size_t best = start;
    double best_v = 0;
    for (size_t j = 0; j < n; j++) {
        size_t r = start + j < n ? start + j : start + j - n;
        const struct sl_inf_replica *rp = &s->rep[r];
        if (rp->down)
            continue;
        double v = s->cfg->router == SL_ROUTER_LEAST_TOKENS ? rp->outstanding
                                                            : (double)rp->nwait + (double)rp->nrun;
        if (j == 0 || v < best_v) {
            best = r;
            best_v = v;
            if (v <= 0)
                break;
        }
    }
    return best;
}

static void on_arrival(struct sl_engine *eng, void *ctx, uint64_t arg);

static void next_arrival(struct sl_inf_service *s)
{
    struct sl_world *w = s->inf->w;
    s->has_next = sl_reqgen_next(&s->gen, &s->next) > 0 && s->next.t_us < w->end_us;
    if (!s->has_next)
        return;
    int64_t t = s->next.t_us < sl_engine_now(&w->eng) ? sl_engine_now(&w->eng) : s->next.t_us;
    if (sl_engine_schedule(&w->eng, t, SL_PRIO_LOAD, on_arrival, s, 0, NULL) != SL_OK)
        fail_nomem(s);
}

static void on_arrival(struct sl_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    struct sl_inf_service *s = ctx;
    struct sl_inference *inf = s->inf;
    int64_t now = sl_engine_now(eng);
    struct sl_request rq = s->next;
    uint64_t id = s->arrivals++;
    s->m.requests += 1;
    inf->total.requests += 1;
    /* A request that cannot fit a replica's KV cache even alone is refused. */
    int fits = (double)rq.prompt + (double)rq.output + 1 <= s->kv_cap;
    /* Admission control sheds the arrival when the site is forecast over
     * its cap. */
    int shed = fits && !sl_world_admit(inf->w, now, 0);
    if (shed)
        inf->shed += 1;
    size_t r = fits && !shed ? route(s, &rq) : 0;
    struct sl_inf_replica *rp = r == SIZE_MAX ? NULL : &s->rep[r];
    if (!fits || shed || !rp || rp->nwait >= (uint64_t)s->cfg->max_queue) {
        s->m.rejected += 1;
        inf->total.rejected += 1;
    } else {
        uint32_t q = req_alloc(inf);
        if (q == NIL) {
            fail_nomem(s);
            return;
        }
        struct sl_inf_req *x = &inf->req[q];
        memset(x, 0, sizeof *x);
        x->arrive_us = now;
        x->first_us = -1;
        x->id = id;
        x->prompt = rq.prompt;
        x->output = rq.output;
        x->need = rq.prompt;
        x->hash_first = rq.hash_first;
        x->hash_n = rq.hash_n;
        x->tile = rq.tile;
        rp->outstanding += (double)rq.prompt + (double)rq.output;
        wait_push_back(inf, rp, q);
        if (!rp->busy)
            step_begin(s, rp, now);
        else
            cut_stretch(s, rp, now);
    }
    next_arrival(s);
}

/* ---- failures ---------------------------------------------------------- */

/* Request q, taken off a replica that went down, goes back to the router:
 * it will prefill its prompt and what it had generated again (its KV was
 * on the lost server), or is rejected when no replica can queue it. */
static void reroute(struct sl_inf_service *s, uint32_t q, int64_t now)
{
    struct sl_inference *inf = s->inf;
    struct sl_inf_req *x = &inf->req[q];
    x->need = x->prompt + x->generated;
    x->prefilled = 0;
    x->chunk = 0;
    x->version++; /* its completion entry, on the lost replica, is stale */
    struct sl_request rq = {now, x->prompt, x->output, x->hash_first, x->hash_n, x->tile, 0};
    size_t r = route(s, &rq);
    struct sl_inf_replica *rp = r == SIZE_MAX ? NULL : &s->rep[r];
    if (!rp || rp->nwait >= (uint64_t)s->cfg->max_queue) {
        s->m.rejected += 1;
        inf->total.rejected += 1;
        req_free(inf, q);
        return;
    }
    rp->outstanding += (double)x->need + (double)(x->output - x->generated);
    wait_push_back(inf, rp, q);
    if (!rp->busy)
        step_begin(s, rp, now);
    else
        cut_stretch(s, rp, now);
}

void sl__serve_request_avail(struct sl_inf_service *s, size_t r, int64_t now, int down)
{
    struct sl_inference *inf = s->inf;
    struct sl_inf_replica *rp = &s->rep[r];
    if (!down) {
        if (rp->down) {
            rp->down = 0;
            s->ndown--;
        }
        return; /* idle (the fleet brought its cards back idle); arrivals will come */
    }
    if (rp->down)
        return;
    rp->down = 1;
    s->ndown++;
    if (rp->busy) {
        sl_engine_cancel(&inf->w->eng, rp->event);
        rp->busy = 0;
    }
    rp->phase = SL_PHASE_IDLE; /* the fleet holds its cards at 0 W, then idle */
    /* Its running sequences (with the tokens they had generated by the
     * last step boundary) and its queue, oldest admission first. */
    uint32_t nrun = rp->nrun, *taken = NULL;
    if (nrun > 0) {
        taken = sl_malloc(nrun * sizeof *taken);
        if (!taken) {
            fail_nomem(s);
            return;
        }
        for (uint32_t i = 0; i < nrun; i++) {
            uint32_t q = rp->run[i];
            struct sl_inf_req *x = &inf->req[q];
            if (x->prefilled >= x->need && x->chunk == 0)
                x->generated = generated_now(inf, rp, q);
            taken[i] = q;
        }
        for (uint32_t i = 1; i < nrun; i++) /* by admission: insertion sort, batches are small */
            for (uint32_t j = i;
                 j > 0 && inf->req[taken[j]].admit_seq < inf->req[taken[j - 1]].admit_seq; j--) {
                uint32_t t = taken[j];
                taken[j] = taken[j - 1];
                taken[j - 1] = t;
            }
    }
    uint32_t head = rp->wait_head;
    rp->nrun = rp->ndecode = 0;
    rp->ctx_sum = rp->kv_used = rp->outstanding = 0;
    rp->ndue = 0;
    rp->wait_head = rp->wait_tail = NIL;
    rp->nwait = 0;
    if (rp->pcache.cap) {
        /* its memory is gone: an empty cache when it comes back */
        uint32_t cap = rp->pcache.cap;
        sl_pcache_release(&rp->pcache);
        if (sl_pcache_init(&rp->pcache, cap) != SL_OK)
            fail_nomem(s);
    }
    for (uint32_t i = 0; i < nrun; i++)
        reroute(s, taken[i], now);
    sl_free(taken);
    while (head != NIL) {
        uint32_t next = inf->req[head].next;
        reroute(s, head, now);
        head = next;
    }
}

int sl__serve_request_start(struct sl_inf_service *s, struct sl_diag *d)
{
    s->rep = sl_calloc(s->nrep, sizeof *s->rep);
    if (!s->rep)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    size_t tp = (size_t)s->cfg->tp;
    for (size_t r = 0; r < s->nrep; r++) {
        struct sl_inf_replica *rp = &s->rep[r];
        rp->card0 = s->card0 + r * tp;
        rp->perf = s->perf;
        rp->wait_head = rp->wait_tail = NIL;
        rp->phase = SL_PHASE_IDLE;
        if (s->cfg->prefix_cache > 0) {
            double blocks = s->cfg->prefix_cache * s->kv_cap / (double)s->cfg->prefix_block;
            uint32_t cap = blocks < 1 ? 1 : blocks > 1e8 ? 100000000u : (uint32_t)blocks;
            if (sl_pcache_init(&rp->pcache, cap) != SL_OK)
                return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        }
        rp->caprun = s->cfg->max_batch < 16 ? (uint32_t)s->cfg->max_batch : 16;
        rp->run = sl_calloc(rp->caprun, sizeof *rp->run);
        if (!rp->run)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    next_arrival(s);
    return SL_OK;
}
