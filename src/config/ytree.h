/*
 * A YAML document as a tree of nodes that remember where they came from.
 *
 * libyaml's event parser gives positions but no tree; the scenario loader
 * needs both, because every error must name file:line:column and overrides
 * (--set, variants) must be merged into the document before it is mapped
 * onto C structs.  So the loader first builds this tree: scalars, mappings
 * (ordered key/value pairs, duplicate keys rejected) and sequences.  Aliases
 * and YAML 1.1 merge keys (`<<`) are expanded into copies, charged in nodes
 * and bytes against the limits of suanli/limits.h ("billion laughs").
 *
 * Invariant: no node of a tree is more than SL_LIMIT(SL_LIM_DEPTH)
 * collections deep.  Every way into a tree keeps it (the parser, aliases,
 * merges, sl_ytree_set with its dotted path), so the recursive free, copy
 * and schema mapping are bounded.
 *
 * Every node records its origin: a file name (shared, owned by the tree's
 * struct sl_ysource) and 1-based line and column.  Nodes created from a
 * command-line override carry the override text as their "file" and line 0.
 *
 * Ownership: a tree is a plain heap structure; sl_ynode_free frees a node and
 * everything below it.  Origins are reference-free: they point at sources that
 * the caller keeps alive (struct sl_ysource) for as long as the tree lives.
 */
#ifndef SUANLI_CONFIG_YTREE_H
#define SUANLI_CONFIG_YTREE_H

#include <stddef.h>

#include "suanli/diag.h"

enum sl_ytype { SL_Y_SCALAR, SL_Y_MAP, SL_Y_SEQ };

/* Where a node came from; outlives the nodes that point at it. */
struct sl_ysource {
    char *name; /* file path, or "--set 'a.b=1'", or "built-in default" */
    struct sl_ysource *next;
};

struct sl_ynode;
struct sl_yindex;

struct sl_ypair {
    struct sl_ynode *key; /* always a scalar */
    struct sl_ynode *value;
};

struct sl_ynode {
    enum sl_ytype type;
    const struct sl_ysource *src;
    int line, col;
    /* scalar */
    char *text;
    int plain; /* unquoted scalar: may be null/~ */
    /* map: pairs; seq: items */
    size_t n, cap;
    struct sl_ypair *pairs;
    struct sl_ynode **items;
    struct sl_yindex *index; /* map: private lookup index, or NULL */
};

/* A list of sources to keep the origin names alive. */
struct sl_ysources {
    struct sl_ysource *head;
};

void sl_ysources_release(struct sl_ysources *s);
/* Adds a source name; returns it, or NULL on ENOMEM. */
const struct sl_ysource *sl_ysources_add(struct sl_ysources *s, const char *name);

/* Parses YAML text of len bytes (one document; an empty document gives an
 * empty mapping) into *out.  name is used in diagnostics.  Returns SL_OK,
 * SL_EINVAL (syntax, duplicate key, multiple documents, non-scalar key...),
 * or SL_ENOMEM. */
int sl_ytree_parse(struct sl_ysources *srcs, const char *name, const char *text, size_t len,
                   struct sl_ynode **out, struct sl_diag *d);

/* Reads a file and parses it.  Missing files, directories and unreadable
 * files give SL_ENOENT or SL_EIO with a clear message. */
int sl_ytree_load_file(struct sl_ysources *srcs, const char *path, struct sl_ynode **out,
                       struct sl_diag *d);

void sl_ynode_free(struct sl_ynode *n);
/* Deep copy, or NULL on ENOMEM. */
struct sl_ynode *sl_ynode_copy(const struct sl_ynode *n);

/* Returns the value of key in a map node, or NULL. */
struct sl_ynode *sl_ymap_get(const struct sl_ynode *map, const char *key);
/* Removes key from a map and returns its value (caller frees), or NULL. */
struct sl_ynode *sl_ymap_take(struct sl_ynode *map, const char *key);

/* Follows a dotted path ("fleet.server", "catalog.servers.0.name"); numeric
 * segments index sequences.  Returns NULL when absent. */
const struct sl_ynode *sl_ytree_lookup(const struct sl_ynode *root, const char *path);

/* Sets the node at a dotted path to value (taking ownership), creating
 * missing mappings on the way.  A path through a scalar, a numeric index
 * past the end of a sequence, a path whose keys and value together nest
 * deeper than the depth limit, or a new key in a full mapping is an error
 * reported at origin (src, line, col), and nothing is changed by a path too
 * deep.  Returns SL_OK, SL_EINVAL or SL_ENOMEM; on error value is freed.
 * O(keys of the path) for mappings of any size (they get a lookup index). */
int sl_ytree_set(struct sl_ynode *root, const char *path, struct sl_ynode *value,
                 const struct sl_ysource *src, int line, int col, struct sl_diag *d);

/* Reports an error at a node's origin; returns code. */
int sl_ynode_error(const struct sl_ynode *n, struct sl_diag *d, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A short description of a node's type for messages: "a mapping", "a list",
 * "the text 'abc'". */
const char *sl_ynode_describe(const struct sl_ynode *n, char *buf, size_t size);

/* Nonzero if the node is a plain null scalar ("", "~", "null"). */
int sl_ynode_is_null(const struct sl_ynode *n);

#endif
