/*
 * Schema-driven mapping of YAML trees onto structs (see schema.h).
 *
 * Mapping walks the schema, not the document: for each field it takes the
 * node under the field's key, or parses the field's default text when the key
 * is absent, so a default and a user value are treated identically.  Before
 * that, every key in the document is checked against the schema, so a typo
 * is reported (with the nearest known key) rather than silently ignored.
 */
#include "config/schema.h"

#include "suanli/alloc.h"
#include "suanli/outfile.h"
#include "suanli/suggest.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_PTR(obj, f)  ((void *)((char *)(obj) + (f)->offset))
#define FIELD_CPTR(obj, f) ((const void *)((const char *)(obj) + (f)->offset))

static const struct sl_field *find_field(const struct sl_schema *s, const char *key)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].key, key) == 0)
            return &s->fields[i];
    return NULL;
}

/* Nearest name among candidates ("did you mean"), or NULL if none is
 * close: within the usual threshold, or sharing a prefix. */
static const char *nearest(const char *word, const char *const *cands, size_t n)
{
    return sl_suggest_nearest(word, cands, n, sl_suggest_threshold(word), SL_SUGGEST_PREFIX);
}

static void join_path(char *buf, size_t size, const char *path, const char *key)
{
    if (path && path[0])
        snprintf(buf, size, "%s.%s", path, key);
    else
        snprintf(buf, size, "%s", key);
}

static int unknown_key(const struct sl_schema *s, const struct sl_ynode *key, const char *path,
                       struct sl_diag *d)
{
    const char *cands[128];
    size_t n = 0;
    char list[1024];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < s->nfields && n < 128; i++) {
        cands[n++] = s->fields[i].key;
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", s->fields[i].key);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    const char *near = nearest(key->text, cands, n);
    const char *where = path && path[0] ? path : "the top level";
    if (near)
        return sl_ynode_error(key, d, SL_EINVAL, "unknown key '%s' in %s (did you mean '%s'?)",
                              key->text, where, near);
    return sl_ynode_error(key, d, SL_EINVAL, "unknown key '%s' in %s; expected one of: %s",
                          key->text, where, list);
}

static void describe_limit(const struct sl_field *f, double v, char *buf, size_t size)
{
    if (f->type == SL_FT_REAL)
        sl_unit_format(v, f->unit, buf, size);
    else if (f->type == SL_FT_TIME)
        sl_unit_format_time_us((int64_t)llround(v * 1e6), buf, size);
    else
        snprintf(buf, size, "%.17g", v);
}

static int check_range(const struct sl_field *f, double v, const struct sl_ynode *n,
                       const char *fpath, struct sl_diag *d)
{
    char lim[64], got[64];
    describe_limit(f, v, got, sizeof got);
    if (f->min > SL_NO_MIN) {
        int bad = (f->flags & SL_FF_MIN_EXCL) ? !(v > f->min) : !(v >= f->min);
        if (bad) {
            describe_limit(f, f->min, lim, sizeof lim);
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' must be %s %s, got %s", fpath,
                                  (f->flags & SL_FF_MIN_EXCL) ? "greater than" : "at least", lim,
                                  got);
        }
    }
    if (f->max < SL_NO_MAX) {
        int bad = (f->flags & SL_FF_MAX_EXCL) ? !(v < f->max) : !(v <= f->max);
        if (bad) {
            describe_limit(f, f->max, lim, sizeof lim);
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' must be %s %s, got %s", fpath,
                                  (f->flags & SL_FF_MAX_EXCL) ? "less than" : "at most", lim, got);
        }
    }
    return SL_OK;
}

/* An integer's range, compared as integers: a double comparison would let
 * 2^53 + 1 pass a bound of 2^53.  Bounds in the tables are whole numbers. */
