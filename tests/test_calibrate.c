/*
 * Tests for the calibration (src/perf/calibrate.c, suanli/calibrate.h).
 *
 * The minimiser is checked on functions with known minima, inside and on
 * the bounds.  The CSV reader is checked on a file that uses every liberty
 * the format allows (column order, extra columns, quotes, comments, CRLF,
 * repeated points) and on one broken file per error, each at its line and
 * column, and under allocation failure.  The fit must recover factors that
 * generated its points exactly, and approximately under noise.  The
 * held-out test fits the published NIM measurements of tests/data (see its
 * README.md) on four of their six prompt/output shapes and reports the
 * error on the other two.  The profile writer must produce the documented
 * text exactly and leave no temporary file.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"
#include "torture.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perf/calibrate_int.h"
#include "suanli/alloc.h"
#include "suanli/calibrate.h"
#include "suanli/catalog.h"
#include "suanli/diag.h"
#include "suanli/llm.h"
#include "suanli/scenario.h"

/* Bounds on the held-out error (mean absolute percentage error over the
 * held-out points of every group) of each data set; docs/model.md,
 * "Calibration", reports what the fit reaches. */
#define NIM_PREFILL_MAPE 20.0
#define NIM_DECODE_MAPE  17.0
#define TRT_PREFILL_MAPE 10.0
#define TRT_DECODE_MAPE  12.0

/* ---- helpers ---- */

static const struct sl_llm_model *model(const char *name)
{
    for (size_t i = 0; i < sl_llm_model_count(); i++)
        if (strcmp(sl_llm_model_get(i)->name, name) == 0)
            return sl_llm_model_get(i);
    fail_msg("no built-in model '%s'", name);
    return NULL;
}

static const struct sl_device_model *device(const char *name)
{
    const struct sl_device_model *d = sl_scenario_find_device(NULL, name);
    if (!d)
        fail_msg("no built-in device '%s'", name);
    return d;
}

static int parse(const char *text, struct sl_calib_set *s, struct sl_diag *d)
{
    sl_diag_clear(d);
    return sl_calib_csv_parse(text, strlen(text), "m.csv", s, d);
}

/* ---- the minimiser ---- */

static double rosenbrock(const double *x, void *ud)
{
    int *calls = ud;
    (*calls)++;
    return (1 - x[0]) * (1 - x[0]) + 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]);
}

static void test_minimize_rosenbrock(void **state)
{
    (void)state;
    int calls = 0;
    double x[2] = {-1.2, 1}, lo[2] = {-2, -2}, hi[2] = {2, 2}, step[2] = {0.5, 0.5}, fx;
    int evals = sl__calib_minimize(rosenbrock, &calls, 2, x, lo, hi, step, 1e-12, 20000, &fx);
    assert_int_equal(evals, calls);
    assert_true(evals < 20000);
    assert_close(x[0], 1, 1e-4);
    assert_close(x[1], 1, 1e-4);
    assert_true(fx < 1e-8);
}

static double shifted_bowl(const double *x, void *ud)
{
    (void)ud;
    return (x[0] - 3) * (x[0] - 3) + (x[1] + 1) * (x[1] + 1) + x[2] * x[2];
}

/* The unconstrained minimum (3, -1, 0) lies outside the box: the answer is
 * its projection, on two faces at once. */
static void test_minimize_bounds(void **state)
{
    (void)state;
    double x[3] = {0.5, 0.5, 0.7}, lo[3] = {0, 0, -1}, hi[3] = {2, 1, 1};
    double step[3] = {0.3, 0.3, 0.3}, fx;
    sl__calib_minimize(shifted_bowl, NULL, 3, x, lo, hi, step, 1e-12, 20000, &fx);
    assert_close(x[0], 2, 1e-6);
    assert_close(x[1], 0, 1e-6);
    assert_close(x[2], 0, 1e-5);
    assert_close(fx, 2, 1e-8);
    /* A start outside the box is projected first. */
    double y[3] = {9, -9, 9};
    sl__calib_minimize(shifted_bowl, NULL, 3, y, lo, hi, step, 1e-12, 20000, &fx);
    assert_close(y[0], 2, 1e-6);
    assert_close(y[1], 0, 1e-6);
}

/* ---- the CSV reader ---- */

