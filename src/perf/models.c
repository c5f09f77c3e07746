/*
 * The built-in LLM catalog and parameter counts (see include/suanli/llm.h).
 *
 * Each row is a transformer's shape as its published config.json (Hugging
 * Face) or paper gives it; `source` names the document and docs/model.md
 * ("Inference performance") lists them with a confidence mark.  A row is
 * HIGH when the config values were read from the published config (through a
 * copy found in public code) and the parameter count below reproduces the
 * published total; MEDIUM when the shape comes from a paper table.
 *
 * Parameter count (sl_llm_params), per layer:
 *   attention, GQA/MHA:  h * H * d_h  (Q)  + 2 * h * n_kv * d_h  (K, V)
 *                        + H * d_h * h  (O)
 *   attention, MLA:      h * r_q + r_q * H * (d_h + d_r)   (Q through its
 *                        low-rank; h * H * (d_h + d_r) when r_q = 0)
 *                        + h * (r_kv + d_r)                 (latent KV, RoPE key)
 *                        + r_kv * H * (d_h + d_v)           (K, V up-projection)
 *                        + H * d_v * h                      (O)  + r_q + r_kv (norms)
 *   FFN:                 m * h * f, m = 3 gated (SwiGLU), 2 plain (GELU/ReLU)
 *   MoE FFN:             (E + S) * m * h * f_e + h * E (router); active:
 *                        (k + S) * m * h * f_e + h * E
 *   norms:               2 * h
 * plus the embeddings, vocab * h, twice when the LM head is not tied, and a
 * final norm h.  Biases (Qwen's and GLM's QKV bias, BLOOM's and OPT's linear
 * biases) and learned position tables (OPT, GPT-3) are left out: they are
 * below 0.1 % of every model here.  Multi-token-prediction modules
 * (DeepSeek-V3's MTP, 14 B) are left out: they are not used by plain
 * decoding and are outside the published 671 B.
 */
#include "perf/perf.h"

#include "suanli/diag.h"
#include "suanli/list.h"

#include <stddef.h>
#include <string.h>

const char *const sl_precision_names[] = {"fp16", "int8", "fp8", "int4", NULL};
const char *const sl_ffn_kind_names[] = {"gated", "plain", NULL};

double sl_precision_bytes(int prec)
{
    switch (prec) {
    case SL_PREC_FP16:
        return 2.0;
    case SL_PREC_INT8:
    case SL_PREC_FP8:
        return 1.0;
    case SL_PREC_INT4:
        return 0.5;
    default:
        return 0.0;
    }
}

/* name, description, layers, hidden, heads, kv_heads, head_dim, ffn, vocab,
 * ffn_kind, tied, experts, active, shared, moe_ffn, dense_layers, q_lora,
 * kv_lora, rope, v_head, confidence, source */