static int check_int_range(const struct sl_field *f, long long v, const struct sl_ynode *n,
                           const char *fpath, struct sl_diag *d)
{
    if (f->min > SL_NO_MIN && f->min > -9.2e18) {
        long long lo = (long long)f->min + ((f->flags & SL_FF_MIN_EXCL) ? 1 : 0);
        if (v < lo)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' must be at least %lld, got %s", fpath, lo,
                                  n->text);
    }
    if (f->max < SL_NO_MAX && f->max < 9.2e18) {
        long long hi = (long long)f->max - ((f->flags & SL_FF_MAX_EXCL) ? 1 : 0);
        if (v > hi)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' must be at most %lld, got %s", fpath, hi,
                                  n->text);
    }
    return SL_OK;
}

/* A time's range, compared in whole microseconds (bounds in the tables are
 * seconds with at most 6 decimals, so llround is exact). */
static int check_time_range(const struct sl_field *f, int64_t us, const struct sl_ynode *n,
                            const char *fpath, struct sl_diag *d)
{
    char lim[64], got[64];
    sl_unit_format_time_us(us, got, sizeof got);
    if (f->min > SL_NO_MIN) {
        int64_t lo = (int64_t)llround(f->min * 1e6);
        int bad = (f->flags & SL_FF_MIN_EXCL) ? !(us > lo) : !(us >= lo);
        if (bad)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' must be %s %s, got %s", fpath,
                                  (f->flags & SL_FF_MIN_EXCL) ? "greater than" : "at least",
                                  sl_unit_format_time_us(lo, lim, sizeof lim), got);
    }
    if (f->max < SL_NO_MAX) {
        int64_t hi = (int64_t)llround(f->max * 1e6);
        int bad = (f->flags & SL_FF_MAX_EXCL) ? !(us < hi) : !(us <= hi);
        if (bad)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' must be %s %s, got %s", fpath,
                                  (f->flags & SL_FF_MAX_EXCL) ? "less than" : "at most",
                                  sl_unit_format_time_us(hi, lim, sizeof lim), got);
    }
    return SL_OK;
}

static int expect_scalar(const struct sl_ynode *n, const char *fpath, const char *what,
                         struct sl_diag *d)
{
    if (n->type == SL_Y_SCALAR && !sl_ynode_is_null(n))
        return SL_OK;
    char desc[128];
    return sl_ynode_error(n, d, SL_EINVAL, "'%s' expects %s, got %s", fpath, what,
                          sl_ynode_describe(n, desc, sizeof desc));
}

/* Names become folder and file names (a scenario's out/<name>/, a
 * variant's <out>/<variant>/), so besides the character set a name must
 * not start with '.' (no ".", "..", nor the hidden work files of a run,
 * src/sim/outdir.c), must not be the name of an output file beside which
 * it is written (comparison.csv...), and must fit a file name (255 bytes).
 * Returns NULL when s is a valid name, else why it is not. */
static const char *name_problem(const char *s)
{
    if (!*s)
        return "must not be empty";
    if (s[0] == '.')
        return "must not start with '.'";
    if (sl_output_name(s))
        return "must not be the name of an output file";
    if (strlen(s) > 255)
        return "must be at most 255 characters long";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return "must be a name of letters, digits, '-', '_' or '.'";
    }
    return NULL;
}

static int map_value(const struct sl_field *f, void *obj, const struct sl_ynode *n,
                     const char *fpath, struct sl_diag *d);

