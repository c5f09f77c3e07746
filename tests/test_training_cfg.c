/*
 * Tests of `workload.training`: the job-mix generator (src/trace/jobmix.c)
 * and the loader's resolution of the jobs list, a job trace and the
 * generated mix into sc->jobs (src/config/scenario_training.c).  Trace
 * rows here are invented.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/jobs.h"
#include "suanli/llm.h"
#include "suanli/scenario.h"

#define S   1000000LL
#define MIN (60 * S)
#define H   (3600 * S)

static char tmpdir[] = "/tmp/sl_test_training_cfg_XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    return test_write_file(tmpdir, name, text);
}

static int load_at(const char *path, const char *seed, struct sl_scenario_set *out,
                   struct sl_diag *d)
{
    struct sl_load_opts o = {path, NULL, 0, seed, NULL};
    sl_diag_clear(d);
    return sl_scenario_load(&o, out, d);
}

static int load_text(const char *text, struct sl_scenario_set *out, struct sl_diag *d)
{
    return load_at(write_file("s.yaml", text), NULL, out, d);
}

/* Loading text fails at file (NULL: the scenario) line col (0: any) with a
 * message containing want. */
static void load_bad(const char *text, const char *file, int line, int col, const char *want)
{
    struct sl_scenario_set set;
    struct sl_diag d;
    int rc = load_text(text, &set, &d);
    if (rc != SL_EINVAL)
        fail_msg("expected SL_EINVAL containing \"%s\", got %d (%s)", want, rc, d.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file ? file : "s.yaml");
    if (strcmp(d.file, path) != 0 || d.line != line || (col && d.col != col) ||
        !strstr(d.msg, want))
        fail_msg("got %s:%d:%d: %s\nwant %s:%d:%d: ...%s...", d.file, d.line, d.col, d.msg, path,
                 line, col, want);
}

#define FLEET "run: {duration: 2d}\nfleet: {servers: 64}\n"

/* ---- the generator ----------------------------------------------------- */

/* Acme Seren's fit (docs/model.md, "The LLM job mix"). */
static struct sl_jobmix_params seren(void)
{
    return (struct sl_jobmix_params){
        .jobs_per_day = 1000,
        .size_decay = 0.986,
        .single_card = 0.5,
        .max_cards = 256,
        .duration_mu = 4.528,
        .duration_per_log2 = 0.2788,
        .duration_sigma = 2.165,
        .duration_max_us = 14 * 24 * H,
        .pretrain_jobs = 3,
        .pretrain_cards = 1024,
        .pretrain_tokens = 1e11,
    };
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median of the run times of the small jobs of 2^k cards. */
static double median_s(const struct sl_jobmix_row *v, size_t n, int64_t cards)
{
    int64_t *t = malloc(n * sizeof *t);
    assert_non_null(t);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].tokens == 0 && v[i].cards == cards)
            t[m++] = v[i].duration_us;
    assert_true(m > 100);
    qsort(t, m, sizeof *t, cmp_i64);
    double med = (double)t[m / 2] / 1e6;
    free(t);
    return med;
}

