/*
 * Tests for the trace readers and token laws (src/trace/) and the request
 * stream of a service (src/workload/reqgen.c).
 *
 * Readers are checked on small inputs written to a temporary folder: the
 * values land where they should (times from the first request, CRLF, BOM,
 * stable sorting of unsorted rows), every class of malformed row is
 * refused with its file:line and a message naming what was expected, and
 * with `lenient` the same rows are skipped and counted.  The stream is
 * checked exactly where it is deterministic (replay order, rate_scale and
 * tiling), and statistically elsewhere with fixed seeds: the Poisson rate
 * and CV from 1e5 arrivals (mean within 1 %, CV within 2 %), the gamma CV,
 * the diurnal ratio of peak to trough hour, window rates of a rate trace
 * and the empirical law's mean.  The real traces of ../shared/data are read
 * when present (row counts as published), else skipped (failed under
 * CI=true, tests/shared_data.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared_data.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/scenario.h"
#include "suanli/trace.h"
#include "test_util.h"
#include "torture.h"
#include "workload/reqgen.h"

#define PI 3.14159265358979323846

static char tmp_dir[256];

static const char *put(const char *name, const char *text)
{
    return test_write_file(tmp_dir, name, text);
}

/* Reads text as a file of the given format; expects SL_OK. */
static void read_ok(const char *text, int format, int lenient, struct sl_trace *t)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    const char *p = put("t.txt", text);
    int rc = sl_trace_read(p, format, lenient, t, &d);
    if (rc != SL_OK) {
        char buf[2000];
        print_error("unexpected error: %s\n", sl_diag_format(&d, buf, sizeof buf));
    }
    assert_int_equal(rc, SL_OK);
}

/* Reads text expecting SL_EINVAL at line (0: any) with want in the message. */
static void read_bad(const char *text, int format, int line, const char *want)
{
    struct sl_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    const char *p = put("t.txt", text);
    int rc = sl_trace_read(p, format, 0, &t, &d);
    char buf[2000];
    sl_diag_format(&d, buf, sizeof buf);
    if (rc != SL_EINVAL || (line && d.line != line) || !strstr(d.msg, want))
        print_error("input:\n%s\ngot rc %d: %s\nwant line %d and '%s'\n", text, rc, buf, line,
                    want);
    assert_int_equal(rc, SL_EINVAL);
    if (line)
        assert_int_equal(d.line, line);
    assert_non_null(strstr(d.msg, want));
    assert_non_null(strstr(d.file, "t.txt"));
    assert_null(t.req);
    assert_null(t.path);
}

/* ---- Azure ------------------------------------------------------------- */

static void test_azure_rows(void **state)
{
    (void)state;
    struct sl_trace t;
    read_ok("\xEF\xBB\xBFTIMESTAMP,ContextTokens,GeneratedTokens\r\n"
            "2023-11-16 18:17:03.9799600,4321,12\r\n"
            "2023-11-16 18:17:04.0319600,2222,6\r\n"
            "\r\n"
            "2023-11-16 18:17:03.5,100,1\r\n"
            "2023-11-16 18:17:04.0319600,7,9\r\n"
            "2023-11-17 00:00:00,1,2",
            SL_TRACE_AUTO, 0, &t);
    assert_int_equal(t.format, SL_TRACE_AZURE);
    assert_int_equal(t.n_req, 5);
    /* Sorted: the 03.5 row first; the two rows at 04.03196 keep file order. */
    assert_int_equal(t.req[0].t_us, 0);
    assert_int_equal(t.req[0].prompt, 100);
    assert_int_equal(t.req[1].t_us, 479960);
    assert_int_equal(t.req[1].prompt, 4321);
    assert_int_equal(t.req[1].output, 12);
    assert_int_equal(t.req[2].t_us, 531960);
    assert_int_equal(t.req[2].prompt, 2222);
    assert_int_equal(t.req[3].t_us, 531960);
    assert_int_equal(t.req[3].prompt, 7);
    /* Across midnight: 5 h 42 min 56.5 s after the first. */
    assert_int_equal(t.req[4].t_us, INT64_C(20576500000));
    assert_int_equal(t.span_us, INT64_C(20576500000));
    assert_int_equal(t.req[4].hash_n, 0);
    assert_int_equal(t.skipped, 0);
    assert_string_equal(t.path + strlen(t.path) - 5, "t.txt");
    sl_trace_release(&t);
    assert_null(t.req);

    /* Zones (the Azure trace of 2024 writes +00:00): 10:00+02:00 is
     * 08:00Z. */
    read_ok("TIMESTAMP,ContextTokens,GeneratedTokens\n"
            "2024-05-10 08:00:00.009930+00:00,5,1\n"
            "2024-05-10 10:00:01+02:00,6,1\n"
            "2024-05-10T07:59:59.5-00:00,7,1\n"
            "2024-05-10 08:00:02Z,8,1\n",
            SL_TRACE_AUTO, 0, &t);
    assert_int_equal(t.n_req, 4);
    assert_int_equal(t.req[0].prompt, 7);
    assert_int_equal(t.req[1].t_us, 509930);
    assert_int_equal(t.req[2].t_us, 1500000);
    assert_int_equal(t.req[2].prompt, 6);
    assert_int_equal(t.req[3].t_us, 2500000);
    sl_trace_release(&t);

    /* Columns in another order, an extra column, a T separator. */
    read_ok("GeneratedTokens,x,TIMESTAMP,ContextTokens\n5,a,2023-01-01T00:00:01,6\n",
            SL_TRACE_AZURE, 0, &t);
    assert_int_equal(t.n_req, 1);
    assert_int_equal(t.req[0].prompt, 6);
    assert_int_equal(t.req[0].output, 5);
    sl_trace_release(&t);
}

