/*
 * The event engine (contract in include/suanli/engine.h).
 *
 * Events are ordered by (time, key), where the 64-bit key holds
 * (priority + 32768) in its top 16 bits and a 48-bit insertion sequence
 * below.  Keys are unique, so the order is strict and total, and the firing
 * order depends only on the operations, never on where an event is stored.
 *
 * The pending set is a ladder queue (Tang, Goh & Thng, "Ladder queue: an
 * O(1) priority queue structure for large-scale discrete event
 * simulation", ACM TOMACS 15(3), 2005) in front of a bottom that keeps
 * exact order.  Its tiers split the time axis into consecutive ranges:
 *
 *   bottom   times <  bottom_end: a 4-ary heap and a sorted run;
 *   rungs    rung r holds [rung[r].cur_us, rung[r].end), r = nrungs-1 .. 0,
 *            where rung[r].end == rung[r-1].cur_us and rung[0].end ==
 *            top_start; bottom_end == rung[nrungs-1].cur_us (or top_start
 *            with no rung);
 *   top      times >= top_start, unsorted.
 *
 * Every time belongs to exactly one tier, so events with equal times are
 * always together; the bottom orders them by key.  The earliest pending
 * event is therefore the bottom's least, and the engine keeps the bottom
 * non-empty whenever anything is pending (refilling it as it runs dry), so
 * sl_engine_next_time stays O(1).
 *
 * A rung is an array of unsorted buckets of width 2^shift us from start,
 * the last bucket running on to the rung's end; bucket indices are
 * (t - start) >> shift, clamped, in unsigned 64-bit arithmetic on times
 * in [0, 2^63], so they are exact and cannot overflow however large the
 * times or ranges.  (The paper divides by arbitrary widths; powers of
 * two, chosen for about tune.occ events per bucket, keep the arithmetic
 * exact and cheap.)  An event is filed by comparing its time with
 * top_start and the rungs' cur_us (an O(1) append).  When the bottom
 * runs dry, refill takes the next non-empty bucket of the lowest rung: one
 * that holds more than tune.split events of more than one time is split
 * into a new, finer rung (at most SL__RUNGS rungs; the width is chosen from
 * the bucket's own min and max, so each split separates them and can never
 * loop); any other goes to the bottom, as does a bucket of one time or one
 * found when every rung is in use.  When the rungs are used up, the top
 * becomes rung 0; a small top goes to the bottom whole, with the top then
 * starting after its latest time.  Each event is thus moved a bounded
 * number of times: O(1) amortised per operation.
 *
 * The bottom.  Events scheduled before bottom_end (including at now, from
 * a handler) go into the heap, which is the earlier engine's tuned 4-ary
 * heap unchanged (see below).  A bucket moved down is counting-sorted by
 * time (about one bin per event, the same exact shifts) into the sorted
 * run, which is then consumed from the front in O(1) per event; the next
 * event is the lesser of the run's first and the heap's least.  Buckets
 * the sort does not suit (all one time, more than SL__BIN_MAX events in a
 * bin, larger than tune.run_max) go into the heap instead.  A heap that
 * outgrows spill_at (tune.ladder_on, or twice its size after the last
 * refill, so this is amortised O(1)) is moved with the run into a new
 * lowest rung; that is how the ladder first engages, and until then the
 * engine is the plain heap.
 *
 * Why these choices, measured with bench/bench_engine.c (hold model, 10^5
 * pending events, this 2-core VM): the 4-ary heap alone gave 1.16e7
 * events/s.  Ladder buckets as separate growable arrays gave about the
 * same: kept allocated they spread over 25 MB and every append missed the
 * cache; freed after use they cost malloc, realloc and copying.  Buckets
 * as lists of 512-byte chunks from one pool with a LIFO free list keep the
 * working set compact and allocate nothing in steady state (1.6e7).
 * Cachegrind then showed about 160 instructions per event in sift-downs of
 * the refilled heap; counting-sorting each bucket into the run instead
 * brought the rate to 2.5e7 (and from 4.5e6 to about 1e7 at 10^6 pending,
 * from 2.5e7 to 2.9e7 at 10^3; with nearly all times tied, the "ties"
 * variant, from 7.8e6 to 1.0e7 at 10^5).  The ladder pays off from about
 * 500 pending events (a 4-ary heap of 300 is faster), hence
 * tune.ladder_on.
 *
 * Locations.  pos[s] says where slot s's event is, for O(1) cancel and
 * reschedule: a heap index (below 2^32), or tag << 37 | chunk << 5 |
 * offset for the top (SL__TAG_TOP) and bucket k of rung r ((r + 1) << 22
 * | k), or SL__TAG_RUN << 37 | index for the run.  Removal from a bucket
 * moves the bucket's last entry (in its first chunk) into the hole and
 * updates that entry's pos; removal from the run marks the entry dead,
 * since the run must stay sorted, and the cursor skips dead entries.
 *
 * Memory.  The heap's capacity always covers every pending event, and
 * schedule grows it (and the slot table) before changing anything, so a
 * failed schedule returns SL_ENOMEM with the engine unchanged.  Everything
 * else that allocates has a fallback that keeps the order exact: a rung
 * that cannot be built leaves its events where they are or sends them to
 * the bottom; a bucket that cannot grow makes the engine move every event
 * into the heap and drop the ladder (collapse, O(n)); a run that cannot be
 * allocated is replaced by the heap.  So cancel, reschedule and run never
 * fail for lack of memory.
 *
 * The heap.  Children of heap index i are 4i+1 .. 4i+4 and &heap[1] is
 * 64-byte aligned, so each group of four siblings fills one cache line;
 * the slot of entry i is in the parallel array hslot[].  Sifts move a hole
 * and write each entry once.  Times are never negative, so (t_us, key)
 * compares as one unsigned 128-bit number; sift-down first ranks four
 * children by time alone (conditional moves) and redoes the comparison on
 * full keys only when it met equal times: 1.3x the throughput of comparing
 * full keys at every level with distinct times, 10-30% slower when nearly
 * all times are equal (the benchmark's "ties" variant).
 *
 * Deferred pop.  sl_engine_run leaves the heap's root as a hole (vacant)
 * while a handler runs; the handler's first schedule into the heap fills
 * it with one sift-down instead of a sift-down plus a sift-up, and any
 * other operation that walks the heap first settles it.  While vacant the
 * live heap entries are heap[1 .. hn].
 *
 * Ids.  An id is (generation << 32) | slot.  A slot's generation starts at
 * 1 and is bumped (skipping 0) every time the slot is freed, so the ids of
 * fired and cancelled events, and id 0, are recognised as stale.  A
 * generation wraps after 2^32 reuses of one slot; an id held across that
 * many reuses could alias a newer event, which no simulation we run does.
 *
 * Invariants (checked by sl__engine_check): the tier ranges above, with
 * every entry inside its tier's (and its bucket's) range and every pending
 * time >= now; heap order and a sorted run whose first entry is live;
 * pos[] pointing back at every entry and SL__NOLOC exactly for free slots,
 * which form the free list; buckets before a rung's cur, and all buckets
 * of unused rungs, empty; every chunk in exactly one bucket or the free
 * list, only a bucket's first chunk partly filled; a non-empty bottom
 * whenever n > 0, and the plain-heap state when n == 0; heap capacity >= n;
 * every key's sequence < seq.
 */
