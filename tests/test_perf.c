/*
 * Tests for the LLM catalog and the inference performance model
 * (src/perf/models.c, src/perf/perf.c).
 *
 * Expected numbers come from outside the library: published parameter
 * counts (model cards and papers), the KV-per-token table of
 * reference/hardware-perf.md §2.2, step times worked by hand in this file
 * from the formulas of docs/model.md ("Inference performance") with the
 * device's datasheet numbers written out, and the published throughputs of
 * hardware-perf.md §6.  Where docs/model.md documents that the single-
 * replica model cannot represent a published setup, the test pins the
 * documented model value range, so a change that moves it must update the
 * documentation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <string.h>

#include "suanli/catalog.h"
#include "suanli/diag.h"
#include "suanli/llm.h"

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

/* The efficiency factors the hand-worked cases use, written out so those
 * cases do not depend on the defaults. */
static const struct sl_perf_eff hand_eff = {0.5, 0.6, 1e-3, 1e-6, 0.4};

static struct sl_perf_spec spec_of(const char *m, const char *dev, int64_t tp, int w, int kv)
{
    struct sl_perf_spec s;
    memset(&s, 0, sizeof s);
    s.model = model(m);
    s.device = device(dev);
    s.phases = sl_default_phase_model();
    s.tp = tp;
    s.weights = w;
    s.kv = kv;
    sl_perf_eff_default(s.device, &s.eff);
    s.mem_util = 0.9;
    s.act_bytes = 3e9;
    s.page_tokens = 16;
    return s;
}

static void init_ok(struct sl_perf *p, const struct sl_perf_spec *s)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_perf_init(p, s, &d);
    if (rc)
        print_error("%s\n", d.msg);
    assert_int_equal(rc, SL_OK);
}

/* Published parameter counts (model cards; papers for BLOOM, OPT, GPT-3,
 * DeepSeek-V3) within 2 %. */
static void test_param_counts(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double total, active;
    } pub[] = {
        {"llama2-70b", 69.0e9, 69.0e9},   {"llama3-8b", 8.03e9, 8.03e9},
        {"llama3-70b", 70.6e9, 70.6e9},   {"llama3-405b", 405.9e9, 405.9e9},
        {"qwen2.5-7b", 7.61e9, 7.61e9},   {"qwen2.5-72b", 72.7e9, 72.7e9},
        {"glm4-9b", 9.4e9, 9.4e9},        {"deepseek-v3", 671e9, 37e9},
        {"bloom-176b", 176.2e9, 176.2e9}, {"opt-175b", 175e9, 175e9},
        {"gpt3-175b", 175e9, 175e9},
    };
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        double total, active;
        sl_llm_params(model(pub[i].name), &total, &active);
        print_message("%-12s %.3f B / %.3f B\n", pub[i].name, total / 1e9, active / 1e9);
        assert_close(total, pub[i].total, 0.02);
        assert_close(active, pub[i].active, 0.02);
    }
    /* Llama 3 8B by hand: embeddings 2 x 128256 x 4096, 32 layers of
     * attention 2 x 4096 x 4096 + 2 x 4096 x 1024 and FFN 3 x 4096 x
     * 14336, norms 2 x 4096 per layer and a final one. */
    double total;
    sl_llm_params(model("llama3-8b"), &total, NULL);
    assert_close(total, 8030261248.0, 1e-12);
}

static void test_catalog_valid_and_validation(void **state)
{
    (void)state;
    struct sl_diag d;
    assert_true(sl_llm_model_count() >= 11);
    for (size_t i = 0; i < sl_llm_model_count(); i++) {
        sl_diag_clear(&d);
        assert_int_equal(sl_llm_validate(sl_llm_model_get(i), &d), SL_OK);
        assert_non_null(sl_llm_model_get(i)->source);
    }
    assert_null(sl_llm_model_get(sl_llm_model_count()));

    struct sl_llm_model m = *model("llama3-8b");
    m.kv_heads = 64;
    sl_diag_clear(&d);
    assert_int_equal(sl_llm_validate(&m, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "kv_heads"));

    m = *model("deepseek-v3");
    m.active_experts = 300;
    sl_diag_clear(&d);
    assert_int_equal(sl_llm_validate(&m, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "active_experts"));

    m = *model("deepseek-v3");
    m.dense_layers = 62;
    sl_diag_clear(&d);
    assert_int_equal(sl_llm_validate(&m, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "dense_layers"));

    m = *model("qwen2.5-7b");
    m.layers = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_llm_validate(&m, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "layers"));

    m = *model("qwen2.5-7b");
    m.ffn_kind = 7;
    sl_diag_clear(&d);
    assert_int_equal(sl_llm_validate(&m, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "ffn_kind"));
}

