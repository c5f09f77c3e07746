/*
 * YAML text to a position-carrying tree (see ytree.h).
 *
 * libyaml delivers a stream of events; we keep an explicit stack of open
 * collections and attach each finished node to its parent: as the key or the
 * value of a mapping pair, or as a sequence item.  Keys must be scalars and
 * unique within a mapping.  Anchors are remembered by name; an alias is
 * replaced by a deep copy of the anchored node.  YAML 1.1 merge keys
 * (`<<: *base`, `<<: [*a, *b]`) copy the pairs of the merged mappings that
 * the mapping does not give itself, earlier mappings first.
 *
 * Every input is bounded by the limits of suanli/limits.h, at every path into
 * a tree: nesting depth (of the file, of an alias or a merge copied into it,
 * and of a dotted key path given to sl_ytree_set), nodes and bytes copied by
 * aliases and merges ("billion laughs"), keys per mapping and input bytes.
 * The depth bound is an invariant of every tree (no node more than
 * SL_LIM_DEPTH collections deep), which is what lets free, copy and the
 * schema mapping recurse.
 *
 * Looking up a key of an open mapping (duplicate keys, merges) and an anchor
 * by name goes through hash tables, so a mapping of n keys or n aliases cost
 * O(n), not O(n^2).  The hash is seeded per parse from an address (ASLR), so
 * a file cannot be built offline to collide; nothing observable depends on
 * the seed, only the time a lookup takes.
 */
#include "config/ytree.h"

#include "suanli/alloc.h"
#include "suanli/limits.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* A hash set of names, stored as indexes into an array the caller owns
 * (mapping pairs, anchors) and read back through name().  Open addressing
 * with linear probing, at most half full; slots hold index + 1, 0 is empty. */
struct nameset {
    size_t *slots;
    size_t mask; /* slot count - 1; the count is a power of two */
    size_t count;
};

typedef const char *(*name_fn)(const void *ctx, size_t index);

static uint64_t hash_name(uint64_t seed, const char *s)
{
    uint64_t h = seed ^ 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    /* Mix the high bits down, so the slot depends on every byte. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

/* The slot that holds name, or the empty slot where it would go.  The set
 * must have slots. */
static size_t nameset_slot(const struct nameset *t, uint64_t seed, const char *name, name_fn get,
                           const void *ctx)
{
    size_t i = (size_t)hash_name(seed, name) & t->mask;
    while (t->slots[i] && strcmp(get(ctx, t->slots[i] - 1), name) != 0)
        i = (i + 1) & t->mask;
    return i;
}

/* Makes room for one more name; O(1) amortised. */
static int nameset_reserve(struct nameset *t, uint64_t seed, name_fn get, const void *ctx)
{
    if (t->slots && 2 * (t->count + 1) <= t->mask + 1)
        return SL_OK;
    size_t n = t->slots ? 2 * (t->mask + 1) : 16;
    struct nameset g = {sl_calloc(n, sizeof(size_t)), n - 1, t->count};
    if (!g.slots)
        return SL_ENOMEM;
    for (size_t i = 0; t->slots && i <= t->mask; i++)
        if (t->slots[i])
            g.slots[nameset_slot(&g, seed, get(ctx, t->slots[i] - 1), get, ctx)] = t->slots[i];
    sl_free(t->slots);
    *t = g;
    return SL_OK;
}

static const char *pair_key(const void *ctx, size_t i)
{
    return ((const struct sl_ynode *)ctx)->pairs[i].key->text;
}

/* The lookup index of a large mapping, built by sl_ytree_set so that n
 * overrides into one mapping cost O(n), not O(n^2).  It is current while it
 * indexes all n pairs: sl_ytree_set adds the pairs it appends, sl_ymap_take
 * drops it, and nothing else changes a mapping's keys after parsing. */
struct sl_yindex {
    struct nameset set;
    uint64_t seed;
};

#define INDEX_MIN_KEYS 16

static void index_drop(struct sl_ynode *map)
{
    if (map->index) {
        sl_free(map->index->set.slots);
        sl_free(map->index);
        map->index = NULL;
    }
}

/* Adds pair i (the last one) to a current index; drops the index if there
 * is no memory for it, so lookups fall back to a scan. */
static void index_add(struct sl_ynode *map, size_t i)
{
    struct sl_yindex *ix = map->index;
    if (!ix)
        return;
    if (ix->set.count != i || nameset_reserve(&ix->set, ix->seed, pair_key, map) != SL_OK) {
        index_drop(map);
        return;
    }
    size_t slot = nameset_slot(&ix->set, ix->seed, map->pairs[i].key->text, pair_key, map);
    ix->set.slots[slot] = i + 1;
    ix->set.count++;
}

/* The position of key among map's pairs, or map->n if absent. */
static size_t map_find(struct sl_ynode *map, const char *key)
{
    if (map->n >= INDEX_MIN_KEYS && (!map->index || map->index->set.count != map->n)) {
        index_drop(map);
        struct sl_yindex *ix = sl_calloc(1, sizeof *ix);
        if (ix) {
            uint64_t z = (uint64_t)(uintptr_t)map * 0x9e3779b97f4a7c15u;
            ix->seed = z ^ (z >> 29);
            map->index = ix;
            for (size_t i = 0; i < map->n && map->index; i++)
                index_add(map, i);
        }
    }
    if (map->index) {
        struct sl_yindex *ix = map->index;
        size_t slot = nameset_slot(&ix->set, ix->seed, key, pair_key, map);
        return ix->set.slots[slot] ? ix->set.slots[slot] - 1 : map->n;
    }
    size_t i = 0;
    while (i < map->n && strcmp(map->pairs[i].key->text, key) != 0)
        i++;
    return i;
}

void sl_ysources_release(struct sl_ysources *s)
{
    struct sl_ysource *p = s->head;
    while (p) {
        struct sl_ysource *next = p->next;
        sl_free(p->name);
        sl_free(p);
        p = next;
    }
    s->head = NULL;
}

const struct sl_ysource *sl_ysources_add(struct sl_ysources *s, const char *name)
{
    struct sl_ysource *src = sl_malloc(sizeof *src);
    if (!src)
        return NULL;
    src->name = sl_strdup(name);
    if (!src->name) {
        sl_free(src);
        return NULL;
    }
    src->next = s->head;
    s->head = src;
    return src;
}

static struct sl_ynode *node_new(enum sl_ytype type, const struct sl_ysource *src, int line,
                                 int col)
{
    struct sl_ynode *n = sl_calloc(1, sizeof *n);
    if (n) {
        n->type = type;
        n->src = src;
        n->line = line;
        n->col = col;
    }
    return n;
}

void sl_ynode_free(struct sl_ynode *n)
{
    if (!n)
        return;
    if (n->type == SL_Y_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            sl_ynode_free(n->pairs[i].key);
            sl_ynode_free(n->pairs[i].value);
        }
        sl_free(n->pairs);
        index_drop(n);
    } else if (n->type == SL_Y_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            sl_ynode_free(n->items[i]);
        sl_free(n->items);
    }
    sl_free(n->text);
    sl_free(n);
}

