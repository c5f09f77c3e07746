/*
 * LLM inference serving (src/workload/serve_request.c, serve_flow.c),
 * end to end through the public API: load a scenario with a
 * `workload.inference` service, run it, read the summary.
 *
 * Every expected value comes from outside the serving code: queueing
 * theory, or the step times of the performance model (sl_perf_prefill_s,
 * sl_perf_decode_s) rounded to whole microseconds as the simulation rounds
 * each step, or the rows of the real traces.
 *
 *   - M/D/1: one replica, max_batch 1, prompts of P tokens and one output
 *     token: every request is one prefill step of D = round(S) us, S =
 *     sl_perf_prefill_s(P).  With Poisson arrivals at rho = lambda D the
 *     mean TTFT is D + rho D / (2 (1 - rho)) (Pollaczek-Khinchine).
 *   - Light load: requests far apart see TTFT = the prefill step and TPOT =
 *     the mean of their own decode steps at batch 1, exact to the us.
 *   - N requests at once: one prefill of the first, one of the N - 1
 *     others (they arrived while the first was prefilling), then N
 *     sequences decoding together: TPOT = the decode step at batch N.
 *   - KV pressure: a cache of a few requests' worth, a burst that
 *     outgrows it while decoding: preemptions, and still every request
 *     completes with exactly its tokens.
 *   - Fidelities: request and flow on the same workload agree on
 *     throughput and mean IT power within 5 % and on the median TTFT
 *     within 25 % (generated Poisson requests at two loads, the Azure
 *     conversation trace at two loads and as a burst that drains).
 *   - Routers: at high load join-the-shortest-queue beats round-robin.
 *   - Determinism: the same seed gives the same summary, another seed not.
 *   - Sustained overload: the mean TTFT of first come first served, (1 -
 *     mu / lambda) T / 2, at both fidelities.
 *   - Arrivals: a diurnal Poisson day's count and its peak half's count
 *     against the integrated rate; max_queue rejections.
 *   - Real traces (../shared/data): Azure code and conversation, Mooncake
 *     conversation, ServeGen m-large replay end to end with the traces'
 *     request counts; tiling and rate_scale give the counts the rows' own
 *     times give.
 *   - Allocation failures at every allocation of a serving run: SL_ENOMEM,
 *     no file left, no leak.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_util.h"

#include "shared_data.h"
#include "torture.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suanli/diag.h"
#include "suanli/llm.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"
#include "workload/pcache.h"

#define SL_TEST_PI 3.14159265358979323846

static char tmpdir[] = "/tmp/sl_test_serve_XXXXXX";
static int nruns;

#define TRACES           SL_SHARED_DATA "/traces"
#define AZURE_CONV       TRACES "/azure-llm-2023/AzureLLMInferenceTrace_conv.csv"
#define AZURE_CODE       TRACES "/azure-llm-2023/AzureLLMInferenceTrace_code.csv"
#define MOONCAKE_CONV    TRACES "/mooncake-fast25/conversation_trace.jsonl"
#define SERVEGEN_M_LARGE TRACES "/servegen/language/m-large"

/* ---- Scenarios. ---- */

/* A scenario of one service "s" (qwen2.5-7b, int8 weights and KV, on
 * t1008 servers of 8 T100 cards): extra is the service's further keys
 * (each line indented by six spaces), requests the text inside
 * `requests: {...}`. */
static char *scenario(char *buf, size_t size, const char *duration, int seed, int servers,
                      const char *extra, const char *requests)
{
    int n = snprintf(buf, size,
                     "name: serve-test\n"
                     "run: {duration: %s, sample: 10min, seed: %d}\n"
                     "fleet: {servers: %d}\n"
                     "workload:\n"
                     "  inference:\n"
                     "    - name: s\n"
                     "      model: qwen2.5-7b\n"
                     "      weights: int8\n"
                     "      kv: int8\n"
                     "%s"
                     "      requests: {%s}\n",
                     duration, seed, servers, extra, requests);
    assert_true(n > 0 && (size_t)n < size);
    return buf;
}

static void load_text(const char *text, struct sl_scenario_set *set)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.yaml", nruns);
    struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_scenario_load(&o, set, &d);
    if (rc != SL_OK) {
        char msg[1600];
        fail_msg("loading the scenario: %s\n%s", sl_diag_format(&d, msg, sizeof msg), text);
    }
    assert_int_equal(set->n, 1);
}

/* Loads and runs text into a fresh folder. */
static void run_text(const char *text, struct run *r)
{
    load_text(text, &r->set);
    snprintf(r->dir, sizeof r->dir, "%s/run%d", tmpdir, nruns++);
    if (mkdir(r->dir, 0777) != 0)
        fail_msg("cannot create %s", r->dir);
    struct sl_run_opts ro = {r->dir, NULL, NULL, 1, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    sl_summary_init(&r->sum);
    int rc = sl_run_scenario(&r->set.items[0], &ro, &r->sum, &d);
    if (rc != SL_OK)
        fail_msg("run into %s: %s: %s", r->dir, sl_strerror(rc), d.msg);
}

static int64_t integer(const struct run *r, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(&r->sum, key);
    if (!e || e->type != SL_V_INT)
        fail_msg("summary key '%s' is missing or not an integer", key);
    return e->i;
}

/* The performance model of the (only) service of a loaded scenario. */
static void service_perf(const struct sl_scenario *sc, struct sl_perf *p)
{
    assert_int_equal(sc->nservices, 1);
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_perf_init(p, &sc->services[0].perf, &d) != SL_OK)
        fail_msg("sl_perf_init: %s", d.msg);
}

/* A step of s seconds as the simulation times it: whole us, at least 1. */
static int64_t step_us(double s)
{
    double u = floor(s * 1e6 + 0.5);
    return u < 1 ? 1 : (int64_t)u;
}

/* Sum of the decode steps at batch b after a prompt of p tokens, for the
 * output tokens 2..o: the step producing token k + 1 attends to p + k
 * tokens per sequence (prompt and the k tokens generated), k = 1..o-1. */
static int64_t decode_sum_us(const struct sl_perf *pf, int64_t b, int64_t p, int64_t o)
{
    int64_t sum = 0;
    for (int64_t k = 1; k < o; k++)
        sum += step_us(sl_perf_decode_s(pf, b, (double)(p + k)));
    return sum;
}

/* Writes an Azure-format trace of n requests of prompt p and output o, all
 * at the same instant; returns its path (static buffer). */
static const char *burst_trace(const char *name, int n, int p, int o)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("TIMESTAMP,ContextTokens,GeneratedTokens\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "2023-11-16 18:15:46.6805900,%d,%d\n", p, o);
    fclose(f);
    return path;
}

/* ---- (a) M/D/1. ---- */

