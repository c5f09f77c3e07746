/*
 * Speed of the trace readers (src/trace/trace.c): each real trace of the
 * shared data folder read `rounds` times; the first read (page faults of
 * fresh memory included, what a run pays) and the best, in ms, and rows
 * per second at the best.  A missing file is reported and skipped.  Rates only; not a
 * pass/fail test.
 *
 * Usage: bench_trace [shared-data-folder] [rounds]
 *        (default ../shared/data relative to the current folder, 20 rounds)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "suanli/diag.h"
#include "suanli/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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
    return 0;
}
