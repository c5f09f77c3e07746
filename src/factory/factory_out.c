/*
 * The factory run's outputs (suanli/factory.h): its summary keys
 * (factory.*, written as factory.json and listed in docs/outputs.md) and
 * factory_daily.csv, one row per day of the measured window.  Numbers are
 * formatted the same way for the same doubles (sl_fmt_fixed and the
 * summary's writer), so the same run gives the same bytes.
 */
#include "suanli/factory.h"

#include "suanli/diag.h"

#include <stdio.h>
#include <string.h>

#define NUM(k, v)                                                                                  \
    do {                                                                                           \
        if ((rc = sl_summary_num(s, k, v)) != SL_OK)                                               \
            return rc;                                                                             \
    } while (0)
#define INT(k, v)                                                                                  \
    do {                                                                                           \
        if ((rc = sl_summary_int(s, k, (int64_t)(v))) != SL_OK)                                    \
            return rc;                                                                             \
    } while (0)

/* A station's name as one key segment: a dot would nest. */
static void key_name(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s", name);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = '_';
}

int sl_factory_summary(const struct sl_factory_result *r, struct sl_summary *s)
{
    int rc;
    NUM("factory.window_days", r->window_s / 86400.0);
    INT("factory.servers_started", r->started);
    INT("factory.servers_shipped", r->shipped);
    NUM("factory.servers_per_day", r->per_day);
    NUM("factory.servers_per_year", r->per_year);
    NUM("factory.wip_mean", r->wip_mean);
    NUM("factory.cycle_time_h.mean", r->ct_mean_s / 3600.0);
    NUM("factory.cycle_time_h.p50", r->ct_p50_s / 3600.0);
    NUM("factory.cycle_time_h.p95", r->ct_p95_s / 3600.0);
    NUM("factory.little.wip_from_cycle_time", r->little_wip);
    NUM("factory.little.error", r->little_error);
    if (r->nstations > 0 &&
        (rc = sl_summary_str(s, "factory.bottleneck", r->stations[r->bottleneck].name)) != SL_OK)
        return rc;
    for (size_t i = 0; i < r->nstations; i++) {
        const struct sl_factory_station *st = &r->stations[i];
        char name[300], k[400];
        key_name(st->name, name, sizeof name);
#define SKEY(field) (snprintf(k, sizeof k, "factory.stations.%s." field, name), k)
        INT(SKEY("machines"), st->machines);
        NUM(SKEY("utilisation"), st->utilisation);
        NUM(SKEY("busy"), st->busy);
        NUM(SKEY("blocked"), st->blocked);
        NUM(SKEY("down"), st->down);
        INT(SKEY("passed"), st->passed);
        INT(SKEY("failed"), st->failed);
        NUM(SKEY("energy_mwh"), st->energy_j / 3.6e9);
#undef SKEY
    }
    INT("factory.burnin.slots", r->burnin_slots);
    NUM("factory.burnin.occupancy_mean", r->burnin_mean);
    NUM("factory.burnin.occupancy_max", r->burnin_max);
    NUM("factory.burnin.server_kw", r->burnin_server_w * 1e-3);
    NUM("factory.burnin.power_kw_mean", r->burnin_kw_mean);
    NUM("factory.burnin.power_kw_max", r->burnin_kw_max);
    NUM("factory.burnin.energy_mwh", r->burnin_energy_j / 3.6e9);
    INT("factory.burnin.failures", r->burnin_failures);
    INT("factory.burnin.passed", r->burnin_passed);
    NUM("factory.energy_mwh.line", r->line_energy_j / 3.6e9);
    NUM("factory.energy_mwh.total", (r->line_energy_j + r->burnin_energy_j) / 3.6e9);
    NUM("factory.energy_kwh_per_server", r->kwh_per_server);
    INT("factory.events", r->events);
    return SL_OK;
}

void sl_factory_write_daily(const struct sl_factory_result *r, FILE *out)
{
    fputs("day,started,shipped,wip_mean,burnin_mean,burnin_max,burnin_kw_mean,burnin_kw_max,"
          "burnin_failures,energy_kwh\n",
          out);
    for (size_t i = 0; i < r->ndays; i++) {
        const struct sl_factory_day *d = &r->days[i];
        char line[512], *p = line;
        p += snprintf(p, 96, "%zu,%llu,%llu,", i + 1, (unsigned long long)d->started,
                      (unsigned long long)d->shipped);
        p = sl_fmt_fixed(p, d->wip_mean, 2);
        *p++ = ',';
        p = sl_fmt_fixed(p, d->burnin_mean, 2);
        p += snprintf(p, 32, ",%lld,", (long long)d->burnin_max);
        p = sl_fmt_fixed(p, d->burnin_kw_mean, 1);
        *p++ = ',';
        p = sl_fmt_fixed(p, d->burnin_kw_max, 1);
        p += snprintf(p, 32, ",%llu,", (unsigned long long)d->burnin_failures);
        p = sl_fmt_fixed(p, d->energy_kwh, 1);
        *p++ = '\n';
        fwrite(line, 1, (size_t)(p - line), out);
    }
}
