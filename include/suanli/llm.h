/*
 * LLMs: the model catalog and the analytical inference performance model.
 *
 * Model catalog.  A struct sl_llm_model holds a transformer's shape as its
 * published config gives it (layers, hidden size, heads, KV heads, head
 * dimension, FFN size, vocabulary; experts for MoE; MLA ranks for
 * DeepSeek-style attention), with a confidence mark and a source.  The
 * built-in table is in src/perf/models.c; a scenario's `catalog.models` or a
 * `--model-file` YAML adds entries with the same keys.
 *
 * Performance model (src/perf/perf.c; formulas and sources in docs/model.md,
 * "Inference performance", after reference/hardware-perf.md §2).  One
 * replica is G = tp cards of one device model.  One iteration (step) of a
 * replica processes `decode` sequences generating one token each (with the
 * sum of their contexts) and `prefill_tokens` prompt tokens; its time is
 *     T = max(bytes / (G * BW * eta_m * s_mem), flops / (G * F * eta_c * s_cmp))
 *         + T_tp + overhead,
 * bytes = weights read once + KV of every context, flops = 2 * N_act per token
 * + attention (quadratic in the prompt for prefill), T_tp = two all-reduces
 * per layer as an alpha-beta cost over the device's card-to-card link, and
 * s_cmp, s_mem the device's relative speed under a power cap in the prefill
 * and decode phases (catalog.h).  With dp_ep (MoE models, the DeepSeek
 * deployment) the all-reduces give way to an expert all-to-all per MoE
 * layer that overlaps the compute.  Efficiency factors (struct sl_perf_eff)
 * have sourced defaults per device and are fitted per (model, device, tp)
 * by `suanli perf calibrate` into a profile.
 */
#ifndef SUANLI_LLM_H
#define SUANLI_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/catalog.h"
#include "suanli/list.h"

struct sl_diag;

/* Number formats of weights and the KV cache. */
enum sl_precision { SL_PREC_FP16 = 0, SL_PREC_INT8, SL_PREC_FP8, SL_PREC_INT4, SL_PREC_COUNT };
extern const char *const sl_precision_names[]; /* "fp16", "int8", "fp8", "int4", NULL */
/* Bytes per element: 2, 1, 1, 0.5. */
double sl_precision_bytes(int prec);

/* FFN activation: gated (SwiGLU: three matrices) or plain (GELU: two). */
enum sl_ffn_kind { SL_FFN_GATED = 0, SL_FFN_PLAIN };
extern const char *const sl_ffn_kind_names[]; /* "gated", "plain", NULL */

/* One model of the catalog; owned and borrowed like struct sl_device_model
 * (a built-in row is static, a scenario's own is freed by its schema).
 * Invariants: name unique among models; layers, hidden, heads, kv_heads,
 * head_dim, ffn, vocab >= 1; kv_heads <= heads; MoE: experts == 0 (dense)
 * or 1 <= active_experts <= experts with moe_ffn >= 1 and 0 <= dense_layers
 * <= layers; MLA: kv_lora_rank == 0 (none) or >= 1, with rope_dim >= 0. */
struct sl_llm_model {
    char *name;
    char *description;
    int64_t layers;
    int64_t hidden;
    int64_t heads;
    int64_t kv_heads; /* = heads for MHA, fewer for GQA/MQA */
    int64_t head_dim;
    int64_t ffn; /* FFN inner size of a dense layer */
    int64_t vocab;
    int ffn_kind; /* enum sl_ffn_kind */
    int tied_embeddings;
    int64_t experts;        /* routed experts per MoE layer; 0 = dense model */
    int64_t active_experts; /* routed experts per token */
    int64_t shared_experts; /* always-active experts per MoE layer */
    int64_t moe_ffn;        /* FFN inner size of one expert */
    int64_t dense_layers;   /* leading layers with a dense FFN (DeepSeek-V3: 3) */
    int64_t q_lora_rank;    /* MLA query compression; 0 = none */
    int64_t kv_lora_rank;   /* MLA latent KV size; 0 = no MLA */
    int64_t rope_dim;       /* MLA decoupled RoPE key size */
    int64_t v_head_dim;     /* MLA value head size; 0 = head_dim */
    int confidence;         /* enum sl_confidence */
    char *source;
};

/* Built-in models. */
size_t sl_llm_model_count(void);
const struct sl_llm_model *sl_llm_model_get(size_t i);
/* The built-in model called name, or NULL. */
const struct sl_llm_model *sl_llm_model_find(const char *name);
/* Parameters: total and active per token (MoE: routed experts in use, plus
 * shared experts and everything outside the experts), embeddings included. */