static int map_list(const struct sl_field *f, void *obj, const struct sl_ynode *n,
                    const char *fpath, struct sl_diag *d)
{
    struct sl_list *list = FIELD_PTR(obj, f);
    if (n->type != SL_Y_SEQ) {
        if (sl_ynode_is_null(n))
            return SL_OK;
        /* An override such as --set catalog.servers.0.psu_rating=3.6kW on a
         * scenario without that list builds a mapping keyed "0". */
        if (n->type == SL_Y_MAP && n->n > 0 &&
            strspn(n->pairs[0].key->text, "0123456789") == strlen(n->pairs[0].key->text))
            return sl_ynode_error(
                n->pairs[0].key, d, SL_EINVAL,
                "'%s' has no entry %s: the scenario defines no %s of its own, and an override "
                "can change an entry but not create one; add the list to the scenario file "
                "first (`%s:` with one entry and its required keys, see docs/scenario.md), or "
                "give the whole list, e.g. --set '%s=[{...}]'",
                fpath, n->pairs[0].key->text, f->sub->name, fpath, fpath);
        char desc[128];
        return sl_ynode_error(n, d, SL_EINVAL, "'%s' expects a list of %s, got %s", fpath,
                              f->sub->name, sl_ynode_describe(n, desc, sizeof desc));
    }
    if (n->n == 0)
        return SL_OK;
    char *items = sl_calloc(n->n, f->sub->size);
    if (!items)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    list->items = list->owned = items;
    for (size_t i = 0; i < n->n; i++) {
        char ipath[512];
        snprintf(ipath, sizeof ipath, "%s.%zu", fpath, i);
        list->n = i + 1; /* so release frees partial elements */
        int rc = sl_schema_map(f->sub, items + i * f->sub->size, n->items[i], ipath, d);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static int map_value(const struct sl_field *f, void *obj, const struct sl_ynode *n,
                     const char *fpath, struct sl_diag *d)
{
    char err[512];
    switch (f->type) {
    case SL_FT_INT: {
        if (expect_scalar(n, fpath, "an integer such as 8", d) != SL_OK)
            return SL_EINVAL;
        long long v;
        if (sl_unit_parse_int(n->text, &v, err, sizeof err) != SL_OK)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s': %s", fpath, err);
        if (check_int_range(f, v, n, fpath, d) != SL_OK)
            return SL_EINVAL;
        *(int64_t *)FIELD_PTR(obj, f) = (int64_t)v;
        return SL_OK;
    }
    case SL_FT_TIME: {
        char what[128];
        snprintf(what, sizeof what, "a time such as '%s'%s", sl_unit_example(SL_UNIT_TIME),
                 (f->flags & SL_FF_AUTO) ? " or auto" : "");
        if (expect_scalar(n, fpath, what, d) != SL_OK)
            return SL_EINVAL;
        if ((f->flags & SL_FF_AUTO) && strcmp(n->text, "auto") == 0) {
            *(int64_t *)FIELD_PTR(obj, f) = SL_TIME_AUTO;
            return SL_OK;
        }
        int64_t us;
        if (sl_unit_parse_time_us(n->text, &us, err, sizeof err) != SL_OK)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s'%s: %s", fpath,
                                  (f->flags & SL_FF_AUTO) ? " is `auto` or a time" : "", err);
        if (check_time_range(f, us, n, fpath, d) != SL_OK)
            return SL_EINVAL;
        *(int64_t *)FIELD_PTR(obj, f) = us;
        return SL_OK;
    }
    case SL_FT_REAL: {
        enum sl_unit_kind kind = f->unit;
        char what[128];
        snprintf(what, sizeof what, "a %s such as '%s'", sl_unit_kind_name(kind),
                 sl_unit_example(kind));
        if (expect_scalar(n, fpath, what, d) != SL_OK)
            return SL_EINVAL;
        double v;
        if (sl_unit_parse(n->text, kind, &v, err, sizeof err) != SL_OK)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s': %s", fpath, err);
        if (check_range(f, v, n, fpath, d) != SL_OK)
            return SL_EINVAL;
        *(double *)FIELD_PTR(obj, f) = v;
        return SL_OK;
    }
    case SL_FT_BOOL: {
        if (expect_scalar(n, fpath, "true or false", d) != SL_OK)
            return SL_EINVAL;
        static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", NULL};
        static const char *const no[] = {"false", "False", "FALSE", "no", "off", NULL};
        for (int i = 0; yes[i]; i++)
            if (strcmp(n->text, yes[i]) == 0) {
                *(int *)FIELD_PTR(obj, f) = 1;
                return SL_OK;
            }
        for (int i = 0; no[i]; i++)
            if (strcmp(n->text, no[i]) == 0) {
                *(int *)FIELD_PTR(obj, f) = 0;
                return SL_OK;
            }
        return sl_ynode_error(n, d, SL_EINVAL, "'%s' expects true or false, got '%s'", fpath,
                              n->text);
    }
    case SL_FT_STRING: {
        if (n->type != SL_Y_SCALAR) {
            char desc[128];
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' expects text, got %s", fpath,
                                  sl_ynode_describe(n, desc, sizeof desc));
        }
        const char *bad = (f->flags & SL_FF_NAME) ? name_problem(n->text) : NULL;
        if (bad)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' %s, got '%.300s'", fpath, bad, n->text);
        char **slot = FIELD_PTR(obj, f);
        char *copy = sl_strdup(n->text);
        if (!copy)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        sl_free(*slot);
        *slot = copy;
        return SL_OK;
    }
    case SL_FT_ENUM: {
        char what[256];
        size_t used = (size_t)snprintf(what, sizeof what, "one of ");
        size_t count = 0;
        for (; f->names[count]; count++)
            used += (size_t)snprintf(what + used, used < sizeof what ? sizeof what - used : 0,
                                     "%s%s", count ? ", " : "", f->names[count]);
        if (expect_scalar(n, fpath, what, d) != SL_OK)
            return SL_EINVAL;
        for (size_t i = 0; i < count; i++)
            if (strcmp(n->text, f->names[i]) == 0) {
                *(int *)FIELD_PTR(obj, f) = (int)i;
                return SL_OK;
            }
        const char *near = nearest(n->text, f->names, count);
        if (near)
            return sl_ynode_error(n, d, SL_EINVAL, "'%s' expects %s, got '%s' (did you mean '%s'?)",
                                  fpath, what, n->text, near);
        return sl_ynode_error(n, d, SL_EINVAL, "'%s' expects %s, got '%s'", fpath, what, n->text);
    }
    case SL_FT_SECTION:
        return sl_schema_map(f->sub, FIELD_PTR(obj, f), sl_ynode_is_null(n) ? NULL : n, fpath, d);
    case SL_FT_LIST:
        return map_list(f, obj, n, fpath, d);
    case SL_FT_RAW:
        return SL_OK;
    }
    return SL_EINVAL;
}

