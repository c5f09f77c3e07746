/*
 * The scenario loader: from a file (or the built-in default) to validated,
 * resolved struct sl_scenario values, one per variant.
 *
 * Loading happens in four steps, all before any simulation starts:
 *   1. parse the YAML file (or the built-in default) into a tree;
 *   2. take out `variants:` and `plan:`;
 *   3. for each variant (or once when there are none): copy the tree, apply
 *      the variant's `set:` overrides, for `suanli plan` the `plan:`
 *      section's set and picked values (scenario_plan.c), then the command
 *      line's --set and
 *      --seed (the command line wins; scenario_variants.c), and map the tree
 *      onto a struct (the tables of scenario_schema.c);
 *   4. resolve: catalog names (scenario_catalog.c), file paths, the weather
 *      (loaded once, here), the carbon factor, and rules that involve
 *      several keys.
 * An override creates the nodes it names, tagged with its own origin, so a
 * misspelt override key is reported like a misspelt file key ("--set
 * 'fleet.servres=1': unknown key 'servres' in fleet (did you mean
 * 'servers'?)").
 *
 * Relative file paths (today `site.weather` when it names an EPW file) mean
 * the folder of the scenario file whose key gives them, as an `#include`
 * does in C; a value from the command line or the built-in default means
 * the current directory.  The loader stores the absolute path, so the
 * resolved scenario (`suanli check`, scenario.yaml) loads back to the same
 * file from any directory.  Likewise the resolved carbon factor replaces an
 * unset `site.carbon`, so a reader sees the number that is used.
 */
#define _POSIX_C_SOURCE 200809L

#include "config/scenario_int.h"

#include "fleet/server.h"
#include "power/stack.h"
#include "suanli/limits.h"
#include "suanli/alloc.h"
#include "suanli/calendar.h"
#include "suanli/limits.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const char sl__default_scenario_yaml[];
extern const size_t sl__default_scenario_yaml_len;

#define DEFAULT_SOURCE_NAME "<built-in default scenario>"

const char *sl_scenario_default_text(size_t *len)
{
    if (len)
        *len = sl__default_scenario_yaml_len;
    return sl__default_scenario_yaml;
}

/* Parses run.start, "YYYY-MM-DD" or "YYYY-MM-DD[T ]HH:MM[:SS]" (years
 * 1900-2200), into local seconds since 1970.  Returns SL_OK or SL_EINVAL. */
static int parse_start(const char *s, int64_t *out)
{
    int y, mo, da, h = 0, mi = 0, se = 0, n = 0;
    size_t len = strlen(s);
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &da, &n) != 3 || n != 10)
        return SL_EINVAL;
    if (len > 10) {
        int n2 = 0;
        if (s[10] != 'T' && s[10] != ' ')
            return SL_EINVAL;
        if (sscanf(s + 11, "%2d:%2d%n", &h, &mi, &n2) != 2 || n2 != 5)
            return SL_EINVAL;
        size_t used = 16;
        if (len > used) {
            int n3 = 0;
            if (sscanf(s + used, ":%2d%n", &se, &n3) != 1 || n3 != 3 || len != used + 3)
                return SL_EINVAL;
        }
    }
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || da < 1 || da > sl_days_in_month(y, mo) ||
        h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
        return SL_EINVAL;
    struct sl_civil c = {y, mo, da, h, mi, se};
    *out = sl_seconds_from_civil(&c);
    return SL_OK;
}

/* Reports an error at the node of a key path (or without a position). */
int sl__scenario_path_error(const struct sl_ynode *root, const char *path, struct sl_diag *d,
                            const char *msg)
{
    const struct sl_ynode *n = sl_ytree_lookup(root, path);
    if (n)
        return sl_ynode_error(n, d, SL_EINVAL, "%s", msg);
    return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "%s", msg);
}

/* Makes *value, a relative file path given at key (a dotted path in root),
 * absolute: against the folder of the scenario file when file_src (that
 * file's source; NULL for the built-in default) gave the key, else against
 * the current directory.  Replaces *value (owned).  Returns SL_OK, SL_EIO
 * (no current directory) or SL_ENOMEM. */