/* One replica, max_batch 1, fixed prompt P, one output token: the server
 * is deterministic (D = one prefill step, rounded to the us) and arrivals
 * are Poisson, so this is M/D/1 and the mean TTFT (sojourn time) is
 *     D + rho D / (2 (1 - rho)).
 * Tolerance: the customer average of n waits has asymptotic variance
 * sigma^2 D^2 / n; for M/M/1 (mean service D) Whitt ("Planning queueing
 * simulations", 1989) gives sigma^2 = rho (2 + 5 rho - 4 rho^2 + rho^3) /
 * (1 - rho)^4, and deterministic service has a smaller one (its waits are
 * smaller in convex order), so 4 sigma D / sqrt(n) with the M/M/1 sigma is
 * a bound a correct simulation exceeds with probability < 1e-4 and the
 * start from empty adds O(1/n).  With n = 600,000: 1.9 % of the mean TTFT
 * at rho = 0.5 and 7.7 % at rho = 0.8; forgetting the queue (TTFT = D)
 * would be 33 % and 67 % off, a wrong step time by one prefill 100 %. */
static void md1(double rho)
{
    const int64_t P = 512;
    char text[2048];
    const char *extra = "      replicas: 1\n      max_batch: 1\n";
    struct sl_scenario_set set;
    load_text(scenario(text, sizeof text, "1h", 7, 1, extra,
                       "rate: 1/s, prompt_tokens: \"512\", output_tokens: \"1\""),
              &set);
    struct sl_perf pf;
    service_perf(&set.items[0], &pf);
    sl_scenario_set_release(&set);
    double D = (double)step_us(sl_perf_prefill_s(&pf, 1, P)) * 1e-6;
    double lambda = rho / D;
    double n = 600000;
    char dur[64], req[256];
    snprintf(dur, sizeof dur, "%.0fs", ceil(n / lambda));
    snprintf(req, sizeof req, "rate: %.9g/s, prompt_tokens: \"%d\", output_tokens: \"1\"", lambda,
             (int)P);
    struct run r;
    run_text(scenario(text, sizeof text, dur, 7, 1, extra, req), &r);
    double want = D + rho * D / (2 * (1 - rho));
    double sigma2 = rho * (2 + 5 * rho - 4 * rho * rho + rho * rho * rho) / pow(1 - rho, 4);
    double done = num(&r, "inference.completed");
    double tol = 4 * sqrt(sigma2 / done) * D;
    double got = num(&r, "inference.ttft_mean_s");
    print_message("M/D/1 rho %.1f: D %.6f s, %.0f requests, mean TTFT %.6f s, theory %.6f s "
                  "(error %+.2f %%, tolerance %.2f %%)\n",
                  rho, D, done, got, want, 100 * (got / want - 1), 100 * tol / want);
    assert_true(done > 0.99 * n);
    assert_int_equal(integer(&r, "inference.rejected"), 0);
    assert_int_equal(integer(&r, "inference.preemptions"), 0);
    assert_true(fabs(got - want) <= tol);
    /* Every request generated exactly its one token. */
    assert_true(num(&r, "inference.tokens_out") == done);
    run_free(&r);
}

static void test_md1_half(void **state)
{
    (void)state;
    md1(0.5);
}

static void test_md1_high(void **state)
{
    (void)state;
    md1(0.8);
}

/* ---- (b) Light load. ---- */

/* Nearly periodic arrivals (gamma gaps, cv 0.001, one a second) of fixed
 * requests that take well under a second: each finds the replica idle, so
 * TTFT = its prefill step and TPOT = the mean of its decode steps at batch
 * 1, both to the us (each step is rounded to whole us; sl_perf_decode_s on
 * the same context may differ from the simulation's running context sum in
 * the last bits, which can move one step's rounding by 1 us, hence the
 * 1 us allowance on the mean per token). */
static void test_light_load(void **state)
{
    (void)state;
    const int64_t P = 1000, O = 32;
    char text[2048];
    struct run r;
    run_text(scenario(text, sizeof text, "600s", 3, 1, "      replicas: 1\n",
                      "arrival: gamma, cv: 0.001, rate: 1/s, prompt_tokens: \"1000\", "
                      "output_tokens: \"32\""),
             &r);
    struct sl_perf pf;
    service_perf(&r.set.items[0], &pf);
    double ttft = (double)step_us(sl_perf_prefill_s(&pf, 1, P)) * 1e-6;
    double tpot = (double)decode_sum_us(&pf, 1, P, O) * 1e-6 / (double)(O - 1);
    double busy = ttft + tpot * (double)(O - 1);
    assert_true(busy < 0.5); /* the premise: far apart */
    int64_t done = integer(&r, "inference.completed");
    print_message("light load: %lld requests, TTFT %.6f s (model %.6f), TPOT %.7f s (model "
                  "%.7f)\n",
                  (long long)done, num(&r, "inference.ttft_mean_s"), ttft,
                  num(&r, "inference.tpot_mean_s"), tpot);
    /* the last arrival may still be in flight at the end */
    assert_true(done >= 590 && integer(&r, "inference.requests") - done <= 1);
    assert_true(fabs(num(&r, "inference.ttft_mean_s") - ttft) <= 1e-9);
    assert_true(fabs(num(&r, "inference.tpot_mean_s") - tpot) <= 1e-6);
    assert_true(num(&r, "inference.tokens_out") == (double)(done * O));
    assert_true(num(&r, "inference.tokens_in") == (double)(done * P));
    run_free(&r);
}

/* Chunked prefill at light load: a prompt of 5,000 tokens with a budget
 * of 2,048 tokens a step is prefilled in chunks of 2,048, 2,048 and 904;
 * the chunk starting at token a (0-based) of c tokens attends, token by
 * token, to a + 1 ... a + c tokens: c a + c (c + 1) / 2 pairs.  TTFT is
 * the sum of the three steps, TPOT the decode steps at batch 1 as above. */
