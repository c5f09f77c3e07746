/*
 * The scenario schema and loader.
 *
 * The tables below are the single definition of every scenario key: its
 * type, unit, default, range and meaning.  Validation, `suanli check` output
 * and docs/scenario.md all come from them.
 *
 * Loading happens in four steps, all before any simulation starts:
 *   1. parse the YAML file (or the built-in default) into a tree;
 *   2. take out `variants:`;
 *   3. for each variant (or once when there are none): copy the tree, apply
 *      the variant's `set:` overrides, then the command line's --set and
 *      --seed (the command line wins), and map the tree onto a struct;
 *   4. resolve names (the server model) and check cross-field rules.
 * An override creates the nodes it names, tagged with its own origin, so a
 * misspelt override key is reported like a misspelt file key ("--set
 * 'fleet.servres=1': unknown key 'servres' in fleet (did you mean
 * 'servers'?)").
 */
#include "suanli/scenario.h"

#include "config/schema.h"
#include "config/ytree.h"
#include "suanli/alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char sl__default_scenario_yaml[];
extern const size_t sl__default_scenario_yaml_len;

#define DEFAULT_SOURCE_NAME "<built-in default scenario>"

/* ---- schema tables ---- */

#define S(type, member) offsetof(type, member)

static const struct sl_field server_fields[] = {
    {"name", SL_FT_STRING, 0, S(struct sl_server_model, name), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_REQUIRED | SL_FF_NAME, NULL, NULL, "catalog name, referenced by `fleet.server`"},
    {"description", SL_FT_STRING, 0, S(struct sl_server_model, description), NULL, SL_NO_MIN,
     SL_NO_MAX, SL_FF_OPTIONAL, NULL, NULL, "free text"},
    {"cards", SL_FT_INT, 0, S(struct sl_server_model, cards), NULL, 1, 64, SL_FF_REQUIRED, NULL,
     NULL, "accelerator cards per server"},
    {"height_u", SL_FT_INT, 0, S(struct sl_server_model, height_u), "4", 1, 64, 0, NULL, NULL,
     "height in rack units"},
    {"power_max", SL_FT_REAL, SL_UNIT_POWER, S(struct sl_server_model, power_max_w), NULL, 0,
     SL_NO_MAX, SL_FF_REQUIRED | SL_FF_MIN_EXCL, NULL, NULL,
     "input power at full load (all cards busy)"},
    {"power_idle", SL_FT_REAL, SL_UNIT_POWER, S(struct sl_server_model, power_idle_w), NULL, 0,
     SL_NO_MAX, SL_FF_REQUIRED, NULL, NULL,
     "input power when powered on with no work; must be below `power_max`"},
    {"source", SL_FT_STRING, 0, S(struct sl_server_model, source), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_OPTIONAL, NULL, NULL, "where the numbers come from"},
};
static const struct sl_schema server_schema = {"server models", sizeof(struct sl_server_model),
                                               server_fields,
                                               sizeof server_fields / sizeof server_fields[0]};

static const struct sl_field catalog_fields[] = {
    {"servers", SL_FT_LIST, 0, offsetof(struct sl_catalog_cfg, servers), "[]", SL_NO_MIN, SL_NO_MAX,
     0, NULL, &server_schema,
     "server models added to the built-in catalog (`suanli catalog` lists those)"},
};
static const struct sl_schema catalog_schema = {"catalog", sizeof(struct sl_catalog_cfg),
                                                catalog_fields, 1};

static const char *const shape_names[] = {"constant", "diurnal", NULL};