static void test_csv_good(void **state)
{
    (void)state;
    const char *text = "# measured on the bench, 2026\r\n"
                       "\r\n"
                       "run, decode_ms_per_token ,prefill_ms,model,device,tp,batch,prompt_tokens,"
                       "output_tokens,weights,note\r\n"
                       "1,10.0,100.0,llama3-8b,h100-sxm,1,4,512,128,fp16,\"first, warm\"\r\n"
                       "2,12.0,140.0,llama3-8b,h100-sxm,1,4,512,128,fp16,\"say \"\"hi\"\"\"\r\n"
                       "3,20.0,300.0,\"llama3-8b\",h100-sxm,1,8,1024,128,fp8,\r\n"
                       "   # a comment between rows\n"
                       "4,30.0,400.0,llama3-70b,h100-sxm,4,8,1024,128,fp16,x\n"
                       "5,11.0,120.0,llama3-8b,h100-sxm,2,4,512,128,fp16,x";
    struct sl_calib_set s;
    struct sl_diag d;
    assert_int_equal(parse(text, &s, &d), SL_OK);
    assert_int_equal(s.rows, 5);
    assert_int_equal(s.n, 3);
    const struct sl_calib_group *g = &s.groups[0];
    assert_string_equal(g->model, "llama3-8b");
    assert_string_equal(g->device, "h100-sxm");
    assert_int_equal(g->tp, 1);
    assert_int_equal(g->line, 4);
    assert_int_equal(g->model_col, 14);
    assert_int_equal(g->n, 2);
    /* Rows 1 and 2 are one point: the means of their times. */
    assert_int_equal(g->points[0].rows, 2);
    assert_int_equal(g->points[0].line, 4);
    assert_close(g->points[0].prefill_ms, 120.0, 1e-12);
    assert_close(g->points[0].decode_ms_per_token, 11.0, 1e-12);
    assert_int_equal(g->points[0].batch, 4);
    assert_int_equal(g->points[0].prompt_tokens, 512);
    assert_int_equal(g->points[0].output_tokens, 128);
    assert_int_equal(g->points[0].weights, SL_PREC_FP16);
    assert_int_equal(g->points[0].kv, SL_PREC_FP16);
    assert_int_equal(g->points[1].weights, SL_PREC_FP8);
    assert_int_equal(g->points[1].kv, SL_PREC_FP16); /* no kv column */
    assert_int_equal(g->points[1].rows, 1);
    assert_string_equal(s.groups[1].model, "llama3-70b");
    assert_int_equal(s.groups[1].tp, 4);
    assert_int_equal(s.groups[2].tp, 2); /* the tp is part of the key */
    assert_string_equal(s.path, "m.csv");
    sl_calib_set_release(&s);
    sl_calib_set_release(&s); /* released twice: a no-op */
}

static const char hdr[] =
    "model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms,decode_ms_per_token\n";

struct bad_case {
    const char *body; /* after hdr, unless it starts with '!' (the whole file) */
    int line, col;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"!", 1, 1, "the file is empty"},
    {"!# only a comment\n\n", 2, 1, "the file is empty"},
    {"", 1, 1, "no measurements after the header"},
    {"!model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms\nx\n", 1, 1,
     "no column 'decode_ms_per_token'"},
    {"!model,device,tp,tp,batch,prompt_tokens,output_tokens,prefill_ms,decode_ms_per_token\n", 1,
     17, "column 'tp' appears twice"},
    {"a,b,1,1,1,1,1\n", 2, 1, "expected 8 fields as in the header, got 7"},
    {"a,b,1,1,1,1,1,1,1\n", 2, 1, "expected 8 fields as in the header, got 9"},
    {"a,b,0,1,1,1,1,1\n", 2, 5, "'tp' expects a positive whole number, got '0'"},
    {"a,b,1,x,1,1,1,1\n", 2, 7, "'batch' expects a positive whole number, got 'x'"},
    {"a,b,1,1,1.5,1,1,1\n", 2, 9, "'prompt_tokens' expects a positive whole number, got '1.5'"},
    {"a,b,1,1,1,,1,1\n", 2, 11, "'output_tokens' expects a positive whole number, got ''"},
    {"a,b,1,1,1,1,-3,1\n", 2, 13, "'prefill_ms' expects a positive number of milliseconds"},
    {"a,b,1,1,1,1,1,nan\n", 2, 15, "'decode_ms_per_token' expects a positive number"},
    {"a,b,1,1,1,1,1,1e999\n", 2, 15, "'decode_ms_per_token' expects a positive number"},
    {"a,b,1,1,1,1,1,1\n,b,1,1,1,1,1,1\n", 3, 1, "'model' is empty"},
    {"a, ,1,1,1,1,1,1\n", 2, 4, "'device' is empty"},
    {"\"a,b,1,1,1,1,1,1\n", 2, 1, "unterminated quoted field"},
    {"\"a\"x,b,1,1,1,1,1,1\n", 2, 4, "expected ',' after a quoted field"},
};

