/*
 * Tests for run summaries and their JSON form (src/report/summary.c).
 *
 * The JSON is compared byte for byte with text written out by hand, since
 * users script against summary.json and identical runs must give identical
 * bytes: dotted keys nest in first-insertion order, a replaced key keeps its
 * place, non-finite numbers are null, strings are escaped so any byte
 * sequence gives valid JSON.  sl_format_number is checked on a table of
 * values and, for a fixed-seed stream of random doubles, on its properties
 * (never "-0", whole numbers below 1e15 without exponent or point, 12
 * significant digits otherwise).  Allocation failures are injected through
 * sl_alloc_set_hook at every allocation in turn; each must give SL_ENOMEM,
 * leave a summary that still releases and writes cleanly, and leak nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "torture.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/summary.h"

/* ---- Helpers. ---- */

/* Returns the JSON text of s; the caller frees it. */
static char *to_json(const struct sl_summary *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    sl_summary_write_json(s, f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void expect_json(const struct sl_summary *s, const char *want)
{
    char *got = to_json(s);
    if (strcmp(got, want) != 0)
        print_error("JSON differs.\n--- got:\n%s--- want:\n%s", got, want);
    assert_string_equal(got, want);
    free(got);
}

static void expect_number(double v, const char *want)
{
    char buf[64];
    char *r = sl_format_number(v, buf, sizeof buf);
    assert_ptr_equal(r, buf);
    if (strcmp(buf, want) != 0)
        print_error("sl_format_number(%.17g) = '%s', want '%s'\n", v, buf, want);
    assert_string_equal(buf, want);
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- Layout. ---- */

static void test_empty(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(s.n, 0);
    assert_null(sl_summary_get(&s, "x"));
    expect_json(&s, "{\n}\n");
    sl_summary_release(&s);
    sl_summary_release(&s); /* release leaves an empty summary */
}

static void test_nested_in_insertion_order(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_str(&s, "scenario", "default"), SL_OK);
    assert_int_equal(sl_summary_int(&s, "run.seed", 42), SL_OK);
    assert_int_equal(sl_summary_num(&s, "energy_mwh.it", 12.5), SL_OK);
    assert_int_equal(sl_summary_num(&s, "pue", 1.25), SL_OK);
    assert_int_equal(sl_summary_num(&s, "run.duration_h", 168), SL_OK);
    assert_int_equal(sl_summary_num(&s, "energy_mwh.cooling.fans", 0.75), SL_OK);
    assert_int_equal(sl_summary_num(&s, "energy_mwh.total", NAN), SL_OK);
    assert_int_equal(sl_summary_int(&s, "energy_mwh.cooling.pumps", -3), SL_OK);
    assert_int_equal(sl_summary_str(&s, "zz", "last"), SL_OK);
    assert_int_equal(sl_summary_int(&s, "a.b.c.d", 1), SL_OK);
    assert_int_equal(s.n, 10);
    expect_json(&s, "{\n"
                    "  \"scenario\": \"default\",\n"
                    "  \"run\": {\n"
                    "    \"seed\": 42,\n"
                    "    \"duration_h\": 168\n"
                    "  },\n"
                    "  \"energy_mwh\": {\n"
                    "    \"it\": 12.5,\n"
                    "    \"cooling\": {\n"
                    "      \"fans\": 0.75,\n"
                    "      \"pumps\": -3\n"
                    "    },\n"
                    "    \"total\": null\n"
                    "  },\n"
                    "  \"pue\": 1.25,\n"
                    "  \"zz\": \"last\",\n"
                    "  \"a\": {\n"
                    "    \"b\": {\n"
                    "      \"c\": {\n"
                    "        \"d\": 1\n"
                    "      }\n"
                    "    }\n"
                    "  }\n"
                    "}\n");
    sl_summary_release(&s);
    assert_int_equal(s.n, 0);
    assert_null(s.items);
}

/* A segment that is a prefix of another ("run" vs "runs", "it" vs "it2")
 * is a different key, not a parent. */
static void test_prefix_is_not_parent(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_int(&s, "runs.n", 1), SL_OK);
    assert_int_equal(sl_summary_int(&s, "run.n", 2), SL_OK);
    assert_int_equal(sl_summary_int(&s, "run.n2", 3), SL_OK);
    assert_int_equal(sl_summary_int(&s, "runs.n2.x", 4), SL_OK);
    expect_json(&s, "{\n"
                    "  \"runs\": {\n"
                    "    \"n\": 1,\n"
                    "    \"n2\": {\n"
                    "      \"x\": 4\n"
                    "    }\n"
                    "  },\n"
                    "  \"run\": {\n"
                    "    \"n\": 2,\n"
                    "    \"n2\": 3\n"
                    "  }\n"
                    "}\n");
    sl_summary_release(&s);
}

static void test_replace_keeps_position(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_str(&s, "a", "first"), SL_OK);
    assert_int_equal(sl_summary_num(&s, "b.x", 1.5), SL_OK);
    assert_int_equal(sl_summary_int(&s, "c", 3), SL_OK);
    assert_int_equal(sl_summary_int(&s, "b.y", 4), SL_OK);
    /* Replace each with a value of another type. */
    assert_int_equal(sl_summary_int(&s, "a", 7), SL_OK);
    assert_int_equal(sl_summary_str(&s, "b.x", "now text"), SL_OK);
    assert_int_equal(sl_summary_num(&s, "c", INFINITY), SL_OK);
    assert_int_equal(sl_summary_str(&s, "b.y", "one"), SL_OK);
    assert_int_equal(sl_summary_str(&s, "b.y", "two"), SL_OK);
    assert_int_equal(sl_summary_num(&s, "b.x", 0.5), SL_OK);
    assert_int_equal(s.n, 4);

    const struct sl_summary_entry *e = sl_summary_get(&s, "a");
    assert_non_null(e);
    assert_int_equal(e->type, SL_V_INT);
    assert_int_equal(e->i, 7);
    assert_null(e->s);
    e = sl_summary_get(&s, "b.x");
    assert_int_equal(e->type, SL_V_NUM);
    assert_true(e->x == 0.5);
    assert_null(e->s); /* the replaced string was freed, not kept */
    e = sl_summary_get(&s, "b.y");
    assert_int_equal(e->type, SL_V_STR);
    assert_string_equal(e->s, "two");
    assert_int_equal(sl_summary_get(&s, "c")->type, SL_V_NULL);
    assert_null(sl_summary_get(&s, "b"));
    assert_null(sl_summary_get(&s, "b.z"));

    expect_json(&s, "{\n"
                    "  \"a\": 7,\n"
                    "  \"b\": {\n"
                    "    \"x\": 0.5,\n"
                    "    \"y\": \"two\"\n"
                    "  },\n"
                    "  \"c\": null\n"
                    "}\n");
    sl_summary_release(&s);
}