static int grow(struct sl_ynode *n)
{
    if (n->n < n->cap)
        return SL_OK;
    size_t cap = n->cap ? n->cap * 2 : 4;
    if (n->type == SL_Y_MAP) {
        struct sl_ypair *p = sl_reallocarray(n->pairs, cap, sizeof *p);
        if (!p)
            return SL_ENOMEM;
        n->pairs = p;
    } else {
        struct sl_ynode **p = sl_reallocarray(n->items, cap, sizeof *p);
        if (!p)
            return SL_ENOMEM;
        n->items = p;
    }
    n->cap = cap;
    return SL_OK;
}

/* What copying a tree costs: its nodes, the bytes of its texts (with their
 * NULs) and its depth in collections (0 for a scalar, 1 for a mapping of
 * scalars).  Recursion is bounded by the depth invariant. */
struct cost {
    size_t nodes, bytes;
    int depth;
};

static void add_cost(const struct sl_ynode *n, struct cost *c, int level)
{
    c->nodes++;
    if (n->text)
        c->bytes += strlen(n->text) + 1;
    if (n->type != SL_Y_SCALAR && level + 1 > c->depth)
        c->depth = level + 1;
    if (n->type == SL_Y_MAP)
        for (size_t i = 0; i < n->n; i++) {
            add_cost(n->pairs[i].key, c, level + 1);
            add_cost(n->pairs[i].value, c, level + 1);
        }
    else if (n->type == SL_Y_SEQ)
        for (size_t i = 0; i < n->n; i++)
            add_cost(n->items[i], c, level + 1);
}

static struct cost cost_of(const struct sl_ynode *n)
{
    struct cost c = {0, 0, 0};
    add_cost(n, &c, 0);
    return c;
}

