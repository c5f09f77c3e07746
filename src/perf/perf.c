/*
 * The analytical inference performance model of one replica (see
 * include/suanli/llm.h; formulas, defaults and validation in docs/model.md,
 * "Inference performance", after reference/hardware-perf.md §2).
 *
 * A replica is G = tp cards of one device.  sl_perf_init folds the model,
 * the device, the precisions, the efficiency factors and the power cap into
 * a handful of constants, so that one step costs a few multiplications, one
 * exp (MoE only) and no branch on the model: the serving simulator calls it
 * for every iteration of every replica.  One step of `tokens` = decode +
 * prefill tokens takes
 *     T = max(bytes / R_mem, flops / R_cmp) + T_comm + overhead
 *     bytes = W_read + E_hit(tokens) W_expert + KV_tok (decode_ctx + prefill)
 *     flops = 2 N_lin tokens + rho (A_pre prefill_attn + A_dec decode_ctx)
 * where W_read are the weights every step reads (all of them for a dense
 * model; for MoE all but the routed experts, which are read only when a
 * token of the step is routed to them: E_hit = E (1 - (1 - k/E)^tokens)
 * distinct experts per layer in expectation under uniform routing), N_lin
 * the active parameters that take part in matrix products (the input
 * embedding is a lookup), A the attention FLOPs per (token, context) pair
 * and rho the ratio of the linear layers' peak to the FP16 peak at which
 * attention runs.  Tensor parallelism: T_comm is 2 L ring all-reduces, one
 * of n = tokens * hidden * 2 bytes costing 2 (G-1) alpha + 2 (G-1)/G n /
 * (link_bw link_eff).  DP attention with expert parallelism (dp_ep, the
 * DeepSeek deployment): a dispatch and a combine per MoE layer, hidden
 * behind compute by micro-batch overlap, so T = max(memory, compute,
 * T_comm) + overhead.
 *
 * Power cap: the compute rate R_cmp of a step with prefill tokens is slowed
 * by the device's speed in the prefill phase (alpha 1: compute-bound work
 * slows with the cap), the memory rate R_mem by its speed in the decode phase
 * (alpha 0.2: bandwidth-bound work barely does); a pure decode step runs
 * both terms at the decode phase's speed, since the card then draws decode
 * power (catalog.h, docs/model.md "Speed under a cap").
 */
#include "perf/perf.h"

#include "suanli/diag.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Default efficiency factors (docs/model.md, "Efficiency defaults"):
 * compute, memory, overhead_s, link_alpha_s, link_eff. */
struct eff_row {
    const char *device;
    struct sl_perf_eff eff;
};

#define NVIDIA_EFF                                                                                 \
    {                                                                                              \
        0.5, 0.6, 1e-3, 1e-6, 0.4                                                                  \
    }

static const struct eff_row eff_rows[] = {
    {"h20", NVIDIA_EFF},
    {"h800", NVIDIA_EFF},
    {"h100-sxm", NVIDIA_EFF},
    {"h200", NVIDIA_EFF},
    {"b200", NVIDIA_EFF},
    {"a100-80gb", NVIDIA_EFF},
    {"ascend-910b", {0.4, 0.5, 2e-3, 5e-6, 0.64}},
    {"ascend-910c", {0.4, 0.5, 2e-3, 5e-6, 0.64}},
    {"t100", {0.4, 0.5, 2e-3, 10e-6, 0.75}},
    {"k100-ai", {0.4, 0.5, 2e-3, 10e-6, 0.75}},
};

/* Domestic parts without a row, and scenario devices. */
static const struct sl_perf_eff domestic_eff = {0.4, 0.5, 2e-3, 5e-6, 0.64};

/* The shortest step: the simulator's time resolution, 1 us. */
#define MIN_STEP_S 1e-6

void sl_perf_eff_default(const struct sl_device_model *dev, struct sl_perf_eff *out)
{
    *out = domestic_eff;
    if (!dev || !dev->name)
        return;
    for (size_t i = 0; i < sizeof eff_rows / sizeof eff_rows[0]; i++)
        if (strcmp(dev->name, eff_rows[i].device) == 0) {
            *out = eff_rows[i].eff;
            return;
        }
}