static void test_azure_errors(void **state)
{
    (void)state;
    const char *h = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
    static const struct {
        const char *rows;
        int line;
        const char *want;
    } cases[] = {
        {"2023-11-16 18:17:03,10\n", 2, "2 comma-separated fields (expected 3"},
        {"2023-11-16 18:17:03,10,1,4\n", 2, "4 comma-separated fields"},
        {"\n\n2023-13-16 18:17:03,10,1\n", 4, "not a valid date"},
        {"2023-02-29 18:17:03,10,1\n", 2, "not a valid date"},
        {"2023-11-16 24:00:00,10,1\n", 2, "not a valid date"},
        {"16/11/2023 18:17,10,1\n", 2, "expected YYYY-MM-DD"},
        {"2023-11-16 18:17:03.,10,1\n", 2, "expected YYYY-MM-DD"},
        {"2023-11-16 18:17:03+0100,10,1\n", 2, "expected YYYY-MM-DD"},
        {"2023-11-16 18:17:03+15:00,10,1\n", 2, "not a valid date"},
        {"2023-11-16 18:17:03,-5,1\n", 2, "ContextTokens '-5' is negative"},
        {"2023-11-16 18:17:03,5,0\n", 2, "GeneratedTokens is 0"},
        {"2023-11-16 18:17:03,1.5,1\n", 2, "not a whole number"},
        {"2023-11-16 18:17:03,99999999,1\n", 2, "larger than the limit"},
        {"2023-11-16 18:17:03,abc,1\n", 2, "not a number"},
        {"2023-11-16 18:17:03,nan,1\n", 2, "not a number"},
        {"2023-11-16 18:17:03,inf,1\n", 2, "not a number"},
        {"2023-11-16 18:17:03,1e999,1\n", 2, "larger than the limit"},
        {"2023-11-16 18:17:03,,1\n", 2, "ContextTokens is empty"},
        {"2023-11-16 18:17:03,5,1\n2023-11-16 18:17:04,5,x\n", 3, "GeneratedTokens 'x'"},
    };
    char text[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "%s%s", h, cases[i].rows);
        read_bad(text, SL_TRACE_AZURE, cases[i].line, cases[i].want);
    }
    read_bad("TIMESTAMP,ContextTokens\n2023-11-16 18:17:03,5\n", SL_TRACE_AZURE, 1,
             "lacks the column GeneratedTokens");
    read_bad("", SL_TRACE_AZURE, 0, "empty");
    read_bad("\n  \n", SL_TRACE_AZURE, 0, "empty");
    read_bad(h, SL_TRACE_AZURE, 0, "no requests");
    read_bad("\xFF\xFEhello", SL_TRACE_AUTO, 1, "UTF-16");
}

static void test_azure_lenient(void **state)
{
    (void)state;
    struct sl_trace t;
    read_ok("TIMESTAMP,ContextTokens,GeneratedTokens\n"
            "2023-11-16 18:17:03,10,1\n"
            "2023-11-16 18:17:04,0,1\n"
            "garbage\n"
            "2023-11-16 18:17:05,10,-1\n"
            "2023-11-16 18:17:06,20,2\n",
            SL_TRACE_AZURE, 1, &t);
    assert_int_equal(t.n_req, 2);
    assert_int_equal(t.skipped, 3);
    assert_int_equal(t.req[1].t_us, 3000000);
    sl_trace_release(&t);
    /* Nothing valid left is still an error. */
    struct sl_diag d;
    sl_diag_clear(&d);
    const char *p = put("t.txt", "TIMESTAMP,ContextTokens,GeneratedTokens\nx,1,1\n");
    assert_int_equal(sl_trace_read(p, SL_TRACE_AZURE, 1, &t, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "1 malformed rows skipped"));
}

/* ---- Mooncake ---------------------------------------------------------- */

static void test_mooncake_rows(void **state)
{
    (void)state;
    struct sl_trace t;
    read_ok("{\"timestamp\": 3000, \"input_length\": 1024, \"output_length\": 5, "
            "\"hash_ids\": [7, 8]}\n"
            "{\"timestamp\": 1000, \"input_length\": 600, \"output_length\": 50, "
            "\"hash_ids\": [1, 2, 4294967295], \"note\": \"a \\\"b\\\" \\u00e9\", "
            "\"x\": [true, null, -1.5e3]}\n"
            "\n"
            "{ \"output_length\" : 3 , \"input_length\" : 2 , \"timestamp\" : 1000.5 }\n",
            SL_TRACE_AUTO, 0, &t);
    assert_int_equal(t.format, SL_TRACE_MOONCAKE);
    assert_int_equal(t.n_req, 3);
    assert_int_equal(t.n_hash, 5);
    assert_int_equal(t.req[0].t_us, 0);
    assert_int_equal(t.req[0].prompt, 600);
    assert_int_equal(t.req[0].hash_n, 3);
    assert_int_equal(t.hash[t.req[0].hash_first + 2], 4294967295u);
    assert_int_equal(t.req[1].t_us, 500);
    assert_int_equal(t.req[1].hash_n, 0);
    assert_int_equal(t.req[2].t_us, 2000000);
    assert_int_equal(t.req[2].hash_n, 2);
    assert_int_equal(t.hash[t.req[2].hash_first], 7);
    assert_int_equal(t.span_us, 2000000);
    sl_trace_release(&t);
}