static const struct sl_field synthetic_fields[] = {
    {"shape", SL_FT_ENUM, 0, S(struct sl_synthetic_cfg, shape), "diurnal", SL_NO_MIN, SL_NO_MAX, 0,
     shape_names, NULL,
     "`constant`: the fleet's target utilisation is `mean`; `diurnal`: "
     "`mean + amplitude * cos(2 pi (t - peak_time) / period)`"},
    {"mean", SL_FT_REAL, SL_UNIT_PERCENT, S(struct sl_synthetic_cfg, mean), "80 %", 0, 1, 0, NULL,
     NULL, "mean target utilisation of the cards"},
    {"amplitude", SL_FT_REAL, SL_UNIT_PERCENT, S(struct sl_synthetic_cfg, amplitude), "15 %", 0, 1,
     0, NULL, NULL, "diurnal swing around the mean (mean +- amplitude must stay in 0-100 %)"},
    {"period", SL_FT_TIME, 0, S(struct sl_synthetic_cfg, period_us), "24h", 0, SL_NO_MAX,
     SL_FF_MIN_EXCL, NULL, NULL, "period of the diurnal cycle"},
    {"peak_time", SL_FT_TIME, 0, S(struct sl_synthetic_cfg, peak_time_us), "15h", 0, 86400,
     SL_FF_MAX_EXCL, NULL, NULL, "local time of day of the diurnal peak"},
    {"noise", SL_FT_REAL, SL_UNIT_PERCENT, S(struct sl_synthetic_cfg, noise), "5 %", 0, 1, 0, NULL,
     NULL, "standard deviation of one server's utilisation around the target (clipped to 0-100 %)"},
    {"change_interval", SL_FT_TIME, 0, S(struct sl_synthetic_cfg, change_interval_us), "15min",
     0.001, SL_NO_MAX, 0, NULL, NULL,
     "mean time between changes of one server's load (exponential)"},
};
static const struct sl_schema synthetic_schema = {
    "synthetic load", sizeof(struct sl_synthetic_cfg), synthetic_fields,
    sizeof synthetic_fields / sizeof synthetic_fields[0]};

#define SC(member) offsetof(struct sl_scenario, member)

static const struct sl_field run_fields[] = {
    {"duration", SL_FT_TIME, 0, S(struct sl_run_cfg, duration_us), "7d", 0, SL_NO_MAX,
     SL_FF_MIN_EXCL, NULL, NULL, "simulated time span"},
    {"sample", SL_FT_TIME, 0, S(struct sl_run_cfg, sample_us), "60s", 0.001, SL_NO_MAX, 0, NULL,
     NULL, "interval of the rows of `timeseries.csv`"},
    {"seed", SL_FT_INT, 0, S(struct sl_run_cfg, seed), "1", 0, 9007199254740992.0, 0, NULL, NULL,
     "seed of all random streams (same seed, same results); `--seed` overrides it"},
    {"start", SL_FT_STRING, 0, S(struct sl_run_cfg, start), "2025-01-01", SL_NO_MIN, SL_NO_MAX, 0,
     NULL, NULL, "local start date and time, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`"},
};
static const struct sl_field site_fields[] = {
    {"name", SL_FT_STRING, 0, S(struct sl_site_cfg, name), "xinghua", SL_NO_MIN, SL_NO_MAX,
     SL_FF_NAME, NULL, NULL, "site name (Chengde, Shijiazhuang and Xinghua are the brief's sites)"},
};
static const struct sl_field fleet_fields[] = {
    {"servers", SL_FT_INT, 0, S(struct sl_fleet_cfg, servers), "1280", 1, 10000000, 0, NULL, NULL,
     "number of servers (1,280 x 8 cards = 10,240 cards in the brief's center)"},
    {"servers_per_rack", SL_FT_INT, 0, S(struct sl_fleet_cfg, servers_per_rack), "8", 1, 1024, 0,
     NULL, NULL, "servers per rack: 8 traditional, 16 in the \"three-in-one\" rack (128 chips)"},
    {"server", SL_FT_STRING, 0, S(struct sl_fleet_cfg, server), "t1008", SL_NO_MIN, SL_NO_MAX,
     SL_FF_NAME, NULL, NULL, "server model from the catalog (`suanli catalog`)"},
};
static const struct sl_field workload_fields[] = {
    {"synthetic", SL_FT_SECTION, 0, S(struct sl_workload_cfg, synthetic), NULL, SL_NO_MIN,
     SL_NO_MAX, 0, NULL, &synthetic_schema, "synthetic load source for facility studies"},
};