static void test_csv_errors(void **state)
{
    (void)state;
    char text[512];
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        if (c->body[0] == '!')
            snprintf(text, sizeof text, "%s", c->body + 1);
        else
            snprintf(text, sizeof text, "%s%s", hdr, c->body);
        struct sl_calib_set s;
        struct sl_diag d;
        int rc = parse(text, &s, &d);
        if (rc != SL_EINVAL || d.line != c->line || d.col != c->col || !strstr(d.msg, c->msg))
            fail_msg("case %zu: rc %d at %d:%d '%s', want %d:%d '%s'", i, rc, d.line, d.col, d.msg,
                     c->line, c->col, c->msg);
        assert_string_equal(d.file, "m.csv");
        assert_int_equal(s.n, 0);
        assert_null(s.groups);
    }
    /* The precision columns take the library's names. */
    struct sl_calib_set s;
    struct sl_diag d;
    assert_int_equal(parse("model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms,"
                           "decode_ms_per_token,kv\na,b,1,1,1,1,1,1,bf16\n",
                           &s, &d),
                     SL_EINVAL);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 17);
    assert_non_null(strstr(d.msg, "'kv' expects fp16, int8, fp8 or int4, got 'bf16'"));
    /* A long field is refused, not truncated. */
    char big[600];
    memset(big, 'm', 300);
    snprintf(big + 300, sizeof big - 300, ",b,1,1,1,1,1,1\n");
    snprintf(text, sizeof text, "%s%s", hdr, big);
    assert_int_equal(parse(text, &s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "longer than 256"));
    /* A byte order mark before the header is skipped. */
    snprintf(text, sizeof text, "\xef\xbb\xbf%sa,b,1,1,1,1,1,1\n", hdr);
    assert_int_equal(parse(text, &s, &d), SL_OK);
    assert_int_equal(s.n, 1);
    sl_calib_set_release(&s);
    /* A binary file is refused. */
    assert_int_equal(sl_calib_csv_parse("model\0x", 7, "bin", &s, &d), SL_EINVAL);
}

static void test_csv_files(void **state)
{
    (void)state;
    struct sl_calib_set s;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_csv_load("/nonexistent/m.csv", &s, &d), SL_ENOENT);
    assert_non_null(strstr(d.msg, "cannot open measurement file"));
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_csv_load("/tmp", &s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "is a directory"));
    char dir[] = "/tmp/sl_calib_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char body[256];
    snprintf(body, sizeof body, "%sllama3-8b,h100-sxm,1,1,100,10,5,2\n", hdr);
    const char *path = test_write_file(dir, "m.csv", body);
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_csv_load(path, &s, &d), SL_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.path, path);
    sl_calib_set_release(&s);
    unlink(path);
    rmdir(dir);
}

static void test_csv_torture(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "%sa,b,1,1,1,1,1,1\na,c,1,1,1,1,1,1\nd,b,1,1,1,1,1,1\na,b,1,2,1,1,1,1\n"
             "a,b,1,1,1,1,3,3\n",
             hdr);
    struct torture t = {-1, 0, 0};
    sl_alloc_set_hook(torture_alloc, &t);
    struct sl_calib_set s;
    struct sl_diag d;
    assert_int_equal(parse(text, &s, &d), SL_OK);
    long calls = t.calls;
    sl_calib_set_release(&s);
    assert_int_equal(t.live, 0);
    for (long n = 0; n < calls; n++) {
        t = (struct torture){n, 0, 0};
        int rc = parse(text, &s, &d);
        assert_int_equal(rc, SL_ENOMEM);
        assert_int_equal(t.live, 0);
    }
    sl_alloc_set_hook(NULL, NULL);
}

/* ---- the fit ---- */

/* Points of (model, device, tp) predicted with eff, times a deterministic
 * pseudo-noise of relative amplitude noise. */
