/*
 * Checks of the `power` section's limits below the site against each other
 * and against the fleet (docs/model.md, "Power limits in a hierarchy, ramps
 * and admission").  A limit that no operation could keep is refused at
 * load, at the key's position:
 *   - a card limit range that is empty (`power.card.min_limit` above
 *     `max_limit`) or whose top is below a pool's idle card power;
 *   - a rack limit below the input of an all-idle rack (lower bound: the
 *     servers' inputs with every card idle and the hosts idle, without the
 *     rack stages' losses, so a refused limit is certainly too low);
 *   - a row limit without `power.row.racks`, below the sum of its racks'
 *     idle inputs, or below the rack limit (a rack limit above its row's
 *     limit contradicts it);
 *   - a burn load without a ramp limit to decay at.
 */
#include "config/scenario_int.h"

#include "fleet/server.h"
#include "suanli/alloc.h"

#include <stdio.h>

/* Idle input of each server of pool p (every card idle, hosts idle). */
static int server_idle_w(const struct sl_scenario *sc, const struct sl_pool_res *p, double *out,
                         struct sl_diag *d)
{
    struct sl_server_calc calc;
    int rc = sl_server_calc_init(&calc, p->server, p->device, p->cpu, sc->chain,
                                 sc->cooling->liquid_share,
                                 sc->cooling->kind == SL_COOLING_IMMERSION, d);
    if (rc != SL_OK)
        return rc;
    struct sl_server_power sp;
    sl_server_eval(&calc, p->device->idle_w * (double)p->server->cards, 0, &sp);
    *out = sp.input_w;
    return SL_OK;
}

int sl__scenario_check_power(const struct sl_scenario *sc, const struct sl_ynode *root,
                             struct sl_diag *d)
{
    const struct sl_power_cfg *c = &sc->power;
    char msg[512];
    if (c->card.min_limit > c->card.max_limit) {
        snprintf(msg, sizeof msg,
                 "'power.card.min_limit' (%.4g %%) is above 'power.card.max_limit' (%.4g %%): the "
                 "card limit range is empty",
                 c->card.min_limit * 100, c->card.max_limit * 100);
        return sl__scenario_pair_error(root, "power.card.min_limit", "power.card.max_limit", d,
                                       msg);
    }
    for (size_t k = 0; k < sc->npools; k++) {
        const struct sl_device_model *dev = sc->pools[k].device;
        if (c->card.max_limit * dev->tdp_w <= dev->idle_w) {
            snprintf(msg, sizeof msg,
                     "'power.card.max_limit' (%.4g %% of %s's %.0f W TDP) is at or below its idle "
                     "power (%.0f W): its cards could not work",
                     c->card.max_limit * 100, dev->name, dev->tdp_w, dev->idle_w);
            return sl__scenario_path_error(root, "power.card.max_limit", d, msg);
        }
    }
    if (c->ramp.burn && c->ramp.limit_mw_per_min <= 0)
        return sl__scenario_pair_error(root, "power.ramp.burn", "power.ramp.limit", d,
                                       "'power.ramp.burn' needs 'power.ramp.limit' (the rate the "
                                       "burn load decays at)");
    if (c->row.limit_w > 0 && c->row.racks <= 0)
        return sl__scenario_pair_error(root, "power.row.limit", "power.row.racks", d,
                                       "'power.row.limit' needs 'power.row.racks' (racks per row)");
    int rows = c->row.limit_w > 0 && c->row.racks > 0;
    if (c->rack.limit_w > 0 && rows && c->rack.limit_w > c->row.limit_w) {
        snprintf(msg, sizeof msg,
                 "'power.rack.limit' (%.4g kW) is above 'power.row.limit' (%.4g kW): one rack "
                 "could exceed its whole row's limit",
                 c->rack.limit_w * 1e-3, c->row.limit_w * 1e-3);
        return sl__scenario_pair_error(root, "power.rack.limit", "power.row.limit", d, msg);
    }
    if (c->rack.limit_w <= 0 && !rows)
        return SL_OK;
    double row_w = 0;
    int64_t in_row = 0, row = 0;
    for (size_t k = 0; k < sc->npools; k++) {
        const struct sl_pool_res *p = &sc->pools[k];
        double srv_w;
        int rc = server_idle_w(sc, p, &srv_w, d);
        if (rc != SL_OK)
            return rc;
        for (int64_t r = 0; r < p->racks; r++) {
            int64_t n = p->servers - r * p->servers_per_rack;
            if (n > p->servers_per_rack)
                n = p->servers_per_rack;
            double rack_w = srv_w * (double)n;
            if (c->rack.limit_w > 0 && rack_w > c->rack.limit_w) {
                snprintf(msg, sizeof msg,
                         "'power.rack.limit' (%.4g kW) is below the input of an idle rack of pool "
                         "'%s' (%lld servers: at least %.4g kW with every card idle)",
                         c->rack.limit_w * 1e-3, p->name, (long long)n, rack_w * 1e-3);
                return sl__scenario_path_error(root, "power.rack.limit", d, msg);
            }
            if (!rows)
                continue;
            row_w += rack_w;
            if (++in_row == c->row.racks || (k + 1 == sc->npools && r + 1 == p->racks)) {
                if (row_w > c->row.limit_w) {
                    snprintf(msg, sizeof msg,
                             "'power.row.limit' (%.4g kW) is below the input of row %lld with "
                             "every card idle (at least %.4g kW over %lld racks)",
                             c->row.limit_w * 1e-3, (long long)row, row_w * 1e-3,
                             (long long)in_row);
                    return sl__scenario_path_error(root, "power.row.limit", d, msg);
                }
                row++;
                in_row = 0;
                row_w = 0;
            }
        }
    }
    return SL_OK;
}
