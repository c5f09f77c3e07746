/*
 * The cluster scheduler of training jobs (sched.h): queues per partition,
 * a free-card map per server, and gang placement.
 *
 * Data.  Each server keeps a 64-bit mask of its free cards and their count;
 * each partition (the servers of one pool) keeps a histogram hist[f] of its
 * servers with exactly f free cards, its free cards, and its largest server
 * size k.  Whether a job of c cards fits is answered from the histogram
 * alone in O(k): one server with at least c free when c <= k, else
 * floor(c / k) servers with all k cards free (hist[k]) and one more with the
 * remainder.  The test is exact for the placement rule of sched.h, and it
 * is monotone (more free cards never make a job unfit), which is what the
 * backfilling proof needs.  Only a job that fits pays for a placement,
 * which scans the partition's servers once (O(servers); multi-server jobs
 * also O(blocks log blocks), and topology sl_fabric_pick_blocks).
 *
 * Queues.  Each partition has its own queue (partitions share no cards, so
 * one pool's blocked head does not hold up another's jobs): a list in
 * submit order for fifo and easy-backfill, a binary heap on (priority
 * descending, submit order) for priority.  Each partition's running jobs
 * are kept sorted by (end, id) in an array (insert and delete O(log n) to
 * find, O(n) memmove), which gives EASY its end order without sorting at
 * each decision.
 *
 * EASY.  When the head does not fit, its shadow time is the earliest end
 * of running jobs at which it would: the running jobs are released in end
 * order onto an overlay of the free map (a per-server copy stamped with the
 * partition's epoch, so nothing is copied until touched) until the
 * histogram says it fits.  A later job starts now when it fits and either
 * ends (by its estimate) by the shadow time or leaves the head fitting on
 * the overlay with its cards taken; a job so started that runs past the
 * shadow is then kept on the overlay, so several backfilled jobs together
 * never delay the head.  The shadow is recomputed only when something
 * changed it (a finish, an earlier end, a new head); after a submit alone
 * only the newly queued jobs are examined.  The scan looks at most at
 * SL_SCHED_BACKFILL_DEPTH queued jobs after the head (Slurm's
 * bf_max_job_test plays the same role), and once a job that runs past the
 * shadow failed the head's test, a job of as many cards or more that runs
 * past it is not tried in the same scan (a larger gang seldom leaves the
 * head more room; skipping a backfill never delays the head).  Neither
 * bound touches the head's guarantee.
 *
 * Placement works on a scratch list of allocations (server, mask) and is
 * committed only once accepted, so a rejected backfill candidate leaves no
 * trace.  Every commit asserts that the cards it takes are free, every
 * finish that they were busy (no card is held twice).
 */
#include "workload/sched.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/fabric.h"
#include "suanli/scenario.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define MAXC 64

enum { J_NEW = 0, J_QUEUED, J_RUNNING, J_DONE };

struct job {
    int64_t submit_us, est_us, priority;
    int64_t start_us, end_us;
    int64_t resv_us; /* first shadow time given as a blocked head, -1 none */
    uint64_t seq;    /* submit order */
    uint32_t cards, pidx;
    uint32_t next, prev; /* queue list (fifo, easy) */
    uint32_t nalloc, cap_alloc;
    struct sl_sched_alloc *alloc; /* cap_alloc entries, from submit to finish */
    uint8_t state;
};

struct run {
    int64_t end_us;
    uint32_t job;
};

/* One partition.  Invariants: hist sums to nsrv; sum over f of f hist[f] ==
 * free_cards; the running array is sorted by (end_us, job); the queue holds
 * nqueued jobs. */
struct part {
    uint32_t id;
    uint32_t *srv; /* ascending server indices */
    size_t nsrv;
    uint32_t k; /* largest server, in cards */
    uint32_t hist[MAXC + 1], cap_hist[MAXC + 1];
    uint64_t free_cards, total_cards;
    /* queue */
    uint32_t head, tail; /* list */
    uint32_t *heap;      /* priority */
    size_t nqueued, heap_cap;
    uint32_t fresh; /* first job queued since the last full backfill scan */
    int dirty;      /* something beyond a submit changed since the last dispatch */
    /* running, sorted by end */
    struct run *run;
    size_t nrun, run_cap;
    /* EASY shadow of the head */
    int shadow_ok;
    uint32_t shadow_head;
    int64_t shadow_us;
    uint32_t sh_hist[MAXC + 1];
    uint64_t sh_free_cards;
    uint32_t epoch;
    size_t nspare; /* servers held as hot spares */
};

struct sl_sched {
    int policy, placement;
    struct sl_fabric *fabric;
    size_t nservers, njobs;
    uint8_t *cap;      /* cards per server */
    uint8_t *nfree;    /* free cards per server */
    uint64_t *free;    /* free mask per server */
    uint32_t *pidx;    /* partition of each server (NONE: no cards) */
    uint64_t *sh_free; /* shadow overlay */
    uint32_t *sh_stamp;
    uint32_t *mark; /* per server: chosen in the current placement */
    uint32_t mark_epoch, epoch;
    struct part *parts;
    size_t nparts;
    struct job *jobs;
    uint64_t seq;
    size_t queued, running, busy;
    /* placement scratch */
    struct sl_sched_alloc *tmp;
    size_t ntmp;
    size_t nblocks;
    uint32_t *blk_n;    /* per block */
    uint32_t *blk_free; /* per block */
    uint8_t *blk_mark, *pod_mark;
    size_t *blk_out;
    struct blk_key *blk_keys;
    /* admission gate (NULL: none) */
    sl_sched_gate_fn gate;
    void *gate_ctx;
    /* Servers out of service or held as spares (sl_sched_set_down,
     * sl_sched_set_spare): their cards in held are neither free nor a
     * job's; NULL until the first such call. */
    uint64_t *held;
    uint8_t *hold_state; /* HOLD_* */
};