static void test_mooncake_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *want;
    } cases[] = {
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1,}\n", 1,
         "expected a string"},
        {"{\"timestamp\": 0, \"input_length\": 1}\n", 1, "lacks the key \"output_length\""},
        {"{\"timestamp\": 0, \"timestamp\": 1, \"input_length\": 1, \"output_length\": 1}\n", 1,
         "appears twice"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"m\": {}}\n", 1,
         "nested object"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [-1]}\n", 1,
         "hash id"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1.5]}\n", 1,
         "hash id"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": 3}\n", 1,
         "not an array"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1} x\n", 1,
         "text after the object"},
        {"{\"timestamp\": 0, \"input_length\": \"1\", \"output_length\": 1}\n", 1,
         "\"input_length\" is not a number"},
        {"{\"timestamp\": -1, \"input_length\": 1, \"output_length\": 1}\n", 1, "negative"},
        {"{\"timestamp\": 0, \"input_length\": 0, \"output_length\": 1}\n", 1, "integer >= 1"},
        {"{\"timestamp\": 0, \"input_length\": 2.5, \"output_length\": 1}\n", 1, "integer >= 1"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1e9}\n", 1, "limit"},
        {"{\"timestamp\": 01, \"input_length\": 1, \"output_length\": 1}\n", 1, "expected ','"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"s\": \"a\\q\"}\n", 1,
         "bad escape"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"s\": \"abc}\n", 1,
         "closing quote"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1\n", 1, "expected ','"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n[1]\n", 2,
         "a JSON object"},
        {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n\n{\"timestamp\": 0, "
         "\"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1,]}\n",
         3, "expected a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        read_bad(cases[i].text, SL_TRACE_MOONCAKE, cases[i].line, cases[i].want);
    read_bad("", SL_TRACE_MOONCAKE, 0, "empty");

    /* Lenient: a skipped row leaves no hash ids behind. */
    struct sl_trace t;
    read_ok("{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1, 2, "
            "x]}\n"
            "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [9]}\n",
            SL_TRACE_MOONCAKE, 1, &t);
    assert_int_equal(t.n_req, 1);
    assert_int_equal(t.skipped, 1);
    assert_int_equal(t.n_hash, 1);
    assert_int_equal(t.hash[0], 9);
    sl_trace_release(&t);
}

/* Files much larger than the reader's 64 KB chunks, with lines across
 * every chunk boundary and one line of ~190 KB (30,000 hash ids), read
 * exactly. */
static void test_chunk_boundaries(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/big.jsonl", tmp_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int rows = 3000;
    for (int i = 0; i < rows; i++) {
        int nh = i == 1234 ? 30000 : i % 97;
        fprintf(f,
                "{\"timestamp\": %d, \"input_length\": %d, \"output_length\": %d, "
                "\"hash_ids\": [",
                i * 7, i + 1, i % 13 + 1);
        for (int h = 0; h < nh; h++)
            fprintf(f, "%s%d", h ? ", " : "", i * 100000 + h);
        fputs(i % 2 ? "]}\r\n" : "]}\n", f);
    }
    fclose(f);
    struct sl_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(path, SL_TRACE_AUTO, 0, &t, &d), SL_OK);
    assert_int_equal(t.n_req, (size_t)rows);
    size_t total = 0;
    for (int i = 0; i < rows; i++) {
        const struct sl_trace_req *q = &t.req[i];
        uint32_t nh = i == 1234 ? 30000 : (uint32_t)(i % 97);
        assert_int_equal(q->t_us, (int64_t)i * 7000);
        assert_int_equal(q->prompt, i + 1);
        assert_int_equal(q->output, i % 13 + 1);
        assert_int_equal(q->hash_n, nh);
        if (nh)
            assert_int_equal(t.hash[q->hash_first + nh - 1], (uint32_t)(i * 100000) + nh - 1);
        total += nh;
    }
    assert_int_equal(t.n_hash, total);
    sl_trace_release(&t);

    /* An error far into a large file names its line. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("TIMESTAMP,ContextTokens,GeneratedTokens\r\n", f);
    for (int i = 0; i < 50000; i++)
        fprintf(f, "2023-11-16 18:%02d:%02d.%07d,%d,%d\r\n", i / 3600 % 60, i / 60 % 60, i % 60,
                i % 5000 + 1, i % 300 + 1);
    fputs("2023-11-16 18:00:00,5,0\r\n", f);
    fclose(f);
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(path, SL_TRACE_AUTO, 0, &t, &d), SL_EINVAL);
    assert_int_equal(d.line, 50002);
    assert_non_null(strstr(d.msg, "GeneratedTokens is 0"));
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(path, SL_TRACE_AUTO, 1, &t, &d), SL_OK);
    assert_int_equal(t.n_req, 50000);
    assert_int_equal(t.skipped, 1);
    sl_trace_release(&t);
    unlink(path);
}

/* ---- ServeGen ---------------------------------------------------------- */

static void test_servegen_file(void **state)
{
    (void)state;
    struct sl_trace t;
    read_ok("600,0,0,,0,0\n"
            "0,1.5,2.0,Gamma,0.25,0.5\n"
            "1200,0.25,1.1,Weibull,0.9,3.0\n"
            "1800,2,1,,0,0\n",
            SL_TRACE_AUTO, 0, &t);
    assert_int_equal(t.format, SL_TRACE_SERVEGEN);
    assert_int_equal(t.n_clients, 1);
    assert_int_equal(t.n_windows, 4);
    assert_int_equal(t.window_first[0], 0);
    assert_int_equal(t.window_first[1], 4);
    assert_int_equal(t.window_us, 600000000);
    assert_int_equal(t.windows[0].t_us, 0);
    assert_int_equal(t.windows[0].dist, 1);
    assert_true(t.windows[0].shape == 0.25);
    assert_int_equal(t.windows[1].dist, 0);
    assert_int_equal(t.windows[2].dist, 2);
    assert_int_equal(t.windows[3].dist, 3);
    assert_int_equal(t.n_req, 0);
    sl_trace_release(&t);

    static const struct {
        const char *text;
        int line;
        const char *want;
    } cases[] = {
        {"0,1,1,Gamma,1\n", 1, "5 comma-separated fields (expected 6"},
        {"0,1,1,Pareto,1,1\n", 1, "dist is not a known law"},
        {"0,1,1,Gamma,0,1\n", 1, "Gamma shape"},
        {"0,1,1,Weibull,0.01,1\n", 1, "Weibull shape"},
        {"0,1,1,Gamma,1,0\n", 1, "scale is 0"},
        {"0,0,0,,0,0\n600,-1,1,Gamma,1,1\n", 2, "rate_rps '-1' is negative"},
        {"0,x,1,Gamma,1,1\n", 1, "rate_rps 'x' is not a number"},
        {"0,2e6,1,Gamma,1,1\n", 1, "rate limit"},
        {"0,1,nan,Gamma,1,1\n", 1, "cv 'nan'"},
        {"0,1,1,Gamma,1,1\n0,1,1,Gamma,1,1\n", 0, "two windows start at 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        read_bad(cases[i].text, SL_TRACE_SERVEGEN, cases[i].line, cases[i].want);
}

/* A day of 600 s windows whose total rate is 10 (1 + 0.3 cos) peaking at
 * 14:00, split over two clients: the summary finds the cosine back. */
static void test_servegen_harmonic(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/harm", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    static char a[20000], b[20000];
    a[0] = b[0] = '\0';
    for (int k = 0; k < 144; k++) {
        double mid = (k + 0.5) * 600;
        double r = 10 * (1 + 0.3 * cos(2 * PI * (mid - 14 * 3600) / 86400));
        char row[128];
        snprintf(row, sizeof row, "%d,%.17g,1,,0,0\n", k * 600, 0.25 * r);
        strcat(a, row);
        snprintf(row, sizeof row, "%d,%.17g,1,,0,0\n", k * 600, 0.75 * r);
        strcat(b, row);
    }
    test_write_file(dir, "a-trace.csv", a);
    test_write_file(dir, "b-trace.csv", b);
    struct sl_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(dir, SL_TRACE_AUTO, 0, &t, &d), SL_OK);
    struct sl_trace_stats st;
    sl_trace_stats(&t, &st);
    assert_int_equal(st.n, 288);
    assert_close(st.span_s, 86400, 1e-12);
    assert_close(st.rate, 10, 1e-12);
    assert_close(st.diurnal, 0.3, 1e-9);
    assert_close(st.peak_time_s, 14 * 3600, 1e-9);
    sl_trace_release(&t);
    char p[600];
    snprintf(p, sizeof p, "%s/a-trace.csv", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/b-trace.csv", dir);
    unlink(p);
    rmdir(dir);
}

static void test_servegen_folder(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sg", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    test_write_file(dir, "b-trace.csv", "0,1,1,,0,0\n600,2,1,,0,0\n1200,3,1,,0,0\n");
    test_write_file(dir, "a-trace.csv", "0,5,1,,0,0\n");
    test_write_file(dir, "a-dataset.json", "{}");
    struct sl_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(dir, SL_TRACE_AUTO, 0, &t, &d), SL_OK);
    assert_int_equal(t.format, SL_TRACE_SERVEGEN);
    assert_int_equal(t.n_clients, 2);
    assert_int_equal(t.window_first[1], 1);
    assert_int_equal(t.window_first[2], 4);
    assert_true(t.windows[0].rate == 5);
    assert_int_equal(t.window_us, 600000000);
    sl_trace_release(&t);
    /* A folder is not an Azure trace. */
    assert_int_equal(sl_trace_read(dir, SL_TRACE_AZURE, 0, &t, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "folder"));
    /* A bad client file names itself. */
    const char *bad = test_write_file(dir, "c-trace.csv", "0,1,1,,0,0\n0,1\n");
    char want[600];
    snprintf(want, sizeof want, "%s", bad);
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(dir, SL_TRACE_AUTO, 0, &t, &d), SL_EINVAL);
    assert_string_equal(d.file, want);
    assert_int_equal(d.line, 2);
    unlink(want);
    snprintf(want, sizeof want, "%s/a-trace.csv", dir);
    unlink(want);
    snprintf(want, sizeof want, "%s/b-trace.csv", dir);
    unlink(want);
    snprintf(want, sizeof want, "%s/a-dataset.json", dir);
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(dir, SL_TRACE_AUTO, 0, &t, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "no *-trace.csv"));
    unlink(want);
    rmdir(dir);
}