static void test_precisions(void **state)
{
    (void)state;
    assert_string_equal(sl_precision_names[SL_PREC_FP16], "fp16");
    assert_string_equal(sl_precision_names[SL_PREC_INT8], "int8");
    assert_string_equal(sl_precision_names[SL_PREC_FP8], "fp8");
    assert_string_equal(sl_precision_names[SL_PREC_INT4], "int4");
    assert_null(sl_precision_names[SL_PREC_COUNT]);
    assert_true(sl_precision_bytes(SL_PREC_FP16) == 2.0);
    assert_true(sl_precision_bytes(SL_PREC_INT8) == 1.0);
    assert_true(sl_precision_bytes(SL_PREC_FP8) == 1.0);
    assert_true(sl_precision_bytes(SL_PREC_INT4) == 0.5);
    assert_string_equal(sl_ffn_kind_names[SL_FFN_GATED], "gated");
    assert_string_equal(sl_ffn_kind_names[SL_FFN_PLAIN], "plain");
    assert_null(sl_ffn_kind_names[2]);
}

/* hardware-perf.md §2.2: KV per token at BF16, exactly. */
static void test_kv_table(void **state)
{
    (void)state;
    /* Each on a card and tp where its FP8 weights fit; DeepSeek with one
     * latent per token over the replica (dp_ep). */
    static const struct {
        const char *name, *dev;
        int64_t tp;
        int ep;
        double kib;
    } tab[] = {{"llama3-8b", "h100-sxm", 1, 0, 128}, {"llama3-70b", "b200", 1, 0, 320},
               {"llama3-405b", "b200", 8, 0, 504},   {"qwen2.5-72b", "b200", 1, 0, 320},
               {"qwen2.5-7b", "h100-sxm", 1, 0, 56}, {"glm4-9b", "h100-sxm", 1, 0, 40},
               {"deepseek-v3", "b200", 8, 1, 68.625}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        struct sl_perf_spec s =
            spec_of(tab[i].name, tab[i].dev, tab[i].tp, SL_PREC_FP8, SL_PREC_FP16);
        s.dp_ep = tab[i].ep;
        struct sl_perf p;
        init_ok(&p, &s);
        assert_true(p.kv_bytes_token == tab[i].kib * 1024);
    }
    /* FP8 halves DeepSeek's: 34.3 KiB. */
    struct sl_perf_spec s = spec_of("deepseek-v3", "h200", 8, SL_PREC_FP8, SL_PREC_FP8);
    s.dp_ep = 1;
    struct sl_perf p;
    init_ok(&p, &s);
    assert_true(p.kv_bytes_token == 61 * 576);

    /* TP: 8 KV heads split over 8 cards keep the replica total; over 16
     * cards each head is held twice; an MLA latent under TP attention is on
     * every card. */
    s = spec_of("llama3-70b", "h100-sxm", 8, SL_PREC_FP16, SL_PREC_FP16);
    init_ok(&p, &s);
    assert_true(p.kv_bytes_token == 320 * 1024);
    s.tp = 16;
    init_ok(&p, &s);
    assert_true(p.kv_bytes_token == 640 * 1024);
    s = spec_of("deepseek-v3", "h200", 8, SL_PREC_FP8, SL_PREC_FP16);
    init_ok(&p, &s);
    assert_true(p.kv_bytes_token == 8 * 61 * 576 * 2);
}

/* Llama 3 8B (FP16) on one H100 (3.35 TB/s, 989 TFLOPS), by hand:
 *   weights read per step = (8,030,261,248 - 128,256 x 4,096) x 2 bytes
 *                         = 15,009,849,344 (the input embedding is a lookup);
 *   linear FLOPs per token = 2 x 7,504,924,672;
 *   attention FLOPs per (token, context) = 4 x 32 x 32 x 128 = 524,288.
 * One sequence decoding at context 1000 is memory-bound; one prompt of
 * 4096 tokens is compute-bound. */
