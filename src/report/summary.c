/*
 * Summary entries and their JSON form (see include/suanli/summary.h).
 *
 * The writer turns dotted keys into nested objects.  Entries are kept in
 * insertion order; when writing an object we emit, for each distinct first
 * segment in order of first appearance, either the value or a nested object
 * made of all entries sharing that prefix.  Quadratic in the number of
 * entries, which is a few dozen.
 */
#include "suanli/summary.h"
#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void sl_summary_init(struct sl_summary *s)
{
    memset(s, 0, sizeof *s);
}

void sl_summary_release(struct sl_summary *s)
{
    for (size_t i = 0; i < s->n; i++) {
        sl_free(s->items[i].key);
        sl_free(s->items[i].s);
    }
    sl_free(s->items);
    memset(s, 0, sizeof *s);
}

#ifndef NDEBUG
/* Is one key a dotted prefix of the other ("a" and "a.b")?  Such a pair
 * cannot be written as JSON: a value and an object under one name. */
static int nests(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return (la < lb && strncmp(a, b, la) == 0 && b[la] == '.') ||
           (lb < la && strncmp(a, b, lb) == 0 && a[lb] == '.');
}
#endif

static struct sl_summary_entry *slot(struct sl_summary *s, const char *key)
{
    /* Keys are fixed names in code: plain words separated by dots. */
    assert(key[0] && !strchr(key, '"') && !strchr(key, '\\'));
    for (size_t i = 0; i < s->n; i++)
        assert(!nests(s->items[i].key, key));
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].key, key) == 0) {
            sl_free(s->items[i].s);
            s->items[i].s = NULL;
            s->items[i].type = SL_V_NULL; /* until the adder succeeds */
            return &s->items[i];
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct sl_summary_entry *p = sl_reallocarray(s->items, cap, sizeof *p);
        if (!p)
            return NULL;
        s->items = p;
        s->cap = cap;
    }
    struct sl_summary_entry *e = &s->items[s->n];
    memset(e, 0, sizeof *e);
    if (!(e->key = sl_strdup(key)))
        return NULL;
    s->n++;
    return e;
}

int sl_summary_int(struct sl_summary *s, const char *key, int64_t v)
{
    struct sl_summary_entry *e = slot(s, key);
    if (!e)
        return SL_ENOMEM;
    e->type = SL_V_INT;
    e->i = v;
    return SL_OK;
}

int sl_summary_num(struct sl_summary *s, const char *key, double v)
{
    struct sl_summary_entry *e = slot(s, key);
    if (!e)
        return SL_ENOMEM;
    e->type = isfinite(v) ? SL_V_NUM : SL_V_NULL;
    e->x = v;
    return SL_OK;
}

int sl_summary_str(struct sl_summary *s, const char *key, const char *v)
{
    struct sl_summary_entry *e = slot(s, key);
    if (!e)
        return SL_ENOMEM;
    if (!v) {
        e->type = SL_V_NULL;
        return SL_OK;
    }
    if (!(e->s = sl_strdup(v)))
        return SL_ENOMEM;
    e->type = SL_V_STR;
    return SL_OK;
}

const struct sl_summary_entry *sl_summary_get(const struct sl_summary *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].key, key) == 0)
            return &s->items[i];
    return NULL;
}

char *sl_format_number(double v, char *buf, size_t size)
{
    if (v == 0)
        v = 0; /* no "-0" */
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.12g", v);
    return buf;
}

static void write_string(const char *s, FILE *out)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void write_value(const struct sl_summary_entry *e, FILE *out)
{
    char buf[64];
    switch (e->type) {
    case SL_V_NULL:
        fputs("null", out);
        break;
    case SL_V_INT:
        fprintf(out, "%lld", (long long)e->i);
        break;
    case SL_V_NUM:
        fputs(sl_format_number(e->x, buf, sizeof buf), out);
        break;
    case SL_V_STR:
        write_string(e->s, out);
        break;
    }
}

/* Does key start with prefix followed by '.' ? */
static int under(const char *key, const char *prefix, size_t plen)
{
    return strncmp(key, prefix, plen) == 0 && key[plen] == '.';
}

/* Writes the object made of entries whose key starts with prefix (length
 * plen, 0 at the top). */
static void write_object(const struct sl_summary *s, const char *prefix, size_t plen, int indent,
                         FILE *out)
{
    fputs("{", out);
    int first = 1;
    for (size_t i = 0; i < s->n; i++) {
        const char *key = s->items[i].key;
        if (plen && !under(key, prefix, plen))
            continue;
        const char *rest = plen ? key + plen + 1 : key;
        const char *dot = strchr(rest, '.');
        size_t seglen = dot ? (size_t)(dot - rest) : strlen(rest);
        /* Skip segments already written by an earlier entry. */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *k2 = s->items[j].key;
            if (plen && !under(k2, prefix, plen))
                continue;
            const char *r2 = plen ? k2 + plen + 1 : k2;
            if (strncmp(r2, rest, seglen) == 0 && (r2[seglen] == '.' || r2[seglen] == '\0'))
                seen = 1;
        }
        if (seen)
            continue;
        fprintf(out, "%s\n%*s\"%.*s\": ", first ? "" : ",", indent + 2, "", (int)seglen, rest);
        first = 0;
        if (dot)
            write_object(s, key, (size_t)(rest - key) + seglen, indent + 2, out);
        else
            write_value(&s->items[i], out);
    }
    fprintf(out, "\n%*s}", indent, "");
}

void sl_summary_write_json(const struct sl_summary *s, FILE *out)
{
    write_object(s, "", 0, 0, out);
    fputc('\n', out);
}

char *sl_fmt_fixed(char *p, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    double x = v * scale[decimals];
    if (!isfinite(x) || fabs(v) >= 1e15 || fabs(x) >= 9e18)
        return p + snprintf(p, 32, "%.*g", 17, v);
    long long r = llround(x);
    if (r < 0) {
        *p++ = '-';
        r = -r;
    }
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + r % 10);
        r /= 10;
    } while (r > 0 || n <= decimals);
    for (int i = n - 1; i >= decimals; i--)
        *p++ = digits[i];
    if (decimals > 0) {
        *p++ = '.';
        for (int i = decimals - 1; i >= 0; i--)
            *p++ = digits[i];
    }
    return p;
}
