/*
 * The prefix cache (see pcache.h).
 */
#include "workload/pcache.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <string.h>

#define NONE UINT32_MAX

static size_t hash64(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    return (size_t)k & mask;
}

int sl_pcache_init(struct sl_pcache *c, uint32_t cap)
{
    memset(c, 0, sizeof *c);
    if (cap < 1)
        cap = 1;
    size_t ts = 2;
    while (ts < 2 * (size_t)cap)
        ts *= 2;
    c->key = sl_reallocarray(NULL, cap, sizeof *c->key);
    c->prev = sl_reallocarray(NULL, cap, sizeof *c->prev);
    c->next = sl_reallocarray(NULL, cap, sizeof *c->next);
    c->table = sl_calloc(ts, sizeof *c->table);
    if (!c->key || !c->prev || !c->next || !c->table) {
        sl_pcache_release(c);
        return SL_ENOMEM;
    }
    c->cap = cap;
    c->tsize = ts;
    c->head = c->tail = NONE;
    return SL_OK;
}

void sl_pcache_release(struct sl_pcache *c)
{
    sl_free(c->key);
    sl_free(c->prev);
    sl_free(c->next);
    sl_free(c->table);
    memset(c, 0, sizeof *c);
}

/* Table position of key, or of the empty entry where it would go. */
static size_t find(const struct sl_pcache *c, uint64_t key)
{
    size_t mask = c->tsize - 1, i = hash64(key, mask);
    while (c->table[i] != 0 && c->key[c->table[i] - 1] != key)
        i = (i + 1) & mask;
    return i;
}

static void unlink_slot(struct sl_pcache *c, uint32_t s)
{
    if (c->prev[s] != NONE)
        c->next[c->prev[s]] = c->next[s];
    else
        c->head = c->next[s];
    if (c->next[s] != NONE)
        c->prev[c->next[s]] = c->prev[s];
    else
        c->tail = c->prev[s];
}

static void push_front(struct sl_pcache *c, uint32_t s)
{
    c->prev[s] = NONE;
    c->next[s] = c->head;
    if (c->head != NONE)
        c->prev[c->head] = s;
    c->head = s;
    if (c->tail == NONE)
        c->tail = s;
}

/* Removes the table entry at i, shifting back the entries of its probe run
 * (Knuth's algorithm R), so no tombstones are needed. */
static void table_delete(struct sl_pcache *c, size_t i)
{
    size_t mask = c->tsize - 1, j = i;
    c->table[i] = 0;
    for (;;) {
        j = (j + 1) & mask;
        if (c->table[j] == 0)
            return;
        size_t h = hash64(c->key[c->table[j] - 1], mask);
        /* move table[j] to i unless its home h lies cyclically in (i, j] */
        int stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            c->table[i] = c->table[j];
            c->table[j] = 0;
            i = j;
        }
    }
}

int sl_pcache_contains(const struct sl_pcache *c, uint64_t key)
{
    return c->table[find(c, key)] != 0;
}

int sl_pcache_hit(struct sl_pcache *c, uint64_t key)
{
    size_t i = find(c, key);
    if (c->table[i] == 0)
        return 0;
    uint32_t s = c->table[i] - 1;
    if (c->head != s) {
        unlink_slot(c, s);
        push_front(c, s);
    }
    return 1;
}

void sl_pcache_put(struct sl_pcache *c, uint64_t key)
{
    if (sl_pcache_hit(c, key))
        return;
    uint32_t s;
    if (c->n < c->cap) {
        s = c->n++;
    } else {
        s = c->tail;
        unlink_slot(c, s);
        table_delete(c, find(c, c->key[s]));
    }
    c->key[s] = key;
    c->table[find(c, key)] = s + 1;
    push_front(c, s);
}