static void test_roofline_limits(void **state)
{
    (void)state;
    struct sl_perf_spec s = spec_of("llama3-8b", "h100-sxm", 1, SL_PREC_FP16, SL_PREC_FP16);
    s.eff = hand_eff;
    struct sl_perf p;
    init_ok(&p, &s);
    double w = 15009849344.0, lin = 2 * 7504924672.0, attn = 524288.0;
    double bw = 3.35e12 * 0.6, f = 989e12 * 0.5;

    double t_mem = (w + 131072.0 * 1000) / bw;
    double t_cmp = (lin + attn * 1000) / f;
    assert_true(t_mem > 10 * t_cmp);
    assert_close(sl_perf_decode_s(&p, 1, 1000), t_mem + 1e-3, 1e-9);

    double pairs = 4096.0 * 4097 / 2;
    t_cmp = (lin * 4096 + attn * pairs) / f;
    t_mem = (w + 131072.0 * 4096) / bw;
    assert_true(t_cmp > 10 * t_mem);
    assert_close(sl_perf_prefill_s(&p, 1, 4096), t_cmp + 1e-3, 1e-9);

    /* The ridge: decode turns compute-bound at a large batch, and the step
     * time per sequence falls as the weights are shared. */
    double t1 = sl_perf_decode_s(&p, 1, 1000), t64 = sl_perf_decode_s(&p, 64, 1000);
    assert_true(t64 > t1 && t64 < 64 * t1);
    /* W8A8 on an H100 doubles the linear compute rate; on a T100 (no INT8
     * matrix path) INT8 weights halve the bytes but not the compute time. */
    s = spec_of("llama3-8b", "t100", 1, SL_PREC_FP16, SL_PREC_FP16);
    s.eff = hand_eff;
    struct sl_perf q16, q8;
    init_ok(&q16, &s);
    s.weights = SL_PREC_INT8;
    init_ok(&q8, &s);
    assert_close(q8.comp_rate, q16.comp_rate, 1e-12);
    assert_close(q8.weight_bytes, q16.weight_bytes / 2, 1e-12);
    s = spec_of("llama3-8b", "h100-sxm", 1, SL_PREC_FP8, SL_PREC_FP16);
    s.eff = hand_eff;
    init_ok(&q8, &s);
    assert_close(q8.comp_rate, 1979e12 * 0.5, 1e-12);
}

/* Llama 3 70B (FP16) on 8 H100s: 2 x 80 ring all-reduces per step of
 * B x 8192 x 2 bytes, each 2 (8-1) alpha + 2 (8-1)/8 n / (900 GB/s x 0.4).
 * At batch 32, context 1000 the step is memory-bound:
 *   bytes = (70,553,706,496 - 128,256 x 8,192) x 2 + 327,680 x 32,000. */
static void test_tp_allreduce(void **state)
{
    (void)state;
    struct sl_perf_spec s = spec_of("llama3-70b", "h100-sxm", 8, SL_PREC_FP16, SL_PREC_FP16);
    s.eff = hand_eff;
    struct sl_perf p;
    init_ok(&p, &s);
    double n = 32.0 * 8192 * 2;
    double ar = 2 * 7 * 1e-6 + 2.0 * 7 / 8 * n / (900e9 * 0.4);
    double bytes = (70553706496.0 - 128256.0 * 8192) * 2 + 327680.0 * 32000;
    double t_mem = bytes / (8 * 3.35e12 * 0.6);
    assert_close(sl_perf_decode_s(&p, 32, 1000), t_mem + 160 * ar + 1e-3, 1e-9);

    /* Two cards: 2 alpha + n / beta per all-reduce. */
    s.tp = 2;
    s.weights = SL_PREC_FP8;
    init_ok(&p, &s);
    double ar2 = 2 * 1e-6 + n / (900e9 * 0.4);
    bytes = (70553706496.0 - 128256.0 * 8192) + 327680.0 * 32000;
    t_mem = bytes / (2 * 3.35e12 * 0.6);
    assert_close(sl_perf_decode_s(&p, 32, 1000), t_mem + 160 * ar2 + 1e-3, 1e-9);
}

