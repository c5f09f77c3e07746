/*
 * The analytical training step model (include/suanli/train.h; formulas,
 * defaults and validation in docs/model.md, "Training performance", after
 * reference/hardware-perf.md §3).
 *
 * Per device and optimizer step, with G cards, tokens B, m micro-batches of
 * b sequences of S tokens per data-parallel replica:
 *     F_tok   = 6 N_lin + 6 L S h (d_qk + d_v)            (model FLOPs; the
 *               attention term is 12 L d S for multi-head attention)
 *     C       = B (F_tok + r F_fwd) / (G R),  R = peak eta s_cap x (1 - sm)
 *               FP8: the linear part at the FP8 peak x eta x fp8; attention
 *               stays at the BF16 peak
 *     T_tp    = (4 + 2 r) (L / pp) m  AR(tp, b S h 2 bytes, card link)
 *               + (1 - overlap_ep) T_ep (MoE)
 *     T_pp    = (p - 1) / v (C + T_tp) / m + 2 (p - 1) p2p
 *     T_dp    = RS + AG (ZeRO-1) of 2 N_dev bytes = AR(dp, 2 N_dev, NIC / oversub)
 *     T       = C + T_tp + T_pp + (1 - overlap_dp) T_dp
 * with AR(p, n, beta) = 2 (p - 1) alpha + 2 (p - 1) / p n / beta (ring) and
 * r the share of layers recomputed.  Memory per device (Megatron, bf16
 * weights, fp32 gradients and Adam states sharded over DP):
 *     M = N_dev (6 + 12 / dp) + activations of L layers in flight
 *         (1F1B: pp micro-batches of L / pp layers on the first stage,
 *          x (1 + (p - 1) / (p v)) interleaved), Korthikanti et al. 2022.
 */
#include "suanli/train.h"

#include "perf/perf.h"
#include "suanli/diag.h"

#include <math.h>
#include <string.h>

#define GB 1e9

struct train_eff_row {
    const char *device;
    struct sl_train_eff eff;
};

/* compute, fp8, link_eff, link_alpha_s, net_alpha_s, overlap_dp,
 * overlap_ep, comm_sm_share (docs/model.md "Training defaults"). */
#define HOPPER_TRAIN                                                                               \
    {                                                                                              \
        0.60, 0.55, 0.4, 3e-6, 10e-6, 0.8, 1.0, 20.0 / 132.0                                       \
    }
static const struct train_eff_row train_rows[] = {
    {"h100-sxm", HOPPER_TRAIN},
    {"h800", HOPPER_TRAIN},
    {"h200", HOPPER_TRAIN},
    {"h20", HOPPER_TRAIN},
    {"b200", {0.55, 0.55, 0.4, 3e-6, 10e-6, 0.8, 1.0, 20.0 / 148.0}},
    {"a100-80gb", {0.62, 0.0, 0.4, 3e-6, 10e-6, 0.8, 1.0, 20.0 / 108.0}},
};
static const struct sl_train_eff domestic_train = {0.35, 0.0, 0.64, 10e-6, 15e-6, 0.8, 0.8, 0.1};

void sl_train_eff_default(const struct sl_device_model *dev, struct sl_train_eff *out)
{
    *out = domestic_train;
    if (!dev || !dev->name)
        return;
    for (size_t i = 0; i < sizeof train_rows / sizeof train_rows[0]; i++)
        if (strcmp(dev->name, train_rows[i].device) == 0) {
            *out = train_rows[i].eff;
            return;
        }
}

/* 400 Gb/s per GPU for NVIDIA training pods (one ConnectX-7 per GPU, the
 * Llama 3 and DeepSeek clusters); 4 x 200 Gb/s per 8-card server (100 Gb/s
 * per card) for the others (Tecorigin T1008 vendor sites).  RDMA reaches
 * about 90 % of line rate. */
double sl_train_checkpoint_write_s(const struct sl_llm_model *m, double servers,
                                   double bytes_per_param, double bw_per_server, double latency_s)
{
    double total = 0, active = 0;
    if (m)
        sl_llm_params(m, &total, &active);
    double bw = bw_per_server * (servers > 1 ? servers : 1);
    return (bw > 0 ? total * bytes_per_param / bw : 0) + latency_s;
}