#include "core/engine_int.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#define SL__NOPOS       UINT32_MAX
#define SL__NOLOC       UINT64_MAX
#define SL__SEQ_BITS    48
#define SL__SEQ_MASK    ((UINT64_C(1) << SL__SEQ_BITS) - 1)
#define SL__HEAP_ALIGN  64
#define SL__INITIAL_CAP 64
/* Slot indices and heap positions are uint32 with UINT32_MAX reserved; the
 * heap capacity stays a multiple of 4 (see grow_heap). */
#define SL__MAX_EVENTS ((size_t)UINT32_MAX - 15)

/* One past INT64_MAX: a boundary that no event time reaches. */
#define SL__TIME_END (UINT64_C(1) << 63)
/* Locations (pos[s]): a heap index, below 2^32, or a ladder location
 * tag << 37 | chunk << 5 | offset, where the tag is SL__TAG_TOP for the top
 * and (r + 1) << 22 | k for bucket k of rung r. */
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
/* At most this many events share a counting-sort bin in bucket_to_run. */
#define SL__BIN_MAX 8

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
    e->pos[slot] = (uint64_t)i;
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
 * entries are heap[1 .. hn]; afterwards they are heap[0 .. hn-1].  O(log hn). */
static void settle(struct sl_engine *e)
{
    e->vacant = 0;
    if (e->hn > 0)
        sift_down(e, 0, e->heap[e->hn], e->hslot[e->hn], e->hn);
}

/* Restores heap order over heap[0 .. hn-1] in any arrangement (Floyd's
 * bottom-up construction).  O(hn). */
static void heapify(struct sl_engine *e)
{
    size_t hn = e->hn;
    if (hn < 2)
        return;
    for (size_t i = (hn - 2) / 4 + 1; i-- > 0;)
        sift_down(e, i, e->heap[i], e->hslot[i], hn);
}

/* Bytes for a heap of cap entries: the entries, hslot (which starts 3
 * elements early so that its groups are aligned too) and alignment slack. */
static size_t heap_bytes(size_t cap)
{
    return SL__HEAP_ALIGN + cap * sizeof(struct sl__heap_entry) + (cap + 3) * sizeof(uint32_t);
}

/* Doubles the heap capacity.  heap[] and hslot[] share one allocation, so
 * the block is copied rather than realloc'ed (hslot moves when the heap part
 * grows).  A vacant root is copied along as position 0.  On failure nothing
 * changes.  O(hn). */
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

/* ------------------------------------------------------------------ */
/* The chunk pool and the buckets */

static inline uint32_t rung_tag(unsigned r, uint32_t k)
{
    return (uint32_t)(r + 1) << SL__TAG_RUNG_SHIFT | k;
}

static inline uint64_t ladder_loc(uint32_t tag, uint32_t chunk, uint32_t off)
{
    return (uint64_t)tag << SL__LOC_TAG_SHIFT | (uint64_t)chunk << SL__LOC_CHUNK_SHIFT | off;
}

static inline struct sl__bucket *tag_bucket(struct sl_engine *e, uint32_t tag)
{
    if (tag == SL__TAG_TOP)
        return &e->top;
    return &e->rung[(tag >> SL__TAG_RUNG_SHIFT) - 1].b[tag & (SL__NB_MAX - 1)];
}

/* Makes sure at least k chunks are free, growing the pool (by at least
 * half, so growth is amortised O(1) per chunk).  Chunk ids stay valid;
 * pointers into the pool do not.  Returns SL_OK or SL_ENOMEM (nothing
 * changed).  O(pool) when it grows, O(1) otherwise. */