#define SCHEMA(name, type, fields)                                                                 \
    static const struct sl_schema name = {#type, sizeof(struct type), fields,                      \
                                          sizeof fields / sizeof fields[0]}
SCHEMA(run_schema, sl_run_cfg, run_fields);
SCHEMA(site_schema, sl_site_cfg, site_fields);
SCHEMA(fleet_schema, sl_fleet_cfg, fleet_fields);
SCHEMA(workload_schema, sl_workload_cfg, workload_fields);

static const struct sl_field top_fields[] = {
    {"name", SL_FT_STRING, 0, SC(name), "scenario", SL_NO_MIN, SL_NO_MAX, SL_FF_NAME, NULL, NULL,
     "scenario name; outputs go to `out/<name>/` unless `--out` is given"},
    {"description", SL_FT_STRING, 0, SC(description), NULL, SL_NO_MIN, SL_NO_MAX, SL_FF_OPTIONAL,
     NULL, NULL, "free text"},
    {"run", SL_FT_SECTION, 0, SC(run), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &run_schema,
     "time span, sampling and seed"},
    {"site", SL_FT_SECTION, 0, SC(site), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &site_schema,
     "where the center is"},
    {"fleet", SL_FT_SECTION, 0, SC(fleet), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &fleet_schema,
     "servers and racks"},
    {"workload", SL_FT_SECTION, 0, SC(workload), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &workload_schema, "what loads the cards"},
    {"catalog", SL_FT_SECTION, 0, SC(catalog), NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, &catalog_schema,
     "additions to the built-in catalog"},
    {"variants", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "named override sets run side by side (see \"Variants\")"},
};
static const struct sl_schema scenario_schema = {"scenario", sizeof(struct sl_scenario), top_fields,
                                                 sizeof top_fields / sizeof top_fields[0]};

/* The `variants:` entries, validated with the same machinery. */
struct variant_cfg {
    char *name;
    char *description;
};
static const struct sl_field variant_fields[] = {
    {"name", SL_FT_STRING, 0, offsetof(struct variant_cfg, name), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_REQUIRED | SL_FF_NAME, NULL, NULL, "variant name; also its output subfolder"},
    {"description", SL_FT_STRING, 0, offsetof(struct variant_cfg, description), NULL, SL_NO_MIN,
     SL_NO_MAX, SL_FF_OPTIONAL, NULL, NULL, "free text"},
    {"set", SL_FT_RAW, 0, 0, NULL, SL_NO_MIN, SL_NO_MAX, 0, NULL, NULL,
     "mapping of dotted key paths to values, applied over the scenario"},
};
SCHEMA(variant_schema, variant_cfg, variant_fields);

const char *sl_scenario_default_text(size_t *len)
{
    if (len)
        *len = sl__default_scenario_yaml_len;
    return sl__default_scenario_yaml;
}

size_t sl_catalog_server_count(void);

const struct sl_server_model *sl_scenario_find_server(const struct sl_scenario *sc,
                                                      const char *name)
{
    const struct sl_server_model *own = sc->catalog.servers.items;
    for (size_t i = 0; i < sc->catalog.servers.n; i++)
        if (strcmp(own[i].name, name) == 0)
            return &own[i];
    for (size_t i = 0; i < sl_catalog_server_count(); i++)
        if (strcmp(sl_catalog_server(i)->name, name) == 0)
            return sl_catalog_server(i);
    return NULL;
}

/* An override from the command line, parsed once and applied to every
 * variant's tree. */
struct override {
    char *path;
    struct sl_ynode *value;
    const struct sl_ysource *src;
};

