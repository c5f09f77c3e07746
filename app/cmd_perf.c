/*
 * `suanli perf`: the inference performance model on the command line.
 *
 * `perf infer` compiles one replica (sl_perf_init: a model on tp cards of
 * a device, with number formats, a power cap and efficiency factors) and
 * prints what sl_perf_infer computes: the prefill time of a batch of
 * prompts, the mean decode step, the output rate, the batch that fits in
 * memory, the sessions a card carries at the TPOT target and the power per
 * card by phase.  The factors are the device's defaults unless --profile
 * names a profile with an entry for (model, device, tp).  --json prints the
 * same numbers as one JSON object with fixed keys and formats.
 *
 * `perf calibrate` reads measured step times (a CSV, suanli/calibrate.h),
 * fits the factors of each (model, device, tp) with sl_calib_fit, prints
 * the fit and its error, and writes the profile atomically.
 *
 * Both exit 2 for bad input (an unknown model or device, with a
 * suggestion; a bad value; a model that does not fit; a malformed CSV, at
 * file:line:column) and 1 when the profile cannot be written.
 */
#include "cli.h"

#include "suanli/calibrate.h"
#include "suanli/catalog.h"
#include "suanli/diag.h"
#include "suanli/list.h"
#include "suanli/llm.h"
#include "suanli/scenario.h"
#include "suanli/suggest.h"
#include "suanli/train.h"
#include "suanli/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PROMPT  1024
#define DEFAULT_OUTPUT  256
#define DEFAULT_TPOT_S  0.050
#define DEFAULT_PROFILE "profile.yaml"

/* Models a --model-file added (struct sl_llm_model[]), searched before the
 * built-in ones. */
struct models {
    struct sl_list own;
    int loaded;
};

static const struct sl_llm_model *find_model(const struct models *ms, const char *name)
{
    const struct sl_llm_model *own = ms->own.items;
    for (size_t i = 0; i < ms->own.n; i++)
        if (strcmp(own[i].name, name) == 0)
            return &own[i];
    return sl_llm_model_find(name);
}

/* The nearest known model name to name, or NULL. */
static const char *suggest_model(const struct models *ms, const char *name)
{
    size_t n = ms->own.n + sl_llm_model_count();
    const char **cands = calloc(n ? n : 1, sizeof *cands);
    if (!cands)
        return NULL;
    const struct sl_llm_model *own = ms->own.items;
    for (size_t i = 0; i < ms->own.n; i++)
        cands[i] = own[i].name;
    for (size_t i = 0; i < sl_llm_model_count(); i++)
        cands[ms->own.n + i] = sl_llm_model_get(i)->name;
    const char *s = sl_suggest_nearest(name, cands, n, sl_suggest_threshold(name),
                                       SL_SUGGEST_NOCASE | SL_SUGGEST_PREFIX);
    free(cands);
    return s;
}

static const char *suggest_device(const char *name)
{
    size_t n = sl_catalog_device_count();
    const char **cands = calloc(n ? n : 1, sizeof *cands);
    if (!cands)
        return NULL;
    for (size_t i = 0; i < n; i++)
        cands[i] = sl_catalog_device(i)->name;
    const char *s = sl_suggest_nearest(name, cands, n, sl_suggest_threshold(name),
                                       SL_SUGGEST_NOCASE | SL_SUGGEST_PREFIX);
    free(cands);
    return s;
}

/* Fills d with "unknown model 'x' (did you mean 'y'?)" at file:line:col;
 * without a near name, says where the names are listed. */
static void unknown(struct sl_diag *d, const char *what, const char *name, const char *near,
                    const char *file, int line, int col)
{
    if (near) {
        sl_diag_set(d, SL_EINVAL, file, line, col, "unknown %s '%s' (did you mean '%s'?)", what,
                    name, near);
    } else if (strcmp(what, "device") == 0) {
        sl_diag_set(d, SL_EINVAL, file, line, col,
                    "unknown device '%s' (`suanli catalog` lists the devices)", name);
    } else {
        char list[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < sl_llm_model_count() && len < sizeof list; i++) {
            int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                             sl_llm_model_get(i)->name);
            len += k > 0 ? (size_t)k : 0;
        }
        sl_diag_set(d, SL_EINVAL, file, line, col, "unknown model '%s' (built-in models: %s)", name,
                    list);
    }
}