int sl__scenario_resolve_path(char **value, const struct sl_ynode *root, const char *key,
                              const struct sl_ysource *file_src, struct sl_diag *d)
{
    const char *v = *value;
    if (v[0] == '/')
        return SL_OK;
    while (v[0] == '.' && v[1] == '/')
        v += 2;
    const char *base = "";
    size_t baselen = 0;
    const struct sl_ynode *n = sl_ytree_lookup(root, key);
    if (n && file_src && n->src == file_src) {
        const char *slash = strrchr(file_src->name, '/');
        base = file_src->name;
        baselen = slash ? (size_t)(slash - base) + 1 : 0;
        while (baselen >= 2 && base[0] == '.' && base[1] == '/') {
            base += 2;
            baselen -= 2;
        }
    }
    char cwd[4096] = "";
    if (base[0] != '/' || baselen == 0) {
        if (!getcwd(cwd, sizeof cwd))
            return sl_diag_set(d, SL_EIO, NULL, 0, 0,
                               "%s: cannot resolve the relative path '%s': the current "
                               "directory is unknown (%s)",
                               key, *value, strerror(errno));
    }
    size_t cwdlen = strlen(cwd);
    const char *sep = cwdlen > 0 && cwd[cwdlen - 1] != '/' ? "/" : "";
    size_t need = cwdlen + 1 + baselen + strlen(v) + 1;
    char *abs = sl_malloc(need);
    if (!abs)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    snprintf(abs, need, "%s%s%.*s%s", cwd, sep, (int)baselen, base, v);
    sl_free(*value);
    *value = abs;
    return SL_OK;
}

/* Reports a model's objection (vd, from sl_chain_validate and the like) to
 * entry i of an own catalog list at the entry's position. */
static int entry_invalid(const struct sl_ynode *root, const char *list, size_t i,
                         const struct sl_diag *vd, struct sl_diag *d)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%zu", list, i);
    return sl__scenario_path_error(root, path, d, vd->msg);
}

/* Reports an own device or CPU (entry i of list, a `label` called name)
 * whose idle power is not below its TDP, at its `idle` key. */
static int idle_not_below_tdp(const struct sl_ynode *root, const char *list, size_t i,
                              const char *label, const char *name, struct sl_diag *d)
{
    char path[128], msg[256];
    snprintf(path, sizeof path, "%s.%zu.idle", list, i);
    snprintf(msg, sizeof msg, "%s '%s': idle must be below tdp", label, name);
    return sl__scenario_path_error(root, path, d, msg);
}

/* The run holds at most SL_STACK_MAX stages of one scope
 * (src/power/stack.h) and SL_MAX_SERVER_STAGES server stages
 * (src/fleet/server.h): an own chain with more is reported here, at its
 * first stage past the limit, not when the run builds its stacks. */
static int check_stage_counts(const struct sl_chain_spec *ch, const struct sl_ynode *root, size_t i,
                              struct sl_diag *d)
{
    static const char *const scope[] = {"facility", "rack", "server", "board"};
    size_t count[4] = {0, 0, 0, 0};
    const struct sl_stage_spec *st = ch->stages.items;
    for (size_t k = 0; k < ch->stages.n; k++) {
        int sp = st[k].scope;
        if (sp < 0 || sp > 3)
            continue;
        size_t max = sp == SL_SCOPE_SERVER ? SL_MAX_SERVER_STAGES : SL_STACK_MAX;
        if (++count[sp] > max) {
            char path[128], msg[256];
            snprintf(path, sizeof path, "catalog.chains.%zu.stages.%zu", i, k);
            snprintf(msg, sizeof msg,
                     "power chain '%s' has more than %zu stages of scope %s (the most a run "
                     "supports); merge some into one stage",
                     ch->name, max, scope[sp]);
            return sl__scenario_path_error(root, path, d, msg);
        }
    }
    return SL_OK;
}

/* Whether the user gave a key (in the file, a variant or --set). */
static int given(const struct sl_ynode *root, const char *path)
{
    return sl_ytree_lookup(root, path) != NULL;
}

/* Reports a rule between two keys at the one the user wrote (a first when
 * both were), so that an error always has a position when either key came
 * from a file or --set; without one only when both are defaults. */
int sl__scenario_pair_error(const struct sl_ynode *root, const char *a, const char *b,
                            struct sl_diag *d, const char *msg)
{
    /* A key the user wrote (file or --set) before one of the built-in
     * default scenario, which the user did not write either. */
    const struct sl_ynode *na = sl_ytree_lookup(root, a), *nb = sl_ytree_lookup(root, b);
    int ua = na && strcmp(na->src->name, DEFAULT_SOURCE_NAME) != 0;
    int ub = nb && strcmp(nb->src->name, DEFAULT_SOURCE_NAME) != 0;
    const char *at = ua ? a : ub ? b : na || !nb ? a : b;
    return sl__scenario_path_error(root, at, d, msg);
}

/* "default " before the value of a key the user did not give. */
static const char *dflt(const struct sl_ynode *root, const char *path)
{
    return given(root, path) ? "" : "default ";
}

