/*
 * The engine's private declarations: shared by src/core/engine.c and the
 * tests, never by library users.
 *
 * include/suanli/engine.h defines struct sl_engine because callers embed it
 * (its size must be known), together with the few types it holds by value
 * (buckets, rungs, tuning).  Everything reached only through a pointer is
 * completed here: the heap's entries, the ladder's entries and the chunks
 * that store them, and the event slots.  Keeping these out of the public
 * header changes no layout and no generated code; it only keeps users from
 * depending on them.  The test hooks at the end inspect the pending set
 * (sl__engine_check, sl__engine_tier); tests also write e->tune between
 * sl_engine_init and the first schedule to build deep ladders from few
 * events.
 */
#ifndef SUANLI_CORE_ENGINE_INT_H
#define SUANLI_CORE_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

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