double sl_train_scaleout_default(const struct sl_device_model *dev)
{
    int nvidia = 0;
    if (dev && dev->name)
        for (size_t i = 0; i < sizeof train_rows / sizeof train_rows[0]; i++)
            if (strcmp(dev->name, train_rows[i].device) == 0)
                nvidia = 1;
    return (nvidia ? 400e9 : 100e9) / 8 * 0.9;
}

void sl_train_spec_default(struct sl_train_spec *spec, const struct sl_llm_model *model,
                           const struct sl_device_model *dev, int64_t cards)
{
    memset(spec, 0, sizeof *spec);
    spec->model = model;
    spec->device = dev;
    spec->phases = sl_default_phase_model();
    spec->cards = cards;
    spec->seq = 4096;
    spec->global_batch_tokens = 16777216.0;
    spec->micro_batch = 1;
    spec->precision = SL_PREC_FP16;
    spec->server_cards = 8;
    spec->scaleout_bw = sl_train_scaleout_default(dev);
    spec->fabric_oversub = 1.0;
    spec->recompute = SL_RECOMPUTE_AUTO;
    spec->mem_util = 0.9;
    sl_train_eff_default(dev, &spec->eff);
}

/* Ring all-reduce of n bytes over p ranks at beta bytes/s. */
static double ring_ar(double p, double n, double alpha, double beta)
{
    if (p <= 1)
        return 0.0;
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * n / beta;
}

static int check(const struct sl_train_spec *s, struct sl_diag *d)
{
    if (!s->model || !s->device || !s->phases)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "train: model, device and phases must be set");
    if (s->cards < 1)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "train: cards must be >= 1");
    if (s->tp < 0 || s->pp < 0 || s->dp < 0 || s->ep < 0 || s->interleave < 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "train: tp, pp, dp, ep must be >= 1");
    if (s->seq < 1 || s->micro_batch < 1 || !(s->global_batch_tokens >= (double)s->seq))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "train: seq and micro_batch must be >= 1 and the global batch at "
                           "least one sequence");
    if (s->precision != SL_PREC_FP16 && s->precision != SL_PREC_FP8)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "train: precision must be bf16 or fp8");
    if (s->server_cards < 1 || !(s->scaleout_bw > 0) || !(s->fabric_oversub >= 1) ||
        !(s->cap_w >= 0) || !(s->mem_util > 0 && s->mem_util <= 1))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "train: server_cards >= 1, scaleout_bw > 0, fabric_oversub >= 1, "
                           "cap_w >= 0 and mem_util in (0, 1] are required");
    const struct sl_train_eff *e = &s->eff;
    if (!(e->compute > 0 && e->compute <= 1) || !(e->fp8 >= 0 && e->fp8 <= 1) ||
        !(e->link_eff > 0 && e->link_eff <= 1) || !(e->overlap_dp >= 0 && e->overlap_dp <= 1) ||
        !(e->overlap_ep >= 0 && e->overlap_ep <= 1) ||
        !(e->comm_sm_share >= 0 && e->comm_sm_share < 1) || !(e->link_alpha_s >= 0) ||
        !(e->net_alpha_s >= 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "train: efficiency factors out of range (compute, fp8, link_eff in "
                           "(0, 1], fp8 and overlaps in [0, 1])");
    return SL_OK;
}

/* Activation bytes one token leaves per layer on one card (bf16, sequence
 * parallel over tp), Korthikanti et al. 2022 generalised: attention 11 h
 * (flash attention: no S^2 term), two norms 4 h, FFN 3 h + 4 f (plain) or
 * 3 h + 6 f (gated, f the FFN width that a token uses). */
static double act_token_layer(const struct sl_llm_model *m, double tp)
{
    double h = (double)m->hidden;
    double f = (double)m->ffn;
    int64_t moe = sl__llm_moe_layers(m);
    if (moe > 0) {
        double fm = (double)m->moe_ffn * (double)(m->active_experts + m->shared_experts);
        f = ((double)moe * fm + (double)(m->layers - moe) * f) / (double)m->layers;
    }
    double ffn = m->ffn_kind == SL_FFN_GATED ? 3 * h + 6 * f : 3 * h + 4 * f;
    return (15 * h + ffn) / tp;
}

