/*
 * The event engine (contract in include/suanli/engine.h).
 *
 * Pending events live in a 4-ary implicit min-heap of 16-byte entries: the
 * time and a 64-bit key holding (priority + 32768) in the top 16 bits and a
 * 48-bit insertion sequence below.  Keys are unique, so (t_us, key) is a
 * strict total order and ties never depend on where an entry happens to sit.
 * Everything else is kept out of the entries so that the four children of a
 * node fill exactly one cache line:
 *
 *   hslot[i]  the slot of heap entry i (a parallel uint32 array);
 *   pos[s]    the heap index of slot s, SL__NOPOS when the slot is free, so
 *             cancel and reschedule find their entry in O(1);
 *   slots[s]  the handler, context, argument and generation of event s.
 *
 * The heap rewrites heap[], hslot[] and pos[] at every level it moves an
 * entry through and never touches slots[], which it only reads when an
 * event fires.  pos[] is separate from slots[] for the same reason: 16
 * positions share a cache line, 2 slots would.
 *
 * Layout.  Children of heap index i are 4i+1 .. 4i+4.  The block is placed
 * so that &heap[1] is 64-byte aligned, which puts every group of four
 * siblings in one cache line and the 16 grandchildren of a node in four
 * consecutive lines; hslot[] is aligned the same way (one group per 16
 * bytes).  Siftings move a hole and write each entry once rather than
 * swapping.
 *
 * Comparisons.  Times are never negative (the clock starts at 0 and events
 * are never scheduled before it), so (t_us, key) compares as one unsigned
 * 128-bit number: a cmp/sbb pair on x86-64, no branch.  Sifting down picks
 * the least of four children; it first compares only the times, which
 * compiles to conditional moves and keeps the loop's critical path short,
 * and falls back to the full comparison only when two of the times it
 * compared are equal.  Measured with bench/bench_engine.c: with distinct
 * times this is 1.3x the throughput of comparing full keys at every level
 * (10^3 to 10^5 pending events); when nearly all pending times are shared
 * (its "ties" variant) it costs 10-30%, as the fallback then runs after the
 * fast path at most levels.  Distinct times are the common case in our
 * models, so the fast path wins.
 *
 * Deferred pop.  The common DES handler schedules one follow-up event (a
 * job step, a timer).  Popping the root and then pushing the new event costs
 * a sift-down of the last leaf plus a sift-up; putting the new event
 * straight into the vacated root costs one sift-down.  So sl_engine_run
 * leaves the root as a hole (e->vacant) while the handler runs.  The first
 * schedule from the handler fills the hole; any other operation that walks
 * the heap first "settles" it the ordinary way (last leaf into the root,
 * sift down).  While vacant, the live entries are heap[1 .. n] and e->n
 * still counts only live events.  Measured on the hold model: 10% faster at
 * 10^3 pending events, a few percent at 10^5.
 *
 * Ids.  An id is (generation << 32) | slot.  A slot's generation starts at 1
 * and is bumped (skipping 0) every time the slot is freed, so the ids of
 * fired and cancelled events, and id 0, are recognised as stale.  A
 * generation wraps after 2^32 reuses of one slot; an id held across that
 * many reuses could alias a newer event, which no simulation we run does.
 *
 * Invariants (checked by sl__engine_check): heap order among live entries;
 * pos[hslot[i]] == i for every live i; pos[s] == SL__NOPOS exactly for free
 * slots, which form the free list; every key's sequence is < e->seq; every
 * pending time is >= now.
 */
#include "suanli/engine.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#define SL__NOPOS       UINT32_MAX
#define SL__SEQ_BITS    48
#define SL__SEQ_MASK    ((UINT64_C(1) << SL__SEQ_BITS) - 1)
#define SL__HEAP_ALIGN  64
#define SL__INITIAL_CAP 64
/* Slot indices and heap positions are uint32 with UINT32_MAX reserved; the
 * heap capacity stays a multiple of 4 (see grow_heap). */
#define SL__MAX_EVENTS ((size_t)UINT32_MAX - 15)

#if defined(__GNUC__)
#define SL__PREFETCH(p) __builtin_prefetch(p)
#define SL__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SL__PREFETCH(p) ((void)(p))
#define SL__UNLIKELY(x) (x)
#endif

/* The event order: time, then priority, then insertion sequence.  Without a
 * 128-bit type the fallback uses & and | rather than && and || for the same
 * reason the 128-bit form exists: in the sift loops the outcome is a coin
 * toss, and a mispredicted branch costs more than the comparison. */