static int load_models(const char *path, struct models *ms)
{
    memset(ms, 0, sizeof *ms);
    if (!path)
        return 0;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_model_file_load(path, &ms->own, &d) != SL_OK)
        return app_report(&d);
    ms->loaded = 1;
    return 0;
}

static void release_models(struct models *ms)
{
    if (ms->loaded)
        sl_model_file_release(&ms->own);
    memset(ms, 0, sizeof *ms);
}

/* 1 when arg is the option `name`, alone (*value NULL: the value is the
 * next argument) or as name=value. */
static int is_opt(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '\0') {
        *value = NULL;
        return 1;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    return 0;
}

/* A whole number in [1, max] for option opt. */
static int parse_count(const char *opt, const char *text, long long max, int64_t *out)
{
    long long v;
    char err[256];
    if (sl_unit_parse_int(text, &v, err, sizeof err) != SL_OK || v < 1 || v > max)
        return app_usage_error("perf", "%s expects a whole number from 1 to %lld, got '%s'", opt,
                               max, text);
    *out = v;
    return 0;
}

static int parse_prec(const char *opt, const char *text, int kv, int *out)
{
    for (int i = 0; sl_precision_names[i]; i++)
        if (strcmp(text, sl_precision_names[i]) == 0 && !(kv && i == SL_PREC_INT4)) {
            *out = i;
            return 0;
        }
    return app_usage_error("perf", "%s expects %s, got '%s'", opt,
                           kv ? "fp16, int8 or fp8" : "fp16, int8, fp8 or int4", text);
}

/* Prints v with decimals digits after the point, or null when it is not
 * finite (JSON has no inf). */
static void json_num(int decimals, double v)
{
    if (isfinite(v))
        printf("%.*f", decimals, v);
    else
        fputs("null", stdout);
}

/* ---- perf infer ---- */

struct infer_opts {
    const char *model, *device, *profile, *model_file;
    int64_t tp, batch, prompt, output;
    int weights, kv;
    double cap_w, tpot_s;
    int json, help;
};

