/*
 * The `plan:` section of a scenario file: the search space of `suanli plan`
 * (issue #10), kept with the scenario it searches.
 *
 *   plan:
 *     vary:                      # dotted key -> non-empty list of values
 *       facility.power_chain: [ac-2n-ups, hvdc-240]
 *       fleet.servers: [1280, 1440]
 *     set: {run.duration: 7d}    # dotted key -> value, applied first
 *     by: site.name              # best design per value of a varied key
 *     slo: 0.99                  # least SLO attainment of a design at SLO
 *
 * `suanli run` takes the section out of the tree and ignores it.  For
 * `suanli plan` the loader applies it to each variant's tree after the
 * variant's `set:` and before the command line: first every `plan.set`
 * entry, then, for each `plan.vary` key, the value the caller picked
 * (struct sl_load_opts, plan_pick).  The nodes applied are copies of the
 * file's, so a value that does not load is reported at its own line and
 * column, and an unknown varied key at the key's.  Values may be any YAML
 * node (scalars, lists, mappings); their text for tables and the database
 * is the node in flow style (a scalar as its text, quoted only when
 * the text needs it).
 *
 * The section's own shape (known keys, a mapping of non-empty lists
 * without repeated values, `by` a text, `slo` a number in [0, 1]) is
 * checked by sl__plan_check, from sl_scenario_plan_read and before every
 * application, at the position of the part at fault.
 */
#define _POSIX_C_SOURCE 200809L

#include "config/scenario_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suanli/alloc.h"
#include "suanli/suggest.h"

static const char *const plan_keys[] = {"vary", "set", "by", "slo"};
#define NPLAN_KEYS (sizeof plan_keys / sizeof plan_keys[0])

/* Writes node n in YAML flow style: a scalar as its text (quoted when it
 * would not read back as the same plain scalar in a flow list), a list as
 * [a, b], a mapping as {k: v}. */
static void flow(const struct sl_ynode *n, FILE *f)
{
    if (n->type == SL_Y_SCALAR) {
        /* Quoted or not, a scalar reads as its text where the text needs
         * no quotes: a table shows `chengde`, not `"chengde"`. */
        if (n->text[0] && !strpbrk(n->text, ",[]{}:#\"'") && n->text[0] != ' ' &&
            n->text[strlen(n->text) - 1] != ' ') {
            fputs(n->text, f);
            return;
        }
        fputc('"', f);
        for (const char *c = n->text; *c; c++) {
            if (*c == '"' || *c == '\\')
                fputc('\\', f);
            fputc(*c, f);
        }
        fputc('"', f);
    } else if (n->type == SL_Y_SEQ) {
        fputc('[', f);
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                fputs(", ", f);
            flow(n->items[i], f);
        }
        fputc(']', f);
    } else {
        fputc('{', f);
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                fputs(", ", f);
            flow(n->pairs[i].key, f);
            fputs(": ", f);
            flow(n->pairs[i].value, f);
        }
        fputc('}', f);
    }
}