/* Replicas that span servers.  Llama 3 70B on 16 H100s, 8 per server,
 * 40 GB/s per card between servers: the ring runs at its slowest hop,
 * 2 (16-1) alpha + 2 (16-1)/16 n / 40 GB/s per all-reduce, and the 8 KV
 * heads are each held twice.  DeepSeek-V3 on 16 H800s with dp_ep: of a
 * card's 15 peers 7 are on its NVLink (400 GB/s x 0.4) and 8 behind the
 * NICs, so a token's dispatch and combine (8 x 7168 x (1 + 2) bytes x
 * 15/16, a card sending 1/16 of the step's tokens) take the slower 8/15
 * share at 40 GB/s; a step of 131,072 prompt tokens is then bound by this
 * all-to-all (1.02 s) rather than compute (0.69 s). */
static void test_multi_server(void **state)
{
    (void)state;
    struct sl_perf_spec s = spec_of("llama3-70b", "h100-sxm", 16, SL_PREC_FP16, SL_PREC_FP16);
    s.eff = hand_eff;
    s.server_cards = 8;
    s.scaleout_bw = 40e9;
    struct sl_perf p;
    init_ok(&p, &s);
    double n = 32.0 * 8192 * 2;
    double ar = 2 * 15 * 1e-6 + 2.0 * 15 / 16 * n / 40e9;
    double bytes = (70553706496.0 - 128256.0 * 8192) * 2 + 2 * 327680.0 * 32000;
    double t_mem = bytes / (16 * 3.35e12 * 0.6);
    assert_close(sl_perf_decode_s(&p, 32, 1000), t_mem + 160 * ar + 1e-3, 1e-9);

    s = spec_of("deepseek-v3", "h800", 16, SL_PREC_FP8, SL_PREC_FP8);
    s.eff = hand_eff;
    s.dp_ep = 1;
    s.server_cards = 8;
    s.scaleout_bw = 40e9;
    init_ok(&p, &s);
    double per_token = 8.0 * 7168 * 3 * 15 / 16 / 16;
    double comm = 58 * (2 * 1e-6 + 8.0 / 15 / 40e9 * per_token * 131072);
    assert_close(sl_perf_prefill_s(&p, 32, 4096), comm + 1e-3, 1e-9);
    /* On one 16-card fabric (no servers) the same step is compute-bound. */
    s.server_cards = 0;
    init_ok(&p, &s);
    assert_true(sl_perf_prefill_s(&p, 32, 4096) < 0.8 * (comm + 1e-3));
}

/* Lower caps never speed a step up; compute-bound prefill slows in
 * proportion to the power above idle (alpha 1), memory-bound decode much
 * less (alpha 0.2).  H100: idle 100 W, TDP 700 W; prefill draws 700 W,
 * decode 100 + 0.55 x 600 = 430 W. */
static void test_power_cap(void **state)
{
    (void)state;
    struct sl_perf_spec s = spec_of("llama3-8b", "h100-sxm", 1, SL_PREC_FP16, SL_PREC_FP16);
    s.eff = hand_eff;
    s.eff.overhead_s = 0;
    double prev_pre = 0, prev_dec = 0;
    static const double caps[] = {0, 700, 650, 550, 450, 350, 250, 150};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        s.cap_w = caps[i];
        struct sl_perf p;
        init_ok(&p, &s);
        double pre = sl_perf_prefill_s(&p, 1, 4096), dec = sl_perf_decode_s(&p, 8, 1000);
        assert_true(pre >= prev_pre && dec >= prev_dec);
        if (caps[i] > 0 && caps[i] < 700)
            assert_true(pre > prev_pre);
        prev_pre = pre;
        prev_dec = dec;
        assert_true(p.power_w[SL_PHASE_PREFILL] <= (caps[i] > 0 ? caps[i] : 700) + 1e-9);
    }
    struct sl_perf free_p, capped;
    s.cap_w = 0;
    init_ok(&free_p, &s);
    s.cap_w = 250;
    init_ok(&capped, &s);
    double slow_pre = sl_perf_prefill_s(&capped, 1, 4096) / sl_perf_prefill_s(&free_p, 1, 4096);
    double slow_dec = sl_perf_decode_s(&capped, 8, 1000) / sl_perf_decode_s(&free_p, 8, 1000);
    assert_close(slow_pre, 600.0 / 150, 1e-9);
    assert_close(slow_dec, pow(330.0 / 150, 0.2), 1e-9);
    assert_close(capped.power_w[SL_PHASE_DECODE], 250, 1e-12);
    assert_close(free_p.power_w[SL_PHASE_DECODE], 430, 1e-12);
    assert_close(free_p.power_w[SL_PHASE_IDLE], 100, 1e-12);
}