static void test_detect_and_files(void **state)
{
    (void)state;
    read_bad("hello world\n", SL_TRACE_AUTO, 1, "cannot tell the trace format");
    read_bad("", SL_TRACE_AUTO, 0, "empty");
    read_bad("\n \r\n", SL_TRACE_AUTO, 0, "empty");
    struct sl_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    char path[512];
    snprintf(path, sizeof path, "%s/no-such.csv", tmp_dir);
    assert_int_equal(sl_trace_read(path, SL_TRACE_AUTO, 0, &t, &d), SL_ENOENT);
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read("/dev/null", SL_TRACE_AUTO, 0, &t, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "not a regular file"));
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(path, 99, 0, &t, &d), SL_EINVAL);
    assert_string_equal(sl_trace_format_names[SL_TRACE_MOONCAKE], "mooncake");
    assert_null(sl_trace_format_names[SL_TRACE_FORMAT_COUNT]);
}

/* ---- Token laws -------------------------------------------------------- */

static void test_tokdist(void **state)
{
    (void)state;
    struct sl_tokdist t;
    char err[300];
    assert_int_equal(sl_tokdist_parse(" 512 ", &t, err, sizeof err), SL_OK);
    assert_int_equal(t.kind, SL_TOK_FIXED);
    assert_true(t.value == 512 && t.min == 512 && t.max == 512);
    assert_int_equal(sl_tokdist_parse("lognormal(6.5, 1.1)", &t, err, sizeof err), SL_OK);
    assert_int_equal(t.kind, SL_TOK_LOGNORMAL);
    assert_true(t.mu == 6.5 && t.sigma == 1.1 && t.min == 1);
    assert_true(t.max == SL_LIMIT(SL_LIM_TRACE_TOKENS));
    assert_int_equal(
        sl_tokdist_parse("LogNormal( 6.5 ,1.1 , max=32768, min = 4 )", &t, err, sizeof err), SL_OK);
    assert_true(t.max == 32768 && t.min == 4);
    assert_int_equal(sl_tokdist_parse("trace", &t, err, sizeof err), SL_OK);
    assert_int_equal(t.kind, SL_TOK_TRACE);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"", "empty"},
        {"0", "from 1 to"},
        {"12.5", "from 1 to"},
        {"99999999999", "from 1 to"},
        {"512 tokens", "not a token count"},
        {"normal(1, 2)", "unknown token law"},
        {"lognormal 6.5, 1.1", "expected '('"},
        {"lognormal(6.5)", "SIGMA"},
        {"lognormal(x, 1)", "MU"},
        {"lognormal(-1, 1)", "MU -1 is outside"},
        {"lognormal(6.5, 9)", "SIGMA 9 is outside"},
        {"lognormal(6.5, 1.1, max=0)", "max= must be"},
        {"lognormal(6.5, 1.1, cap=5)", "expected min=N or max=N"},
        {"lognormal(6.5, 1.1, max=5, max=6)", "given twice"},
        {"lognormal(6.5, 1.1, min=50, max=5)", "above max"},
        {"lognormal(6.5, 1.1) x", "text after"},
        {"lognormal(6.5, 1.1", "expected ',' or ')'"},
        {"trace(1)", "unknown token law"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = sl_tokdist_parse(bad[i].text, &t, err, sizeof err);
        if (rc != SL_EINVAL || !strstr(err, bad[i].want))
            print_error("'%s': got %d '%s', want '%s'\n", bad[i].text, rc, err, bad[i].want);
        assert_int_equal(rc, SL_EINVAL);
        assert_non_null(strstr(err, bad[i].want));
    }
}

/* ---- Request stream ---------------------------------------------------- */

static struct sl_request_cfg gen_cfg(int arrival, double rate, double cv)
{
    struct sl_request_cfg c;
    memset(&c, 0, sizeof c);
    c.rate_scale = 1;
    c.arrival = arrival;
    c.rate = rate;
    c.cv = cv;
    static char prompt[] = "512", output[] = "lognormal(5, 1, max=4096)";
    c.prompt_tokens = prompt;
    c.output_tokens = output;
    return c;
}

static void init_ok(struct sl_reqgen *g, const struct sl_request_cfg *c,
                    const struct sl_service_res *res, uint64_t seed, int64_t tod_us)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_reqgen_init(g, c, res, "chat", seed, tod_us, &d);
    if (rc != SL_OK)
        print_error("reqgen: %s\n", d.msg);
    assert_int_equal(rc, SL_OK);
}

/* Mean and CV of n inter-arrival gaps (s). */
static void gap_stats(struct sl_reqgen *g, int n, double *mean, double *cv)
{
    struct sl_request r;
    double s = 0, s2 = 0;
    int64_t prev = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(sl_reqgen_next(g, &r), 1);
        assert_true(r.t_us >= prev);
        double x = (double)(r.t_us - prev) / 1e6;
        s += x;
        s2 += x * x;
        prev = r.t_us;
    }
    *mean = s / n;
    *cv = sqrt(s2 / n - *mean * *mean) / *mean;
}

static void test_reqgen_poisson(void **state)
{
    (void)state;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 20, 0);
    struct sl_reqgen g;
    init_ok(&g, &c, NULL, 1, 0);
    assert_int_equal(g.mode, SL_REQGEN_GENERATED);
    assert_close(sl_reqgen_mean_rate(&g), 20, 1e-12);
    double mean, cv;
    gap_stats(&g, 100000, &mean, &cv);
    assert_close(mean, 0.05, 0.01);
    assert_close(cv, 1.0, 0.02);
    sl_reqgen_release(&g);
}