static int parse_infer(int argc, char **argv, struct infer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->tp = 1;
    o->batch = 1;
    o->prompt = DEFAULT_PROMPT;
    o->output = DEFAULT_OUTPUT;
    o->tpot_s = DEFAULT_TPOT_S;
    const char *tp = NULL, *batch = NULL, *prompt = NULL, *output = NULL, *weights = NULL,
               *kv = NULL, *cap = NULL, *slo = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        const char **slot;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = 1;
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        } else if (is_opt(a, "--model", &v)) {
            slot = &o->model;
        } else if (is_opt(a, "--device", &v)) {
            slot = &o->device;
        } else if (is_opt(a, "--tp", &v)) {
            slot = &tp;
        } else if (is_opt(a, "--batch", &v)) {
            slot = &batch;
        } else if (is_opt(a, "--prompt", &v)) {
            slot = &prompt;
        } else if (is_opt(a, "--output", &v)) {
            slot = &output;
        } else if (is_opt(a, "--weights", &v)) {
            slot = &weights;
        } else if (is_opt(a, "--kv", &v)) {
            slot = &kv;
        } else if (is_opt(a, "--power-cap", &v)) {
            slot = &cap;
        } else if (is_opt(a, "--tpot-slo", &v)) {
            slot = &slo;
        } else if (is_opt(a, "--profile", &v)) {
            slot = &o->profile;
        } else if (is_opt(a, "--model-file", &v)) {
            slot = &o->model_file;
        } else if (a[0] == '-' && a[1] != '\0') {
            return app_usage_error("perf", "unknown option '%s'", a);
        } else {
            return app_usage_error("perf", "unexpected argument '%s'", a);
        }
        if (!v) {
            if (i + 1 >= argc)
                return app_usage_error("perf", "option '%s' needs a value", a);
            v = argv[++i];
        }
        *slot = v;
    }
    if (!o->model || !*o->model)
        return app_usage_error("perf", "perf infer needs --model NAME");
    if (!o->device || !*o->device)
        return app_usage_error("perf", "perf infer needs --device NAME");
    int rc;
    if ((tp && (rc = parse_count("--tp", tp, 1024, &o->tp))) ||
        (batch && (rc = parse_count("--batch", batch, 1000000, &o->batch))) ||
        (prompt && (rc = parse_count("--prompt", prompt, 10000000, &o->prompt))) ||
        (output && (rc = parse_count("--output", output, 10000000, &o->output))) ||
        (weights && (rc = parse_prec("--weights", weights, 0, &o->weights))) ||
        (kv && (rc = parse_prec("--kv", kv, 1, &o->kv))))
        return rc;
    char err[256];
    if (cap &&
        (sl_unit_parse(cap, SL_UNIT_POWER, &o->cap_w, err, sizeof err) != SL_OK || !(o->cap_w > 0)))
        return app_usage_error("perf", "--power-cap expects a power above 0, e.g. 350W, got '%s'",
                               cap);
    if (slo && (sl_unit_parse(slo, SL_UNIT_TIME, &o->tpot_s, err, sizeof err) != SL_OK ||
                !(o->tpot_s > 0)))
        return app_usage_error("perf", "--tpot-slo expects a time above 0, e.g. 50ms, got '%s'",
                               slo);
    return 0;
}

/* Replaces spec->eff's fitted factors by the profile's entry, if any.
 * *source says where the factors came from. */
static int apply_profile(const struct infer_opts *o, struct sl_perf_spec *spec, const char **source)
{
    *source = "device defaults";
    if (!o->profile)
        return 0;
    struct sl_perf_profile prof;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_perf_profile_load(o->profile, &prof, &d) != SL_OK)
        return app_report(&d);
    const struct sl_perf_profile_entry *e =
        sl_perf_profile_find(&prof, spec->model->name, spec->device->name, spec->tp);
    if (e) {
        spec->eff.compute = e->compute;
        spec->eff.memory = e->memory;
        spec->eff.overhead_s = e->overhead_s;
        *source = "profile";
    } else {
        fprintf(stderr,
                "%s: note: %s has no entry for %s on %s at tp %lld; using the device "
                "defaults\n",
                app_prog, o->profile, spec->model->name, spec->device->name, (long long)spec->tp);
    }
    sl_perf_profile_release(&prof);
    return 0;
}