static void test_generator_statistics(void **state)
{
    (void)state;
    struct sl_jobmix_params p = seren();
    struct sl_jobmix_row *v;
    size_t n;
    struct sl_diag d;
    sl_diag_clear(&d);
    int64_t span = 200LL * 24 * H;
    assert_int_equal(sl_jobmix_generate(&p, 7, span, &v, &n, &d), SL_OK);
    /* The pre-training jobs first, at 0, with their budget. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(v[i].submit_us, 0);
        assert_int_equal(v[i].cards, 1024);
        assert_true(v[i].tokens == 1e11);
        assert_int_equal(v[i].duration_us, 0);
    }
    /* Poisson count: 200,000 expected, standard deviation 447. */
    size_t small = n - 3;
    assert_true(fabs((double)small - 200000) < 5 * 447);
    double sum_cards = 0, ones = 0;
    int64_t last = 0;
    for (size_t i = 3; i < n; i++) {
        assert_true(v[i].submit_us >= last && v[i].submit_us < span);
        last = v[i].submit_us;
        assert_true(v[i].tokens == 0);
        assert_true(v[i].duration_us >= S && v[i].duration_us <= p.duration_max_us);
        assert_true(v[i].cards >= 1 && v[i].cards <= 256);
        assert_int_equal(v[i].cards & (v[i].cards - 1), 0); /* a power of two */
        sum_cards += (double)v[i].cards;
        ones += v[i].cards == 1;
    }
    double mean = 0, sd2 = 0;
    for (int k = 0; k <= 8; k++) {
        double pk = sl_jobmix_size_prob(&p, k);
        mean += pk * exp2(k);
        sd2 += pk * exp2(2 * k);
    }
    assert_true(sl_jobmix_size_prob(&p, 9) == 0);
    double sd_mean = sqrt((sd2 - mean * mean) / (double)small);
    /* Single card: exactly p1; the mean within 5 standard errors. */
    assert_true(fabs(ones / (double)small - 0.5) < 5 * sqrt(0.25 / (double)small));
    assert_true(fabs(sum_cards / (double)small - mean) < 5 * sd_mean);
    /* The mean of the law truncated at 256 cards is Seren's 5.68 less the
     * 0.16 % of jobs of 512-1,024 cards. */
    assert_true(mean > 3.5 && mean < 5.68);
    /* Medians: exp(mu) at 1 card, exp(mu + 3 b) at 8 (the sample median's
     * standard error in ln is 1.2533 sigma / sqrt(m): 0.9 % at 1 card). */
    assert_close(median_s(v, n, 1), exp(4.528), 0.04);
    assert_close(median_s(v, n, 8), exp(4.528 + 3 * 0.2788), 0.10);
    sl_free(v);
}

static void test_generator_deterministic(void **state)
{
    (void)state;
    struct sl_jobmix_params p = seren();
    struct sl_jobmix_row *a, *b, *c;
    size_t na, nb, nc;
    struct sl_diag d;
    sl_diag_clear(&d);
    int64_t span = 10LL * 24 * H;
    assert_int_equal(sl_jobmix_generate(&p, 1, span, &a, &na, &d), SL_OK);
    assert_int_equal(sl_jobmix_generate(&p, 1, span, &b, &nb, &d), SL_OK);
    assert_int_equal(sl_jobmix_generate(&p, 2, span, &c, &nc, &d), SL_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof *a);
    assert_true(na != nc || memcmp(a, c, na * sizeof *a) != 0);
    /* Common random numbers: at twice the rate, the k-th small job has the
     * same size and run time, and arrives at about half the time. */
    p.jobs_per_day *= 2;
    sl_free(c);
    assert_int_equal(sl_jobmix_generate(&p, 1, span, &c, &nc, &d), SL_OK);
    assert_true(nc > na);
    for (size_t i = 3; i < na; i++) {
        assert_int_equal(c[i].cards, a[i].cards);
        assert_int_equal(c[i].duration_us, a[i].duration_us);
        assert_true(llabs(2 * c[i].submit_us - a[i].submit_us) <= 2);
    }
    sl_free(a);
    sl_free(b);
    sl_free(c);
}

static void test_generator_bad_params(void **state)
{
    (void)state;
    struct sl_jobmix_row *v;
    size_t n;
    struct sl_diag d;
    struct sl_jobmix_params p = seren();
    p.single_card = 1.5;
    sl_diag_clear(&d);
    assert_int_equal(sl_jobmix_generate(&p, 1, H, &v, &n, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "single_card"));
    p = seren();
    p.jobs_per_day = 1e12;
    sl_diag_clear(&d);
    assert_int_equal(sl_jobmix_generate(&p, 1, 24 * H, &v, &n, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "limit"));
    /* One card at most: every small job has one card. */
    p = seren();
    p.max_cards = 1;
    p.single_card = 0.2;
    p.pretrain_jobs = 0;
    sl_diag_clear(&d);
    assert_int_equal(sl_jobmix_generate(&p, 1, 24 * H, &v, &n, &d), SL_OK);
    assert_true(n > 800);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i].cards, 1);
    sl_free(v);
}