static char default_name[] = "built-in default";
static const struct sl_ysource default_source = {default_name, NULL};

/* Maps a field's default as if the user had written it: a plain scalar
 * node (a node's text is owned, hence the copy of the table's literal), or
 * an empty sequence for a list. */
static int map_default(const struct sl_field *f, void *obj, const char *fpath, struct sl_diag *d)
{
    struct sl_ynode tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.src = &default_source;
    tmp.plain = 1;
    if (f->type == SL_FT_LIST) {
        tmp.type = SL_Y_SEQ;
        return map_value(f, obj, &tmp, fpath, d);
    }
    tmp.type = SL_Y_SCALAR;
    tmp.text = sl_strdup(f->def);
    if (!tmp.text)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = map_value(f, obj, &tmp, fpath, d);
    sl_free(tmp.text);
    return rc;
}

int sl_schema_map(const struct sl_schema *schema, void *obj, const struct sl_ynode *node,
                  const char *path, struct sl_diag *d)
{
    if (node && node->type != SL_Y_MAP) {
        char desc[128];
        return sl_ynode_error(node, d, SL_EINVAL, "'%s' expects a mapping of keys, got %s",
                              path && path[0] ? path : "the scenario",
                              sl_ynode_describe(node, desc, sizeof desc));
    }
    if (node) {
        for (size_t i = 0; i < node->n; i++)
            if (!find_field(schema, node->pairs[i].key->text))
                return unknown_key(schema, node->pairs[i].key, path, d);
    }
    for (size_t i = 0; i < schema->nfields; i++) {
        const struct sl_field *f = &schema->fields[i];
        char fpath[512];
        join_path(fpath, sizeof fpath, path, f->key);
        const struct sl_ynode *v = node ? sl_ymap_get(node, f->key) : NULL;
        if (f->type == SL_FT_RAW)
            continue;
        /* An empty value ("key:" or "key: ~") means "use the default". */
        if (v && sl_ynode_is_null(v))
            v = NULL;
        int rc;
        if (v) {
            rc = map_value(f, obj, v, fpath, d);
        } else if (f->type == SL_FT_SECTION) {
            rc = sl_schema_map(f->sub, FIELD_PTR(obj, f), NULL, fpath, d);
        } else if (f->def) {
            rc = map_default(f, obj, fpath, d);
        } else if (f->flags & SL_FF_REQUIRED) {
            rc = node ? sl_ynode_error(node, d, SL_EINVAL, "missing required key '%s' in '%s'",
                                       f->key, path && path[0] ? path : "the scenario")
                      : sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "missing required key '%s'", fpath);
        } else {
            rc = SL_OK; /* optional, left zero / NULL */
        }
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

void sl_schema_release(const struct sl_schema *schema, void *obj)
{
    for (size_t i = 0; i < schema->nfields; i++) {
        const struct sl_field *f = &schema->fields[i];
        if (f->type == SL_FT_STRING) {
            char **s = FIELD_PTR(obj, f);
            sl_free(*s);
            *s = NULL;
        } else if (f->type == SL_FT_SECTION) {
            sl_schema_release(f->sub, FIELD_PTR(obj, f));
        } else if (f->type == SL_FT_LIST) {
            struct sl_list *l = FIELD_PTR(obj, f);
            char *items = l->owned;
            for (size_t j = 0; items && j < l->n; j++)
                sl_schema_release(f->sub, items + j * f->sub->size);
            sl_free(items);
            l->items = l->owned = NULL;
            l->n = 0;
        }
    }
}

const struct sl_field *sl_schema_find(const struct sl_schema *schema, const char *path)
{
    const struct sl_schema *s = schema;
    const struct sl_field *f = NULL;
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        char seg[128];
        if (len == 0 || len >= sizeof seg || !s)
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        if (f && f->type == SL_FT_LIST && strspn(seg, "0123456789") == len) {
            f = NULL; /* index into the list: stay on the element schema */
        } else {
            f = find_field(s, seg);
            if (!f)
                return NULL;
            s = (f->type == SL_FT_SECTION || f->type == SL_FT_LIST) ? f->sub : NULL;
        }
        p = dot ? dot + 1 : p + len;
    }
    return f;
}