static void print_infer(const struct infer_opts *o, const struct sl_perf_spec *spec,
                        const char *source, const struct sl_perf_infer *r)
{
    if (o->json) {
        printf("{\"prefill_ms\": ");
        json_num(3, r->prefill_ms);
        printf(", \"decode_ms_per_token\": ");
        json_num(3, r->decode_ms_per_token);
        printf(", \"tokens_per_s\": ");
        json_num(1, r->tokens_per_s);
        printf(", \"max_batch_by_memory\": %lld, \"sessions_per_device\": ",
               (long long)r->max_batch_by_memory);
        json_num(2, r->sessions_per_device);
        printf(", \"power_w\": {\"idle\": ");
        json_num(1, r->power_w[SL_PHASE_IDLE]);
        printf(", \"prefill\": ");
        json_num(1, r->power_w[SL_PHASE_PREFILL]);
        printf(", \"decode\": ");
        json_num(1, r->power_w[SL_PHASE_DECODE]);
        printf("}}\n");
        return;
    }
    char cap[64] = "no power cap";
    if (spec->cap_w > 0)
        snprintf(cap, sizeof cap, "cap %.0f W per card", spec->cap_w);
    printf("%s on %lld x %s: %s weights, %s KV, %s\n", spec->model->name, (long long)spec->tp,
           spec->device->name, sl_precision_names[spec->weights], sl_precision_names[spec->kv],
           cap);
    printf("batch %lld, prompt %lld tokens, output %lld tokens, TPOT target %.1f ms\n",
           (long long)o->batch, (long long)o->prompt, (long long)o->output, o->tpot_s * 1e3);
    printf("efficiency (%s): compute %.4g, memory %.4g, overhead %.3f ms\n", source,
           spec->eff.compute, spec->eff.memory, spec->eff.overhead_s * 1e3);
    printf("prefill_ms            %12.3f  (batch x prompt in one step)\n", r->prefill_ms);
    printf("decode_ms_per_token   %12.3f  (mean step over the output)\n", r->decode_ms_per_token);
    printf("tokens_per_s          %12.1f  (output tokens/s of the replica)\n", r->tokens_per_s);
    printf("max_batch_by_memory   %12lld  (sequences of prompt + output in the KV cache)\n",
           (long long)r->max_batch_by_memory);
    printf("sessions_per_device   %12.2f  (at the TPOT target)\n", r->sessions_per_device);
    printf("power_w               idle %.1f, prefill %.1f, decode %.1f (per card)\n",
           r->power_w[SL_PHASE_IDLE], r->power_w[SL_PHASE_PREFILL], r->power_w[SL_PHASE_DECODE]);
}

/* Loads the --model-file (if any) and finds the model and the device,
 * reporting an unknown one with a suggestion.  0 with *ms to release, or
 * an exit code (nothing to release). */
static int find_model_device(const char *model_file, const char *model, const char *device,
                             struct models *ms, const struct sl_llm_model **m,
                             const struct sl_device_model **dev)
{
    int rc = load_models(model_file, ms);
    if (rc != 0)
        return rc;
    struct sl_diag d;
    sl_diag_clear(&d);
    *m = find_model(ms, model);
    *dev = sl_scenario_find_device(NULL, device);
    if (!*m) {
        unknown(&d, "model", model, suggest_model(ms, model), NULL, 0, 0);
        rc = app_report(&d);
    } else if (!*dev) {
        unknown(&d, "device", device, suggest_device(device), NULL, 0, 0);
        rc = app_report(&d);
    }
    if (rc)
        release_models(ms);
    return rc;
}

static int cmd_infer(int argc, char **argv)
{
    struct infer_opts o;
    int rc = parse_infer(argc, argv, &o);
    if (rc || o.help) {
        if (o.help)
            fputs(app_perf_help, stdout);
        return rc;
    }
    struct models ms;
    const struct sl_llm_model *m;
    const struct sl_device_model *dev;
    if ((rc = find_model_device(o.model_file, o.model, o.device, &ms, &m, &dev)) != 0)
        return rc;
    struct sl_diag d;
    sl_diag_clear(&d);
    struct sl_perf_spec spec;
    sl_calib_spec_default(&spec, m, dev, o.tp);
    spec.weights = o.weights;
    spec.kv = o.kv;
    spec.cap_w = o.cap_w;
    const char *source;
    if ((rc = apply_profile(&o, &spec, &source)) == 0) {
        struct sl_perf p;
        if (sl_perf_init(&p, &spec, &d) != SL_OK) {
            rc = app_report(&d);
        } else {
            struct sl_perf_infer r;
            sl_perf_infer(&p, o.batch, o.prompt, o.output, o.tpot_s, &r);
            print_infer(&o, &spec, source, &r);
            /* The times assume the batch is resident; say when it is not. */
            if (o.batch > r.max_batch_by_memory && (rc = app_flush_stdout(0)) == 0)
                fprintf(stderr,
                        "%s: note: a batch of %lld exceeds the %lld sequences of %lld tokens "
                        "whose KV cache fits\n",
                        app_prog, (long long)o.batch, (long long)r.max_batch_by_memory,
                        (long long)(o.prompt + o.output));
        }
    }
    release_models(&ms);
    return rc;
}

/* ---- perf calibrate ---- */