static void test_reqgen_gamma(void **state)
{
    (void)state;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_GAMMA, 5, 2.0);
    struct sl_reqgen g;
    init_ok(&g, &c, NULL, 2, 0);
    double mean, cv;
    gap_stats(&g, 200000, &mean, &cv);
    assert_close(mean, 0.2, 0.01);
    assert_close(cv, 2.0, 0.02);
    sl_reqgen_release(&g);
    c.cv = 0.5;
    init_ok(&g, &c, NULL, 3, 0);
    gap_stats(&g, 100000, &mean, &cv);
    assert_close(mean, 0.2, 0.01);
    assert_close(cv, 0.5, 0.02);
    sl_reqgen_release(&g);
}

static void test_reqgen_diurnal(void **state)
{
    (void)state;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 10, 0);
    c.diurnal = 0.5;
    c.peak_time_us = INT64_C(14) * 3600000000;
    struct sl_reqgen g;
    /* The run starts at 06:00 local: hour h of the day is at run time
     * (h - 6) mod 24 h. */
    init_ok(&g, &c, NULL, 4, INT64_C(6) * 3600000000);
    double per_hour[24] = {0};
    struct sl_request r;
    int days = 20;
    int64_t end_us = (int64_t)days * 86400000000;
    size_t n = 0;
    while (sl_reqgen_next(&g, &r) && r.t_us < end_us) {
        int hour = (int)(((r.t_us / 3600000000) + 6) % 24);
        per_hour[hour] += 1;
        n++;
    }
    /* The mean rate is kept; the two hours around the peak over the two
     * around the trough are (1 + 0.5 s) / (1 - 0.5 s). */
    assert_close((double)n / (days * 86400.0), 10, 0.005);
    /* Hours [13, 14) and [14, 15) straddle the peak, where the mean of the
     * cosine is sin(pi / 12) / (pi / 12). */
    double peak = per_hour[13] + per_hour[14], trough = per_hour[1] + per_hour[2];
    double s = sin(PI / 12) / (PI / 12);
    assert_close(peak / trough, (1 + 0.5 * s) / (1 - 0.5 * s), 0.02);
    sl_reqgen_release(&g);
}

static void test_reqgen_replay(void **state)
{
    (void)state;
    struct sl_trace t;
    read_ok("{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n"
            "{\"timestamp\": 1, \"input_length\": 20, \"output_length\": 2, \"hash_ids\": [2]}\n"
            "{\"timestamp\": 3, \"input_length\": 30, \"output_length\": 3, \"hash_ids\": [3]}\n",
            SL_TRACE_MOONCAKE, 0, &t);
    struct sl_service_res res;
    memset(&res, 0, sizeof res);
    res.trace = &t;
    struct sl_request_cfg c;
    memset(&c, 0, sizeof c);
    c.rate_scale = 1;
    struct sl_reqgen g;
    init_ok(&g, &c, &res, 1, 0);
    assert_int_equal(g.mode, SL_REQGEN_REPLAY);
    struct sl_request r;
    static const int64_t at1[] = {0, 1000, 3000};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sl_reqgen_next(&g, &r), 1);
        assert_int_equal(r.t_us, at1[i]);
        assert_int_equal(r.prompt, 10 * (i + 1));
        assert_int_equal(r.output, i + 1);
        assert_int_equal(r.hash_n, 1);
        assert_int_equal(t.hash[r.hash_first], i + 1);
    }
    assert_int_equal(sl_reqgen_next(&g, &r), 0);
    assert_int_equal(sl_reqgen_next(&g, &r), 0);
    sl_reqgen_release(&g);

    /* Tiled at twice the pace: period 3000 + 1500 us, halved. */
    c.tile = 1;
    c.rate_scale = 2;
    init_ok(&g, &c, &res, 1, 0);
    assert_close(sl_reqgen_mean_rate(&g), 3 / 0.0045 * 2, 1e-12);
    static const int64_t at2[] = {0, 500, 1500, 2250, 2750, 3750, 4500};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(sl_reqgen_next(&g, &r), 1);
        assert_int_equal(r.t_us, at2[i]);
        assert_int_equal(r.tile, (uint32_t)(i / 3));
        assert_int_equal(r.prompt, 10 * (i % 3 + 1));
    }
    sl_reqgen_release(&g);

    /* Laws replace the rows' lengths (and their hash blocks). */
    c.prompt_tokens = SL_TEXT("100");
    init_ok(&g, &c, &res, 1, 0);
    assert_int_equal(sl_reqgen_next(&g, &r), 1);
    assert_int_equal(r.prompt, 100);
    assert_int_equal(r.output, 1);
    assert_int_equal(r.hash_n, 0);
    sl_reqgen_release(&g);
    sl_trace_release(&t);
}

static void test_reqgen_empirical(void **state)
{
    (void)state;
    struct sl_trace t;
    read_ok("TIMESTAMP,ContextTokens,GeneratedTokens\n"
            "2023-11-16 18:00:00,100,1\n"
            "2023-11-16 18:00:01,200,2\n"
            "2023-11-16 18:00:02,600,6\n"
            "2023-11-16 18:00:03,1100,11\n",
            SL_TRACE_AZURE, 0, &t);
    struct sl_tokdist law;
    char err[200];
    assert_int_equal(sl_tokdist_parse("trace", &law, err, sizeof err), SL_OK);
    assert_close(sl_tokdist_mean(&law, &t, 0), 500, 1e-12);
    assert_close(sl_tokdist_mean(&law, &t, 1), 5, 1e-12);
    struct sl_trace_stats st;
    sl_trace_stats(&t, &st);
    assert_int_equal(st.n, 4);
    assert_close(st.rate, 1.0, 1e-12);
    assert_close(st.gap_cv, 0.0, 1e-12);
    assert_close(st.prompt_mean, 500, 1e-12);
    assert_int_equal(st.prompt_max, 1100);
    double mu = (log(100) + log(200) + log(600) + log(1100)) / 4;
    assert_close(st.prompt_mu, mu, 1e-12);
    double v = (pow(log(100) - mu, 2) + pow(log(200) - mu, 2) + pow(log(600) - mu, 2) +
                pow(log(1100) - mu, 2)) /
               3;
    assert_close(st.prompt_sigma, sqrt(v), 1e-12);
    struct sl_service_res res;
    memset(&res, 0, sizeof res);
    res.trace = &t;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 1, 0);
    c.prompt_tokens = SL_TEXT("trace");
    c.output_tokens = SL_TEXT("trace");
    c.tile = 1;
    struct sl_reqgen g;
    init_ok(&g, &c, &res, 9, 0);
    struct sl_request r;
    double s = 0;
    int n = 100000;
    for (int i = 0; i < n; i++) {
        assert_int_equal(sl_reqgen_next(&g, &r), 1);
        assert_int_equal(r.prompt, 100 * r.output); /* one row gives both */
        s += r.prompt;
    }
    assert_close(s / n, 500, 0.01);
    sl_reqgen_release(&g);
    sl_trace_release(&t);

    /* `trace` without a request trace is refused, and so are missing laws. */
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_reqgen_init(&g, &c, NULL, "chat", 1, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "`trace`"));
    c.prompt_tokens = NULL;
    c.output_tokens = SL_TEXT("5");
    sl_diag_clear(&d);
    assert_int_equal(sl_reqgen_init(&g, &c, NULL, "chat", 1, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "prompt_tokens"));
    c.prompt_tokens = SL_TEXT("lognormal(1)");
    sl_diag_clear(&d);
    assert_int_equal(sl_reqgen_init(&g, &c, NULL, "chat", 1, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "requests.prompt_tokens"));
    c.prompt_tokens = SL_TEXT("5");
    c.rate = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_reqgen_init(&g, &c, NULL, "chat", 1, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "requests.rate"));
}

