/*
 * The event engine (contract in include/suanli/engine.h): the slot table,
 * the public API and the run loop, over the pending set kept by the bottom
 * heap (src/core/engine_heap.c) and the ladder queue with its sorted run
 * (src/core/engine_ladder.c); private declarations in
 * src/core/engine_int.h.
 *
 * Events are ordered by (time, key), where the 64-bit key holds
 * (priority + 32768) in its top 16 bits and a 48-bit insertion sequence
 * below.  Keys are unique, so the order is strict and total, and the firing
 * order depends only on the operations, never on where an event is stored.
 *
 * Where an event goes.  The pending set is split by time into tiers: the
 * bottom (the heap and the sorted run) holds the times before bottom_end,
 * the ladder's rungs and top the later ones (Tang, Goh & Thng 2005; see
 * src/core/engine_ladder.c).  Schedule files an event in the heap when its
 * time is before bottom_end, else in the ladder; the earliest event is the
 * lesser of the run's first and the heap's least, and the bottom is
 * refilled from the ladder whenever it runs dry while anything is pending.
 * A heap that outgrows spill_at is spilled into a new rung.
 *
 * Slots and ids.  Each pending event has a slot holding its handler and
 * arguments; pos[s] says where slot s's event is, for O(1) cancel and
 * reschedule: a heap index (below 2^32), or a ladder or run location with
 * a tag above bit 37 (see engine_int.h), or SL__NOLOC when the slot is
 * free.  Free slots form a list.  An id is (generation << 32) | slot.  A
 * slot's generation starts at 1 and is bumped (skipping 0) every time the
 * slot is freed, so the ids of fired and cancelled events, and id 0, are
 * recognised as stale.  A generation wraps after 2^32 reuses of one slot;
 * an id held across that many reuses could alias a newer event, which no
 * simulation we run does.
 *
 * The run loop frees an event's slot before calling its handler (so the
 * handler's own id is stale and its first schedule reuses a slot already
 * in the cache) and leaves the heap's root vacant for that schedule to fill
 * (the deferred pop, see src/core/engine_heap.c).
 *
 * Memory.  The heap's capacity always covers every pending event, and
 * schedule grows it (and the slot table) before changing anything, so a
 * failed schedule returns SL_ENOMEM with the engine unchanged.  Everything
 * else that allocates has a fallback that keeps the order exact (see
 * src/core/engine_ladder.c), so cancel, reschedule and run never fail for
 * lack of memory.
 *
 * Invariants (checked by sl__engine_check, with sl__heap_check and
 * sl__ladder_check for each tier): pos[] SL__NOLOC exactly for free slots,
 * which form the free list; a non-empty bottom whenever n > 0, and the
 * plain-heap state when n == 0; heap capacity >= n; every key's sequence
 * < seq; the events of all tiers add up to n; every generation nonzero.
 */
#include "core/engine_int.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t make_id(uint32_t gen, uint32_t slot)
{
    return (uint64_t)gen << 32 | slot;
}

/* Doubles the slot table and pos[].  If only the first reallocation
 * succeeds, the larger block is kept but slots_cap is not raised, so the
 * engine is unchanged as far as anyone can observe.  O(slots). */
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
    uint64_t *pos = sl_reallocarray(e->pos, cap, sizeof *pos);
    if (!pos)
        return SL_ENOMEM;
    e->pos = pos;
    e->slots_cap = cap;
    return SL_OK;
}

/* Returns slot s to the free list and makes its ids stale.  O(1). */
static void free_slot(struct sl_engine *e, uint32_t s)
{
    struct sl__event_slot *sl = &e->slots[s];
    sl->gen = sl->gen == UINT32_MAX ? 1 : sl->gen + 1;
    sl->next_free = e->free_head;
    e->free_head = s;
    e->pos[s] = SL__NOLOC;
}

/* Returns the slot of a pending event, or SL__NOPOS when id is stale.  O(1). */
static uint32_t lookup(const struct sl_engine *e, uint64_t id)
{
    uint32_t s = (uint32_t)(id & UINT32_MAX);
    uint32_t gen = (uint32_t)(id >> 32);
    if (s >= e->nslots || e->slots[s].gen != gen || e->pos[s] == SL__NOLOC)
        return SL__NOPOS;
    return s;
}

/* Pushes x, whose time is < bottom_end, onto the heap, and spills the
 * bottom into the ladder when the heap has outgrown spill_at.  O(log hn),
 * amortised O(1) for the spill. */