static int cmd_calibrate(int argc, char **argv)
{
    const char *csv = NULL, *out = DEFAULT_PROFILE, *model_file = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        const char **slot;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(app_perf_help, stdout);
            return 0;
        } else if (is_opt(a, "-o", &v) || is_opt(a, "--out", &v)) {
            slot = &out;
        } else if (is_opt(a, "--model-file", &v)) {
            slot = &model_file;
        } else if (a[0] == '-' && a[1] != '\0') {
            return app_usage_error("perf", "unknown option '%s'", a);
        } else {
            if (csv)
                return app_usage_error("perf", "more than one measurement file given ('%s')", a);
            csv = a;
            continue;
        }
        if (!v) {
            if (i + 1 >= argc)
                return app_usage_error("perf", "option '%s' needs a value", a);
            v = argv[++i];
        }
        *slot = v;
    }
    if (!csv)
        return app_usage_error("perf", "perf calibrate needs a measurement file (CSV)");
    if (!*out)
        return app_usage_error("perf", "-o expects a file name");

    struct models ms;
    int rc = load_models(model_file, &ms);
    if (rc)
        return rc;
    struct sl_diag d;
    sl_diag_clear(&d);
    struct sl_calib_set set;
    if (sl_calib_csv_load(csv, &set, &d) != SL_OK) {
        release_models(&ms);
        return app_report(&d);
    }
    struct sl_perf_profile_entry *entries = calloc(set.n, sizeof *entries);
    if (!entries) {
        sl_calib_set_release(&set);
        release_models(&ms);
        fprintf(stderr, "%s: error: out of memory\n", app_prog);
        return EXIT_RUN_FAILED;
    }
    printf("%s: %zu rows, %zu group%s\n", csv, set.rows, set.n, set.n == 1 ? "" : "s");
    for (size_t i = 0; i < set.n && rc == 0; i++) {
        const struct sl_calib_group *g = &set.groups[i];
        const struct sl_llm_model *m = find_model(&ms, g->model);
        const struct sl_device_model *dev = sl_scenario_find_device(NULL, g->device);
        if (!m) {
            unknown(&d, "model", g->model, suggest_model(&ms, g->model), csv, g->line,
                    g->model_col);
            rc = app_report(&d);
            break;
        }
        if (!dev) {
            unknown(&d, "device", g->device, suggest_device(g->device), csv, g->line,
                    g->device_col);
            rc = app_report(&d);
            break;
        }
        struct sl_perf_spec spec;
        sl_calib_spec_default(&spec, m, dev, g->tp);
        struct sl_perf_eff eff;
        struct sl_calib_error err, def;
        struct sl_diag fd;
        sl_diag_clear(&fd);
        if (sl_calib_eval(g->points, g->n, &spec, &def, &fd) != SL_OK ||
            sl_calib_fit(g->points, g->n, &spec, &eff, &err, &fd) != SL_OK) {
            sl_diag_set(&d, fd.code, csv, fd.line, 0, "%s", fd.msg);
            rc = app_report(&d);
            break;
        }
        int64_t rows = 0;
        for (size_t k = 0; k < g->n; k++)
            rows += g->points[k].rows;
        printf("  %s on %s, tp %lld: %zu points (%lld rows)\n", g->model, g->device,
               (long long)g->tp, g->n, (long long)rows);
        printf("    compute %.4f (default %.4f), memory %.4f (default %.4f), overhead %.3f ms "
               "(default %.3f ms)\n",
               eff.compute, spec.eff.compute, eff.memory, spec.eff.memory, eff.overhead_s * 1e3,
               spec.eff.overhead_s * 1e3);
        printf("    MAPE prefill %.1f %%, decode %.1f %% (with the defaults: %.1f %%, %.1f %%)\n",
               err.prefill_mape, err.decode_mape, def.prefill_mape, def.decode_mape);
        entries[i] = (struct sl_perf_profile_entry){
            g->model,       g->device,        g->tp,           eff.compute,  eff.memory,
            eff.overhead_s, err.prefill_mape, err.decode_mape, (int64_t)g->n};
    }
    if (rc == 0 && (rc = app_flush_stdout(0)) == 0) {
        if (sl_calib_profile_write(out, csv, entries, set.n, &d) != SL_OK)
            rc = app_report(&d);
        else
            fprintf(stderr, "%s: wrote %s (%zu entr%s)\n", app_prog, out, set.n,
                    set.n == 1 ? "y" : "ies");
    }
    free(entries);
    sl_calib_set_release(&set);
    release_models(&ms);
    return rc;
}