static void test_reqgen_lognormal_law(void **state)
{
    (void)state;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 1, 0);
    c.prompt_tokens = SL_TEXT("lognormal(6.5, 1.1, max=2000, min=50)");
    struct sl_reqgen g;
    init_ok(&g, &c, NULL, 5, 0);
    struct sl_request r;
    double s = 0;
    int n = 100000, at_max = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(sl_reqgen_next(&g, &r), 1);
        assert_true(r.prompt >= 50 && r.prompt <= 2000);
        assert_true(r.output >= 1 && r.output <= 4096);
        at_max += r.prompt == 2000;
        s += log(r.output);
    }
    /* P(X > 2000) = P(Z > (ln 2000 - 6.5) / 1.1) = 0.157. */
    assert_close((double)at_max / n, 0.1571, 0.05);
    assert_close(s / n, 5.0, 0.01);
    /* The clipped law's mean, by formula and by sampling (rounding moves it
     * by less than half a token). */
    struct sl_tokdist law;
    char err[200];
    assert_int_equal(
        sl_tokdist_parse("lognormal(6.5, 1.1, max=2000, min=50)", &law, err, sizeof err), SL_OK);
    double m = sl_tokdist_mean(&law, NULL, 0);
    sl_reqgen_release(&g);
    init_ok(&g, &c, NULL, 6, 0);
    double sp = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(sl_reqgen_next(&g, &r), 1);
        sp += r.prompt;
    }
    assert_close(sp / n, m, 0.01);
    assert_true(m > 700 && m < 1000);
    /* Unclipped, the lognormal mean exp(mu + sigma^2 / 2). */
    assert_int_equal(sl_tokdist_parse("lognormal(5, 1)", &law, err, sizeof err), SL_OK);
    assert_close(sl_tokdist_mean(&law, NULL, 0), exp(5.5), 1e-9);
    assert_int_equal(sl_tokdist_parse("lognormal(5, 0, min=200)", &law, err, sizeof err), SL_OK);
    assert_close(sl_tokdist_mean(&law, NULL, 0), 200, 1e-12);
    assert_int_equal(sl_tokdist_parse("77", &law, err, sizeof err), SL_OK);
    assert_close(sl_tokdist_mean(&law, NULL, 0), 77, 1e-12);
    assert_int_equal(sl_tokdist_parse("trace", &law, err, sizeof err), SL_OK);
    assert_close(sl_tokdist_mean(&law, NULL, 1), 0, 1e-12);
    sl_reqgen_release(&g);
}

static void test_reqgen_determinism(void **state)
{
    (void)state;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_GAMMA, 3, 1.7);
    c.diurnal = 0.3;
    struct sl_reqgen a, b;
    init_ok(&a, &c, NULL, 42, 3600000000);
    init_ok(&b, &c, NULL, 42, 3600000000);
    struct sl_request ra, rb;
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(sl_reqgen_next(&a, &ra), 1);
        assert_int_equal(sl_reqgen_next(&b, &rb), 1);
        assert_memory_equal(&ra, &rb, sizeof ra);
    }
    sl_reqgen_release(&b);
    /* Another seed, another stream; another output law, the same arrivals
     * and prompts. */
    init_ok(&b, &c, NULL, 43, 3600000000);
    assert_int_equal(sl_reqgen_next(&b, &rb), 1);
    sl_reqgen_release(&a);
    init_ok(&a, &c, NULL, 42, 3600000000);
    assert_int_equal(sl_reqgen_next(&a, &ra), 1);
    assert_true(ra.t_us != rb.t_us);
    sl_reqgen_release(&b);
    c.output_tokens = SL_TEXT("lognormal(3, 0.5)");
    init_ok(&b, &c, NULL, 42, 3600000000);
    assert_int_equal(sl_reqgen_next(&b, &rb), 1);
    assert_int_equal(ra.t_us, rb.t_us);
    assert_int_equal(ra.prompt, rb.prompt);
    sl_reqgen_release(&a);
    sl_reqgen_release(&b);
}