static const struct sl_llm_model models[] = {
    {SL_TEXT("llama2-70b"),
     SL_TEXT("Meta Llama 2 70B (GQA)"),
     80,
     8192,
     64,
     8,
     128,
     28672,
     32000,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("meta-llama/Llama-2-70b-hf config.json; 69.0 B parameters")},
    {SL_TEXT("llama3-8b"),
     SL_TEXT("Meta Llama 3 / 3.1 8B (GQA)"),
     32,
     4096,
     32,
     8,
     128,
     14336,
     128256,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("meta-llama/Meta-Llama-3-8B config.json; 8.03 B parameters (model card)")},
    {SL_TEXT("llama3-70b"),
     SL_TEXT("Meta Llama 3 / 3.1 70B (GQA)"),
     80,
     8192,
     64,
     8,
     128,
     28672,
     128256,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("meta-llama/Meta-Llama-3-70B config.json; 70.6 B parameters (model card)")},
    {SL_TEXT("llama3-405b"),
     SL_TEXT("Meta Llama 3.1 405B (GQA)"),
     126,
     16384,
     128,
     8,
     128,
     53248,
     128256,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("meta-llama/Llama-3.1-405B config.json; 405.9 B parameters (arXiv 2407.21783)")},
    {SL_TEXT("qwen2.5-7b"),
     SL_TEXT("Qwen2.5 7B (GQA, QKV bias)"),
     28,
     3584,
     28,
     4,
     128,
     18944,
     152064,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("Qwen/Qwen2.5-7B config.json; 7.61 B parameters (model card)")},
    {SL_TEXT("qwen2.5-72b"),
     SL_TEXT("Qwen2.5 72B (GQA, QKV bias)"),
     80,
     8192,
     64,
     8,
     128,
     29568,
     152064,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("Qwen/Qwen2.5-72B config.json; 72.7 B parameters (model card)")},
    {SL_TEXT("glm4-9b"),
     SL_TEXT("THUDM GLM-4 9B (multi_query_group_num 2)"),
     40,
     4096,
     32,
     2,
     128,
     13696,
     151552,
     SL_FFN_GATED,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("THUDM/glm-4-9b config.json (num_layers 40, ffn_hidden_size 13696, padded_vocab_size "
             "151552, kv_channels 128); 9.4 B parameters (model card)")},
    {SL_TEXT("deepseek-v3"),
     SL_TEXT("DeepSeek-V3 / R1 (MoE 256+1 experts, 8 active; MLA)"),
     61,
     7168,
     128,
     128,
     128,
     18432,
     129280,
     SL_FFN_GATED,
     0,
     256,
     8,
     1,
     2048,
     3,
     1536,
     512,
     64,
     128,
     SL_CONF_HIGH,
     SL_TEXT(
         "deepseek-ai/DeepSeek-V3 config.json (first_k_dense_replace 3, qk_nope_head_dim 128 as "
         "head_dim); 671 B total / 37 B active (arXiv 2412.19437), MTP module excluded")},
    {SL_TEXT("bloom-176b"),
     SL_TEXT("BigScience BLOOM 176B (MHA, GELU, ALiBi)"),
     70,
     14336,
     112,
     112,
     128,
     57344,
     250880,
     SL_FFN_PLAIN,
     1,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_HIGH,
     SL_TEXT("bigscience/bloom config.json (n_layer 70, n_embed 14336, n_head 112, vocab 250880, "
             "FFN 4 x hidden); 176.2 B parameters (arXiv 2211.05100)")},
    {SL_TEXT("opt-175b"),
     SL_TEXT("Meta OPT-175B (MHA, ReLU)"),
     96,
     12288,
     96,
     96,
     128,
     49152,
     50272,
     SL_FFN_PLAIN,
     1,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_MEDIUM,
     SL_TEXT("OPT paper (arXiv 2205.01068) Table 1: 96 layers, 96 heads, d_model 12288, FFN 4 x "
             "d_model; vocab 50272 from the OPT configs; 175 B parameters")},
    {SL_TEXT("gpt3-175b"),
     SL_TEXT("OpenAI GPT-3 175B (MHA, GELU)"),
     96,
     12288,
     96,
     96,
     128,
     49152,
     50257,
     SL_FFN_PLAIN,
     1,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     0,
     SL_CONF_MEDIUM,
     SL_TEXT("GPT-3 paper (arXiv 2005.14165) Table 2.1: 96 layers, d_model 12288, 96 heads of 128, "
             "FFN 4 x d_model; GPT-2 vocabulary 50257; 175 B parameters")},
};

size_t sl_llm_model_count(void)
{
    return sizeof models / sizeof models[0];
}

const struct sl_llm_model *sl_llm_model_get(size_t i)
{
    return i < sl_llm_model_count() ? &models[i] : NULL;
}

const struct sl_llm_model *sl_llm_model_find(const char *name)
{
    for (size_t i = 0; name && i < sl_llm_model_count(); i++)
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    return NULL;
}

static double ffn_mats(const struct sl_llm_model *m)
{
    return m->ffn_kind == SL_FFN_PLAIN ? 2.0 : 3.0;
}

double sl__llm_attn_params(const struct sl_llm_model *m)
{
    double h = (double)m->hidden, heads = (double)m->heads, dh = (double)m->head_dim;
    if (m->kv_lora_rank > 0) {
        double rq = (double)m->q_lora_rank, rkv = (double)m->kv_lora_rank;
        double dr = (double)m->rope_dim;
        double dv = m->v_head_dim > 0 ? (double)m->v_head_dim : dh;
        double q = rq > 0 ? h * rq + rq * heads * (dh + dr) + rq : h * heads * (dh + dr);
        return q + h * (rkv + dr) + rkv + rkv * heads * (dh + dv) + heads * dv * h;
    }
    return 2 * h * heads * dh + 2 * h * (double)m->kv_heads * dh;
}

