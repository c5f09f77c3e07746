/*
 * The engine's bottom heap: a 4-ary implicit min-heap of the events before
 * bottom_end, ordered by (time, key) (see src/core/engine.c for the key and
 * src/core/engine_ladder.c for the tiers).  Events scheduled before
 * bottom_end, including at now from a handler, buckets that the run's
 * counting sort refuses, and every event while the ladder is not engaged
 * (below tune.ladder_on pending) live here.
 *
 * Layout.  Children of heap index i are 4i+1 .. 4i+4 and &heap[1] is
 * 64-byte aligned, so each group of four siblings fills one cache line;
 * the slot of entry i is in the parallel array hslot[], and pos[slot] is
 * i.  Sifts move a hole and write each entry once.  Times are never
 * negative, so (t_us, key) compares as one unsigned 128-bit number;
 * sift-down first ranks four children by time alone (conditional moves)
 * and redoes the comparison on full keys only when it met equal times:
 * 1.3x the throughput of comparing full keys at every level with distinct
 * times, 10-30% slower when nearly all times are equal (the benchmark's
 * "ties" variant).
 *
 * Deferred pop.  sl_engine_run leaves the heap's root as a hole (vacant)
 * while a handler runs; the handler's first schedule into the heap fills
 * it with one sift-down instead of a sift-down plus a sift-up, and any
 * other operation that walks the heap first settles it.  While vacant the
 * live heap entries are heap[1 .. hn].
 *
 * Memory.  heap[] and hslot[] share one block whose capacity is kept at
 * least the number of pending events in every tier (sl_engine_schedule
 * grows it first), so moving any events into the heap never allocates.
 *
 * Invariants (checked by sl__heap_check): heap order over the live
 * entries, pos[] pointing back at each, every time before bottom_end and
 * not before now, the alignment above and a capacity that is a multiple
 * of 4.
 */
#include "core/engine_int.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

void sl__heap_sift_up(struct sl_engine *e, size_t hole, struct sl__heap_entry x, uint32_t xslot)
{
    struct sl__heap_entry *h = e->heap;
    while (hole > 0) {
        size_t parent = (hole - 1) / 4;
        if (!sl__entry_less(&x, &h[parent]))
            break;
        sl__heap_put(e, hole, h[parent], e->hslot[parent]);
        hole = parent;
    }
    sl__heap_put(e, hole, x, xslot);
}

/* Index of the least of the four entries g[0..3], which start at heap index
 * c, comparing full keys: a two-round tournament whose rounds compile to
 * carry arithmetic rather than branches. */
static inline size_t least_of_4(const struct sl__heap_entry *g, size_t c)
{
    size_t a = (size_t)sl__entry_less(&g[1], &g[0]);
    size_t b = 2 + (size_t)sl__entry_less(&g[3], &g[2]);
    size_t b_wins = (size_t)sl__entry_less(&g[b], &g[a]);
    return c + a + ((0 - b_wins) & (b - a));
}

/* Full groups of four children are first ranked by time alone (conditional
 * moves on one register each); only if the tournament met equal times does
 * least_of_4 redo it on full keys.  While a group is compared, the four
 * lines holding its sixteen grandchildren are prefetched, so the walk down
 * a heap larger than the cache overlaps its misses instead of paying them
 * one level at a time.  Only the one node whose group is cut short by n
 * takes the generic loop. */
void sl__heap_sift_down(struct sl_engine *e, size_t hole, struct sl__heap_entry x, uint32_t xslot,
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
                if (sl__entry_less(&h[k], &h[m]))
                    m = k;
        } else {
            break;
        }
        if (!sl__entry_less(&h[m], &x))
            break;
        sl__heap_put(e, hole, h[m], e->hslot[m]);
        hole = m;
    }
    sl__heap_put(e, hole, x, xslot);
}

/* The live entries are heap[1 .. hn]; afterwards they are heap[0 .. hn-1]. */
void sl__heap_settle(struct sl_engine *e)
{
    e->vacant = 0;
    if (e->hn > 0)
        sl__heap_sift_down(e, 0, e->heap[e->hn], e->hslot[e->hn], e->hn);
}

/* Floyd's bottom-up construction. */
void sl__heap_heapify(struct sl_engine *e)
{
    size_t hn = e->hn;
    if (hn < 2)
        return;
    for (size_t i = (hn - 2) / 4 + 1; i-- > 0;)
        sl__heap_sift_down(e, i, e->heap[i], e->hslot[i], hn);
}

/* Bytes for a heap of cap entries: the entries, hslot (which starts 3
 * elements early so that its groups are aligned too) and alignment slack. */
static size_t heap_bytes(size_t cap)
{
    return SL__HEAP_ALIGN + cap * sizeof(struct sl__heap_entry) + (cap + 3) * sizeof(uint32_t);
}

/* heap[] and hslot[] share one allocation, so the block is copied rather
 * than realloc'ed (hslot moves when the heap part grows).  A vacant root is
 * copied along as position 0. */
int sl__heap_grow(struct sl_engine *e)
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
    size_t used = e->hn + (size_t)e->vacant;
    if (used > 0) {
        memcpy(heap, e->heap, used * sizeof *heap);
        memcpy(hslot, e->hslot, used * sizeof *hslot);
    }
    sl_free(e->heap_raw);
    e->heap_raw = raw;
    e->heap = heap;
    e->hslot = hslot;
    e->cap = cap;
    return SL_OK;
}

void sl__heap_push(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
{
    assert((uint64_t)x.t_us < e->bottom_end);
    if (e->vacant) {
        e->vacant = 0;
        e->hn++;
        sl__heap_sift_down(e, 0, x, s, e->hn);
    } else {
        e->hn++;
        sl__heap_sift_up(e, e->hn - 1, x, s);
    }
}

/* The last leaf fills the hole and moves up or down, whichever restores
 * the order. */
void sl__heap_remove(struct sl_engine *e, size_t i)
{
    size_t last = --e->hn;
    if (i == last)
        return;
    struct sl__heap_entry x = e->heap[last];
    uint32_t xslot = e->hslot[last];
    if (i > 0 && sl__entry_less(&x, &e->heap[(i - 1) / 4]))
        sl__heap_sift_up(e, i, x, xslot);
    else
        sl__heap_sift_down(e, i, x, xslot, e->hn);
}

int sl__heap_check(const struct sl_engine *e)
{
    if (e->heap && ((uintptr_t)&e->heap[1] % SL__HEAP_ALIGN != 0 ||
                    (uintptr_t)&e->hslot[1] % SL__HEAP_ALIGN != 0 || e->cap % 4 != 0))
        return -9;
    size_t first = e->vacant ? 1 : 0;
    size_t end = e->hn + first;
    for (size_t i = first; i < end; i++) {
        const struct sl__heap_entry *x = &e->heap[i];
        uint32_t s = e->hslot[i];
        if (s >= e->nslots || e->pos[s] != i)
            return -5;
        if ((x->key & SL__SEQ_MASK) >= e->seq || x->t_us < e->now_us || x->t_us < 0)
            return -6;
        if ((uint64_t)x->t_us >= e->bottom_end)
            return -11;
        if (i > 0) {
            size_t parent = (i - 1) / 4;
            if (parent >= first && sl__entry_less(x, &e->heap[parent]))
                return -7;
        }
    }
    return 0;
}