SL__NOINLINE static int chunk_reserve(struct sl_engine *e, size_t k)
{
    if (e->chunks_free >= k)
        return SL_OK;
    size_t have = e->nchunks;
    size_t need = have + (k - e->chunks_free);
    size_t cap = have ? have + have / 2 : SL__INITIAL_CAP;
    if (cap < need)
        cap = need;
    if (cap > SL__MAX_CHUNKS)
        cap = SL__MAX_CHUNKS;
    if (cap < need)
        return SL_ENOMEM;
    struct sl__chunk *c = sl_reallocarray(e->chunks, cap, sizeof *c);
    if (!c)
        return SL_ENOMEM;
    e->chunks = c;
    for (size_t i = cap; i-- > have;) {
        c[i].count = 0;
        c[i].next = e->chunk_free;
        e->chunk_free = (uint32_t)i;
    }
    e->chunks_free += (uint32_t)(cap - have);
    e->nchunks = (uint32_t)cap;
    return SL_OK;
}

/* Takes a chunk from the free list, which must not be empty.  O(1). */
static inline uint32_t chunk_take(struct sl_engine *e)
{
    uint32_t c = e->chunk_free;
    assert(c != SL__NOCHUNK && e->chunks[c].count == 0);
    e->chunk_free = e->chunks[c].next;
    e->chunks_free--;
    return c;
}

/* Returns chunk c to the free list.  O(1). */
static inline void chunk_give(struct sl_engine *e, uint32_t c)
{
    e->chunks[c].count = 0;
    e->chunks[c].next = e->chunk_free;
    e->chunk_free = c;
    e->chunks_free++;
}

/* Nonzero if appending to b needs a new chunk. */
static inline int bucket_full(const struct sl_engine *e, const struct sl__bucket *b)
{
    return b->head == SL__NOCHUNK || e->chunks[b->head].count == SL__CHUNK;
}

/* Appends an event to b and records where it is.  If b's first chunk is
 * full a free chunk must exist.  O(1). */
static inline void bucket_put(struct sl_engine *e, struct sl__bucket *b, uint32_t tag,
                              struct sl__heap_entry x, uint32_t s)
{
    uint32_t h = b->head;
    if (h == SL__NOCHUNK || e->chunks[h].count == SL__CHUNK) {
        uint32_t c = chunk_take(e);
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
    e->pos[s] = ladder_loc(tag, h, off);
}

/* Appends every event of b to the heap (unordered; the caller restores heap
 * order), empties b and frees its chunks.  The heap has room: its capacity
 * covers every pending event.  O(b->n). */
static void bucket_to_heap(struct sl_engine *e, struct sl__bucket *b)
{
    size_t i = e->hn;
    assert(i + b->n <= e->cap);
    for (uint32_t c = b->head; c != SL__NOCHUNK;) {
        struct sl__chunk *ch = &e->chunks[c];
        uint32_t next = ch->next;
        if (next != SL__NOCHUNK)
            SL__PREFETCH(&e->chunks[next]);
        for (uint32_t k = 0; k < ch->count; k++, i++) {
            struct sl__heap_entry x;
            x.t_us = ch->v[k].t_us;
            x.key = ch->v[k].key;
            put(e, i, x, ch->v[k].slot);
        }
        chunk_give(e, c);
        c = next;
    }
    e->hn = i;
    b->head = SL__NOCHUNK;
    b->n = 0;
}

/* The bucket of rung R that holds time t >= R->start: buckets are 2^shift
 * wide and the last one runs on to R->end.  O(1). */
static inline uint32_t rung_index(const struct sl__rung *R, uint64_t t)
{
    uint64_t k = (t - R->start) >> R->shift;
    return k < R->nb ? (uint32_t)k : R->nb - 1;
}

/* Files x (whose time is >= bottom_end) in the top or in the rung bucket
 * that covers its time.  Returns SL_OK, or SL_ENOMEM when the pool could
 * not grow (nothing changed).  O(rungs), O(1) amortised. */
static inline int ladder_put(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
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
        uint32_t k = rung_index(R, t);
        b = &R->b[k];
        tag = rung_tag(r, k);
    }
    if (SL__UNLIKELY(e->chunks_free == 0) && bucket_full(e, b) && chunk_reserve(e, 1) != SL_OK)
        return SL_ENOMEM;
    if (tag == SL__TAG_TOP) {
        if (x.t_us < e->top_min)
            e->top_min = x.t_us;
        if (x.t_us > e->top_max)
            e->top_max = x.t_us;
    }
    bucket_put(e, b, tag, x, s);
    return SL_OK;
}

/* Removes the ladder entry at location loc (a pos[] value with a nonzero
 * tag) by moving the last entry of its bucket (in the first chunk) into its
 * place, and returns it.  The top's min and max stay as (now loose)
 * bounds.  O(1). */
static struct sl__heap_entry ladder_remove(struct sl_engine *e, uint64_t loc)
{
    uint32_t tag = (uint32_t)(loc >> SL__LOC_TAG_SHIFT);
    uint32_t ci = (uint32_t)(loc >> SL__LOC_CHUNK_SHIFT);
    uint32_t off = (uint32_t)loc & (SL__CHUNK_SLOTS - 1);
    struct sl__bucket *b = tag_bucket(e, tag);
    struct sl__chunk *c = &e->chunks[ci];
    assert(off < c->count && b->n > 0);
    struct sl__heap_entry x;
    x.t_us = c->v[off].t_us;
    x.key = c->v[off].key;
    uint32_t hi = b->head;
    struct sl__chunk *h = &e->chunks[hi];
    uint32_t last = --h->count;
    if (hi != ci || off != last) {
        c->v[off] = h->v[last];
        e->pos[c->v[off].slot] = ladder_loc(tag, ci, off);
    }
    if (h->count == 0) {
        b->head = h->next;
        chunk_give(e, hi);
    }
    b->n--;
    return x;
}