static void test_reqgen_rates(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/rates", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    /* Two clients over one hour of 600 s windows (the last one has rate 0
     * so the trace's period is 3600 s). */
    char a[512] = "", b[512] = "";
    for (int w = 0; w < 6; w++) {
        char row[128];
        snprintf(row, sizeof row, "%d,%g,2.0,Gamma,0.25,0.01\n", w * 600,
                 w == 5 ? 0.0 : 2.0 * (w + 1));
        strcat(a, row);
        snprintf(row, sizeof row, "%d,%g,0.8,Weibull,1.3,5\n", w * 600, w == 2 ? 0.0 : 3.0);
        strcat(b, row);
    }
    test_write_file(dir, "a-trace.csv", a);
    test_write_file(dir, "b-trace.csv", b);
    struct sl_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_trace_read(dir, SL_TRACE_AUTO, 0, &t, &d), SL_OK);
    struct sl_service_res res;
    memset(&res, 0, sizeof res);
    res.trace = &t;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 0, 0);
    c.tile = 1;
    struct sl_reqgen g;
    init_ok(&g, &c, &res, 7, 0);
    assert_int_equal(g.mode, SL_REQGEN_RATES);
    /* a: (2 + 4 + 6 + 8 + 10) / 6, b: 5 * 3 / 6 req/s. */
    assert_close(sl_reqgen_mean_rate(&g), 7.5, 1e-12);
    double count[2][6] = {{0}};
    struct sl_request r;
    int64_t prev = 0;
    int reps = 50;
    while (sl_reqgen_next(&g, &r) && r.t_us < (int64_t)reps * 3600000000) {
        assert_true(r.t_us >= prev);
        prev = r.t_us;
        assert_true(r.client < 2);
        assert_int_equal(r.tile, (uint32_t)(r.t_us / 3600000000));
        count[r.client][(r.t_us % 3600000000) / 600000000] += 1;
    }
    for (int w = 0; w < 6; w++) {
        double want_a = w == 5 ? 0 : 2.0 * (w + 1) * 600 * reps;
        double want_b = w == 2 ? 0 : 3.0 * 600 * reps;
        /* A gap never ends in a window of rate 0: its operational time
         * does not advance there. */
        if (want_a == 0)
            assert_true(count[0][w] == 0);
        else
            assert_close(count[0][w], want_a, 0.03);
        if (want_b == 0)
            assert_true(count[1][w] == 0);
        else
            assert_close(count[1][w], want_b, 0.02);
    }
    sl_reqgen_release(&g);

    /* From 00:30 local, without `tile`: run time t is trace time t + 1800 s,
     * and the trace still repeats (at run time 1800 s). */
    c.tile = 0;
    init_ok(&g, &c, &res, 7, 1800000000);
    double seen[2][2] = {{0}}; /* [repetition][client] */
    while (sl_reqgen_next(&g, &r) && r.t_us < 3600000000) {
        assert_int_equal(r.tile, r.t_us < 1800000000 ? 0u : 1u);
        seen[r.tile][r.client] += 1;
        /* Client b's rate-0 window (trace 1200-1800 s) is run time
         * 3000-3600 s. */
        if (r.client == 1)
            assert_true(r.t_us < 3000000000);
    }
    /* Trace time 1800-3600 s: a has 8 + 10 + 0 req/s, b 3 + 3 + 3 req/s. */
    assert_close(seen[0][0], 18.0 * 600, 0.1);
    assert_close(seen[0][1], 9.0 * 600, 0.1);
    /* Trace time 0-1800 s: a 2 + 4 + 6, b 3 + 3 + 0. */
    assert_close(seen[1][0], 12.0 * 600, 0.1);
    assert_close(seen[1][1], 6.0 * 600, 0.1);
    sl_reqgen_release(&g);

    /* Rate traces need laws. */
    c.prompt_tokens = NULL;
    sl_diag_clear(&d);
    assert_int_equal(sl_reqgen_init(&g, &c, &res, "x", 1, 0, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "a rate trace"));
    sl_trace_release(&t);
    snprintf(a, sizeof a, "%s/a-trace.csv", dir);
    unlink(a);
    snprintf(a, sizeof a, "%s/b-trace.csv", dir);
    unlink(a);
    rmdir(dir);
}

/* A client of a tiny rate skips whole repetitions instead of walking them
 * window by window: its arrivals lie decades apart and come at once. */
static void test_reqgen_tiny_rate(void **state)
{
    (void)state;
    char text[20000] = "0,1e-6,1,,0,0\n";
    for (int w = 1; w < 500; w++) {
        char row[64];
        snprintf(row, sizeof row, "%d,0,0,,0,0\n", w * 600);
        strcat(text, row);
    }
    struct sl_trace t;
    read_ok(text, SL_TRACE_SERVEGEN, 0, &t);
    struct sl_service_res res;
    memset(&res, 0, sizeof res);
    res.trace = &t;
    struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 0, 0);
    c.tile = 1;
    struct sl_reqgen g;
    init_ok(&g, &c, &res, 1, 0);
    struct sl_request r;
    int64_t prev = 0;
    int n = 0;
    while (n < 20 && sl_reqgen_next(&g, &r)) {
        assert_true(r.t_us >= prev);
        /* Inside the one active window of each 300,000 s repetition. */
        assert_true(r.t_us % INT64_C(300000000000) < 600000000);
        prev = r.t_us;
        n++;
    }
    /* 6e-4 arrivals per 300,000 s repetition: a mean gap of 5e8 s (16
     * years), so 20 arrivals span centuries, and took no time to find. */
    assert_int_equal(n, 20);
    assert_true(prev > INT64_C(1000000000) * 1000000);
    sl_reqgen_release(&g);
    sl_trace_release(&t);
}

/* ---- Allocation failures --------------------------------------------- */

/* Reads path with every allocation count failing in turn: each failure is
 * SL_ENOMEM with nothing left allocated, and some count succeeds. */
static void torture_read(const char *path)
{
    for (long k = 0;; k++) {
        struct torture tt = {k, 0, 0};
        struct sl_trace t;
        struct sl_diag d;
        sl_diag_clear(&d);
        sl_alloc_set_hook(torture_alloc, &tt);
        int rc = sl_trace_read(path, SL_TRACE_AUTO, 0, &t, &d);
        if (rc == SL_OK) {
            struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 1, 0);
            struct sl_service_res res;
            memset(&res, 0, sizeof res);
            res.trace = &t;
            struct sl_reqgen g;
            sl_diag_clear(&d);
            int rg = sl_reqgen_init(&g, &c, &res, "x", 1, 0, &d);
            sl_reqgen_release(&g);
            sl_trace_release(&t);
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(tt.live, 0);
            if (rg == SL_OK)
                return;
            assert_int_equal(rg, SL_ENOMEM);
            continue;
        }
        sl_alloc_set_hook(NULL, NULL);
        assert_int_equal(rc, SL_ENOMEM);
        assert_int_equal(tt.live, 0);
        assert_true(k < 1000);
    }
}