struct sl_ynode *sl_ynode_copy(const struct sl_ynode *n)
{
    struct sl_ynode *c = node_new(n->type, n->src, n->line, n->col);
    if (!c)
        return NULL;
    c->plain = n->plain;
    if (n->text && !(c->text = sl_strdup(n->text)))
        goto fail;
    if (n->type == SL_Y_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            if (grow(c) != SL_OK)
                goto fail;
            struct sl_ynode *k = sl_ynode_copy(n->pairs[i].key);
            struct sl_ynode *v = k ? sl_ynode_copy(n->pairs[i].value) : NULL;
            if (!v) {
                sl_ynode_free(k);
                goto fail;
            }
            c->pairs[c->n].key = k;
            c->pairs[c->n].value = v;
            c->n++;
        }
    } else if (n->type == SL_Y_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            if (grow(c) != SL_OK)
                goto fail;
            struct sl_ynode *v = sl_ynode_copy(n->items[i]);
            if (!v)
                goto fail;
            c->items[c->n++] = v;
        }
    }
    return c;
fail:
    sl_ynode_free(c);
    return NULL;
}

int sl_ynode_error(const struct sl_ynode *n, struct sl_diag *d, int code, const char *fmt, ...)
{
    if (!d || d->code != SL_OK)
        return code;
    char msg[sizeof d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_diag_set(d, code, n && n->src ? n->src->name : NULL, n ? n->line : 0, n ? n->col : 0,
                       "%s", msg);
}

const char *sl_ynode_describe(const struct sl_ynode *n, char *buf, size_t size)
{
    if (n->type == SL_Y_MAP)
        snprintf(buf, size, "a mapping");
    else if (n->type == SL_Y_SEQ)
        snprintf(buf, size, "a list");
    else if (sl_ynode_is_null(n))
        snprintf(buf, size, "an empty value");
    else
        snprintf(buf, size, "'%.80s'", n->text);
    return buf;
}

int sl_ynode_is_null(const struct sl_ynode *n)
{
    if (n->type != SL_Y_SCALAR || !n->plain)
        return 0;
    return n->text[0] == '\0' || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
           strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

struct sl_ynode *sl_ymap_get(const struct sl_ynode *map, const char *key)
{
    if (!map || map->type != SL_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key->text, key) == 0)
            return map->pairs[i].value;
    return NULL;
}

struct sl_ynode *sl_ymap_take(struct sl_ynode *map, const char *key)
{
    if (!map || map->type != SL_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->pairs[i].key->text, key) == 0) {
            struct sl_ynode *v = map->pairs[i].value;
            sl_ynode_free(map->pairs[i].key);
            index_drop(map);
            memmove(&map->pairs[i], &map->pairs[i + 1], (map->n - i - 1) * sizeof map->pairs[0]);
            map->n--;
            return v;
        }
    }
    return NULL;
}

/* Parses a path segment as a sequence index; -1 if it is not a number. */
static long seg_index(const char *seg, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (seg[i] < '0' || seg[i] > '9')
            return -1;
        v = v * 10 + (seg[i] - '0');
    }
    return v;
}

static struct sl_ynode *child(const struct sl_ynode *n, const char *seg, size_t len)
{
    if (n->type == SL_Y_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            const char *k = n->pairs[i].key->text;
            if (strlen(k) == len && memcmp(k, seg, len) == 0)
                return n->pairs[i].value;
        }
    } else if (n->type == SL_Y_SEQ) {
        long idx = seg_index(seg, len);
        if (idx >= 0 && (size_t)idx < n->n)
            return n->items[idx];
    }
    return NULL;
}

const struct sl_ynode *sl_ytree_lookup(const struct sl_ynode *root, const char *path)
{
    const struct sl_ynode *n = root;
    const char *p = path;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        n = child(n, p, len);
        p = dot ? dot + 1 : p + len;
    }
    return n;
}