static void reset_top(struct sl_engine *e)
{
    e->top_min = INT64_MAX;
    e->top_max = INT64_MIN;
}

/* ------------------------------------------------------------------ */
/* The run: the sorted part of the bottom */

static inline int key_less(int64_t ta, uint64_t ka, int64_t tb, uint64_t kb)
{
#if defined(__SIZEOF_INT128__)
    __extension__ unsigned __int128 a = (unsigned __int128)(uint64_t)ta << 64 | ka;
    __extension__ unsigned __int128 b = (unsigned __int128)(uint64_t)tb << 64 | kb;
    return a < b;
#else
    return (ta < tb) | ((ta == tb) & (ka < kb));
#endif
}

/* Nonzero when the bottom (heap and run) holds no event. */
static inline int bottom_empty(const struct sl_engine *e)
{
    return e->hn == 0 && e->run_cur == e->run_end;
}

/* Moves run_cur past cancelled entries.  O(1) amortised. */
static inline void run_skip(struct sl_engine *e)
{
    while (e->run_cur < e->run_end && e->run[e->run_cur].slot == SL__DEAD)
        e->run_cur++;
}

/* Removes run entry i: marks it cancelled, as the run must stay sorted.
 * O(1) amortised. */
static void run_kill(struct sl_engine *e, uint32_t i)
{
    assert(i >= e->run_cur && i < e->run_end && e->run[i].slot != SL__DEAD);
    e->run[i].slot = SL__DEAD;
    run_skip(e);
}

/* Moves the events of bucket b into the empty run in (time, key) order,
 * records where they are and frees b's chunks.  Returns 0 without changing
 * anything when a counting sort does not suit b (see below); the caller
 * then uses the heap.
 *
 * The sort: the times are spread over about b->n bins by a shift (exact
 * integer arithmetic, as for rung buckets), counted, placed bin by bin,
 * and an insertion sort finishes each bin.  With at most SL__BIN_MAX events
 * per bin this is O(b->n) with a small constant; a bucket whose events all
 * share one time, or crowd into one bin, is refused so that nothing here
 * is quadratic.  b->n must be at most SL__RUN_MAX. */
static int bucket_to_run(struct sl_engine *e, struct sl__bucket *b)
{
    uint32_t n = b->n;
    assert(e->run_cur == e->run_end && n <= SL__RUN_MAX);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t c = b->head; c != SL__NOCHUNK; c = e->chunks[c].next) {
        const struct sl__chunk *ch = &e->chunks[c];
        for (uint32_t k = 0; k < ch->count; k++) {
            int64_t t = ch->v[k].t_us;
            lo = t < lo ? t : lo;
            hi = t > hi ? t : hi;
        }
    }
    if (lo == hi)
        return 0;
    uint32_t nbins = 1;
    while (nbins < n)
        nbins *= 2;
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    unsigned shift = 0;
    while ((span >> shift) >= nbins)
        shift++;
    uint16_t at[SL__RUN_MAX + 1];
    memset(at, 0, (nbins + 1) * sizeof at[0]);
    for (uint32_t c = b->head; c != SL__NOCHUNK; c = e->chunks[c].next) {
        const struct sl__chunk *ch = &e->chunks[c];
        for (uint32_t k = 0; k < ch->count; k++)
            at[(((uint64_t)ch->v[k].t_us - (uint64_t)lo) >> shift) + 1]++;
    }
    /* at[i + 1] counts bin i; turn at[i] into the start of bin i. */
    for (uint32_t i = 1; i <= nbins; i++) {
        if (at[i] > SL__BIN_MAX)
            return 0;
        at[i] = (uint16_t)(at[i] + at[i - 1]);
    }
    struct sl__ladder_entry *v = e->run;
    for (uint32_t c = b->head; c != SL__NOCHUNK;) {
        struct sl__chunk *ch = &e->chunks[c];
        uint32_t next = ch->next;
        for (uint32_t k = 0; k < ch->count; k++) {
            uint64_t bin = ((uint64_t)ch->v[k].t_us - (uint64_t)lo) >> shift;
            v[at[bin]++] = ch->v[k];
        }
        chunk_give(e, c);
        c = next;
    }
    for (uint32_t i = 1; i < n; i++) {
        struct sl__ladder_entry x = v[i];
        uint32_t j = i;
        while (j > 0 && key_less(x.t_us, x.key, v[j - 1].t_us, v[j - 1].key)) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    /* The slots are read when the events fire; start fetching them now. */
    for (uint32_t i = 0; i < n; i++) {
        e->pos[v[i].slot] = (uint64_t)SL__TAG_RUN << SL__LOC_TAG_SHIFT | i;
        SL__PREFETCH(&e->slots[v[i].slot]);
    }
    e->run_cur = 0;
    e->run_end = n;
    b->head = SL__NOCHUNK;
    b->n = 0;
    return 1;
}

/* Moves bucket b into the empty bottom: into the run if bucket_to_run takes
 * it, else (large, all at one time, crowded, or no memory for the run) into
 * the heap.  Never fails.  O(b->n). */
