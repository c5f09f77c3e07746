/*
 * Running scenarios (see include/suanli/sim.h).
 *
 * One run: the world is built from the registry (src/sim/registry.c), the
 * observers open their temporary files, the sources schedule their first
 * events, the engine runs to the end (the world closes a facility step
 * every `facility.step`), then the summary is assembled (the run's
 * identity, the observers' entries, the sources' entries) and all files
 * are committed together.
 *
 * A set: its scenarios are independent (each has its own world, engine and
 * random streams), so they run on up to `jobs` threads, each taking the
 * next scenario in set order; the outputs are the same bytes whatever the
 * number of threads.  Progress reports from the threads are serialised by
 * one mutex.
 */
#include "suanli/sim.h"

#include "sim/registry.h"
#include "suanli/alloc.h"
#include "suanli/outfile.h"
#include "world/world.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRESS_EVERY 65536

struct progress {
    const struct sl_run_opts *opts;
    pthread_mutex_t *lock; /* NULL: single-threaded */
    size_t index;
    struct sl_world *w;
};

static void report(struct progress *p, double done, uint64_t events)
{
    if (p->lock)
        pthread_mutex_lock(p->lock);
    p->opts->progress(p->opts->progress_ctx, p->index, done, events);
    if (p->lock)
        pthread_mutex_unlock(p->lock);
}

static void on_progress(struct sl_engine *eng, void *ctx)
{
    struct progress *p = ctx;
    report(p, (double)sl_engine_now(eng) / (double)p->w->end_us, sl_engine_fired(eng));
}

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static int add_identity(const struct sl_world *w, struct sl_summary *s)
{
    const struct sl_scenario *sc = w->sc;
    int rc = sl_summary_str(s, "suanli_version", SUANLI_VERSION);
    if (rc == SL_OK)
        rc = sl_summary_str(s, "scenario", sc->name);
    if (rc == SL_OK)
        rc = sl_summary_str(s, "variant", sc->variant);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "seed", sc->run.seed);
    if (rc == SL_OK)
        rc = sl_summary_str(s, "start", sc->run.start);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "sim_seconds", (double)w->end_us * 1e-6);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "events", (int64_t)sl_engine_fired(&w->eng));
    return rc;
}

/* Assembles the summary and writes every output, committing them only
 * when all are complete. */
static int finish(struct sl_world *w, struct sl_summary *summary, struct sl_diag *d)
{
    int rc = add_identity(w, summary);
    for (size_t i = 0; i < w->nobs && rc == SL_OK; i++)
        if (w->obs[i].ops->finish)
            rc = w->obs[i].ops->finish(w->obs[i].state, w, summary, d);
    for (size_t i = 0; i < w->nsrc && rc == SL_OK; i++)
        if (w->src[i].ops->summary)
            rc = w->src[i].ops->summary(w->src[i].state, w, summary);
    if (rc == SL_ENOMEM)
        return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
    if (rc != SL_OK)
        return rc;

    char path[4096];
    struct sl_outfile yaml, json;
    memset(&yaml, 0, sizeof yaml);
    memset(&json, 0, sizeof json);
    path_join(path, sizeof path, w->out_dir, "scenario.yaml");
    if ((rc = sl_outfile_open(&yaml, path, d)) != SL_OK)
        return rc;
    fprintf(yaml.f, "# The fully resolved scenario of this run; `suanli run` on this file "
                    "repeats it.\n");
    sl_scenario_emit(w->sc, yaml.f);
    path_join(path, sizeof path, w->out_dir, "summary.json");
    if ((rc = sl_outfile_open(&json, path, d)) != SL_OK) {
        sl_outfile_abort(&yaml);
        return rc;
    }
    sl_summary_write_json(summary, json.f);
    for (size_t i = 0; i < w->nobs && rc == SL_OK; i++)
        if (w->obs[i].ops->commit)
            rc = w->obs[i].ops->commit(w->obs[i].state, d);
    if (rc == SL_OK)
        rc = sl_outfile_commit(&yaml, d);
    if (rc == SL_OK)
        rc = sl_outfile_commit(&json, d);
    sl_outfile_abort(&yaml);
    sl_outfile_abort(&json);
    return rc;
}