/* Enough entries to grow the array several times, all kept in order. */
static void test_many_entries(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "g%d.k%03d", i % 3, i);
        assert_int_equal(sl_summary_int(&s, key, i), SL_OK);
    }
    assert_int_equal(s.n, 200);
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "g%d.k%03d", i % 3, i);
        const struct sl_summary_entry *e = sl_summary_get(&s, key);
        assert_non_null(e);
        assert_int_equal(e->i, i);
        assert_string_equal(s.items[i].key, key);
    }
    char *json = to_json(&s);
    /* Groups in order g0, g1, g2; within each, keys ascending. */
    const char *prev = json;
    for (int g = 0; g < 3; g++) {
        snprintf(key, sizeof key, "\"g%d\": {", g);
        const char *p = strstr(json, key);
        assert_non_null(p);
        assert_true(p >= prev);
        prev = p;
        for (int i = g; i < 200; i += 3) {
            snprintf(key, sizeof key, "\"k%03d\": %d", i, i);
            p = strstr(json, key);
            assert_non_null(p);
            assert_true(p > prev);
            prev = p;
        }
    }
    free(json);
    sl_summary_release(&s);
}

/* ---- Values. ---- */

static void test_nonfinite_is_null(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_num(&s, "nan", NAN), SL_OK);
    assert_int_equal(sl_summary_num(&s, "neg_nan", -NAN), SL_OK);
    assert_int_equal(sl_summary_num(&s, "inf", INFINITY), SL_OK);
    assert_int_equal(sl_summary_num(&s, "ninf", -INFINITY), SL_OK);
    assert_int_equal(sl_summary_str(&s, "nostr", NULL), SL_OK);
    assert_int_equal(sl_summary_num(&s, "max", DBL_MAX), SL_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(s.items[i].type, SL_V_NULL);
    assert_int_equal(s.items[5].type, SL_V_NUM);
    expect_json(&s, "{\n"
                    "  \"nan\": null,\n"
                    "  \"neg_nan\": null,\n"
                    "  \"inf\": null,\n"
                    "  \"ninf\": null,\n"
                    "  \"nostr\": null,\n"
                    "  \"max\": 1.79769313486e+308\n"
                    "}\n");
    sl_summary_release(&s);
}

