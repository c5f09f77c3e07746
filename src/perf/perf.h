/*
 * Internal interface of the perf layer: the parameter breakdown of a model
 * that the performance model needs beyond sl_llm_params (attention weights,
 * one routed expert, the count of MoE layers).  Counts are in parameters,
 * not bytes; see src/perf/models.c for the formulas.
 */
#ifndef SUANLI_PERF_PERF_H
#define SUANLI_PERF_PERF_H

#include <stdint.h>

#include "suanli/llm.h"

/* Attention weights of one layer (projections and their norms). */
double sl__llm_attn_params(const struct sl_llm_model *m);
/* Weights of one routed expert (0 for a dense model). */
double sl__llm_expert_params(const struct sl_llm_model *m);
/* Layers whose FFN is a mixture of experts (0 for a dense model). */
int64_t sl__llm_moe_layers(const struct sl_llm_model *m);
/* Input embedding table (vocab x hidden), read by row lookup, not by a
 * matrix product; 0 when tied (the table is then the LM head, read whole). */
double sl__llm_input_embedding_params(const struct sl_llm_model *m);

#endif