static void test_refusals(void **state)
{
    (void)state;
    struct sl_diag d;
    struct sl_perf p;
    /* 405.9 B x 2 bytes / 8 = 101 GB per card > 80 GB x 0.9 - 3 GB. */
    struct sl_perf_spec s = spec_of("llama3-405b", "h100-sxm", 8, SL_PREC_FP16, SL_PREC_FP16);
    sl_diag_clear(&d);
    assert_int_equal(sl_perf_init(&p, &s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "does not fit"));
    assert_non_null(strstr(d.msg, "101.5 GB"));
    s.weights = SL_PREC_FP8; /* 50.7 GB per card fits */
    init_ok(&p, &s);
    s.tp = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_perf_init(&p, &s, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "tp"));
    s = spec_of("llama3-8b", "h100-sxm", 2, SL_PREC_FP16, SL_PREC_FP16);
    s.dp_ep = 1; /* a dense model has no experts to spread */
    sl_diag_clear(&d);
    assert_int_equal(sl_perf_init(&p, &s, &d), SL_EINVAL);
    s = spec_of("llama3-8b", "h100-sxm", 1, SL_PREC_FP16, SL_PREC_INT4);
    sl_diag_clear(&d);
    assert_int_equal(sl_perf_init(&p, &s, &d), SL_EINVAL);
    s = spec_of("llama3-8b", "h100-sxm", 1, SL_PREC_FP16, SL_PREC_FP16);
    s.eff.memory = 1.5;
    sl_diag_clear(&d);
    assert_int_equal(sl_perf_init(&p, &s, &d), SL_EINVAL);
}

/* KV capacity in pages: Qwen2.5-7B FP16 on one H100: 80 GB x 0.9 - 3 GB -
 * 7,615,487,488 x 2 bytes, over 16-token pages of 57,344 bytes each. */
static void test_capacity_and_max_batch(void **state)
{
    (void)state;
    struct sl_perf_spec s = spec_of("qwen2.5-7b", "h100-sxm", 1, SL_PREC_FP16, SL_PREC_FP16);
    struct sl_perf p;
    init_ok(&p, &s);
    double total;
    sl_llm_params(model("qwen2.5-7b"), &total, NULL);
    double free_b = 80e9 * 0.9 - 3e9 - total * 2;
    double pages = floor(free_b / (16 * 57344.0));
    assert_true(p.kv_capacity_tokens == pages * 16);
    /* 1000 tokens use 63 pages. */
    assert_int_equal(sl_perf_max_batch(&p, 1000), (int64_t)floor(pages / 63));
    assert_int_equal(sl_perf_max_batch(&p, 1008), (int64_t)floor(pages / 63));
    assert_int_equal(sl_perf_max_batch(&p, 1009), (int64_t)floor(pages / 64));
}

/* MoE weight reads: one token touches its 8 experts of 256 per layer, a
 * large batch all of them. */
static void test_moe_expert_reads(void **state)
{
    (void)state;
    struct sl_perf_spec s = spec_of("deepseek-v3", "h200", 8, SL_PREC_FP8, SL_PREC_FP8);
    s.eff = hand_eff;
    s.eff.overhead_s = 0;
    s.eff.link_alpha_s = 0;
    struct sl_perf p;
    init_ok(&p, &s);
    /* One routed expert: 3 x 7168 x 2048 over 58 MoE layers, 1 byte each. */
    double expert = 3.0 * 7168 * 2048 * 58;
    double total;
    sl_llm_params(model("deepseek-v3"), &total, NULL);
    double rest = total - 129280.0 * 7168 - 256 * expert;
    double ar1 = 122 * (2.0 * 7 / 8 * 7168 * 2 / (900e9 * 0.4));
    double t1 = sl_perf_decode_s(&p, 1, 0.0);
    assert_close(t1, (rest + 8 * expert) / (8 * 4.8e12 * 0.6) + ar1, 1e-9);
    /* At batch 4096 essentially every expert is read. */
    double t_big = sl_perf_decode_s(&p, 4096, 0.0);
    double flops = 4096 * 2 * (37.552e9 - 129280.0 * 7168);
    double mem = (rest + 256 * expert) / (8 * 4.8e12 * 0.6);
    double cmp = flops / (8 * 1979e12 * 0.5);
    assert_close(t_big, fmax(mem, cmp) + 4096 * ar1, 2e-3);
}