static void test_light_load_chunked(void **state)
{
    (void)state;
    const int64_t P = 5000, O = 16, C = 2048;
    char text[2048];
    struct run r;
    run_text(scenario(text, sizeof text, "600s", 3, 1,
                      "      replicas: 1\n      chunked_prefill: true\n"
                      "      max_batch_tokens: 2048\n",
                      "arrival: gamma, cv: 0.001, rate: 0.5/s, prompt_tokens: \"5000\", "
                      "output_tokens: \"16\""),
             &r);
    struct sl_perf pf;
    service_perf(&r.set.items[0], &pf);
    int64_t ttft_us = 0;
    for (int64_t a = 0; a < P; a += C) {
        int64_t c = P - a < C ? P - a : C;
        struct sl_perf_batch b = {0, 0, c,
                                  (double)c * (double)a + 0.5 * (double)c * (double)(c + 1)};
        ttft_us += step_us(sl_perf_step_s(&pf, &b));
    }
    double ttft = (double)ttft_us * 1e-6;
    double tpot = (double)decode_sum_us(&pf, 1, P, O) * 1e-6 / (double)(O - 1);
    double whole = (double)step_us(sl_perf_prefill_s(&pf, 1, P)) * 1e-6;
    assert_true(ttft + tpot * (double)(O - 1) < 1.5); /* far apart */
    int64_t done = integer(&r, "inference.completed");
    print_message("chunked light load: %lld requests, TTFT %.6f s (model: 3 chunks %.6f, one "
                  "step %.6f), TPOT %.7f s (model %.7f)\n",
                  (long long)done, num(&r, "inference.ttft_mean_s"), ttft, whole,
                  num(&r, "inference.tpot_mean_s"), tpot);
    assert_true(done >= 290 && integer(&r, "inference.requests") - done <= 1);
    assert_true(fabs(num(&r, "inference.ttft_mean_s") - ttft) <= 1e-9);
    assert_true(fabs(num(&r, "inference.tpot_mean_s") - tpot) <= 1e-6);
    run_free(&r);
}

/* ---- (c) A batch of N. ---- */

/* N identical requests at the same instant, max_batch >= N: the first
 * starts a prefill alone (the replica was idle when it arrived), the N - 1
 * others arrive during it and are prefilled together in the next step,
 * then the N sequences decode together, all at the same context.  So N - 1
 * requests have TPOT = the mean decode step at batch N, and the first one
 * also waits for the second prefill:
 *     mean TPOT = (N sum_dec + prefill(N - 1)) / (N (O - 1)),
 *     mean TTFT = prefill(1) + (N - 1) / N prefill(N - 1);
 * the median TPOT is the decode step at batch N (to the histogram's 0.5 %). */
static void test_batch_n(void **state)
{
    (void)state;
    const int N = 32, P = 256, O = 64;
    const char *path = burst_trace("burst.csv", N, P, O);
    char text[2048], req[1024];
    snprintf(req, sizeof req, "trace: \"%s\", tile: false", path);
    struct run r;
    run_text(scenario(text, sizeof text, "600s", 1, 1,
                      "      replicas: 1\n      max_batch: 64\n      max_batch_tokens: 16384\n",
                      req),
             &r);
    struct sl_perf pf;
    service_perf(&r.set.items[0], &pf);
    double p1 = (double)step_us(sl_perf_prefill_s(&pf, 1, P)) * 1e-6;
    double pn = (double)step_us(sl_perf_prefill_s(&pf, N - 1, P)) * 1e-6;
    double dec = (double)decode_sum_us(&pf, N, P, O) * 1e-6;
    double tpot_n = dec / (O - 1);
    double tpot_mean = ((double)N * dec + pn) / ((double)N * (O - 1));
    double ttft_mean = p1 + (double)(N - 1) / N * pn;
    double tpot_1 = (double)decode_sum_us(&pf, 1, P, O) * 1e-6 / (O - 1);
    print_message("batch %d: TPOT mean %.7f s (model %.7f), p50 %.7f (decode step at batch %d: "
                  "%.7f, at batch 1: %.7f); TTFT mean %.6f (model %.6f)\n",
                  N, num(&r, "inference.tpot_mean_s"), tpot_mean, num(&r, "inference.tpot_p50_s"),
                  N, tpot_n, tpot_1, num(&r, "inference.ttft_mean_s"), ttft_mean);
    assert_int_equal(integer(&r, "inference.requests"), N);
    assert_int_equal(integer(&r, "inference.completed"), N);
    assert_true(fabs(num(&r, "inference.tpot_mean_s") - tpot_mean) <= 1e-6);
    assert_true(fabs(num(&r, "inference.tpot_p50_s") - tpot_n) <= 0.005 * tpot_n);
    assert_true(fabs(num(&r, "inference.ttft_mean_s") - ttft_mean) <= 1e-6);
    /* batching is visible: a step of 32 costs more than a step of one */
    assert_true(tpot_n > tpot_1 * 1.01);
    run_free(&r);
}

/* 100 one-token requests at once: the first is prefilled alone, the 99
 * others in one step (99 x 64 tokens within the 8,192 budget), and each
 * prefill's end is its completion: mean TTFT = prefill(1) + 0.99
 * prefill(99), every request completes, one token each. */
static void test_batch_prefill_only(void **state)
{
    (void)state;
    const int N = 100, P = 64;
    const char *path = burst_trace("burst100.csv", N, P, 1);
    char text[2048], req[1024];
    snprintf(req, sizeof req, "trace: \"%s\", tile: false", path);
    struct run r;
    run_text(scenario(text, sizeof text, "600s", 1, 1, "      replicas: 1\n", req), &r);
    struct sl_perf pf;
    service_perf(&r.set.items[0], &pf);
    double p1 = (double)step_us(sl_perf_prefill_s(&pf, 1, P)) * 1e-6;
    double pn = (double)step_us(sl_perf_prefill_s(&pf, N - 1, P)) * 1e-6;
    double want = p1 + (double)(N - 1) / N * pn;
    print_message("100 prompts at once: mean TTFT %.6f s (model %.6f)\n",
                  num(&r, "inference.ttft_mean_s"), want);
    assert_int_equal(integer(&r, "inference.completed"), N);
    assert_true(num(&r, "inference.tokens_out") == N);
    assert_true(fabs(num(&r, "inference.ttft_mean_s") - want) <= 1e-9);
    run_free(&r);
}

/* max_queue 5, max_batch 1, 100 requests at once: the first is admitted
 * on arrival (the replica is idle), five wait, the other 94 are rejected;
 * the six complete. */
static void test_max_queue(void **state)
{
    (void)state;
    const char *path = burst_trace("burst-q.csv", 100, 100, 10);
    char text[2048], req[1024];
    snprintf(req, sizeof req, "trace: \"%s\", tile: false", path);
    struct run r;
    run_text(scenario(text, sizeof text, "600s", 1, 1,
                      "      replicas: 1\n      max_batch: 1\n      max_queue: 5\n", req),
             &r);
    assert_int_equal(integer(&r, "inference.requests"), 100);
    assert_int_equal(integer(&r, "inference.rejected"), 94);
    assert_int_equal(integer(&r, "inference.completed"), 6);
    run_free(&r);
}

/* ---- (d) KV pressure. ---- */

/* mem_util cut so that the replica's KV cache holds about kv_tokens
 * tokens; returns the capacity the model gives at that setting. */