/* Rough size of one timeseries.csv row (a year of one-minute rows is
 * ~150 MB, src/core/limits.c); monthly.csv and summary.json are small. */
#define ROW_BYTES_ESTIMATE 300.0

/* Bounds what a run writes before it starts: rows of timeseries.csv
 * (SL_LIM_ROWS) and bytes (SL_LIM_OUTPUT_BYTES, for this scenario alone;
 * sl_scenario_load adds up a set). */
static int check_output_size(const struct sl_scenario *sc, const struct sl_ynode *root,
                             struct sl_diag *d)
{
    char msg[512], dur[64], smp[64];
    double rows = ceil((double)sc->run.duration_us / (double)sc->run.sample_us);
    sl_unit_format_time_us(sc->run.duration_us, dur, sizeof dur);
    sl_unit_format_time_us(sc->run.sample_us, smp, sizeof smp);
    if (rows > SL_LIMIT(SL_LIM_ROWS)) {
        snprintf(msg, sizeof msg,
                 "'run.duration' (%s%s) / 'run.sample' (%s%s) is %.0f rows of timeseries.csv, more "
                 "than the limit of %.0f: raise run.sample (or shorten run.duration)",
                 dflt(root, "run.duration"), dur, dflt(root, "run.sample"), smp, rows,
                 SL_LIMIT(SL_LIM_ROWS));
        return sl__scenario_pair_error(root, "run.sample", "run.duration", d, msg);
    }
    if (rows * ROW_BYTES_ESTIMATE > SL_LIMIT(SL_LIM_OUTPUT_BYTES)) {
        snprintf(msg, sizeof msg,
                 "'run.duration' (%s%s) / 'run.sample' (%s%s) would write about %.3g bytes, more "
                 "than the limit of %.3g: raise run.sample (or shorten run.duration)",
                 dflt(root, "run.duration"), dur, dflt(root, "run.sample"), smp,
                 rows * ROW_BYTES_ESTIMATE, SL_LIMIT(SL_LIM_OUTPUT_BYTES));
        return sl__scenario_pair_error(root, "run.sample", "run.duration", d, msg);
    }
    return SL_OK;
}

/* Resolves names, file paths and the weather, and checks rules that
 * involve several keys.  file_src is the scenario file's source (NULL for
 * the built-in default). */