static void test_int_versus_number(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_int(&s, "i", 3), SL_OK);
    assert_int_equal(sl_summary_num(&s, "x", 3), SL_OK);
    assert_int_equal(sl_summary_num(&s, "tenth", 0.1), SL_OK);
    assert_int_equal(sl_summary_int(&s, "imax", INT64_MAX), SL_OK);
    assert_int_equal(sl_summary_int(&s, "imin", INT64_MIN), SL_OK);
    /* A double cannot hold INT64_MAX; the int entries write every digit,
     * a number entry at most 12. */
    assert_int_equal(sl_summary_num(&s, "big", 9007199254740993.0), SL_OK);
    assert_int_equal(sl_summary_num(&s, "neg0", -0.0), SL_OK);
    assert_int_equal(sl_summary_num(&s, "third", 1.0 / 3), SL_OK);
    assert_int_equal(sl_summary_get(&s, "i")->type, SL_V_INT);
    assert_int_equal(sl_summary_get(&s, "x")->type, SL_V_NUM);
    expect_json(&s, "{\n"
                    "  \"i\": 3,\n"
                    "  \"x\": 3,\n"
                    "  \"tenth\": 0.1,\n"
                    "  \"imax\": 9223372036854775807,\n"
                    "  \"imin\": -9223372036854775808,\n"
                    "  \"big\": 9.00719925474e+15,\n"
                    "  \"neg0\": 0,\n"
                    "  \"third\": 0.333333333333\n"
                    "}\n");
    sl_summary_release(&s);
}

static void test_string_escaping(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_str(&s, "quote", "say \"hi\""), SL_OK);
    assert_int_equal(sl_summary_str(&s, "backslash", "C:\\dir\\"), SL_OK);
    assert_int_equal(sl_summary_str(&s, "newline", "a\nb"), SL_OK);
    assert_int_equal(sl_summary_str(&s, "tab_cr", "a\tb\rc"), SL_OK);
    assert_int_equal(sl_summary_str(&s, "ctl", "\x01\x1f\x08\x0c"), SL_OK);
    assert_int_equal(sl_summary_str(&s, "utf8",
                                    "\xe7\xae\x97\xe5\x8a\x9b 20\xc2\xb0"
                                    "C"),
                     SL_OK);
    assert_int_equal(sl_summary_str(&s, "del_slash", "\x7f/"), SL_OK);
    assert_int_equal(sl_summary_str(&s, "empty", ""), SL_OK);
    expect_json(&s, "{\n"
                    "  \"quote\": \"say \\\"hi\\\"\",\n"
                    "  \"backslash\": \"C:\\\\dir\\\\\",\n"
                    "  \"newline\": \"a\\nb\",\n"
                    "  \"tab_cr\": \"a\\tb\\u000dc\",\n"
                    "  \"ctl\": \"\\u0001\\u001f\\u0008\\u000c\",\n"
                    "  \"utf8\": \"\xe7\xae\x97\xe5\x8a\x9b 20\xc2\xb0"
                    "C\",\n"
                    "  \"del_slash\": \"\x7f/\",\n"
                    "  \"empty\": \"\"\n"
                    "}\n");
    /* The adders copy: changing the caller's buffer changes nothing. */
    char mutable[] = "orig";
    assert_int_equal(sl_summary_str(&s, "copy", mutable), SL_OK);
    mutable[0] = 'X';
    assert_string_equal(sl_summary_get(&s, "copy")->s, "orig");
    sl_summary_release(&s);
}

/* Every string of bytes 1..255 comes out with no raw control character
 * and with quotes and backslashes always escaped. */
static void test_string_escaping_all_bytes(void **state)
{
    (void)state;
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_str(&s, "k", all), SL_OK);
    char *json = to_json(&s);
    const char *start = strstr(json, "\"k\": \"");
    assert_non_null(start);
    const unsigned char *p = (const unsigned char *)start + 6;
    int decoded = 1; /* next byte value expected */
    for (; *p != '"'; p++) {
        assert_true(*p >= 0x20);
        int c = *p;
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                char hex[5] = {(char)p[1], (char)p[2], (char)p[3], (char)p[4], 0};
                c = (int)strtol(hex, NULL, 16);
                p += 4;
            } else if (*p == 'n') {
                c = '\n';
            } else if (*p == 't') {
                c = '\t';
            } else {
                assert_true(*p == '"' || *p == '\\');
                c = *p;
            }
        } else {
            assert_true(c != '"');
        }
        assert_int_equal(c, decoded);
        decoded++;
    }
    /* The loop stops at the unescaped closing quote, after byte 255. */
    assert_int_equal(decoded, 256);
    assert_true(*p == '"');
    free(json);
    sl_summary_release(&s);
}