static double kv_mem_util(const char *extra_base, double kv_tokens, char *extra, size_t size)
{
    char text[2048];
    struct sl_scenario_set set;
    load_text(scenario(text, sizeof text, "1h", 1, 1, extra_base,
                       "rate: 1/s, prompt_tokens: \"1\", output_tokens: \"1\""),
              &set);
    struct sl_perf pf;
    service_perf(&set.items[0], &pf);
    const struct sl_device_model *dev = set.items[0].device;
    double need = pf.weight_bytes + pf.spec.act_bytes + kv_tokens * pf.kv_bytes_token;
    double util = need / dev->memory_bytes;
    snprintf(extra, size, "%s      mem_util: %.6f%%\n", extra_base, 100 * util);
    sl_scenario_set_release(&set);
    load_text(scenario(text, sizeof text, "1h", 1, 1, extra,
                       "rate: 1/s, prompt_tokens: \"1\", output_tokens: \"1\""),
              &set);
    service_perf(&set.items[0], &pf);
    sl_scenario_set_release(&set);
    return pf.kv_capacity_tokens;
}

/* A burst of 60 requests of 1,000 + 1,000 tokens into a cache of about
 * 20,000 tokens: some 19 prompts are admitted, their growth overflows the
 * cache, the newest are preempted and recomputed.  Every request still
 * completes, each prompt is counted once (tokens_in) and each output token
 * once (tokens_out), whatever the recomputation.  With and without
 * chunked prefill (which preempts sequences that are mid-prompt too). */
static void kv_pressure(int chunked)
{
    const int N = 60, P = 1000, O = 1000;
    char extra[1024];
    const char *base = chunked ? "      replicas: 1\n      max_batch: 64\n"
                                 "      chunked_prefill: true\n      max_batch_tokens: 2048\n"
                               : "      replicas: 1\n      max_batch: 64\n";
    double cap = kv_mem_util(base, 20000, extra, sizeof extra);
    assert_true(cap > 15000 && cap < 25000);
    const char *path = burst_trace(chunked ? "kv-chunked.csv" : "kv.csv", N, P, O);
    char text[2048], req[1024];
    snprintf(req, sizeof req, "trace: \"%s\", tile: false", path);
    struct run r;
    run_text(scenario(text, sizeof text, "2h", 1, 1, extra, req), &r);
    print_message("KV pressure%s: cache %.0f tokens, %lld preemptions, %lld of %d completed\n",
                  chunked ? " (chunked prefill)" : "", cap,
                  (long long)integer(&r, "inference.preemptions"),
                  (long long)integer(&r, "inference.completed"), N);
    assert_true(integer(&r, "inference.preemptions") > 0);
    assert_int_equal(integer(&r, "inference.requests"), N);
    assert_int_equal(integer(&r, "inference.rejected"), 0);
    assert_int_equal(integer(&r, "inference.completed"), N);
    assert_true(num(&r, "inference.tokens_in") == (double)N * P);
    assert_true(num(&r, "inference.tokens_out") == (double)N * O);
    run_free(&r);
}

static void test_kv_pressure(void **state)
{
    (void)state;
    kv_pressure(0);
}

static void test_kv_pressure_chunked(void **state)
{
    (void)state;
    kv_pressure(1);
}

/* ---- (e) Request and flow fidelity agree. ---- */

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

/* Runs the same service at both fidelities; throughput (output tokens/s)
 * and mean IT power within 5 %, median TTFT within 25 % (the fluid model's
 * latency is an approximation; throughput and energy are conserved). */
static void agree(const char *label, const char *duration, int servers, const char *extra,
                  const char *requests)
{
    char text[4096], ex[1024];
    struct run rq, fl;
    run_text(scenario(text, sizeof text, duration, 11, servers, extra, requests), &rq);
    snprintf(ex, sizeof ex, "%s      fidelity: flow\n", extra);
    run_text(scenario(text, sizeof text, duration, 11, servers, ex, requests), &fl);
    double t_r = num(&rq, "inference.tokens_per_s"), t_f = num(&fl, "inference.tokens_per_s");
    double p_r = num(&rq, "power_mw.it_mean"), p_f = num(&fl, "power_mw.it_mean");
    double m_r = num(&rq, "inference.ttft_p50_s"), m_f = num(&fl, "inference.ttft_p50_s");
    print_message("%s: tokens/s %.1f request, %.1f flow (%+.2f %%); IT %.2f kW, %.2f kW "
                  "(%+.2f %%); median TTFT %.4f s, %.4f s (%+.1f %%); mean TTFT %.4f, %.4f; "
                  "mean TPOT %.5f, %.5f\n",
                  label, t_r, t_f, 100 * (t_f / t_r - 1), p_r * 1e3, p_f * 1e3,
                  100 * (p_f / p_r - 1), m_r, m_f, 100 * (m_f / m_r - 1),
                  num(&rq, "inference.ttft_mean_s"), num(&fl, "inference.ttft_mean_s"),
                  num(&rq, "inference.tpot_mean_s"), num(&fl, "inference.tpot_mean_s"));
    assert_true(integer(&rq, "inference.completed") > 1000);
    assert_true(rel(t_f, t_r) <= 0.05);
    assert_true(rel(p_f, p_r) <= 0.05);
    assert_true(rel(m_f, m_r) <= 0.25);
    run_free(&rq);
    run_free(&fl);
}

#define CHAT_LAWS                                                                                  \
    "prompt_tokens: \"lognormal(6.6, 1.0, max=8000)\", output_tokens: \"lognormal(5.0, 0.8, "      \
    "max=2000)\""

static void test_fidelity_poisson(void **state)
{
    (void)state;
    /* 16 replicas: about half busy at 10/s, 85 % at 30/s */
    agree("poisson 10/s", "2h", 2, "      replicas: 16\n", "rate: 10/s, " CHAT_LAWS);
    agree("poisson 30/s", "2h", 2, "      replicas: 16\n", "rate: 30/s, " CHAT_LAWS);
}

static void test_fidelity_azure(void **state)
{
    (void)state;
    if (!shared_data_present(TRACES "/azure-llm-2023"))
        skip();
    agree("azure conv x1", "1h", 1, "      replicas: 8\n",
          "trace: \"" AZURE_CONV "\", rate_scale: 1, tile: true");
    agree("azure conv x3", "1h", 1, "      replicas: 8\n",
          "trace: \"" AZURE_CONV "\", rate_scale: 3, tile: true");
    /* the hour in under 4 minutes, then drained: a backlog that grows and
     * shrinks (TTFT is minutes) */
    agree("azure conv x16 once", "1h", 1, "      replicas: 8\n",
          "trace: \"" AZURE_CONV "\", rate_scale: 16, tile: false");
}

/* A request trace with a rate: Poisson arrivals at that rate (the count
 * within 4 sd of rate x duration), lengths drawn from the trace's rows
 * (mean prompt and output within 4 standard errors of the rows' means,
 * computed here from the file), and both fidelities agree. */