static int resolve(struct sl_scenario *sc, const struct sl_ynode *root,
                   const struct sl_ysource *file_src, struct sl_diag *d)
{
    char msg[768], path[128];
    if (sl__scenario_check_own_names(sc, root, d) != SL_OK)
        return SL_EINVAL;
    const struct sl_device_model *dev = sc->catalog.devices.items;
    for (size_t i = 0; i < sc->catalog.devices.n; i++)
        if (!(dev[i].idle_w < dev[i].tdp_w))
            return idle_not_below_tdp(root, "catalog.devices", i, "accelerator", dev[i].name, d);
    const struct sl_cpu_model *cpu = sc->catalog.cpus.items;
    for (size_t i = 0; i < sc->catalog.cpus.n; i++)
        if (!(cpu[i].idle_w < cpu[i].tdp_w))
            return idle_not_below_tdp(root, "catalog.cpus", i, "host CPU", cpu[i].name, d);
    const struct sl_server_model *srv = sc->catalog.servers.items;
    for (size_t i = 0; i < sc->catalog.servers.n; i++) {
        snprintf(path, sizeof path, "catalog.servers.%zu.device", i);
        if (!sl__scenario_find_entry(sc, SL__KIND_DEVICE, srv[i].device))
            return sl__scenario_unknown_entry(sc, SL__KIND_DEVICE, srv[i].device, root, path, d);
        snprintf(path, sizeof path, "catalog.servers.%zu.cpu", i);
        if (!sl__scenario_find_entry(sc, SL__KIND_CPU, srv[i].cpu))
            return sl__scenario_unknown_entry(sc, SL__KIND_CPU, srv[i].cpu, root, path, d);
        if (srv[i].psus_spare >= srv[i].psus) {
            snprintf(path, sizeof path, "catalog.servers.%zu.psus_spare", i);
            snprintf(msg, sizeof msg, "server model '%s': psus_spare must be below psus",
                     srv[i].name);
            return sl__scenario_path_error(root, path, d, msg);
        }
    }
    struct sl_diag vd; /* a model's objection, re-reported at the entry */
    sl_diag_clear(&vd);
    const struct sl_chain_spec *ch = sc->catalog.chains.items;
    for (size_t i = 0; i < sc->catalog.chains.n; i++) {
        if (sl_chain_validate(&ch[i], &vd) != SL_OK)
            return entry_invalid(root, "catalog.chains", i, &vd, d);
        if (check_stage_counts(&ch[i], root, i, d) != SL_OK)
            return SL_EINVAL;
    }
    const struct sl_cooling_spec *co = sc->catalog.cooling.items;
    for (size_t i = 0; i < sc->catalog.cooling.n; i++)
        if (sl_cooling_validate(&co[i], &vd) != SL_OK)
            return entry_invalid(root, "catalog.cooling", i, &vd, d);

    /* The pools and their servers; sc->server is the first pool's. */
    int prc = sl__scenario_resolve_pools(sc, root, d);
    if (prc != SL_OK)
        return prc;
    /* The fabric must hold the pools' servers. */
    if ((prc = sl__scenario_check_fabric(sc, root, d)) != SL_OK)
        return prc;
    if (!(sc->chain = sl_scenario_find_chain(sc, sc->facility.power_chain)))
        return sl__scenario_unknown_entry(sc, SL__KIND_CHAIN, sc->facility.power_chain, root,
                                          "facility.power_chain", d);
    if (!(sc->cooling = sl_scenario_find_cooling(sc, sc->facility.cooling)))
        return sl__scenario_unknown_entry(sc, SL__KIND_COOLING, sc->facility.cooling, root,
                                          "facility.cooling", d);

    const struct sl_phase_param *ph[] = {&sc->phases.prefill, &sc->phases.decode,
                                         &sc->phases.train_compute, &sc->phases.train_comm,
                                         &sc->phases.mixed};
    memset(&sc->phase_model, 0, sizeof sc->phase_model);
    for (int k = 0; k < 5; k++) {
        sc->phase_model.activity[SL_PHASE_PREFILL + k] = ph[k]->activity;
        sc->phase_model.alpha[SL_PHASE_PREFILL + k] = ph[k]->alpha;
    }

    /* Every pool's server on this chain: can its PSUs carry it at full load? */
    if (sl__scenario_check_pool_servers(sc, root, d) != SL_OK)
        return SL_EINVAL;

    sc->site_info = sl_weather_find_site(sc->site.name);
    const char *wfile = NULL; /* the EPW path as given, when the weather is a file */
    char given[256];
    if (sc->site.weather && !strchr(sc->site.weather, '/') && !strstr(sc->site.weather, ".epw") &&
        !sl_weather_find_site(sc->site.weather)) {
        snprintf(msg, sizeof msg,
                 "unknown weather site '%s': give chengde, shijiazhuang, xinghua or the path "
                 "of an EPW file",
                 sc->site.weather);
        return sl__scenario_path_error(root, "site.weather", d, msg);
    }
    if (sc->site.weather && !sl_weather_find_site(sc->site.weather)) {
        /* An EPW file: make its path absolute now, so the run, the resolved
         * scenario and any message all name the same file. */
        snprintf(given, sizeof given, "%s", sc->site.weather);
        int rc = sl__scenario_resolve_path(&sc->site.weather, root, "site.weather", file_src, d);
        if (rc != SL_OK)
            return rc;
        wfile = given;
    }
    if (sc->site.weather || sc->site_info) {
        /* Load the weather once, here: a bad EPW file is bad input reported
         * before anything runs, and the run uses this copy. */
        const char *wname = sc->site.weather ? sc->site.weather : sc->site.name;
        if (!(sc->weather = sl_malloc(sizeof *sc->weather)))
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        struct sl_diag wd;
        sl_diag_clear(&wd);
        int rc = wfile ? sl_weather_load_epw(sc->weather, wname, &wd)
                       : sl_weather_builtin(sc->weather, wname, &wd);
        if (rc == SL_ENOMEM)
            return sl_diag_set(d, rc, NULL, 0, 0, "out of memory");
        if (rc != SL_OK) {
            if (wd.line > 0) /* the position inside the EPW file says most */
                return sl_diag_set(d, SL_EINVAL, wd.file, wd.line, wd.col, "%s", wd.msg);
            if (wfile && strcmp(wfile, wname) != 0)
                snprintf(msg, sizeof msg, "site.weather: %s: %s (%s)", wfile, wd.msg, wname);
            else
                snprintf(msg, sizeof msg, "site.weather: %s: %s", wname, wd.msg);
            return sl__scenario_path_error(root, "site.weather", d, msg);
        }
    }
    if (!sc->site.weather && !sc->site_info) {
        snprintf(msg, sizeof msg,
                 "site '%s' is not built in (chengde, shijiazhuang, xinghua): give "
                 "site.weather (an EPW file) and site.carbon",
                 sc->site.name);
        return sl__scenario_path_error(root, "site.name", d, msg);
    }
    sc->carbon = sc->site.carbon > 0 ? sc->site.carbon
                 : sc->site_info     ? sc->site_info->carbon_kg_per_kwh
                                     : 0;
    if (!(sc->carbon > 0)) {
        snprintf(msg, sizeof msg, "site '%s' is not built in: give site.carbon", sc->site.name);
        return sl__scenario_path_error(root, "site.name", d, msg);
    }
    sc->site.carbon = sc->carbon; /* the resolved scenario shows the number used */
    const struct sl_tou_period *tou = sc->site.tou.items;
    for (size_t i = 0; i < sc->site.tou.n; i++)
        if (tou[i].from_us == tou[i].to_us) {
            snprintf(path, sizeof path, "site.tou.%zu.to", i);
            return sl__scenario_path_error(root, path, d, "a time-of-use period must not be empty");
        }
    const struct sl_synthetic_cfg *w = &sc->workload.synthetic;
    if (w->shape == SL_SHAPE_DIURNAL &&
        (w->mean - w->amplitude < -1e-12 || w->mean + w->amplitude > 1 + 1e-12)) {
        snprintf(msg, sizeof msg,
                 "diurnal load mean (%s%.4g %%) +- amplitude (%s%.4g %%) leaves the range 0-100 %%",
                 dflt(root, "workload.synthetic.mean"), w->mean * 100,
                 dflt(root, "workload.synthetic.amplitude"), w->amplitude * 100);
        return sl__scenario_pair_error(root, "workload.synthetic.amplitude",
                                       "workload.synthetic.mean", d, msg);
    }
    char t1[64], t2[64];
    sl_unit_format_time_us(sc->run.sample_us, t1, sizeof t1);
    if (sc->run.sample_us > sc->run.duration_us) {
        snprintf(msg, sizeof msg,
                 "'run.sample' (%s%s) is longer than 'run.duration' (%s%s): there would be no "
                 "complete sample",
                 dflt(root, "run.sample"), t1, dflt(root, "run.duration"),
                 sl_unit_format_time_us(sc->run.duration_us, t2, sizeof t2));
        return sl__scenario_pair_error(root, "run.sample", "run.duration", d, msg);
    }
    if (sc->run.sample_us % sc->facility.step_us != 0) {
        snprintf(msg, sizeof msg,
                 "'run.sample' (%s%s) is not a whole multiple of 'facility.step' (%s%s): "
                 "rows aggregate whole facility steps; change either",
                 dflt(root, "run.sample"), t1, dflt(root, "facility.step"),
                 sl_unit_format_time_us(sc->facility.step_us, t2, sizeof t2));
        return sl__scenario_pair_error(root, "run.sample", "facility.step", d, msg);
    }
    if (sc->power.telemetry_lag_us % sc->power.control_interval_us != 0) {
        snprintf(msg, sizeof msg,
                 "'power.telemetry_lag' (%s%s) is not a whole multiple of "
                 "'power.control_interval' (%s%s): the manager reads its telemetry once per "
                 "interval; change either",
                 dflt(root, "power.telemetry_lag"),
                 sl_unit_format_time_us(sc->power.telemetry_lag_us, t1, sizeof t1),
                 dflt(root, "power.control_interval"),
                 sl_unit_format_time_us(sc->power.control_interval_us, t2, sizeof t2));
        return sl__scenario_pair_error(root, "power.telemetry_lag", "power.control_interval", d,
                                       msg);
    }
    if (sc->power.polca_t1 >= sc->power.polca_t2) {
        snprintf(msg, sizeof msg,
                 "'power.polca_t1' (%s%.4g %%) must be below 'power.polca_t2' (%s%.4g %%): the "
                 "first threshold limits the low-priority work, the second all work",
                 dflt(root, "power.polca_t1"), 100 * sc->power.polca_t1,
                 dflt(root, "power.polca_t2"), 100 * sc->power.polca_t2);
        return sl__scenario_pair_error(root, "power.polca_t1", "power.polca_t2", d, msg);
    }
    if (check_output_size(sc, root, d) != SL_OK)
        return SL_EINVAL;
    if (parse_start(sc->run.start, &sc->start_s) != SL_OK) {
        snprintf(msg, sizeof msg,
                 "'run.start' expects a date such as 2025-01-01 or 2025-07-01T08:00, got '%s'",
                 sc->run.start);
        return sl__scenario_path_error(root, "run.start", d, msg);
    }
    int rc = sl__scenario_resolve_services(sc, root, file_src, d);
    if (rc == SL_OK)
        rc = sl__scenario_resolve_training(sc, root, file_src, d);
    if (rc == SL_OK)
        rc = sl__scenario_check_power(sc, root, d);
    if (rc == SL_OK)
        rc = sl__scenario_check_failures(sc, root, d);
    if (rc == SL_OK)
        rc = sl__scenario_resolve_factory(sc, root, d);
    return rc;
}

