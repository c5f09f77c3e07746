/*
 * Tests of the training source (src/workload/training.c) through whole
 * runs: a small fleet scenario is loaded, its resolved job list is pointed
 * at jobs built here (restored before release), and the run's summary and
 * jobs.csv are read back.
 *
 * What they pin down:
 *   - A token job on an idle fleet ends at submit + tokens / tokens_per_s
 *     of the training model (sl_train_best_layout at the same spec), plus
 *     its checkpoint writes; its card-hours and board energy by hand.
 *   - A duration job keeps its duration at the compact placement and
 *     produces tokens_per_s * duration tokens; a job that fits no layout
 *     runs at the compute-bound rate and is counted.
 *   - Capacity queueing: two jobs that each need more than half the cards
 *     run one after the other; the second waits the first's run time.
 *   - jobs.csv: one row per job in submit order, with queued and
 *     unsubmitted jobs; the summary keys.
 *   - Determinism: the same scenario twice gives the same bytes.
 *   - Pools of one device are one cluster (issue 9): jobs naming no pool
 *     run on every training pool of its device (small jobs on the 2-card
 *     servers while the 8-card ones are full), a gang may span two pools,
 *     and no card of an inference pool or of another device is used.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_util.h"

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
#include "suanli/fabric.h"
#include "suanli/train.h"
#include "workload/training.h"
#include "world/world.h"

static char tmpdir[] = "/tmp/sl_test_training_XXXXXX";
static int nruns;

/* Four t1008 servers (8 T100 cards each), no inference: 32 training
 * cards.  The duration is in the text. */
static const char *scenario_text(const char *duration)
{
    static char buf[512];
    snprintf(buf, sizeof buf,
             "name: training-test\n"
             "run: {duration: %s, sample: 10min, seed: 7}\n"
             "fleet: {servers: 4, fabric: {kind: none}}\n",
             duration);
    return buf;
}

static const struct sl_llm_model *model(const char *name)
{
    const struct sl_llm_model *m = sl_llm_model_find(name);
    if (!m)
        fail_msg("no model %s", name);
    return m;
}

static struct sl_job_spec job(const char *name, const char *m, int64_t submit_s, int64_t cards,
                              double tokens, int64_t duration_s)
{
    struct sl_job_spec j;
    memset(&j, 0, sizeof j);
    j.name = name;
    j.tenant = "t";
    j.model = model(m);
    j.submit_us = submit_s * 1000000;
    j.cards = cards;
    j.tokens = tokens;
    j.duration_us = duration_s * 1000000;
    j.share = 1;
    return j;
}

/* Loads the scenario text, gives it jobs (borrowed) and runs it. */
static void run_jobs_text(const char *text, struct sl_job_spec *jobs, size_t n, struct run *r)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.yaml", nruns);
    struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &r->set, &d) != SL_OK)
        fail_msg("loading: %s", d.msg);
    struct sl_scenario *sc = &r->set.items[0];
    struct sl_job_spec *saved = sc->jobs;
    size_t nsaved = sc->njobs;
    sc->jobs = jobs;
    sc->njobs = n;
    snprintf(r->dir, sizeof r->dir, "%s/run%d", tmpdir, nruns++);
    if (mkdir(r->dir, 0777) != 0)
        fail_msg("cannot create %s", r->dir);
    struct sl_run_opts ro = {r->dir, NULL, NULL, 1, NULL};
    sl_summary_init(&r->sum);
    int rc = sl_run_scenario(sc, &ro, &r->sum, &d);
    sc->jobs = saved;
    sc->njobs = nsaved;
    if (rc != SL_OK)
        fail_msg("run: %s: %s", sl_strerror(rc), d.msg);
}

