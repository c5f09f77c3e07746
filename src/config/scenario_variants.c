/*
 * Overrides and variants: changes merged into the YAML tree before it is
 * mapped onto a struct.
 *
 * A command-line override (`--set a.b.c=value`, `--seed N`) is parsed once
 * into a dotted path and a small tree, and applied to every variant's copy
 * of the document.  A variant's `set:` is a mapping of dotted paths to
 * values, applied the same way.  Because both work on the tree, an
 * overridden value is validated exactly like a file value, and a misspelt
 * override key is reported like a misspelt file key, at the override's own
 * origin.  Override values carry their origin (the `--set '...'` text) as
 * their source with line 0, so diagnostics name the option rather than a
 * position inside a one-line string.
 *
 * Order: the variant's `set:` first, then the command line, so the command
 * line wins.  `variants` itself can be set by neither.
 */
#include "config/scenario_int.h"

#include <stdio.h>
#include <string.h>

#include "suanli/alloc.h"

/* Override values get line 0: their position inside the option text says
 * nothing a user needs, and line 0 makes diagnostics name the option. */
static void clear_marks(struct sl_ynode *n)
{
    n->line = 0;
    n->col = 0;
    if (n->type == SL_Y_MAP)
        for (size_t i = 0; i < n->n; i++) {
            clear_marks(n->pairs[i].key);
            clear_marks(n->pairs[i].value);
        }
    else if (n->type == SL_Y_SEQ)
        for (size_t i = 0; i < n->n; i++)
            clear_marks(n->items[i]);
}

int sl__override_parse(struct sl_ysources *srcs, const char *origin, const char *arg,
                       struct sl__override *o, struct sl_diag *d)
{
    memset(o, 0, sizeof *o);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "%s: expected KEY=VALUE with a dotted key, such as "
                           "--set fleet.servers=640",
                           origin);
    if (eq[1] == '\0')
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "%s: missing value after '='", origin);
    o->path = sl_strndup(arg, (size_t)(eq - arg));
    if (!o->path)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (strcmp(o->path, "variants") == 0 || strncmp(o->path, "variants.", 9) == 0)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "%s: variants cannot be overridden; use --variant NAME to run one",
                           origin);
    const char *value = eq + 1;
    int rc = sl_ytree_parse(srcs, origin, value, strlen(value), &o->value, d);
    if (rc != SL_OK)
        return rc;
    if (!o->value)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "%s: missing value after '='", origin);
    clear_marks(o->value);
    o->src = o->value->src;
    return SL_OK;
}

void sl__override_release(struct sl__override *o)
{
    sl_free(o->path);
    sl_ynode_free(o->value);
    memset(o, 0, sizeof *o);
}

int sl__override_apply(struct sl_ynode *root, const struct sl__override *o, struct sl_diag *d)
{
    struct sl_ynode *v = sl_ynode_copy(o->value);
    if (!v)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return sl_ytree_set(root, o->path, v, o->src, 0, 0, d);
}

int sl__variant_apply(struct sl_ynode *root, const struct sl_ynode *set, const char *vname,
                      struct sl_diag *d)
{
    if (!set || sl_ynode_is_null(set))
        return SL_OK;
    if (set->type != SL_Y_MAP) {
        char desc[128];
        return sl_ynode_error(set, d, SL_EINVAL,
                              "'set' of variant '%s' expects a mapping of key paths to values, "
                              "got %s",
                              vname, sl_ynode_describe(set, desc, sizeof desc));
    }
    for (size_t i = 0; i < set->n; i++) {
        const struct sl_ynode *k = set->pairs[i].key;
        if (strcmp(k->text, "variants") == 0 || strncmp(k->text, "variants.", 9) == 0)
            return sl_ynode_error(k, d, SL_EINVAL, "a variant cannot set 'variants'");
        struct sl_ynode *v = sl_ynode_copy(set->pairs[i].value);
        if (!v)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        int rc = sl_ytree_set(root, k->text, v, k->src, k->line, k->col, d);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

int sl__variants_check(const struct sl_ynode *vars, struct sl_diag *d)
{
    char desc[128];
    if (vars->type != SL_Y_SEQ || vars->n == 0)
        return sl_ynode_error(vars, d, SL_EINVAL,
                              "'variants' expects a non-empty list of {name, description, set} "
                              "entries, got %s",
                              sl_ynode_describe(vars, desc, sizeof desc));
    for (size_t i = 0; i < vars->n; i++) {
        struct sl__variant_cfg v;
        memset(&v, 0, sizeof v);
        char path[32];
        snprintf(path, sizeof path, "variants.%zu", i);
        int rc = sl_schema_map(&sl__variant_schema, &v, vars->items[i], path, d);
        if (rc == SL_OK) {
            for (size_t j = 0; j < i; j++) {
                const struct sl_ynode *other = sl_ymap_get(vars->items[j], "name");
                if (strcmp(other->text, v.name) == 0) {
                    rc = sl_ynode_error(sl_ymap_get(vars->items[i], "name"), d, SL_EINVAL,
                                        "duplicate variant name '%s' (first at line %d)", v.name,
                                        other->line);
                    break;
                }
            }
        }
        sl_schema_release(&sl__variant_schema, &v);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}