enum { HOLD_NONE = 0, HOLD_DOWN, HOLD_SPARE };

struct blk_key {
    uint32_t free, b;
};

#define SL_SCHED_BACKFILL_DEPTH 4096

static uint64_t low_bits(uint64_t freemask, uint32_t n)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t b = freemask & (~freemask + 1);
        m |= b;
        freemask &= ~b;
    }
    return m;
}

static uint32_t popcount64(uint64_t x)
{
    uint32_t n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

/* Whether c cards fit on a partition whose servers have the free-count
 * histogram h (see the file comment).  O(k). */
static int fits(const struct part *p, const uint32_t *h, uint32_t c)
{
    uint32_t k = p->k;
    if (c <= k) {
        for (uint32_t f = c; f <= k; f++)
            if (h[f])
                return 1;
        return 0;
    }
    uint32_t m = c / k, r = c % k;
    if (h[k] < m)
        return 0;
    if (r == 0 || h[k] > m)
        return 1;
    for (uint32_t f = r; f < k; f++)
        if (h[f])
            return 1;
    return 0;
}

static int part_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static struct part *part_find(struct sl_sched *s, uint32_t id)
{
    size_t lo = 0, hi = s->nparts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->parts[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nparts && s->parts[lo].id == id ? &s->parts[lo] : NULL;
}

void sl_sched_free(struct sl_sched *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nparts; i++) {
        sl_free(s->parts[i].srv);
        sl_free(s->parts[i].heap);
        sl_free(s->parts[i].run);
    }
    if (s->jobs)
        for (size_t j = 0; j < s->njobs; j++)
            sl_free(s->jobs[j].alloc);
    sl_free(s->parts);
    sl_free(s->jobs);
    sl_free(s->cap);
    sl_free(s->nfree);
    sl_free(s->free);
    sl_free(s->pidx);
    sl_free(s->sh_free);
    sl_free(s->sh_stamp);
    sl_free(s->mark);
    sl_free(s->tmp);
    sl_free(s->blk_n);
    sl_free(s->blk_free);
    sl_free(s->blk_mark);
    sl_free(s->pod_mark);
    sl_free(s->blk_out);
    sl_free(s->blk_keys);
    sl_free(s->held);
    sl_free(s->hold_state);
    sl_free(s);
}

int sl_sched_new(struct sl_sched **out, int policy, int placement, struct sl_fabric *fabric,
                 size_t nservers, const uint8_t *cards, const uint32_t *part, size_t njobs,
                 struct sl_diag *d)
{
    *out = NULL;
    if (policy < SL_QUEUE_FIFO || policy > SL_QUEUE_EASY)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "scheduler: unknown queue policy %d", policy);
    if (placement < SL_PLACE_FIRST_FIT || placement > SL_PLACE_TOPOLOGY)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "scheduler: unknown placement %d", placement);
    if (nservers == 0 || nservers >= NONE || njobs >= NONE)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "scheduler: %zu servers and %zu jobs (need 1 .. 2^32 - 2 servers)",
                           nservers, njobs);
    if (fabric && fabric->nservers < nservers)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "scheduler: the fabric was built for %zu servers, the cluster has %zu",
                           fabric->nservers, nservers);
    for (size_t i = 0; i < nservers; i++)
        if (cards[i] > MAXC)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "scheduler: server %zu has %u cards (at most %d)", i,
                               (unsigned)cards[i], MAXC);
    struct sl_sched *s = sl_calloc(1, sizeof *s);
    if (!s)
        return SL_ENOMEM;
    s->policy = policy;
    s->placement = placement;
    s->fabric = fabric;
    s->nservers = nservers;
    s->njobs = njobs;
    s->nblocks = fabric ? fabric->blocks : nservers;
    s->cap = sl_malloc(nservers);
    s->nfree = sl_malloc(nservers);
    s->free = sl_calloc(nservers, sizeof *s->free);
    s->pidx = sl_malloc(nservers * sizeof *s->pidx);
    s->sh_free = sl_calloc(nservers, sizeof *s->sh_free);
    s->sh_stamp = sl_calloc(nservers, sizeof *s->sh_stamp);
    s->mark = sl_calloc(nservers, sizeof *s->mark);
    s->tmp = sl_malloc((nservers + 1) * sizeof *s->tmp);
    s->jobs = sl_calloc(njobs ? njobs : 1, sizeof *s->jobs);
    s->blk_n = sl_calloc(s->nblocks, sizeof *s->blk_n);
    s->blk_free = sl_calloc(s->nblocks, sizeof *s->blk_free);
    s->blk_mark = sl_calloc(s->nblocks, 1);
    s->pod_mark = sl_calloc(fabric ? fabric->pods : 1, 1);
    s->blk_out = sl_calloc(s->nblocks, sizeof *s->blk_out);
    s->blk_keys = sl_calloc(s->nblocks, sizeof *s->blk_keys);
    uint32_t *ids = sl_malloc(nservers * sizeof *ids);
    if (!s->cap || !s->nfree || !s->free || !s->pidx || !s->sh_free || !s->sh_stamp || !s->mark ||
        !s->tmp || !s->jobs || !s->blk_n || !s->blk_free || !s->blk_mark || !s->pod_mark ||
        !s->blk_out || !s->blk_keys || !ids) {
        sl_free(ids);
        sl_sched_free(s);
        return SL_ENOMEM;
    }
    /* The distinct partitions of servers with cards, sorted. */
    size_t nids = 0;
    for (size_t i = 0; i < nservers; i++)
        if (cards[i])
            ids[nids++] = part[i];
    qsort(ids, nids, sizeof *ids, part_cmp);
    size_t np = 0;
    for (size_t i = 0; i < nids; i++)
        if (np == 0 || ids[np - 1] != ids[i])
            ids[np++] = ids[i];
    s->parts = sl_calloc(np ? np : 1, sizeof *s->parts);
    if (!s->parts) {
        sl_free(ids);
        sl_sched_free(s);
        return SL_ENOMEM;
    }
    s->nparts = np;
    for (size_t i = 0; i < np; i++) {
        struct part *p = &s->parts[i];
        p->id = ids[i];
        p->head = p->tail = p->fresh = NONE;
        p->shadow_head = NONE;
        p->dirty = 1;
    }
    sl_free(ids);
    for (size_t i = 0; i < nservers; i++) {
        s->cap[i] = cards[i];
        s->nfree[i] = cards[i];
        s->free[i] = cards[i] == 64 ? UINT64_MAX : (((uint64_t)1 << cards[i]) - 1);
        s->pidx[i] = NONE;
        if (!cards[i])
            continue;
        struct part *p = part_find(s, part[i]);
        s->pidx[i] = (uint32_t)(p - s->parts);
        p->nsrv++;
        p->hist[cards[i]]++;
        p->cap_hist[cards[i]]++;
        p->free_cards += cards[i];
        p->total_cards += cards[i];
        if (cards[i] > p->k)
            p->k = cards[i];
    }
    for (size_t i = 0; i < np; i++) {
        struct part *p = &s->parts[i];
        p->srv = sl_malloc(p->nsrv * sizeof *p->srv);
        /* Each running job holds a card, so the cards bound the running jobs. */
        p->run_cap = (size_t)p->total_cards;
        p->run = sl_malloc(p->run_cap * sizeof *p->run);
        if (!p->srv || !p->run) {
            sl_sched_free(s);
            return SL_ENOMEM;
        }
        p->nsrv = 0;
    }
    for (size_t i = 0; i < nservers; i++)
        if (s->pidx[i] != NONE) {
            struct part *p = &s->parts[s->pidx[i]];
            p->srv[p->nsrv++] = (uint32_t)i;
        }
    *out = s;
    return SL_OK;
}

