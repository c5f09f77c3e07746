/*
 * The YAML tree and the paths into it, under hostile input: depth bounded on
 * every path (file, aliases, merges, --set, variants' set:), alias expansion
 * bounded in bytes, duplicate keys found in linear time, reader errors at
 * their real position, YAML 1.1 merge keys, over-long numbers, and
 * allocation failure while merging.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/ytree.h"
#include "suanli/limits.h"
#include "suanli/scenario.h"
#include "torture.h"

static char tmpdir[] = "/tmp/sl_test_ytree_XXXXXX";

/* Time bounds are for an optimised build; sanitizers slow a run ~5x.  The
 * quadratic cases these bounds catch took 50 s. */
#if defined(__SANITIZE_ADDRESS__)
#define SLOW 5.0
#else
#define SLOW 1.0
#endif

/* CPU time: the machine may be shared with other builds. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A growing text buffer for generated inputs. */
struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static int parse(const char *text, size_t len, struct sl_ynode **root, struct sl_diag *d)
{
    struct sl_ysources srcs = {NULL};
    sl_diag_clear(d);
    int rc = sl_ytree_parse(&srcs, "t.yaml", text, len, root, d);
    if (rc != SL_OK) {
        assert_null(*root);
        sl_ysources_release(&srcs);
        return rc;
    }
    /* Callers only look at the tree, never at origins. */
    sl_ynode_free(*root);
    *root = NULL;
    sl_ysources_release(&srcs);
    return rc;
}

/* Parses text and returns the scalar at path ("" if absent) in buf. */
static int parse_get(const char *text, const char *path, char *buf, size_t size, struct sl_diag *d)
{
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL;
    sl_diag_clear(d);
    int rc = sl_ytree_parse(&srcs, "t.yaml", text, strlen(text), &root, d);
    buf[0] = '\0';
    if (rc == SL_OK) {
        const struct sl_ynode *n = sl_ytree_lookup(root, path);
        if (n && n->type == SL_Y_SCALAR)
            snprintf(buf, size, "%s", n->text);
        else if (n)
            snprintf(buf, size, "<%zu>", n->n);
    }
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    return rc;
}