void sl_llm_params(const struct sl_llm_model *m, double *total, double *active);
/* Checks the invariants above; SL_EINVAL with d filled (message names the
 * field). */
int sl_llm_validate(const struct sl_llm_model *m, struct sl_diag *d);

/* Efficiency factors of one (model, device, tp).  Invariants: compute and
 * memory in (0, 1]; overhead_s >= 0; link_alpha_s >= 0; link_eff in (0, 1]. */
struct sl_perf_eff {
    double compute;      /* eta_c: achieved / peak FLOP/s */
    double memory;       /* eta_m: achieved / peak memory bandwidth */
    double overhead_s;   /* fixed time per step (scheduling, launches) */
    double link_alpha_s; /* latency of one collective step on the card link */
    double link_eff;     /* achieved / nominal card-link bandwidth */
};

/* Default factors of a device (docs/model.md gives each source); a device
 * not in the table gets the domestic defaults. */
void sl_perf_eff_default(const struct sl_device_model *dev, struct sl_perf_eff *out);

/* A profile entry: the factors fitted for one (model, device, tp), as
 * `suanli perf calibrate` writes them.  Owned like a catalog entry. */
struct sl_perf_profile_entry {
    char *model;
    char *device;
    int64_t tp;
    double compute, memory, overhead_s;
    double prefill_mape, decode_mape; /* fit error on the measurements */
    int64_t points;                   /* measurements fitted */
};

/* A loaded profile: entries (struct sl_perf_profile_entry).  Owned by
 * whoever loaded it (sl_perf_profile_release). */
struct sl_perf_profile {
    char *path;
    struct sl_list entries;
};

/* What one replica runs.  Borrowed pointers; invariants checked by
 * sl_perf_init. */
struct sl_perf_spec {
    const struct sl_llm_model *model;
    const struct sl_device_model *device;
    const struct sl_phase_model *phases; /* per-phase power and cap speed */
    int64_t tp;                          /* cards per replica, >= 1 */
    int weights;                         /* enum sl_precision */
    int kv;                              /* enum sl_precision */
    double cap_w;                        /* card power limit; 0 = none */
    struct sl_perf_eff eff;
    double mem_util;     /* usable share of device memory (vLLM 0.9) */
    double act_bytes;    /* reserved per device for activations and runtime */
    int64_t page_tokens; /* KV page size in tokens (16) */
    /* 0: tensor parallelism over the tp cards (vLLM): every weight matrix
     * split, two all-reduces per layer, an MLA latent kept on every card.
     * 1: the DeepSeek / SGLang / CloudMatrix deployment: attention data-
     * parallel (a sequence's KV, MLA latent included, lives on one card,
     * and every card holds the attention weights), routed experts spread
     * over the cards (expert parallelism) and everything else replicated;
     * per MoE layer one all-to-all dispatch and one combine instead of the
     * all-reduces.  Meaningful for MoE models; for a dense model it is
     * refused. */
    int dp_ep;
    /* Cards per server and each card's achieved bandwidth to other
     * servers (its share of the server's NICs, bytes/s, as RDMA reaches
     * it: link_eff does not apply).  When a replica spans servers
     * (tp > server_cards), collectives that cross servers run over the
     * slower of the card link and scale-out.  0, 0: every card of the
     * replica on the device's card-to-card link. */
    int64_t server_cards;
    double scaleout_bw;
};

/* The compiled model of one replica: constants for O(1) step times.
 * Filled by sl_perf_init; plain data (may be copied). */