/* ---- queues ---- */

static int outranks(const struct job *a, const struct job *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    return a->seq < b->seq;
}

static void heap_up(struct sl_sched *s, struct part *p, size_t i)
{
    uint32_t *h = p->heap;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!outranks(&s->jobs[h[i]], &s->jobs[h[up]]))
            break;
        uint32_t t = h[i];
        h[i] = h[up];
        h[up] = t;
        i = up;
    }
}

static void heap_pop(struct sl_sched *s, struct part *p)
{
    uint32_t *h = p->heap;
    size_t n = --p->nqueued;
    h[0] = h[n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && outranks(&s->jobs[h[l]], &s->jobs[h[best]]))
            best = l;
        if (r < n && outranks(&s->jobs[h[r]], &s->jobs[h[best]]))
            best = r;
        if (best == i)
            break;
        uint32_t t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

static uint32_t queue_head(const struct sl_sched *s, const struct part *p)
{
    if (p->nqueued == 0)
        return NONE;
    return s->policy == SL_QUEUE_PRIORITY ? p->heap[0] : p->head;
}

static void queue_remove(struct sl_sched *s, struct part *p, uint32_t j)
{
    if (s->policy == SL_QUEUE_PRIORITY) {
        assert(p->heap[0] == j);
        heap_pop(s, p);
        return;
    }
    struct job *b = &s->jobs[j];
    if (b->prev != NONE)
        s->jobs[b->prev].next = b->next;
    else
        p->head = b->next;
    if (b->next != NONE)
        s->jobs[b->next].prev = b->prev;
    else
        p->tail = b->prev;
    if (p->fresh == j)
        p->fresh = b->next;
    p->nqueued--;
}

int sl_sched_submit(struct sl_sched *s, uint32_t job, uint32_t cards, uint32_t part,
                    int64_t priority, int64_t submit_us, int64_t est_runtime_us, struct sl_diag *d)
{
    if (job >= s->njobs || s->jobs[job].state != J_NEW)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "scheduler: job %u is out of range (%zu jobs) or was queued before", job,
                           s->njobs);
    if (est_runtime_us <= 0 || cards == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "scheduler: job %u asks for %u cards for an estimated %lld us (both "
                           "must be > 0)",
                           job, cards, (long long)est_runtime_us);
    struct part *p = part_find(s, part);
    if (!p || !fits(p, p->cap_hist, cards)) {
        uint32_t most = 0;
        if (p) {
            most = p->k * p->cap_hist[p->k];
            for (uint32_t f = p->k; f-- > 1;)
                if (p->cap_hist[f]) {
                    most += f;
                    break;
                }
        }
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "scheduler: job %u asks for %u cards, but partition %u can hold a "
                           "job of at most %u cards",
                           job, cards, part, most);
    }
    struct job *b = &s->jobs[job];
    uint32_t nalloc = cards <= p->k ? 1 : cards / p->k + 1;
    b->alloc = sl_malloc(nalloc * sizeof *b->alloc);
    if (!b->alloc)
        return SL_ENOMEM;
    if (s->policy == SL_QUEUE_PRIORITY && p->nqueued == p->heap_cap) {
        size_t cap = p->heap_cap ? 2 * p->heap_cap : 64;
        uint32_t *h = sl_realloc(p->heap, cap * sizeof *h);
        if (!h) {
            sl_free(b->alloc);
            b->alloc = NULL;
            return SL_ENOMEM;
        }
        p->heap = h;
        p->heap_cap = cap;
    }
    b->cap_alloc = nalloc;
    b->nalloc = 0;
    b->submit_us = submit_us;
    b->est_us = est_runtime_us;
    b->priority = priority;
    b->start_us = b->end_us = -1;
    b->resv_us = -1;
    b->seq = s->seq++;
    b->cards = cards;
    b->pidx = (uint32_t)(p - s->parts);
    b->state = J_QUEUED;
    if (s->policy == SL_QUEUE_PRIORITY) {
        p->heap[p->nqueued++] = job;
        heap_up(s, p, p->nqueued - 1);
        if (p->heap[0] == job)
            p->dirty = 1; /* a new head */
    } else {
        b->next = NONE;
        b->prev = p->tail;
        if (p->tail != NONE)
            s->jobs[p->tail].next = job;
        else {
            p->head = job;
            p->dirty = 1;
        }
        p->tail = job;
        p->nqueued++;
        if (p->fresh == NONE)
            p->fresh = job;
    }
    s->queued++;
    return SL_OK;
}