static void bucket_to_bottom(struct sl_engine *e, struct sl__bucket *b)
{
    assert(bottom_empty(e) && !e->vacant);
    e->run_cur = e->run_end = 0;
    if (b->n <= e->tune.run_max && b->n <= SL__RUN_MAX && b->n > 1 &&
        (e->run || (e->run = sl_reallocarray(NULL, SL__RUN_MAX, sizeof *e->run)) != NULL) &&
        bucket_to_run(e, b))
        return;
    bucket_to_heap(e, b);
    heapify(e);
}

/* ------------------------------------------------------------------ */
/* Moving events between tiers */

/* Builds rung r (which must be inactive, all its buckets empty) from the c
 * events of bucket src (emptied) or, when src is NULL, of the bottom (heap
 * and run, left as they are; the caller drops them).  Their times lie in
 * [lo, hi], lo < hi.
 * The bucket width is the smallest power of two that spreads [lo, hi] over
 * at most c / tune.occ buckets (at least 2), so lo and hi always land in
 * different buckets and every split makes progress.  The rung covers
 * [lo, end); when end is 0 it is closed just after the bucket holding hi
 * (at most at SL__TIME_END) and the end is stored in the rung.  Bucket
 * indices are exact integer shifts, with no overflow: hi - lo < 2^63 and
 * nb << shift <= 2 (hi - lo).
 *
 * Memory for the worst case is reserved first, so a failure changes
 * nothing.  Does not activate the rung (nrungs).  Returns SL_OK or
 * SL_ENOMEM.  O(c + nb). */
static int build_rung(struct sl_engine *e, unsigned r, struct sl__bucket *src, size_t c,
                      uint64_t lo, uint64_t hi, uint64_t end)
{
    assert(r < SL__RUNGS && lo < hi && (end == 0 || hi < end));
    struct sl__rung *R = &e->rung[r];
    size_t want = c / e->tune.occ;
    if (want < 2)
        want = 2;
    if (want > SL__NB_MAX)
        want = SL__NB_MAX;
    uint64_t span = hi - lo;
    unsigned shift = 0;
    while ((span >> shift) >= want)
        shift++;
    uint32_t nb = (uint32_t)(span >> shift) + 1;
    if (end == 0) {
        uint64_t w = (uint64_t)nb << shift;
        end = w > SL__TIME_END - lo ? SL__TIME_END : lo + w;
    }
    /* Each non-empty bucket wastes at most one partly filled chunk. */
    if (chunk_reserve(e, c / SL__CHUNK + (nb < c ? nb : c) + 1) != SL_OK)
        return SL_ENOMEM;
    if (R->nb_cap < nb) {
        /* Grown by half at least, so that growth is amortised O(1). */
        uint32_t cap = R->nb_cap + R->nb_cap / 2;
        cap = cap < nb ? nb : cap > SL__NB_MAX ? SL__NB_MAX : cap;
        struct sl__bucket *b = sl_reallocarray(R->b, cap, sizeof *b);
        if (!b)
            return SL_ENOMEM;
        for (uint32_t k = R->nb_cap; k < cap; k++) {
            b[k].head = SL__NOCHUNK;
            b[k].n = 0;
        }
        R->b = b;
        R->nb_cap = cap;
    }
    R->start = lo;
    R->end = end;
    R->shift = shift;
    R->nb = nb;
    R->cur = 0;
    R->cur_us = lo;
    if (!src) {
        assert(!e->vacant);
        for (size_t i = 0; i < e->hn; i++) {
            uint32_t k = rung_index(R, (uint64_t)e->heap[i].t_us);
            bucket_put(e, &R->b[k], rung_tag(r, k), e->heap[i], e->hslot[i]);
        }
        for (uint32_t i = e->run_cur; i < e->run_end; i++) {
            const struct sl__ladder_entry *v = &e->run[i];
            if (v->slot == SL__DEAD)
                continue;
            struct sl__heap_entry x;
            x.t_us = v->t_us;
            x.key = v->key;
            uint32_t k = rung_index(R, (uint64_t)x.t_us);
            bucket_put(e, &R->b[k], rung_tag(r, k), x, v->slot);
        }
        return SL_OK;
    }
    /* Chunk by chunk, each freed once read so that later puts reuse it
     * while it is still in the cache. */
    for (uint32_t ci = src->head; ci != SL__NOCHUNK;) {
        const struct sl__chunk *ch = &e->chunks[ci];
        uint32_t next = ch->next;
        if (next != SL__NOCHUNK)
            SL__PREFETCH(&e->chunks[next]);
        for (uint32_t i = 0; i < ch->count; i++) {
            struct sl__heap_entry x;
            x.t_us = ch->v[i].t_us;
            x.key = ch->v[i].key;
            uint32_t k = rung_index(R, (uint64_t)x.t_us);
            bucket_put(e, &R->b[k], rung_tag(r, k), x, ch->v[i].slot);
        }
        chunk_give(e, ci);
        ci = next;
    }
    src->head = SL__NOCHUNK;
    src->n = 0;
    return SL_OK;
}

static size_t spill_threshold(const struct sl_engine *e, size_t hn)
{
    return hn > e->tune.ladder_on / 2 ? 2 * hn : e->tune.ladder_on;
}

