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
 * one mutex.  A set is written into a build folder beside its target and
 * swapped in whole when every scenario succeeded (src/sim/outdir.c), so
 * the target holds one complete run or the previous one, never a mix.
 *
 * A single scenario (sl_run_scenario) writes into a folder the caller
 * owns, so it cannot replace it whole: it builds its files in a hidden
 * folder inside it and moves them out only at the end, removing those it
 * moved if a later move fails.
 *
 * Paths: every path is checked to fit SL__PATH_MAX before anything runs,
 * and every snprintf into a path buffer is checked again, so a long path
 * is an error, never a truncated (and so different) folder.
 */
#include "suanli/sim.h"

#include "sim/outdir.h"
#include "sim/registry.h"
#include "suanli/alloc.h"
#include "suanli/outfile.h"
#include "world/world.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* 1 when the caller asked the run to stop (a signal, in the command). */
static int stopped(const struct sl_run_opts *opts)
{
    return opts->stop && *opts->stop;
}

static void on_progress(struct sl_engine *eng, void *ctx)
{
    struct progress *p = ctx;
    if (stopped(p->opts))
        sl_engine_stop(eng);
    if (p->opts->progress)
        report(p, (double)sl_engine_now(eng) / (double)p->w->end_us, sl_engine_fired(eng));
}

static int path_join(char *buf, size_t size, const char *dir, const char *name, struct sl_diag *d)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "the output path '%s/%s' is too long", dir,
                           name);
    return SL_OK;
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

static double entry_num(const struct sl_summary *s, const char *key, double absent)
{
    const struct sl_summary_entry *e = sl_summary_get(s, key);
    if (!e)
        return absent;
    if (e->type == SL_V_INT)
        return (double)e->i;
    if (e->type == SL_V_NUM)
        return e->x;
    return NAN;
}

/* The figures that combine the report's and the workloads' entries, so
 * they are completed here, once both are in (docs/model.md, "Compute per
 * locked MW and oversubscription"):
 *   compute.tokens_per_s_per_mw  = inference.tokens_per_s / grid cap (MW)
 *   compute.train_pflops_per_mw  = training.pflop / sim_seconds / cap (MW)
 *   fleet.servers_installed      = fleet.servers
 *   fleet.servers_worst_case     = capacity.servers_at_cap (the largest
 *                                  fleet whose full load fits the cap in
 *                                  the worst hour; null when unbounded)
 *   fleet.oversubscription       = installed / worst_case - 1 (null when
 *                                  worst_case is 0 or unbounded).
 * A run without inference or training delivers 0 of that compute. */
