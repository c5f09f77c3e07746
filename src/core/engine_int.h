/*
 * The engine's private declarations: shared by the engine's three files and
 * the tests, never by library users.
 *
 * The engine is split by data structure: src/core/engine_heap.c is the
 * bottom's 4-ary heap, src/core/engine_ladder.c the ladder queue (chunk
 * pool, buckets, rungs, the top, the bottom's sorted run and the moves
 * between tiers), and src/core/engine.c the slot table with its
 * generation-checked ids, the public API and the run loop, which decides
 * which tier an event goes to.  The event order, the tiers and their
 * invariants are described at the top of each file.
 *
 * include/suanli/engine.h defines struct sl_engine because callers embed it
 * (its size must be known), together with the few types it holds by value
 * (buckets, rungs, tuning).  Everything reached only through a pointer is
 * completed here: the heap's entries, the ladder's entries and the chunks
 * that store them, and the event slots.  Keeping these out of the public
 * header changes no layout and no generated code; it only keeps users from
 * depending on them.
 *
 * The small helpers that every file uses on the path of each event (the
 * order, the heap's store, the run's cursor) and the filing of an event in
 * the ladder (sl__ladder_put, on most schedules) are static inline here; the
 * larger functions the files call across are sl__-prefixed and left to the
 * Release build's link-time optimisation to inline where it pays.  The
 * test hooks at the end inspect the pending set (sl__engine_check,
 * sl__engine_tier); tests also write e->tune between sl_engine_init and the
 * first schedule to build deep ladders from few events.
 */
#ifndef SUANLI_CORE_ENGINE_INT_H
#define SUANLI_CORE_ENGINE_INT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "suanli/diag.h"
#include "suanli/engine.h"

/* An event in the bottom's heap, ordered by (t_us, key); the slot of
 * heap[i] is hslot[i], in a parallel array. */
struct sl__heap_entry {
    int64_t t_us; /* >= 0: the clock starts at 0 and never runs backwards */
    uint64_t key; /* (priority + 32768) << 48 | insertion sequence (48 bits) */
};

/* An event in the top, a rung bucket or the bottom's sorted run. */
struct sl__ladder_entry {
    int64_t t_us;
    uint64_t key;
    uint32_t slot;
};

/* Ladder entries are stored in fixed-size chunks from one pool; a bucket is
 * a list of chunks, all full except the first.  A chunk is 512 bytes. */
#define SL__CHUNK 21
struct sl__chunk {
    uint32_t next;  /* next chunk of the bucket or of the free list */
    uint32_t count; /* entries in use; 0 exactly when on the free list */
    struct sl__ladder_entry v[SL__CHUNK];
};

/* An event's handler and arguments, found through its id's slot index;
 * the generation in the id must equal gen for the id to be live. */
struct sl__event_slot {
    sl_event_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen; /* bumped each time the slot is freed; never 0 */
    uint32_t next_free;
};

/* ------------------------------------------------------------------ */
/* Constants */

#define SL__NOPOS       UINT32_MAX
#define SL__NOLOC       UINT64_MAX
#define SL__SEQ_BITS    48
#define SL__SEQ_MASK    ((UINT64_C(1) << SL__SEQ_BITS) - 1)
#define SL__HEAP_ALIGN  64
#define SL__INITIAL_CAP 64
/* Slot indices and heap positions are uint32 with UINT32_MAX reserved; the
 * heap capacity stays a multiple of 4 (see sl__heap_grow). */
#define SL__MAX_EVENTS ((size_t)UINT32_MAX - 15)

/* One past INT64_MAX: a boundary that no event time reaches. */
#define SL__TIME_END (UINT64_C(1) << 63)
/* Locations (pos[s]): a heap index, below 2^32, or a ladder location
 * tag << 37 | chunk << 5 | offset, where the tag is SL__TAG_TOP for the top
 * and (r + 1) << 22 | k for bucket k of rung r, or SL__TAG_RUN << 37 |
 * index for the run. */