static size_t synth(struct sl_calib_point *pts, const struct sl_perf_spec *spec,
                    const struct sl_perf_eff *eff, double noise)
{
    static const int64_t batch[] = {1, 4, 16, 64};
    static const int64_t prompt[] = {128, 1024, 4096};
    struct sl_perf_spec s = *spec;
    s.eff = *eff;
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 3; k++) {
            struct sl_calib_point *p = &pts[n];
            memset(p, 0, sizeof *p);
            p->batch = batch[i];
            p->prompt_tokens = prompt[k];
            p->output_tokens = 256;
            p->weights = (i + k) % 2 ? SL_PREC_FP8 : SL_PREC_FP16;
            p->kv = p->weights;
            p->rows = 1;
            p->line = (int)n + 2;
            s.weights = p->weights;
            s.kv = p->kv;
            struct sl_perf perf;
            struct sl_diag d;
            sl_diag_clear(&d);
            assert_int_equal(sl_perf_init(&perf, &s, &d), SL_OK);
            struct sl_perf_infer r;
            sl_perf_infer(&perf, p->batch, p->prompt_tokens, p->output_tokens, 0, &r);
            double u = sin(12.9898 * (double)(n + 1)) * 43758.5453;
            u = 2 * (u - floor(u)) - 1; /* in [-1, 1) */
            p->prefill_ms = r.prefill_ms * (1 + noise * u);
            p->decode_ms_per_token = r.decode_ms_per_token * (1 - noise * u);
            n++;
        }
    return n;
}

static void check_recovery(const char *m, const char *dev, int64_t tp)
{
    struct sl_perf_spec spec;
    sl_calib_spec_default(&spec, model(m), device(dev), tp);
    struct sl_perf_eff truth = spec.eff;
    truth.compute = 0.42;
    truth.memory = 0.71;
    truth.overhead_s = 2.5e-3;
    struct sl_calib_point pts[12];
    size_t n = synth(pts, &spec, &truth, 0);
    struct sl_perf_eff eff;
    struct sl_calib_error err;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_fit(pts, n, &spec, &eff, &err, &d), SL_OK);
    assert_close(eff.compute, truth.compute, 2e-3);
    assert_close(eff.memory, truth.memory, 2e-3);
    /* The ridge towards the defaults moves a recovered factor by about
     * RIDGE / points, relative (calibrate.c). */
    if (!(fabs(eff.overhead_s - truth.overhead_s) <= 0.01 * truth.overhead_s))
        fail_msg("%s on %s: %.4f %.4f %.6f", m, dev, eff.compute, eff.memory, eff.overhead_s);
    assert_true(err.prefill_mape < 0.2);
    assert_true(err.decode_mape < 0.2);
    assert_int_equal(err.points, n);
    /* The link factors are not fitted. */
    assert_true(eff.link_alpha_s == spec.eff.link_alpha_s);
    assert_true(eff.link_eff == spec.eff.link_eff);

    /* With 5 % noise the factors are still found within a few percent. */
    n = synth(pts, &spec, &truth, 0.05);
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_fit(pts, n, &spec, &eff, &err, &d), SL_OK);
    assert_close(eff.compute, truth.compute, 0.05);
    assert_close(eff.memory, truth.memory, 0.05);
    assert_true(fabs(eff.overhead_s - truth.overhead_s) <= 0.6e-3);
    assert_true(err.prefill_mape < 5.0 && err.decode_mape < 5.0);
}

static void test_fit_synthetic(void **state)
{
    (void)state;
    check_recovery("llama3-8b", "h100-sxm", 1);
    check_recovery("llama3-70b", "a100-80gb", 4);
    check_recovery("qwen2.5-7b", "ascend-910b", 1);
}

static void test_fit_deterministic(void **state)
{
    (void)state;
    struct sl_perf_spec spec;
    sl_calib_spec_default(&spec, model("llama3-8b"), device("h100-sxm"), 1);
    struct sl_perf_eff truth = spec.eff, e1, e2;
    truth.compute = 0.3;
    struct sl_calib_point pts[12];
    size_t n = synth(pts, &spec, &truth, 0.1);
    struct sl_calib_error r1, r2;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_fit(pts, n, &spec, &e1, &r1, &d), SL_OK);
    assert_int_equal(sl_calib_fit(pts, n, &spec, &e2, &r2, &d), SL_OK);
    assert_memory_equal(&e1, &e2, sizeof e1);
    assert_memory_equal(&r1, &r2, sizeof r1);
}