static inline int entry_less(const struct sl__heap_entry *a, const struct sl__heap_entry *b)
{
#if defined(__SIZEOF_INT128__)
    __extension__ unsigned __int128 ka = (unsigned __int128)(uint64_t)a->t_us << 64 | a->key;
    __extension__ unsigned __int128 kb = (unsigned __int128)(uint64_t)b->t_us << 64 | b->key;
    return ka < kb;
#else
    return (a->t_us < b->t_us) | ((a->t_us == b->t_us) & (a->key < b->key));
#endif
}

static inline uint64_t make_id(uint32_t gen, uint32_t slot)
{
    return (uint64_t)gen << 32 | slot;
}

static inline void put(struct sl_engine *e, size_t i, struct sl__heap_entry x, uint32_t slot)
{
    e->heap[i] = x;
    e->hslot[i] = slot;
    e->pos[slot] = (uint32_t)i;
}

/* Moves the hole at `hole` towards the root until x fits, then stores x.
 * Expected O(1) levels for a random key, O(log n) at worst. */
static void sift_up(struct sl_engine *e, size_t hole, struct sl__heap_entry x, uint32_t xslot)
{
    struct sl__heap_entry *h = e->heap;
    while (hole > 0) {
        size_t parent = (hole - 1) / 4;
        if (!entry_less(&x, &h[parent]))
            break;
        put(e, hole, h[parent], e->hslot[parent]);
        hole = parent;
    }
    put(e, hole, x, xslot);
}

/* Index of the least of the four entries g[0..3], which start at heap index
 * c, comparing full keys: a two-round tournament whose rounds compile to
 * carry arithmetic rather than branches. */
static inline size_t least_of_4(const struct sl__heap_entry *g, size_t c)
{
    size_t a = (size_t)entry_less(&g[1], &g[0]);
    size_t b = 2 + (size_t)entry_less(&g[3], &g[2]);
    size_t b_wins = (size_t)entry_less(&g[b], &g[a]);
    return c + a + ((0 - b_wins) & (b - a));
}

/* Moves the hole at `hole` towards the leaves of a heap of n entries until x
 * fits, then stores x.  O(log n).
 *
 * Full groups of four children are first ranked by time alone (conditional
 * moves on one register each); only if the tournament met equal times does
 * least_of_4 redo it on full keys.  While a group is compared, the four lines
 * holding its sixteen grandchildren are prefetched, so the walk down a heap
 * larger than the cache overlaps its misses instead of paying them one level
 * at a time.  Only the one node whose group is cut short by n takes the
 * generic loop. */
static void sift_down(struct sl_engine *e, size_t hole, struct sl__heap_entry x, uint32_t xslot,
                      size_t n)
{
    struct sl__heap_entry *h = e->heap;
    for (;;) {
        size_t c = 4 * hole + 1;
        size_t m;
        if (c + 3 < n) {
            size_t gc = 4 * c + 1;
            if (gc + 15 < n) {
                SL__PREFETCH(&h[gc]);
                SL__PREFETCH(&h[gc + 4]);
                SL__PREFETCH(&h[gc + 8]);
                SL__PREFETCH(&h[gc + 12]);
            }
            const struct sl__heap_entry *g = &h[c];
            int64_t t0 = g[0].t_us, t1 = g[1].t_us, t2 = g[2].t_us, t3 = g[3].t_us;
            size_t a = t1 < t0 ? c + 1 : c;
            int64_t ta = t1 < t0 ? t1 : t0;
            size_t b = t3 < t2 ? c + 3 : c + 2;
            int64_t tb = t3 < t2 ? t3 : t2;
            m = tb < ta ? b : a;
            if (SL__UNLIKELY((t0 == t1) | (t2 == t3) | (ta == tb)))
                m = least_of_4(g, c);
        } else if (c < n) {
            m = c;
            for (size_t k = c + 1; k < n; k++)
                if (entry_less(&h[k], &h[m]))
                    m = k;
        } else {
            break;
        }
        if (!entry_less(&h[m], &x))
            break;
        put(e, hole, h[m], e->hslot[m]);
        hole = m;
    }
    put(e, hole, x, xslot);
}

/* Fills the root hole left by sl_engine_run with the last leaf.  The live
 * entries are heap[1 .. n]; afterwards they are heap[0 .. n-1]. */
static void settle(struct sl_engine *e)
{
    e->vacant = 0;
    if (e->n > 0)
        sift_down(e, 0, e->heap[e->n], e->hslot[e->n], e->n);
}