#define SL__LOC_TAG_SHIFT   37
#define SL__LOC_CHUNK_SHIFT 5
#define SL__CHUNK_SLOTS     32
#define SL__TAG_TOP         UINT32_C(1)
#define SL__TAG_RUN         UINT32_C(2)
#define SL__TAG_RUNG_SHIFT  22
#define SL__NB_MAX          (UINT32_C(1) << SL__TAG_RUNG_SHIFT)
#define SL__NOCHUNK         UINT32_MAX
#define SL__DEAD            UINT32_MAX /* the slot of a cancelled run entry */
#define SL__MAX_CHUNKS      ((size_t)UINT32_MAX - 1)

/* Default tuning (struct sl__engine_tuning), chosen with the benchmark.
 * SL__RUN_MAX also sizes the run's buffer, so tune.run_max cannot exceed
 * it; buckets are split only when they are too large for the run. */
#define SL__LADDER_ON 512
#define SL__RUN_MAX   512
#define SL__SPLIT     SL__RUN_MAX
#define SL__OCC       32

_Static_assert(SL__CHUNK < SL__CHUNK_SLOTS, "a chunk offset must fit its 5 bits");
_Static_assert(SL__RUN_MAX <= UINT16_MAX, "bucket_to_run counts in uint16_t");

#if defined(__GNUC__)
#define SL__PREFETCH(p) __builtin_prefetch(p)
#define SL__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SL__NOINLINE    __attribute__((noinline))
#else
#define SL__PREFETCH(p) ((void)(p))
#define SL__UNLIKELY(x) (x)
#define SL__NOINLINE
#endif

/* ------------------------------------------------------------------ */
/* Helpers on every event's path */

/* The event order: time, then priority, then insertion sequence.  Without a
 * 128-bit type the fallback uses & and | rather than && and || for the same
 * reason the 128-bit form exists: in the sift loops the outcome is a coin
 * toss, and a mispredicted branch costs more than the comparison. */
static inline int sl__key_less(int64_t ta, uint64_t ka, int64_t tb, uint64_t kb)
{
#if defined(__SIZEOF_INT128__)
    __extension__ unsigned __int128 a = (unsigned __int128)(uint64_t)ta << 64 | ka;
    __extension__ unsigned __int128 b = (unsigned __int128)(uint64_t)tb << 64 | kb;
    return a < b;
#else
    return (ta < tb) | ((ta == tb) & (ka < kb));
#endif
}

static inline int sl__entry_less(const struct sl__heap_entry *a, const struct sl__heap_entry *b)
{
    return sl__key_less(a->t_us, a->key, b->t_us, b->key);
}

/* Stores x at heap index i and records where its slot's event is.  O(1). */
static inline void sl__heap_put(struct sl_engine *e, size_t i, struct sl__heap_entry x,
                                uint32_t slot)
{
    e->heap[i] = x;
    e->hslot[i] = slot;
    e->pos[slot] = (uint64_t)i;
}

/* Nonzero when the bottom (heap and run) holds no event. */
static inline int sl__bottom_empty(const struct sl_engine *e)
{
    return e->hn == 0 && e->run_cur == e->run_end;
}

/* Moves run_cur past cancelled entries.  O(1) amortised. */
static inline void sl__run_skip(struct sl_engine *e)
{
    while (e->run_cur < e->run_end && e->run[e->run_cur].slot == SL__DEAD)
        e->run_cur++;
}

/* The location tag of bucket k of rung r. */
static inline uint32_t sl__rung_tag(unsigned r, uint32_t k)
{
    return (uint32_t)(r + 1) << SL__TAG_RUNG_SHIFT | k;
}

