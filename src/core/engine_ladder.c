/*
 * The engine's ladder queue: the tiers above the bottom heap, and the
 * bottom's sorted run.
 *
 * The pending set is a ladder queue (Tang, Goh & Thng, "Ladder queue: an
 * O(1) priority queue structure for large-scale discrete event
 * simulation", ACM TOMACS 15(3), 2005) in front of a bottom that keeps
 * exact order.  Its tiers split the time axis into consecutive ranges:
 *
 *   bottom   times <  bottom_end: a 4-ary heap (src/core/engine_heap.c)
 *            and a sorted run;
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
 * a handler) go into the heap.  A bucket moved down is counting-sorted by
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
 * Locations.  The pos[] of an event in the ladder is tag << 37 | chunk << 5
 * | offset for the top (SL__TAG_TOP) and bucket k of rung r ((r + 1) << 22
 * | k), or SL__TAG_RUN << 37 | index for the run.  Removal from a bucket
 * moves the bucket's last entry (in its first chunk) into the hole and
 * updates that entry's pos; removal from the run marks the entry dead,
 * since the run must stay sorted, and the cursor skips dead entries.
 *
 * Memory.  Everything here that allocates has a fallback that keeps the
 * order exact: a rung that cannot be built leaves its events where they
 * are or sends them to the bottom; a bucket that cannot grow makes the
 * engine move every event into the heap and drop the ladder (collapse,
 * O(n), possible because the heap's capacity covers every pending event);
 * a run that cannot be allocated is replaced by the heap.  So cancel,
 * reschedule and run never fail for lack of memory.
 *
 * Invariants (checked by sl__ladder_check): the tier ranges above, with
 * every entry inside its tier's (and its bucket's) range and every pending
 * time >= now; a sorted run whose first entry is live; pos[] pointing back
 * at every entry; buckets before a rung's cur, and all buckets of unused
 * rungs, empty; every chunk in exactly one bucket or the free list, only a
 * bucket's first chunk partly filled; every key's sequence < seq.
 */
#include "core/engine_int.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

/* At most this many events share a counting-sort bin in bucket_to_run. */
#define SL__BIN_MAX 8

/* ------------------------------------------------------------------ */
/* The chunk pool and the buckets */

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
SL__NOINLINE int sl__ladder_chunk_reserve(struct sl_engine *e, size_t k)
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

/* Returns chunk c to the free list.  O(1). */
static inline void chunk_give(struct sl_engine *e, uint32_t c)
{
    e->chunks[c].count = 0;
    e->chunks[c].next = e->chunk_free;
    e->chunk_free = c;
    e->chunks_free++;
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
            sl__heap_put(e, i, x, ch->v[k].slot);
        }
        chunk_give(e, c);
        c = next;
    }
    e->hn = i;
    b->head = SL__NOCHUNK;
    b->n = 0;
}

/* Removes the ladder entry at location loc (a pos[] value with a nonzero
 * tag) by moving the last entry of its bucket (in the first chunk) into its
 * place, and returns it.  The top's min and max stay as (now loose)
 * bounds.  O(1). */
struct sl__heap_entry sl__ladder_remove(struct sl_engine *e, uint64_t loc)
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
        e->pos[c->v[off].slot] = sl__ladder_loc(tag, ci, off);
    }
    if (h->count == 0) {
        b->head = h->next;
        chunk_give(e, hi);
    }
    b->n--;
    return x;
}

void sl__ladder_reset_top(struct sl_engine *e)
{
    e->top_min = INT64_MAX;
    e->top_max = INT64_MIN;
}

/* ------------------------------------------------------------------ */
/* The run: the sorted part of the bottom */

/* Removes run entry i: marks it cancelled, as the run must stay sorted.
 * O(1) amortised. */