/* ---- running jobs, sorted by end ---- */

static size_t run_find(const struct part *p, int64_t end_us, uint32_t job)
{
    size_t lo = 0, hi = p->nrun;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct run *r = &p->run[mid];
        if (r->end_us < end_us || (r->end_us == end_us && r->job < job))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void run_insert(struct part *p, int64_t end_us, uint32_t job)
{
    assert(p->nrun < p->run_cap);
    size_t i = run_find(p, end_us, job);
    memmove(&p->run[i + 1], &p->run[i], (p->nrun - i) * sizeof *p->run);
    p->run[i].end_us = end_us;
    p->run[i].job = job;
    p->nrun++;
}

static void run_delete(struct part *p, int64_t end_us, uint32_t job)
{
    size_t i = run_find(p, end_us, job);
    assert(i < p->nrun && p->run[i].job == job);
    memmove(&p->run[i], &p->run[i + 1], (p->nrun - i - 1) * sizeof *p->run);
    p->nrun--;
}

/* ---- placement ---- */

static void tmp_add(struct sl_sched *s, uint32_t srv, uint32_t n)
{
    s->tmp[s->ntmp].server = srv;
    s->tmp[s->ntmp].mask = low_bits(s->free[srv], n);
    s->ntmp++;
    s->mark[srv] = s->mark_epoch;
}

static int marked(const struct sl_sched *s, uint32_t srv)
{
    return s->mark[srv] == s->mark_epoch;
}

static size_t block_of(const struct sl_sched *s, size_t srv)
{
    return s->fabric ? sl_fabric_block_of(s->fabric, srv) : srv;
}

/* The unmarked server of p with the fewest free cards >= c (lowest index
 * on ties); with tiered, servers of marked blocks come first, then of
 * marked pods.  NONE when none. */
static uint32_t best_fit(const struct sl_sched *s, const struct part *p, uint32_t c, int tiered)
{
    uint32_t best = NONE, best_key = UINT32_MAX;
    for (size_t i = 0; i < p->nsrv; i++) {
        uint32_t v = p->srv[i];
        if (s->nfree[v] < c || marked(s, v))
            continue;
        uint32_t tier = 0;
        if (tiered) {
            size_t b = block_of(s, v);
            tier = s->blk_mark[b] ? 0 : s->pod_mark[sl_fabric_pod_of_block(s->fabric, b)] ? 1 : 2;
        }
        uint32_t key = tier * (MAXC + 1) + s->nfree[v];
        if (key < best_key) {
            best_key = key;
            best = v;
            if (!tiered && s->nfree[v] == c)
                break;
        }
    }
    return best;
}

static int blk_key_cmp(const void *a, const void *b)
{
    const struct blk_key *x = a, *y = b;
    if (x->free != y->free)
        return x->free < y->free ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

/* Places job j of partition p on the current free map into s->tmp (not
 * committed).  Returns 1, or 0 when it does not fit. */
static int place(struct sl_sched *s, struct part *p, const struct job *b)
{
    uint32_t c = b->cards, k = p->k;
    s->ntmp = 0;
    s->mark_epoch++;
    if (s->mark_epoch == 0) {
        memset(s->mark, 0, s->nservers * sizeof *s->mark);
        s->mark_epoch = 1;
    }
    if (c > p->free_cards || !fits(p, p->hist, c))
        return 0;
    if (c <= k) {
        uint32_t v = NONE;
        if (s->placement == SL_PLACE_FIRST_FIT) {
            for (size_t i = 0; i < p->nsrv && v == NONE; i++)
                if (s->nfree[p->srv[i]] >= c)
                    v = p->srv[i];
        } else {
            v = best_fit(s, p, c, 0);
        }
        assert(v != NONE);
        tmp_add(s, v, c);
        return 1;
    }
    uint32_t m = c / k, r = c % k, got = 0;
    int placement = s->placement;
    if (placement == SL_PLACE_TOPOLOGY && !s->fabric)
        placement = SL_PLACE_PACK;
    if (placement == SL_PLACE_FIRST_FIT) {
        for (size_t i = 0; i < p->nsrv && got < m; i++)
            if (s->nfree[p->srv[i]] == k) {
                tmp_add(s, p->srv[i], k);
                got++;
            }
        if (r) {
            uint32_t v = NONE;
            for (size_t i = 0; i < p->nsrv && v == NONE; i++)
                if (s->nfree[p->srv[i]] >= r && !marked(s, p->srv[i]))
                    v = p->srv[i];
            assert(v != NONE);
            tmp_add(s, v, r);
        }
        return 1;
    }
    /* Per block: the partition's whole free servers and free cards (0 in
     * blocks of other partitions, which pick_blocks also reads). */
    memset(s->blk_n, 0, s->nblocks * sizeof *s->blk_n);
    memset(s->blk_free, 0, s->nblocks * sizeof *s->blk_free);
    for (size_t i = 0; i < p->nsrv; i++) {
        uint32_t v = p->srv[i];
        size_t bl = block_of(s, v);
        s->blk_free[bl] += s->nfree[v];
        if (s->nfree[v] == k)
            s->blk_n[bl]++;
    }
    size_t nb = 0;
    if (placement == SL_PLACE_PACK) {
        /* The fullest blocks first, leaving empty ones whole. */
        for (size_t i = 0; i < p->nsrv; i++) {
            size_t bl = block_of(s, p->srv[i]);
            if (s->blk_n[bl] && !s->blk_mark[bl]) {
                s->blk_mark[bl] = 1;
                s->blk_keys[nb].free = s->blk_free[bl];
                s->blk_keys[nb].b = (uint32_t)bl;
                nb++;
            }
        }
        qsort(s->blk_keys, nb, sizeof *s->blk_keys, blk_key_cmp);
        for (size_t i = 0; i < nb; i++) {
            s->blk_mark[s->blk_keys[i].b] = 0;
            s->blk_out[i] = s->blk_keys[i].b;
        }
    } else {
        int rc = sl_fabric_pick_blocks(s->fabric, s->blk_n, m, s->blk_out, &nb);
        assert(rc == SL_OK);
        (void)rc;
    }
    for (size_t i = 0; i < nb && got < m; i++) {
        size_t bl = s->blk_out[i];
        size_t first = s->fabric ? sl_fabric_block_first(s->fabric, bl) : bl;
        size_t cnt = s->fabric ? sl_fabric_block_count(s->fabric, bl) : 1;
        for (size_t v = first; v < first + cnt && got < m; v++)
            if (s->pidx[v] == b->pidx && s->nfree[v] == k) {
                tmp_add(s, (uint32_t)v, k);
                got++;
            }
        if (placement == SL_PLACE_TOPOLOGY) {
            s->blk_mark[bl] = 1;
            s->pod_mark[sl_fabric_pod_of_block(s->fabric, bl)] = 1;
        }
    }
    assert(got == m);
    if (r) {
        uint32_t v = best_fit(s, p, r, placement == SL_PLACE_TOPOLOGY);
        assert(v != NONE);
        tmp_add(s, v, r);
    }
    if (placement == SL_PLACE_TOPOLOGY)
        for (size_t i = 0; i < nb; i++) {
            s->blk_mark[s->blk_out[i]] = 0;
            s->pod_mark[sl_fabric_pod_of_block(s->fabric, s->blk_out[i])] = 0;
        }
    return 1;
}

static void set_free(struct part *p, uint32_t *hist, uint8_t *nf, uint64_t *fm, uint64_t mask,
                     int take)
{
    uint32_t n = popcount64(mask);
    hist[*nf]--;
    if (take) {
        assert((*fm & mask) == mask);
        *fm &= ~mask;
        *nf = (uint8_t)(*nf - n);
    } else {
        assert((*fm & mask) == 0);
        *fm |= mask;
        *nf = (uint8_t)(*nf + n);
    }
    hist[*nf]++;
    (void)p;
}

/* The shadow overlay of server v for partition p: its free mask and count. */
static uint64_t *sh_mask(struct sl_sched *s, const struct part *p, uint32_t v)
{
    if (s->sh_stamp[v] != p->epoch) {
        s->sh_stamp[v] = p->epoch;
        s->sh_free[v] = s->free[v];
    }
    return &s->sh_free[v];
}

/* Applies allocations to the overlay: take (a backfilled job) or release
 * (a running job ending). */
static void sh_apply(struct sl_sched *s, struct part *p, const struct sl_sched_alloc *a, size_t n,
                     int take)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t *fm = sh_mask(s, p, a[i].server);
        uint8_t nf = (uint8_t)popcount64(*fm);
        set_free(p, p->sh_hist, &nf, fm, a[i].mask, take);
        uint32_t c = popcount64(a[i].mask);
        p->sh_free_cards = take ? p->sh_free_cards - c : p->sh_free_cards + c;
    }
}