/* ---- perf train ---- */

struct train_opts {
    const char *model, *device, *model_file;
    int64_t cards, tp, pp, dp, ep, seq, micro_batch, server_cards, interleave;
    double global_batch, cap_w, scaleout_bw, oversub, compute_eff;
    int precision, recompute, json, help;
};

/* A plain number above 0 (or >= 1 with at_least_one) for option opt. */
static int parse_real(const char *opt, const char *text, enum sl_unit_kind kind, double lo,
                      double hi, double *out)
{
    char err[256];
    if (sl_unit_parse(text, kind, out, err, sizeof err) != SL_OK || !(*out >= lo && *out <= hi))
        return app_usage_error("perf", "%s expects a value from %g to %g, got '%s'", opt, lo, hi,
                               text);
    return 0;
}

static int parse_train(int argc, char **argv, struct train_opts *o)
{
    memset(o, 0, sizeof *o);
    const char *cards = NULL, *tp = NULL, *pp = NULL, *dp = NULL, *ep = NULL, *seq = NULL,
               *gb = NULL, *mb = NULL, *prec = NULL, *cap = NULL, *srv = NULL, *so = NULL,
               *ov = NULL, *eff = NULL, *rec = NULL, *il = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        const char **slot;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = 1;
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        } else if (is_opt(a, "--model", &v)) {
            slot = &o->model;
        } else if (is_opt(a, "--device", &v)) {
            slot = &o->device;
        } else if (is_opt(a, "--model-file", &v)) {
            slot = &o->model_file;
        } else if (is_opt(a, "--cards", &v)) {
            slot = &cards;
        } else if (is_opt(a, "--tp", &v)) {
            slot = &tp;
        } else if (is_opt(a, "--pp", &v)) {
            slot = &pp;
        } else if (is_opt(a, "--dp", &v)) {
            slot = &dp;
        } else if (is_opt(a, "--ep", &v)) {
            slot = &ep;
        } else if (is_opt(a, "--seq", &v)) {
            slot = &seq;
        } else if (is_opt(a, "--global-batch", &v)) {
            slot = &gb;
        } else if (is_opt(a, "--micro-batch", &v)) {
            slot = &mb;
        } else if (is_opt(a, "--precision", &v)) {
            slot = &prec;
        } else if (is_opt(a, "--power-cap", &v)) {
            slot = &cap;
        } else if (is_opt(a, "--server-cards", &v)) {
            slot = &srv;
        } else if (is_opt(a, "--scaleout-bw", &v)) {
            slot = &so;
        } else if (is_opt(a, "--oversub", &v)) {
            slot = &ov;
        } else if (is_opt(a, "--compute-eff", &v)) {
            slot = &eff;
        } else if (is_opt(a, "--recompute", &v)) {
            slot = &rec;
        } else if (is_opt(a, "--interleave", &v)) {
            slot = &il;
        } else if (a[0] == '-' && a[1] != '\0') {
            return app_usage_error("perf", "unknown option '%s'", a);
        } else {
            return app_usage_error("perf", "unexpected argument '%s'", a);
        }
        if (!v) {
            if (i + 1 >= argc)
                return app_usage_error("perf", "option '%s' needs a value", a);
            v = argv[++i];
        }
        *slot = v;
    }
    if (!o->model || !*o->model)
        return app_usage_error("perf", "perf train needs --model NAME");
    if (!o->device || !*o->device)
        return app_usage_error("perf", "perf train needs --device NAME");
    if (!cards)
        return app_usage_error("perf", "perf train needs --cards N");
    int rc;
    if ((rc = parse_count("--cards", cards, 10000000, &o->cards)) ||
        (tp && (rc = parse_count("--tp", tp, 1024, &o->tp))) ||
        (pp && (rc = parse_count("--pp", pp, 1024, &o->pp))) ||
        (dp && (rc = parse_count("--dp", dp, 10000000, &o->dp))) ||
        (ep && (rc = parse_count("--ep", ep, 100000, &o->ep))) ||
        (seq && (rc = parse_count("--seq", seq, 10000000, &o->seq))) ||
        (mb && (rc = parse_count("--micro-batch", mb, 100000, &o->micro_batch))) ||
        (srv && (rc = parse_count("--server-cards", srv, 1024, &o->server_cards))) ||
        (il && (rc = parse_count("--interleave", il, 1024, &o->interleave))) ||
        (gb && (rc = parse_real("--global-batch", gb, SL_UNIT_NONE, 1, 1e15, &o->global_batch))) ||
        (so &&
         (rc = parse_real("--scaleout-bw", so, SL_UNIT_BANDWIDTH, 1, 1e15, &o->scaleout_bw))) ||
        (ov && (rc = parse_real("--oversub", ov, SL_UNIT_NONE, 1, 1000, &o->oversub))) ||
        (eff && (rc = parse_real("--compute-eff", eff, SL_UNIT_NONE, 1e-6, 1, &o->compute_eff))))
        return rc;
    char err[256];
    if (cap &&
        (sl_unit_parse(cap, SL_UNIT_POWER, &o->cap_w, err, sizeof err) != SL_OK || !(o->cap_w > 0)))
        return app_usage_error("perf", "--power-cap expects a power above 0, e.g. 350W, got '%s'",
                               cap);
    o->precision = SL_PREC_FP16;
    if (prec) {
        if (strcmp(prec, "fp8") == 0)
            o->precision = SL_PREC_FP8;
        else if (strcmp(prec, "bf16") != 0)
            return app_usage_error("perf", "--precision expects bf16 or fp8, got '%s'", prec);
    }
    o->recompute = SL_RECOMPUTE_AUTO;
    if (rec) {
        if (strcmp(rec, "none") == 0)
            o->recompute = SL_RECOMPUTE_NONE;
        else if (strcmp(rec, "full") == 0)
            o->recompute = SL_RECOMPUTE_FULL;
        else if (strcmp(rec, "auto") != 0)
            return app_usage_error("perf", "--recompute expects auto, none or full, got '%s'", rec);
    }
    return 0;
}