/* An override value that reads as YAML null ("---", "#...", "~", an empty
 * flow value) would silently mean the key's default.  Only a written "~" or
 * "null" on an optional key is accepted (it unsets the key); anything else
 * is an error naming the key.  path is the dotted key of n; a key the
 * schema does not know is left to the mapper, which names it. */
static int check_override_nulls(const struct sl_ynode *n, char *path, size_t size,
                                struct sl_diag *d)
{
    size_t len = strlen(path);
    if (n->type == SL_Y_MAP || n->type == SL_Y_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            if (n->type == SL_Y_MAP)
                snprintf(path + len, size - len, "%s%s", len ? "." : "", n->pairs[i].key->text);
            else
                snprintf(path + len, size - len, "%s%zu", len ? "." : "", i);
            const struct sl_ynode *v = n->type == SL_Y_MAP ? n->pairs[i].value : n->items[i];
            int rc = check_override_nulls(v, path, size, d);
            path[len] = '\0';
            if (rc != SL_OK)
                return rc;
        }
        return SL_OK;
    }
    if (!sl_ynode_is_null(n))
        return SL_OK;
    const struct sl_field *f = sl_schema_find(&sl__scenario_schema, path);
    if (!f)
        return SL_OK;
    if ((f->flags & SL_FF_OPTIONAL) && n->text[0] != '\0')
        return SL_OK;
    char what[160];
    if (f->type == SL_FT_REAL && f->unit != SL_UNIT_NONE)
        snprintf(what, sizeof what, "a %s such as '%s'", sl_unit_kind_name(f->unit),
                 sl_unit_example(f->unit));
    else if (f->type == SL_FT_TIME)
        snprintf(what, sizeof what, "a time such as '7d'");
    else if (f->type == SL_FT_INT)
        snprintf(what, sizeof what, "an integer such as 8");
    else if (f->type == SL_FT_BOOL)
        snprintf(what, sizeof what, "true or false");
    else if (f->type == SL_FT_ENUM)
        snprintf(what, sizeof what, "one of its names, such as '%s'", f->names[0]);
    else if (f->type == SL_FT_LIST)
        snprintf(what, sizeof what, "a list ('[]' for none)");
    else
        snprintf(what, sizeof what, "a value");
    return sl_ynode_error(n, d, SL_EINVAL,
                          "'%s' needs %s; the value reads as YAML null (nothing), which would "
                          "silently mean the default (leave the key out for that)",
                          path, what);
}