/* The flow text of n, allocated with sl_malloc; NULL when out of memory. */
static char *flow_text(const struct sl_ynode *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    flow(n, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    char *out = sl_strndup(buf, len);
    free(buf);
    return out;
}

/* Checks that a dotted key of vary or set is a plausible path. */
static int check_path(const struct sl_ynode *k, const char *what, struct sl_diag *d)
{
    const char *t = k->text;
    if (!*t || t[0] == '.' || t[strlen(t) - 1] == '.' || strstr(t, ".."))
        return sl_ynode_error(k, d, SL_EINVAL,
                              "'plan.%s' key '%s' is not a dotted key such as fleet.servers", what,
                              t);
    if (strcmp(t, "variants") == 0 || strncmp(t, "variants.", 9) == 0 || strcmp(t, "plan") == 0 ||
        strncmp(t, "plan.", 5) == 0)
        return sl_ynode_error(k, d, SL_EINVAL, "'plan.%s' cannot name '%s'", what, t);
    return SL_OK;
}

int sl__plan_check(const struct sl_ynode *plan, struct sl_diag *d)
{
    char desc[128];
    if (plan->type != SL_Y_MAP)
        return sl_ynode_error(plan, d, SL_EINVAL,
                              "'plan' expects a mapping with vary, set, by and slo, got %s",
                              sl_ynode_describe(plan, desc, sizeof desc));
    for (size_t i = 0; i < plan->n; i++) {
        const struct sl_ynode *k = plan->pairs[i].key;
        size_t j = 0;
        while (j < NPLAN_KEYS && strcmp(k->text, plan_keys[j]) != 0)
            j++;
        if (j < NPLAN_KEYS)
            continue;
        const char *near = sl_suggest_nearest(k->text, plan_keys, NPLAN_KEYS,
                                              sl_suggest_threshold(k->text), SL_SUGGEST_NOCASE);
        if (near)
            return sl_ynode_error(k, d, SL_EINVAL, "unknown key 'plan.%s' (did you mean '%s'?)",
                                  k->text, near);
        return sl_ynode_error(k, d, SL_EINVAL,
                              "unknown key 'plan.%s'; the plan's keys are vary, set, by and slo",
                              k->text);
    }
    const struct sl_ynode *vary = sl_ymap_get(plan, "vary");
    if (vary && !sl_ynode_is_null(vary)) {
        if (vary->type != SL_Y_MAP)
            return sl_ynode_error(vary, d, SL_EINVAL,
                                  "'plan.vary' expects a mapping of dotted keys to lists of "
                                  "values, got %s",
                                  sl_ynode_describe(vary, desc, sizeof desc));
        for (size_t i = 0; i < vary->n; i++) {
            const struct sl_ynode *k = vary->pairs[i].key, *v = vary->pairs[i].value;
            int rc = check_path(k, "vary", d);
            if (rc != SL_OK)
                return rc;
            if (v->type != SL_Y_SEQ)
                return sl_ynode_error(v, d, SL_EINVAL,
                                      "'plan.vary.%s' expects a list of values, such as [a, b], "
                                      "got %s",
                                      k->text, sl_ynode_describe(v, desc, sizeof desc));
            if (v->n == 0)
                return sl_ynode_error(v, d, SL_EINVAL,
                                      "'plan.vary.%s' is an empty list: give at least one value",
                                      k->text);
            for (size_t a = 0; a < v->n; a++) {
                char *ta = flow_text(v->items[a]);
                if (!ta)
                    return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
                for (size_t b = 0; b < a && rc == SL_OK; b++) {
                    char *tb = flow_text(v->items[b]);
                    if (!tb)
                        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
                    else if (strcmp(ta, tb) == 0)
                        rc = sl_ynode_error(v->items[a], d, SL_EINVAL,
                                            "'plan.vary.%s': value '%s' repeated (first at line "
                                            "%d, column %d)",
                                            k->text, ta, v->items[b]->line, v->items[b]->col);
                    sl_free(tb);
                }
                sl_free(ta);
                if (rc != SL_OK)
                    return rc;
            }
            /* The same key twice in one mapping is the parser's error;
             * a key and a key inside it would vary one value twice. */
            for (size_t j = 0; j < i; j++) {
                const char *a = vary->pairs[j].key->text;
                size_t la = strlen(a), lb = strlen(k->text);
                size_t m = la < lb ? la : lb;
                if (strncmp(a, k->text, m) == 0 && (la == lb || (la < lb ? k->text : a)[m] == '.'))
                    return sl_ynode_error(k, d, SL_EINVAL,
                                          "'plan.vary.%s' varies a key already varied by "
                                          "'plan.vary.%s' (line %d)",
                                          k->text, a, vary->pairs[j].key->line);
            }
        }
    }
    const struct sl_ynode *set = sl_ymap_get(plan, "set");
    if (set && !sl_ynode_is_null(set)) {
        if (set->type != SL_Y_MAP)
            return sl_ynode_error(set, d, SL_EINVAL,
                                  "'plan.set' expects a mapping of dotted keys to values, got %s",
                                  sl_ynode_describe(set, desc, sizeof desc));
        for (size_t i = 0; i < set->n; i++) {
            const struct sl_ynode *k = set->pairs[i].key;
            int rc = check_path(k, "set", d);
            if (rc != SL_OK)
                return rc;
            if (vary && vary->type == SL_Y_MAP && sl_ymap_get(vary, k->text))
                return sl_ynode_error(k, d, SL_EINVAL,
                                      "'plan.set.%s' sets a key that 'plan.vary' varies (line "
                                      "%d); give it in one of them",
                                      k->text, sl_ymap_get(vary, k->text)->line);
        }
    }
    const struct sl_ynode *by = sl_ymap_get(plan, "by");
    if (by && (by->type != SL_Y_SCALAR || sl_ynode_is_null(by)))
        return sl_ynode_error(by, d, SL_EINVAL, "'plan.by' expects a varied key, got %s",
                              sl_ynode_describe(by, desc, sizeof desc));
    const struct sl_ynode *slo = sl_ymap_get(plan, "slo");
    if (slo) {
        char *end = NULL;
        double x = slo->type == SL_Y_SCALAR ? strtod(slo->text, &end) : NAN;
        if (slo->type != SL_Y_SCALAR || end == slo->text || *end || !(x >= 0.0 && x <= 1.0))
            return sl_ynode_error(slo, d, SL_EINVAL,
                                  "'plan.slo' expects the least SLO attainment, a number from 0 "
                                  "to 1, got %s",
                                  sl_ynode_describe(slo, desc, sizeof desc));
    }
    return SL_OK;
}

int sl__plan_apply(struct sl_ynode *root, const struct sl_ynode *plan, const size_t *pick,
                   size_t npick, struct sl_diag *d)
{
    int rc = sl__plan_check(plan, d);
    if (rc != SL_OK)
        return rc;
    const struct sl_ynode *set = sl_ymap_get(plan, "set");
    for (size_t i = 0; set && set->type == SL_Y_MAP && i < set->n; i++) {
        const struct sl_ynode *k = set->pairs[i].key;
        struct sl_ynode *v = sl_ynode_copy(set->pairs[i].value);
        if (!v)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        if ((rc = sl_ytree_set(root, k->text, v, k->src, k->line, k->col, d)) != SL_OK)
            return rc;
    }
    const struct sl_ynode *vary = sl_ymap_get(plan, "vary");
    for (size_t i = 0; vary && vary->type == SL_Y_MAP && i < vary->n && i < npick; i++) {
        const struct sl_ynode *k = vary->pairs[i].key, *vals = vary->pairs[i].value;
        if (pick[i] == SIZE_MAX)
            continue;
        if (pick[i] >= vals->n)
            return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                               "plan.vary.%s has %zu values; value %zu asked for", k->text, vals->n,
                               pick[i] + 1);
        struct sl_ynode *v = sl_ynode_copy(vals->items[pick[i]]);
        if (!v)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        if ((rc = sl_ytree_set(root, k->text, v, k->src, k->line, k->col, d)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

void sl_plan_cfg_release(struct sl_plan_cfg *p)
{
    for (size_t i = 0; i < p->nvary; i++) {
        struct sl_plan_vary *v = &p->vary[i];
        sl_free(v->key);
        for (size_t j = 0; j < v->n; j++)
            sl_free(v->values[j]);
        sl_free(v->values);
        sl_free(v->line);
        sl_free(v->col);
    }
    sl_free(p->vary);
    sl_free(p->by);
    sl_free(p->file);
    memset(p, 0, sizeof *p);
}

static int read_section(const struct sl_ynode *plan, struct sl_plan_cfg *out, struct sl_diag *d)
{
    int rc = sl__plan_check(plan, d);
    if (rc != SL_OK)
        return rc;
    out->present = 1;
    out->line = plan->line;
    out->col = plan->col;
    if (!(out->file = sl_strdup(plan->src->name)))
        goto oom;
    const struct sl_ynode *vary = sl_ymap_get(plan, "vary");
    if (vary && vary->type == SL_Y_MAP && vary->n) {
        if (!(out->vary = sl_calloc(vary->n, sizeof *out->vary)))
            goto oom;
        for (size_t i = 0; i < vary->n; i++) {
            const struct sl_ynode *k = vary->pairs[i].key, *vals = vary->pairs[i].value;
            struct sl_plan_vary *v = &out->vary[i];
            out->nvary = i + 1; /* counted first, so a release frees a partial entry */
            v->key_line = k->line;
            v->key_col = k->col;
            if (!(v->key = sl_strdup(k->text)))
                goto oom;
            v->values = sl_calloc(vals->n, sizeof *v->values);
            v->line = sl_calloc(vals->n, sizeof *v->line);
            v->col = sl_calloc(vals->n, sizeof *v->col);
            if (!v->values || !v->line || !v->col)
                goto oom;
            for (size_t j = 0; j < vals->n; j++, v->n++) {
                if (!(v->values[j] = flow_text(vals->items[j])))
                    goto oom;
                v->line[j] = vals->items[j]->line;
                v->col[j] = vals->items[j]->col;
            }
        }
    }
    const struct sl_ynode *set = sl_ymap_get(plan, "set");
    out->nset = set && set->type == SL_Y_MAP ? set->n : 0;
    const struct sl_ynode *by = sl_ymap_get(plan, "by");
    if (by) {
        if (!(out->by = sl_strdup(by->text)))
            goto oom;
        out->by_line = by->line;
        out->by_col = by->col;
    }
    const struct sl_ynode *slo = sl_ymap_get(plan, "slo");
    if (slo) {
        out->has_slo = 1;
        out->slo = strtod(slo->text, NULL);
    }
    return SL_OK;
oom:
    return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
}

int sl_scenario_plan_read(const char *path, struct sl_plan_cfg *out, struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return SL_OK; /* the built-in default has no plan */
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL;
    int rc = sl_ytree_load_file(&srcs, path, &root, d);
    if (rc == SL_OK && root && root->type == SL_Y_MAP) {
        const struct sl_ynode *plan = sl_ymap_get(root, "plan");
        if (plan && !sl_ynode_is_null(plan))
            rc = read_section(plan, out, d);
        /* The section's position is its key's, `plan:` itself. */
        for (size_t i = 0; rc == SL_OK && out->present && i < root->n; i++)
            if (strcmp(root->pairs[i].key->text, "plan") == 0) {
                out->line = root->pairs[i].key->line;
                out->col = root->pairs[i].key->col;
            }
    }
    /* Any other fault of the file is the loader's to report. */
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    if (rc != SL_OK)
        sl_plan_cfg_release(out);
    return rc;
}