/* The closed-form mean decode step equals the plain sum of step times. */
static void test_infer_closed_form(void **state)
{
    (void)state;
    static const struct {
        const char *m, *dev;
        int64_t tp, batch, prompt, output;
        int ep;
    } cases[] = {{"llama3-8b", "h100-sxm", 1, 64, 500, 3000, 0},
                 {"llama3-8b", "h100-sxm", 1, 1, 100, 10, 0},
                 {"qwen2.5-72b", "t100", 8, 16, 1500, 700, 0},
                 {"deepseek-v3", "h800", 32, 256, 2000, 1500, 1},
                 {"glm4-9b", "ascend-910b", 1, 400, 2000, 4000, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sl_perf_spec s =
            spec_of(cases[i].m, cases[i].dev, cases[i].tp, SL_PREC_FP8, SL_PREC_FP8);
        s.dp_ep = cases[i].ep;
        struct sl_perf p;
        init_ok(&p, &s);
        struct sl_perf_infer r;
        sl_perf_infer(&p, cases[i].batch, cases[i].prompt, cases[i].output, 0.05, &r);
        double sum = 0;
        for (int64_t j = 1; j <= cases[i].output; j++)
            sum += sl_perf_decode_s(&p, cases[i].batch, (double)(cases[i].prompt + j));
        double mean = sum / (double)cases[i].output;
        assert_close(r.decode_ms_per_token, 1e3 * mean, 1e-9);
        assert_close(r.tokens_per_s, (double)cases[i].batch / mean, 1e-9);
        assert_close(r.prefill_ms, 1e3 * sl_perf_prefill_s(&p, cases[i].batch, cases[i].prompt),
                     1e-12);
        assert_int_equal(r.max_batch_by_memory,
                         sl_perf_max_batch(&p, (double)(cases[i].prompt + cases[i].output)));
        /* Sessions: the largest batch meeting the target, at the mean
         * context, within memory. */
        double ctx = (double)cases[i].prompt + ((double)cases[i].output + 1) / 2;
        int64_t b = (int64_t)llround(r.sessions_per_device * (double)cases[i].tp);
        assert_true(b <= sl_perf_max_batch(&p, ctx));
        if (b > 0)
            assert_true(sl_perf_decode_s(&p, b, ctx) <= 0.05);
        if (b < sl_perf_max_batch(&p, ctx))
            assert_true(sl_perf_decode_s(&p, b + 1, ctx) > 0.05);
    }
}

/* Sessions per chip on the T100 (hardware-perf.md §2.4): 1,500-token
 * context, TPOT 50 ms, INT8 weights (W8A16: FP16 compute) and INT8 KV.
 * docs/model.md, "Sessions per chip", derives the numbers. */
static void test_t100_sessions(void **state)
{
    (void)state;
    struct sl_perf p;
    struct sl_perf_infer r;
    /* Qwen2.5-7B on one card: the brief's 100-500 band; §2.4's memory-only
     * bound (940-1070) is cut by compute at 250 TFLOPS x 0.4. */
    struct sl_perf_spec s = spec_of("qwen2.5-7b", "t100", 1, SL_PREC_INT8, SL_PREC_INT8);
    init_ok(&p, &s);
    sl_perf_infer(&p, 1, 1000, 999, 0.05, &r);
    print_message("t100 qwen2.5-7b: %.1f sessions per card\n", r.sessions_per_device);
    assert_true(r.sessions_per_device >= 100 && r.sessions_per_device <= 500);
    /* By hand: compute-bound.  Per sequence 2 x (7,615,487,488 - 152,064 x
     * 3,584) linear FLOPs + 4 x 28 x 28 x 128 x 1,500 attention FLOPs, at
     * 250 TFLOPS x 0.4 in the 48 ms left after the 2 ms overhead. */
    double per_seq = 2 * (7615487488.0 - 152064.0 * 3584) + 4.0 * 28 * 28 * 128 * 1500;
    assert_close(r.sessions_per_device, floor(0.048 * 250e12 * 0.4 / per_seq), 1e-12);

    /* Qwen2.5-72B on 8 cards over PCIe: the all-reduces (160 per step,
     * 14 x 10 us latency each) leave only a few sessions per card. */
    s = spec_of("qwen2.5-72b", "t100", 8, SL_PREC_INT8, SL_PREC_INT8);
    init_ok(&p, &s);
    sl_perf_infer(&p, 1, 1000, 999, 0.05, &r);
    print_message("t100 qwen2.5-72b tp8: %.1f sessions per card\n", r.sessions_per_device);
    assert_true(r.sessions_per_device >= 5 && r.sessions_per_device <= 12);
    /* Without the all-reduce (an ideal link) the replica is compute-bound,
     * not at §2.4's memory-only 100-190 per card: per sequence 2 x (N -
     * 152,064 x 8,192) + 4 x 80 x 64 x 128 x 1,500 FLOPs at 8 x 250 TFLOPS
     * x 0.4 (no INT8 matrix path) in 48 ms. */
    struct sl_device_model ideal = *device("t100");
    ideal.link_bw = 1e18;
    s.device = &ideal;
    s.eff.link_alpha_s = 0;
    init_ok(&p, &s);
    sl_perf_infer(&p, 1, 1000, 999, 0.05, &r);
    print_message("t100 qwen2.5-72b tp8, ideal link: %.1f sessions per card\n",
                  r.sessions_per_device);
    double n72;
    sl_llm_params(model("qwen2.5-72b"), &n72, NULL);
    per_seq = 2 * (n72 - 152064.0 * 8192) + 4.0 * 80 * 64 * 128 * 1500;
    assert_close(r.sessions_per_device, floor(0.048 * 8 * 250e12 * 0.4 / per_seq) / 8, 1e-12);
    assert_true(r.sessions_per_device < 100);
}

/* Published points of hardware-perf.md §6 (docs/model.md, "Validation").
 * Per-device throughput from the replica: prefill = tokens of one step of
 * about 8,192 tokens per card over its time; decode = the sessions meeting
 * TPOT 50 ms over 50 ms (sessions / TPOT). */
struct point {
    const char *dev;
    int w;
    int64_t tp, prompt;
    int64_t server_cards; /* 0: one fabric */
    double scaleout_bw;
};

static double prefill_per_card(const struct point *pt)
{
    struct sl_perf_spec s = spec_of("deepseek-v3", pt->dev, pt->tp, pt->w, pt->w);
    s.dp_ep = 1;
    s.server_cards = pt->server_cards;
    s.scaleout_bw = pt->scaleout_bw;
    struct sl_perf p;
    init_ok(&p, &s);
    int64_t batch = pt->tp * 8192 / pt->prompt;
    double t = sl_perf_prefill_s(&p, batch, pt->prompt);
    return (double)(batch * pt->prompt) / t / (double)pt->tp;
}

static double decode_per_card_at(const struct point *pt, double tpot_s)
{
    struct sl_perf_spec s = spec_of("deepseek-v3", pt->dev, pt->tp, pt->w, pt->w);
    s.dp_ep = 1;
    s.server_cards = pt->server_cards;
    s.scaleout_bw = pt->scaleout_bw;
    struct sl_perf p;
    init_ok(&p, &s);
    struct sl_perf_infer r;
    sl_perf_infer(&p, 1, pt->prompt, 1000, tpot_s, &r);
    double ctx = (double)pt->prompt + 500.5;
    int64_t b = (int64_t)llround(r.sessions_per_device * (double)pt->tp);
    return (double)b / sl_perf_decode_s(&p, b, ctx) / (double)pt->tp;
}

static double decode_per_card(const struct point *pt)
{
    return decode_per_card_at(pt, 0.05);
}

static void check_point(const char *what, double got, double published, double lo, double hi)
{
    print_message("%-28s model %8.0f  published %8.0f  error %+5.1f %%\n", what, got, published,
                  100 * (got / published - 1));
    if (lo == 0) {
        assert_close(got, published, 0.25);
    } else {
        /* A documented gap: the value docs/model.md gives. */
        assert_true(got >= lo && got <= hi);
    }
}

static void test_published_points(void **state)
{
    (void)state;
    /* CloudMatrix384, DeepSeek-R1 INT8 on Ascend 910C (per 910C package):
     * prefill on 16 NPUs (EP32 over 32 dies), 4K prompts: 6,688 tok/s. */
    struct point cm_pre = {"ascend-910c", SL_PREC_INT8, 16, 4096, 0, 0};
    check_point("CloudMatrix prefill /NPU", prefill_per_card(&cm_pre), 6688, 0, 0);
    /* Decode on 160 NPUs (EP320) at TPOT < 50 ms: 1,943 tok/s; the model
     * gives 2,517 (+30 %), a documented gap. */
    struct point cm_dec = {"ascend-910c", SL_PREC_INT8, 160, 4096, 0, 0};
    check_point("CloudMatrix decode /NPU", decode_per_card(&cm_dec), 1943, 2300, 2750);
    /* At TPOT 15 ms, 538 tok/s: the model's replicated weights alone take
     * most of the 15 ms (documented gap). */
    check_point("CloudMatrix decode 15 ms", decode_per_card_at(&cm_dec, 0.015), 538, 150, 280);
    /* DeepSeek production, H800 (8 x 400G per node: 40 GB/s achieved per
     * GPU between nodes): prefill EP32 (4 nodes), 73.7k input tok/s per
     * node with cache hits counted as input; the model, which computes
     * every token, gives ~43k (gap). */
    struct point ds_pre = {"h800", SL_PREC_FP8, 32, 4096, 8, 40e9};
    check_point("DeepSeek H800 prefill /node", 8 * prefill_per_card(&ds_pre), 73.7e3, 39e3, 47e3);
    /* Decode EP144 (18 nodes) at the day's mean KV length of 4,989 tokens,
     * 14.8k output tok/s per node averaged over a day of production load:
     * the model's capacity is ~32k (gap). */
    struct point ds_dec = {"h800", SL_PREC_FP8, 144, 4489, 8, 40e9};
    check_point("DeepSeek H800 decode /node", 8 * decode_per_card(&ds_dec), 14.8e3, 30e3, 37e3);
    /* SGLang on H100, ISL 2000: prefill 3 nodes (EP24) 52.3k per node;
     * decode 9 nodes (EP72) 22.3k per node, where the model gives ~35k. */
    struct point sg_pre = {"h100-sxm", SL_PREC_FP8, 24, 2000, 8, 40e9};
    check_point("SGLang H100 prefill /node", 8 * prefill_per_card(&sg_pre), 52.3e3, 0, 0);
    struct point sg_dec = {"h100-sxm", SL_PREC_FP8, 72, 2000, 8, 40e9};
    check_point("SGLang H100 decode /node", 8 * decode_per_card(&sg_dec), 22.3e3, 32e3, 39e3);
    /* SGLang on H20-96G, ISL 4096, 2 nodes: 16.5k in / 5.7k out per node. */
    struct point h20 = {"h20", SL_PREC_FP8, 16, 4096, 8, 40e9};
    check_point("SGLang H20 prefill /node", 8 * prefill_per_card(&h20), 16.5e3, 0, 0);
    check_point("SGLang H20 decode /node", 8 * decode_per_card(&h20), 5.7e3, 0, 0);
}

static void test_eff_defaults(void **state)
{
    (void)state;
    struct sl_perf_eff e;
    sl_perf_eff_default(device("h100-sxm"), &e);
    assert_true(e.compute == 0.5 && e.memory == 0.6);
    sl_perf_eff_default(device("t100"), &e);
    assert_true(e.compute == 0.4 && e.memory == 0.5 && e.link_alpha_s == 10e-6);
    struct sl_device_model own = *device("c500");
    own.name = (char[]){"my-card"};
    sl_perf_eff_default(&own, &e);
    assert_true(e.compute == 0.4 && e.memory == 0.5);
    for (size_t i = 0; i < sl_catalog_device_count(); i++) {
        sl_perf_eff_default(sl_catalog_device(i), &e);
        assert_true(e.compute > 0 && e.compute <= 1 && e.memory > 0 && e.memory <= 1);
        assert_true(e.link_eff > 0 && e.link_eff <= 1 && e.overhead_s >= 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_counts),
        cmocka_unit_test(test_catalog_valid_and_validation),
        cmocka_unit_test(test_precisions),
        cmocka_unit_test(test_kv_table),
        cmocka_unit_test(test_roofline_limits),
        cmocka_unit_test(test_tp_allreduce),
        cmocka_unit_test(test_multi_server),
        cmocka_unit_test(test_power_cap),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_capacity_and_max_batch),
        cmocka_unit_test(test_moe_expert_reads),
        cmocka_unit_test(test_infer_closed_form),
        cmocka_unit_test(test_t100_sessions),
        cmocka_unit_test(test_published_points),
        cmocka_unit_test(test_eff_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