static void test_fit_errors(void **state)
{
    (void)state;
    struct sl_perf_spec spec;
    sl_calib_spec_default(&spec, model("llama3-405b"), device("h100-sxm"), 1);
    struct sl_calib_point p = {1, 128, 16, SL_PREC_FP16, SL_PREC_FP16, 100, 10, 1, 7};
    struct sl_perf_eff eff;
    struct sl_calib_error err;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_fit(&p, 1, &spec, &eff, &err, &d), SL_EINVAL);
    assert_int_equal(d.line, 7); /* the point's line */
    assert_true(strlen(d.msg) > 0);
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_fit(&p, 0, &spec, &eff, &err, &d), SL_EINVAL);
}

/* Fits each group of the CSV at path (under tests/data) on the points
 * whose (prompt, output) is neither (long_p, short_o) nor (short_p, long_o),
 * evaluates on those two shapes, prints a table, and checks the held-out
 * MAPE over all groups against the bounds and against the defaults. */
static void heldout(const char *name, int64_t long_p, int64_t short_o, int64_t short_p,
                    int64_t long_o, double max_prefill, double max_decode)
{
    struct sl_calib_set s;
    struct sl_diag d;
    sl_diag_clear(&d);
    char path[512];
    snprintf(path, sizeof path, "%s/tests/data/%s", SL_SOURCE_DIR, name);
    if (sl_calib_csv_load(path, &s, &d) != SL_OK)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    double fit_p = 0, fit_d = 0, test_p = 0, test_d = 0, def_p = 0, def_d = 0;
    size_t fit_n = 0, test_n = 0;
    print_message("%s, held out: %lld/%lld and %lld/%lld tokens\n", name, (long long)long_p,
                  (long long)short_o, (long long)short_p, (long long)long_o);
    print_message("%-11s %-10s %2s %6s %6s %8s | fit: %4s %6s %6s | held out: %4s %6s %6s\n",
                  "model", "device", "tp", "eta_c", "eta_m", "overhead", "n", "prefill", "decode",
                  "n", "prefill", "decode");
    for (size_t i = 0; i < s.n; i++) {
        const struct sl_calib_group *g = &s.groups[i];
        struct sl_calib_point *train = calloc(g->n, sizeof *train);
        struct sl_calib_point *test = calloc(g->n, sizeof *test);
        assert_non_null(train);
        assert_non_null(test);
        size_t ntr = 0, nte = 0;
        for (size_t k = 0; k < g->n; k++) {
            const struct sl_calib_point *p = &g->points[k];
            if ((p->prompt_tokens == long_p && p->output_tokens == short_o) ||
                (p->prompt_tokens == short_p && p->output_tokens == long_o))
                test[nte++] = *p;
            else
                train[ntr++] = *p;
        }
        if (ntr == 0 || nte == 0) {
            free(train);
            free(test);
            continue;
        }
        struct sl_perf_spec spec;
        sl_calib_spec_default(&spec, model(g->model), device(g->device), g->tp);
        struct sl_perf_eff eff;
        struct sl_calib_error ef, et, edef;
        assert_int_equal(sl_calib_eval(test, nte, &spec, &edef, &d), SL_OK);
        assert_int_equal(sl_calib_fit(train, ntr, &spec, &eff, &ef, &d), SL_OK);
        spec.eff = eff;
        assert_int_equal(sl_calib_eval(test, nte, &spec, &et, &d), SL_OK);
        print_message("%-11s %-10s %2lld %6.3f %6.3f %6.2fms | fit: %4zu %5.1f%% %5.1f%% | held "
                      "out: %4zu %5.1f%% %5.1f%%\n",
                      g->model, g->device, (long long)g->tp, eff.compute, eff.memory,
                      eff.overhead_s * 1e3, ntr, ef.prefill_mape, ef.decode_mape, nte,
                      et.prefill_mape, et.decode_mape);
        fit_p += ef.prefill_mape * (double)ntr;
        fit_d += ef.decode_mape * (double)ntr;
        test_p += et.prefill_mape * (double)nte;
        test_d += et.decode_mape * (double)nte;
        def_p += edef.prefill_mape * (double)nte;
        def_d += edef.decode_mape * (double)nte;
        fit_n += ntr;
        test_n += nte;
        free(train);
        free(test);
    }
    assert_true(test_n >= 20);
    fit_p /= (double)fit_n;
    fit_d /= (double)fit_n;
    test_p /= (double)test_n;
    test_d /= (double)test_n;
    def_p /= (double)test_n;
    def_d /= (double)test_n;
    print_message("all groups: fit %zu points, MAPE prefill %.1f %%, decode %.1f %%; held out %zu "
                  "points, MAPE prefill %.1f %%, decode %.1f %%\n",
                  fit_n, fit_p, fit_d, test_n, test_p, test_d);
    print_message("held out with the device defaults: MAPE prefill %.1f %%, decode %.1f %%\n",
                  def_p, def_d);
    /* The calibrated model must beat the uncalibrated defaults on the
     * held-out points, and stay within the bounds. */
    assert_true(test_p < def_p);
    assert_true(test_d < def_d);
    assert_true(test_p <= max_prefill);
    assert_true(test_d <= max_decode);
    sl_calib_set_release(&s);
}