/* Bytes for a heap of cap entries: the entries, hslot (which starts 3
 * elements early so that its groups are aligned too) and alignment slack. */
static size_t heap_bytes(size_t cap)
{
    return SL__HEAP_ALIGN + cap * sizeof(struct sl__heap_entry) + (cap + 3) * sizeof(uint32_t);
}

/* Doubles the heap capacity.  heap[] and hslot[] share one allocation, so
 * the block is copied rather than realloc'ed (hslot moves when the heap part
 * grows).  On failure nothing changes. */
static int grow_heap(struct sl_engine *e)
{
    size_t cap = e->cap ? 2 * e->cap : SL__INITIAL_CAP;
    if (cap > SL__MAX_EVENTS)
        cap = SL__MAX_EVENTS;
    if (cap <= e->cap)
        return SL_ERANGE;
    if (cap > (SIZE_MAX - SL__HEAP_ALIGN) / (sizeof(struct sl__heap_entry) + sizeof(uint32_t)) - 4)
        return SL_ENOMEM;
    char *raw = sl_malloc(heap_bytes(cap));
    if (!raw)
        return SL_ENOMEM;
    uintptr_t first_child = (uintptr_t)(raw + sizeof(struct sl__heap_entry));
    size_t off = (size_t)((SL__HEAP_ALIGN - first_child % SL__HEAP_ALIGN) % SL__HEAP_ALIGN);
    struct sl__heap_entry *heap = (struct sl__heap_entry *)(void *)(raw + off);
    /* cap is a multiple of 4, so &heap[cap + 1] is aligned like &heap[1]
     * and &hslot[1] lands on it. */
    uint32_t *hslot = (uint32_t *)(void *)(heap + cap) + 3;
    /* Only a settled heap grows: a vacant root is itself a free position. */
    assert(!e->vacant);
    if (e->n > 0) {
        memcpy(heap, e->heap, e->n * sizeof *heap);
        memcpy(hslot, e->hslot, e->n * sizeof *hslot);
    }
    sl_free(e->heap_raw);
    e->heap_raw = raw;
    e->heap = heap;
    e->hslot = hslot;
    e->cap = cap;
    return SL_OK;
}

/* Doubles the slot table and pos[].  If only the first reallocation
 * succeeds, the larger block is kept but slots_cap is not raised, so the
 * engine is unchanged as far as anyone can observe. */
static int grow_slots(struct sl_engine *e)
{
    size_t cap = e->slots_cap ? 2 * e->slots_cap : SL__INITIAL_CAP;
    if (cap > SL__MAX_EVENTS)
        cap = SL__MAX_EVENTS;
    if (cap <= e->slots_cap)
        return SL_ERANGE;
    struct sl__event_slot *slots = sl_reallocarray(e->slots, cap, sizeof *slots);
    if (!slots)
        return SL_ENOMEM;
    e->slots = slots;
    uint32_t *pos = sl_reallocarray(e->pos, cap, sizeof *pos);
    if (!pos)
        return SL_ENOMEM;
    e->pos = pos;
    e->slots_cap = cap;
    return SL_OK;
}

static void free_slot(struct sl_engine *e, uint32_t s)
{
    struct sl__event_slot *sl = &e->slots[s];
    sl->gen = sl->gen == UINT32_MAX ? 1 : sl->gen + 1;
    sl->next_free = e->free_head;
    e->free_head = s;
    e->pos[s] = SL__NOPOS;
}

/* Returns the slot of a pending event, or SL__NOPOS when id is stale. */
static uint32_t lookup(const struct sl_engine *e, uint64_t id)
{
    uint32_t s = (uint32_t)(id & UINT32_MAX);
    uint32_t gen = (uint32_t)(id >> 32);
    if (s >= e->nslots || e->slots[s].gen != gen || e->pos[s] == SL__NOPOS)
        return SL__NOPOS;
    return s;
}

int sl_engine_init(struct sl_engine *e)
{
    memset(e, 0, sizeof *e);
    e->free_head = SL__NOPOS;
    e->event_limit = UINT64_MAX;
    e->progress_next = UINT64_MAX;
    return SL_OK;
}

void sl_engine_release(struct sl_engine *e)
{
    sl_free(e->heap_raw);
    sl_free(e->pos);
    sl_free(e->slots);
    sl_engine_init(e);
}