/* ---- emitting YAML ---- */

/* Length of a code point at s that YAML cannot carry raw in a scalar (a C1
 * control such as U+0085, which YAML reads as a line break; U+2028, U+2029;
 * U+FEFF; U+FFFE, U+FFFF), or 0.  Its escape is written to esc. */
static size_t special_utf8(const unsigned char *s, char *esc, size_t size)
{
    if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
        if (s[1] == 0x85)
            snprintf(esc, size, "\\N");
        else
            snprintf(esc, size, "\\x%02x", s[1]);
        return 2;
    }
    if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
        snprintf(esc, size, s[2] == 0xa8 ? "\\L" : "\\P");
        return 3;
    }
    if (s[0] == 0xef && ((s[1] == 0xbb && s[2] == 0xbf) || (s[1] == 0xbf && s[2] >= 0xbe))) {
        snprintf(esc, size, "\\u%s", s[1] == 0xbb ? "FEFF" : s[2] == 0xbe ? "FFFE" : "FFFF");
        return 3;
    }
    return 0;
}

static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]))
        return 1;
    static const char *const reserved[] = {"true", "false", "yes",   "no",   "on",   "off", "null",
                                           "~",    "True",  "False", "Null", "NULL", NULL};
    for (int i = 0; reserved[i]; i++)
        if (strcmp(s, reserved[i]) == 0)
            return 1;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        if (c < 0x20 || c == 0x7f || c == '#' || c == '"' || c == '\\' ||
            special_utf8((const unsigned char *)p, esc, sizeof esc))
            return 1;
        if (c == ':' && (p[1] == ' ' || p[1] == '\0'))
            return 1;
    }
    size_t len = strlen(s);
    if (s[len - 1] == ' ')
        return 1;
    /* Text that looks like a number must stay text. */
    char *end;
    (void)strtod(s, &end);
    if (*end == '\0')
        return 1;
    return 0;
}

