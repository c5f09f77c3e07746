/*
 * Speed of the trace readers (src/trace/trace.c): each real trace of the
 * shared data folder read `rounds` times; the first read (page faults of
 * fresh memory included, what a run pays) and the best, in ms, and rows
 * per second at the best.  Then the cost of the request stream
 * (src/workload/reqgen.c) in ns per request: generated gamma arrivals
 * with a diurnal rate and lognormal lengths, the Azure conv replay tiled,
 * and the ServeGen m-large folder (162 clients) tiled.  Times are the
 * process's CPU time (user and system, page faults included), so that
 * other work on a shared machine distorts them less than wall time.  A
 * missing file is reported and skipped.  Rates only; not a pass/fail test.
 *
 * Usage: bench_trace [shared-data-folder] [rounds]
 *        (default ../shared/data relative to the current folder, 20 rounds)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/trace.h"
#include "workload/reqgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Draws n requests from g; prints ns per request. */
static void stream(const char *what, struct sl_reqgen *g, long n)
{
    struct sl_request r;
    double t0 = now_s(), sum = 0;
    long k = 0;
    for (; k < n && sl_reqgen_next(g, &r); k++)
        sum += (double)r.prompt;
    double dt = now_s() - t0;
    printf("%-55s  %9ld reqs  %8.1f ns/request  (mean prompt %.0f)\n", what, k,
           dt / (double)k * 1e9, sum / (double)k);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data";
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    if (rounds < 1)
        rounds = 1;
    static const char *const files[] = {
        "traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv",
        "traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv",
        "traces/mooncake-fast25/conversation_trace.jsonl",
        "traces/servegen/language/m-large",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        double best = 1e30, first = 0;
        size_t rows = 0;
        for (int k = 0; k < rounds; k++) {
            struct sl_trace t;
            struct sl_diag d;
            sl_diag_clear(&d);
            double t0 = now_s();
            int rc = sl_trace_read(path, SL_TRACE_AUTO, 0, &t, &d);
            double dt = now_s() - t0;
            if (rc != SL_OK) {
                char buf[1600];
                printf("%-55s  skipped: %s\n", files[i], sl_diag_format(&d, buf, sizeof buf));
                break;
            }
            rows = t.n_req ? t.n_req : t.n_windows;
            sl_trace_release(&t);
            if (k == 0)
                first = dt;
            if (dt < best)
                best = dt;
        }
        if (rows)
            printf("%-55s  %9zu rows  first %8.3f ms  best %8.3f ms  %6.2f M rows/s\n", files[i],
                   rows, first * 1e3, best * 1e3, (double)rows / best / 1e6);
    }

    static char law_in[] = "lognormal(6.633, 0.985, max=14050)";
    static char law_out[] = "lognormal(5.019, 0.859, max=1000)";
    struct sl_request_cfg c = {0};
    c.rate_scale = 1;
    c.arrival = SL_ARRIVAL_GAMMA;
    c.rate = 100;
    c.cv = 1.5;
    c.diurnal = 0.3;
    c.tile = 1;
    c.prompt_tokens = law_in;
    c.output_tokens = law_out;
    struct sl_reqgen g;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_reqgen_init(&g, &c, NULL, "bench", 1, 0, &d) == SL_OK) {
        stream("generated: gamma cv 1.5, diurnal 0.3, lognormal laws", &g, 2000000);
        sl_reqgen_release(&g);
    }
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, files[i == 0 ? 0 : 3]);
        struct sl_trace t;
        sl_diag_clear(&d);
        if (sl_trace_read(path, SL_TRACE_AUTO, 0, &t, &d) != SL_OK)
            continue;
        struct sl_service_res res = {0};
        res.trace = &t;
        /* The replay takes the rows' lengths; the rate trace needs laws. */
        c.prompt_tokens = i == 0 ? NULL : law_in;
        c.output_tokens = i == 0 ? NULL : law_out;
        sl_diag_clear(&d);
        if (sl_reqgen_init(&g, &c, &res, "bench", 1, 0, &d) == SL_OK) {
            stream(i == 0 ? "replay: Azure conv, tiled" : "rate trace: ServeGen m-large, tiled", &g,
                   2000000);
            sl_reqgen_release(&g);
        }
        sl_trace_release(&t);
    }
    return 0;
}