/* Computes the head h's shadow time on a fresh overlay. */
static void shadow(struct sl_sched *s, struct part *p, uint32_t h, int64_t now_us)
{
    s->epoch++;
    if (s->epoch == 0) {
        memset(s->sh_stamp, 0, s->nservers * sizeof *s->sh_stamp);
        s->epoch = 1;
    }
    p->epoch = s->epoch;
    memcpy(p->sh_hist, p->hist, sizeof p->hist);
    p->sh_free_cards = p->free_cards;
    int64_t t = now_us;
    for (size_t i = 0; i < p->nrun; i++) {
        const struct job *r = &s->jobs[p->run[i].job];
        sh_apply(s, p, r->alloc, r->nalloc, 0);
        t = p->run[i].end_us;
        if ((i + 1 == p->nrun || p->run[i + 1].end_us != t) &&
            fits(p, p->sh_hist, s->jobs[h].cards))
            break;
    }
    assert(fits(p, p->sh_hist, s->jobs[h].cards));
    p->shadow_us = t > now_us ? t : now_us;
    p->shadow_head = h;
    p->shadow_ok = 1;
    if (s->jobs[h].resv_us < 0)
        s->jobs[h].resv_us = p->shadow_us;
}

static void commit(struct sl_sched *s, struct part *p, uint32_t j, int64_t now_us)
{
    struct job *b = &s->jobs[j];
    assert(s->ntmp <= b->cap_alloc);
    for (size_t i = 0; i < s->ntmp; i++) {
        uint32_t v = s->tmp[i].server;
        if (p->shadow_ok)
            (void)sh_mask(s, p, v); /* the overlay keeps the cards as they were */
        assert(s->pidx[v] == b->pidx);
        set_free(p, p->hist, &s->nfree[v], &s->free[v], s->tmp[i].mask, 1);
        b->alloc[i] = s->tmp[i];
    }
    b->nalloc = (uint32_t)s->ntmp;
    p->free_cards -= b->cards;
    s->busy += b->cards;
    queue_remove(s, p, j);
    s->queued--;
    s->running++;
    b->state = J_RUNNING;
    b->start_us = now_us;
    b->end_us = now_us + b->est_us;
    run_insert(p, b->end_us, j);
}