double sl__llm_expert_params(const struct sl_llm_model *m)
{
    return m->experts > 0 ? ffn_mats(m) * (double)m->hidden * (double)m->moe_ffn : 0.0;
}

int64_t sl__llm_moe_layers(const struct sl_llm_model *m)
{
    return m->experts > 0 ? m->layers - m->dense_layers : 0;
}

double sl__llm_input_embedding_params(const struct sl_llm_model *m)
{
    return m->tied_embeddings ? 0.0 : (double)m->vocab * (double)m->hidden;
}

void sl_llm_params(const struct sl_llm_model *m, double *total, double *active)
{
    double h = (double)m->hidden;
    double emb = (double)m->vocab * h * (m->tied_embeddings ? 1.0 : 2.0) + h;
    int64_t moe = sl__llm_moe_layers(m);
    double dense_ffn = ffn_mats(m) * h * (double)m->ffn;
    double expert = sl__llm_expert_params(m);
    double router = h * (double)m->experts;
    double per_layer = sl__llm_attn_params(m) + 2 * h;
    double common = emb + (double)m->layers * per_layer + (double)(m->layers - moe) * dense_ffn;
    double moe_total = (double)moe * ((double)(m->experts + m->shared_experts) * expert + router);
    double moe_active =
        (double)moe * ((double)(m->active_experts + m->shared_experts) * expert + router);
    if (total)
        *total = common + moe_total;
    if (active)
        *active = common + moe_active;
}

static int bad(struct sl_diag *d, const struct sl_llm_model *m, const char *field, const char *why)
{
    return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model '%s': %s %s", m->name ? m->name : "?",
                       field, why);
}

int sl_llm_validate(const struct sl_llm_model *m, struct sl_diag *d)
{
    if (!m->name || !m->name[0])
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "model: name must not be empty");
    const struct {
        const char *field;
        int64_t v;
    } pos[] = {{"layers", m->layers},     {"hidden", m->hidden},     {"heads", m->heads},
               {"kv_heads", m->kv_heads}, {"head_dim", m->head_dim}, {"ffn", m->ffn},
               {"vocab", m->vocab}};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (pos[i].v < 1)
            return bad(d, m, pos[i].field, "must be >= 1");
    if (m->kv_heads > m->heads)
        return bad(d, m, "kv_heads", "must not exceed heads");
    if (m->ffn_kind != SL_FFN_GATED && m->ffn_kind != SL_FFN_PLAIN)
        return bad(d, m, "ffn_kind", "must be gated or plain");
    if (m->experts < 0)
        return bad(d, m, "experts", "must be >= 0 (0 = dense)");
    if (m->experts > 0) {
        if (m->active_experts < 1 || m->active_experts > m->experts)
            return bad(d, m, "active_experts", "must be between 1 and experts");
        if (m->moe_ffn < 1)
            return bad(d, m, "moe_ffn", "must be >= 1 in a MoE model");
        if (m->dense_layers < 0 || m->dense_layers > m->layers)
            return bad(d, m, "dense_layers", "must be between 0 and layers");
        if (m->shared_experts < 0)
            return bad(d, m, "shared_experts", "must be >= 0");
    }
    if (m->kv_lora_rank < 0)
        return bad(d, m, "kv_lora_rank", "must be >= 0 (0 = no MLA)");
    if (m->kv_lora_rank > 0 && m->rope_dim < 0)
        return bad(d, m, "rope_dim", "must be >= 0");
    if (m->q_lora_rank < 0)
        return bad(d, m, "q_lora_rank", "must be >= 0 (0 = none)");
    if (m->v_head_dim < 0)
        return bad(d, m, "v_head_dim", "must be >= 0 (0 = head_dim)");
    if (m->confidence < SL_CONF_HIGH || m->confidence > SL_CONF_LOW)
        return bad(d, m, "confidence", "must be high, medium or low");
    return SL_OK;
}