int sl_ytree_set(struct sl_ynode *root, const char *path, struct sl_ynode *value,
                 const struct sl_ysource *src, int line, int col, struct sl_diag *d)
{
    const char *srcname = src ? src->name : NULL;
    /* Bound the depth before anything is created: the path's keys plus the
     * value's own levels must stay within the limit, as in a file. */
    size_t nseg = 1;
    for (const char *q = path; *q; q++)
        nseg += *q == '.';
    if (nseg + (size_t)cost_of(value).depth > (size_t)SL_LIMIT(SL_LIM_DEPTH)) {
        char lim[160];
        sl_ynode_free(value);
        return sl_diag_set(d, SL_EINVAL, srcname, line, col,
                           "key path '%.60s%s' (%zu keys) with its value: %s", path,
                           strlen(path) > 60 ? "..." : "", nseg,
                           sl_limit_text(SL_LIM_DEPTH, lim, sizeof lim));
    }
    struct sl_ynode *n = root;
    const char *p = path;
    char seg[256];
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || len >= sizeof seg) {
            sl_ynode_free(value);
            return sl_diag_set(d, SL_EINVAL, srcname, line, col,
                               "bad key path '%s': expected keys separated by dots, "
                               "such as 'fleet.servers'",
                               path);
        }
        memcpy(seg, p, len);
        seg[len] = '\0';
        int last = dot == NULL;
        if (n->type == SL_Y_SEQ) {
            long idx = seg_index(seg, len);
            if (idx < 0 || (size_t)idx >= n->n) {
                sl_ynode_free(value);
                return sl_diag_set(d, SL_EINVAL, srcname, line, col,
                                   "in key path '%s': '%s' is not an index of the list "
                                   "(it has %zu items, index from 0)",
                                   path, seg, n->n);
            }
            if (last) {
                sl_ynode_free(n->items[idx]);
                n->items[idx] = value;
                return SL_OK;
            }
            n = n->items[idx];
        } else if (n->type == SL_Y_MAP) {
            size_t i = map_find(n, seg);
            if (i == n->n) {
                /* Create the key; the schema check later rejects it if it
                 * does not exist, naming this override. */
                if (n->n >= (size_t)SL_LIMIT(SL_LIM_KEYS_PER_MAP)) {
                    char lim[160];
                    sl_ynode_free(value);
                    return sl_diag_set(d, SL_EINVAL, srcname, line, col, "in key path '%.80s': %s",
                                       path, sl_limit_text(SL_LIM_KEYS_PER_MAP, lim, sizeof lim));
                }
                if (grow(n) != SL_OK)
                    goto nomem;
                struct sl_ynode *k = node_new(SL_Y_SCALAR, src, line, col);
                struct sl_ynode *v = last ? value : node_new(SL_Y_MAP, src, line, col);
                if (!k || !v || !(k->text = sl_strdup(seg))) {
                    sl_ynode_free(k);
                    if (v != value)
                        sl_ynode_free(v);
                    goto nomem;
                }
                n->pairs[n->n].key = k;
                n->pairs[n->n].value = v;
                n->n++;
                index_add(n, n->n - 1);
                if (last)
                    return SL_OK;
                n = v;
            } else if (last) {
                sl_ynode_free(n->pairs[i].value);
                n->pairs[i].value = value;
                return SL_OK;
            } else {
                n = n->pairs[i].value;
            }
        } else {
            sl_ynode_free(value);
            return sl_diag_set(d, SL_EINVAL, srcname, line, col,
                               "in key path '%s': '%s' is reached through a plain value, "
                               "not a mapping",
                               path, seg);
        }
        p = dot + 1;
    }
nomem:
    sl_ynode_free(value);
    return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
}

/* ---- the parser ---- */

struct anchor {
    char *name;
    struct sl_ynode *node;
    int complete;
    int costed; /* cost is known (computed at the first alias) */
    struct cost cost;
};

/* One open collection.  For a mapping: keys indexes its pairs by key text;
 * merge holds the value of its '<<' key (merge_key) until the mapping ends. */
struct frame {
    struct sl_ynode *node;
    struct sl_ynode *pending_key; /* map: key awaiting its value */
    int pending_merge;            /* pending_key is the merge key '<<' */
    size_t anchor;                /* index + 1 of the node's anchor, or 0 */
    struct nameset keys;
    struct sl_ynode *merge_key, *merge;
};

struct builder {
    const struct sl_ysource *src;
    struct sl_diag *d;
    uint64_t seed;
    struct frame *stack;
    size_t depth, capstack;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    struct nameset anchor_names;
    size_t nodes, copied_bytes;
    /* Merged mappings, kept until the end because anchors may point into
     * them. */
    struct sl_ynode *spent;
    struct sl_ynode *root;
};

static const char *anchor_name(const void *ctx, size_t i)
{
    return ((const struct builder *)ctx)->anchors[i].name;
}

static int builder_error(struct builder *b, int line, int col, int code, const char *msg)
{
    return sl_diag_set(b->d, code, b->src->name, line, col, "%s", msg);
}

static int limit_error(struct builder *b, int line, int col, enum sl_limit_id id)
{
    char msg[200];
    return builder_error(b, line, col, SL_EINVAL, sl_limit_text(id, msg, sizeof msg));
}

/* Charges a copy of c at the current depth against the limits; the error is
 * reported at line:col (the alias or the merge key). */