static void clear_marks(struct sl_ynode *n)
{
    n->line = 0;
    n->col = 0;
    if (n->type == SL_Y_MAP)
        for (size_t i = 0; i < n->n; i++) {
            clear_marks(n->pairs[i].key);
            clear_marks(n->pairs[i].value);
        }
    else if (n->type == SL_Y_SEQ)
        for (size_t i = 0; i < n->n; i++)
            clear_marks(n->items[i]);
}

static int parse_override(struct sl_ysources *srcs, const char *origin, const char *arg,
                          struct override *o, struct sl_diag *d)
{
    memset(o, 0, sizeof *o);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "%s: expected KEY=VALUE with a dotted key, such as "
                           "--set fleet.servers=640",
                           origin);
    if (eq[1] == '\0')
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "%s: missing value after '='", origin);
    o->path = sl_strndup(arg, (size_t)(eq - arg));
    if (!o->path)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (strcmp(o->path, "variants") == 0 || strncmp(o->path, "variants.", 9) == 0)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "%s: variants cannot be overridden; use --variant NAME to run one",
                           origin);
    const char *value = eq + 1;
    int rc = sl_ytree_parse(srcs, origin, value, strlen(value), &o->value, d);
    if (rc != SL_OK)
        return rc;
    if (!o->value)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0, "%s: missing value after '='", origin);
    clear_marks(o->value);
    o->src = o->value->src;
    return SL_OK;
}

static int apply_override(struct sl_ynode *root, const struct override *o, struct sl_diag *d)
{
    struct sl_ynode *v = sl_ynode_copy(o->value);
    if (!v)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return sl_ytree_set(root, o->path, v, o->src, 0, 0, d);
}

/* Applies a variant's `set:` mapping to root. */
static int apply_variant_set(struct sl_ynode *root, const struct sl_ynode *set, const char *vname,
                             struct sl_diag *d)
{
    if (!set || sl_ynode_is_null(set))
        return SL_OK;
    if (set->type != SL_Y_MAP) {
        char desc[128];
        return sl_ynode_error(set, d, SL_EINVAL,
                              "'set' of variant '%s' expects a mapping of key paths to values, "
                              "got %s",
                              vname, sl_ynode_describe(set, desc, sizeof desc));
    }
    for (size_t i = 0; i < set->n; i++) {
        const struct sl_ynode *k = set->pairs[i].key;
        if (strcmp(k->text, "variants") == 0 || strncmp(k->text, "variants.", 9) == 0)
            return sl_ynode_error(k, d, SL_EINVAL, "a variant cannot set 'variants'");
        struct sl_ynode *v = sl_ynode_copy(set->pairs[i].value);
        if (!v)
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
        int rc = sl_ytree_set(root, k->text, v, k->src, k->line, k->col, d);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t dd)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

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
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || da < 1 || da > mdays[mo - 1] ||
        (mo == 2 && da == 29 && !leap) || h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
        return SL_EINVAL;
    *out = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
    return SL_OK;
}

/* Reports an error at the node of a key path (or without a position). */
static int path_error(const struct sl_ynode *root, const char *path, struct sl_diag *d,
                      const char *msg)
{
    const struct sl_ynode *n = sl_ytree_lookup(root, path);
    if (n)
        return sl_ynode_error(n, d, SL_EINVAL, "%s", msg);
    return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "%s", msg);
}

