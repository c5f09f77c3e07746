/*
 * Tests for the training step model (src/perf/train.c).
 *
 * The expected numbers are worked by hand in this file from the formulas of
 * docs/model.md ("Training performance") with the device's datasheet
 * numbers written out (H100 SXM: 989 TFLOPS BF16, NVLink 900 GB/s; 400 Gb/s
 * per GPU to the fabric), and from the published runs of
 * reference/hardware-perf.md §3 and §6: Llama 3 405B (430 and 400 TFLOPS
 * per GPU on 8,192 and 16,384 H100), DeepSeek-V3 (180K H800 GPU-hours per
 * trillion tokens on 2,048 GPUs) and MegaScale (55.2 % MFU for 175B on
 * 12,288 GPUs), each within 15 %.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <string.h>

#include "perf/perf.h"
#include "suanli/catalog.h"
#include "suanli/diag.h"
#include "suanli/llm.h"
#include "suanli/train.h"

static const struct sl_llm_model *model(const char *name)
{
    const struct sl_llm_model *m = sl_llm_model_find(name);
    if (!m)
        fail_msg("no model %s", name);
    return m;
}

static const struct sl_device_model *device(const char *name)
{
    for (size_t i = 0; i < sl_catalog_device_count(); i++)
        if (strcmp(sl_catalog_device(i)->name, name) == 0)
            return sl_catalog_device(i);
    fail_msg("no device %s", name);
    return NULL;
}

/* A small dense GPT-like model: 4 layers, hidden 2048, 16 heads of 128,
 * FFN 8192 (plain), vocabulary 32000. */
static char tiny_name[] = "tiny", tiny_desc[] = "test model", tiny_src[] = "test";
static const struct sl_llm_model tiny = {
    tiny_name, tiny_desc, 4, 2048, 16, 16, 128, 8192, 32000, SL_FFN_PLAIN, 0,
    0,         0,         0, 0,    0,  0,  0,   0,    0,     SL_CONF_LOW,  tiny_src};

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.9g, want %.9g (within %g)", got, want, rel);
}

static void tiny_spec(struct sl_train_spec *s, int64_t cards, int64_t tp, int64_t pp, int64_t dp)
{
    sl_train_spec_default(s, &tiny, device("h100-sxm"), cards);
    s->tp = tp;
    s->pp = pp;
    s->dp = dp;
    s->ep = 1;
    s->seq = 2048;
    s->global_batch_tokens = 2048.0 * 8 * (double)dp;
    s->recompute = SL_RECOMPUTE_NONE;
}

/* Compute: T = tokens (6 N_lin + 6 L S H (d_qk + d_v)) / (G F eta). */
static void test_compute_time(void **state)
{
    (void)state;
    struct sl_train_spec s;
    tiny_spec(&s, 1, 1, 1, 1);
    struct sl_train_result r;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_OK);
    double total, act;
    sl_llm_params(&tiny, &total, &act);
    double n_lin = act - 32000.0 * 2048;
    double f_tok = 6 * n_lin + 6 * 4 * 2048.0 * 16 * 256;
    double tokens = 2048.0 * 8;
    near(r.compute_s, tokens * f_tok / (989e12 * 0.60), 1e-9);
    assert_true(r.tp_s == 0 && r.pp_bubble_s == 0 && r.dp_exposed_s == 0);
    near(r.step_time_s, r.compute_s, 1e-12);
    near(r.mfu, 0.60, 1e-9); /* nothing but compute: MFU = eta */
    near(r.tokens_per_s, tokens / r.step_time_s, 1e-12);
    /* The efficiency can be overridden and the time scales inversely. */
    s.eff.compute = 0.30;
    struct sl_train_result r2;
    assert_int_equal(sl_train_eval(&s, &r2, &d), SL_OK);
    near(r2.compute_s, 2 * r.compute_s, 1e-9);
    /* A power cap slows compute. */
    s.eff.compute = 0.60;
    s.cap_w = 350;
    assert_int_equal(sl_train_eval(&s, &r2, &d), SL_OK);
    assert_true(r2.compute_s > r.compute_s * 1.05);
    assert_true(r2.power_compute_w <= 350 + 1e-9);
    /* FP8 on a device without an FP8 path (A100: INT8 only) runs at BF16;
     * on the H100 the linear layers run at 1979 x 0.60 x 0.55. */
    s.cap_w = 0;
    s.precision = SL_PREC_FP8;
    assert_int_equal(sl_train_eval(&s, &r2, &d), SL_OK);
    near(r2.compute_s,
         tokens *
             (6 * n_lin / (1979e12 * 0.60 * 0.55) + 6 * 4 * 2048.0 * 16 * 256 / (989e12 * 0.60)),
         1e-9);
    s.device = device("a100-80gb");
    s.eff.fp8 = 0;
    struct sl_train_result r16;
    assert_int_equal(sl_train_eval(&s, &r2, &d), SL_OK);
    s.precision = SL_PREC_FP16;
    assert_int_equal(sl_train_eval(&s, &r16, &d), SL_OK);
    near(r2.compute_s, r16.compute_s, 1e-12);
}