static void test_alloc_failures(void **state)
{
    (void)state;
    torture_read(put("t.txt", "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                              "2023-11-16 18:17:04,5,1\n2023-11-16 18:17:03,5,1\n"));
    torture_read(put("t.txt", "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1, "
                              "\"hash_ids\": [1, 2]}\n{\"timestamp\": 0, \"input_length\": 1, "
                              "\"output_length\": 1}\n"));
    torture_read(put("t.txt", "600,1,1,,0,0\n0,1,1,Gamma,1,1\n"));
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/tort", tmp_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    test_write_file(dir, "a-trace.csv", "0,1,1,,0,0\n");
    test_write_file(dir, "b-trace.csv", "0,2,1,,0,0\n600,0,0,,0,0\n");
    torture_read(dir);
    snprintf(p, sizeof p, "%s/a-trace.csv", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/b-trace.csv", dir);
    unlink(p);
    rmdir(dir);
}

/* One constant window, tiled: a renewal process at the window's rate with
 * the law's CV (gamma shape 0.25: CV 2; Weibull shape 0.5: CV sqrt(5)),
 * whatever the file's scale. */
static void test_reqgen_window_law(void **state)
{
    (void)state;
    static const struct {
        const char *row;
        double cv;
    } laws[] = {
        {"0,5,2,Gamma,0.25,123\n", 2.0},
        {"0,5,2.2,Weibull,0.5,0.001\n", 2.2360679774997898},
        {"0,5,1,,0,0\n", 1.0},
    };
    for (size_t i = 0; i < sizeof laws / sizeof laws[0]; i++) {
        struct sl_trace t;
        read_ok(laws[i].row, SL_TRACE_SERVEGEN, 0, &t);
        struct sl_service_res res;
        memset(&res, 0, sizeof res);
        res.trace = &t;
        struct sl_request_cfg c = gen_cfg(SL_ARRIVAL_POISSON, 0, 0);
        c.tile = 1;
        struct sl_reqgen g;
        init_ok(&g, &c, &res, 11 + i, 0);
        double mean, cv;
        gap_stats(&g, 200000, &mean, &cv);
        assert_close(mean, 0.2, 0.01);
        assert_close(cv, laws[i].cv, 0.03);
        sl_reqgen_release(&g);
        sl_trace_release(&t);
    }
}

/* ---- The real traces --------------------------------------------------- */

static void read_real(const char *rel, int format, struct sl_trace *t)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SL_SHARED_DATA, rel);
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_trace_read(path, format, 0, t, &d);
    if (rc != SL_OK) {
        char buf[2000];
        print_error("%s\n", sl_diag_format(&d, buf, sizeof buf));
    }
    assert_int_equal(rc, SL_OK);
}

/* Each fit equals the value docs/model.md prints, to its last digit. */
static void assert_within(struct sl_trace_stats st, double rate, double pmu, double psigma,
                          double omu, double osigma, double cv)
{
    const double got[6] = {st.rate,      st.prompt_mu,    st.prompt_sigma,
                           st.output_mu, st.output_sigma, st.gap_cv};
    const double want[6] = {rate, pmu, psigma, omu, osigma, cv};
    for (int i = 0; i < 6; i++) {
        if (fabs(got[i] - want[i]) > 0.0005)
            print_error("fit %d: got %.6f, docs/model.md says %.3f\n", i, got[i], want[i]);
        assert_true(fabs(got[i] - want[i]) <= 0.0005);
    }
}

static void test_real_traces(void **state)
{
    (void)state;
    if (!shared_data_present(SL_SHARED_DATA "/traces"))
        skip();
    struct sl_trace t;
    read_real("traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv", SL_TRACE_AUTO, &t);
    assert_int_equal(t.format, SL_TRACE_AZURE);
    assert_int_equal(t.n_req, 8819);
    assert_int_equal(t.req[0].prompt, 4808);
    assert_int_equal(t.req[0].output, 10);
    assert_int_equal(t.req[1].t_us, 52000);
    sl_trace_release(&t);
    read_real("traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", SL_TRACE_AZURE, &t);
    assert_int_equal(t.n_req, 19366);
    assert_true(t.span_us > 3000000000 && t.span_us < 4000000000); /* ~1 h */
    /* Replay of the real trace: its mean lengths as published (1,155 in
     * and 211 out, rounded). */
    struct sl_service_res res;
    memset(&res, 0, sizeof res);
    res.trace = &t;
    struct sl_request_cfg c;
    memset(&c, 0, sizeof c);
    c.rate_scale = 1;
    struct sl_reqgen g;
    init_ok(&g, &c, &res, 1, 0);
    struct sl_request r;
    double in = 0, out = 0;
    size_t n = 0;
    while (sl_reqgen_next(&g, &r)) {
        in += r.prompt;
        out += r.output;
        n++;
    }
    assert_int_equal(n, 19366);
    assert_close(in / (double)n, 1155, 0.001);
    assert_close(out / (double)n, 211, 0.003);
    sl_reqgen_release(&g);
    /* The fits of docs/model.md, to the digits printed there. */
    struct sl_trace_stats st;
    sl_trace_stats(&t, &st);
    assert_within(st, 5.530, 6.633, 0.985, 5.019, 0.859, 1.094);
    sl_trace_release(&t);
    read_real("traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv", SL_TRACE_AZURE, &t);
    sl_trace_stats(&t, &st);
    assert_within(st, 2.566, 6.999, 1.360, 2.788, 0.847, 13.151);
    assert_int_equal(st.prompt_max, 7437);
    sl_trace_release(&t);

    read_real("traces/mooncake-fast25/conversation_trace.jsonl", SL_TRACE_AUTO, &t);
    assert_int_equal(t.format, SL_TRACE_MOONCAKE);
    assert_int_equal(t.n_req, 12031);
    assert_int_equal(t.req[0].prompt, 6758);
    assert_int_equal(t.req[0].hash_n, 14);
    assert_true(t.n_hash > 12031);
    sl_trace_stats(&t, &st);
    assert_within(st, 3.401, 8.737, 1.199, 5.336, 1.358, 3.034);
    assert_int_equal(st.output_max, 2000);
    sl_trace_release(&t);

    read_real("traces/servegen/language/m-large", SL_TRACE_AUTO, &t);
    assert_int_equal(t.format, SL_TRACE_SERVEGEN);
    assert_int_equal(t.n_clients, 162);
    assert_int_equal(t.n_windows, 162 * 2016);
    assert_int_equal(t.window_us, 600000000);
    sl_trace_stats(&t, &st);
    assert_true(fabs(st.rate - 195.84) < 0.005);
    /* docs/model.md: diurnal 0.121 with its peak at 19:01. */
    assert_true(fabs(st.diurnal - 0.12119) < 0.00001);
    assert_true(fabs(st.peak_time_s / 3600 - 19.02156) < 0.0001);
    assert_true(fabs(st.span_s - 14 * 86400) < 1);
    sl_trace_release(&t);
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/suanli_trace_XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof p, "%s/t.txt", tmp_dir);
    unlink(p);
    return rmdir(tmp_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_azure_rows),
        cmocka_unit_test(test_azure_errors),
        cmocka_unit_test(test_azure_lenient),
        cmocka_unit_test(test_mooncake_rows),
        cmocka_unit_test(test_mooncake_errors),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_servegen_file),
        cmocka_unit_test(test_servegen_folder),
        cmocka_unit_test(test_servegen_harmonic),
        cmocka_unit_test(test_detect_and_files),
        cmocka_unit_test(test_tokdist),
        cmocka_unit_test(test_reqgen_poisson),
        cmocka_unit_test(test_reqgen_gamma),
        cmocka_unit_test(test_reqgen_diurnal),
        cmocka_unit_test(test_reqgen_replay),
        cmocka_unit_test(test_reqgen_empirical),
        cmocka_unit_test(test_reqgen_lognormal_law),
        cmocka_unit_test(test_reqgen_determinism),
        cmocka_unit_test(test_reqgen_rates),
        cmocka_unit_test(test_reqgen_window_law),
        cmocka_unit_test(test_reqgen_tiny_rate),
        cmocka_unit_test_teardown(test_alloc_failures, restore_hook),
        cmocka_unit_test(test_real_traces),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