static void heap_push(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
{
    sl__heap_push(e, x, s);
    if (SL__UNLIKELY(e->hn > e->spill_at))
        sl__ladder_spill(e);
}

/* Files an event in the tier its time belongs to.  If the ladder cannot get
 * memory, everything goes back to the heap; so this never fails.  O(1)
 * amortised into the ladder, O(log hn) into the heap. */
static inline void insert(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
{
    if ((uint64_t)x.t_us < e->bottom_end) {
        heap_push(e, x, s);
    } else if (SL__UNLIKELY(sl__ladder_put(e, x, s) != SL_OK)) {
        sl__ladder_collapse(e);
        heap_push(e, x, s);
    }
}

/* ------------------------------------------------------------------ */
/* Public API */

int sl_engine_init(struct sl_engine *e)
{
    memset(e, 0, sizeof *e);
    e->free_head = SL__NOPOS;
    e->event_limit = UINT64_MAX;
    e->progress_next = UINT64_MAX;
    e->bottom_end = SL__TIME_END;
    e->top_start = SL__TIME_END;
    e->tune.ladder_on = SL__LADDER_ON;
    e->tune.split = SL__SPLIT;
    e->tune.occ = SL__OCC;
    e->tune.run_max = SL__RUN_MAX;
    e->spill_at = SL__LADDER_ON;
    e->top.head = SL__NOCHUNK;
    e->chunk_free = SL__NOCHUNK;
    sl__ladder_reset_top(e);
    return SL_OK;
}

void sl_engine_release(struct sl_engine *e)
{
    sl_free(e->heap_raw);
    sl_free(e->pos);
    sl_free(e->slots);
    sl_free(e->chunks);
    sl_free(e->run);
    for (unsigned r = 0; r < SL__RUNGS; r++)
        sl_free(e->rung[r].b);
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
    /* Keep cap >= n so that the heap can always take every pending event
     * (collapse, and refills, never allocate).  A vacant root takes a
     * position too, but hn + vacant <= cap holds already: the event that
     * left it was counted in n. */
    if (e->n == e->cap && (rc = sl__heap_grow(e)) != SL_OK)
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
    e->n++;
    insert(e, x, s);
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

int sl_engine_cancel(struct sl_engine *e, uint64_t id)
{
    uint32_t s = lookup(e, id);
    if (s == SL__NOPOS)
        return SL_ESTALE;
    uint64_t loc = e->pos[s];
    uint32_t tag = (uint32_t)(loc >> SL__LOC_TAG_SHIFT);
    if (tag == 0) {
        if (e->vacant)
            sl__heap_settle(e);
        sl__heap_remove(e, (size_t)e->pos[s]);
    } else if (tag == SL__TAG_RUN) {
        sl__ladder_run_kill(e, (uint32_t)loc);
    } else {
        (void)sl__ladder_remove(e, loc);
    }
    e->n--;
    free_slot(e, s);
    if (sl__bottom_empty(e) && !e->vacant)
        sl__ladder_refill(e);
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
    struct sl__heap_entry x;
    uint64_t loc = e->pos[s];
    uint32_t tag = (uint32_t)(loc >> SL__LOC_TAG_SHIFT);
    if (tag != 0) {
        /* In the run or the ladder: take it out and file it again. */
        if (tag == SL__TAG_RUN) {
            x.t_us = e->run[(uint32_t)loc].t_us;
            x.key = e->run[(uint32_t)loc].key;
            sl__ladder_run_kill(e, (uint32_t)loc);
        } else {
            x = sl__ladder_remove(e, loc);
        }
        x.t_us = t_us;
        x.key = (x.key & ~SL__SEQ_MASK) | e->seq++;
        insert(e, x, s);
        if (sl__bottom_empty(e) && !e->vacant)
            sl__ladder_refill(e);
        return SL_OK;
    }
    if (e->vacant)
        sl__heap_settle(e);
    size_t i = (size_t)e->pos[s];
    x = e->heap[i];
    x.t_us = t_us;
    x.key = (x.key & ~SL__SEQ_MASK) | e->seq++;
    if ((uint64_t)t_us < e->bottom_end) {
        if (sl__entry_less(&x, &e->heap[i]))
            sl__heap_sift_up(e, i, x, s);
        else
            sl__heap_sift_down(e, i, x, s, e->hn);
        return SL_OK;
    }
    /* From the heap out to the ladder. */
    sl__heap_remove(e, i);
    if (SL__UNLIKELY(sl__ladder_put(e, x, s) != SL_OK)) {
        sl__ladder_collapse(e);
        heap_push(e, x, s);
    } else if (sl__bottom_empty(e)) {
        sl__ladder_refill(e);
    }
    return SL_OK;
}

int sl_engine_is_pending(const struct sl_engine *e, uint64_t id)
{
    return lookup(e, id) != SL__NOPOS;
}

int64_t sl_engine_next_time(const struct sl_engine *e)
{
    /* The bottom holds the earliest pending event whenever any is pending:
     * it is the run's first entry or the heap's least. */
    int64_t t = e->run_cur < e->run_end ? e->run[e->run_cur].t_us : INT64_MAX;
    if (e->hn == 0)
        return t;
    if (!e->vacant)
        return e->heap[0].t_us < t ? e->heap[0].t_us : t;
    /* Called from a handler: the root is a hole and the heap's least is one
     * of its children, heap[1 .. min(4, hn)]. */
    size_t last = e->hn < 4 ? e->hn : 4;
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
            sl__heap_settle(e);
        /* The next event is the run's first or the heap's least. */
        int from_run;
        int64_t t_us;
        if (e->run_cur < e->run_end) {
            const struct sl__ladder_entry *v = &e->run[e->run_cur];
            from_run = e->hn == 0 || sl__key_less(v->t_us, v->key, e->heap[0].t_us, e->heap[0].key);
            t_us = from_run ? v->t_us : e->heap[0].t_us;
        } else if (e->hn > 0) {
            from_run = 0;
            t_us = e->heap[0].t_us;
        } else {
            assert(e->n == 0);
            status = SL_RUN_EMPTY;
            break;
        }
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
        uint32_t s = from_run ? e->run[e->run_cur].slot : e->hslot[0];
        struct sl__event_slot *sl = &e->slots[s];
        sl_event_fn fn = sl->fn;
        void *ctx = sl->ctx;
        uint64_t arg = sl->arg;
        free_slot(e, s);
        e->now_us = t_us;
        e->n--;
        e->fired++;
        if (from_run) {
            e->run_cur++;
            sl__run_skip(e);
        } else if (--e->hn > 0) {
            e->vacant = 1;
            /* The next event to fire is one of the root's children unless
             * the handler schedules an earlier one.  Their slots sit at
             * random in a table that outgrows the cache; fetching them now
             * overlaps that miss with the handler and the sift instead of
             * stalling the next iteration on it. */
            if (e->hn >= 4) {
                SL__PREFETCH(&e->slots[e->hslot[1]]);
                SL__PREFETCH(&e->slots[e->hslot[2]]);
                SL__PREFETCH(&e->slots[e->hslot[3]]);
                SL__PREFETCH(&e->slots[e->hslot[4]]);
            }
        }
        /* When the bottom runs dry, refill it before the handler, which may
         * ask for the next time. */
        if (sl__bottom_empty(e))
            sl__ladder_refill(e);
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
        sl__heap_settle(e);
    if (status == SL_RUN_EMPTY || status == SL_RUN_END_TIME)
        e->now_us = end_us;
    e->stop = 0;
    e->running = 0;
    return status;
}

int sl_engine_peek(const struct sl_engine *e, uint32_t ahead, sl_event_fn *fn, void **ctx,
                   uint64_t *arg)
{
    if (ahead >= e->run_end - e->run_cur || e->run_cur >= e->run_end)
        return 0;
    uint32_t slot = e->run[e->run_cur + ahead].slot;
    if (slot == SL__DEAD)
        return 0;
    const struct sl__event_slot *sl = &e->slots[slot];
    *fn = sl->fn;
    *ctx = sl->ctx;
    *arg = sl->arg;
    return 1;
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

/* The engine-wide checks and the slot table here; each tier's own in
 * sl__heap_check and sl__ladder_check. */
int sl__engine_check(const struct sl_engine *e)
{
    if (e->n > e->cap || e->hn > e->n || e->hn + (size_t)e->vacant > e->cap ||
        e->nslots > e->slots_cap || e->seq > SL__SEQ_MASK + 1)
        return -1;
    /* The bottom holds the earliest event whenever anything is pending,
     * and a vacant root always has live entries below it. */
    if ((e->n > 0 && sl__bottom_empty(e)) || (e->vacant && e->hn == 0))
        return -10;
    size_t free_count = 0;
    for (uint32_t s = e->free_head; s != SL__NOPOS; s = e->slots[s].next_free) {
        if (s >= e->nslots || e->pos[s] != SL__NOLOC || ++free_count > e->nslots)
            return -3;
    }
    if (free_count + e->n != e->nslots)
        return -4;
    int rc = sl__heap_check(e);
    if (rc)
        return rc;
    size_t count = e->hn;
    rc = sl__ladder_check(e, &count);
    if (rc)
        return rc;
    if (count != e->n)
        return -19;
    for (size_t s = 0; s < e->nslots; s++)
        if (e->slots[s].gen == 0)
            return -8;
    return 0;
}

int sl__engine_tier(const struct sl_engine *e, uint64_t id)
{
    uint32_t s = lookup(e, id);
    if (s == SL__NOPOS)
        return -1;
    uint32_t tag = (uint32_t)(e->pos[s] >> SL__LOC_TAG_SHIFT);
    if (tag == 0)
        return SL__TIER_HEAP;
    if (tag == SL__TAG_RUN)
        return SL__TIER_RUN;
    if (tag == SL__TAG_TOP)
        return SL__TIER_TOP;
    return SL__TIER_RUNG0 + (int)(tag >> SL__TAG_RUNG_SHIFT) - 1;
}