static int load_file(const char *text, const char *const *sets, size_t nsets, struct sl_diag *d)
{
    char path[256];
    snprintf(path, sizeof path, "%s/s.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct sl_load_opts o = {path, sets, nsets, NULL, NULL};
    struct sl_scenario_set set;
    sl_diag_clear(d);
    int rc = sl_scenario_load(&o, &set, d);
    if (rc == SL_OK)
        sl_scenario_set_release(&set);
    return rc;
}

/* A dotted path of n segments "a.a.a...". */
static char *long_path(size_t n)
{
    char *p = malloc(2 * n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = 'a';
        p[2 * i + 1] = i + 1 < n ? '.' : '\0';
    }
    return p;
}

static void test_depth_of_key_paths(void **state)
{
    (void)state;
    char *path = long_path(200000);
    struct sl_diag d;

    /* sl_ytree_set itself. */
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL;
    sl_diag_clear(&d);
    assert_int_equal(sl_ytree_parse(&srcs, "t.yaml", "{}", 2, &root, &d), SL_OK);
    struct sl_ynode *one = NULL;
    assert_int_equal(sl_ytree_parse(&srcs, "v", "1", 1, &one, &d), SL_OK);
    assert_int_equal(sl_ytree_set(root, path, one, NULL, 3, 4, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "nested too deeply"));
    assert_int_equal(d.line, 3);
    assert_int_equal(root->n, 0); /* nothing was created */

    /* At the limit: 256 keys with a scalar fit, with a mapping do not. */
    char *edge = long_path((size_t)SL_LIMIT(SL_LIM_DEPTH));
    assert_int_equal(sl_ytree_parse(&srcs, "v", "1", 1, &one, &d), SL_OK);
    assert_int_equal(sl_ytree_set(root, edge, one, NULL, 0, 0, &d), SL_OK);
    assert_int_equal(sl_ytree_parse(&srcs, "v", "{b: 1}", 6, &one, &d), SL_OK);
    sl_diag_clear(&d);
    assert_int_equal(sl_ytree_set(root, edge, one, NULL, 0, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "nested too deeply"));
    free(edge);
    sl_ynode_free(root);
    sl_ysources_release(&srcs);

    /* --set, on the command line. */
    size_t len = strlen(path);
    char *arg = malloc(len + 3);
    assert_non_null(arg);
    memcpy(arg, path, len);
    memcpy(arg + len, "=1", 3);
    const char *sets[] = {arg};
    assert_int_equal(load_file("{}\n", sets, 1, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "nested too deeply"));

    /* A variant's set:, reported at the key. */
    struct text t = {0};
    /* (An explicit key: YAML allows no implicit key over 1024 characters.) */
    put(&t, "variants:\n  - name: deep\n    set:\n      ? %s\n      : 1\n", path);
    assert_int_equal(load_file(t.s, NULL, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "nested too deeply"));
    assert_int_equal(d.line, 4);
    assert_int_equal(d.col, 9);
    free(t.s);
    free(arg);
    free(path);
}

static void test_depth_of_files_and_aliases(void **state)
{
    (void)state;
    struct sl_diag d;
    struct sl_ynode *root;
    int limit = (int)SL_LIMIT(SL_LIM_DEPTH);

    /* limit levels of lists parse, one more does not, at its position. */
    struct text t = {0};
    for (int i = 0; i < limit; i++)
        put(&t, "[");
    for (int i = 0; i < limit; i++)
        put(&t, "]");
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_OK);
    t.len = 0;
    for (int i = 0; i <= limit; i++)
        put(&t, "[");
    for (int i = 0; i <= limit; i++)
        put(&t, "]");
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.col, limit + 1);
    assert_non_null(strstr(d.msg, "nested too deeply"));

    /* Aliases must not stack depth: each anchor nests the previous one 200
     * levels deeper.  Without the bound this reaches 200 * 1000 levels. */
    t.len = 0;
    put(&t, "a0: &a0 1\n");
    for (int i = 1; i <= 1000; i++) {
        put(&t, "a%d: &a%d ", i, i);
        for (int j = 0; j < 200; j++)
            put(&t, "[");
        put(&t, "*a%d", i - 1);
        for (int j = 0; j < 200; j++)
            put(&t, "]");
        put(&t, "\n");
    }
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    assert_int_equal(d.line, 3);
    assert_non_null(strstr(d.msg, "nested too deeply"));
    free(t.s);
}

/* 1 MiB of text aliased many times must fail at once on the byte budget. */
static void test_alias_bytes(void **state)
{
    (void)state;
    struct text t = {0};
    put(&t, "big: &s ");
    for (int i = 0; i < 1024 * 1024 / 64; i++)
        put(&t, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    put(&t, "\nmany: [");
    for (int i = 0; i < 250000; i++)
        put(&t, "*s,");
    put(&t, "*s]\n");
    struct sl_diag d;
    struct sl_ynode *root;
    double t0 = now_s();
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    double dt = now_s() - t0;
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.msg, "aliases or merge keys expand to more text than the limit"));
    if (dt >= 1.0 * SLOW)
        fail_msg("%.2f s", dt);

    /* Many small aliases are still counted in nodes. */
    t.len = 0;
    put(&t, "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [");
    for (int i = 0; i < 250000; i++)
        put(&t, "*a, ");
    put(&t, "*a]\n");
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "too many YAML nodes"));
    free(t.s);
}