static int charge(struct builder *b, const struct cost *c, size_t depth, int line, int col)
{
    if (depth + (size_t)c->depth > (size_t)SL_LIMIT(SL_LIM_DEPTH))
        return limit_error(b, line, col, SL_LIM_DEPTH);
    b->nodes += c->nodes;
    if (b->nodes > (size_t)SL_LIMIT(SL_LIM_NODES))
        return limit_error(b, line, col, SL_LIM_NODES);
    b->copied_bytes += c->bytes;
    if (b->copied_bytes > (size_t)SL_LIMIT(SL_LIM_ALIAS_BYTES))
        return limit_error(b, line, col, SL_LIM_ALIAS_BYTES);
    return SL_OK;
}

/* Remembers an anchor (a later one of the same name replaces it) and
 * returns its index + 1 in *index, or SL_ENOMEM. */
static int remember_anchor(struct builder *b, const char *name, struct sl_ynode *node, int complete,
                           size_t *index)
{
    if (b->nanchors == b->capanchors) {
        size_t cap = b->capanchors ? b->capanchors * 2 : 8;
        struct anchor *a = sl_reallocarray(b->anchors, cap, sizeof *a);
        if (!a)
            return SL_ENOMEM;
        b->anchors = a;
        b->capanchors = cap;
    }
    if (nameset_reserve(&b->anchor_names, b->seed, anchor_name, b) != SL_OK)
        return SL_ENOMEM;
    char *copy = sl_strdup(name);
    if (!copy)
        return SL_ENOMEM;
    struct anchor *a = &b->anchors[b->nanchors];
    memset(a, 0, sizeof *a);
    a->name = copy;
    a->node = node;
    a->complete = complete;
    b->nanchors++;
    size_t slot = nameset_slot(&b->anchor_names, b->seed, name, anchor_name, b);
    if (!b->anchor_names.slots[slot])
        b->anchor_names.count++;
    b->anchor_names.slots[slot] = b->nanchors;
    *index = b->nanchors;
    return SL_OK;
}

static struct anchor *find_anchor(struct builder *b, const char *name)
{
    if (!b->anchor_names.slots)
        return NULL;
    size_t slot = nameset_slot(&b->anchor_names, b->seed, name, anchor_name, b);
    size_t i = b->anchor_names.slots[slot];
    return i ? &b->anchors[i - 1] : NULL;
}

static int is_merge_key(const struct sl_ynode *key)
{
    return key->plain && strcmp(key->text, "<<") == 0;
}

/* Accepts a key of the innermost open mapping: unique, within the limit of
 * keys.  Takes ownership of key. */
static int accept_key(struct builder *b, struct frame *f, struct sl_ynode *key)
{
    struct sl_ynode *map = f->node;
    int line = key->line, col = key->col;
    if (key->type != SL_Y_SCALAR) {
        sl_ynode_free(key);
        return builder_error(b, line, col, SL_EINVAL,
                             "a mapping key must be a plain word such as 'servers', "
                             "not a list or mapping");
    }
    if (is_merge_key(key)) {
        if (f->merge_key) {
            char msg[128];
            snprintf(msg, sizeof msg, "duplicate merge key '<<' (first given at line %d)",
                     f->merge_key->line);
            sl_ynode_free(key);
            return builder_error(b, line, col, SL_EINVAL, msg);
        }
        f->pending_key = key;
        f->pending_merge = 1;
        return SL_OK;
    }
    if (nameset_reserve(&f->keys, b->seed, pair_key, map) != SL_OK) {
        sl_ynode_free(key);
        return SL_ENOMEM;
    }
    size_t slot = nameset_slot(&f->keys, b->seed, key->text, pair_key, map);
    if (f->keys.slots[slot]) {
        char msg[512];
        snprintf(msg, sizeof msg, "duplicate key '%.200s' (first given at line %d)", key->text,
                 map->pairs[f->keys.slots[slot] - 1].key->line);
        sl_ynode_free(key);
        return builder_error(b, line, col, SL_EINVAL, msg);
    }
    if (map->n >= (size_t)SL_LIMIT(SL_LIM_KEYS_PER_MAP)) {
        sl_ynode_free(key);
        return limit_error(b, line, col, SL_LIM_KEYS_PER_MAP);
    }
    /* The key becomes pair map->n when its value arrives. */
    f->keys.slots[slot] = map->n + 1;
    f->keys.count++;
    f->pending_key = key;
    f->pending_merge = 0;
    return SL_OK;
}