/* ---- resolution -------------------------------------------------------- */

static void test_resolve_list_and_trace(void **state)
{
    (void)state;
    write_file("jobs.csv", "job_id,submit_s,cards,duration_s,model,priority\n"
                           "t1,0,8,3600,llama3-70b,5\n"
                           "t2,100,0,60,,0\n"
                           "t3,50,1,120,,1\n"
                           "t4,1800,16,0,,2\n");
    const char *text = FLEET "workload:\n"
                             "  training:\n"
                             "    trace: jobs.csv\n"
                             "    time_scale: 2\n"
                             "    checkpoint: 1h\n"
                             "    jobs:\n"
                             "      - {name: a, cards: 16, duration: 5h, submit: 1h}\n"
                             "      - {name: b, model: llama3-70b, cards: 128, tokens: 1e10,\n"
                             "         checkpoint: 2h, checkpoint_write: 1min, tenant: lab}\n"
                             "      - {name: c, cards: 8, tp: 2, pp: 1, dp: 4, duration: 2h,\n"
                             "         submit: 1h, priority: 3}\n";
    struct sl_scenario_set set;
    struct sl_diag d;
    if (load_text(text, &set, &d) != SL_OK)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    const struct sl_scenario *sc = &set.items[0];
    /* 3 listed + 3 trace rows (t2 is CPU-only), by submit time, stably. */
    assert_int_equal(sc->njobs, 6);
    assert_int_equal(sc->jobs_skipped_cpu, 1);
    assert_int_equal(sc->jobs_skipped_unfinished, 0);
    const char *order[] = {"b", "t1", "t3", "a", "c", "t4"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(sc->jobs[i].name, order[i]);
    const struct sl_job_spec *j = &sc->jobs[0]; /* b */
    assert_string_equal(j->model->name, "llama3-70b");
    assert_true(j->tokens == 1e10);
    assert_int_equal(j->duration_us, 0);
    assert_int_equal(j->checkpoint_us, 2 * H);
    assert_int_equal(j->checkpoint_write_us, MIN);
    assert_string_equal(j->tenant, "lab");
    assert_int_equal(j->pool, 0);
    assert_int_equal(j->line, 10);
    assert_non_null(strstr(j->file, "s.yaml"));
    j = &sc->jobs[1]; /* t1: the trace's model */
    assert_string_equal(j->model->name, "llama3-70b");
    assert_int_equal(j->cards, 8);
    assert_int_equal(j->duration_us, H);
    assert_int_equal(j->priority, 5);
    assert_int_equal(j->checkpoint_us, H);
    /* The default write, `auto`: 70.6 G parameters x 14 B from its one
     * server at 1 GB/s, plus 5 s. */
    double params, active;
    sl_llm_params(j->model, &params, &active);
    assert_int_equal(j->checkpoint_write_us, llround((params * 14 / 1e9 + 5) * 1e6));
    assert_int_equal(j->line, 2);
    assert_non_null(strstr(j->file, "jobs.csv"));
    j = &sc->jobs[2]; /* t3: submit 50 s x 2, the section's model */
    assert_int_equal(j->submit_us, 100 * S);
    assert_string_equal(j->model->name, "llama3-8b");
    assert_true(j->share == 1);
    j = &sc->jobs[3]; /* a: defaults */
    assert_int_equal(j->submit_us, H);
    assert_string_equal(j->model->name, "llama3-8b");
    /* 16 cards: two servers share the write. */
    sl_llm_params(j->model, &params, &active);
    assert_int_equal(j->checkpoint_write_us, llround((params * 14 / 2e9 + 5) * 1e6));
    assert_null(j->tenant);
    assert_int_equal(j->tp, 0);
    j = &sc->jobs[4]; /* c: its layout */
    assert_int_equal(j->tp * j->pp * j->dp, 8);
    assert_int_equal(j->priority, 3);
    j = &sc->jobs[5]; /* t4: 1,800 s x 2; run time 0 becomes 1 us */
    assert_int_equal(j->submit_us, H);
    assert_int_equal(j->duration_us, 1);
    assert_string_equal(j->model->name, "llama3-8b");
    sl_scenario_set_release(&set);
}

static void test_resolve_alibaba(void **state)
{
    (void)state;
    write_file("pods.csv",
               "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
               "deletion_time,scheduled_time\n"
               "p0,1000,100,1,460,V100M16,BE,Succeeded,10,200,20\n"
               "p1,1000,100,2,1000,,LS,Pending,30,,\n"
               "p2,1000,100,0,0,,LS,Succeeded,40,90,50\n"
               "p3,1000,100,8,1000,,LS,Succeeded,50,1050,60\n");
    struct sl_scenario_set set;
    struct sl_diag d;
    if (load_text(FLEET "workload: {training: {trace: pods.csv}}\n", &set, &d) != SL_OK)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    const struct sl_scenario *sc = &set.items[0];
    assert_int_equal(sc->njobs, 2);
    assert_int_equal(sc->jobs_skipped_cpu, 1);
    assert_int_equal(sc->jobs_skipped_unfinished, 1);
    assert_string_equal(sc->jobs[0].name, "p0");
    assert_true(fabs(sc->jobs[0].share - 0.46) < 1e-12);
    assert_string_equal(sc->jobs[0].tenant, "BE");
    assert_int_equal(sc->jobs[0].duration_us, 180 * S);
    /* A GPU type (gpu_spec) is no model: the section's. */
    assert_string_equal(sc->jobs[0].model->name, "llama3-8b");
    assert_string_equal(sc->jobs[1].name, "p3");
    assert_int_equal(sc->jobs[1].submit_us, 40 * S);
    assert_true(sc->jobs[1].share == 1);
    sl_scenario_set_release(&set);
}

static void test_resolve_generated(void **state)
{
    (void)state;
    const char *text =
        FLEET "workload:\n"
              "  training:\n"
              "    generate: {enabled: true, pretrain_jobs: 2, pretrain_cards: 256,\n"
              "               max_cards: 64}\n";
    const char *path = write_file("g.yaml", text);
    struct sl_scenario_set a, b, c;
    struct sl_diag d;
    if (load_at(path, NULL, &a, &d) != SL_OK)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    assert_int_equal(load_at(path, NULL, &b, &d), SL_OK);
    assert_int_equal(load_at(path, "99", &c, &d), SL_OK);
    const struct sl_scenario *sc = &a.items[0];
    /* jobs_per_day scaled to the pool: 1.577 per card per day. */
    double jpd = 3608.0 / 2288.0 * 512;
    assert_close(sc->workload.training.generate.jobs_per_day, jpd, 1e-12);
    assert_true(fabs((double)sc->njobs - 2 - 2 * jpd) < 5 * sqrt(2 * jpd));
    assert_string_equal(sc->jobs[0].name, "pretrain-0");
    assert_string_equal(sc->jobs[1].name, "pretrain-1");
    assert_string_equal(sc->jobs[0].model->name, "llama3-70b");
    assert_true(sc->jobs[0].tokens == 1e11);
    assert_int_equal(sc->jobs[0].cards, 256);
    assert_string_equal(sc->jobs[2].name, "gen-0");
    assert_string_equal(sc->jobs[2].model->name, "llama3-8b");
    assert_null(sc->jobs[2].file);
    for (size_t i = 1; i < sc->njobs; i++) {
        assert_true(sc->jobs[i].submit_us >= sc->jobs[i - 1].submit_us);
        assert_true((sc->jobs[i].duration_us > 0) != (sc->jobs[i].tokens > 0));
        assert_true(sc->jobs[i].cards <= 256);
        assert_int_equal(sc->jobs[i].checkpoint_us, SL_CKPT_AUTO); /* Young/Daly at run time */
        assert_string_equal(sc->jobs[i].tenant, sc->jobs[i].tokens > 0   ? "pretrain"
                                                : sc->jobs[i].cards == 1 ? "eval"
                                                                         : "finetune");
    }
    /* Same seed, same jobs; another seed, other jobs. */
    assert_int_equal(b.items[0].njobs, sc->njobs);
    int differ = c.items[0].njobs != sc->njobs;
    for (size_t i = 0; i < sc->njobs; i++) {
        const struct sl_job_spec *x = &sc->jobs[i], *y = &b.items[0].jobs[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->submit_us, y->submit_us);
        assert_int_equal(x->cards, y->cards);
        assert_int_equal(x->duration_us, y->duration_us);
        if (!differ &&
            (c.items[0].jobs[i].submit_us != x->submit_us || c.items[0].jobs[i].cards != x->cards))
            differ = 1;
    }
    assert_true(differ);

    /* `suanli check`'s resolved YAML loads back to the same jobs. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sl_scenario_emit(sc, f);
    fclose(f);
    struct sl_scenario_set r;
    if (load_at(write_file("r.yaml", buf), NULL, &r, &d) != SL_OK)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    char *buf2 = NULL;
    size_t len2 = 0;
    f = open_memstream(&buf2, &len2);
    sl_scenario_emit(&r.items[0], f);
    fclose(f);
    assert_string_equal(buf, buf2);
    assert_int_equal(r.items[0].njobs, sc->njobs);
    for (size_t i = 0; i < sc->njobs; i++) {
        assert_int_equal(r.items[0].jobs[i].submit_us, sc->jobs[i].submit_us);
        assert_int_equal(r.items[0].jobs[i].duration_us, sc->jobs[i].duration_us);
    }
    free(buf);
    free(buf2);
    sl_scenario_set_release(&r);
    sl_scenario_set_release(&a);
    sl_scenario_set_release(&b);
    sl_scenario_set_release(&c);
}

static void test_no_training_no_jobs(void **state)
{
    (void)state;
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text(FLEET, &set, &d), SL_OK);
    assert_int_equal(set.items[0].njobs, 0);
    assert_null(set.items[0].jobs);
    sl_scenario_set_release(&set);
}

#define JOBS FLEET "workload:\n  training:\n    jobs:\n"

static void test_errors(void **state)
{
    (void)state;
    /* A job larger than the pool (64 servers x 8 = 512 cards). */
    load_bad(JOBS "      - name: big\n        cards: 1024\n        duration: 1h\n", NULL, 7, 16,
             "job 'big' wants 1024 cards; pool 'main' and the other pools of device 't100' that "
             "take training have 512");
    /* A layout that does not make the cards. */
    load_bad(JOBS "      - {name: l, cards: 8, duration: 1h, tp: 2, pp: 1, dp: 2}\n", NULL, 6, 0,
             "is 4 cards, but the job has 8");
    load_bad(JOBS "      - name: l\n        cards: 8\n        duration: 1h\n        pp: 3\n", NULL,
             9, 13, "pp 3 does not divide its 8 cards");
    /* A given layout that does not fit in memory, even for a duration. */
    load_bad(JOBS "      - name: m\n        model: llama3-70b\n        cards: 8\n"
                  "        duration: 1h\n        tp: 8\n        pp: 1\n        dp: 1\n",
             NULL, 10, 13, "does not fit");
    /* A token budget with no layout that fits. */
    load_bad(JOBS "      - name: m\n        model: llama3-70b\n        cards: 8\n"
                  "        tokens: 1e9\n",
             NULL, 8, 16, "no layout");
    /* ... while a duration job without a layout is accepted. */
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(
        load_text(JOBS "      - {name: m, model: llama3-70b, cards: 8, duration: 1h}\n", &set, &d),
        SL_OK);
    assert_int_equal(set.items[0].njobs, 1);
    sl_scenario_set_release(&set);
    /* Unknown model, with a suggestion. */
    load_bad(JOBS "      - name: u\n        model: llama3-8c\n        cards: 8\n"
                  "        duration: 1h\n",
             NULL, 7, 16, "did you mean 'llama3-8b'");
    load_bad(FLEET "workload: {training: {model: llama3-7b, jobs: [{name: u, cards: 8, duration: "
                   "1h}]}}\n",
             NULL, 3, 30, "did you mean");
    /* Neither tokens nor duration; both. */
    load_bad(JOBS "      - {name: n, cards: 8}\n", NULL, 6, 9, "give `tokens`");
    load_bad(JOBS "      - name: n\n        cards: 8\n        duration: 1h\n        tokens: 1e9\n",
             NULL, 9, 17, "not both");
    /* Duplicate names; unknown pool. */
    load_bad(JOBS "      - {name: x, cards: 8, duration: 1h}\n"
                  "      - {name: x, cards: 8, duration: 1h}\n",
             NULL, 7, 16, "listed twice");
    load_bad(JOBS "      - {name: x, pool: mainn, cards: 8, duration: 1h}\n", NULL, 6, 25,
             "did you mean 'main'");
    /* int8 is no training precision. */
    load_bad(FLEET "workload: {training: {precision: int8}}\n", NULL, 3, 34, "bf16 or fp8");
    /* Generated jobs larger than the pool. */
    load_bad(FLEET "workload:\n  training:\n    generate: {enabled: true, pretrain_cards: 1024}\n",
             NULL, 5, 0,
             "pre-training jobs want 1024 cards; pool 'main' and the other pools of "
             "device 't100' that take training have 512");
    load_bad(FLEET "workload:\n  training:\n    generate:\n      enabled: true\n"
                   "      max_cards: 1024\n",
             NULL, 7, 18, "lower max_cards");
}

/* Issue 9: a job may be larger than the pool it names, up to the training
 * cards of all the pools of that device (its scheduler partition); pools
 * of another device or reserved for inference do not count. */
#define POOLS                                                                                      \
    "run: {duration: 2d}\n"                                                                        \
    "catalog:\n  servers:\n"                                                                       \
    "    - {name: t1002, device: t100, cards: 2, cpu: loongson-3c6000-d}\n"                        \
    "fleet:\n  pools:\n"                                                                           \
    "    - {name: small, server: t1002, servers: 4, use: training}\n"                              \
    "    - {name: big, server: t1008, servers: 2, use: both}\n"                                    \
    "    - {name: inf, server: t1008, servers: 2, use: inference}\n"                               \
    "    - {name: other, server: hgx-h100, servers: 4, use: training}\n"                           \
    "workload:\n  training:\n    jobs:\n"

static void test_partition_cards(void **state)
{
    (void)state;
    struct sl_scenario_set set;
    struct sl_diag d;
    /* 24 cards on pool 'small' (8 cards): the t100 partition has 8 + 16. */
    assert_int_equal(load_text(POOLS "      - {name: a, pool: small, cards: 24, duration: 1h}\n"
                                     "      - {name: b, cards: 24, duration: 1h}\n",
                               &set, &d),
                     SL_OK);
    assert_int_equal(set.items[0].njobs, 2);
    assert_int_equal(set.items[0].jobs[0].pool, 0);
    assert_int_equal(set.items[0].jobs[1].pool, 0);
    sl_scenario_set_release(&set);
    /* 25 cards: more than the partition (the inference pool's 16 t100
     * cards and the h100 pool's 32 do not count). */
    load_bad(POOLS "      - {name: a, pool: small, cards: 25, duration: 1h}\n", NULL, 14, 39,
             "job 'a' wants 25 cards; pool 'small' and the other pools of device 't100' that take "
             "training have 24");
    load_bad(POOLS "      - {name: a, pool: other, cards: 33, duration: 1h}\n", NULL, 14, 39,
             "pool 'other' and the other pools of device 'h100-sxm' that take training have 32");
}

static void test_trace_errors(void **state)
{
    (void)state;
    const char *head = "job_id,submit_s,cards,duration_s,model,priority\n";
    char buf[512];
    /* A malformed row: the trace's file:line:column. */
    snprintf(buf, sizeof buf, "%sj1,0,8,60,,0\nj2,abc,8,60,,0\n", head);
    write_file("bad.csv", buf);
    load_bad(FLEET "workload: {training: {trace: bad.csv}}\n", "bad.csv", 3, 4, "submit_s");
    /* ... skipped and counted with lenient. */
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(
        load_text(FLEET "workload: {training: {trace: bad.csv, lenient: true}}\n", &set, &d),
        SL_OK);
    assert_int_equal(set.items[0].njobs, 1);
    assert_int_equal(set.items[0].jobs_skipped_malformed, 1);
    sl_scenario_set_release(&set);
    /* A row larger than the pool. */
    snprintf(buf, sizeof buf, "%sj1,0,8,60,,0\nj2,5,4096,60,,0\n", head);
    write_file("big.csv", buf);
    load_bad(FLEET "workload: {training: {trace: big.csv}}\n", "big.csv", 3, 0,
             "job 'j2' wants 4096 cards; pool 'main' and the other pools of device 't100' that "
             "take training have 512");
    /* An unknown model in the CSV's model column, with a suggestion. */
    snprintf(buf, sizeof buf, "%sj1,0,8,60,llama3-8b,0\nj2,5,8,60,llama3-80b,0\n", head);
    write_file("model.csv", buf);
    load_bad(FLEET "workload: {training: {trace: model.csv}}\n", "model.csv", 3, 0,
             "did you mean 'llama3-8b'");
    /* A missing trace: at the key. */
    load_bad(FLEET "workload: {training: {trace: none.csv}}\n", NULL, 3, 30, "none.csv");
}

/* An allocator that fails after a budget of successful allocations. */
static long budget;
static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (budget-- <= 0)
        return NULL;
    return realloc(ptr, size);
}