/* TP: 4 ring all-reduces per layer and micro-batch over NVLink, 2 (p-1)
 * alpha + 2 (p-1)/p n / beta; DP: a ring over 2 servers of the bf16
 * gradients, 20 % exposed. */
static void test_ring_allreduce(void **state)
{
    (void)state;
    struct sl_train_spec s;
    tiny_spec(&s, 16, 8, 1, 2);
    struct sl_train_result r;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_OK);
    double n = 2048.0 * 2048 * 2; /* b S h 2 bytes */
    double ar = 2 * 7 * 3e-6 + 2 * 7.0 / 8 * n / (900e9 * 0.4);
    near(r.tp_s, 4 * 4 * 8 * ar, 1e-9); /* 4 per layer, 4 layers, 8 micro-batches */
    double total, act;
    sl_llm_params(&tiny, &total, &act);
    double grad = 2 * total / 8;
    double net = 400e9 / 8 * 0.9;
    near(r.dp_exposed_s, 0.2 * (2 * 10e-6 + grad / net), 1e-9);
    /* Oversubscription slows the cross-server ring by its factor. */
    s.fabric_oversub = 2;
    struct sl_train_result r2;
    assert_int_equal(sl_train_eval(&s, &r2, &d), SL_OK);
    near(r2.dp_exposed_s, 0.2 * (2 * 10e-6 + 2 * grad / net), 1e-9);
}

/* 1F1B: bubble (p - 1) / (v m) of the step's compute, plus the warm-up
 * and drain sends. */
static void test_pipeline_bubble(void **state)
{
    (void)state;
    struct sl_train_spec s;
    tiny_spec(&s, 4, 1, 4, 1);
    s.interleave = 1;
    struct sl_train_result r;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_OK);
    double m = 8;
    double p2p = 3e-6 + 2048.0 * 2048 * 2 / (900e9 * 0.4);
    near(r.pp_bubble_s, 3.0 / m * r.compute_s + 2 * 3 * p2p, 1e-9);
    assert_int_equal(r.micro_batches, 8);
    /* Interleaving by 4 (one layer per virtual stage) divides the bubble. */
    s.interleave = 4;
    struct sl_train_result r4;
    assert_int_equal(sl_train_eval(&s, &r4, &d), SL_OK);
    near(r4.pp_bubble_s, 3.0 / (4 * m) * r.compute_s + 2 * 3 * p2p, 1e-9);
}

/* Memory: weights + fp32 grads (6 bytes) + Adam (12 / dp), activations of
 * L layers in flight; full recompute keeps only 2 h per token and layer. */
static void test_memory_fit(void **state)
{
    (void)state;
    struct sl_train_spec s;
    tiny_spec(&s, 16, 8, 1, 2);
    struct sl_train_result r;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_OK);
    double total, act;
    sl_llm_params(&tiny, &total, &act);
    near(r.state_bytes, total / 8 * (6 + 12.0 / 2), 1e-9);
    double h = 2048, f = 8192;
    double a_layer = (15 * h + 3 * h + 4 * f) / 8 * 2048;
    near(r.activation_bytes, (4 + 1) * a_layer, 1e-9);
    assert_true(r.recompute_share == 0);
    s.recompute = SL_RECOMPUTE_FULL;
    struct sl_train_result rf;
    assert_int_equal(sl_train_eval(&s, &rf, &d), SL_OK);
    near(rf.activation_bytes, 4 * (2 * h / 8 * 2048) + a_layer, 1e-9);
    near(rf.compute_s, r.compute_s * (1 + 1.0 / 3), 1e-9);

    /* 405B on one server does not fit, whatever the recompute. */
    struct sl_train_spec big;
    sl_train_spec_default(&big, model("llama3-405b"), device("h100-sxm"), 8);
    big.tp = 8;
    big.pp = 1;
    big.dp = 1;
    big.seq = 8192;
    big.global_batch_tokens = 8192 * 16;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&big, &r, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "does not fit"));
    /* Automatic recompute recomputes only what it must, between none and
     * full. */
    sl_train_spec_default(&big, model("llama3-405b"), device("h100-sxm"), 8192);
    big.tp = 8;
    big.pp = 16;
    big.dp = 64;
    big.seq = 8192;
    assert_int_equal(sl_train_eval(&big, &r, &d), SL_OK);
    assert_true(r.recompute_share > 0.05 && r.recompute_share < 0.95);
    near(r.memory_bytes, 80e9 * 0.9, 1e-6);
    big.recompute = SL_RECOMPUTE_NONE;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&big, &r, &d), SL_EINVAL);
}

