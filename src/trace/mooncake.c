/*
 * The Mooncake JSONL reader (format in trace.c's opening comment): a
 * strict scanner of one flat JSON object per line, written for this
 * format (no JSON library): strings with valid escapes, RFC 8259 numbers,
 * no trailing commas, nothing after the object, no nested objects.
 */
#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/trace.h"
#include "trace/trace_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- Mooncake JSONL ---------------------------------------------------- */

/* A scanner over one line of JSON.  fault is set at the first error with
 * the column and a message; the caller turns it into a row fault. */
struct json {
    const char *line, *p, *e;
    const char *fault;
    const char *fault_at;
    char msg[200];
};

static void jws(struct json *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static int jfail(struct json *j, const char *what)
{
    if (!j->fault) {
        j->fault = what;
        j->fault_at = j->p;
    }
    return -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Scans a string at j->p (which is at '"'); [*s, *e) is its raw content. */
static int jstring(struct json *j, const char **s, const char **e)
{
    if (j->p >= j->e || *j->p != '"')
        return jfail(j, "expected a string in double quotes");
    j->p++;
    *s = j->p;
    while (j->p < j->e && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            return jfail(j, "a control character in a string (expected it escaped)");
        if (c == '\\') {
            j->p++;
            if (j->p >= j->e)
                break;
            char x = *j->p;
            if (x == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (j->p + i >= j->e || hexval(j->p[i]) < 0)
                        return jfail(j, "a bad \\u escape (expected four hex digits)");
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", x) || x == '\0') {
                return jfail(j, "a bad escape in a string (expected one of \\\" \\\\ \\/ \\b "
                                "\\f \\n \\r \\t \\uXXXX)");
            }
        }
        j->p++;
    }
    if (j->p >= j->e)
        return jfail(j, "a string without its closing quote");
    *e = j->p;
    j->p++;
    return 0;
}

/* Scans a JSON number (RFC 8259 grammar) into *x. */
static int jnumber(struct json *j, double *x)
{
    const char *s = j->p, *p = j->p;
    if (p < j->e && *p == '-')
        p++;
    if (p >= j->e || !sl__trace_is_digit(*p))
        return jfail(j, "expected a number");
    if (*p == '0')
        p++;
    else
        while (p < j->e && sl__trace_is_digit(*p))
            p++;
    if (p < j->e && *p == '.') {
        p++;
        if (p >= j->e || !sl__trace_is_digit(*p))
            return jfail(j, "a number with no digit after its point");
        while (p < j->e && sl__trace_is_digit(*p))
            p++;
    }
    if (p < j->e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->e && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->e || !sl__trace_is_digit(*p))
            return jfail(j, "a number with no digit in its exponent");
        while (p < j->e && sl__trace_is_digit(*p))
            p++;
    }
    double v;
    int neg = *s == '-';
    enum sl__trace_num_fault f = sl__trace_parse_real(s + neg, p, &v);
    if (f != SL__NUM_OK)
        return jfail(j, "a number out of range (expected a finite number)");
    *x = neg ? -v : v;
    j->p = p;
    return 0;
}

static int jword(struct json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->e - j->p) >= n && memcmp(j->p, w, n) == 0) {
        j->p += n;
        return 0;
    }
    return jfail(j, "expected a number, a string, an array, true, false or null");
}

/* Skips a scalar value (number, string, literal). */
static int jscalar(struct json *j)
{
    if (j->p >= j->e)
        return jfail(j, "the line ends where a value was expected");
    char c = *j->p;
    double x;
    const char *s, *e;
    if (c == '"')
        return jstring(j, &s, &e);
    if (c == '-' || sl__trace_is_digit(c))
        return jnumber(j, &x);
    if (c == 't')
        return jword(j, "true");
    if (c == 'f')
        return jword(j, "false");
    if (c == 'n')
        return jword(j, "null");
    if (c == '{')
        return jfail(j, "a nested object (expected a flat object of numbers, strings and "
                        "arrays)");
    if (c == '[')
        return jfail(j, "a nested array (expected an array of numbers)");
    return jfail(j, "expected a number, a string, an array, true, false or null");
}

