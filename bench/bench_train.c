/*
 * Training workload benchmark (src/workload/training.c with the scheduler
 * src/workload/sched.c): whole runs, facility included.
 *
 * Prints:
 *   - the Alibaba GPU 2023 pod list (../shared/data/traces/alibaba-gpu-2023/
 *     openb_pod_list_default.csv, 8,152 pods over 149 days) replayed on its
 *     own node list (openb_node_list_gpu_node.csv: 1,213 nodes of 1, 2, 4
 *     and 8 GPUs, one pool per GPU count, T100 servers of that many cards),
 *     EASY backfill with first-fit placement, no fabric: CPU seconds of the
 *     whole run;
 *   - the default scenario's three-in-one variant for 30 days: inference
 *     services at flow fidelity beside the pre-training job and the
 *     generated fine-tuning and evaluation jobs on 10,240 cards (goal
 *     <= 10 s and <= 1 GB).
 * Figures only, no thresholds: CPU seconds (CLOCK_PROCESS_CPUTIME_ID), the
 * process's peak resident memory (getrusage), jobs, events.  Scenario
 * loading (trace parsing, job generation) is timed apart.
 *
 * Usage: bench_train [data-folder]   (default ../shared/data from the
 * current folder, as `make bench` runs it, else beside the source tree of
 * the executable)
 */
#define _XOPEN_SOURCE 700

#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/sim.h"
#include "suanli/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static double get(const struct sl_summary *s, const char *key)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        return 0;
    return e->type == SL_V_INT ? (double)e->i : e->x;
}

/* Loads (path or the default, with sets), runs item `which` into dir. */
static int bench(const char *label, const char *path, const char *const *sets, size_t nsets,
                 const char *variant, const char *dir)
{
    struct sl_load_opts o = {path, sets, nsets, NULL, variant};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    double t0 = cpu_s();
    if (sl_scenario_load(&o, &set, &d) != SL_OK) {
        char msg[1600];
        fprintf(stderr, "bench_train: %s\n", sl_diag_format(&d, msg, sizeof msg));
        return 1;
    }
    double load_s = cpu_s() - t0;
    struct sl_summary s;
    sl_summary_init(&s);
    struct sl_run_opts ro = {dir, NULL, NULL, 1, NULL};
    t0 = cpu_s();
    int rc = sl_run_scenario(&set.items[0], &ro, &s, &d);
    double dt = cpu_s() - t0;
    if (rc != SL_OK) {
        fprintf(stderr, "bench_train: %s\n", d.msg);
    } else {
        printf("%-44s load %6.3f s, run %7.3f s CPU, peak RSS %6.0f MB; %6.0f jobs submitted, "
               "%6.0f completed, utilisation %.3f, mean wait %.0f s; %.2f M events/s\n",
               label, load_s, dt, peak_mb(), get(&s, "training.jobs_submitted"),
               get(&s, "training.jobs_completed"), get(&s, "training.utilization"),
               get(&s, "training.mean_wait_s"), get(&s, "events") / dt / 1e6);
    }
    sl_summary_release(&s);
    sl_scenario_set_release(&set);
    return rc == SL_OK ? 0 : 1;
}

/* Writes the Alibaba replay scenario: one pool per GPU count of the node
 * list.  Returns 0, or 1 when the data is absent (a line says so). */
static int alibaba_scenario(const char *data, const char *path)
{
    char nodes[4096], pods[4096], line[512];
    snprintf(nodes, sizeof nodes, "%s/traces/alibaba-gpu-2023/openb_node_list_gpu_node.csv", data);
    snprintf(pods, sizeof pods, "%s/traces/alibaba-gpu-2023/openb_pod_list_default.csv", data);
    FILE *f = fopen(nodes, "r");
    if (!f) {
        printf("alibaba replay: skipped, %s not found\n", nodes);
        return 1;
    }
    long count[65] = {0};
    while (fgets(line, sizeof line, f)) {
        /* sn,cpu_milli,memory_mib,gpu,model */
        char *p = line;
        for (int k = 0; k < 3 && p; k++)
            p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
        if (!p)
            continue;
        char *end;
        long g = strtol(p, &end, 10);
        if (end != p && *end == ',' && g >= 1 && g <= 64)
            count[g]++;
    }
    fclose(f);
    FILE *o = fopen(path, "w");
    if (!o) {
        perror(path);
        return 1;
    }
    fprintf(o, "name: bench-alibaba\nrun: {duration: 149d, sample: 1h}\n");
    fprintf(o, "catalog:\n  servers:\n");
    for (int g = 1; g <= 64; g++)
        if (count[g])
            fprintf(o,
                    "    - {name: t100x%d, device: t100, cards: %d, cpu: loongson-3c6000-d, "
                    "psus: 2, psus_spare: 1}\n",
                    g, g);
    fprintf(o, "fleet:\n  fabric: {kind: none}\n  pools:\n");
    for (int g = 1; g <= 64; g++)
        if (count[g])
            fprintf(o, "    - {name: gpu%d, server: t100x%d, servers: %ld, use: training}\n", g, g,
                    count[g]);
    fprintf(o,
            "workload:\n  training:\n    queue: easy-backfill\n    placement: first-fit\n"
            "    trace: \"%s\"\n",
            pods);
    fclose(o);
    return 0;
}

int main(int argc, char **argv)
{
    char data[4096];
    struct stat st;
    if (argc > 1) {
        snprintf(data, sizeof data, "%s", argv[1]);
    } else {
        snprintf(data, sizeof data, "../shared/data");
        if (stat(data, &st) != 0) {
            /* argv[0] = <src>/build/bench/bench_train: <src>/../shared/data */
            const char *slash = strrchr(argv[0], '/');
            int len = slash ? (int)(slash - argv[0]) : 1;
            snprintf(data, sizeof data, "%.*s/../../../shared/data", len,
                     slash ? argv[0] : ".");
        }
    }
    char abs[4096];
    if (!realpath(data, abs))
        snprintf(abs, sizeof abs, "%s", data);
    char dir[] = "/tmp/bench_train_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int rc = 0;
    char path[512];
    snprintf(path, sizeof path, "%s/alibaba.yaml", dir);
    /* The large run first, so the peak memory printed after it is its own
     * (getrusage keeps the process's maximum). */
    static const char *const sets[] = {"run.duration=30d"};
    rc |= bench("default three-in-one, 30 d, 10,240 cards", NULL, sets, 1, "three-in-one", dir);
    if (alibaba_scenario(abs, path) == 0)
        rc |= bench("alibaba pod list on its node list, 149 d", path, NULL, 0, NULL, dir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_train: could not remove %s\n", dir);
    return rc;
}