static void test_bad_layouts(void **state)
{
    (void)state;
    struct sl_train_spec s;
    struct sl_train_result r;
    struct sl_diag d;
    tiny_spec(&s, 16, 8, 1, 3);
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "must equal"));
    tiny_spec(&s, 12, 3, 1, 4);
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "heads"));
    tiny_spec(&s, 16, 8, 1, 2);
    s.global_batch_tokens = 2048.0 * 3; /* 3 sequences over dp 2 */
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "micro-batches"));
    tiny_spec(&s, 16, 8, 1, 2);
    s.ep = 2;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "MoE"));
    tiny_spec(&s, 8, 1, 8, 1);
    sl_diag_clear(&d);
    assert_int_equal(sl_train_eval(&s, &r, &d), SL_EINVAL); /* pp 8 > 4 layers */
    /* No layout of 405B fits on 8 cards. */
    sl_train_spec_default(&s, model("llama3-405b"), device("h100-sxm"), 8);
    sl_diag_clear(&d);
    assert_int_equal(sl_train_best_layout(&s, &r, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "no layout"));
}

/* One published run: the model with the published layout and with the
 * automatic one. */
struct published {
    const char *model, *device;
    int64_t cards, tp, pp, dp, ep, seq;
    double batch;
    int fp8;
};

static void run_both(const struct published *p, struct sl_train_result *pub,
                     struct sl_train_result *aut)
{
    struct sl_train_spec s;
    sl_train_spec_default(&s, model(p->model), device(p->device), p->cards);
    s.seq = p->seq;
    s.global_batch_tokens = p->batch;
    s.precision = p->fp8 ? SL_PREC_FP8 : SL_PREC_FP16;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_train_best_layout(&s, aut, &d), SL_OK);
    s.tp = p->tp;
    s.pp = p->pp;
    s.dp = p->dp;
    s.ep = p->ep;
    if (sl_train_eval(&s, pub, &d) != SL_OK)
        fail_msg("%s: %s", p->model, d.msg);
    /* The search is at least as fast as the published layout. */
    assert_true(aut->step_time_s <= pub->step_time_s * (1 + 1e-12));
}

static void test_published_points(void **state)
{
    (void)state;
    struct sl_train_result pub, aut;
    /* Llama 3 405B, Table 4 of arXiv 2407.21783: 16 Mi tokens of 8192. */
    const struct published l8 = {"llama3-405b", "h100-sxm", 8192, 8, 16, 64, 1,
                                 8192,          16777216.0, 0};
    run_both(&l8, &pub, &aut);
    near(pub.tflops_per_device, 430, 0.15);
    near(aut.tflops_per_device, 430, 0.15);
    const struct published l16 = {"llama3-405b", "h100-sxm", 16384, 8,          16,
                                  128,           1,          8192,  16777216.0, 0};
    struct sl_train_result pub16, aut16;
    run_both(&l16, &pub16, &aut16);
    near(pub16.tflops_per_device, 400, 0.15);
    near(aut16.tflops_per_device, 400, 0.15);
    /* Scaling 8K -> 16K loses per-GPU throughput, as published (93 %). */
    assert_true(pub16.tflops_per_device < pub.tflops_per_device);
    /* MegaScale: 175B, seq 2048, 6144 sequences, TP8 PP8 on A100. */
    const struct published ms = {"gpt3-175b", "a100-80gb", 12288,         8, 8, 192,
                                 1,           2048,        6144.0 * 2048, 0};
    run_both(&ms, &pub, &aut);
    near(pub.mfu, 0.552, 0.15);
    near(aut.mfu, 0.552, 0.15);
    /* DeepSeek-V3: FP8, PP16 EP64 over 2048 H800, 15360 sequences of 4096;
     * 180K GPU-hours per trillion tokens. */
    const struct published ds = {"deepseek-v3", "h800",         2048, 1, 16, 128, 64,
                                 4096,          15360.0 * 4096, 1};
    run_both(&ds, &pub, &aut);
    near(2048 * 1e12 / pub.tokens_per_s / 3600, 180e3, 0.15);
    near(2048 * 1e12 / aut.tokens_per_s / 3600, 180e3, 0.15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute_time),    cmocka_unit_test(test_ring_allreduce),
        cmocka_unit_test(test_pipeline_bubble), cmocka_unit_test(test_memory_fit),
        cmocka_unit_test(test_bad_layouts),     cmocka_unit_test(test_published_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