int sl_engine_schedule(struct sl_engine *e, int64_t t_us, int prio, sl_event_fn fn, void *ctx,
                       uint64_t arg, uint64_t *id)
{
    if (t_us < e->now_us || prio < SL_PRIO_MIN || prio > SL_PRIO_MAX || !fn)
        return SL_EINVAL;
    if (e->seq > SL__SEQ_MASK)
        return SL_ERANGE;
    int rc;
    /* A vacant root is a free heap position, so only a settled full heap
     * needs to grow. */
    if (!e->vacant && e->n == e->cap && (rc = grow_heap(e)) != SL_OK)
        return rc;
    if (e->free_head == SL__NOPOS && e->nslots == e->slots_cap && (rc = grow_slots(e)) != SL_OK)
        return rc;

    uint32_t s;
    if (e->free_head != SL__NOPOS) {
        s = e->free_head;
        e->free_head = e->slots[s].next_free;
    } else {
        s = (uint32_t)e->nslots++;
        e->slots[s].gen = 1;
    }
    struct sl__event_slot *sl = &e->slots[s];
    sl->fn = fn;
    sl->ctx = ctx;
    sl->arg = arg;

    struct sl__heap_entry x;
    x.t_us = t_us;
    x.key = (uint64_t)(prio - SL_PRIO_MIN) << SL__SEQ_BITS | e->seq++;
    if (e->vacant) {
        e->vacant = 0;
        e->n++;
        sift_down(e, 0, x, s, e->n);
    } else {
        e->n++;
        sift_up(e, e->n - 1, x, s);
    }
    if (id)
        *id = make_id(sl->gen, s);
    return SL_OK;
}

int sl_engine_schedule_in(struct sl_engine *e, int64_t delay_us, int prio, sl_event_fn fn,
                          void *ctx, uint64_t arg, uint64_t *id)
{
    if (delay_us < 0)
        return SL_EINVAL;
    if (e->now_us > INT64_MAX - delay_us)
        return SL_ERANGE;
    return sl_engine_schedule(e, e->now_us + delay_us, prio, fn, ctx, arg, id);
}

/* Removes the entry at heap index i of a settled heap.  The last leaf fills
 * the hole and moves up or down, whichever restores the order. */
static void remove_at(struct sl_engine *e, size_t i)
{
    size_t last = --e->n;
    if (i == last)
        return;
    struct sl__heap_entry x = e->heap[last];
    uint32_t xslot = e->hslot[last];
    if (i > 0 && entry_less(&x, &e->heap[(i - 1) / 4]))
        sift_up(e, i, x, xslot);
    else
        sift_down(e, i, x, xslot, e->n);
}

int sl_engine_cancel(struct sl_engine *e, uint64_t id)
{
    uint32_t s = lookup(e, id);
    if (s == SL__NOPOS)
        return SL_ESTALE;
    if (e->vacant)
        settle(e);
    remove_at(e, e->pos[s]);
    free_slot(e, s);
    return SL_OK;
}

int sl_engine_reschedule(struct sl_engine *e, uint64_t id, int64_t t_us)
{
    uint32_t s = lookup(e, id);
    if (s == SL__NOPOS)
        return SL_ESTALE;
    if (t_us < e->now_us)
        return SL_EINVAL;
    if (e->seq > SL__SEQ_MASK)
        return SL_ERANGE;
    if (e->vacant)
        settle(e);
    size_t i = e->pos[s];
    struct sl__heap_entry x = e->heap[i];
    x.t_us = t_us;
    x.key = (x.key & ~SL__SEQ_MASK) | e->seq++;
    if (entry_less(&x, &e->heap[i]))
        sift_up(e, i, x, s);
    else
        sift_down(e, i, x, s, e->n);
    return SL_OK;
}

int sl_engine_is_pending(const struct sl_engine *e, uint64_t id)
{
    return lookup(e, id) != SL__NOPOS;
}

int64_t sl_engine_next_time(const struct sl_engine *e)
{
    if (e->n == 0)
        return INT64_MAX;
    if (!e->vacant)
        return e->heap[0].t_us;
    /* Called from a handler: the root is a hole and the earliest event is
     * one of its children, heap[1 .. min(4, n)]. */
    size_t last = e->n < 4 ? e->n : 4;
    int64_t t = INT64_MAX;
    for (size_t k = 1; k <= last; k++)
        if (e->heap[k].t_us < t)
            t = e->heap[k].t_us;
    return t;
}