/* Refills the empty bottom with the earliest events of the ladder.
 *
 * The lowest rung's next non-empty bucket is taken.  If it holds more than
 * tune.split events of more than one time and a rung is free, it is split
 * into a new, finer rung and the search goes on there; otherwise it goes to
 * the bottom.  An exhausted rung is dropped.  With no rung left, the top
 * becomes rung 0; a top of at most tune.occ events, of one time, or that
 * cannot get memory goes to the bottom whole instead, and the top then
 * starts just after its latest time.  A failed split also just sends the
 * bucket to the bottom, so refill never fails.  With nothing pending it
 * resets the engine to the plain heap.
 *
 * O(1) amortised: each event is moved at most once per rung level plus
 * once into the bottom, and each bucket is skipped over at most once; see
 * bucket_to_bottom for the last step. */
static void refill(struct sl_engine *e)
{
    assert(bottom_empty(e) && !e->vacant);
    for (;;) {
        if (e->nrungs == 0) {
            if (e->top.n > e->tune.occ && e->top_min < e->top_max &&
                build_rung(e, 0, &e->top, e->top.n, (uint64_t)e->top_min, (uint64_t)e->top_max,
                           0) == SL_OK) {
                e->top_start = e->rung[0].end;
                reset_top(e);
                e->nrungs = 1;
                e->bottom_end = e->rung[0].cur_us;
                continue;
            }
            /* The whole top goes to the bottom.  New events after it keep
             * going to the top, so a small queue cycles between an
             * unsorted top and a sorted run. */
            uint64_t end = e->top.n ? (uint64_t)e->top_max + 1 : SL__TIME_END;
            e->top_start = end;
            e->bottom_end = end;
            bucket_to_bottom(e, &e->top);
            reset_top(e);
            break;
        }
        unsigned r = e->nrungs - 1;
        struct sl__rung *R = &e->rung[r];
        while (R->cur < R->nb && R->b[R->cur].n == 0)
            R->cur++;
        if (R->cur == R->nb) {
            /* Its end is the rung above's cur_us, or top_start. */
            e->nrungs = r;
            e->bottom_end = R->end;
            continue;
        }
        uint32_t k = R->cur++;
        R->cur_us = R->cur == R->nb ? R->end : R->start + ((uint64_t)R->cur << R->shift);
        e->bottom_end = R->cur_us;
        struct sl__bucket *b = &R->b[k];
        if (b->n > e->tune.split && r + 1 < SL__RUNGS) {
            int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (uint32_t ci = b->head; ci != SL__NOCHUNK; ci = e->chunks[ci].next) {
                const struct sl__chunk *ch = &e->chunks[ci];
                for (uint32_t i = 0; i < ch->count; i++) {
                    int64_t t = ch->v[i].t_us;
                    lo = t < lo ? t : lo;
                    hi = t > hi ? t : hi;
                }
            }
            if (lo < hi &&
                build_rung(e, r + 1, b, b->n, (uint64_t)lo, (uint64_t)hi, R->cur_us) == SL_OK) {
                e->nrungs = r + 2;
                e->bottom_end = e->rung[r + 1].cur_us;
                continue;
            }
        }
        bucket_to_bottom(e, b);
        break;
    }
    e->spill_at = spill_threshold(e, e->hn);
}

/* Moves every pending event into the heap and drops the ladder: the
 * fallback when the ladder cannot get memory.  The heap's capacity always
 * covers every pending event, so this cannot fail.  O(n). */
SL__NOINLINE static void collapse(struct sl_engine *e)
{
    if (e->vacant)
        settle(e);
    bucket_to_heap(e, &e->top);
    reset_top(e);
    for (unsigned r = 0; r < e->nrungs; r++) {
        struct sl__rung *R = &e->rung[r];
        for (uint32_t k = R->cur; k < R->nb; k++)
            bucket_to_heap(e, &R->b[k]);
    }
    e->nrungs = 0;
    e->top_start = SL__TIME_END;
    e->bottom_end = SL__TIME_END;
    heapify(e);
    e->spill_at = spill_threshold(e, e->hn);
}

/* The heap outgrew spill_at: move the bottom (heap and run) into a new
 * lowest rung covering [earliest bottom time, bottom_end), then refill.
 * Gives up (and waits for the heap to double) when every rung is in use,
 * all bottom events share one time, or memory is short.  Amortised O(1)
 * per insertion: spill_at is at least twice the heap size after every
 * refill or failed spill. */
SL__NOINLINE static void spill(struct sl_engine *e)
{
    if (e->vacant)
        settle(e);
    size_t hn = e->hn;
    e->spill_at = spill_threshold(e, hn);
    unsigned r = e->nrungs;
    if (r == SL__RUNGS || hn == 0)
        return;
    int64_t lo = e->heap[0].t_us, hi = lo;
    for (size_t i = 1; i < hn; i++)
        hi = e->heap[i].t_us > hi ? e->heap[i].t_us : hi;
    size_t c = hn;
    for (uint32_t i = e->run_cur; i < e->run_end; i++) {
        if (e->run[i].slot == SL__DEAD)
            continue;
        lo = e->run[i].t_us < lo ? e->run[i].t_us : lo;
        hi = e->run[i].t_us > hi ? e->run[i].t_us : hi;
        c++;
    }
    if (lo == hi)
        return;
    /* With no rung and an empty top the bottom's range is open-ended; the
     * new rung is then closed after hi and the top starts there. */
    int closed = r == 0 && e->top.n == 0;
    if (build_rung(e, r, NULL, c, (uint64_t)lo, (uint64_t)hi, closed ? 0 : e->bottom_end) != SL_OK)
        return;
    if (closed)
        e->top_start = e->rung[0].end;
    e->nrungs = r + 1;
    e->hn = 0;
    e->run_cur = e->run_end = 0;
    e->bottom_end = e->rung[r].cur_us;
    refill(e);
}