/* Resolves names and checks rules that involve several keys. */
static int resolve(struct sl_scenario *sc, const struct sl_ynode *root, struct sl_diag *d)
{
    char msg[768];
    const struct sl_server_model *own = sc->catalog.servers.items;
    for (size_t i = 0; i < sc->catalog.servers.n; i++) {
        char path[64];
        snprintf(path, sizeof path, "catalog.servers.%zu.name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(own[i].name, own[j].name) == 0) {
                snprintf(msg, sizeof msg, "server model '%s' is defined twice in the catalog",
                         own[i].name);
                return path_error(root, path, d, msg);
            }
        for (size_t j = 0; j < sl_catalog_server_count(); j++)
            if (strcmp(own[i].name, sl_catalog_server(j)->name) == 0) {
                snprintf(msg, sizeof msg,
                         "server model '%s' is already built in; give yours another name",
                         own[i].name);
                return path_error(root, path, d, msg);
            }
        if (!(own[i].power_idle_w < own[i].power_max_w)) {
            snprintf(path, sizeof path, "catalog.servers.%zu.power_idle", i);
            snprintf(msg, sizeof msg, "server model '%s': power_idle must be below power_max",
                     own[i].name);
            return path_error(root, path, d, msg);
        }
    }
    sc->server = sl_scenario_find_server(sc, sc->fleet.server);
    if (!sc->server) {
        const char *best = NULL;
        size_t bestd = (size_t)-1;
        for (size_t i = 0; i < sc->catalog.servers.n + sl_catalog_server_count(); i++) {
            const char *cand = i < sc->catalog.servers.n
                                   ? own[i].name
                                   : sl_catalog_server(i - sc->catalog.servers.n)->name;
            size_t dist = sl_edit_distance(sc->fleet.server, cand);
            if (dist < bestd) {
                bestd = dist;
                best = cand;
            }
        }
        if (best && bestd <= 3)
            snprintf(msg, sizeof msg, "unknown server model '%s' (did you mean '%s'?)",
                     sc->fleet.server, best);
        else
            snprintf(msg, sizeof msg,
                     "unknown server model '%s'; `suanli catalog` lists the built-in ones",
                     sc->fleet.server);
        return path_error(root, "fleet.server", d, msg);
    }
    const struct sl_synthetic_cfg *w = &sc->workload.synthetic;
    if (w->shape == SL_SHAPE_DIURNAL &&
        (w->mean - w->amplitude < -1e-12 || w->mean + w->amplitude > 1 + 1e-12)) {
        snprintf(msg, sizeof msg,
                 "diurnal load mean %.4g %% +- amplitude %.4g %% leaves the range 0-100 %%",
                 w->mean * 100, w->amplitude * 100);
        return path_error(root, "workload.synthetic.amplitude", d, msg);
    }
    if (sc->run.sample_us > sc->run.duration_us)
        return path_error(root, "run.sample", d,
                          "'run.sample' is longer than 'run.duration': there would be no "
                          "complete sample");
    if (parse_start(sc->run.start, &sc->start_s) != SL_OK) {
        snprintf(msg, sizeof msg,
                 "'run.start' expects a date such as 2025-01-01 or 2025-07-01T08:00, got '%s'",
                 sc->run.start);
        return path_error(root, "run.start", d, msg);
    }
    return SL_OK;
}

static void scenario_release(struct sl_scenario *sc)
{
    sl_schema_release(&scenario_schema, sc);
    sl_free(sc->variant);
    memset(sc, 0, sizeof *sc);
}

/* Maps one fully overridden tree into sc. */
static int build_one(struct sl_ynode *root, const char *variant, struct sl_scenario *sc,
                     struct sl_diag *d)
{
    memset(sc, 0, sizeof *sc);
    int rc = sl_schema_map(&scenario_schema, sc, root, "", d);
    if (rc == SL_OK && variant && !(sc->variant = sl_strdup(variant)))
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc == SL_OK)
        rc = resolve(sc, root, d);
    return rc;
}

void sl_scenario_set_release(struct sl_scenario_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        scenario_release(&set->items[i]);
    sl_free(set->items);
    memset(set, 0, sizeof *set);
}

