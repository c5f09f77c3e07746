/*
 * Training performance: the analytical step time of a pretraining job.
 *
 * A job trains one model (suanli/llm.h) on `cards` cards of one device,
 * laid out as tp x pp x dp (x ep for MoE: the experts of a layer spread
 * over ep of the data-parallel ranks, as Megatron draws EP from DP).  One
 * optimizer step processes global_batch_tokens tokens in sequences of seq
 * tokens; each data-parallel replica runs m = sequences / (dp * micro_batch)
 * micro-batches through its pipeline.  The step time is
 *     T = C + T_tp + T_bubble + (1 - overlap_dp) T_dp
 * where C is the computation (6 N_act + attention FLOPs per token, plus the
 * forward of recomputed layers, at the device's peak times an efficiency),
 * T_tp the tensor-parallel all-reduces (4 per layer per micro-batch, over
 * the card link) and the exposed expert all-to-all, T_bubble the 1F1B
 * pipeline bubble (p - 1) / (v m) of a micro-batch pipeline pass, and T_dp
 * the gradient reduce-scatter + all-gather (ZeRO-1) over the servers'
 * NICs and the fabric.  Formulas, defaults with sources, and the
 * validation against published runs are in docs/model.md, "Training
 * performance" (after reference/hardware-perf.md §3).
 */
#ifndef SUANLI_TRAIN_H
#define SUANLI_TRAIN_H

#include <stdint.h>

#include "suanli/catalog.h"
#include "suanli/llm.h"

struct sl_diag;

/* Activation recomputation: none, every layer's forward (store only the
 * layer input), or the least number of whole layers that makes the job
 * fit in memory (Megatron --recompute-num-layers; the default). */
enum sl_train_recompute { SL_RECOMPUTE_AUTO = 0, SL_RECOMPUTE_NONE, SL_RECOMPUTE_FULL };

/* Efficiency factors of training on one device (defaults per device in
 * sl_train_eff_default; docs/model.md gives each source).  Invariants:
 * compute, link_eff in (0, 1]; fp8, overlap_dp, overlap_ep in [0, 1];
 * comm_sm_share in [0, 1); link_alpha_s, net_alpha_s >= 0. */
struct sl_train_eff {
    double compute;       /* eta: achieved / peak FLOP/s, BF16, large shapes */
    double fp8;           /* FP8 GEMMs: efficiency relative to compute; 0 = no FP8 path */
    double link_eff;      /* achieved / nominal card-link bandwidth */
    double link_alpha_s;  /* latency of one collective step on the card link */
    double net_alpha_s;   /* latency of one collective step across servers */
    double overlap_dp;    /* share of the DP gradient collectives hidden by backward */
    double overlap_ep;    /* share of the expert all-to-all hidden by compute */
    double comm_sm_share; /* compute lost to communication kernels while EP overlaps */
};

/* What one job runs.  Borrowed pointers; 0 in tp, pp, dp, ep or
 * interleave means "choose".  Invariants checked by sl_train_eval. */
struct sl_train_spec {
    const struct sl_llm_model *model;
    const struct sl_device_model *device;
    const struct sl_phase_model *phases;
    int64_t cards;
    int64_t tp, pp, dp, ep;
    int64_t interleave; /* virtual stages per pipeline rank (v); 0 = layers / pp */
    int64_t seq;        /* tokens per sequence */
    double global_batch_tokens;
    int64_t micro_batch; /* sequences per micro-batch */
    int precision;       /* SL_PREC_FP16 (BF16 training) or SL_PREC_FP8 */
    double cap_w;        /* card power limit; 0 = none */
    int64_t server_cards;
    double scaleout_bw;    /* achieved bytes/s per card to other servers */
    double fabric_oversub; /* >= 1; 1 = non-blocking */
    int recompute;         /* enum sl_train_recompute */
    double mem_util;       /* usable share of device memory */
    struct sl_train_eff eff;
};

/* One evaluated job.  Times per optimizer step, per device. */
struct sl_train_result {
    double step_time_s;
    double tokens_per_s;      /* whole job */
    double tflops_per_device; /* model FLOPs (6 N_act + attention) per second, 1e12 */
    double mfu;               /* model FLOP/s / peak of the precision */
    int64_t tp, pp, dp, ep, interleave, micro_batches;
    double compute_s;        /* computation, recompute included */
    double tp_s;             /* exposed tensor-parallel and expert-parallel communication */
    double pp_bubble_s;      /* pipeline bubble, point-to-point included */
    double dp_exposed_s;     /* gradient collectives not hidden by backward */
    double recompute_share;  /* share of layers recomputed */
    double state_bytes;      /* weights, gradients, optimizer states per device */
    double activation_bytes; /* per device, the first pipeline stage */
    double memory_bytes;     /* total per device */
    double power_compute_w;  /* per device while computing */
    double power_comm_w;     /* per device during exposed communication and bubbles */
    double power_mean_w;     /* time-weighted over the step */
};

/* Fills spec with defaults for model on cards x dev: BF16, seq 4096,
 * 16 Mi tokens per step, micro-batch 1, 8 cards per server, scale-out per
 * card by device class, non-blocking fabric, automatic recompute and
 * layout, the device's factors. */
void sl_train_spec_default(struct sl_train_spec *spec, const struct sl_llm_model *model,
                           const struct sl_device_model *dev, int64_t cards);
/* Default factors and scale-out bandwidth per card (bytes/s) of a device. */
void sl_train_eff_default(const struct sl_device_model *dev, struct sl_train_eff *out);
double sl_train_scaleout_default(const struct sl_device_model *dev);

/* The time (s) a synchronous job on `servers` servers stalls to write a
 * checkpoint of model m: its state, every parameter (experts included)
 * times bytes_per_param, each server writing its share at bw_per_server
 * bytes/s, plus latency_s (docs/model.md, "Training through failures").
 * Pure. */
double sl_train_checkpoint_write_s(const struct sl_llm_model *m, double servers,
                                   double bytes_per_param, double bw_per_server, double latency_s);

/* Evaluates spec with its layout fully given (tp, pp, dp >= 1, ep >= 1).
 * SL_EINVAL (d filled, a message a user can act on) when the layout does
 * not divide the cards or the batch, the job does not fit in memory, or a
 * value is out of range.  No allocation. */
int sl_train_eval(const struct sl_train_spec *spec, struct sl_train_result *out, struct sl_diag *d);
/* Fills the zero fields among tp, pp, dp, ep with the fastest layout that
 * fits (the given ones kept) and evaluates it; SL_EINVAL when none fits. */
int sl_train_best_layout(const struct sl_train_spec *spec, struct sl_train_result *out,
                         struct sl_diag *d);

#endif