/* Pushes x, whose time is < bottom_end, onto the heap, into the vacant root
 * if there is one.  The heap has room.  O(log hn). */
static void heap_push(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
{
    assert((uint64_t)x.t_us < e->bottom_end);
    if (e->vacant) {
        e->vacant = 0;
        e->hn++;
        sift_down(e, 0, x, s, e->hn);
    } else {
        e->hn++;
        sift_up(e, e->hn - 1, x, s);
    }
    if (SL__UNLIKELY(e->hn > e->spill_at))
        spill(e);
}

/* Files an event in the tier its time belongs to.  If the ladder cannot get
 * memory, everything goes back to the heap; so this never fails.  O(1)
 * amortised into the ladder, O(log hn) into the heap. */
static inline void insert(struct sl_engine *e, struct sl__heap_entry x, uint32_t s)
{
    if ((uint64_t)x.t_us < e->bottom_end) {
        heap_push(e, x, s);
    } else if (SL__UNLIKELY(ladder_put(e, x, s) != SL_OK)) {
        collapse(e);
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
    reset_top(e);
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
    if (e->n == e->cap && (rc = grow_heap(e)) != SL_OK)
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

/* Removes the entry at heap index i of a settled heap.  The last leaf fills
 * the hole and moves up or down, whichever restores the order.  O(log hn). */
static void remove_at(struct sl_engine *e, size_t i)
{
    size_t last = --e->hn;
    if (i == last)
        return;
    struct sl__heap_entry x = e->heap[last];
    uint32_t xslot = e->hslot[last];
    if (i > 0 && entry_less(&x, &e->heap[(i - 1) / 4]))
        sift_up(e, i, x, xslot);
    else
        sift_down(e, i, x, xslot, e->hn);
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
            settle(e);
        remove_at(e, (size_t)e->pos[s]);
    } else if (tag == SL__TAG_RUN) {
        run_kill(e, (uint32_t)loc);
    } else {
        (void)ladder_remove(e, loc);
    }
    e->n--;
    free_slot(e, s);
    if (bottom_empty(e) && !e->vacant)
        refill(e);
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
            run_kill(e, (uint32_t)loc);
        } else {
            x = ladder_remove(e, loc);
        }
        x.t_us = t_us;
        x.key = (x.key & ~SL__SEQ_MASK) | e->seq++;
        insert(e, x, s);
        if (bottom_empty(e) && !e->vacant)
            refill(e);
        return SL_OK;
    }
    if (e->vacant)
        settle(e);
    size_t i = (size_t)e->pos[s];
    x = e->heap[i];
    x.t_us = t_us;
    x.key = (x.key & ~SL__SEQ_MASK) | e->seq++;
    if ((uint64_t)t_us < e->bottom_end) {
        if (entry_less(&x, &e->heap[i]))
            sift_up(e, i, x, s);
        else
            sift_down(e, i, x, s, e->hn);
        return SL_OK;
    }
    /* From the heap out to the ladder. */
    remove_at(e, i);
    if (SL__UNLIKELY(ladder_put(e, x, s) != SL_OK)) {
        collapse(e);
        heap_push(e, x, s);
    } else if (bottom_empty(e)) {
        refill(e);
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
            settle(e);
        /* The next event is the run's first or the heap's least. */
        int from_run;
        int64_t t_us;
        if (e->run_cur < e->run_end) {
            const struct sl__ladder_entry *v = &e->run[e->run_cur];
            from_run = e->hn == 0 || key_less(v->t_us, v->key, e->heap[0].t_us, e->heap[0].key);
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
            run_skip(e);
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
        if (bottom_empty(e))
            refill(e);
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

int sl_engine_peek(const struct sl_engine *e, sl_event_fn *fn, void **ctx, uint64_t *arg)
{
    if (e->run_cur >= e->run_end)
        return 0;
    const struct sl__event_slot *sl = &e->slots[e->run[e->run_cur].slot];
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

/* Checks the chunk list of one bucket: its length and chunk fill, and
 * every entry: a live slot that points back at it, a sequence already
 * issued, a time not in the past and within [lo, hi).  Adds the chunks it
 * walked to *chunks. */
static int check_bucket(const struct sl_engine *e, const struct sl__bucket *b, uint32_t tag,
                        uint64_t lo, uint64_t hi, size_t *chunks)
{
    uint32_t n = 0;
    for (uint32_t ci = b->head; ci != SL__NOCHUNK; ci = e->chunks[ci].next) {
        if (ci >= e->nchunks || ++*chunks > e->nchunks)
            return -20;
        const struct sl__chunk *c = &e->chunks[ci];
        /* Only the first chunk may be partly filled, and none is empty. */
        if (c->count == 0 || c->count > SL__CHUNK || (ci != b->head && c->count != SL__CHUNK))
            return -20;
        for (uint32_t i = 0; i < c->count; i++) {
            const struct sl__ladder_entry *x = &c->v[i];
            if (x->slot >= e->nslots || e->pos[x->slot] != ladder_loc(tag, ci, i))
                return -15;
            if ((x->key & SL__SEQ_MASK) >= e->seq || x->t_us < e->now_us || x->t_us < 0)
                return -6;
            if ((uint64_t)x->t_us < lo || (uint64_t)x->t_us >= hi)
                return -16;
        }
        n += c->count;
    }
    return n == b->n ? 0 : -20;
}

int sl__engine_check(const struct sl_engine *e)
{
    if (e->n > e->cap || e->hn > e->n || e->hn + (size_t)e->vacant > e->cap ||
        e->nslots > e->slots_cap || e->seq > SL__SEQ_MASK + 1)
        return -1;
    if (e->heap && ((uintptr_t)&e->heap[1] % SL__HEAP_ALIGN != 0 ||
                    (uintptr_t)&e->hslot[1] % SL__HEAP_ALIGN != 0 || e->cap % 4 != 0))
        return -9;
    /* The bottom holds the earliest event whenever anything is pending,
     * and a vacant root always has live entries below it. */
    if ((e->n > 0 && bottom_empty(e)) || (e->vacant && e->hn == 0))
        return -10;
    size_t free_count = 0;
    for (uint32_t s = e->free_head; s != SL__NOPOS; s = e->slots[s].next_free) {
        if (s >= e->nslots || e->pos[s] != SL__NOLOC || ++free_count > e->nslots)
            return -3;
    }
    if (free_count + e->n != e->nslots)
        return -4;

    /* The heap: order, back pointers, and every time before bottom_end. */
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
            if (parent >= first && entry_less(x, &e->heap[parent]))
                return -7;
        }
    }

    /* The run: sorted live entries, the first one live, all before
     * bottom_end. */
    size_t count = e->hn;
    if (e->run_cur > e->run_end || e->run_end > e->tune.run_max || (e->run_end > 0 && !e->run))
        return -22;
    if (e->run_cur < e->run_end && e->run[e->run_cur].slot == SL__DEAD)
        return -22;
    const struct sl__ladder_entry *prev = NULL;
    for (uint32_t i = e->run_cur; i < e->run_end; i++) {
        const struct sl__ladder_entry *x = &e->run[i];
        if (x->slot == SL__DEAD)
            continue;
        if (x->slot >= e->nslots ||
            e->pos[x->slot] != ((uint64_t)SL__TAG_RUN << SL__LOC_TAG_SHIFT | i))
            return -15;
        if ((x->key & SL__SEQ_MASK) >= e->seq || x->t_us < e->now_us || x->t_us < 0)
            return -6;
        if ((uint64_t)x->t_us >= e->bottom_end)
            return -11;
        if (prev && !key_less(prev->t_us, prev->key, x->t_us, x->key))
            return -22;
        prev = x;
        count++;
    }

    /* The ladder: the tiers partition [bottom_end, SL__TIME_END) in order
     * bottom < rung nrungs-1 < ... < rung 0 < top. */
    if (e->tune.ladder_on == 0 || e->tune.split == 0 || e->tune.occ == 0 ||
        e->tune.run_max > SL__RUN_MAX)
        return -23;
    if (e->nrungs > SL__RUNGS || e->top_start > SL__TIME_END || e->spill_at < e->tune.ladder_on)
        return -12;
    if (e->bottom_end != (e->nrungs ? e->rung[e->nrungs - 1].cur_us : e->top_start))
        return -13;
    if (e->n == 0 && (e->nrungs != 0 || e->top_start != SL__TIME_END))
        return -14;
    size_t chunks = 0;
    int rc = check_bucket(e, &e->top, SL__TAG_TOP, e->top_start, SL__TIME_END, &chunks);
    if (rc)
        return rc;
    for (uint32_t ci = e->top.head; ci != SL__NOCHUNK; ci = e->chunks[ci].next)
        for (uint32_t i = 0; i < e->chunks[ci].count; i++)
            if (e->chunks[ci].v[i].t_us < e->top_min || e->chunks[ci].v[i].t_us > e->top_max)
                return -16;
    count += e->top.n;
    uint64_t upper = e->top_start;
    for (unsigned r = 0; r < SL__RUNGS; r++) {
        const struct sl__rung *R = &e->rung[r];
        int active = r < e->nrungs;
        if (active) {
            if (R->shift > 62 || R->nb == 0 || R->nb > R->nb_cap || R->nb > SL__NB_MAX ||
                R->cur > R->nb || R->end != upper || R->start >= R->end ||
                ((uint64_t)(R->nb - 1) << R->shift) >= R->end - R->start)
                return -17;
            uint64_t cur_us = R->cur == R->nb ? R->end : R->start + ((uint64_t)R->cur << R->shift);
            if (R->cur_us != cur_us)
                return -17;
        }
        for (uint32_t k = 0; k < R->nb_cap; k++) {
            const struct sl__bucket *b = &R->b[k];
            if (!active || k < R->cur || k >= R->nb) {
                if (b->n != 0 || b->head != SL__NOCHUNK)
                    return -18;
                continue;
            }
            uint64_t lo = R->start + ((uint64_t)k << R->shift);
            uint64_t hi = k + 1 == R->nb ? R->end : lo + ((uint64_t)1 << R->shift);
            rc = check_bucket(e, b, rung_tag(r, k), lo, hi, &chunks);
            if (rc)
                return rc;
            count += b->n;
        }
        if (active)
            upper = R->cur_us;
    }
    if (count != e->n)
        return -19;
    /* Every chunk is in exactly one list: the free ones have count 0 and
     * the others do not, and the lists add up to the pool. */
    size_t nfree = 0;
    for (uint32_t ci = e->chunk_free; ci != SL__NOCHUNK; ci = e->chunks[ci].next) {
        if (ci >= e->nchunks || e->chunks[ci].count != 0 || ++nfree > e->nchunks)
            return -21;
    }
    if (nfree != e->chunks_free || nfree + chunks != e->nchunks)
        return -21;
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