int sl_train_eval(const struct sl_train_spec *s, struct sl_train_result *r, struct sl_diag *d)
{
    int rc = check(s, d);
    if (rc)
        return rc;
    const struct sl_llm_model *m = s->model;
    const struct sl_device_model *dev = s->device;
    if ((rc = sl_llm_validate(m, d)) != SL_OK)
        return rc;
    const char *mn = m->name, *dn = dev->name;
    int64_t tp = s->tp, pp = s->pp, dp = s->dp, ep = s->ep ? s->ep : 1;
    if (tp < 1 || pp < 1 || dp < 1)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "train: the layout must be given (tp, pp, dp)");
    if (tp * pp * dp != s->cards)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "layout tp %lld x pp %lld x dp %lld = %lld cards, but the job has %lld; "
                           "the product must equal --cards",
                           (long long)tp, (long long)pp, (long long)dp, (long long)(tp * pp * dp),
                           (long long)s->cards);
    if (pp > m->layers)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "pp %lld exceeds the %lld layers of '%s'",
                           (long long)pp, (long long)m->layers, mn);
    if (m->heads % tp != 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "tp %lld does not divide the %lld attention heads of '%s'",
                           (long long)tp, (long long)m->heads, mn);
    if (m->experts == 0 && ep > 1)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "ep %lld needs a MoE model; '%s' is dense",
                           (long long)ep, mn);
    if (dp % ep != 0 || (m->experts > 0 && m->experts % ep != 0))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "ep %lld must divide dp %lld and the %lld experts of '%s'",
                           (long long)ep, (long long)dp, (long long)m->experts, mn);
    double seqs = s->global_batch_tokens / (double)s->seq;
    double per_mb = (double)(dp * s->micro_batch);
    if (seqs != floor(seqs) || fmod(seqs, per_mb) != 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "the global batch of %.0f sequences of %lld tokens does not split "
                           "into micro-batches of %lld over dp %lld",
                           seqs, (long long)s->seq, (long long)s->micro_batch, (long long)dp);
    double mbs = seqs / per_mb;
    double L = (double)m->layers, h = (double)m->hidden, S = (double)s->seq;
    double b = (double)s->micro_batch, P = (double)pp, T = (double)tp, D = (double)dp;
    int64_t v = s->interleave;
    if (v == 0) {
        v = m->layers / pp;
        if (v < 1)
            v = 1;
    }
    double V = (double)v;

    /* FLOPs per token. */
    double n_total, n_act;
    sl_llm_params(m, &n_total, &n_act);
    double n_lin = n_act - sl__llm_input_embedding_params(m);
    double dqk = (double)m->head_dim, dv = (double)m->head_dim;
    if (m->kv_lora_rank > 0) {
        dqk += (double)m->rope_dim;
        if (m->v_head_dim > 0)
            dv = (double)m->v_head_dim;
    }
    double f_lin = 6 * n_lin, f_attn = 6 * L * S * (double)m->heads * (dqk + dv);
    double f_tok = f_lin + f_attn;

    /* Memory per device. */
    double experts_all =
        (double)sl__llm_moe_layers(m) * (double)m->experts * sl__llm_expert_params(m);
    double dense_part = n_total - experts_all;
    double e_dp = D / (double)ep; /* replicas of each expert */
    double state =
        dense_part / (T * P) * (6 + 12 / D) + experts_all / ((double)ep * P) * (6 + 12 / e_dp);
    double a_layer = act_token_layer(m, T) * S * b; /* one layer, one micro-batch */
    double in_flight = L * (1 + (P - 1) / (P * V)); /* layers' worth on stage 1 */
    double keep_layer = 2 * h / T * S * b;          /* a recomputed layer keeps its input */
    double usable = dev->memory_bytes * s->mem_util;
    double act_full = in_flight * a_layer;
    double share = 0;
    if (s->recompute == SL_RECOMPUTE_FULL) {
        share = 1;
    } else if (s->recompute == SL_RECOMPUTE_AUTO && state + act_full + a_layer > usable) {
        double spare = usable - state - a_layer - in_flight * keep_layer;
        share = spare > 0 ? 1 - spare / (in_flight * (a_layer - keep_layer)) : 1;
        if (share < 0)
            share = 0;
    }
    double act = in_flight * (share * keep_layer + (1 - share) * a_layer) + a_layer;
    double need = state + act;
    if (need > usable)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "'%s' with tp %lld x pp %lld x dp %lld does not fit on '%s': needs "
                           "%.1f GB per card (weights, gradients and optimizer %.1f GB, "
                           "activations %.1f GB%s), has %.1f GB (%.0f %% of %.1f GB); %s",
                           mn, (long long)tp, (long long)pp, (long long)dp, dn, need / GB,
                           state / GB, act / GB, share >= 1 ? " with full recompute" : "",
                           usable / GB, 100 * s->mem_util, dev->memory_bytes / GB,
                           share >= 1 ? "use more cards, or more tp or pp"
                                      : "use more tp or pp, or --recompute auto");

    /* Compute. */
    const struct sl_train_eff *e = &s->eff;
    double s_cap = sl_device_speed(dev, s->phases, SL_PHASE_TRAIN_COMPUTE, 1.0, s->cap_w);
    /* FP8 runs faster only on a device with an FP8 matrix path (eff.fp8 >
     * 0): the A100 and the domestic parts have INT8 but no FP8 units. */
    int fp8 = s->precision == SL_PREC_FP8 && e->fp8 > 0 && dev->int8_ops > dev->fp16_flops;
    double peak16 = dev->fp16_flops;
    double peak = fp8 ? dev->int8_ops : peak16;
    int ep_cross = m->experts > 0 && ep * tp > s->server_cards;
    double sm = ep > 1 && e->overlap_ep > 0 ? e->comm_sm_share : 0.0;
    double r16 = peak16 * e->compute * s_cap * (1 - sm);
    double r_lin = fp8 ? dev->int8_ops * e->compute * e->fp8 * s_cap * (1 - sm) : r16;
    double fwd_share = 1.0 / 3.0; /* the forward is a third of forward + backward */
    double tokens_dev = s->global_batch_tokens / (double)s->cards;
    double compute = tokens_dev * (1 + share * fwd_share) * (f_lin / r_lin + f_attn / r16);

    /* Tensor parallelism: 4 all-reduces per layer and micro-batch (2 per
     * recomputed forward more), each of the micro-batch's hidden state. */
    double link = dev->link_bw * e->link_eff;
    double net = s->scaleout_bw / s->fabric_oversub;
    int tp_cross = tp > s->server_cards;
    double ar_tp = ring_ar(T, b * S * h * 2, tp_cross ? e->net_alpha_s : e->link_alpha_s,
                           tp_cross && net < link ? net : link);
    double tp_s = (4 + 2 * share) * (L / P) * mbs * ar_tp;

    /* Expert parallelism: per MoE layer and micro-batch a dispatch and a
     * combine forward and again backward, k copies of each token's hidden
     * state (dispatch 1 byte in FP8, else 2; combine 2); a card sends the
     * (ep - 1) / ep of its tokens' copies that leave it, over the card link
     * inside the server and the NIC outside. */
    double ep_s = 0;
    if (m->experts > 0 && ep > 1) {
        double E = (double)ep;
        double in_srv = (double)(s->server_cards / tp < ep ? s->server_cards / tp : ep);
        if (in_srv < 1)
            in_srv = 1;
        double per_tok = (double)m->active_experts * h * ((fp8 ? 1.0 : 2.0) + 2.0 + 2.0 + 2.0);
        double bytes = per_tok * b * S / T * mbs * (double)sl__llm_moe_layers(m) / P;
        double t_in = bytes * (in_srv - 1) / E / link;
        double t_out = ep_cross ? bytes * (E - in_srv) / E / net : 0.0;
        ep_s = (t_in > t_out ? t_in : t_out) * (1 - e->overlap_ep);
    }
    tp_s += ep_s;

    /* Pipeline: the bubble of (p - 1) / v micro-batch passes, and the
     * point-to-point sends of the warm-up and drain (b S h 2 / tp bytes). */
    double pp_s = 0;
    if (pp > 1) {
        int pp_cross = tp * pp > s->server_cards;
        double p2p = (pp_cross ? e->net_alpha_s : e->link_alpha_s) +
                     b * S * h * 2 / T / (pp_cross ? net : link);
        pp_s = (P - 1) / V * (compute + tp_s) / mbs + 2 * (P - 1) * p2p;
    }

    /* Data parallelism: reduce-scatter of the bf16 gradients and all-gather
     * of the parameters (ZeRO-1), one ring per card over its NIC; a job
     * inside one server runs it over the card link. */
    int dp_cross = s->cards > s->server_cards;
    double dp_alpha = dp_cross ? e->net_alpha_s : e->link_alpha_s;
    double dp_bw = dp_cross ? net : link;
    double grad_bytes = 2 * (dense_part / (T * P));
    double t_dp = ring_ar(D, grad_bytes, dp_alpha, dp_bw);
    if (m->experts > 0)
        t_dp += ring_ar(e_dp, 2 * experts_all / ((double)ep * P), dp_alpha, dp_bw);
    double dp_s = (1 - e->overlap_dp) * t_dp;

    double step = compute + tp_s + pp_s + dp_s;
    memset(r, 0, sizeof *r);
    r->step_time_s = step;
    r->tokens_per_s = s->global_batch_tokens / step;
    r->tflops_per_device = f_tok * r->tokens_per_s / (double)s->cards / 1e12;
    r->mfu = r->tflops_per_device * 1e12 / peak;
    r->tp = tp;
    r->pp = pp;
    r->dp = dp;
    r->ep = ep;
    r->interleave = v;
    r->micro_batches = (int64_t)mbs;
    r->compute_s = compute;
    r->tp_s = tp_s;
    r->pp_bubble_s = pp_s;
    r->dp_exposed_s = dp_s;
    r->recompute_share = share;
    r->state_bytes = state;
    r->activation_bytes = act;
    r->memory_bytes = need;
    r->power_compute_w = sl_device_power_w(dev, s->phases, SL_PHASE_TRAIN_COMPUTE, 1.0, s->cap_w);
    r->power_comm_w = sl_device_power_w(dev, s->phases, SL_PHASE_TRAIN_COMM, 1.0, s->cap_w);
    r->power_mean_w = (compute * r->power_compute_w + (step - compute) * r->power_comm_w) / step;
    return SL_OK;
}