/* Takes the value of a merge key: a mapping or a list of mappings. */
static int accept_merge(struct builder *b, struct frame *f, struct sl_ynode *value)
{
    int ok = value->type == SL_Y_MAP;
    if (value->type == SL_Y_SEQ) {
        ok = 1;
        for (size_t i = 0; i < value->n; i++)
            ok &= value->items[i]->type == SL_Y_MAP;
    }
    f->merge_key = f->pending_key;
    f->pending_key = NULL;
    f->pending_merge = 0;
    if (!ok) {
        char desc[128], msg[300];
        snprintf(msg, sizeof msg,
                 "the merge key '<<' expects a mapping or a list of mappings, such as "
                 "'<<: *base' or '<<: [*a, *b]', got %s",
                 sl_ynode_describe(value, desc, sizeof desc));
        /* At the key: an alias's copy carries the anchor's position. */
        sl_ynode_free(value);
        return builder_error(b, f->merge_key->line, f->merge_key->col, SL_EINVAL, msg);
    }
    f->merge = value;
    return SL_OK;
}

/* Copies into the closing mapping of frame f (at depth b->depth, its
 * parents' count) the pairs of its merged mappings whose keys it lacks:
 * explicit keys win, then earlier mappings.  Copies are charged like
 * aliases, at the merge key's position; they are no deeper than the merged
 * mappings were. */
static int apply_merge(struct builder *b, struct frame *f)
{
    struct sl_ynode *map = f->node, *m = f->merge;
    int line = f->merge_key->line, col = f->merge_key->col;
    size_t nsrc = m->type == SL_Y_MAP ? 1 : m->n;
    for (size_t s = 0; s < nsrc; s++) {
        const struct sl_ynode *from = m->type == SL_Y_MAP ? m : m->items[s];
        for (size_t i = 0; i < from->n; i++) {
            const struct sl_ypair *p = &from->pairs[i];
            if (nameset_reserve(&f->keys, b->seed, pair_key, map) != SL_OK || grow(map) != SL_OK)
                return SL_ENOMEM;
            size_t slot = nameset_slot(&f->keys, b->seed, p->key->text, pair_key, map);
            if (f->keys.slots[slot])
                continue;
            if (map->n >= (size_t)SL_LIMIT(SL_LIM_KEYS_PER_MAP))
                return limit_error(b, line, col, SL_LIM_KEYS_PER_MAP);
            struct cost c = cost_of(p->value);
            c.nodes++;
            c.bytes += strlen(p->key->text) + 1;
            int rc = charge(b, &c, b->depth, line, col);
            if (rc != SL_OK)
                return rc;
            struct sl_ynode *k = sl_ynode_copy(p->key);
            struct sl_ynode *v = k ? sl_ynode_copy(p->value) : NULL;
            if (!v) {
                sl_ynode_free(k);
                return SL_ENOMEM;
            }
            map->pairs[map->n].key = k;
            map->pairs[map->n].value = v;
            map->n++;
            f->keys.slots[slot] = map->n;
            f->keys.count++;
        }
    }
    return SL_OK;
}

/* Keeps a node alive until the end of the parse. */
static int keep_spent(struct builder *b, struct sl_ynode *n)
{
    if (!b->spent && !(b->spent = node_new(SL_Y_SEQ, b->src, 0, 0)))
        return SL_ENOMEM;
    if (grow(b->spent) != SL_OK)
        return SL_ENOMEM;
    b->spent->items[b->spent->n++] = n;
    return SL_OK;
}

static void frame_release(struct frame *f)
{
    sl_ynode_free(f->pending_key);
    sl_ynode_free(f->merge_key);
    sl_ynode_free(f->merge);
    sl_free(f->keys.slots);
    memset(f, 0, sizeof *f);
}

/* Attaches a finished node to the open collection (or makes it the root).
 * Takes ownership of node in all cases. */
static int attach(struct builder *b, struct sl_ynode *node)
{
    if (b->depth == 0) {
        b->root = node;
        return SL_OK;
    }
    struct frame *f = &b->stack[b->depth - 1];
    struct sl_ynode *parent = f->node;
    if (parent->type == SL_Y_SEQ) {
        if (grow(parent) != SL_OK) {
            sl_ynode_free(node);
            return SL_ENOMEM;
        }
        parent->items[parent->n++] = node;
        return SL_OK;
    }
    if (!f->pending_key)
        return accept_key(b, f, node);
    if (f->pending_merge)
        return accept_merge(b, f, node);
    if (grow(parent) != SL_OK) {
        sl_ynode_free(node);
        return SL_ENOMEM;
    }
    parent->pairs[parent->n].key = f->pending_key;
    parent->pairs[parent->n].value = node;
    parent->n++;
    f->pending_key = NULL;
    return SL_OK;
}

/* Closes the innermost collection: applies its merge, completes its anchor
 * and attaches it. */
