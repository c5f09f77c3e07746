/*
 * A prefix cache of KV blocks: which prompt blocks a replica still holds
 * from earlier requests (vLLM's automatic prefix caching, Mooncake's
 * 512-token hash blocks).
 *
 * Keys are 64-bit block ids (a trace's hash id, with the tile of a
 * repeated trace in the high half so copies do not share prefixes).  The
 * cache holds at most cap blocks and evicts the least recently used.  An
 * open-addressing table (linear probing, backward-shift deletion, at most
 * half full) maps a key to its slot; the slots form a doubly linked LRU
 * list.  Lookups and touches are O(1) expected; memory is about 40 bytes
 * a block.
 */
#ifndef SUANLI_WORKLOAD_PCACHE_H
#define SUANLI_WORKLOAD_PCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Invariants: n <= cap; the list from head (most recent) to tail holds
 * the n used slots; table has tsize (a power of two >= 2 cap) entries,
 * each a slot + 1 or 0 for empty. */
struct sl_pcache {
    uint64_t *key;
    uint32_t *prev, *next;
    uint32_t *table;
    uint32_t cap, n, head, tail;
    size_t tsize;
};

/* cap blocks (>= 1).  SL_OK or SL_ENOMEM. */
int sl_pcache_init(struct sl_pcache *c, uint32_t cap);
void sl_pcache_release(struct sl_pcache *c);
/* 1 when key is cached (and makes it the most recent), else 0. */
int sl_pcache_hit(struct sl_pcache *c, uint64_t key);
/* 1 when key is cached, without touching its recency. */
int sl_pcache_contains(const struct sl_pcache *c, uint64_t key);
/* Caches key as the most recent block, evicting the least recent when
 * full. */
void sl_pcache_put(struct sl_pcache *c, uint64_t key);

#endif