static int key_is(const char *s, const char *e, const char *k)
{
    size_t n = strlen(k);
    return (size_t)(e - s) == n && memcmp(s, k, n) == 0;
}

enum { MK_TS = 1, MK_IN = 2, MK_OUT = 4, MK_HASH = 8 };

/* Parses one Mooncake line into q (hash ids pushed to the pool).  Returns
 * SL_OK, a row fault (skipped: *bad set) or a hard error. */
static int mooncake_row(struct sl__trace_reader *r, struct sl__trace_lines *ls,
                        struct sl_trace_req *q, int *bad)
{
    struct json j = {ls->p, ls->p, ls->end, NULL, NULL, {0}};
    int seen = 0;
    double ts = 0, in = 0, out = 0;
    const char *at_in = NULL, *at_out = NULL, *at_ts = NULL;
    size_t hash0 = r->t->n_hash;
    *bad = 0;
    jws(&j);
    if (j.p >= j.e || *j.p != '{') {
        jfail(&j, "expected a JSON object {...} per line");
        goto fault;
    }
    j.p++;
    jws(&j);
    if (j.p < j.e && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            const char *ks, *ke;
            jws(&j);
            if (jstring(&j, &ks, &ke) != 0)
                goto fault;
            jws(&j);
            if (j.p >= j.e || *j.p != ':') {
                jfail(&j, "expected ':' after a key");
                goto fault;
            }
            j.p++;
            jws(&j);
            int k = key_is(ks, ke, "timestamp")       ? MK_TS
                    : key_is(ks, ke, "input_length")  ? MK_IN
                    : key_is(ks, ke, "output_length") ? MK_OUT
                    : key_is(ks, ke, "hash_ids")      ? MK_HASH
                                                      : 0;
            if (k && (seen & k)) {
                j.p = ks;
                snprintf(j.msg, sizeof j.msg, "the key \"%.*s\" appears twice (expected once)",
                         (int)(ke - ks), ks);
                jfail(&j, j.msg);
                goto fault;
            }
            seen |= k;
            const char *vat = j.p;
            if (k == MK_TS || k == MK_IN || k == MK_OUT) {
                double x;
                if (j.p < j.e && *j.p != '-' && !sl__trace_is_digit(*j.p)) {
                    snprintf(j.msg, sizeof j.msg, "\"%.*s\" is not a number", (int)(ke - ks), ks);
                    jfail(&j, j.msg);
                    goto fault;
                }
                if (jnumber(&j, &x) != 0)
                    goto fault;
                if (k == MK_TS) {
                    ts = x;
                    at_ts = vat;
                } else if (k == MK_IN) {
                    in = x;
                    at_in = vat;
                } else {
                    out = x;
                    at_out = vat;
                }
            } else if (j.p < j.e && *j.p == '[') {
                j.p++;
                jws(&j);
                if (j.p < j.e && *j.p == ']') {
                    j.p++;
                } else {
                    for (;;) {
                        jws(&j);
                        if (k == MK_HASH) {
                            double x;
                            const char *hat = j.p;
                            if (jnumber(&j, &x) != 0)
                                goto fault;
                            if (x < 0 || x != floor(x) || x > 4294967295.0) {
                                j.p = hat;
                                jfail(&j, "a hash id that is not an integer in [0, 2^32) "
                                          "(expected prefix-block ids)");
                                goto fault;
                            }
                            int rc = sl__trace_push_hash(r, ls->line, (uint32_t)x);
                            if (rc != SL_OK)
                                return rc;
                        } else if (jscalar(&j) != 0) {
                            goto fault;
                        }
                        jws(&j);
                        if (j.p < j.e && *j.p == ',') {
                            j.p++;
                            continue;
                        }
                        if (j.p < j.e && *j.p == ']') {
                            j.p++;
                            break;
                        }
                        jfail(&j, "expected ',' or ']' in an array");
                        goto fault;
                    }
                }
            } else if (k == MK_HASH) {
                jfail(&j, "\"hash_ids\" is not an array (expected [id, ...])");
                goto fault;
            } else if (jscalar(&j) != 0) {
                goto fault;
            }
            jws(&j);
            if (j.p < j.e && *j.p == ',') {
                j.p++;
                continue;
            }
            if (j.p < j.e && *j.p == '}') {
                j.p++;
                break;
            }
            jfail(&j, "expected ',' or '}' after a value");
            goto fault;
        }
    }
    jws(&j);
    if (j.p != j.e) {
        jfail(&j, "text after the object (expected one object per line)");
        goto fault;
    }
    if ((seen & (MK_TS | MK_IN | MK_OUT)) != (MK_TS | MK_IN | MK_OUT)) {
        j.p = ls->p;
        snprintf(j.msg, sizeof j.msg,
                 "the object lacks the key \"%s\" (expected \"timestamp\", \"input_length\" "
                 "and \"output_length\")",
                 !(seen & MK_TS)   ? "timestamp"
                 : !(seen & MK_IN) ? "input_length"
                                   : "output_length");
        jfail(&j, j.msg);
        goto fault;
    }
    if (ts < 0 || ts / 1000 > SL_LIMIT(SL_LIM_DURATION)) {
        j.p = at_ts;
        jfail(&j, ts < 0 ? "\"timestamp\" is negative (expected milliseconds >= 0)"
                         : "\"timestamp\" is later than the duration limit (expected "
                           "milliseconds from the start of the trace)");
        goto fault;
    }
    for (int w = 0; w < 2; w++) {
        double x = w ? out : in;
        const char *name = w ? "\"output_length\"" : "\"input_length\"";
        if (x < 1 || x != floor(x) || x > SL_LIMIT(SL_LIM_TRACE_TOKENS)) {
            j.p = w ? at_out : at_in;
            char lim[160];
            snprintf(j.msg, sizeof j.msg, "%s %.17g %s", name, x,
                     x > SL_LIMIT(SL_LIM_TRACE_TOKENS)
                         ? sl_limit_text(SL_LIM_TRACE_TOKENS, lim, sizeof lim)
                         : "is not a token count (expected an integer >= 1)");
            jfail(&j, j.msg);
            goto fault;
        }
    }
    q->t_us = llround(ts * 1000.0);
    q->prompt = (int32_t)in;
    q->output = (int32_t)out;
    q->hash_first = (uint32_t)hash0;
    q->hash_n = (uint32_t)(r->t->n_hash - hash0);
    return SL_OK;
fault:
    r->t->n_hash = hash0;
    *bad = 1;
    {
        long col = (j.fault_at ? j.fault_at : j.p) - ls->p + 1;
        return sl__trace_row_fault(r, ls->line, col > 1000000 ? 1000000 : (int)col, "%s", j.fault);
    }
}

int sl__trace_read_mooncake(struct sl__trace_reader *r, struct sl__trace_lines *ls)
{
    int rc, bad, k;
    while ((k = sl__trace_next_line(ls)) > 0) {
        if (sl__trace_blank(ls->p, ls->end))
            continue;
        struct sl_trace_req q = {0, 0, 0, 0, 0};
        if ((rc = mooncake_row(r, ls, &q, &bad)) != SL_OK)
            return rc;
        if (!bad && (rc = sl__trace_push_req(r, ls->line, &q)) != SL_OK)
            return rc;
    }
    if (k < 0)
        return sl__trace_lines_error(ls, r->d);
    if (r->t->n_req == 0 && r->t->skipped == 0)
        return sl_diag_set(r->d, SL_EINVAL, r->path, 0, 0,
                           "the trace file is empty (expected one JSON object per request)");
    return sl__trace_finish_requests(r, 1);
}
