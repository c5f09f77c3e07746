/*
 * YAML text to a position-carrying tree (see ytree.h).
 *
 * libyaml delivers a stream of events; we keep an explicit stack of open
 * collections and attach each finished node to its parent: as the key or the
 * value of a mapping pair, or as a sequence item.  Keys must be scalars and
 * unique within a mapping.  Anchors are remembered by name; an alias is
 * replaced by a deep copy of the anchored node, charged against a budget of
 * nodes so that nested aliases cannot blow up memory.
 */
#include "config/ytree.h"

#include "suanli/alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_NODES      2000000
#define MAX_DEPTH      256
#define MAX_FILE_BYTES (64u << 20)

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

static size_t count_nodes(const struct sl_ynode *n)
{
    size_t c = 1;
    if (n->type == SL_Y_MAP)
        for (size_t i = 0; i < n->n; i++)
            c += count_nodes(n->pairs[i].key) + count_nodes(n->pairs[i].value);
    else if (n->type == SL_Y_SEQ)
        for (size_t i = 0; i < n->n; i++)
            c += count_nodes(n->items[i]);
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
            size_t i;
            for (i = 0; i < n->n; i++)
                if (strcmp(n->pairs[i].key->text, seg) == 0)
                    break;
            if (i == n->n) {
                /* Create the key; the schema check later rejects it if it
                 * does not exist, naming this override. */
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
};

struct frame {
    struct sl_ynode *node;
    struct sl_ynode *pending_key; /* map: key awaiting its value */
    char *anchor;
};

struct builder {
    const struct sl_ysource *src;
    struct sl_diag *d;
    struct frame stack[MAX_DEPTH];
    int depth;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    size_t nodes;
    struct sl_ynode *root;
};

static int builder_error(struct builder *b, int line, int col, int code, const char *msg)
{
    return sl_diag_set(b->d, code, b->src->name, line, col, "%s", msg);
}

static int remember_anchor(struct builder *b, const char *name, struct sl_ynode *node, int complete)
{
    if (b->nanchors == b->capanchors) {
        size_t cap = b->capanchors ? b->capanchors * 2 : 8;
        struct anchor *a = sl_reallocarray(b->anchors, cap, sizeof *a);
        if (!a)
            return SL_ENOMEM;
        b->anchors = a;
        b->capanchors = cap;
    }
    char *copy = sl_strdup(name);
    if (!copy)
        return SL_ENOMEM;
    b->anchors[b->nanchors].name = copy;
    b->anchors[b->nanchors].node = node;
    b->anchors[b->nanchors].complete = complete;
    b->nanchors++;
    return SL_OK;
}

static void mark_anchor_complete(struct builder *b, const struct sl_ynode *node)
{
    for (size_t i = b->nanchors; i-- > 0;)
        if (b->anchors[i].node == node)
            b->anchors[i].complete = 1;
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
    if (!f->pending_key) {
        if (node->type != SL_Y_SCALAR) {
            int line = node->line, col = node->col;
            sl_ynode_free(node);
            return builder_error(b, line, col, SL_EINVAL,
                                 "a mapping key must be a plain word such as 'servers', "
                                 "not a list or mapping");
        }
        for (size_t i = 0; i < parent->n; i++) {
            if (strcmp(parent->pairs[i].key->text, node->text) == 0) {
                char msg[512];
                snprintf(msg, sizeof msg, "duplicate key '%.200s' (first given at line %d)",
                         node->text, parent->pairs[i].key->line);
                int line = node->line, col = node->col;
                sl_ynode_free(node);
                return builder_error(b, line, col, SL_EINVAL, msg);
            }
        }
        f->pending_key = node;
        return SL_OK;
    }
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
        if (++b->nodes > MAX_NODES)
            return builder_error(b, line, col, SL_EINVAL, "document too large (node limit)");
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
        if (anchor && remember_anchor(b, (const char *)anchor, n, t == SL_Y_SCALAR) != SL_OK) {
            sl_ynode_free(n);
            return SL_ENOMEM;
        }
        if (t == SL_Y_SCALAR)
            return attach(b, n);
        if (b->depth == MAX_DEPTH) {
            sl_ynode_free(n);
            return builder_error(b, line, col, SL_EINVAL, "nesting too deep");
        }
        b->stack[b->depth].node = n;
        b->stack[b->depth].pending_key = NULL;
        b->depth++;
        return SL_OK;
    }
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: {
        struct frame *f = &b->stack[--b->depth];
        sl_ynode_free(f->pending_key); /* cannot happen with a valid stream */
        mark_anchor_complete(b, f->node);
        return attach(b, f->node);
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = b->nanchors; i-- > 0;) {
            if (strcmp(b->anchors[i].name, name) != 0)
                continue;
            if (!b->anchors[i].complete)
                return builder_error(b, line, col, SL_EINVAL,
                                     "alias refers to a collection that contains it");
            b->nodes += count_nodes(b->anchors[i].node);
            if (b->nodes > MAX_NODES)
                return builder_error(b, line, col, SL_EINVAL,
                                     "aliases expand to too many nodes (node limit)");
            struct sl_ynode *c = sl_ynode_copy(b->anchors[i].node);
            if (!c)
                return SL_ENOMEM;
            return attach(b, c);
        }
        char msg[300];
        snprintf(msg, sizeof msg, "unknown alias '*%.200s'", name);
        return builder_error(b, line, col, SL_EINVAL, msg);
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
        sl_ynode_free(f->pending_key);
        sl_ynode_free(f->node);
    }
    for (size_t i = 0; i < b->nanchors; i++)
        sl_free(b->anchors[i].name);
    sl_free(b->anchors);
}

int sl_ytree_parse(struct sl_ysources *srcs, const char *name, const char *text, size_t len,
                   struct sl_ynode **out, struct sl_diag *d)
{
    *out = NULL;
    const struct sl_ysource *src = sl_ysources_add(srcs, name);
    if (!src)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct builder b;
    memset(&b, 0, sizeof b);
    b.src = src;
    b.d = d;
    int rc = SL_OK;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = &parser.problem_mark;
            char msg[512];
            if (parser.error == YAML_MEMORY_ERROR) {
                rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
            if (parser.context)
                snprintf(msg, sizeof msg, "YAML syntax error: %s (%s that starts at line %d)",
                         parser.problem ? parser.problem : "error", parser.context,
                         (int)parser.context_mark.line + 1);
            else
                snprintf(msg, sizeof msg, "YAML syntax error: %s",
                         parser.problem ? parser.problem : "error");
            rc = sl_diag_set(d, SL_EINVAL, name, (int)m->line + 1, (int)m->column + 1, "%s", msg);
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
    if ((unsigned long long)st.st_size > MAX_FILE_BYTES)
        return sl_diag_set(d, SL_EINVAL, path, 0, 0, "file too large for a scenario (%lld bytes)",
                           (long long)st.st_size);
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