static void emit_string(const char *s, FILE *out)
{
    if (!needs_quotes(s)) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        size_t sl = special_utf8((const unsigned char *)p, esc, sizeof esc);
        if (sl) {
            fputs(esc, out);
            p += sl - 1;
        } else if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void emit_fields(const struct sl_schema *schema, const void *obj, FILE *out, int indent,
                        int first_inline);

static void emit_field(const struct sl_field *f, const void *obj, FILE *out, int indent,
                       int inline_key)
{
    char buf[128];
    if (!inline_key)
        fprintf(out, "%*s", indent, "");
    fprintf(out, "%s:", f->key);
    switch (f->type) {
    case SL_FT_INT:
        fprintf(out, " %lld\n", (long long)*(const int64_t *)FIELD_CPTR(obj, f));
        break;
    case SL_FT_REAL: {
        double v = *(const double *)FIELD_CPTR(obj, f);
        /* An optional value left unset (0) stays unset. */
        if ((f->flags & SL_FF_OPTIONAL) && v == 0)
            fputs(" ~\n", out);
        else
            fprintf(out, " %s\n", sl_unit_format(v, f->unit, buf, sizeof buf));
        break;
    }
    case SL_FT_TIME:
        if ((f->flags & SL_FF_AUTO) && *(const int64_t *)FIELD_CPTR(obj, f) == SL_TIME_AUTO)
            fputs(" auto\n", out);
        else
            fprintf(out, " %s\n",
                    sl_unit_format_time_us(*(const int64_t *)FIELD_CPTR(obj, f), buf, sizeof buf));
        break;
    case SL_FT_BOOL:
        fprintf(out, " %s\n", *(const int *)FIELD_CPTR(obj, f) ? "true" : "false");
        break;
    case SL_FT_STRING: {
        const char *s = *(char *const *)FIELD_CPTR(obj, f);
        fputc(' ', out);
        if (s)
            emit_string(s, out);
        else
            fputs("~", out);
        fputc('\n', out);
        break;
    }
    case SL_FT_ENUM:
        fprintf(out, " %s\n", f->names[*(const int *)FIELD_CPTR(obj, f)]);
        break;
    case SL_FT_SECTION:
        fputc('\n', out);
        emit_fields(f->sub, FIELD_CPTR(obj, f), out, indent + 2, 0);
        break;
    case SL_FT_LIST: {
        const struct sl_list *l = FIELD_CPTR(obj, f);
        if (l->n == 0) {
            fputs(" []\n", out);
            break;
        }
        fputc('\n', out);
        for (size_t i = 0; i < l->n; i++) {
            fprintf(out, "%*s- ", indent + 2, "");
            emit_fields(f->sub, (const char *)l->items + i * f->sub->size, out, indent + 4, 1);
        }
        break;
    }
    case SL_FT_RAW:
        fputs(" []\n", out);
        break;
    }
}

static void emit_fields(const struct sl_schema *schema, const void *obj, FILE *out, int indent,
                        int first_inline)
{
    int first = 1;
    for (size_t i = 0; i < schema->nfields; i++) {
        const struct sl_field *f = &schema->fields[i];
        if (f->type == SL_FT_RAW)
            continue;
        emit_field(f, obj, out, indent, first && first_inline);
        first = 0;
    }
}

void sl_schema_emit(const struct sl_schema *schema, const void *obj, FILE *out, int indent)
{
    emit_fields(schema, obj, out, indent, 0);
}

/* ---- documentation ---- */

static void doc_type(const struct sl_field *f, char *buf, size_t size)
{
    char lo[64], hi[64];
    const char *base;
    switch (f->type) {
    case SL_FT_INT:
        base = "integer";
        break;
    case SL_FT_REAL:
        base = f->unit == SL_UNIT_NONE ? "number" : sl_unit_kind_name(f->unit);
        break;
    case SL_FT_TIME:
        base = (f->flags & SL_FF_AUTO) ? "`auto` or time" : "time";
        break;
    case SL_FT_BOOL:
        snprintf(buf, size, "boolean");
        return;
    case SL_FT_STRING:
        snprintf(buf, size, (f->flags & SL_FF_NAME) ? "name" : "text");
        return;
    case SL_FT_ENUM: {
        size_t used = (size_t)snprintf(buf, size, "one of ");
        for (size_t i = 0; f->names[i] && used < size; i++)
            used += (size_t)snprintf(buf + used, size - used, "%s`%s`", i ? ", " : "", f->names[i]);
        return;
    }
    case SL_FT_SECTION:
        snprintf(buf, size, "section");
        return;
    case SL_FT_LIST:
        snprintf(buf, size, "list of %s", f->sub->name);
        return;
    case SL_FT_RAW:
        /* The loader's own sections: `variants` (a list, documented below
         * the tables) and `plan` (a mapping, documented in docs/plan.md). */
        snprintf(buf, size, "%s",
                 strcmp(f->key, "plan") == 0 ? "mapping (docs/plan.md)" : "list (see below)");
        return;
    default:
        base = "?";
    }
    size_t used = (size_t)snprintf(buf, size, "%s", base);
    if (f->type == SL_FT_REAL && f->unit != SL_UNIT_NONE)
        used += (size_t)snprintf(buf + used, size - used, " (%s)", sl_unit_suffixes(f->unit));
    if (f->type == SL_FT_TIME)
        used += (size_t)snprintf(buf + used, size - used, " (%s)", sl_unit_suffixes(SL_UNIT_TIME));
    if (f->min > SL_NO_MIN && used < size) {
        describe_limit(f, f->min, lo, sizeof lo);
        used += (size_t)snprintf(buf + used, size - used, ", %s %s",
                                 (f->flags & SL_FF_MIN_EXCL) ? ">" : "≥", lo);
    }
    if (f->max < SL_NO_MAX && used < size) {
        describe_limit(f, f->max, hi, sizeof hi);
        snprintf(buf + used, size - used, ", %s %s", (f->flags & SL_FF_MAX_EXCL) ? "<" : "≤", hi);
    }
}

static void doc_section(const struct sl_schema *s, const char *path, FILE *out)
{
    fprintf(out, "### `%s`\n\n", path[0] ? path : "(top level)");
    fprintf(out, "| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for (size_t i = 0; i < s->nfields; i++) {
        const struct sl_field *f = &s->fields[i];
        char type[256];
        doc_type(f, type, sizeof type);
        const char *def = f->def                                          ? f->def
                          : (f->flags & SL_FF_REQUIRED)                   ? "*required*"
                          : f->type == SL_FT_SECTION                      ? "(section)"
                          : f->type == SL_FT_LIST || f->type == SL_FT_RAW ? "empty"
                                                                          : "unset";
        int code = f->def != NULL;
        fprintf(out, "| `%s` | %s | %s%s%s | %s |\n", f->key, type, code ? "`" : "", def,
                code ? "`" : "", f->doc);
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->nfields; i++) {
        const struct sl_field *f = &s->fields[i];
        char sub[512];
        if (f->type == SL_FT_SECTION) {
            join_path(sub, sizeof sub, path, f->key);
            doc_section(f->sub, sub, out);
        } else if (f->type == SL_FT_LIST) {
            join_path(sub, sizeof sub, path, f->key);
            strncat(sub, "[]", sizeof sub - strlen(sub) - 1);
            doc_section(f->sub, sub, out);
        }
    }
}

void sl_schema_doc(const struct sl_schema *schema, FILE *out)
{
    doc_section(schema, "", out);
}