static void test_trace_lengths_at_rate(void **state)
{
    (void)state;
    if (!shared_data_present(TRACES "/azure-llm-2023"))
        skip();
    FILE *f = fopen(AZURE_CONV, "r");
    assert_non_null(f);
    char line[256];
    double n = 0, sp = 0, so = 0, sp2 = 0, so2 = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        const char *c1 = strchr(line, ',');
        assert_non_null(c1);
        const char *c2 = strchr(c1 + 1, ',');
        assert_non_null(c2);
        double p = atof(c1 + 1), o = atof(c2 + 1);
        n++;
        sp += p;
        so += o;
        sp2 += p * p;
        so2 += o * o;
    }
    fclose(f);
    assert_true(n == 19366);
    double mp = sp / n, mo = so / n;
    double sdp = sqrt(sp2 / n - mp * mp), sdo = sqrt(so2 / n - mo * mo);
    char text[4096];
    struct run r;
    run_text(scenario(text, sizeof text, "1h", 5, 1, "      replicas: 8\n",
                      "trace: \"" AZURE_CONV "\", rate: 4/s"),
             &r);
    double req = num(&r, "inference.requests"), done = num(&r, "inference.completed");
    print_message("trace lengths at 4/s: %.0f requests (expected 14,400), mean prompt %.1f "
                  "(rows %.1f), mean output %.1f (rows %.1f)\n",
                  req, num(&r, "inference.tokens_in") / done, mp,
                  num(&r, "inference.tokens_out") / done, mo);
    assert_true(fabs(req - 14400) <= 4 * sqrt(14400));
    assert_true(fabs(num(&r, "inference.tokens_in") / done - mp) <= 4 * sdp / sqrt(done));
    /* tokens_out also counts the tokens of requests still running at the
     * end (a few per replica), so allow for them */
    double out_mean = num(&r, "inference.tokens_out") / done;
    assert_true(out_mean - mo <= 4 * sdo / sqrt(done) + 8.0 * 256 * 2 / done);
    assert_true(mo - out_mean <= 4 * sdo / sqrt(done));
    run_free(&r);
    agree("azure conv lengths at 4/s", "1h", 1, "      replicas: 8\n",
          "trace: \"" AZURE_CONV "\", rate: 4/s");
}

/* Sustained overload: Poisson arrivals at lambda above the service's
 * capacity mu from the start.  The queue grows as (lambda - mu) t and is
 * served first come first served, so the k-th request served arrived at
 * about k / lambda and starts at k / mu: it waits k (1 / mu - 1 / lambda).
 * Over the mu T requests served by T the mean wait is
 *     (1 - mu / lambda) T / 2,
 * mu = completed / T and lambda = requests / T measured from the run.
 * TTFT adds a prefill (well under a second here, against minutes of wait),
 * and a completed request got its first token some decode time (its output
 * times a TPOT of ~0.25 s at the full batch, about 40 s on average) before
 * its completion, which shifts the population by ~1 %; replicas are
 * separate FIFOs under jsq, close to one queue.  Tolerance 10 %.  Both
 * fidelities. */
static void overload(const char *fidelity)
{
    char text[2048], extra[256];
    snprintf(extra, sizeof extra, "      replicas: 8\n      fidelity: %s\n", fidelity);
    struct run r;
    run_text(scenario(text, sizeof text, "1h", 9, 1, extra, "rate: 60/s, " CHAT_LAWS), &r);
    double T = 3600;
    double lambda = num(&r, "inference.requests") / T, mu = num(&r, "inference.completed") / T;
    double want = (1 - mu / lambda) * T / 2;
    double got = num(&r, "inference.ttft_mean_s");
    print_message("overload (%s): lambda %.2f/s, mu %.2f/s, mean TTFT %.1f s, FIFO theory %.1f s "
                  "(%+.1f %%)\n",
                  fidelity, lambda, mu, got, want, 100 * (got / want - 1));
    assert_true(lambda > 1.3 * mu);
    assert_true(rel(got, want) <= 0.10);
    run_free(&r);
}

static void test_overload_fifo(void **state)
{
    (void)state;
    overload("request");
    overload("flow");
}

/* Diurnal Poisson arrivals, rate r (1 + a cos(2 pi (t - 15h) / 1d)), over
 * one day from midnight: the count is Poisson with mean r * 1 d (the cosine
 * integrates to 0), and the 12 hours around the peak (9h-21h) hold
 * r (1 d / 2 + a 1 d / pi).  Each within 5 standard deviations (sqrt of the
 * mean).  Arrival times from requests.csv (light load: every request
 * completes within seconds); at flow fidelity the count is the mean. */
static void test_diurnal_arrivals(void **state)
{
    (void)state;
    const double r = 2, a = 0.5, day = 86400;
    char text[2048];
    snprintf(text, sizeof text,
             "name: diurnal\n"
             "run: {duration: 1d, sample: 1h, seed: 4}\n"
             "fleet: {servers: 1}\n"
             "output: {requests: true}\n"
             "workload:\n"
             "  inference:\n"
             "    - name: s\n"
             "      model: qwen2.5-7b\n"
             "      weights: int8\n"
             "      kv: int8\n"
             "      replicas: 8\n"
             "      requests: {rate: %g/s, diurnal: %g%%, peak_time: 15h, prompt_tokens: \"200\", "
             "output_tokens: \"20\"}\n",
             r, 100 * a);
    struct run run;
    run_text(text, &run);
    char path[600];
    snprintf(path, sizeof path, "%s/requests.csv", run.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    double n = 0, peak = 0;
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        char *c = strchr(line, ',');
        c = c ? strchr(c + 1, ',') : NULL;
        assert_non_null(c);
        double t = atof(c + 1);
        n++;
        peak += t >= 9 * 3600.0 && t < 21 * 3600.0;
    }
    fclose(f);
    double want = r * day, want_peak = r * (day / 2 + a * day / SL_TEST_PI);
    double req = num(&run, "inference.requests");
    print_message("diurnal day: %.0f requests (%.0f completed), mean %.0f; 9h-21h %.0f, mean "
                  "%.0f\n",
                  req, n, want, peak, want_peak);
    assert_true(req - n <= 2);
    assert_true(fabs(req - want) <= 5 * sqrt(want));
    assert_true(fabs(peak - want_peak) <= 5 * sqrt(want_peak));
    run_free(&run);
    /* flow: the expectation itself */
    char *p = strstr(text, "      replicas: 8\n");
    assert_non_null(p);
    char text2[2100];
    snprintf(text2, sizeof text2, "%.*s      fidelity: flow\n%s", (int)(p - text), text, p);
    run_text(text2, &run);
    assert_true(rel(num(&run, "inference.requests"), want) <= 1e-6);
    run_free(&run);
}

/* ---- (f) Routers. ---- */