int sl_train_best_layout(const struct sl_train_spec *spec, struct sl_train_result *out,
                         struct sl_diag *d)
{
    int rc = check(spec, d);
    if (rc)
        return rc;
    if (spec->tp && spec->pp && spec->dp && (spec->ep || spec->model->experts == 0))
        return sl_train_eval(spec, out, d);
    const struct sl_llm_model *m = spec->model;
    int found = 0;
    struct sl_diag last;
    sl_diag_clear(&last);
    for (int64_t tp = 1; tp <= spec->server_cards && tp <= spec->cards; tp *= 2) {
        if ((spec->tp && tp != spec->tp) || spec->cards % tp)
            continue;
        for (int64_t pp = 1; pp <= m->layers && tp * pp <= spec->cards; pp++) {
            if ((spec->pp && pp != spec->pp) || spec->cards % (tp * pp))
                continue;
            int64_t dp = spec->cards / (tp * pp);
            if (spec->dp && dp != spec->dp)
                continue;
            for (int64_t ep = 1; ep <= (m->experts > 0 ? dp : 1); ep++) {
                if ((spec->ep && ep != spec->ep) || dp % ep || (m->experts > 0 && m->experts % ep))
                    continue;
                struct sl_train_spec s = *spec;
                s.tp = tp;
                s.pp = pp;
                s.dp = dp;
                s.ep = ep;
                struct sl_train_result r;
                if (sl_train_eval(&s, &r, &last) != SL_OK)
                    continue;
                if (!found || r.step_time_s < out->step_time_s) {
                    *out = r;
                    found = 1;
                }
            }
        }
    }
    if (!found) {
        if (last.code)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "no layout of '%s' on %lld x '%s' fits (the last tried: %s)",
                               m->name, (long long)spec->cards, spec->device->name, last.msg);
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "no layout of '%s' on %lld x '%s' matches the given tp, pp, dp, ep",
                           m->name, (long long)spec->cards, spec->device->name);
    }
    return SL_OK;
}