void sl_sched_set_gate(struct sl_sched *s, sl_sched_gate_fn fn, void *ctx)
{
    s->gate = fn;
    s->gate_ctx = ctx;
}

/* Whether the gate lets job j start now. */
static int gate_open(struct sl_sched *s, uint32_t j, int64_t now_us)
{
    return !s->gate || s->gate(s->gate_ctx, j, now_us);
}

size_t sl_sched_dispatch(struct sl_sched *s, int64_t now_us, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t pi = 0; pi < s->nparts && n < cap; pi++) {
        struct part *p = &s->parts[pi];
        if (p->nqueued == 0) {
            p->fresh = NONE;
            continue;
        }
        if (!p->dirty && s->policy != SL_QUEUE_EASY)
            continue; /* the head was blocked and nothing freed since */
        uint32_t h;
        while (n < cap && (h = queue_head(s, p)) != NONE) {
            if (!place(s, p, &s->jobs[h]))
                break;
            if (!gate_open(s, h, now_us)) {
                p->dirty = 1; /* power is short: the next dispatch asks again */
                return n;
            }
            commit(s, p, h, now_us);
            out[n++] = h;
            p->shadow_ok = 0;
            p->dirty = 1;
        }
        if (n == cap)
            break;
        if (h == NONE || s->policy != SL_QUEUE_EASY) {
            p->dirty = 0;
            continue;
        }
        /* EASY: h is blocked. */
        uint32_t from = p->fresh;
        if (p->dirty || !p->shadow_ok || p->shadow_head != h) {
            shadow(s, p, h, now_us);
            from = s->jobs[h].next;
        }
        size_t depth = 0;
        uint32_t fail_c = UINT32_MAX;
        for (uint32_t j = from; j != NONE && depth < SL_SCHED_BACKFILL_DEPTH && n < cap; depth++) {
            struct job *b = &s->jobs[j];
            uint32_t next = b->next;
            int by_shadow = now_us + b->est_us <= p->shadow_us;
            /* Cheap necessary test first: a job that runs past the shadow
             * must leave the head its cards there. */
            if (j != h &&
                (by_shadow ||
                 (b->cards < fail_c && b->cards + s->jobs[h].cards <= p->sh_free_cards)) &&
                place(s, p, b)) {
                int ok = by_shadow;
                if (!ok) {
                    sh_apply(s, p, s->tmp, s->ntmp, 1);
                    ok = fits(p, p->sh_hist, s->jobs[h].cards);
                    if (!ok) {
                        sh_apply(s, p, s->tmp, s->ntmp, 0);
                        fail_c = b->cards;
                    }
                }
                if (ok && !gate_open(s, j, now_us)) {
                    if (!by_shadow)
                        sh_apply(s, p, s->tmp, s->ntmp, 0);
                    p->dirty = 1; /* power is short: the next dispatch asks again */
                    return n;
                }
                if (ok) {
                    commit(s, p, j, now_us);
                    out[n++] = j;
                }
            }
            j = next;
        }
        if (n < cap) {
            p->dirty = 0;
            p->fresh = NONE;
        }
    }
    return n;
}

const struct sl_sched_alloc *sl_sched_alloc_of(const struct sl_sched *s, uint32_t job, size_t *n)
{
    assert(job < s->njobs && s->jobs[job].state == J_RUNNING);
    *n = s->jobs[job].nalloc;
    return s->jobs[job].alloc;
}

void sl_sched_set_end(struct sl_sched *s, uint32_t job, int64_t end_us)
{
    assert(job < s->njobs && s->jobs[job].state == J_RUNNING);
    struct job *b = &s->jobs[job];
    assert(end_us >= b->start_us && end_us <= b->start_us + b->est_us);
    struct part *p = &s->parts[b->pidx];
    if (end_us == b->end_us)
        return;
    run_delete(p, b->end_us, job);
    b->end_us = end_us;
    run_insert(p, end_us, job);
    p->shadow_ok = 0;
    p->dirty = 1;
}

static void hold_again(struct sl_sched *s, struct part *p, uint32_t v, uint64_t mask);