/* Orders dotted keys segment by segment ('.' below every other byte), so
 * that a key is followed directly by the keys it is a prefix of. */
static int cmp_set_keys(const void *a, const void *b)
{
    const unsigned char *x = (const unsigned char *)(*(const struct sl_ypair *const *)a)->key->text;
    const unsigned char *y = (const unsigned char *)(*(const struct sl_ypair *const *)b)->key->text;
    for (;; x++, y++) {
        unsigned cx = *x == '.' ? 1u : *x == 0 ? 0u : (unsigned)*x + 1u;
        unsigned cy = *y == '.' ? 1u : *y == 0 ? 0u : (unsigned)*y + 1u;
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (!*x)
            return 0;
    }
}

/* A variant's `set:` may not give one key twice, nor a key and a key
 * below it ('fleet' and 'fleet.servers'): applying them in order would make
 * the last silently win.  Sorting puts every such pair side by side, so the
 * check is O(n log n).  The later key in the file is reported (the caller
 * names the variant). */
static int check_set_conflicts(const struct sl_ynode *set, struct sl_diag *d)
{
    if (!set || set->type != SL_Y_MAP || set->n < 2)
        return SL_OK;
    const struct sl_ypair **v = sl_reallocarray(NULL, set->n, sizeof *v);
    if (!v)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < set->n; i++)
        v[i] = &set->pairs[i];
    qsort(v, set->n, sizeof *v, cmp_set_keys);
    int rc = SL_OK;
    for (size_t i = 0; i + 1 < set->n && rc == SL_OK; i++) {
        const struct sl_ynode *a = v[i]->key, *b = v[i + 1]->key;
        size_t la = strlen(a->text);
        if (strncmp(a->text, b->text, la) != 0 || (b->text[la] != '\0' && b->text[la] != '.'))
            continue;
        const struct sl_ynode *later = v[i + 1] > v[i] ? b : a, *first = later == b ? a : b;
        rc = sl_ynode_error(
            later, d, SL_EINVAL, "'set' gives '%s' and '%s' (line %d): %s; keep one", later->text,
            first->text, first->line,
            b->text[la] ? "one would silently override the other" : "the same key twice");
    }
    sl_free(v);
    return rc;
}