static int close_collection(struct builder *b)
{
    struct frame *f = &b->stack[b->depth - 1];
    int rc = SL_OK;
    if (f->merge) {
        /* The key and the value may carry anchors: keep both. */
        rc = apply_merge(b, f);
        if (rc == SL_OK && (rc = keep_spent(b, f->merge)) == SL_OK)
            f->merge = NULL;
        if (rc == SL_OK && (rc = keep_spent(b, f->merge_key)) == SL_OK)
            f->merge_key = NULL;
        if (rc != SL_OK)
            return rc; /* builder_release frees the frame */
    }
    if (f->anchor)
        b->anchors[f->anchor - 1].complete = 1;
    struct sl_ynode *node = f->node;
    frame_release(f);
    b->depth--;
    return attach(b, node);
}

static int open_collection(struct builder *b, struct sl_ynode *n, size_t anchor)
{
    if (b->depth >= (size_t)SL_LIMIT(SL_LIM_DEPTH)) {
        int line = n->line, col = n->col;
        sl_ynode_free(n);
        return limit_error(b, line, col, SL_LIM_DEPTH);
    }
    if (b->depth == b->capstack) {
        size_t cap = b->capstack ? b->capstack * 2 : 16;
        struct frame *s = sl_reallocarray(b->stack, cap, sizeof *s);
        if (!s) {
            sl_ynode_free(n);
            return SL_ENOMEM;
        }
        b->stack = s;
        b->capstack = cap;
    }
    struct frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    f->anchor = anchor;
    return SL_OK;
}

static int handle_event(struct builder *b, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    int col = (int)ev->start_mark.column + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->root)
            return builder_error(b, line, col, SL_EINVAL,
                                 "a scenario file holds one YAML document; found a second one "
                                 "(remove the '---' separator)");
        return SL_OK;
    case YAML_SCALAR_EVENT:
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        if (++b->nodes > (size_t)SL_LIMIT(SL_LIM_NODES))
            return limit_error(b, line, col, SL_LIM_NODES);
        enum sl_ytype t = ev->type == YAML_SCALAR_EVENT          ? SL_Y_SCALAR
                          : ev->type == YAML_MAPPING_START_EVENT ? SL_Y_MAP
                                                                 : SL_Y_SEQ;
        struct sl_ynode *n = node_new(t, b->src, line, col);
        if (!n)
            return SL_ENOMEM;
        const yaml_char_t *anchor;
        if (t == SL_Y_SCALAR) {
            anchor = ev->data.scalar.anchor;
            n->text = sl_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
            n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (!n->text) {
                sl_ynode_free(n);
                return SL_ENOMEM;
            }
            if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
                sl_ynode_free(n);
                return builder_error(b, line, col, SL_EINVAL, "text contains a NUL character");
            }
        } else {
            anchor = t == SL_Y_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        }
        size_t index = 0;
        if (anchor &&
            remember_anchor(b, (const char *)anchor, n, t == SL_Y_SCALAR, &index) != SL_OK) {
            sl_ynode_free(n);
            return SL_ENOMEM;
        }
        if (t == SL_Y_SCALAR)
            return attach(b, n);
        return open_collection(b, n, index);
    }
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return close_collection(b);
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        struct anchor *a = find_anchor(b, name);
        if (!a) {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown alias '*%.200s'", name);
            return builder_error(b, line, col, SL_EINVAL, msg);
        }
        if (!a->complete)
            return builder_error(b, line, col, SL_EINVAL,
                                 "alias refers to a collection that contains it");
        if (!a->costed) {
            a->cost = cost_of(a->node);
            a->costed = 1;
        }
        int rc = charge(b, &a->cost, b->depth, line, col);
        if (rc != SL_OK)
            return rc;
        struct sl_ynode *c = sl_ynode_copy(a->node);
        if (!c)
            return SL_ENOMEM;
        return attach(b, c);
    }
    default:
        return SL_OK;
    }
}

static void builder_release(struct builder *b)
{
    /* Pop open collections (only on error). */
    while (b->depth > 0) {
        struct frame *f = &b->stack[--b->depth];
        sl_ynode_free(f->node);
        frame_release(f);
    }
    sl_free(b->stack);
    for (size_t i = 0; i < b->nanchors; i++)
        sl_free(b->anchors[i].name);
    sl_free(b->anchors);
    sl_free(b->anchor_names.slots);
    sl_ynode_free(b->spent);
}

/* The 1-based line and column of byte offset off of text, counting columns
 * in characters as libyaml does (a line ends at LF, CR LF or a lone CR). */