/* Checks the `variants:` list and returns the number of entries. */
static int check_variants(const struct sl_ynode *vars, struct sl_diag *d)
{
    char desc[128];
    if (vars->type != SL_Y_SEQ || vars->n == 0)
        return sl_ynode_error(vars, d, SL_EINVAL,
                              "'variants' expects a non-empty list of {name, description, set} "
                              "entries, got %s",
                              sl_ynode_describe(vars, desc, sizeof desc));
    for (size_t i = 0; i < vars->n; i++) {
        struct variant_cfg v;
        memset(&v, 0, sizeof v);
        char path[32];
        snprintf(path, sizeof path, "variants.%zu", i);
        int rc = sl_schema_map(&variant_schema, &v, vars->items[i], path, d);
        if (rc == SL_OK) {
            for (size_t j = 0; j < i; j++) {
                const struct sl_ynode *other = sl_ymap_get(vars->items[j], "name");
                if (strcmp(other->text, v.name) == 0) {
                    rc = sl_ynode_error(sl_ymap_get(vars->items[i], "name"), d, SL_EINVAL,
                                        "duplicate variant name '%s' (first at line %d)", v.name,
                                        other->line);
                    break;
                }
            }
        }
        sl_schema_release(&variant_schema, &v);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

int sl_scenario_load(const struct sl_load_opts *opts, struct sl_scenario_set *out,
                     struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL, *vars = NULL;
    struct override *ovr = NULL;
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
    vars = sl_ymap_take(root, "variants");
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
        rc = parse_override(&srcs, origin, opts->sets[i], &ovr[novr], d);
        novr++;
        if (rc != SL_OK)
            goto done;
    }
    if (opts->seed) {
        char origin[128], arg[128];
        snprintf(origin, sizeof origin, "--seed %.100s", opts->seed);
        snprintf(arg, sizeof arg, "run.seed=%.100s", opts->seed);
        rc = parse_override(&srcs, origin, arg, &ovr[novr], d);
        novr++;
        if (rc != SL_OK)
            goto done;
    }

    if (vars) {
        rc = check_variants(vars, d);
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
    for (size_t i = 0; i < nvar; i++) {
        const char *vname = vars ? sl_ymap_get(vars->items[i], "name")->text : NULL;
        if (opts->variant && strcmp(vname, opts->variant) != 0)
            continue;
        struct sl_ynode *tree = sl_ynode_copy(root);
        if (!tree) {
            rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        rc = vars ? apply_variant_set(tree, sl_ymap_get(vars->items[i], "set"), vname, d) : SL_OK;
        for (size_t j = 0; rc == SL_OK && j < novr; j++)
            rc = apply_override(tree, &ovr[j], d);
        if (rc == SL_OK)
            rc = build_one(tree, vname, &out->items[out->n], d);
        out->n++; /* counted even on error so release frees it */
        if (rc != SL_OK && vname && d && d->code != SL_ENOMEM) {
            char prefix[sizeof d->msg];
            snprintf(prefix, sizeof prefix, "in variant '%s': %s", vname, d->msg);
            memcpy(d->msg, prefix, sizeof d->msg);
        }
        sl_ynode_free(tree);
        if (rc != SL_OK)
            goto done;
    }
done:
    for (size_t i = 0; i < novr; i++) {
        sl_free(ovr[i].path);
        sl_ynode_free(ovr[i].value);
    }
    sl_free(ovr);
    sl_ynode_free(vars);
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    if (rc != SL_OK)
        sl_scenario_set_release(out);
    return rc;
}

void sl_scenario_emit(const struct sl_scenario *sc, FILE *out)
{
    if (sc->variant)
        fprintf(out, "# variant: %s (its overrides are applied below)\n", sc->variant);
    sl_schema_emit(&scenario_schema, sc, out, 0);
}

void sl_scenario_doc(FILE *out)
{
    sl_schema_doc(&scenario_schema, out);
    fprintf(out, "### `variants[]`\n\n");
    fprintf(out, "| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for (size_t i = 0; i < sizeof variant_fields / sizeof variant_fields[0]; i++) {
        const struct sl_field *f = &variant_fields[i];
        fprintf(out, "| `%s` | %s | %s | %s |\n", f->key,
                f->type == SL_FT_RAW      ? "mapping"
                : (f->flags & SL_FF_NAME) ? "name"
                                          : "text",
                (f->flags & SL_FF_REQUIRED) ? "*required*" : "unset", f->doc);
    }
    fputc('\n', out);
}