static void print_train(const struct train_opts *o, const struct sl_train_spec *s,
                        const struct sl_train_result *r, int chosen)
{
    if (o->json) {
        printf("{\"step_time_s\": ");
        json_num(4, r->step_time_s);
        printf(", \"tokens_per_s\": ");
        json_num(1, r->tokens_per_s);
        printf(", \"tflops_per_device\": ");
        json_num(2, r->tflops_per_device);
        printf(", \"mfu\": ");
        json_num(4, r->mfu);
        printf(", \"layout\": {\"tp\": %lld, \"pp\": %lld, \"dp\": %lld}, \"compute_s\": ",
               (long long)r->tp, (long long)r->pp, (long long)r->dp);
        json_num(4, r->compute_s);
        printf(", \"tp_s\": ");
        json_num(4, r->tp_s);
        printf(", \"pp_bubble_s\": ");
        json_num(4, r->pp_bubble_s);
        printf(", \"dp_exposed_s\": ");
        json_num(4, r->dp_exposed_s);
        printf("}\n");
        return;
    }
    printf("%s on %lld x %s: %s, seq %lld, %.0f tokens per step, micro-batch %lld\n",
           s->model->name, (long long)s->cards, s->device->name,
           s->precision == SL_PREC_FP8 ? "fp8" : "bf16", (long long)s->seq, s->global_batch_tokens,
           (long long)s->micro_batch);
    printf("layout                tp %lld, pp %lld, dp %lld, ep %lld%s (interleave %lld, %lld "
           "micro-batches)\n",
           (long long)r->tp, (long long)r->pp, (long long)r->dp, (long long)r->ep,
           chosen ? " (chosen: the fastest that fits)" : "", (long long)r->interleave,
           (long long)r->micro_batches);
    printf("step_time_s           %12.4f\n", r->step_time_s);
    printf("tokens_per_s          %12.1f\n", r->tokens_per_s);
    printf("tflops_per_device     %12.2f  (model FLOPs: 6 N_act + attention)\n",
           r->tflops_per_device);
    printf("mfu                   %12.4f  (of the %s peak)\n", r->mfu,
           s->precision == SL_PREC_FP8 ? "fp8" : "bf16");
    printf("compute_s             %12.4f  (recompute %.0f %% of layers)\n", r->compute_s,
           100 * r->recompute_share);
    printf("tp_s                  %12.4f  (exposed tensor- and expert-parallel communication)\n",
           r->tp_s);
    printf("pp_bubble_s           %12.4f\n", r->pp_bubble_s);
    printf("dp_exposed_s          %12.4f\n", r->dp_exposed_s);
    printf("memory_gb             %12.1f  (state %.1f, activations %.1f per card)\n",
           r->memory_bytes / 1e9, r->state_bytes / 1e9, r->activation_bytes / 1e9);
    printf("power_w               compute %.1f, communication %.1f, mean %.1f (per card)\n",
           r->power_compute_w, r->power_comm_w, r->power_mean_w);
}