static void test_format_number_table(void **state)
{
    (void)state;
    expect_number(0, "0");
    expect_number(-0.0, "0");
    expect_number(1, "1");
    expect_number(-1, "-1");
    expect_number(42, "42");
    expect_number(0.5, "0.5");
    expect_number(-2.5, "-2.5");
    expect_number(0.1, "0.1");
    expect_number(1.0 / 3, "0.333333333333");
    expect_number(2.0 / 3, "0.666666666667");
    expect_number(-2.0 / 3, "-0.666666666667");
    expect_number(123.456789012345678, "123.456789012");
    expect_number(1234567.891, "1234567.891");
    expect_number(1e-7, "1e-07");
    expect_number(-1e-300, "-1e-300");
    expect_number(4.9406564584124654e-324, "4.94065645841e-324");
    expect_number(123456789012345.0, "123456789012345");
    expect_number(999999999999999.0, "999999999999999");
    expect_number(-999999999999999.0, "-999999999999999");
    expect_number(1e15, "1e+15");
    expect_number(1234567890123456.0, "1.23456789012e+15");
    expect_number(1e20, "1e+20");
    expect_number(DBL_MAX, "1.79769313486e+308");
    expect_number(-DBL_MAX, "-1.79769313486e+308");
    expect_number(1e14 + 0.5, "1e+14"); /* not whole: 12 significant digits */
}

/* Properties over many doubles: never "-0"; whole numbers below 1e15 print
 * all their digits with no point or exponent; others carry 12 significant
 * digits, so the text reads back within half a unit in the 12th digit. */
static void test_format_number_properties(void **state)
{
    (void)state;
    uint64_t seed = 99;
    char buf[64];
    for (int i = 0; i < 100000; i++) {
        uint64_t bits = splitmix64(&seed);
        double v;
        switch (i % 4) {
        case 0:
            memcpy(&v, &bits, sizeof v);
            break;
        case 1: /* whole numbers of all sizes below 2^53 */
            v = (double)(int64_t)(bits >> (11 + bits % 50));
            if (bits & 1)
                v = -v;
            break;
        case 2: /* tiny magnitudes of both signs, down to subnormals */
            v = ldexp((double)(bits >> 11), -53 - (int)(bits % 1000));
            if (bits & 2)
                v = -v;
            break;
        default: /* ordinary fractional values */
            v = ((double)(bits >> 11) * 0x1p-53 - 0.5) * 1e6;
            break;
        }
        if (!isfinite(v))
            continue;
        sl_format_number(v, buf, sizeof buf);
        assert_true(strcmp(buf, "-0") != 0);
        assert_true(strncmp(buf, "-0", 2) != 0 || buf[2] == '.');
        if (v == 0) {
            assert_string_equal(buf, "0");
            continue;
        }
        char *end;
        double back = strtod(buf, &end);
        assert_true(*end == '\0');
        if (v == floor(v) && fabs(v) < 1e15) {
            assert_null(strpbrk(buf, ".e"));
            assert_true(back == v);
        } else {
            assert_true(fabs(back - v) <= 1e-11 * fabs(v));
            /* at most 12 significant digits */
            int digits = 0, leading = 1;
            for (const char *p = buf; *p && *p != 'e'; p++) {
                if (*p >= '1' && *p <= '9')
                    leading = 0;
                if (*p >= '0' && *p <= '9' && !leading)
                    digits++;
            }
            assert_true(digits >= 1 && digits <= 12);
        }
    }
}

/* ---- Allocation failures. ---- */

/* Builds a summary of 50 entries (two array growths) with strings, and
 * replaces some, returning the first error. */