int sl_engine_run(struct sl_engine *e, int64_t end_us)
{
    if (e->running)
        return SL_ESTATE;
    if (end_us < e->now_us)
        return SL_EINVAL;
    e->running = 1;
    e->stop = 0;
    int status;
    for (;;) {
        if (e->vacant)
            settle(e);
        if (e->n == 0) {
            status = SL_RUN_EMPTY;
            break;
        }
        int64_t t_us = e->heap[0].t_us;
        if (t_us > end_us) {
            status = SL_RUN_END_TIME;
            break;
        }
        if (e->fired >= e->event_limit) {
            status = SL_RUN_EVENT_LIMIT;
            break;
        }
        /* Copy the handler out and free the slot before calling it: the
         * handler's own id is then stale, and its first schedule reuses the
         * slot whose cache line is already loaded. */
        uint32_t s = e->hslot[0];
        struct sl__event_slot *sl = &e->slots[s];
        sl_event_fn fn = sl->fn;
        void *ctx = sl->ctx;
        uint64_t arg = sl->arg;
        free_slot(e, s);
        e->now_us = t_us;
        e->n--;
        e->vacant = 1;
        e->fired++;
        /* The next event to fire is one of the root's children unless the
         * handler schedules an earlier one.  Their slots sit at random in a
         * table that outgrows the cache; fetching them now overlaps that
         * miss with the handler and the sift instead of stalling the next
         * iteration on it. */
        if (e->n >= 4) {
            SL__PREFETCH(&e->slots[e->hslot[1]]);
            SL__PREFETCH(&e->slots[e->hslot[2]]);
            SL__PREFETCH(&e->slots[e->hslot[3]]);
            SL__PREFETCH(&e->slots[e->hslot[4]]);
        }
        fn(e, ctx, arg);
        if (e->fired >= e->progress_next) {
            e->progress_next = e->fired > UINT64_MAX - e->progress_every
                                   ? UINT64_MAX
                                   : e->fired + e->progress_every;
            e->progress(e, e->progress_ctx);
        }
        if (e->stop) {
            status = SL_RUN_STOPPED;
            break;
        }
    }
    if (e->vacant)
        settle(e);
    if (status == SL_RUN_EMPTY || status == SL_RUN_END_TIME)
        e->now_us = end_us;
    e->stop = 0;
    e->running = 0;
    return status;
}

void sl_engine_stop(struct sl_engine *e)
{
    if (e->running)
        e->stop = 1;
}

void sl_engine_set_event_limit(struct sl_engine *e, uint64_t limit)
{
    e->event_limit = limit ? limit : UINT64_MAX;
}

void sl_engine_set_progress(struct sl_engine *e, sl_progress_fn fn, void *ctx, uint64_t every)
{
    e->progress = fn;
    e->progress_ctx = ctx;
    e->progress_every = every;
    if (!fn || every == 0 || e->fired > UINT64_MAX - every)
        e->progress_next = UINT64_MAX;
    else
        e->progress_next = e->fired + every;
}

int sl__engine_check(const struct sl_engine *e)
{
    if (e->n > e->cap || e->nslots > e->slots_cap || e->seq > SL__SEQ_MASK + 1)
        return -1;
    if (e->heap && ((uintptr_t)&e->heap[1] % SL__HEAP_ALIGN != 0 ||
                    (uintptr_t)&e->hslot[1] % SL__HEAP_ALIGN != 0 || e->cap % 4 != 0))
        return -9;
    size_t first = e->vacant ? 1 : 0;
    size_t end = e->n + first;
    if (e->n > 0 && end > e->cap)
        return -2;
    size_t free_count = 0;
    for (uint32_t s = e->free_head; s != SL__NOPOS; s = e->slots[s].next_free) {
        if (s >= e->nslots || e->pos[s] != SL__NOPOS || ++free_count > e->nslots)
            return -3;
    }
    if (free_count + e->n != e->nslots)
        return -4;
    for (size_t i = first; i < end; i++) {
        const struct sl__heap_entry *x = &e->heap[i];
        uint32_t s = e->hslot[i];
        if (s >= e->nslots || e->pos[s] != i)
            return -5;
        if ((x->key & SL__SEQ_MASK) >= e->seq || x->t_us < e->now_us || x->t_us < 0)
            return -6;
        if (i > 0) {
            size_t parent = (i - 1) / 4;
            if (parent >= first && entry_less(x, &e->heap[parent]))
                return -7;
        }
    }
    for (size_t s = 0; s < e->nslots; s++)
        if (e->slots[s].gen == 0)
            return -8;
    return 0;
}
