/*
 * Inference serving benchmark (src/workload/serve_request.c, serve_flow.c).
 *
 * Prints:
 *   - request fidelity: the Azure LLM conversation trace's hour (19,366
 *     requests, ../shared/data/traces/azure-llm-2023/
 *     AzureLLMInferenceTrace_conv.csv, replayed once) on 16 replicas of
 *     qwen2.5-7b (int8) on two t1008 servers: simulated seconds per CPU
 *     second (goal >= 10,000x), events and requests per CPU second;
 *   - flow fidelity: the 10,240-card center (1,280 t1008 servers) serving
 *     qwen2.5-7b on every card for 7 days, a diurnal Poisson stream: CPU
 *     seconds of the whole run, facility included (goal <= 2 s), at the
 *     default flow_step of 1 s and at 10 s and 1 min (one run each).
 * Figures only, no thresholds.  CPU time (CLOCK_PROCESS_CPUTIME_ID) rather
 * than wall time, so other processes on the machine disturb them less.
 * Scenario loading (and the trace's parsing) is outside the timed part.
 *
 * Usage: bench_serve [repeats [trace]]   (default 3 repeats of the request
 * case, the best is printed too; the trace is looked for at ../shared/data/... from the
 * current folder, as `make bench` runs it from the source tree, then
 * beside the source tree of the executable, build/bench/../../..)
 */
#define _XOPEN_SOURCE 700

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double get(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        return 0;
    return e->type == SL_V_INT ? (double)e->i : e->x;
}

/* Loads text, runs it into dir `repeats` times; prints each and the best. */
static int bench(const char *label, const char *text, const char *dir, int repeats)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fputs(text, f);
    fclose(f);
    struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &set, &d) != SL_OK) {
        char msg[1600];
        fprintf(stderr, "bench_serve: %s\n", sl_diag_format(&d, msg, sizeof msg));
        return 1;
    }
    double best = 0;
    for (int k = 0; k < repeats; k++) {
        struct sl_summary s;
        sl_summary_init(&s);
        struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
        double t0 = cpu_s();
        int rc = sl_run_scenario(&set.items[0], &ro, &s, &d);
        double dt = cpu_s() - t0;
        if (rc != SL_OK) {
            fprintf(stderr, "bench_serve: %s\n", d.msg);
            sl_summary_release(&s);
            sl_scenario_set_release(&set);
            return 1;
        }
        double sim = get(&s, "sim_seconds"), ev = get(&s, "events");
        double req = get(&s, "inference.requests"), done = get(&s, "inference.completed");
        printf("%-34s %8.3f s CPU  %9.0fx real time  %6.2f M events/s  %9.0f requests "
               "(%.0f completed)  %8.0f requests/s CPU\n",
               label, dt, sim / dt, ev / dt / 1e6, req, done, req / dt);
        if (k == 0 || dt < best)
            best = dt;
        sl_summary_release(&s);
    }
    if (repeats > 1)
        printf("%-34s %8.3f s CPU (best of %d)\n", label, best, repeats);
    sl_scenario_set_release(&set);
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 3;
    if (repeats < 1) {
        fprintf(stderr, "usage: bench_serve [repeats]\n");
        return 2;
    }
    char dir[] = "/tmp/bench_serve_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const char *rel = "../shared/data/traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv";
    char trace[2048];
    struct stat st;
    if (argc > 2) {
        snprintf(trace, sizeof trace, "%s", argv[2]);
    } else {
        snprintf(trace, sizeof trace, "%s", rel);
        if (stat(trace, &st) != 0) {
            /* argv[0] = <src>/build/bench/bench_serve: <src>/../shared/... */
            const char *slash = strrchr(argv[0], '/');
            int len = slash ? (int)(slash - argv[0]) : 1;
            snprintf(trace, sizeof trace, "%.*s/../../%s", len, slash ? argv[0] : ".", rel);
        }
    }
    int rc = 0;
    char text[8192], abs_trace[4096];
    if (stat(trace, &st) != 0 || !realpath(trace, abs_trace)) {
        printf("request fidelity: skipped, %s not found\n", trace);
    } else {
        snprintf(text, sizeof text,
                 "name: bench-azure-conv\n"
                 "run: {duration: 1h, sample: 1min}\n"
                 "fleet: {servers: 2}\n"
                 "workload:\n"
                 "  inference:\n"
                 "    - name: conv\n"
                 "      model: qwen2.5-7b\n"
                 "      tp: 1\n"
                 "      replicas: 16\n"
                 "      weights: int8\n"
                 "      kv: int8\n"
                 "      requests: {trace: \"%s\", rate_scale: 1, tile: false}\n",
                 abs_trace);
        rc = bench("request: Azure conv hour, 16 rep.", text, dir, repeats);
    }
    /* The flow step is the cost: one fleet update of the 10,240 cards per
     * step.  The default (1 s), then 10 s and 1 min for the scaling. */
    static const char *const steps[] = {"1s", "10s", "1min"};
    for (size_t k = 0; rc == 0 && k < sizeof steps / sizeof steps[0]; k++) {
        char label[64];
        snprintf(text, sizeof text,
                 "name: bench-flow-10k\n"
                 "run: {duration: 7d, sample: 1min}\n"
                 "fleet: {servers: 1280}\n"
                 "workload:\n"
                 "  inference:\n"
                 "    - name: chat\n"
                 "      model: qwen2.5-7b\n"
                 "      tp: 1\n"
                 "      replicas: 10240\n"
                 "      weights: int8\n"
                 "      kv: int8\n"
                 "      fidelity: flow\n"
                 "      flow_step: %s\n"
                 "      requests: {rate: 8000/s, diurnal: 40%%, prompt_tokens: "
                 "\"lognormal(6.6, 1.0, max=8000)\", output_tokens: \"lognormal(5.0, 0.8, "
                 "max=2000)\"}\n",
                 steps[k]);
        snprintf(label, sizeof label, "flow: 10,240 cards, 7 days, step %s", steps[k]);
        rc = bench(label, text, dir, 1);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_serve: could not remove %s\n", dir);
    return rc;
}