struct sl_perf {
    struct sl_perf_spec spec;
    double params_total, params_active;
    double weight_bytes;       /* per device */
    double kv_bytes_token;     /* per token, whole replica */
    double kv_capacity_tokens; /* KV tokens that fit in the replica */
    double flops_token;        /* 2 * N_act (linear part: the input embedding is a lookup) */
    double attn_flops_ctx;     /* attention FLOPs per (token x context) pair (prefill) */
    double comp_rate;          /* G * F * eta_c * s_cmp, FLOP/s (steps with prefill) */
    double mem_rate;           /* G * BW * eta_m * s_mem, bytes/s */
    double mem_rate_decode;    /* same, at the decode phase's cap speed (= mem_rate) */
    double comp_rate_decode;   /* G * F * eta_c * s_mem: pure decode steps */
    /* Communication per step: ar_per_step * (ar_alpha_s + ar_s_per_byte *
     * act_bytes_token * tokens).  TP: ring all-reduces, 2 per layer, of
     * hidden * 2 bytes per token; dp_ep: a dispatch and a combine per MoE
     * layer, act_bytes_token the bytes one card sends per token of the
     * step.  All 0 when tp = 1. */
    double ar_alpha_s;              /* latency term of one collective */
    double ar_s_per_byte;           /* seconds per byte of one collective */
    double ar_per_step;             /* collectives per step */
    double act_bytes_token;         /* bytes per token of the step */
    double power_w[SL_PHASE_COUNT]; /* per device, each phase at full activity */
    /* Constants of sl_perf_step_s beyond the above. */
    double weight_read_bytes;     /* replica bytes read per step, experts aside */
    double expert_read_bytes;     /* one routed expert over all MoE layers */
    double experts;               /* E; 0 for a dense model */
    double log_miss;              /* ln(1 - k/E): P(an expert is missed by a token) */
    double attn_flops_ctx_decode; /* attention FLOPs per pair in decode (MLA absorbed) */
    double attn_rate_ratio; /* peak of the linear layers / FP16 peak: attention runs at 16 bit */
    int comm_overlapped;    /* 1 under dp_ep: the all-to-all hides behind compute */
};

/* Compiles spec.  SL_EINVAL (d filled) when tp < 1, a precision out of
 * range or an INT4 KV cache, dp_ep on a dense model, factors outside their
 * ranges, an invalid model, or the weights and one page of KV do not fit
 * in the replica's memory ("needs X GB per card, has Y").  Every precision
 * fits every device: a device without an 8-bit matrix path (int8_ops <=
 * fp16_flops, the T100) keeps 8-bit weights in memory and computes at its
 * FP16 rate.  Borrows spec's pointers; p holds no allocation. */
int sl_perf_init(struct sl_perf *p, const struct sl_perf_spec *spec, struct sl_diag *d);

/* One iteration of a replica.  decode_ctx is the sum of the contexts of
 * the decoding sequences; prefill_attn is the sum, over the prompt tokens
 * of this step, of the context each attends to (a whole prompt of S from
 * scratch: S (S + 1) / 2). */
struct sl_perf_batch {
    int64_t decode;
    double decode_ctx;
    int64_t prefill_tokens;
    double prefill_attn;
};

/* Time of one iteration, seconds (> 0; an empty step costs the overhead,
 * at least 1 us).  O(1): a few multiplications and, for MoE, one exp. */
double sl_perf_step_s(const struct sl_perf *p, const struct sl_perf_batch *b);
/* B prompts of S tokens from an empty cache, as one step. */
double sl_perf_prefill_s(const struct sl_perf *p, int64_t batch, int64_t prompt);
/* One decode step of B sequences of context ctx each. */
double sl_perf_decode_s(const struct sl_perf *p, int64_t batch, double ctx);
/* Most sequences of context ctx whose KV fits the replica. */
int64_t sl_perf_max_batch(const struct sl_perf *p, double ctx);

/* The calculator of `suanli perf infer`. */
struct sl_perf_infer {
    double prefill_ms;              /* batch prompts of prompt tokens, one step */
    double decode_ms_per_token;     /* mean step over the output tokens at batch */
    double tokens_per_s;            /* output tokens/s of the replica while decoding */
    int64_t max_batch_by_memory;    /* at context prompt + output */
    double sessions_per_device;     /* concurrent sequences per card at the TPOT target */
    double power_w[SL_PHASE_COUNT]; /* per device: idle, prefill, decode (others 0) */
};
/* Fills *out for batch sequences of prompt tokens producing output tokens
 * each (batch and output below 1 count as 1).  The step producing output
 * token j attends to prompt + j tokens; the mean over the output tokens is
 * exact (closed form, O(1)).  Sessions: at the mean context prompt +
 * (output + 1) / 2; tpot_slo_s <= 0 means no target (memory only). */
void sl_perf_infer(const struct sl_perf *p, int64_t batch, int64_t prompt, int64_t output,
                   double tpot_slo_s, struct sl_perf_infer *out);

/* Profiles: reads a profile YAML (`suanli perf calibrate -o`); SL_OK,
 * SL_ENOENT, SL_EINVAL (file:line:col in d) or SL_ENOMEM. */
int sl_perf_profile_load(const char *path, struct sl_perf_profile *out, struct sl_diag *d);
void sl_perf_profile_release(struct sl_perf_profile *p);
/* The entry for (model, device, tp), or NULL. */
const struct sl_perf_profile_entry *sl_perf_profile_find(const struct sl_perf_profile *p,
                                                         const char *model, const char *device,
                                                         int64_t tp);

#endif