static int build(struct sl_summary *s)
{
    char key[32], val[32];
    int rc;
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "sec%d.key%d", i % 4, i);
        snprintf(val, sizeof val, "value %d", i);
        if (i % 3 == 0)
            rc = sl_summary_str(s, key, val);
        else if (i % 3 == 1)
            rc = sl_summary_num(s, key, i * 0.5);
        else
            rc = sl_summary_int(s, key, i);
        if (rc != SL_OK)
            return rc;
    }
    /* Replacing a string with a string allocates again. */
    if ((rc = sl_summary_str(s, "sec0.key0", "replaced")) != SL_OK)
        return rc;
    return sl_summary_str(s, "sec3.key3", NULL);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    /* The expected text, built without failures. */
    struct sl_summary ref;
    sl_summary_init(&ref);
    assert_int_equal(build(&ref), SL_OK);
    char *want = to_json(&ref);
    sl_summary_release(&ref);

    int failures = 0;
    for (long budget = 0;; budget++) {
        struct torture t = {budget, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        struct sl_summary s;
        sl_summary_init(&s);
        int rc = build(&s);
        sl_alloc_set_hook(NULL, NULL);
        if (rc == SL_OK) {
            expect_json(&s, want);
            sl_alloc_set_hook(torture_alloc, &t);
            sl_summary_release(&s);
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(t.live, 0);
            break;
        }
        assert_int_equal(rc, SL_ENOMEM);
        /* What was built must still be consistent: every entry has a key,
         * strings have text, and the writer copes. */
        for (size_t i = 0; i < s.n; i++) {
            assert_non_null(s.items[i].key);
            if (s.items[i].type == SL_V_STR)
                assert_non_null(s.items[i].s);
        }
        free(to_json(&s));
        sl_alloc_set_hook(torture_alloc, &t);
        sl_summary_release(&s);
        sl_alloc_set_hook(NULL, NULL);
        assert_int_equal(t.live, 0);
        failures++;
        assert_true(budget < 1000);
    }
    free(want);
    print_message("  summary survived %d injected allocation failures\n", failures);
    assert_true(failures >= 50);
}

/* A failed replacement of a string leaves a valid entry (null or the old
 * text), never a string entry without text. */
static void test_alloc_failure_on_replace(void **state)
{
    (void)state;
    struct sl_summary s;
    sl_summary_init(&s);
    assert_int_equal(sl_summary_str(&s, "a", "old"), SL_OK);
    assert_int_equal(sl_summary_int(&s, "b", 1), SL_OK);
    struct torture t = {0, 0, 0};
    sl_alloc_set_hook(torture_alloc, &t);
    int rc = sl_summary_str(&s, "a", "new");
    sl_alloc_set_hook(NULL, NULL);
    assert_int_equal(rc, SL_ENOMEM);
    assert_int_equal(s.n, 2);
    const struct sl_summary_entry *e = sl_summary_get(&s, "a");
    assert_non_null(e);
    assert_true(e->type == SL_V_NULL || (e->type == SL_V_STR && e->s != NULL));
    char *json = to_json(&s);
    assert_non_null(strstr(json, "\"b\": 1"));
    free(json);
    sl_summary_release(&s);
}

/* sl_fmt_fixed agrees with printf's "%.*f" except where v * 10^d lands
 * within rounding of a halfway point (printf rounds the exact binary value,
 * sl_fmt_fixed the product); such cases differ by one unit in the last
 * place. */
static void test_fmt_fixed(void **state)
{
    (void)state;
    char a[64], b[64];
    static const struct {
        double v;
        int d;
        const char *want;
    } fixed[] = {{0, 1, "0.0"},
                 {-0.0, 1, "0.0"},
                 {5347029.04, 1, "5347029.0"},
                 {0.695778, 6, "0.695778"},
                 {-3.98, 2, "-3.98"},
                 {12.5, 0, "13"},
                 {0.05, 2, "0.05"},
                 {1e20, 1, "1e+20"}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        char *end = sl_fmt_fixed(a, fixed[i].v, fixed[i].d);
        *end = '\0';
        assert_string_equal(a, fixed[i].want);
    }
    uint64_t x = 12345;
    int differ = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v = ((double)(x >> 11) / 9007199254740992.0 - 0.3) * 2e7;
        int d = (int)(x % 7);
        char *end = sl_fmt_fixed(a, v, d);
        *end = '\0';
        snprintf(b, sizeof b, "%.*f", d, v);
        if (strcmp(a, b) != 0) {
            differ++;
            /* Only last-digit differences at a halfway point. */
            double scaled = v * pow(10, d);
            assert_true(fabs(fabs(scaled - floor(scaled)) - 0.5) < 1e-6);
        }
    }
    assert_true(differ < 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_nested_in_insertion_order),
        cmocka_unit_test(test_prefix_is_not_parent),
        cmocka_unit_test(test_replace_keeps_position),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_nonfinite_is_null),
        cmocka_unit_test(test_int_versus_number),
        cmocka_unit_test(test_string_escaping),
        cmocka_unit_test(test_string_escaping_all_bytes),
        cmocka_unit_test(test_format_number_table),
        cmocka_unit_test(test_format_number_properties),
        cmocka_unit_test(test_fmt_fixed),
        cmocka_unit_test_teardown(test_alloc_failure, restore_hook),
        cmocka_unit_test_teardown(test_alloc_failure_on_replace, restore_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