static int cmd_train(int argc, char **argv)
{
    struct train_opts o;
    int rc = parse_train(argc, argv, &o);
    if (rc || o.help) {
        if (o.help)
            fputs(app_perf_help, stdout);
        return rc;
    }
    struct models ms;
    const struct sl_llm_model *m;
    const struct sl_device_model *dev;
    if ((rc = find_model_device(o.model_file, o.model, o.device, &ms, &m, &dev)) != 0)
        return rc;
    struct sl_diag d;
    sl_diag_clear(&d);
    struct sl_train_spec s;
    sl_train_spec_default(&s, m, dev, o.cards);
    s.tp = o.tp;
    s.pp = o.pp;
    s.dp = o.dp;
    s.ep = o.ep;
    s.interleave = o.interleave;
    if (o.seq)
        s.seq = o.seq;
    if (o.global_batch > 0)
        s.global_batch_tokens = o.global_batch;
    if (o.micro_batch)
        s.micro_batch = o.micro_batch;
    if (o.server_cards)
        s.server_cards = o.server_cards;
    if (o.scaleout_bw > 0)
        s.scaleout_bw = o.scaleout_bw;
    if (o.oversub > 0)
        s.fabric_oversub = o.oversub;
    if (o.compute_eff > 0)
        s.eff.compute = o.compute_eff;
    s.precision = o.precision;
    s.recompute = o.recompute;
    s.cap_w = o.cap_w;
    int chosen = !(s.tp && s.pp && s.dp && (s.ep || m->experts == 0));
    struct sl_train_result r;
    if (sl_train_best_layout(&s, &r, &d) != SL_OK)
        rc = app_report(&d);
    else
        print_train(&o, &s, &r, chosen);
    release_models(&ms);
    return rc;
}

int app_cmd_perf(int argc, char **argv)
{
    if (argc < 1)
        return app_usage_error("perf", "perf needs a subcommand: infer, train or calibrate");
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
        fputs(app_perf_help, stdout);
        return 0;
    }
    if (strcmp(argv[0], "infer") == 0)
        return cmd_infer(argc - 1, argv + 1);
    if (strcmp(argv[0], "calibrate") == 0)
        return cmd_calibrate(argc - 1, argv + 1);
    if (strcmp(argv[0], "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    return app_usage_error("perf", "unknown perf subcommand '%s' (infer, train or calibrate)",
                           argv[0]);
}