static void offset_position(const char *text, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    if (off > len)
        off = len;
    size_t start = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a BOM */
    for (size_t i = start; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
            l++;
            c = 1;
        } else if (ch != '\r' && (ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

int sl_ytree_parse(struct sl_ysources *srcs, const char *name, const char *text, size_t len,
                   struct sl_ynode **out, struct sl_diag *d)
{
    *out = NULL;
    const struct sl_ysource *src = sl_ysources_add(srcs, name);
    if (!src)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (len > (size_t)SL_LIMIT(SL_LIM_INPUT_BYTES)) {
        char lim[160];
        return sl_diag_set(d, SL_EINVAL, name, 0, 0, "%s",
                           sl_limit_text(SL_LIM_INPUT_BYTES, lim, sizeof lim));
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct builder b;
    memset(&b, 0, sizeof b);
    b.src = src;
    b.d = d;
    /* Any address moves with ASLR; splitmix64 spreads it over every bit. */
    uint64_t z = (uint64_t)(uintptr_t)&b + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    b.seed = z ^ (z >> 31);
    int rc = SL_OK;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            int eline = (int)parser.problem_mark.line + 1;
            int ecol = (int)parser.problem_mark.column + 1;
            char msg[512];
            if (parser.error == YAML_MEMORY_ERROR) {
                rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
            if (parser.error == YAML_READER_ERROR) {
                /* The reader (encoding, control characters) fills
                 * problem_offset and leaves problem_mark at 0:0. */
                offset_position(text, len, parser.problem_offset, &eline, &ecol);
                if (parser.problem_value >= 0)
                    snprintf(msg, sizeof msg, "YAML syntax error: %s (byte 0x%02X)%s",
                             parser.problem ? parser.problem : "error", parser.problem_value,
                             strstr(parser.problem ? parser.problem : "", "UTF-8")
                                 ? ": a scenario must be UTF-8 text"
                                 : "");
                else
                    snprintf(msg, sizeof msg, "YAML syntax error: %s",
                             parser.problem ? parser.problem : "error");
            } else if (parser.context)
                snprintf(msg, sizeof msg, "YAML syntax error: %s (%s that starts at line %d)",
                         parser.problem ? parser.problem : "error", parser.context,
                         (int)parser.context_mark.line + 1);
            else
                snprintf(msg, sizeof msg, "YAML syntax error: %s",
                         parser.problem ? parser.problem : "error");
            rc = sl_diag_set(d, SL_EINVAL, name, eline, ecol, "%s", msg);
            break;
        }
        int done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle_event(&b, &ev);
        yaml_event_delete(&ev);
        if (rc != SL_OK) {
            if (rc == SL_ENOMEM)
                sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            break;
        }
        if (done)
            break;
    }
    yaml_parser_delete(&parser);
    builder_release(&b);
    if (rc != SL_OK) {
        sl_ynode_free(b.root);
        return rc;
    }
    *out = b.root;
    return SL_OK;
}

/* The result code of a failed stat or fopen of a scenario file: a path the
 * user can fix (missing, unreadable, through a file, a symlink loop, too
 * long) is bad input like a missing file; anything else (EIO, EMFILE,
 * ENOMEM...) is the system's failure. */
static int open_error_code(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return SL_ENOENT;
    case EACCES:
    case EPERM:
    case ELOOP:
    case ENAMETOOLONG:
        return SL_EINVAL;
    default:
        return SL_EIO;
    }
}

int sl_ytree_load_file(struct sl_ysources *srcs, const char *path, struct sl_ynode **out,
                       struct sl_diag *d)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return sl_diag_set(d, open_error_code(errno), path, 0, 0, "cannot open scenario file: %s",
                           strerror(errno));
    if (S_ISDIR(st.st_mode))
        return sl_diag_set(d, SL_EINVAL, path, 0, 0,
                           "is a directory; expected a scenario YAML file");
    if (!S_ISREG(st.st_mode))
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "is not a regular file");
    if ((double)st.st_size > SL_LIMIT(SL_LIM_INPUT_BYTES)) {
        char lim[160];
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "%lld bytes: %s", (long long)st.st_size,
                           sl_limit_text(SL_LIM_INPUT_BYTES, lim, sizeof lim));
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_diag_set(d, open_error_code(errno), path, 0, 0, "cannot open scenario file: %s",
                           strerror(errno));
    size_t size = (size_t)st.st_size;
    char *buf = sl_malloc(size + 1);
    if (!buf) {
        fclose(f);
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    size_t got = fread(buf, 1, size, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got != size) {
        sl_free(buf);
        return sl_diag_set(d, SL_EIO, path, 0, 0, "error reading scenario file");
    }
    buf[size] = '\0';
    int rc = sl_ytree_parse(srcs, path, buf, size, out, d);
    sl_free(buf);
    return rc;
}