static void scenario_release(struct sl_scenario *sc)
{
    sl__scenario_release_training(sc);
    sl__scenario_release_services(sc);
    sl_free(sc->pools);
    sl_free(sc->weather);
    sl_schema_release(&sl__scenario_schema, sc);
    sl_free(sc->variant);
    memset(sc, 0, sizeof *sc);
}

/* Maps one fully overridden tree into sc. */
static int build_one(struct sl_ynode *root, const char *variant, const struct sl_ysource *file_src,
                     struct sl_scenario *sc, struct sl_diag *d)
{
    memset(sc, 0, sizeof *sc);
    int rc = sl_schema_map(&sl__scenario_schema, sc, root, "", d);
    if (rc == SL_OK && variant && !(sc->variant = sl_strdup(variant)))
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc == SL_OK)
        rc = resolve(sc, root, file_src, d);
    return rc;
}

void sl_scenario_set_release(struct sl_scenario_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        scenario_release(&set->items[i]);
    sl_free(set->items);
    memset(set, 0, sizeof *set);
}

/* sl_scenario_load and sl_scenario_load_plan: with_plan applies the
 * `plan:` section (pick[npick]). */
static int load(const struct sl_load_opts *opts, int with_plan, const size_t *pick, size_t npick,
                struct sl_scenario_set *out, struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL, *vars = NULL, *plan = NULL;
    struct sl__override *ovr = NULL;
    size_t novr = 0;
    int rc;

    if (opts->path) {
        rc = sl_ytree_load_file(&srcs, opts->path, &root, d);
    } else {
        size_t len;
        const char *text = sl_scenario_default_text(&len);
        rc = sl_ytree_parse(&srcs, DEFAULT_SOURCE_NAME, text, len, &root, d);
    }
    if (rc != SL_OK)
        goto done;
    const char *name = opts->path ? opts->path : DEFAULT_SOURCE_NAME;
    if (!root) {
        rc = sl_diag_set(d, SL_EINVAL, name, 0, 0,
                         "the file is empty; expected a scenario mapping such as "
                         "'fleet: {servers: 1280}' (`suanli show-default` prints a full one)");
        goto done;
    }
    if (root->type != SL_Y_MAP) {
        char desc[128];
        rc = sl_ynode_error(root, d, SL_EINVAL, "a scenario is a mapping of keys, got %s",
                            sl_ynode_describe(root, desc, sizeof desc));
        goto done;
    }
    const struct sl_ysource *file_src = opts->path ? root->src : NULL;
    vars = sl_ymap_take(root, "variants");
    /* `plan:` is `suanli plan`'s (scenario_plan.c); a run ignores it. */
    plan = sl_ymap_take(root, "plan");
    if (plan && sl_ynode_is_null(plan)) {
        sl_ynode_free(plan);
        plan = NULL;
    }
    if (vars && sl_ynode_is_null(vars)) {
        sl_ynode_free(vars);
        vars = NULL;
    }

    size_t nover = opts->nsets + (opts->seed ? 1 : 0);
    if (nover) {
        ovr = sl_calloc(nover, sizeof *ovr);
        if (!ovr) {
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < opts->nsets; i++) {
        char origin[600];
        snprintf(origin, sizeof origin, "--set '%.500s'", opts->sets[i]);
        rc = sl__override_parse(&srcs, origin, opts->sets[i], &ovr[novr], d);
        novr++;
        if (rc == SL_OK) {
            char path[512];
            snprintf(path, sizeof path, "%s", ovr[novr - 1].path);
            rc = check_override_nulls(ovr[novr - 1].value, path, sizeof path, d);
        }
        if (rc != SL_OK)
            goto done;
    }
    if (opts->seed) {
        char origin[128], arg[128];
        snprintf(origin, sizeof origin, "--seed %.100s", opts->seed);
        snprintf(arg, sizeof arg, "run.seed=%.100s", opts->seed);
        rc = sl__override_parse(&srcs, origin, arg, &ovr[novr], d);
        novr++;
        if (rc != SL_OK)
            goto done;
    }

    if (vars) {
        rc = sl__variants_check(vars, d);
        if (rc != SL_OK)
            goto done;
    }
    size_t nvar = vars ? vars->n : 1;
    if (opts->variant) {
        size_t found = nvar;
        char names[512] = "";
        for (size_t i = 0; vars && i < vars->n; i++) {
            const char *vn = sl_ymap_get(vars->items[i], "name")->text;
            if (strcmp(vn, opts->variant) == 0)
                found = i;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", vn);
        }
        if (!vars) {
            rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "--variant %s: the scenario has no variants",
                             opts->variant);
            goto done;
        }
        if (found == nvar) {
            rc = sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                             "--variant %s: no such variant; the scenario has: %s", opts->variant,
                             names);
            goto done;
        }
    }
    out->items = sl_calloc(nvar, sizeof *out->items);
    if (!out->items) {
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    out->has_variants = vars != NULL;
    double set_bytes = 0;
    for (size_t i = 0; i < nvar; i++) {
        const char *vname = vars ? sl_ymap_get(vars->items[i], "name")->text : NULL;
        if (opts->variant && strcmp(vname, opts->variant) != 0)
            continue;
        struct sl_ynode *tree = sl_ynode_copy(root);
        if (!tree) {
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        rc = vars ? check_set_conflicts(sl_ymap_get(vars->items[i], "set"), d) : SL_OK;
        if (rc == SL_OK && vars)
            rc = sl__variant_apply(tree, sl_ymap_get(vars->items[i], "set"), vname, d);
        if (rc == SL_OK && with_plan && plan)
            rc = sl__plan_apply(tree, plan, pick, npick, d);
        for (size_t j = 0; rc == SL_OK && j < novr; j++)
            rc = sl__override_apply(tree, &ovr[j], d);
        if (rc == SL_OK)
            rc = build_one(tree, vname, file_src, &out->items[out->n], d);
        if (rc == SL_OK) {
            /* The variants of a set write into one output folder. */
            const struct sl_run_cfg *r = &out->items[out->n].run;
            set_bytes += ceil((double)r->duration_us / (double)r->sample_us) * ROW_BYTES_ESTIMATE;
            if (set_bytes > SL_LIMIT(SL_LIM_OUTPUT_BYTES)) {
                char msg[256];
                snprintf(msg, sizeof msg,
                         "the %zu variants up to this one would write about %.3g bytes, more "
                         "than the limit of %.3g: raise run.sample (or shorten run.duration)",
                         out->n + 1, set_bytes, SL_LIMIT(SL_LIM_OUTPUT_BYTES));
                rc = sl__scenario_pair_error(tree, "run.sample", "run.duration", d, msg);
            }
        }
        out->n++; /* counted even on error so release frees it */
        /* Name the variant, unless the error is in a command-line override,
         * which fails the same way in every variant. */
        if (rc != SL_OK && vname && d && d->code != SL_ENOMEM &&
            strncmp(d->file, "--set", 5) != 0 && strncmp(d->file, "--seed", 6) != 0) {
            char prefix[sizeof d->msg];
            snprintf(prefix, sizeof prefix, "in variant '%s': %s", vname, d->msg);
            memcpy(d->msg, prefix, sizeof d->msg);
        }
        sl_ynode_free(tree);
        if (rc != SL_OK)
            goto done;
    }
done:
    for (size_t i = 0; i < novr; i++)
        sl__override_release(&ovr[i]);
    sl_free(ovr);
    sl_ynode_free(vars);
    sl_ynode_free(plan);
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    if (rc != SL_OK)
        sl_scenario_set_release(out);
    return rc;
}

int sl_scenario_load(const struct sl_load_opts *opts, struct sl_scenario_set *out,
                     struct sl_diag *d)
{
    return load(opts, 0, NULL, 0, out, d);
}

int sl_scenario_load_plan(const struct sl_load_opts *opts, const size_t *pick, size_t npick,
                          struct sl_scenario_set *out, struct sl_diag *d)
{
    return load(opts, 1, pick, npick, out, d);
}

void sl_scenario_emit(const struct sl_scenario *sc, FILE *out)
{
    if (sc->variant)
        fprintf(out, "# variant: %s (its overrides are applied below)\n", sc->variant);
    sl__scenario_emit_fields(sc, out);
}

void sl_scenario_doc(FILE *out)
{
    sl_schema_doc(&sl__scenario_schema, out);
    fprintf(out, "### `variants[]`\n\n");
    fprintf(out, "| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for (size_t i = 0; i < sl__variant_schema.nfields; i++) {
        const struct sl_field *f = &sl__variant_schema.fields[i];
        fprintf(out, "| `%s` | %s | %s | %s |\n", f->key,
                f->type == SL_FT_RAW      ? "mapping"
                : (f->flags & SL_FF_NAME) ? "name"
                                          : "text",
                (f->flags & SL_FF_REQUIRED) ? "*required*" : "unset", f->doc);
    }
    fputs("\n### Limits\n\n", out);
    sl_limits_doc(out);
    fputc('\n', out);
}