void sl__ladder_run_kill(struct sl_engine *e, uint32_t i)
{
    assert(i >= e->run_cur && i < e->run_end && e->run[i].slot != SL__DEAD);
    e->run[i].slot = SL__DEAD;
    sl__run_skip(e);
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
        while (j > 0 && sl__key_less(x.t_us, x.key, v[j - 1].t_us, v[j - 1].key)) {
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
    assert(sl__bottom_empty(e) && !e->vacant);
    e->run_cur = e->run_end = 0;
    if (b->n <= e->tune.run_max && b->n <= SL__RUN_MAX && b->n > 1 &&
        (e->run || (e->run = sl_reallocarray(NULL, SL__RUN_MAX, sizeof *e->run)) != NULL) &&
        bucket_to_run(e, b))
        return;
    bucket_to_heap(e, b);
    sl__heap_heapify(e);
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
    if (sl__ladder_chunk_reserve(e, c / SL__CHUNK + (nb < c ? nb : c) + 1) != SL_OK)
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
            uint32_t k = sl__rung_index(R, (uint64_t)e->heap[i].t_us);
            sl__ladder_bucket_put(e, &R->b[k], sl__rung_tag(r, k), e->heap[i], e->hslot[i]);
        }
        for (uint32_t i = e->run_cur; i < e->run_end; i++) {
            const struct sl__ladder_entry *v = &e->run[i];
            if (v->slot == SL__DEAD)
                continue;
            struct sl__heap_entry x;
            x.t_us = v->t_us;
            x.key = v->key;
            uint32_t k = sl__rung_index(R, (uint64_t)x.t_us);
            sl__ladder_bucket_put(e, &R->b[k], sl__rung_tag(r, k), x, v->slot);
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
            uint32_t k = sl__rung_index(R, (uint64_t)x.t_us);
            sl__ladder_bucket_put(e, &R->b[k], sl__rung_tag(r, k), x, ch->v[i].slot);
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
void sl__ladder_refill(struct sl_engine *e)
{
    assert(sl__bottom_empty(e) && !e->vacant);
    for (;;) {
        if (e->nrungs == 0) {
            if (e->top.n > e->tune.occ && e->top_min < e->top_max &&
                build_rung(e, 0, &e->top, e->top.n, (uint64_t)e->top_min, (uint64_t)e->top_max,
                           0) == SL_OK) {
                e->top_start = e->rung[0].end;
                sl__ladder_reset_top(e);
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
            sl__ladder_reset_top(e);
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
SL__NOINLINE void sl__ladder_collapse(struct sl_engine *e)
{
    if (e->vacant)
        sl__heap_settle(e);
    bucket_to_heap(e, &e->top);
    sl__ladder_reset_top(e);
    for (unsigned r = 0; r < e->nrungs; r++) {
        struct sl__rung *R = &e->rung[r];
        for (uint32_t k = R->cur; k < R->nb; k++)
            bucket_to_heap(e, &R->b[k]);
    }
    e->nrungs = 0;
    e->top_start = SL__TIME_END;
    e->bottom_end = SL__TIME_END;
    sl__heap_heapify(e);
    e->spill_at = spill_threshold(e, e->hn);
}

/* The heap outgrew spill_at: move the bottom (heap and run) into a new
 * lowest rung covering [earliest bottom time, bottom_end), then refill.
 * Gives up (and waits for the heap to double) when every rung is in use,
 * all bottom events share one time, or memory is short.  Amortised O(1)
 * per insertion: spill_at is at least twice the heap size after every
 * refill or failed spill. */
SL__NOINLINE void sl__ladder_spill(struct sl_engine *e)
{
    if (e->vacant)
        sl__heap_settle(e);
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
    sl__ladder_refill(e);
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
            if (x->slot >= e->nslots || e->pos[x->slot] != sl__ladder_loc(tag, ci, i))
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

int sl__ladder_check(const struct sl_engine *e, size_t *count)
{
    /* The run: sorted live entries, the first one live, all before
     * bottom_end. */
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
        if (prev && !sl__key_less(prev->t_us, prev->key, x->t_us, x->key))
            return -22;
        prev = x;
        (*count)++;
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
    *count += e->top.n;
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
            rc = check_bucket(e, b, sl__rung_tag(r, k), lo, hi, &chunks);
            if (rc)
                return rc;
            *count += b->n;
        }
        if (active)
            upper = R->cur_us;
    }
    /* Every chunk is in exactly one list: the free ones have count 0 and
     * the others do not, and the lists add up to the pool. */
    size_t nfree = 0;
    for (uint32_t ci = e->chunk_free; ci != SL__NOCHUNK; ci = e->chunks[ci].next) {
        if (ci >= e->nchunks || e->chunks[ci].count != 0 || ++nfree > e->nchunks)
            return -21;
    }
    if (nfree != e->chunks_free || nfree + chunks != e->nchunks)
        return -21;
    return 0;
}