static void test_many_keys(void **state)
{
    (void)state;
    size_t limit = (size_t)SL_LIMIT(SL_LIM_KEYS_PER_MAP);
    struct text t = {0};
    for (size_t i = 0; i < limit; i++)
        put(&t, "key_%zu: %zu\n", i, i);
    struct sl_diag d;
    struct sl_ynode *root;
    double t0 = now_s();
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_OK);
    double dt = now_s() - t0;
    if (dt >= 1.0 * SLOW)
        fail_msg("%.2f s", dt);

    /* A duplicate at the end is found, at its position. */
    put(&t, "key_17: again\n");
    t0 = now_s();
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    assert_true(now_s() - t0 < 1.0 * SLOW);
    assert_int_equal(d.line, (int)limit + 1);
    assert_int_equal(d.col, 1);
    if (!strstr(d.msg, "duplicate key 'key_17' (first given at line 18)"))
        fail_msg("%s", d.msg);

    /* One key more than the limit. */
    t.len -= strlen("key_17: again\n");
    put(&t, "one_more: 1\n");
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    assert_int_equal(d.line, (int)limit + 1);
    assert_non_null(strstr(d.msg, "too many keys in one mapping"));

    /* Many anchors and aliases: linear, not quadratic. */
    t.len = 0;
    for (size_t i = 0; i < 50000; i++)
        put(&t, "a%zu: &n%zu [%zu]\n", i, i, i);
    put(&t, "all: [");
    for (size_t i = 0; i < 50000; i++)
        put(&t, "*n%zu, ", i);
    put(&t, "*n0]\n");
    t0 = now_s();
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_OK);
    assert_true(now_s() - t0 < 1.0 * SLOW);
    free(t.s);
}

/* Overrides into one mapping use its index: 100,000 of them in one
 * variant's set: (each creating a key) take well under a second. */
static void test_many_overrides(void **state)
{
    (void)state;
    struct text t = {0};
    put(&t, "variants:\n  - name: a\n    set:\n");
    for (int i = 0; i < 100000; i++)
        put(&t, "      x.k%d: 1\n", i);
    struct sl_diag d;
    double t0 = now_s();
    assert_int_equal(load_file(t.s, NULL, 0, &d), SL_EINVAL);
    if (now_s() - t0 >= 1.0 * SLOW)
        fail_msg("%.2f s", now_s() - t0);
    assert_non_null(strstr(d.msg, "unknown key 'x'"));

    /* The index stays right while keys are added, replaced and looked up. */
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL, *v = NULL;
    sl_diag_clear(&d);
    assert_int_equal(sl_ytree_parse(&srcs, "t", "{}", 2, &root, &d), SL_OK);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 1000; i++) {
            char path[32], val[32];
            snprintf(path, sizeof path, "m.k%d", i);
            snprintf(val, sizeof val, "%d", i + round);
            assert_int_equal(sl_ytree_parse(&srcs, "v", val, strlen(val), &v, &d), SL_OK);
            assert_int_equal(sl_ytree_set(root, path, v, NULL, 0, 0, &d), SL_OK);
        }
    struct sl_ynode *m = sl_ymap_get(root, "m");
    assert_int_equal(m->n, 1000);
    assert_string_equal(sl_ytree_lookup(root, "m.k999")->text, "1000");
    sl_ynode_free(sl_ymap_take(m, "k0"));
    assert_int_equal(sl_ytree_parse(&srcs, "v", "7", 1, &v, &d), SL_OK);
    assert_int_equal(sl_ytree_set(root, "m.k1", v, NULL, 0, 0, &d), SL_OK);
    assert_int_equal(m->n, 999);
    assert_string_equal(sl_ytree_lookup(root, "m.k1")->text, "7");
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    free(t.s);
}

static void test_reader_error_position(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line, col;
        const char *msg;
    } cases[] = {
        {"a: 1\nb: 2\nc: 3\nd: 4\ne: 'xy\xff'\n", 5, 7, "invalid leading UTF-8 octet (byte 0xFF)"},
        /* libyaml reports a bad trailing octet at that octet (the quote). */
        {"a: 1\r\nb: 2\r\nc: '\xc3\xa9\xc3'\n", 3, 7, "invalid trailing UTF-8 octet"},
        {"a: 1\nb: \x01\n", 2, 4, "control characters are not allowed"},
        {"\xEF\xBB\xBF"
         "a: '\xfe'\n",
         1, 5, "invalid leading UTF-8 octet (byte 0xFE)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sl_diag d;
        struct sl_ynode *root;
        int rc = parse(cases[i].text, strlen(cases[i].text), &root, &d);
        if (rc != SL_EINVAL || d.line != cases[i].line || d.col != cases[i].col ||
            !strstr(d.msg, cases[i].msg))
            fail_msg("case %zu: rc %d at %d:%d: %s", i, rc, d.line, d.col, d.msg);
    }
}