/* Loads the built-in scenario of the given duration and runs jobs. */
static void run_jobs(const char *duration, struct sl_job_spec *jobs, size_t n, struct run *r)
{
    run_jobs_text(scenario_text(duration), jobs, n, r);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* Field col (0-based) of row (1-based, after the header) of jobs.csv. */
static void field(const struct run *r, int row, int col, char *out, size_t size)
{
    char path[600];
    snprintf(path, sizeof path, "%s/jobs.csv", r->dir);
    const char *p = read_all(path, NULL);
    for (int k = 0; k < row; k++) {
        p = strchr(p, '\n');
        if (!p)
            fail_msg("jobs.csv has no row %d", row);
        p++;
    }
    for (int k = 0; k < col; k++) {
        p = strpbrk(p, ",\n");
        if (!p || *p == '\n')
            fail_msg("jobs.csv row %d has no column %d", row, col);
        p++;
    }
    size_t n = strcspn(p, ",\n");
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

static double fnum(const struct run *r, int row, int col)
{
    char b[64];
    field(r, row, col, b, sizeof b);
    if (!b[0])
        fail_msg("jobs.csv row %d column %d is empty", row, col);
    return atof(b);
}

enum {
    C_START = 6,
    C_END = 7,
    C_WAIT = 8,
    C_JCT = 9,
    C_TOKENS = 15,
    C_TPS = 16,
    C_MFU = 17,
    C_KWH = 18,
    C_STATE = 19
};

/* The training model's result for a job of the test fleet on one server
 * or more (no fabric: the device's default scale-out). */
static void expected(const struct run *r, const struct sl_job_spec *j, struct sl_train_result *res)
{
    const struct sl_scenario *sc = &r->set.items[0];
    const struct sl_training_cfg *tc = &sc->workload.training;
    struct sl_train_spec spec;
    sl_train_spec_default(&spec, j->model, sc->pools[0].device, j->cards);
    spec.phases = &sc->phase_model;
    if (tc->seq > 0)
        spec.seq = tc->seq;
    if (tc->global_batch_tokens > 0)
        spec.global_batch_tokens = tc->global_batch_tokens;
    spec.precision = tc->precision;
    spec.server_cards = sc->pools[0].server->cards;
    spec.scaleout_bw = sl_train_scaleout_default(sc->pools[0].device);
    struct sl_diag d;
    if (sl_train_best_layout(&spec, res, &d) != SL_OK)
        fail_msg("no layout: %s", d.msg);
}

/* One token job on an idle fleet, with and without checkpoints. */
static void test_token_job(void **state)
{
    (void)state;
    for (int ck = 0; ck < 2; ck++) {
        struct sl_job_spec jobs[1] = {job("pre", "llama3-8b", 600, 16, 2e9, 0)};
        if (ck) {
            jobs[0].checkpoint_us = 3600 * INT64_C(1000000);
            jobs[0].checkpoint_write_us = 120 * INT64_C(1000000);
        }
        struct run r;
        run_jobs("10d", jobs, 1, &r);
        struct sl_train_result res;
        expected(&r, &jobs[0], &res);
        double compute_s = jobs[0].tokens / res.tokens_per_s;
        double stall_s = ck ? floor(compute_s / 3600) * 120 : 0;
        assert_true(!ck || stall_s > 0);
        double run_s = compute_s + stall_s;
        assert_true(run_s > 3600 && run_s < 9 * 86400);
        assert_close(fnum(&r, 1, C_START), 600, 1e-12);
        assert_true(fabs(fnum(&r, 1, C_END) - (600 + run_s)) <= 2e-6);
        assert_close(fnum(&r, 1, C_JCT), run_s, 1e-9);
        assert_close(fnum(&r, 1, C_WAIT) + 1, 1, 1e-12);
        assert_close(fnum(&r, 1, C_TOKENS), 2e9, 1e-5);
        assert_close(fnum(&r, 1, C_TPS), res.tokens_per_s, 1e-5);
        assert_close(fnum(&r, 1, C_MFU), res.mfu, 1e-3);
        char st[32];
        field(&r, 1, C_STATE, st, sizeof st);
        assert_string_equal(st, "completed");
        /* Card-hours and board energy: 16 cards for the run, drawing the
         * model's mean power while computing and the communication power
         * during checkpoint writes (the fleet keeps the activity to float
         * precision). */
        assert_close(num(&r, "training.card_hours"), 16 * run_s / 3600, 1e-9);
        double e_j = 16 * (compute_s * res.power_mean_w + stall_s * res.power_comm_w);
        assert_close(num(&r, "training.energy_mwh"), e_j / 3.6e9, 1e-5);
        assert_close(fnum(&r, 1, C_KWH), e_j / 3.6e6, 1e-5);
        assert_close(num(&r, "training.utilization"), 16 * run_s / (32 * 10 * 86400.0), 1e-9);
        assert_close(num(&r, "training.tokens"), 2e9, 1e-9);
        assert_close(num(&r, "training.pflop"),
                     res.tflops_per_device * 1e12 * 16 * compute_s / 1e15, 1e-6);
        assert_int_equal((int64_t)num(&r, "training.jobs_completed"), 1);
        run_free(&r);
    }
}

/* A duration job keeps its duration; a job that fits no layout runs at the
 * compute-bound rate for its duration and is counted. */
static void test_duration_jobs(void **state)
{
    (void)state;
    struct sl_job_spec jobs[2] = {job("ft", "llama3-8b", 0, 16, 0, 7200),
                                  job("big", "llama3-405b", 60, 1, 0, 3600)};
    struct run r;
    run_jobs("1d", jobs, 2, &r);
    struct sl_train_result res;
    expected(&r, &jobs[0], &res);
    assert_true(fabs(fnum(&r, 1, C_END) - 7200) <= 2e-6);
    assert_close(fnum(&r, 1, C_TOKENS), res.tokens_per_s * 7200, 1e-5);
    assert_true(fabs(fnum(&r, 2, C_END) - 3660) <= 2e-6);
    assert_int_equal((int64_t)num(&r, "training.jobs_no_layout"), 1);
    const struct sl_device_model *dev = r.set.items[0].pools[0].device;
    struct sl_train_eff eff;
    sl_train_eff_default(dev, &eff);
    double total, act;
    sl_llm_params(jobs[1].model, &total, &act);
    assert_close(fnum(&r, 2, C_TPS), dev->fp16_flops * eff.compute / (6 * act), 1e-5);
    run_free(&r);
}

/* Two jobs of 24 of the 32 cards, submitted together: the second starts
 * when the first ends. */
static void test_queueing(void **state)
{
    (void)state;
    struct sl_job_spec jobs[2] = {job("a", "llama3-8b", 0, 24, 0, 5000),
                                  job("b", "llama3-8b", 0, 24, 0, 3000)};
    struct run r;
    run_jobs("1d", jobs, 2, &r);
    double end_a = fnum(&r, 1, C_END);
    assert_true(end_a >= 5000);
    assert_close(fnum(&r, 2, C_START), end_a, 1e-12);
    assert_close(fnum(&r, 2, C_WAIT), end_a, 1e-12);
    assert_close(num(&r, "training.mean_wait_s"), end_a / 2, 1e-9);
    assert_close(num(&r, "training.p95_wait_s"), end_a, 1e-9);
    run_free(&r);
}

/* jobs.csv: the header, one row per job in submit order, the states of a
 * job still queued, one still running and one submitted after the end. */
static void test_jobs_csv(void **state)
{
    (void)state;
    struct sl_job_spec jobs[4] = {
        job("long", "llama3-8b", 0, 32, 0, 86400), job("blocked", "llama3-8b", 0, 32, 0, 60),
        job("small, quoted", "llama3-8b", 10, 8, 0, 60), job("later", "llama3-8b", 7200, 8, 0, 60)};
    struct run r;
    run_jobs("1h", jobs, 4, &r);
    char path[600];
    snprintf(path, sizeof path, "%s/jobs.csv", r.dir);
    const char *text = read_all(path, NULL);
    assert_true(strncmp(text,
                        "name,tenant,model,pool,cards,submit_s,start_s,end_s,wait_s,jct_s,leaves,"
                        "servers,tp,pp,dp,tokens,tokens_per_s,mfu,energy_kwh,state\n",
                        125) == 0);
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 5);
    assert_non_null(strstr(text, "\n\"small, quoted\",t,llama3-8b,main,8,10.000000,,,,,"));
    char st[32];
    field(&r, 1, C_STATE, st, sizeof st);
    assert_string_equal(st, "running");
    field(&r, 2, C_STATE, st, sizeof st);
    assert_string_equal(st, "queued");
    field(&r, 4, C_STATE, st, sizeof st);
    assert_string_equal(st, "unsubmitted");
    field(&r, 1, 11, st, sizeof st);
    assert_string_equal(st, "4"); /* servers */
    assert_int_equal((int64_t)num(&r, "training.jobs_submitted"), 3);
    assert_int_equal((int64_t)num(&r, "training.jobs_started"), 1);
    assert_int_equal((int64_t)num(&r, "training.jobs_completed"), 0);
    assert_close(num(&r, "training.utilization"), 1, 1e-12);
    assert_close(num(&r, "training.card_hours"), 32, 1e-12);
    static const char *const keys[] = {"jobs_submitted", "jobs_started", "jobs_completed",
                                       "card_hours",     "utilization",  "mean_wait_s",
                                       "p95_wait_s",     "mean_jct_s",   "tokens",
                                       "pflop",          "mfu",          "energy_mwh"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char key[64];
        snprintf(key, sizeof key, "training.%s", keys[k]);
        (void)num(&r, key);
    }
    assert_true(num(&r, "training.tokens") > 0);
    /* The time series carries the busy cards (a mean over each row). */
    snprintf(path, sizeof path, "%s/timeseries.csv", r.dir);
    text = read_all(path, NULL);
    assert_non_null(strstr(text, "training_cards_busy"));
    run_free(&r);
}

static void test_determinism(void **state)
{
    (void)state;
    char a[1 << 16], b[1 << 16];
    size_t na = 0, nb = 0;
    for (int k = 0; k < 2; k++) {
        struct sl_job_spec jobs[3] = {job("a", "llama3-8b", 0, 24, 0, 5000),
                                      job("b", "qwen2.5-7b", 100, 8, 1e8, 0),
                                      job("c", "llama3-8b", 200, 16, 0, 3000)};
        struct run r;
        run_jobs("6h", jobs, 3, &r);
        char path[600];
        snprintf(path, sizeof path, "%s/jobs.csv", r.dir);
        size_t n;
        const char *t = read_all(path, &n);
        memcpy(k ? b : a, t, n + 1);
        *(k ? &nb : &na) = n;
        snprintf(path, sizeof path, "%s/timeseries.csv", r.dir);
        run_free(&r);
    }
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

/* Runs jobs at the world level on a fleet of `servers` under a fabric of
 * two servers per leaf at oversubscription 16 (one uplink a leaf) (built here), with the given
 * placement; fills the jobs' end times (s). */
static void run_fabric(int placement, struct sl_job_spec *jobs, size_t n, double *end_s,
                       uint32_t *leaves)
{
    char text[256];
    snprintf(text, sizeof text,
             "name: fabric-test\nrun: {duration: 2d, sample: 10min, seed: 1}\n"
             "fleet: {servers: 8}\n");
    char name[64];
    snprintf(name, sizeof name, "f%d.yaml", nruns++);
    struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    if (sl_scenario_load(&o, &set, &d) != SL_OK)
        fail_msg("loading: %s", d.msg);
    struct sl_scenario *sc = &set.items[0];
    struct sl_job_spec *saved = sc->jobs;
    size_t nsaved = sc->njobs;
    sc->jobs = jobs;
    sc->njobs = n;
    sc->workload.training.placement = placement;
    sc->workload.training.global_batch_tokens = 256 * 1024; /* communication weighs more */
    static const struct sl_source_ops *const sources[] = {&sl_training_source, NULL};
    static const struct sl_observer_ops *const observers[] = {NULL};
    struct sl_world w;
    if (sl_world_init(&w, sc, NULL, sources, observers, &d) != SL_OK)
        fail_msg("world: %s", d.msg);
    sl_fabric_release(&w.fabric);
    struct sl_fabric_spec fs;
    sl_fabric_spec_default(&fs);
    fs.kind = SL_FABRIC_FAT_TREE_2;
    fs.servers_per_leaf = 2;
    fs.oversubscription = 16;
    if (sl_fabric_build(&w.fabric, &fs, 8, &d) != SL_OK)
        fail_msg("fabric: %s", d.msg);
    w.has_fabric = 1;
    assert_int_equal(w.fabric.blocks, 4);
    assert_int_equal(sl_world_start(&w, &d), SL_OK);
    assert_int_equal(sl_world_run(&w), SL_OK);
    const struct sl_training *t = w.src[0].state;
    for (size_t j = 0; j < n; j++) {
        assert_int_equal(t->job[j].state, SL_TR_DONE);
        end_s[j] = (double)t->job[j].end_us * 1e-6;
        leaves[j] = t->job[j].leaves;
    }
    sl_fabric_release(&w.fabric);
    sl_world_release(&w);
    sc->jobs = saved;
    sc->njobs = nsaved;
    sl_scenario_set_release(&set);
}

/* A fragmented cluster: a one-server job holds the first server, then a
 * two-server token job arrives.  First-fit puts it on servers 1 and 2,
 * across two leaves whose uplinks are oversubscribed; topology placement
 * keeps it under one leaf, and its JCT is shorter. */
static void test_topology_placement(void **state)
{
    (void)state;
    double end_ff[2], end_topo[2];
    uint32_t lv_ff[2], lv_topo[2];
    for (int k = 0; k < 2; k++) {
        struct sl_job_spec jobs[2] = {job("hold", "llama3-8b", 0, 8, 0, 86400),
                                      job("gang", "llama3-8b", 1, 16, 2e9, 0)};
        run_fabric(k ? SL_PLACE_TOPOLOGY : SL_PLACE_FIRST_FIT, jobs, 2, k ? end_topo : end_ff,
                   k ? lv_topo : lv_ff);
    }
    assert_int_equal(lv_ff[1], 2);
    assert_int_equal(lv_topo[1], 1);
    /* Measured: 75,848 s against 80,994 s (6 % shorter). */
    assert_true(end_topo[1] - 1 < 0.97 * (end_ff[1] - 1));
    assert_close(end_ff[0], 86400, 1e-12);
    assert_close(end_topo[0], 86400, 1e-12);
}

/* Two training pools of T100 servers, 8-card (pool 0, 'big', 2 servers)
 * and 2-card (pool 1, 'small', 4 servers), no fabric. */
#define TWO_POOLS                                                                                  \
    "name: pools-test\nrun: {duration: 1d, sample: 10min, seed: 3}\n"                              \
    "catalog:\n  servers:\n"                                                                       \
    "    - {name: t1002, device: t100, cards: 2, cpu: loongson-3c6000-d}\n"                        \
    "fleet:\n  fabric: {kind: none}\n  pools:\n"                                                   \
    "    - {name: big, server: t1008, servers: 2, use: training}\n"                                \
    "    - {name: small, server: t1002, servers: 4, use: training}\n"

/* Jobs naming no pool (pool 0, 'big') run on both pools of the device:
 * with the 8-card servers full, the 2-card jobs and the 1-card job start on
 * the 2-card servers; an 8-card job waits for an 8-card server (it never
 * goes to the 2-card ones).  jobs.csv and the per-pool metrics show the
 * pool each ran on. */
static void test_pools_one_device(void **state)
{
    (void)state;
    struct sl_job_spec jobs[] = {
        job("p0", "llama3-8b", 0, 8, 0, 7200),   job("p1", "llama3-8b", 0, 8, 0, 7200),
        job("s0", "llama3-8b", 10, 2, 0, 3600),  job("s1", "llama3-8b", 10, 2, 0, 3600),
        job("s2", "llama3-8b", 10, 2, 0, 3600),  job("s3", "llama3-8b", 10, 2, 0, 3600),
        job("one", "llama3-8b", 10, 1, 0, 3600), job("p2", "llama3-8b", 20, 8, 0, 100),
    };
    size_t n = sizeof jobs / sizeof jobs[0];
    struct run r;
    run_jobs_text(TWO_POOLS, jobs, n, &r);
    static const char *const pool[] = {"big",   "big",   "small", "small",
                                       "small", "small", "small", "big"};
    static const double start[] = {0, 0, 10, 10, 10, 10, 3610, 7200};
    for (size_t j = 0; j < n; j++) {
        char b[64];
        field(&r, (int)j + 1, 3, b, sizeof b);
        assert_string_equal(b, pool[j]);
        assert_close(fnum(&r, (int)j + 1, C_START), start[j], 1e-12);
        field(&r, (int)j + 1, C_STATE, b, sizeof b);
        assert_string_equal(b, "completed");
        /* A duration job keeps its duration on either pool (no fabric). */
        assert_close(fnum(&r, (int)j + 1, C_END) - start[j], (double)jobs[j].duration_us * 1e-6,
                     1e-9);
    }
    assert_int_equal((int)num(&r, "training.jobs_completed"), 8);
    assert_int_equal((int)num(&r, "training.pools.big.jobs_started"), 3);
    assert_int_equal((int)num(&r, "training.pools.small.jobs_started"), 5);
    /* Card-hours: 8 x 2 h twice and 8 x 100 s on 'big'; 4 x 2 x 1 h and
     * 1 x 1 h on 'small'. */
    assert_close(num(&r, "training.pools.big.card_hours"), 32 + 800.0 / 3600, 1e-9);
    assert_close(num(&r, "training.pools.small.card_hours"), 9, 1e-9);
    run_free(&r);
}

/* Runs jobs at the world level on the scenario text and hands the started
 * world to check before releasing it. */
static void run_world(const char *text, struct sl_job_spec *jobs, size_t n,
                      void (*check)(const struct sl_world *w, const struct sl_training *t))
{
    char name[64];
    snprintf(name, sizeof name, "w%d.yaml", nruns++);
    struct sl_load_opts o = {test_write_file(tmpdir, name, text), NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    if (sl_scenario_load(&o, &set, &d) != SL_OK)
        fail_msg("loading: %s", d.msg);
    struct sl_scenario *sc = &set.items[0];
    struct sl_job_spec *saved = sc->jobs;
    size_t nsaved = sc->njobs;
    sc->jobs = jobs;
    sc->njobs = n;
    static const struct sl_source_ops *const sources[] = {&sl_training_source, NULL};
    static const struct sl_observer_ops *const observers[] = {NULL};
    struct sl_world w;
    if (sl_world_init(&w, sc, NULL, sources, observers, &d) != SL_OK)
        fail_msg("world: %s", d.msg);
    assert_int_equal(sl_world_start(&w, &d), SL_OK);
    assert_int_equal(sl_world_run(&w), SL_OK);
    check(&w, w.src[0].state);
    sl_world_release(&w);
    sc->jobs = saved;
    sc->njobs = nsaved;
    sl_scenario_set_release(&set);
}

/* Pools: 0 'big' (one 8-card T100 server, cards 0-7), 1 'small' (one
 * 2-card T100 server, cards 8-9), 2 'inf' (8 T100 cards reserved for
 * inference, 10-17), 3 'h' (one 8-card H100 server, 18-25). */
#define MIXED_POOLS                                                                                \
    "name: mixed-test\nrun: {duration: 1d, sample: 10min, seed: 3}\n"                              \
    "catalog:\n  servers:\n"                                                                       \
    "    - {name: t1002, device: t100, cards: 2, cpu: loongson-3c6000-d}\n"                        \
    "fleet:\n  fabric: {kind: none}\n  pools:\n"                                                   \
    "    - {name: big, server: t1008, servers: 1, use: training}\n"                                \
    "    - {name: small, server: t1002, servers: 1, use: training}\n"                              \
    "    - {name: inf, server: t1008, servers: 1, use: inference}\n"                               \
    "    - {name: h, server: hgx-h100, servers: 1, use: training}\n"

static void check_mixed(const struct sl_world *w, const struct sl_training *t)
{
    /* g (10 cards) spans 'big' and 'small'; hh runs on 'h'; x (8 cards,
     * T100) waits: neither the inference pool nor the H100 takes it. */
    assert_int_equal(t->job[0].state, SL_TR_RUNNING);
    assert_int_equal(t->job[0].servers, 2);
    assert_int_equal(t->job[0].pool, 0);
    assert_int_equal(t->job[1].state, SL_TR_RUNNING);
    assert_int_equal(t->job[1].pool, 3);
    assert_int_equal(t->job[2].state, SL_TR_QUEUED);
    assert_int_equal(w->fleet.ncards, 26);
    for (size_t c = 0; c < w->fleet.ncards; c++) {
        uint32_t want = c < 10 ? 0 : c < 18 ? UINT32_MAX : 1;
        if (t->job_of[c] != want)
            fail_msg("card %zu: job %u, want %u", c, t->job_of[c], want);
        assert_int_equal(w->fleet.card[c].owner, want == UINT32_MAX ? 0 : t->owner);
    }
    assert_int_equal(t->busy_cards, 18);
}

static void test_pools_devices(void **state)
{
    (void)state;
    struct sl_job_spec jobs[] = {job("g", "llama3-8b", 0, 10, 0, 2 * 86400),
                                 job("hh", "llama3-8b", 0, 8, 0, 2 * 86400),
                                 job("x", "llama3-8b", 5, 8, 0, 3600)};
    jobs[1].pool = 3;
    run_world(MIXED_POOLS, jobs, 3, check_mixed);
}

TEST_TMPDIR_FIXTURES(tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_job),        cmocka_unit_test(test_duration_jobs),
        cmocka_unit_test(test_queueing),         cmocka_unit_test(test_jobs_csv),
        cmocka_unit_test(test_determinism),      cmocka_unit_test(test_topology_placement),
        cmocka_unit_test(test_pools_one_device), cmocka_unit_test(test_pools_devices),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