/* Every allocation of the resolution may fail: SL_ENOMEM and nothing
 * leaked (the sanitizer build checks), until the load succeeds. */
static void test_allocation_failures(void **state)
{
    (void)state;
    write_file("a.csv", "job_id,submit_s,cards,duration_s\nj1,0,8,60\nj2,5,0,60\n");
    const char *path = write_file("a.yaml", "run: {duration: 1h}\nfleet: {servers: 8}\n"
                                            "workload:\n  training:\n    trace: a.csv\n"
                                            "    jobs: [{name: x, cards: 8, duration: 1h}]\n"
                                            "    generate: {enabled: true, max_cards: 8,\n"
                                            "               pretrain_jobs: 1, pretrain_cards: 64,\n"
                                            "               pretrain_model: llama3-8b}\n");
    int succeeded = 0;
    for (long n = 0; n < 100000 && !succeeded; n++) {
        struct sl_scenario_set set;
        struct sl_diag d;
        budget = n;
        sl_alloc_set_hook(failing_alloc, NULL);
        int rc = load_at(path, NULL, &set, &d);
        sl_alloc_set_hook(NULL, NULL);
        if (rc == SL_OK) {
            assert_true(set.items[0].njobs > 3);
            sl_scenario_set_release(&set);
            succeeded = 1;
        } else if (rc != SL_ENOMEM) {
            fail_msg("budget %ld: rc %d (%s)", n, rc, d.msg);
        }
    }
    assert_true(succeeded);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"s.yaml",  "g.yaml",  "r.yaml",    "jobs.csv", "pods.csv",
                           "bad.csv", "big.csv", "model.csv", "a.csv",    "a.yaml"};
    char path[600];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_statistics), cmocka_unit_test(test_generator_deterministic),
        cmocka_unit_test(test_generator_bad_params), cmocka_unit_test(test_resolve_list_and_trace),
        cmocka_unit_test(test_resolve_alibaba),      cmocka_unit_test(test_resolve_generated),
        cmocka_unit_test(test_no_training_no_jobs),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_trace_errors),         cmocka_unit_test(test_partition_cards),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
