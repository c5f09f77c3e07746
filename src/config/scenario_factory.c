/*
 * The loader's part of the factory (issue #11): the built-in line written
 * into an empty `factory.stations`, and the rules between the factory's
 * keys that the schema's ranges cannot state (a station with no cycle
 * time, duplicate names, a second burn-in area, shifts longer than a day,
 * a burn-in longer than the factory run, more servers installed at a
 * rollout's start than the fleet has).  Errors are reported at the key
 * at fault (file:line:col), or at the station's entry.
 */
#include "config/scenario_int.h"
#include "suanli/alloc.h"
#include "suanli/factory.h"

#include <stdio.h>
#include <string.h>

/* Copies the built-in line into sc->factory.stations (owned, as if
 * mapped from a file). */
static int fill_default_line(struct sl_scenario *sc, struct sl_diag *d)
{
    size_t n;
    const struct sl_station_cfg *def = sl_factory_default_line(&n);
    struct sl_station_cfg *st = sl_calloc(n, sizeof *st);
    if (!st)
        return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        st[i] = def[i];
        st[i].name = NULL;
    }
    sc->factory.stations.items = st;
    sc->factory.stations.owned = st;
    sc->factory.stations.n = n;
    for (size_t i = 0; i < n; i++)
        if (!(st[i].name = sl_strdup(def[i].name)))
            return sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    return SL_OK;
}

int sl__scenario_resolve_factory(struct sl_scenario *sc, const struct sl_ynode *root,
                                 struct sl_diag *d)
{
    char msg[512], path[160];
    const struct sl_factory_cfg *f = &sc->factory;
    if (f->stations.n == 0) {
        int rc = fill_default_line(sc, d);
        if (rc != SL_OK)
            return rc;
    }
    const struct sl_shifts_cfg *sh = &f->shifts;
    if (sh->per_day * sh->length_us > INT64_C(86400000000)) {
        snprintf(msg, sizeof msg,
                 "factory.shifts: %lld shifts of %.4g h do not fit in a day (24 h at most)",
                 (long long)sh->per_day, (double)sh->length_us / 3.6e9);
        return sl__scenario_pair_error(root, "factory.shifts.per_day", "factory.shifts.length", d,
                                       msg);
    }
    if (sh->break_us >= sh->length_us) {
        snprintf(msg, sizeof msg, "factory.shifts.break must be shorter than a shift (%.4g h)",
                 (double)sh->length_us / 3.6e9);
        return sl__scenario_pair_error(root, "factory.shifts.break", "factory.shifts.length", d,
                                       msg);
    }
    if (sc->burnin.duration_us > f->duration_us) {
        snprintf(msg, sizeof msg,
                 "burnin.duration (%.4g h) is longer than the factory run, factory.duration "
                 "(%.4g h): no server would finish its burn-in",
                 (double)sc->burnin.duration_us / 3.6e9, (double)f->duration_us / 3.6e9);
        return sl__scenario_pair_error(root, "burnin.duration", "factory.duration", d, msg);
    }
    const struct sl_rollout_cfg *ro = &sc->rollout;
    if (ro->installed > sc->fleet.servers) {
        snprintf(msg, sizeof msg,
                 "rollout.installed (%lld servers) is more than the fleet's %lld servers",
                 (long long)ro->installed, (long long)sc->fleet.servers);
        return sl__scenario_path_error(root, "rollout.installed", d, msg);
    }
    const struct sl_station_cfg *st = f->stations.items;
    size_t nburn = 0;
    for (size_t i = 0; i < f->stations.n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(st[i].name, st[j].name) == 0) {
                snprintf(path, sizeof path, "factory.stations.%zu.name", i);
                snprintf(msg, sizeof msg,
                         "factory station '%s' is listed twice (entries %zu and %zu)", st[i].name,
                         j + 1, i + 1);
                return sl__scenario_path_error(root, path, d, msg);
            }
        if (st[i].kind == SL_STATION_BURNIN) {
            if (++nburn > 1) {
                snprintf(path, sizeof path, "factory.stations.%zu.kind", i);
                return sl__scenario_path_error(root, path, d,
                                               "the line has one burn-in area at most");
            }
            /* Its time, size and fallout are the `burnin` section's; a
             * value other than the default here would be ignored. */
            const char *own = st[i].cycle_us != 0            ? "cycle"
                              : st[i].machines != 1          ? "machines"
                              : st[i].dist != SL_CYCLE_FIXED ? "dist"
                              : st[i].cv != 0                ? "cv"
                              : st[i].yield != 1.0           ? "yield"
                              : st[i].mtbf_us != 0           ? "mtbf"
                                                             : NULL;
            if (own) {
                snprintf(path, sizeof path, "factory.stations.%zu.%s", i, own);
                snprintf(msg, sizeof msg,
                         "factory station '%s' is the burn-in area: its `%s` comes from the "
                         "`burnin` section (duration, slots, fallout, repair)",
                         st[i].name, own);
                return sl__scenario_path_error(root, path, d, msg);
            }
            continue;
        }
        if (st[i].cycle_us <= 0) {
            snprintf(path, sizeof path, "factory.stations.%zu.cycle", i);
            if (!sl_ytree_lookup(root, path))
                snprintf(path, sizeof path, "factory.stations.%zu", i);
            snprintf(msg, sizeof msg,
                     "factory station '%s' has no cycle time: give `cycle`, the mean time of one "
                     "server on one machine (e.g. 5min)",
                     st[i].name);
            return sl__scenario_path_error(root, path, d, msg);
        }
        if (st[i].dist == SL_CYCLE_FIXED && st[i].cv > 0) {
            snprintf(path, sizeof path, "factory.stations.%zu.cv", i);
            snprintf(msg, sizeof msg,
                     "factory station '%s': `cv` needs a `dist` other than fixed (lognormal, "
                     "gamma)",
                     st[i].name);
            return sl__scenario_path_error(root, path, d, msg);
        }
        if (st[i].mtbf_us > 0 && st[i].mttr_us <= 0) {
            snprintf(path, sizeof path, "factory.stations.%zu.mttr", i);
            snprintf(msg, sizeof msg, "factory station '%s': breakdowns (mtbf) need an mttr > 0",
                     st[i].name);
            return sl__scenario_path_error(root, path, d, msg);
        }
    }
    return SL_OK;
}