/* Eight replicas at 30/s of the chat laws (about 85 % busy): joining the
 * shortest queue spreads the bursts that round-robin piles onto one
 * replica, so its mean TTFT is lower.  Both runs see the same arrivals
 * (the arrival stream depends on the seed and the service name only). */
static void test_jsq_beats_round_robin(void **state)
{
    (void)state;
    char text[2048];
    struct run rr, jsq;
    run_text(scenario(text, sizeof text, "1h", 5, 1,
                      "      replicas: 8\n      router: round-robin\n", "rate: 30/s, " CHAT_LAWS),
             &rr);
    run_text(scenario(text, sizeof text, "1h", 5, 1, "      replicas: 8\n      router: jsq\n",
                      "rate: 30/s, " CHAT_LAWS),
             &jsq);
    double a = num(&rr, "inference.ttft_mean_s"), b = num(&jsq, "inference.ttft_mean_s");
    print_message("mean TTFT at 30/s on 8 replicas: round-robin %.4f s, jsq %.4f s\n", a, b);
    assert_int_equal(integer(&rr, "inference.requests"), integer(&jsq, "inference.requests"));
    assert_true(b < 0.95 * a);
    run_free(&rr);
    run_free(&jsq);
}

/* ---- (g) Determinism. ---- */

static int same_summary(const struct run *a, const struct run *b)
{
    if (a->sum.n != b->sum.n)
        return 0;
    for (size_t i = 0; i < a->sum.n; i++) {
        const struct sl_summary_entry *x = &a->sum.items[i];
        const struct sl_summary_entry *y = sl_summary_get(&b->sum, x->key);
        if (!y || x->type != y->type)
            return 0;
        if (x->type == SL_V_INT && x->i != y->i)
            return 0;
        if (x->type == SL_V_NUM && memcmp(&x->x, &y->x, sizeof x->x) != 0)
            return 0;
        if (x->type == SL_V_STR && strcmp(x->s, y->s) != 0)
            return 0;
    }
    return 1;
}

static void test_determinism(void **state)
{
    (void)state;
    char text[2048];
    const char *extra = "      replicas: 8\n      chunked_prefill: true\n";
    struct run a, b, c;
    run_text(scenario(text, sizeof text, "20min", 42, 1, extra, "rate: 25/s, " CHAT_LAWS), &a);
    run_text(scenario(text, sizeof text, "20min", 42, 1, extra, "rate: 25/s, " CHAT_LAWS), &b);
    run_text(scenario(text, sizeof text, "20min", 43, 1, extra, "rate: 25/s, " CHAT_LAWS), &c);
    assert_true(same_summary(&a, &b));
    assert_false(same_summary(&a, &c));
    assert_true(num(&a, "inference.ttft_mean_s") != num(&c, "inference.ttft_mean_s"));
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

/* ---- (h) Real traces. ---- */

/* Replays a request trace once (rate_scale 1, tile false) on enough
 * replicas, with two hours for a one-hour trace to drain: every row is a
 * request and every request completes. */
static void replay(const char *label, const char *path, int64_t rows, int servers,
                   const char *extra)
{
    char text[2048], req[1024];
    snprintf(req, sizeof req, "trace: \"%s\", rate_scale: 1, tile: false", path);
    struct run r;
    run_text(scenario(text, sizeof text, "2h", 1, servers, extra, req), &r);
    print_message("%s: %lld requests, %lld completed, %lld rejected, %lld preemptions, mean TTFT "
                  "%.3f s, mean TPOT %.4f s\n",
                  label, (long long)integer(&r, "inference.requests"),
                  (long long)integer(&r, "inference.completed"),
                  (long long)integer(&r, "inference.rejected"),
                  (long long)integer(&r, "inference.preemptions"), num(&r, "inference.ttft_mean_s"),
                  num(&r, "inference.tpot_mean_s"));
    assert_int_equal(integer(&r, "inference.requests"), rows);
    assert_int_equal(integer(&r, "inference.rejected"), 0);
    assert_int_equal(integer(&r, "inference.completed"), rows);
    assert_true(num(&r, "inference.tokens_out") > (double)rows);
    run_free(&r);
}

static void test_trace_azure(void **state)
{
    (void)state;
    if (!shared_data_present(TRACES "/azure-llm-2023"))
        skip();
    replay("azure conv", AZURE_CONV, 19366, 2, "      replicas: 16\n");
    replay("azure code", AZURE_CODE, 8819, 2, "      replicas: 16\n");
}

static void test_trace_mooncake(void **state)
{
    (void)state;
    if (!shared_data_present(TRACES "/mooncake-fast25"))
        skip();
    replay("mooncake conversation", MOONCAKE_CONV, 12031, 8, "      replicas: 64\n");
}

/* Seconds from the first row of each row of an Azure CSV (one day:
 * HH:MM:SS.fffffff of "YYYY-MM-DD HH:MM:SS.fffffff"); returns the count. */
static size_t azure_times(const char *path, double **out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    size_t n = 0, cap = 0;
    double *t = NULL, t0 = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        int h, m;
        double s;
        if (sscanf(line, "%*d-%*d-%*d %d:%d:%lf", &h, &m, &s) != 3)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            t = realloc(t, cap * sizeof *t);
            assert_non_null(t);
        }
        double x = h * 3600.0 + m * 60.0 + s;
        if (n == 0)
            t0 = x;
        t[n++] = x - t0;
    }
    fclose(f);
    *out = t;
    return n;
}

/* Tiling and rate_scale of a replayed trace, from the rows' own times:
 * copy k of row i arrives at (k P + tau_i) / rate_scale, P = span + span /
 * (n - 1) (reqgen.h), so in T the count is the number of (k, i) with
 * (k P + tau_i) / rate_scale < T; untiled, only k = 0.  Counted at
 * flow fidelity too (prefix sums over the same rows). */