void sl_sched_finish(struct sl_sched *s, uint32_t job, int64_t now_us)
{
    assert(job < s->njobs && s->jobs[job].state == J_RUNNING);
    (void)now_us;
    struct job *b = &s->jobs[job];
    struct part *p = &s->parts[b->pidx];
    p->free_cards += b->cards;
    for (size_t i = 0; i < b->nalloc; i++) {
        uint32_t v = b->alloc[i].server;
        set_free(p, p->hist, &s->nfree[v], &s->free[v], b->alloc[i].mask, 0);
        hold_again(s, p, v, b->alloc[i].mask);
    }
    run_delete(p, b->end_us, job);
    s->busy -= b->cards;
    s->running--;
    b->state = J_DONE;
    sl_free(b->alloc);
    b->alloc = NULL;
    b->nalloc = 0;
    p->shadow_ok = 0;
    p->dirty = 1;
}

/* ---- servers out of service and spares ---- */

/* Moves free cards `mask` of server v (in partition p) into its held set. */
static void hold(struct sl_sched *s, struct part *p, uint32_t v, uint64_t mask)
{
    if (!mask)
        return;
    set_free(p, p->hist, &s->nfree[v], &s->free[v], mask, 1);
    p->free_cards -= popcount64(mask);
    s->held[v] |= mask;
}

/* Cards just freed on v go back to its held set when v is down or a
 * spare (nothing is placed on them until it is back in service). */
static void hold_again(struct sl_sched *s, struct part *p, uint32_t v, uint64_t mask)
{
    if (s->hold_state && s->hold_state[v] != HOLD_NONE)
        hold(s, p, v, mask);
}

static int hold_init(struct sl_sched *s)
{
    if (s->held)
        return SL_OK;
    s->held = sl_calloc(s->nservers, sizeof *s->held);
    s->hold_state = sl_calloc(s->nservers, 1);
    if (!s->held || !s->hold_state) {
        sl_free(s->held);
        sl_free(s->hold_state);
        s->held = NULL;
        s->hold_state = NULL;
        return SL_ENOMEM;
    }
    return SL_OK;
}

/* Gives v's held cards back to the free map. */
static void unhold(struct sl_sched *s, struct part *p, uint32_t v)
{
    uint64_t m = s->held[v];
    if (!m)
        return;
    s->held[v] = 0;
    set_free(p, p->hist, &s->nfree[v], &s->free[v], m, 0);
    p->free_cards += popcount64(m);
}

int sl_sched_set_down(struct sl_sched *s, size_t server, int down)
{
    if (server >= s->nservers || s->pidx[server] == NONE)
        return SL_OK;
    int rc = hold_init(s);
    if (rc != SL_OK)
        return rc;
    struct part *p = &s->parts[s->pidx[server]];
    uint32_t v = (uint32_t)server;
    if (down) {
        if (s->hold_state[v] == HOLD_DOWN)
            return SL_OK;
        if (s->hold_state[v] == HOLD_SPARE)
            p->nspare--;
        hold(s, p, v, s->free[v]);
        s->hold_state[v] = HOLD_DOWN;
    } else {
        if (s->hold_state[v] != HOLD_DOWN)
            return SL_OK;
        s->hold_state[v] = HOLD_NONE;
        unhold(s, p, v);
    }
    p->shadow_ok = 0;
    p->dirty = 1;
    return SL_OK;
}

int sl_sched_server_down(const struct sl_sched *s, size_t server)
{
    return s->hold_state && server < s->nservers && s->hold_state[server] == HOLD_DOWN;
}

int sl_sched_set_spare(struct sl_sched *s, size_t server, int spare)
{
    if (server >= s->nservers || s->pidx[server] == NONE)
        return 0;
    if (hold_init(s) != SL_OK)
        return 0;
    struct part *p = &s->parts[s->pidx[server]];
    uint32_t v = (uint32_t)server;
    if (spare) {
        if (s->hold_state[v] != HOLD_NONE || s->nfree[v] != s->cap[v])
            return 0;
        hold(s, p, v, s->free[v]);
        s->hold_state[v] = HOLD_SPARE;
        p->nspare++;
    } else {
        if (s->hold_state[v] != HOLD_SPARE)
            return 0;
        s->hold_state[v] = HOLD_NONE;
        p->nspare--;
        unhold(s, p, v);
    }
    p->shadow_ok = 0;
    p->dirty = 1;
    return 1;
}

size_t sl_sched_spares(struct sl_sched *s, uint32_t part)
{
    const struct part *p = part_find(s, part);
    return p ? p->nspare : 0;
}

int sl_sched_is_spare(const struct sl_sched *s, size_t server)
{
    return s->hold_state && server < s->nservers && s->hold_state[server] == HOLD_SPARE;
}