static int run_one(const struct sl_scenario *sc, const char *dir, const struct sl_run_opts *opts,
                   size_t index, pthread_mutex_t *lock, struct sl_summary *summary,
                   struct sl_diag *d)
{
    struct sl_world *w = sl_malloc(sizeof *w);
    if (!w)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = sl_world_init(w, sc, dir, sl__sources, sl__observers, d);
    if (rc != SL_OK) {
        sl_free(w);
        return rc;
    }
    struct progress p = {opts, lock, index, w};
    rc = sl_world_start(w, d);
    if (rc == SL_OK) {
        if (opts->progress)
            sl_engine_set_progress(&w->eng, on_progress, &p, PROGRESS_EVERY);
        if ((rc = sl_world_run(w)) != SL_OK)
            rc = sl_diag_set(d, rc, NULL, 0, 0, "%s", w->diag.msg);
    }
    if (rc == SL_OK && opts->progress)
        report(&p, 1.0, sl_engine_fired(&w->eng));
    if (rc == SL_OK)
        rc = finish(w, summary, d);
    sl_world_release(w);
    sl_free(w);
    return rc;
}

int sl_run_scenario(const struct sl_scenario *sc, const struct sl_run_opts *opts,
                    struct sl_summary *summary, struct sl_diag *d)
{
    return run_one(sc, opts->out_dir, opts, 0, NULL, summary, d);
}

char *sl_run_dir(const struct sl_scenario_set *set, size_t i, const char *base, char *buf,
                 size_t size)
{
    const char *v = set->items[i].variant;
    if (v)
        snprintf(buf, size, "%s/%s", base, v);
    else
        snprintf(buf, size, "%s", base);
    return buf;
}

/* ---- Sets, on several threads ---- */

struct job {
    const struct sl_scenario_set *set;
    const struct sl_run_opts *opts;
    struct sl_summary *sums;
    int *rc;
    struct sl_diag *diags;
    pthread_mutex_t lock; /* next and progress */
    size_t next;
    int threaded;
};

static void run_index(struct job *j, size_t i)
{
    char dir[4096];
    sl_run_dir(j->set, i, j->opts->out_dir, dir, sizeof dir);
    struct sl_diag *d = &j->diags[i];
    int rc = sl_mkdirs(dir, d);
    if (rc == SL_OK)
        rc = run_one(&j->set->items[i], dir, j->opts, i, j->threaded ? &j->lock : NULL, &j->sums[i],
                     d);
    j->rc[i] = rc;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->set->n)
            break;
        run_index(j, i);
    }
    return NULL;
}

int sl_run_set(const struct sl_scenario_set *set, const struct sl_run_opts *opts,
               struct sl_summary *sums, struct sl_diag *d)
{
    struct job j;
    memset(&j, 0, sizeof j);
    j.set = set;
    j.opts = opts;
    j.sums = sums;
    j.rc = sl_calloc(set->n ? set->n : 1, sizeof *j.rc);
    j.diags = sl_calloc(set->n ? set->n : 1, sizeof *j.diags);
    if (!j.rc || !j.diags) {
        sl_free(j.rc);
        sl_free(j.diags);
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    size_t jobs = opts->jobs > 0 ? (size_t)opts->jobs : 0;
    if (jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (size_t)n : 1;
    }
    if (jobs > set->n)
        jobs = set->n;
    pthread_t tid[64];
    if (jobs > 64)
        jobs = 64;
    size_t started = 0;
    if (jobs > 1 && pthread_mutex_init(&j.lock, NULL) == 0) {
        j.threaded = 1;
        for (size_t t = 0; t + 1 < jobs; t++)
            if (pthread_create(&tid[t], NULL, worker, &j) == 0)
                started++;
        worker(&j); /* this thread helps too (and runs all if none started) */
        for (size_t t = 0; t < started; t++)
            pthread_join(tid[t], NULL);
        pthread_mutex_destroy(&j.lock);
    } else {
        for (size_t i = 0; i < set->n; i++)
            run_index(&j, i);
    }
    int rc = SL_OK;
    for (size_t i = 0; i < set->n; i++)
        if (j.rc[i] != SL_OK) {
            rc = j.rc[i];
            if (d && d->code == SL_OK) {
                *d = j.diags[i];
                d->code = rc;
                if (set->items[i].variant)
                    snprintf(d->msg, sizeof d->msg, "variant '%s': %s", set->items[i].variant,
                             j.diags[i].msg);
            }
            break;
        }
    if (rc == SL_OK && set->has_variants && set->n > 1)
        rc = sl_compare_write(opts->out_dir, set, sums, d);
    sl_free(j.rc);
    sl_free(j.diags);
    return rc;
}