static void test_trace_tiling(void **state)
{
    (void)state;
    if (!shared_data_present(TRACES "/azure-llm-2023"))
        skip();
    double *tau;
    size_t n = azure_times(AZURE_CONV, &tau);
    assert_int_equal(n, 19366);
    double span = tau[n - 1], P = span + span / (double)(n - 1);
    static const struct {
        const char *dur;
        double T, scale;
        int tile;
    } cases[] = {{"2h", 7200, 1, 1}, {"20min", 1200, 2, 0}, {"3h", 10800, 2.5, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double want = 0;
        for (int k = 0; k == 0 || (cases[c].tile && k * P < cases[c].T * cases[c].scale); k++)
            for (size_t i = 0; i < n; i++)
                want += (k * P + tau[i]) / cases[c].scale < cases[c].T;
        for (int flow = 0; flow < 2; flow++) {
            char text[2048], req[1024];
            snprintf(req, sizeof req, "trace: \"%s\", rate_scale: %g, tile: %s", AZURE_CONV,
                     cases[c].scale, cases[c].tile ? "true" : "false");
            struct run r;
            run_text(scenario(text, sizeof text, cases[c].dur, 1, 2,
                              flow ? "      replicas: 16\n      fidelity: flow\n"
                                   : "      replicas: 16\n",
                              req),
                     &r);
            double got = num(&r, "inference.requests");
            print_message("azure conv, %s, rate_scale %g, tile %d, %s: %.0f requests, rows "
                          "give %.0f\n",
                          cases[c].dur, cases[c].scale, cases[c].tile, flow ? "flow" : "request",
                          got, want);
            assert_true(fabs(got - want) <= 0.5);
            run_free(&r);
        }
    }
    free(tau);
}

/* Weibull or gamma CV^2 from the shape k (the generator keeps the shape
 * and rescales the mean to 1 / rate). */
static double cv2_of(const char *dist, double k)
{
    if (strcmp(dist, "Weibull") == 0 && k > 0)
        return exp(lgamma(1 + 2 / k) - 2 * lgamma(1 + 1 / k)) - 1;
    if (strcmp(dist, "Gamma") == 0 && k > 0)
        return 1 / k;
    return 1;
}

/* Expected arrivals of a ServeGen folder in [0, T) of trace time, the
 * variance of that count for renewal processes (lambda t cv^2 per window)
 * and a bound on the start-up excess of ordinary renewal processes
 * ((cv^2 - 1) / 2 at most per client, taking the client's largest cv). */
static void servegen_expect(const char *dir, double T, double *mean, double *var, double *excess)
{
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *de;
    *mean = *var = *excess = 0;
    int files = 0;
    while ((de = readdir(dp))) {
        size_t len = strlen(de->d_name);
        if (len < 10 || strcmp(de->d_name + len - 10, "-trace.csv") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char line[512];
        double prev_t = -1, prev_rate = 0, prev_cv2 = 1, max_cv2 = 0;
        for (;;) {
            char *ok = fgets(line, sizeof line, f);
            double t = 0, rate = 0, shape = 0;
            char dist[32] = "";
            if (ok) {
                char *save = NULL, *tok = strtok_r(line, ",\n", &save);
                t = atof(tok);
                rate = atof(strtok_r(NULL, ",\n", &save));
                /* cv, dist, shape, scale; dist and shape may be empty */
                char *rest = save;
                char *c1 = strchr(rest, ',');
                if (c1) {
                    char *c2 = strchr(c1 + 1, ',');
                    if (c2) {
                        size_t n = (size_t)(c2 - (c1 + 1));
                        if (n < sizeof dist) {
                            memcpy(dist, c1 + 1, n);
                            dist[n] = '\0';
                        }
                        shape = atof(c2 + 1);
                    }
                }
            }
            if (prev_t >= 0) {
                double end = ok ? t : prev_t + 600;
                double ov = fmin(end, T) - fmax(prev_t, 0);
                if (ov > 0 && prev_rate > 0) {
                    *mean += prev_rate * ov;
                    *var += prev_rate * ov * prev_cv2;
                    max_cv2 = fmax(max_cv2, prev_cv2);
                }
            }
            if (!ok)
                break;
            prev_t = t;
            prev_rate = rate;
            prev_cv2 = cv2_of(dist, shape);
        }
        fclose(f);
        *excess += (max_cv2 + 1) / 2;
        files++;
    }
    closedir(dp);
    assert_true(files > 0);
}

/* ServeGen m-large (162 clients, about 205 requests/s in the first hour):
 * rate traces are renewal processes, so the count is random: the run's
 * count must be within 5 standard deviations plus the start-up excess of
 * the windows' expected count (about 2.5 % here; a lost client or a window
 * read at the wrong rate moves it more).  At flow fidelity arrivals are
 * the expectation itself (1e-6).  The run starts at midnight, where the
 * windows start. */
static void test_trace_servegen(void **state)
{
    (void)state;
    if (!shared_data_present(SERVEGEN_M_LARGE))
        skip();
    double mean, var, excess;
    servegen_expect(SERVEGEN_M_LARGE, 3600, &mean, &var, &excess);
    double tol = 5 * sqrt(var) + excess;
    char text[2048];
    const char *req = "trace: \"" SERVEGEN_M_LARGE "\", rate_scale: 1, tile: false, "
                      "prompt_tokens: \"128\", output_tokens: \"16\"";
    struct run r, f;
    run_text(scenario(text, sizeof text, "1h", 1, 4, "      replicas: 32\n", req), &r);
    run_text(
        scenario(text, sizeof text, "1h", 1, 4, "      replicas: 32\n      fidelity: flow\n", req),
        &f);
    double got = num(&r, "inference.requests"), got_f = num(&f, "inference.requests");
    print_message("servegen m-large, first hour: %.0f requests (request fidelity), %.1f (flow), "
                  "expected %.1f +- %.0f (sd %.0f)\n",
                  got, got_f, mean, tol, sqrt(var));
    assert_true(fabs(got - mean) <= tol);
    assert_true(rel(got_f, mean) <= 1e-6);
    assert_true(num(&r, "inference.completed") >= 0.99 * got);
    run_free(&r);
    run_free(&f);
}

/* ---- Allocation failures. ---- */

static int dir_entries(const char *path)
{
    DIR *dp = opendir(path);
    assert_non_null(dp);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(dp);
    return n;
}

/* Fails each allocation of a run in turn: the run returns SL_ENOMEM,
 * leaves no file in its folder and leaks nothing; with none failing it
 * succeeds. */
static void torture_run(const char *text)
{
    struct sl_scenario_set set;
    load_text(text, &set);
    int done = 0;
    long k;
    for (k = 0; !done && k < 100000; k++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/torture-%d-%ld", tmpdir, nruns, k);
        assert_int_equal(mkdir(dir, 0777), 0);
        struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
        struct sl_diag d;
        sl_diag_clear(&d);
        struct sl_summary s;
        struct torture t = {k, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        sl_summary_init(&s);
        int rc = sl_run_scenario(&set.items[0], &ro, &s, &d);
        sl_summary_release(&s);
        sl_alloc_set_hook(NULL, NULL);
        if (rc == SL_OK) {
            done = 1;
        } else {
            if (rc != SL_ENOMEM)
                fail_msg("allocation %ld failed: the run returned %s (%s), not ENOMEM", k,
                         sl_strerror(rc), d.msg);
            if (dir_entries(dir) != 0)
                fail_msg("allocation %ld failed: files left in %s", k, dir);
        }
        if (t.live != 0)
            fail_msg("allocation %ld failed: %ld block(s) leaked", k, t.live);
        test_rm_tree(dir);
    }
    nruns++;
    assert_true(done);
    print_message("allocation failures injected at each of %ld allocations of the run\n", k - 1);
    sl_scenario_set_release(&set);
}

/* Request fidelity with requests.csv, a burst past the request pool's
 * first 1,024 entries and KV preemptions (completion heaps grow); flow
 * fidelity in overload, whose first-come-first-served history grows for
 * the whole run. */
static void test_torture(void **state)
{
    (void)state;
    char text[2048], req[1024];
    const char *path = burst_trace("torture.csv", 1500, 300, 40);
    snprintf(req, sizeof req, "trace: \"%s\", tile: false", path);
    snprintf(text, sizeof text,
             "name: serve-torture\n"
             "run: {duration: 10min, sample: 10min}\n"
             "fleet: {servers: 1}\n"
             "output: {requests: true}\n"
             "workload:\n"
             "  inference:\n"
             "    - name: s\n"
             "      model: qwen2.5-7b\n"
             "      replicas: 2\n"
             "      weights: int8\n"
             "      kv: int8\n"
             "      max_batch: 512\n"
             "      mem_util: 20%%\n"
             "      chunked_prefill: true\n"
             "      requests: {%s}\n"
             "    - name: f\n"
             "      model: qwen2.5-7b\n"
             "      replicas: 1\n"
             "      fidelity: flow\n"
             "      requests: {rate: 60/s, " CHAT_LAWS "}\n",
             req);
    torture_run(text);
}

/* ---- Set-up. ---- */

TEST_TMPDIR_FIXTURES(tmpdir)

/* ---- Prefix cache. ---- */

/* The LRU against a plain reference (an array in recency order) over a
 * random stream of puts and lookups with keys that collide in the table. */
static void test_pcache_lru(void **state)
{
    (void)state;
    enum { CAP = 37, KEYS = 120, OPS = 200000 };
    struct sl_pcache c;
    assert_int_equal(sl_pcache_init(&c, CAP), SL_OK);
    uint64_t ref[CAP];
    int nref = 0;
    uint64_t x = 88172645463325252u;
    for (int op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t key = (x % KEYS) * 0x100000001u; /* same low bits for many keys */
        int pos = -1;
        for (int i = 0; i < nref; i++)
            if (ref[i] == key)
                pos = i;
        int is_put = (x >> 32) & 1;
        if (is_put) {
            sl_pcache_put(&c, key);
            if (pos < 0 && nref == CAP)
                pos = --nref, nref++; /* the least recent (last) is dropped */
            if (pos < 0)
                pos = nref++;
            memmove(ref + 1, ref, (size_t)pos * sizeof *ref);
            ref[0] = key;
        } else {
            assert_int_equal(sl_pcache_contains(&c, key), pos >= 0);
            assert_int_equal(sl_pcache_hit(&c, key), pos >= 0);
            if (pos >= 0) {
                memmove(ref + 1, ref, (size_t)pos * sizeof *ref);
                ref[0] = key;
            }
        }
        assert_int_equal((int)c.n, nref);
    }
    for (int i = 0; i < nref; i++)
        assert_true(sl_pcache_contains(&c, ref[i]));
    sl_pcache_release(&c);
}

/* Requests that share their first blocks: with a prefix cache every request
 * after the first finds the shared blocks (one replica, requests far
 * apart), so cached_tokens = (n - 1) * shared * block, and the TTFT of a
 * cached request is the prefill of its remaining tokens attending to the
 * cached ones (checked against the step time directly). */
static void test_prefix_cache(void **state)
{
    (void)state;
    enum { N = 20, BLOCK = 512, SHARED = 3, OWN = 2 };
    char path[512];
    snprintf(path, sizeof path, "%s/prefix.jsonl", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < N; i++)
        fprintf(f,
                "{\"timestamp\": %d, \"input_length\": %d, \"output_length\": 1, \"hash_ids\": "
                "[0, 1, 2, %d, %d]}\n",
                i * 60000, (SHARED + OWN) * BLOCK, 1000 + 2 * i, 1001 + 2 * i);
    fclose(f);
    char text[4096], req[700];
    snprintf(req, sizeof req, "trace: \"%s\", tile: false", path);
    struct run r;
    run_text(scenario(text, sizeof text, "30min", 1, 1, "      prefix_cache: 50 %\n", req), &r);
    assert_int_equal(integer(&r, "inference.completed"), N);
    assert_true(num(&r, "inference.cached_tokens") == (double)(N - 1) * SHARED * BLOCK);
    struct sl_perf p;
    service_perf(&r.set.items[0], &p);
    int64_t full = step_us(sl_perf_prefill_s(&p, 1, (SHARED + OWN) * BLOCK));
    double c = SHARED * BLOCK, t = OWN * BLOCK;
    struct sl_perf_batch b = {0, 0, (int64_t)t, t * c + 0.5 * t * (t + 1)};
    int64_t part = step_us(sl_perf_step_s(&p, &b));
    double mean = num(&r, "inference.ttft_mean_s");
    double expect = ((double)full + (N - 1) * (double)part) / N * 1e-6;
    print_message("prefix cache: TTFT mean %.6f s, expected %.6f s (full %lld us, cached %lld "
                  "us)\n",
                  mean, expect, (long long)full, (long long)part);
    assert_true(part < full);
    assert_true(fabs(mean - expect) <= 1e-6);
    run_free(&r);
    /* without the cache nothing is cached and every TTFT is a full prefill */
    run_text(scenario(text, sizeof text, "30min", 1, 1, "", req), &r);
    assert_true(num(&r, "inference.cached_tokens") == 0);
    assert_true(fabs(num(&r, "inference.ttft_mean_s") - (double)full * 1e-6) <= 1e-6);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md1_half),
        cmocka_unit_test(test_md1_high),
        cmocka_unit_test(test_light_load),
        cmocka_unit_test(test_light_load_chunked),
        cmocka_unit_test(test_batch_n),
        cmocka_unit_test(test_batch_prefill_only),
        cmocka_unit_test(test_max_queue),
        cmocka_unit_test(test_kv_pressure),
        cmocka_unit_test(test_kv_pressure_chunked),
        cmocka_unit_test(test_fidelity_poisson),
        cmocka_unit_test(test_fidelity_azure),
        cmocka_unit_test(test_trace_lengths_at_rate),
        cmocka_unit_test(test_pcache_lru),
        cmocka_unit_test(test_prefix_cache),
        cmocka_unit_test(test_overload_fifo),
        cmocka_unit_test(test_diurnal_arrivals),
        cmocka_unit_test(test_jsq_beats_round_robin),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_trace_azure),
        cmocka_unit_test(test_trace_tiling),
        cmocka_unit_test(test_trace_mooncake),
        cmocka_unit_test(test_trace_servegen),
        cmocka_unit_test(test_torture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