size_t sl_sched_move(struct sl_sched *s, uint32_t job, size_t k)
{
    assert(job < s->njobs && s->jobs[job].state == J_RUNNING && k < s->jobs[job].nalloc);
    struct job *b = &s->jobs[job];
    struct part *p = &s->parts[b->pidx];
    uint32_t old = b->alloc[k].server;
    uint64_t old_mask = b->alloc[k].mask;
    uint32_t n = popcount64(old_mask);
    s->mark_epoch++;
    if (s->mark_epoch == 0) {
        memset(s->mark, 0, s->nservers * sizeof *s->mark);
        s->mark_epoch = 1;
    }
    for (size_t i = 0; i < b->nalloc; i++)
        s->mark[b->alloc[i].server] = s->mark_epoch;
    /* A spare first (lowest index), else the best fit among the servers in
     * service. */
    uint32_t to = NONE;
    int from_spare = 0;
    for (size_t i = 0; s->hold_state && i < p->nsrv && to == NONE; i++) {
        uint32_t v = p->srv[i];
        if (s->hold_state[v] == HOLD_SPARE && !marked(s, v) && popcount64(s->held[v]) >= n) {
            to = v;
            from_spare = 1;
        }
    }
    if (to == NONE)
        to = best_fit(s, p, n, 0);
    if (to == NONE)
        return SIZE_MAX;
    uint64_t m;
    if (from_spare) {
        m = low_bits(s->held[to], n);
        s->held[to] &= ~m;
        if (!s->held[to]) {
            s->hold_state[to] = HOLD_NONE; /* all its cards are a job's now */
            p->nspare--;
        }
    } else {
        m = low_bits(s->free[to], n);
        set_free(p, p->hist, &s->nfree[to], &s->free[to], m, 1);
        p->free_cards -= n;
    }
    set_free(p, p->hist, &s->nfree[old], &s->free[old], old_mask, 0);
    p->free_cards += n;
    hold_again(s, p, old, old_mask);
    b->alloc[k].server = to;
    b->alloc[k].mask = m;
    p->shadow_ok = 0;
    p->dirty = 1;
    return to;
}

int64_t sl_sched_reservation(const struct sl_sched *s, uint32_t job)
{
    return job < s->njobs ? s->jobs[job].resv_us : -1;
}

size_t sl_sched_queued(const struct sl_sched *s)
{
    return s->queued;
}

size_t sl_sched_running(const struct sl_sched *s)
{
    return s->running;
}

size_t sl_sched_busy_cards(const struct sl_sched *s)
{
    return s->busy;
}

/* ---- replay ---- */

struct ev {
    int64_t t;
    uint32_t job;
};

static int ev_less(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->job < b->job);
}

static void ev_push(struct ev *h, size_t *n, struct ev e)
{
    size_t i = (*n)++;
    h[i] = e;
    while (i > 0 && ev_less(&h[i], &h[(i - 1) / 2])) {
        struct ev t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct ev ev_pop(struct ev *h, size_t *n)
{
    struct ev top = h[0];
    h[0] = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && ev_less(&h[l], &h[m]))
            m = l;
        if (r < *n && ev_less(&h[r], &h[m]))
            m = r;
        if (m == i)
            break;
        struct ev t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

int sl_sched_replay(struct sl_sched *s, const struct sl_sched_job *jobs, size_t n,
                    int64_t *start_us, struct sl_sched_replay_stats *st, struct sl_diag *d)
{
    memset(st, 0, sizeof *st);
    if (n > s->njobs)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "scheduler replay: %zu jobs for a scheduler of %zu", n, s->njobs);
    struct ev *heap = sl_malloc((n ? n : 1) * sizeof *heap);
    uint32_t *out = sl_malloc(256 * sizeof *out);
    if (!heap || !out) {
        sl_free(heap);
        sl_free(out);
        return SL_ENOMEM;
    }
    size_t nh = 0, next = 0, done = 0;
    int64_t first = n ? jobs[0].submit_us : 0, last = first;
    double card_us = 0, wait_us = 0;
    int rc = SL_OK;
    for (size_t i = 0; i < n; i++)
        start_us[i] = -1;
    while (done < n) {
        int64_t t = INT64_MAX;
        if (next < n)
            t = jobs[next].submit_us;
        if (nh && heap[0].t < t)
            t = heap[0].t;
        if (t == INT64_MAX) {
            rc = sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "scheduler replay: %zu jobs never started",
                             n - done);
            break;
        }
        while (nh && heap[0].t == t) {
            struct ev e = ev_pop(heap, &nh);
            sl_sched_finish(s, e.job, t);
            done++;
        }
        while (next < n && jobs[next].submit_us == t) {
            const struct sl_sched_job *j = &jobs[next];
            if (j->submit_us < (next ? jobs[next - 1].submit_us : 0) || j->runtime_us > j->est_us ||
                j->runtime_us < 0) {
                rc = sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                                 "scheduler replay: job %zu: submit times must not decrease "
                                 "and 0 <= run time <= estimate",
                                 next);
                goto out;
            }
            rc =
                sl_sched_submit(s, (uint32_t)next, j->cards, j->part, j->priority, t, j->est_us, d);
            if (rc != SL_OK)
                goto out;
            next++;
        }
        size_t k;
        do {
            k = sl_sched_dispatch(s, t, out, 256);
            for (size_t i = 0; i < k; i++) {
                uint32_t id = out[i];
                const struct sl_sched_job *j = &jobs[id];
                start_us[id] = t;
                sl_sched_set_end(s, id, t + j->runtime_us);
                ev_push(heap, &nh, (struct ev){t + j->runtime_us, id});
                card_us += (double)j->cards * (double)j->runtime_us;
                wait_us += (double)(t - j->submit_us);
                if (t + j->runtime_us > last)
                    last = t + j->runtime_us;
            }
        } while (k == 256);
        if (sl_sched_queued(s) > st->max_queued)
            st->max_queued = sl_sched_queued(s);
    }
out:
    sl_free(heap);
    sl_free(out);
    uint64_t total = 0;
    for (size_t i = 0; i < s->nparts; i++)
        total += s->parts[i].total_cards;
    st->makespan_us = last - first;
    st->mean_wait_s = n ? wait_us / (double)n * 1e-6 : 0;
    st->utilisation =
        st->makespan_us > 0 && total ? card_us / ((double)total * (double)st->makespan_us) : 0;
    return rc;
}