static int check_spec(const struct sl_perf_spec *s, struct sl_diag *d)
{
    if (!s->model || !s->device || !s->phases)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "perf: model, device and phases must be set");
    const char *mn = s->model->name ? s->model->name : "?";
    if (s->tp < 1)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model '%s': tp must be >= 1 (is %lld)", mn,
                           (long long)s->tp);
    if (s->weights < 0 || s->weights >= SL_PREC_COUNT || s->kv < 0 || s->kv >= SL_PREC_COUNT)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "model '%s': unknown weight or KV precision (fp16, int8, fp8, int4)",
                           mn);
    if (s->kv == SL_PREC_INT4)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "model '%s': an int4 KV cache is not supported (fp16, int8 or fp8)", mn);
    if (!(s->mem_util > 0 && s->mem_util <= 1))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model '%s': mem_util must be in (0, 1]", mn);
    if (!(s->act_bytes >= 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model '%s': act_bytes must be >= 0", mn);
    if (s->page_tokens < 1)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model '%s': page_tokens must be >= 1", mn);
    if (s->dp_ep && s->model->experts == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "model '%s': data-parallel attention with expert parallelism (dp_ep) "
                           "needs a MoE model; a dense model runs tensor-parallel",
                           mn);
    if (s->server_cards < 0 || !(s->scaleout_bw >= 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "model '%s': server_cards and scaleout_bw must be >= 0", mn);
    if (!(s->cap_w >= 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model '%s': cap_w must be >= 0", mn);
    const struct sl_perf_eff *e = &s->eff;
    if (!(e->compute > 0 && e->compute <= 1) || !(e->memory > 0 && e->memory <= 1) ||
        !(e->link_eff > 0 && e->link_eff <= 1) || !(e->overhead_s >= 0) || !(e->link_alpha_s >= 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "model '%s' on '%s': efficiency factors must be in (0, 1] and "
                           "overhead_s, link_alpha_s >= 0",
                           mn, s->device->name ? s->device->name : "?");
    return SL_OK;
}

int sl_perf_init(struct sl_perf *p, const struct sl_perf_spec *spec, struct sl_diag *d)
{
    int rc = check_spec(spec, d);
    if (rc)
        return rc;
    const struct sl_llm_model *m = spec->model;
    const struct sl_device_model *dev = spec->device;
    rc = sl_llm_validate(m, d);
    if (rc)
        return rc;

    memset(p, 0, sizeof *p);
    p->spec = *spec;
    double g = (double)spec->tp;
    double bw = sl_precision_bytes(spec->weights), bkv = sl_precision_bytes(spec->kv);
    double layers = (double)m->layers;
    sl_llm_params(m, &p->params_total, &p->params_active);

    int mla = m->kv_lora_rank > 0;
    int ep = spec->dp_ep != 0;
    double moe_layers = (double)sl__llm_moe_layers(m);
    double expert = sl__llm_expert_params(m);
    double experts_all = moe_layers * (double)m->experts * expert;
    /* Weights on every card: all of them under EP but the routed experts. */
    double replicated = ep ? p->params_total - experts_all : 0.0;
    p->weight_bytes = ((p->params_total - replicated) / g + replicated) * bw;

    /* KV per token over the replica.  TP, GQA/MHA: the KV heads are split
     * across the cards, a head replicated on every card that has none of
     * its own when tp exceeds the KV heads (vLLM).  TP, MLA: the latent is
     * one vector per token that every card keeps.  DP attention: a
     * sequence's KV is on one card only. */
    if (mla) {
        double latent = layers * (double)(m->kv_lora_rank + m->rope_dim) * bkv;
        p->kv_bytes_token = ep ? latent : g * latent;
    } else {
        double per_card = ep ? (double)m->kv_heads : ceil((double)m->kv_heads / g) * g;
        p->kv_bytes_token = 2 * layers * per_card * (double)m->head_dim * bkv;
    }

    double usable = dev->memory_bytes * spec->mem_util - spec->act_bytes;
    double page_bytes = (double)spec->page_tokens * p->kv_bytes_token;
    double free_bytes = g * (usable - p->weight_bytes);
    if (free_bytes < page_bytes)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "model '%s' (%s weights) does not fit on %lld x '%s': needs %.1f GB "
                           "per card (weights %.1f GB and one KV page), has %.1f GB (%.0f %% of "
                           "%.1f GB less %.1f GB for activations); use more cards (tp) or fewer "
                           "weight bytes",
                           m->name, sl_precision_names[spec->weights], (long long)spec->tp,
                           dev->name, (p->weight_bytes + page_bytes / g) / 1e9,
                           p->weight_bytes / 1e9, usable / 1e9, 100 * spec->mem_util,
                           dev->memory_bytes / 1e9, spec->act_bytes / 1e9);
    double pages = floor(free_bytes / page_bytes);
    p->kv_capacity_tokens = pages * (double)spec->page_tokens;

    /* Compute: W8A8 on the INT8/FP8 peak when the weights are 8-bit and the
     * device has a faster 8-bit path; otherwise (FP16, weight-only INT4, or
     * a device such as the T100 without INT8 matrix units) the FP16 peak. */
    int eight = spec->weights == SL_PREC_INT8 || spec->weights == SL_PREC_FP8;
    double peak = eight && dev->int8_ops > dev->fp16_flops ? dev->int8_ops : dev->fp16_flops;
    const struct sl_phase_model *pm = spec->phases;
    double s_cmp = sl_device_speed(dev, pm, SL_PHASE_PREFILL, 1.0, spec->cap_w);
    double s_dec = sl_device_speed(dev, pm, SL_PHASE_DECODE, 1.0, spec->cap_w);
    p->attn_rate_ratio = peak / dev->fp16_flops;
    p->comp_rate = g * peak * spec->eff.compute * s_cmp;
    p->comp_rate_decode = g * peak * spec->eff.compute * s_dec;
    p->mem_rate = g * dev->memory_bw * spec->eff.memory * s_dec;
    p->mem_rate_decode = p->mem_rate;

    double in_emb = sl__llm_input_embedding_params(m);
    p->flops_token = 2 * (p->params_active - in_emb);
    double h = (double)m->heads, dh = (double)m->head_dim;
    if (mla) {
        double dv = m->v_head_dim > 0 ? (double)m->v_head_dim : dh;
        double dr = (double)m->rope_dim, rkv = (double)m->kv_lora_rank;
        /* Prefill expands the latent to per-head keys and values; decode
         * absorbs the up-projections and attends in the latent space. */
        p->attn_flops_ctx = 2 * layers * h * (dh + dr + dv);
        p->attn_flops_ctx_decode = 2 * layers * h * (2 * rkv + dr);
    } else {
        p->attn_flops_ctx = 4 * layers * h * dh;
        p->attn_flops_ctx_decode = p->attn_flops_ctx;
    }

    /* Under EP every card reads its own copy of the replicated weights. */
    p->weight_read_bytes = (p->params_total - in_emb - experts_all) * (ep ? g : 1.0) * bw;
    if (m->experts > 0) {
        p->experts = (double)m->experts;
        p->expert_read_bytes = moe_layers * expert * bw;
        double miss = 1.0 - (double)m->active_experts / (double)m->experts;
        p->log_miss = miss > 0 ? log(miss) : -INFINITY;
    }

    /* Communication, as count x (alpha + s x bytes per token x tokens).
     * TP: two ring all-reduces of the hidden state (2 bytes) per layer.
     * EP: per MoE layer a dispatch (8-bit with 8-bit weights, else 16-bit)
     * and a combine (16-bit) of k copies of each token's hidden state; a
     * card sends those of its own tokens (1/G of the step's) that go to
     * the other cards ((G-1)/G of them), all cards at once. */
    int spans = spec->server_cards > 0 && spec->scaleout_bw > 0 && spec->tp > spec->server_cards;
    double link = dev->link_bw * spec->eff.link_eff;
    double scaleout = spans ? spec->scaleout_bw : link; /* already an achieved figure */
    if (spec->tp > 1 && !ep) {
        /* A ring across servers runs at its slowest hop. */
        p->ar_per_step = 2 * layers;
        p->ar_alpha_s = 2 * (g - 1) * spec->eff.link_alpha_s;
        p->ar_s_per_byte = 2 * (g - 1) / g / (scaleout < link ? scaleout : link);
        p->act_bytes_token = 2 * (double)m->hidden;
    } else if (spec->tp > 1) {
        /* Of a card's G - 1 peers, S - 1 share its server (card link) and
         * G - S do not (scale-out); both links carry their share at once. */
        double dispatch = eight ? 1.0 : 2.0;
        double s_cards = spans ? (double)spec->server_cards : g;
        double t_in = (s_cards - 1) / (g - 1) / link;
        double t_out = (g - s_cards) / (g - 1) / scaleout;
        p->ar_per_step = moe_layers;
        p->ar_alpha_s = 2 * spec->eff.link_alpha_s;
        p->ar_s_per_byte = t_in > t_out ? t_in : t_out;
        p->act_bytes_token =
            (double)m->active_experts * (double)m->hidden * (dispatch + 2.0) * (g - 1) / g / g;
        p->comm_overlapped = 1;
    }

    for (int ph = 0; ph < SL_PHASE_COUNT; ph++)
        p->power_w[ph] = sl_device_power_w(dev, pm, ph, 1.0, spec->cap_w);
    return SL_OK;
}

/* Expected weight bytes a step of `tokens` tokens reads. */
static double weights_read(const struct sl_perf *p, double tokens)
{
    if (p->experts <= 0)
        return p->weight_read_bytes;
    double hit = p->experts * (1.0 - exp(tokens * p->log_miss));
    return p->weight_read_bytes + hit * p->expert_read_bytes;
}

double sl_perf_step_s(const struct sl_perf *p, const struct sl_perf_batch *b)
{
    double tokens = (double)b->decode + (double)b->prefill_tokens;
    double overhead = p->spec.eff.overhead_s;
    if (tokens <= 0)
        return overhead > MIN_STEP_S ? overhead : MIN_STEP_S;
    double bytes =
        weights_read(p, tokens) + p->kv_bytes_token * (b->decode_ctx + (double)b->prefill_tokens);
    double flops =
        p->flops_token * tokens + p->attn_rate_ratio * (p->attn_flops_ctx * b->prefill_attn +
                                                        p->attn_flops_ctx_decode * b->decode_ctx);
    int prefill = b->prefill_tokens > 0;
    double t_mem = bytes / (prefill ? p->mem_rate : p->mem_rate_decode);
    double t_cmp = flops / (prefill ? p->comp_rate : p->comp_rate_decode);
    double t = t_mem > t_cmp ? t_mem : t_cmp;
    double t_comm =
        p->ar_per_step * (p->ar_alpha_s + p->ar_s_per_byte * p->act_bytes_token * tokens);
    if (!p->comm_overlapped)
        t += t_comm;
    else if (t_comm > t)
        t = t_comm;
    t += overhead;
    return t > MIN_STEP_S ? t : MIN_STEP_S;
}

double sl_perf_prefill_s(const struct sl_perf *p, int64_t batch, int64_t prompt)
{
    double s = (double)prompt;
    struct sl_perf_batch b = {0, 0.0, batch * prompt, (double)batch * s * (s + 1) / 2};
    return sl_perf_step_s(p, &b);
}

double sl_perf_decode_s(const struct sl_perf *p, int64_t batch, double ctx)
{
    struct sl_perf_batch b = {batch, (double)batch * ctx, 0, 0.0};
    return sl_perf_step_s(p, &b);
}

int64_t sl_perf_max_batch(const struct sl_perf *p, double ctx)
{
    double page = (double)p->spec.page_tokens;
    double pages = ctx > 0 ? ceil(ctx / page) : 1.0;
    double n = floor(p->kv_capacity_tokens / (pages * page));
    if (n > 9e18)
        return INT64_MAX;
    return n > 0 ? (int64_t)n : 0;
}

/* Sum over the integers c in [lo, hi] of a + b c. */
static double sum_line(double lo, double hi, double a, double b)
{
    if (hi < lo)
        return 0;
    double n = hi - lo + 1;
    return n * a + b * (lo + hi) * n / 2;
}

/* Sum over the integers c in [lo, hi] of the largest of n <= 3 lines
 * a[i] + b[i] c.  Two lines cross at most once, so the crossings inside the
 * range cut it into pieces on each of which one line is the largest; each
 * piece is an arithmetic series. */
static double sum_max(double lo, double hi, int n, const double *a, const double *b)
{
    double cut[4];
    int ncut = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (b[i] == b[j])
                continue;
            double x = floor((a[j] - a[i]) / (b[i] - b[j]));
            if (x >= lo && x < hi)
                cut[ncut++] = x;
        }
    /* Insertion sort of at most three cuts. */
    for (int i = 1; i < ncut; i++)
        for (int j = i; j > 0 && cut[j] < cut[j - 1]; j--) {
            double t = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = t;
        }
    double total = 0, start = lo;
    for (int k = 0; k <= ncut; k++) {
        double end = k < ncut ? cut[k] : hi;
        if (end >= start) {
            double mid = (start + end) / 2;
            int best = 0;
            for (int i = 1; i < n; i++)
                if (a[i] + b[i] * mid > a[best] + b[best] * mid)
                    best = i;
            total += sum_line(start, end, a[best], b[best]);
        }
        start = end + 1 > start ? end + 1 : start;
    }
    return total;
}

void sl_perf_infer(const struct sl_perf *p, int64_t batch, int64_t prompt, int64_t output,
                   double tpot_slo_s, struct sl_perf_infer *out)
{
    memset(out, 0, sizeof *out);
    if (batch < 1)
        batch = 1;
    if (prompt < 0)
        prompt = 0;
    if (output < 1)
        output = 1;
    double nb = (double)batch, np = (double)prompt, no = (double)output;
    out->prefill_ms = 1e3 * sl_perf_prefill_s(p, batch, prompt);

    /* The step that produces output token j (1..O) attends to P + j tokens
     * in each of the B sequences: a decode step is max of two lines in that
     * context, summed exactly in closed form. */
    double a[3], b[3];
    int n = 2;
    a[0] = weights_read(p, nb) / p->mem_rate_decode;
    b[0] = p->kv_bytes_token * nb / p->mem_rate_decode;
    a[1] = p->flops_token * nb / p->comp_rate_decode;
    b[1] = p->attn_rate_ratio * p->attn_flops_ctx_decode * nb / p->comp_rate_decode;
    double comm = p->ar_per_step * (p->ar_alpha_s + p->ar_s_per_byte * p->act_bytes_token * nb);
    double fixed = p->spec.eff.overhead_s;
    if (p->comm_overlapped) {
        a[n] = comm;
        b[n++] = 0;
    } else {
        fixed += comm;
    }
    double sum = sum_max(np + 1, np + no, n, a, b) + no * fixed;
    double mean = sum / no;
    if (mean < MIN_STEP_S)
        mean = MIN_STEP_S;
    out->decode_ms_per_token = 1e3 * mean;
    out->tokens_per_s = nb / mean;
    out->max_batch_by_memory = sl_perf_max_batch(p, np + no);

    /* Sessions: the largest B at the mean context whose decode step meets
     * the TPOT target, no more than fit in memory (the step time grows with
     * B, so bisect). */
    double ctx = np + (no + 1) / 2;
    int64_t cap = sl_perf_max_batch(p, ctx);
    int64_t best = 0;
    if (tpot_slo_s <= 0) {
        best = cap;
    } else if (cap >= 1 && sl_perf_decode_s(p, 1, ctx) <= tpot_slo_s) {
        int64_t lo = 1, hi = cap;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo + 1) / 2;
            if (sl_perf_decode_s(p, mid, ctx) <= tpot_slo_s)
                lo = mid;
            else
                hi = mid - 1;
        }
        best = lo;
    }
    out->sessions_per_device = (double)best / (double)p->spec.tp;
    out->power_w[SL_PHASE_IDLE] = p->power_w[SL_PHASE_IDLE];
    out->power_w[SL_PHASE_PREFILL] = p->power_w[SL_PHASE_PREFILL];
    out->power_w[SL_PHASE_DECODE] = p->power_w[SL_PHASE_DECODE];
}