static int add_derived(const struct sl_world *w, struct sl_summary *s)
{
    double cap_mw = w->sc->site.grid_cap_w / 1e6;
    double secs = (double)w->end_us * 1e-6;
    double tok = entry_num(s, "inference.tokens_per_s", 0.0);
    double pflops = secs > 0 ? entry_num(s, "training.pflop", 0.0) / secs : 0.0;
    double installed = entry_num(s, "fleet.servers", NAN);
    double worst = entry_num(s, "capacity.servers_at_cap", NAN);
    int rc = sl_summary_num(s, "compute.tokens_per_s_per_mw", tok / cap_mw);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "compute.train_pflops_per_mw", pflops / cap_mw);
    if (rc == SL_OK)
        rc = sl_summary_int(s, "fleet.servers_installed", (int64_t)installed);
    if (rc == SL_OK)
        rc = isfinite(worst) ? sl_summary_int(s, "fleet.servers_worst_case", (int64_t)worst)
                             : sl_summary_num(s, "fleet.servers_worst_case", NAN);
    if (rc == SL_OK)
        rc = sl_summary_num(s, "fleet.oversubscription",
                            isfinite(worst) && worst > 0 ? installed / worst - 1.0 : NAN);
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
    if (rc == SL_OK)
        rc = add_derived(w, summary);
    if (rc == SL_ENOMEM)
        return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
    if (rc != SL_OK)
        return rc;

    char path[SL__PATH_MAX];
    struct sl_outfile yaml, json;
    memset(&yaml, 0, sizeof yaml);
    memset(&json, 0, sizeof json);
    if ((rc = path_join(path, sizeof path, w->out_dir, "scenario.yaml", d)) != SL_OK)
        return rc;
    if ((rc = sl_outfile_open(&yaml, path, d)) != SL_OK)
        return rc;
    fprintf(yaml.f, "# The fully resolved scenario of this run; `suanli run` on this file "
                    "repeats it.\n");
    sl_scenario_emit(w->sc, yaml.f);
    rc = path_join(path, sizeof path, w->out_dir, "summary.json", d);
    if (rc != SL_OK || (rc = sl_outfile_open(&json, path, d)) != SL_OK) {
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
        if (opts->progress || opts->stop)
            sl_engine_set_progress(&w->eng, on_progress, &p, PROGRESS_EVERY);
        rc = sl_world_run(w);
        if (stopped(opts))
            rc = sl_diag_set(d, SL_ESTATE, NULL, 0, 0, "interrupted");
        else if (rc != SL_OK)
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

/* Numbers the staging folders of sl_run_scenario in one process. */
static atomic_ulong stage_serial;

/* The files sl_run_scenario moved into the caller's folder, so that a
 * failed move can take back the ones before it.  A run writes five files
 * at most; 16 leaves room for observers to come. */
struct moved {
    char name[16][256];
    size_t n;
};

/* Moves every file of stage into dir, then removes stage.  On failure,
 * removes the files it had moved (the run then leaves no file). */
static int move_out(const char *stage, const char *dir, struct sl_diag *d)
{
    struct moved m;
    m.n = 0;
    DIR *dh = opendir(stage);
    if (!dh)
        return sl_diag_set(d, SL_EIO, stage, 0, 0, "cannot read: %s", strerror(errno));
    int rc = SL_OK;
    struct dirent *e;
    char from[SL__PATH_MAX], to[SL__PATH_MAX];
    while (rc == SL_OK && (e = readdir(dh)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (m.n == sizeof m.name / sizeof m.name[0] || strlen(e->d_name) >= sizeof m.name[0]) {
            rc = sl_diag_set(d, SL_ESTATE, stage, 0, 0, "unexpected output file '%s'", e->d_name);
            break;
        }
        rc = path_join(from, sizeof from, stage, e->d_name, d);
        if (rc == SL_OK)
            rc = path_join(to, sizeof to, dir, e->d_name, d);
        if (rc == SL_OK && rename(from, to) != 0)
            rc = sl_diag_set(d, SL_EIO, to, 0, 0, "cannot write output file: %s", strerror(errno));
        if (rc == SL_OK)
            snprintf(m.name[m.n++], sizeof m.name[0], "%s", e->d_name);
    }
    closedir(dh);
    if (rc != SL_OK)
        for (size_t i = 0; i < m.n; i++)
            if (path_join(to, sizeof to, dir, m.name[i], NULL) == SL_OK)
                unlink(to);
    sl__rmtree(stage, 1);
    return rc;
}

int sl_run_scenario(const struct sl_scenario *sc, const struct sl_run_opts *opts,
                    struct sl_summary *summary, struct sl_diag *d)
{
    /* The outputs are complete files in a hidden folder inside out_dir
     * first (same file system, so moving them out is a rename each). */
    char stage[SL__PATH_MAX];
    if (strlen(opts->out_dir) + 64 + SL__PATH_TAIL >= sizeof stage)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "the output folder's path is too long (%zu bytes; at most %d)",
                           strlen(opts->out_dir), (int)(sizeof stage - 65 - SL__PATH_TAIL));
    snprintf(stage, sizeof stage, "%s/.suanli-build-%ld-%lu", opts->out_dir, (long)getpid(),
             atomic_fetch_add(&stage_serial, 1));
    if (mkdir(stage, 0777) != 0)
        return sl_diag_set(d, SL_EIO, opts->out_dir, 0, 0, "cannot write into the folder: %s",
                           strerror(errno));
    int rc = run_one(sc, stage, opts, 0, NULL, summary, d);
    if (rc == SL_OK)
        return move_out(stage, opts->out_dir, d);
    sl__rmtree(stage, 1);
    return rc;
}

char *sl_run_dir(const struct sl_scenario_set *set, size_t i, const char *base, char *buf,
                 size_t size)
{
    const char *v = set->items[i].variant;
    int n = v ? snprintf(buf, size, "%s/%s", base, v) : snprintf(buf, size, "%s", base);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

/* ---- Sets, on several threads ---- */

struct job {
    const struct sl_scenario_set *set;
    const struct sl_run_opts *opts;
    const char *build; /* the build folder, which replaces opts->out_dir */
    struct sl_summary *sums;
    int *rc;
    struct sl_diag *diags;
    pthread_mutex_t lock; /* next and progress */
    size_t next;
    int threaded;
};

/* Runs scenario i into its folder in the build folder (made by
 * make_dirs). */
static void run_index(struct job *j, size_t i)
{
    char dir[SL__PATH_MAX];
    struct sl_diag *d = &j->diags[i];
    int rc = SL_ESTATE;
    if (stopped(j->opts))
        sl_diag_set(d, rc, NULL, 0, 0, "interrupted");
    else if (!sl_run_dir(j->set, i, j->build, dir, sizeof dir))
        rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "the output path is too long");
    else
        rc = run_one(&j->set->items[i], dir, j->opts, i, j->threaded ? &j->lock : NULL, &j->sums[i],
                     d);
    j->rc[i] = rc;
}

/* Creates every variant's folder in the build folder before any runs, so
 * that a name the file system refuses fails the set before simulating. */
static int make_dirs(const struct sl_scenario_set *set, const char *build, struct sl_diag *d)
{
    char dir[SL__PATH_MAX];
    for (size_t i = 0; i < set->n; i++) {
        if (!set->items[i].variant)
            continue;
        if (!sl_run_dir(set, i, build, dir, sizeof dir))
            return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                               "the output path of variant '%s' is too "
                               "long",
                               set->items[i].variant);
        if (mkdir(dir, 0777) != 0)
            return sl_diag_set(d, SL_EIO, NULL, 0, 0, "variant '%s': cannot create its folder: %s",
                               set->items[i].variant, strerror(errno));
    }
    return SL_OK;
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

/* Replaces the first occurrence of from in s (a buffer of size bytes) by
 * to, when the result fits. */
static void replace_in(char *s, size_t size, const char *from, const char *to)
{
    char *at = strstr(s, from);
    size_t lf = strlen(from), lt = strlen(to), ls = strlen(s);
    if (!at || ls - lf + lt >= size)
        return;
    memmove(at + lt, at + lf, ls - (size_t)(at - s) - lf + 1);
    memcpy(at, to, lt);
}

int sl_run_set(const struct sl_scenario_set *set, const struct sl_run_opts *opts,
               struct sl_summary *sums, struct sl_diag *d)
{
    struct sl__outdir od;
    int rc = sl__outdir_begin(&od, opts->out_dir, d);
    if (rc != SL_OK)
        return rc;
    if ((rc = make_dirs(set, od.build, d)) != SL_OK) {
        sl__outdir_release(&od);
        return rc;
    }
    struct job j;
    memset(&j, 0, sizeof j);
    j.set = set;
    j.opts = opts;
    j.build = od.build;
    j.sums = sums;
    j.rc = sl_calloc(set->n ? set->n : 1, sizeof *j.rc);
    j.diags = sl_calloc(set->n ? set->n : 1, sizeof *j.diags);
    if (!j.rc || !j.diags) {
        sl_free(j.rc);
        sl_free(j.diags);
        sl__outdir_release(&od);
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
        rc = sl_compare_write(od.build, set, sums, d);
    if (rc == SL_OK && stopped(opts))
        rc = sl_diag_set(d, SL_ESTATE, NULL, 0, 0, "interrupted");
    if (rc == SL_OK)
        rc = sl__outdir_commit(&od, d);
    if (rc != SL_OK && d) {
        /* The user knows the output folder, not the hidden one it was being
         * built in (which is removed now): name the files by their place. */
        replace_in(d->file, sizeof d->file, od.build, od.target);
        replace_in(d->msg, sizeof d->msg, od.build, od.target);
    }
    sl__outdir_release(&od); /* removes the build folder unless committed */
    sl_free(j.rc);
    sl_free(j.diags);
    return rc;
}