/* The pos[] value of offset off in chunk `chunk` of the bucket tagged tag. */
static inline uint64_t sl__ladder_loc(uint32_t tag, uint32_t chunk, uint32_t off)
{
    return (uint64_t)tag << SL__LOC_TAG_SHIFT | (uint64_t)chunk << SL__LOC_CHUNK_SHIFT | off;
}

/* ------------------------------------------------------------------ */
/* The heap (src/core/engine_heap.c) */

/* Moves the hole at `hole` towards the root until x fits, then stores x.
 * Expected O(1) levels for a random key, O(log n) at worst. */
void sl__heap_sift_up(struct sl_engine *e, size_t hole, struct sl__heap_entry x, uint32_t xslot);
/* Moves the hole at `hole` towards the leaves of a heap of n entries until
 * x fits, then stores x.  O(log n). */
void sl__heap_sift_down(struct sl_engine *e, size_t hole, struct sl__heap_entry x, uint32_t xslot,
                        size_t n);
/* Fills the vacant root left by sl_engine_run with the last leaf.  O(log hn). */
void sl__heap_settle(struct sl_engine *e);
/* Restores heap order over heap[0 .. hn-1] in any arrangement.  O(hn). */
void sl__heap_heapify(struct sl_engine *e);
/* Doubles the heap capacity.  Returns SL_OK, SL_ENOMEM or SL_ERANGE;
 * on failure nothing changes.  O(hn). */
int sl__heap_grow(struct sl_engine *e);
/* Pushes x, whose time is < bottom_end, onto the heap, into the vacant root
 * if there is one.  The heap has room.  Does not spill.  O(log hn). */
void sl__heap_push(struct sl_engine *e, struct sl__heap_entry x, uint32_t s);
/* Removes the entry at index i of a settled heap.  O(log hn). */
void sl__heap_remove(struct sl_engine *e, size_t i);
/* Checks the heap's alignment, order and back pointers; 0 or the negative
 * number of the broken invariant (see sl__engine_check).  O(hn). */
int sl__heap_check(const struct sl_engine *e);

/* ------------------------------------------------------------------ */
/* The ladder and the run (src/core/engine_ladder.c) */

/* Makes sure at least k chunks are free, growing the pool.  Returns SL_OK
 * or SL_ENOMEM (nothing changed).  O(pool) when it grows, O(1) otherwise. */
int sl__ladder_chunk_reserve(struct sl_engine *e, size_t k);
/* Removes the ladder entry at location loc (a pos[] value with a tag of
 * the top or a rung) and returns it.  O(1). */
struct sl__heap_entry sl__ladder_remove(struct sl_engine *e, uint64_t loc);
/* Removes run entry i (marks it cancelled).  O(1) amortised. */
void sl__ladder_run_kill(struct sl_engine *e, uint32_t i);
/* Refills the empty bottom with the earliest events of the ladder; with
 * nothing pending, resets the engine to the plain heap.  Never fails.
 * O(1) amortised. */
void sl__ladder_refill(struct sl_engine *e);
/* Moves every pending event into the heap and drops the ladder.  Never
 * fails.  O(n). */
void sl__ladder_collapse(struct sl_engine *e);
/* Moves the bottom into a new lowest rung when the heap outgrew spill_at,
 * then refills.  Gives up when that cannot be done.  Amortised O(1). */
void sl__ladder_spill(struct sl_engine *e);
/* Resets the top's time bounds to those of an empty top.  O(1). */
void sl__ladder_reset_top(struct sl_engine *e);
/* Checks the run, the top, the rungs and the chunk pool; adds the events
 * found to *count.  0 or the negative number of the broken invariant (see
 * sl__engine_check).  O(events + buckets + chunks). */
int sl__ladder_check(const struct sl_engine *e, size_t *count);

/* Filing an event in the ladder, which most schedules do once the ladder is
 * engaged: inline here so that sl_engine_schedule does not pay a call. */