static void test_merge_keys(void **state)
{
    (void)state;
    static const struct {
        const char *text, *path, *want;
    } ok[] = {
        /* Explicit keys win, wherever the merge key stands. */
        {"b: &b {x: 1, y: 2}\nm: {y: 3, <<: *b}\n", "m.x", "1"},
        {"b: &b {x: 1, y: 2}\nm: {y: 3, <<: *b}\n", "m.y", "3"},
        {"b: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\n", "m.y", "3"},
        /* Earlier mappings of a list win. */
        {"a: &a {x: 1}\nb: &b {x: 2, z: 4}\nm: {<<: [*a, *b]}\n", "m.x", "1"},
        {"a: &a {x: 1}\nb: &b {x: 2, z: 4}\nm: {<<: [*a, *b]}\n", "m.z", "4"},
        /* An inline mapping merges too; a merged mapping can itself merge. */
        {"m:\n  <<: {x: 5}\n  w: 6\n", "m.x", "5"},
        {"a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {<<: *b}\n", "m.x", "1"},
        /* An anchor inside an inline merge stays usable. */
        {"m: {<<: {x: &v 7}}\nn: *v\n", "n", "7"},
        {"m: {&k <<: {x: 1}}\nn: *k\n", "n", "<<"},
        /* Merged mappings are copies: the anchor is unchanged. */
        {"b: &b {x: 1}\nm: {<<: *b, y: 2}\nc: *b\n", "c", "<1>"},
        /* A quoted '<<' is an ordinary key. */
        {"m: {'<<': 1}\n", "m.<<", "1"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct sl_diag d;
        char got[64];
        int rc = parse_get(ok[i].text, ok[i].path, got, sizeof got, &d);
        if (rc != SL_OK || strcmp(got, ok[i].want) != 0)
            fail_msg("case %zu: rc %d '%s' (want '%s'): %s", i, rc, got, ok[i].want, d.msg);
    }
    static const struct {
        const char *text;
        int line, col;
        const char *msg;
    } bad[] = {
        {"m: {<<: 3}\n", 1, 5, "merge key '<<' expects a mapping or a list of mappings"},
        {"a: &a [1]\nm: {<<: *a}\n", 2, 5, "merge key '<<' expects"},
        {"a: &a {x: 1}\nm: {<<: [*a, 2]}\n", 2, 5, "merge key '<<' expects"},
        {"a: &a {x: 1}\nm:\n  <<: *a\n  <<: *a\n", 4, 3, "duplicate merge key '<<'"},
        {"m: {x: 1, x: 2}\n", 1, 11, "duplicate key 'x' (first given at line 1)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sl_diag d;
        char got[64];
        int rc = parse_get(bad[i].text, "m", got, sizeof got, &d);
        if (rc != SL_EINVAL || d.line != bad[i].line || d.col != bad[i].col ||
            !strstr(d.msg, bad[i].msg))
            fail_msg("bad case %zu: rc %d at %d:%d: %s", i, rc, d.line, d.col, d.msg);
    }

    /* Merges are charged like aliases: nested merges cannot blow up. */
    struct text t = {0};
    put(&t, "l0: &l0 {");
    for (int i = 0; i < 10; i++)
        put(&t, "k%d: 1, ", i);
    put(&t, "z: 1}\n");
    for (int i = 1; i < 40; i++) {
        put(&t, "l%d: &l%d {", i, i);
        for (int j = 0; j < 10; j++)
            put(&t, "m%d: {<<: *l%d}, ", j, i - 1);
        put(&t, "z: 1}\n");
    }
    struct sl_diag d;
    struct sl_ynode *root;
    double t0 = now_s();
    assert_int_equal(parse(t.s, t.len, &root, &d), SL_EINVAL);
    if (now_s() - t0 >= 2.0 * SLOW)
        fail_msg("%.2f s", now_s() - t0);
    assert_true(strstr(d.msg, "too many YAML nodes") || strstr(d.msg, "more text than the limit"));
    free(t.s);

    /* In a scenario: a shared section merged into variants' values. */
    const char *text = "fleet: &f {servers: 32, servers_per_rack: 8}\n"
                       "variants:\n"
                       "  - name: a\n"
                       "    set: {fleet: {<<: *f, servers: 64}}\n";
    char path[256];
    snprintf(path, sizeof path, "%s/s.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set, &d), SL_OK);
    assert_int_equal(set.items[0].fleet.servers, 64);
    assert_int_equal(set.items[0].fleet.servers_per_rack, 8);
    sl_scenario_set_release(&set);
}

/* Every allocation of a parse with merges and aliases may fail: the parse
 * then fails with SL_ENOMEM and frees everything. */
static void test_merge_allocation_failure(void **state)
{
    (void)state;
    const char *text = "a: &a {x: 1, y: [1, 2]}\nb: &b {z: 3}\n"
                       "m: {<<: [*a, *b], y: 4}\nn: *a\n";
    struct torture t = {-1, 0, 0};
    sl_alloc_set_hook(torture_alloc, &t);
    struct sl_diag d;
    struct sl_ynode *root;
    assert_int_equal(parse(text, strlen(text), &root, &d), SL_OK);
    long calls = t.calls;
    assert_true(calls > 10);
    for (long k = 0; k < calls; k++) {
        t.remaining = k;
        t.live = 0;
        int rc = parse(text, strlen(text), &root, &d);
        if (rc != SL_ENOMEM || t.live != 0)
            fail_msg("failing allocation %ld: rc %d, %ld blocks live", k, rc, t.live);
    }
    sl_alloc_set_hook(NULL, NULL);
}

static void test_long_numbers(void **state)
{
    (void)state;
    struct text t = {0};
    put(&t, "site:\n  grid_cap: 8.");
    for (int i = 0; i < 500; i++)
        put(&t, "0");
    put(&t, "e6 W\n");
    struct sl_diag d;
    assert_int_equal(load_file(t.s, NULL, 0, &d), SL_EINVAL);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 13);
    assert_non_null(strstr(d.msg, "a number is longer than the limit"));

    /* Just inside the limit, the exponent still counts. */
    t.len = 0;
    put(&t, "site:\n  grid_cap: 8.");
    for (int i = 0; i < (int)SL_LIMIT(SL_LIM_NUMBER_CHARS) - 4; i++)
        put(&t, "0");
    put(&t, "e6 W\n");
    char path[256];
    snprintf(path, sizeof path, "%s/s.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(t.s, f);
    fclose(f);
    struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set, &d), SL_OK);
    assert_true(set.items[0].site.grid_cap_w == 8e6);
    sl_scenario_set_release(&set);

    /* Integers too. */
    t.len = 0;
    put(&t, "fleet:\n  servers: ");
    for (int i = 0; i < 500; i++)
        put(&t, "0");
    put(&t, "8\n");
    assert_int_equal(load_file(t.s, NULL, 0, &d), SL_EINVAL);
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.msg, "a number is longer than the limit"));
    free(t.s);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/s.yaml", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_of_key_paths),
        cmocka_unit_test(test_depth_of_files_and_aliases),
        cmocka_unit_test(test_alias_bytes),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_many_overrides),
        cmocka_unit_test(test_reader_error_position),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test_teardown(test_merge_allocation_failure, restore_hook),
        cmocka_unit_test(test_long_numbers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