/* NIM (TensorRT-LLM behind an HTTP server), Llama 3 8B and 70B, concurrency
 * 1 to 10. */
static void test_heldout_nim(void **state)
{
    (void)state;
    heldout("measured-nim-llama3.csv", 2000, 200, 200, 1000, NIM_PREFILL_MAPE, NIM_DECODE_MAPE);
}

/* TensorRT-LLM 0.9 static batches, Llama 2 70B, batch 1 to 1024. */
static void test_heldout_trtllm(void **state)
{
    (void)state;
    heldout("measured-trtllm-llama2-70b.csv", 2048, 128, 128, 2048, TRT_PREFILL_MAPE,
            TRT_DECODE_MAPE);
}

/* ---- the profile ---- */

static void test_profile_write(void **state)
{
    (void)state;
    char dir[] = "/tmp/sl_calib_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    test_write_file(dir, "p.yaml", "old\n");
    char m1[] = "llama3-8b", d1[] = "h100-sxm", m2[] = "my model", d2[] = "a\"b";
    struct sl_perf_profile_entry e[2] = {
        {m1, d1, 1, 0.52, 0.71, 1.2e-3, 4.14, 3.16, 12},
        {m2, d2, 4, 0.4567, 1, 250e-6, 10, 0.04, 3},
    };
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_profile_write(path, "m.csv", e, 2, &d), SL_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[2048];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    assert_string_equal(buf, "# suanli perf calibrate: efficiency factors fitted to m.csv\n"
                             "profile:\n"
                             "  - model: llama3-8b\n"
                             "    device: h100-sxm\n"
                             "    tp: 1\n"
                             "    compute: 0.52\n"
                             "    memory: 0.71\n"
                             "    overhead: 1.2ms\n"
                             "    prefill_mape: 4.1 %\n"
                             "    decode_mape: 3.2 %\n"
                             "    points: 12\n"
                             "  - model: \"my model\"\n"
                             "    device: \"a\\\"b\"\n"
                             "    tp: 4\n"
                             "    compute: 0.4567\n"
                             "    memory: 1\n"
                             "    overhead: 250us\n"
                             "    prefill_mape: 10.0 %\n"
                             "    decode_mape: 0.0 %\n"
                             "    points: 3\n");
    /* Only the profile is left in the folder. */
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(dd)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            files++;
    closedir(dd);
    assert_int_equal(files, 1);
    unlink(path);
    /* Out of memory: SL_ENOMEM, nothing left behind. */
    struct torture t = {0, 0, 0};
    sl_alloc_set_hook(torture_alloc, &t);
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_profile_write(path, "m.csv", e, 2, &d), SL_ENOMEM);
    sl_alloc_set_hook(NULL, NULL);
    assert_int_equal(t.live, 0);
    assert_int_equal(access(path, F_OK), -1);
    rmdir(dir);
    /* A folder that does not exist: SL_EIO naming the path. */
    sl_diag_clear(&d);
    assert_int_equal(sl_calib_profile_write("/nonexistent/p.yaml", "m.csv", e, 1, &d), SL_EIO);
    assert_non_null(strstr(d.file, "/nonexistent/p.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimize_rosenbrock),
        cmocka_unit_test(test_minimize_bounds),
        cmocka_unit_test(test_csv_good),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_files),
        cmocka_unit_test_teardown(test_csv_torture, restore_hook),
        cmocka_unit_test(test_fit_synthetic),
        cmocka_unit_test(test_fit_deterministic),
        cmocka_unit_test(test_fit_errors),
        cmocka_unit_test(test_heldout_nim),
        cmocka_unit_test(test_heldout_trtllm),
        cmocka_unit_test_teardown(test_profile_write, restore_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