/* Takes a chunk from the free list, which must not be empty.  O(1). */
static inline uint32_t sl__ladder_chunk_take(struct sl_engine *e)
{
    uint32_t c = e->chunk_free;
    assert(c != SL__NOCHUNK && e->chunks[c].count == 0);
    e->chunk_free = e->chunks[c].next;
    e->chunks_free--;
    return c;
}

/* Nonzero if appending to b needs a new chunk. */
static inline int sl__ladder_bucket_full(const struct sl_engine *e, const struct sl__bucket *b)
{
    return b->head == SL__NOCHUNK || e->chunks[b->head].count == SL__CHUNK;
}

/* Appends an event to b and records where it is.  If b's first chunk is
 * full a free chunk must exist.  O(1). */
static inline void sl__ladder_bucket_put(struct sl_engine *e, struct sl__bucket *b, uint32_t tag,
                                         struct sl__heap_entry x, uint32_t s)
{
    uint32_t h = b->head;
    if (h == SL__NOCHUNK || e->chunks[h].count == SL__CHUNK) {
        uint32_t c = sl__ladder_chunk_take(e);
        e->chunks[c].next = h;
        b->head = h = c;
    }
    struct sl__chunk *c = &e->chunks[h];
    uint32_t off = c->count++;
    struct sl__ladder_entry *v = &c->v[off];
    v->t_us = x.t_us;
    v->key = x.key;
    v->slot = s;
    b->n++;
    e->pos[s] = sl__ladder_loc(tag, h, off);
}

/* The bucket of rung R that holds time t >= R->start: buckets are 2^shift
 * wide and the last one runs on to R->end.  O(1). */
static inline uint32_t sl__rung_index(const struct sl__rung *R, uint64_t t)
{
    uint64_t k = (t - R->start) >> R->shift;
    return k < R->nb ? (uint32_t)k : R->nb - 1;
}

/* Files x (whose time is >= bottom_end) in the top or in the rung bucket
 * that covers its time.  Returns SL_OK, or SL_ENOMEM when the pool could
 * not grow (nothing changed).  O(rungs), O(1) amortised. */
static inline int sl__ladder_put(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
{
    uint64_t t = (uint64_t)x.t_us;
    struct sl__bucket *b;
    uint32_t tag;
    if (t >= e->top_start) {
        b = &e->top;
        tag = SL__TAG_TOP;
    } else {
        /* bottom_end is the lowest rung's cur_us, so the scan stops. */
        unsigned r = 0;
        while (t < e->rung[r].cur_us)
            r++;
        assert(r < e->nrungs);
        const struct sl__rung *R = &e->rung[r];
        uint32_t k = sl__rung_index(R, t);
        b = &R->b[k];
        tag = sl__rung_tag(r, k);
    }
    if (SL__UNLIKELY(e->chunks_free == 0) && sl__ladder_bucket_full(e, b) &&
        sl__ladder_chunk_reserve(e, 1) != SL_OK)
        return SL_ENOMEM;
    if (tag == SL__TAG_TOP) {
        if (x.t_us < e->top_min)
            e->top_min = x.t_us;
        if (x.t_us > e->top_max)
            e->top_max = x.t_us;
    }
    sl__ladder_bucket_put(e, b, tag, x, s);
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Test hooks (src/core/engine.c) */

/* Private: checks every invariant of the pending set in O(n + slots +
 * buckets); returns 0 when consistent, a negative number naming the broken
 * one otherwise.  For tests. */
int sl__engine_check(const struct sl_engine *e);

/* Private: where a pending event is stored, for tests: one of the values
 * below, SL__TIER_RUNG0 + r for rung r, or -1 when id is stale.  O(1). */
#define SL__TIER_HEAP  0 /* the bottom's heap */
#define SL__TIER_RUN   1 /* the bottom's sorted run */
#define SL__TIER_TOP   2
#define SL__TIER_RUNG0 3
int sl__engine_tier(const struct sl_engine *e, uint64_t id);

#endif
