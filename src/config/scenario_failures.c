/*
 * The `failures` section: checks the component classes beyond what their
 * schema rows can say, and resolves the fabric ratios a job's share of
 * the switch and link events is taken from (sl_faults_job_mtti_h).
 *
 * The schema gives every class its own defaults (docs/model.md, "Failures
 * in service") and rejects negative rates, shares outside [0, 1], an
 * infant shape outside (0, 1) and negative spares at their file:line:col;
 * here: a wear-out shape must be above 1 and come with a scale, and a
 * facility class's redundant units must leave at least one needed unit.
 * The fabric ratios are links, leaves and spines (spines and cores) per
 * card of the scenario's fabric, or those of a 16,384-card three-tier
 * non-blocking fat tree (the Llama 3 reference) without one.
 */
#include "config/fabric_cfg.h"
#include "config/scenario_int.h"
#include "faults/hazard.h"

#include <stdio.h>

/* The Llama 3 reference fabric (2,048 servers under the default fat tree
 * of 64-port switches split to 128 ports): 49,152 links, 256 leaves and
 * 384 spines and cores for 16,384 cards. */
#define REF_LINKS_PER_CARD  3.0
#define REF_LEAVES_PER_CARD (256.0 / 16384)
#define REF_SPINES_PER_CARD (384.0 / 16384)

static int resolve_fabric(struct sl_scenario *sc, struct sl_diag *d)
{
    struct sl_failures_cfg *c = &sc->failures;
    c->links_per_card = REF_LINKS_PER_CARD;
    c->leaves_per_card = REF_LEAVES_PER_CARD;
    c->spines_per_card = REF_SPINES_PER_CARD;
    c->rack_servers = sc->npools > 0 ? (double)sc->pools[0].servers_per_rack : 0;
    size_t servers = sl_fabric_cfg_servers(sc);
    size_t cards = 0;
    for (size_t k = 0; k < sc->npools; k++)
        cards += (size_t)sc->pools[k].cards;
    if (servers == 0 || cards == 0)
        return SL_OK;
    struct sl_fabric f;
    int built = 0;
    int rc = sl_fabric_cfg_build(&sc->fleet.fabric, servers, 0, &f, &built, d);
    if (rc != SL_OK)
        return rc == SL_ENOMEM ? rc : SL_OK; /* reported by the fabric's own check */
    if (built) {
        c->links_per_card = (double)f.links / (double)cards;
        c->leaves_per_card = (double)f.leaves / (double)cards;
        c->spines_per_card = (double)(f.spines + f.cores) / (double)cards;
        /* As the failure source's blast radius (src/workload/failures.c):
         * spines blip their pod in three tiers, the site in two; cores
         * the site; spine-to-core links their pod. */
        size_t pods = f.pods > 0 ? f.pods : 1;
        c->fabric_known = 1;
        c->server_links_per_card = (double)f.server_links / (double)cards;
        c->uplinks_per_leaf = (double)f.uplinks;
        /* A full pod's cards (the last pod may hold fewer). */
        c->pod_cards = f.tiers == 3 ? (double)(f.blocks_per_pod * f.per_block) * (double)cards /
                                          (double)servers
                                    : (double)cards;
        c->pod_spines = f.tiers == 3 ? (double)f.spines / (double)pods : 0;
        c->pod_links = f.tiers == 3 ? (double)f.spine_core_links / (double)pods : 0;
        c->site_spines = f.tiers == 3 ? (double)f.cores : (double)f.spines;
        sl_fabric_release(&f);
    }
    return SL_OK;
}

int sl__scenario_check_failures(struct sl_scenario *sc, const struct sl_ynode *root,
                                struct sl_diag *d)
{
    char msg[512], path[96];
    for (int k = 0; k < SL_FC_COUNT; k++) {
        const struct sl_fault_class_cfg *f = &sc->failures.cls[k];
        const char *name = sl_fault_class_names[k];
        if (f->wear_beta > 0 && f->wear_beta <= 1) {
            snprintf(path, sizeof path, "failures.%s.wear_beta", name);
            snprintf(msg, sizeof msg,
                     "'%s' is %.4g: a wear-out component needs a Weibull shape above 1 (0 turns "
                     "it off; a shape below 1 is infant mortality, see 'infant_beta')",
                     path, f->wear_beta);
            return sl__scenario_path_error(root, path, d, msg);
        }
        if (f->wear_beta > 0 && !(f->wear_scale_y > 0)) {
            snprintf(path, sizeof path, "failures.%s.wear_scale", name);
            snprintf(msg, sizeof msg,
                     "'failures.%s.wear_beta' is set but '%s' is 0: give the wear-out scale in "
                     "years (Titan K20X: 7.1)",
                     name, path);
            return sl__scenario_path_error(root, path, d, msg);
        }
        if (f->units > 0 && f->redundant >= f->units) {
            snprintf(path, sizeof path, "failures.%s.redundant", name);
            snprintf(msg, sizeof msg,
                     "'%s' (%lld) must be below 'failures.%s.units' (%lld): at least one unit "
                     "must be needed",
                     path, (long long)f->redundant, name, (long long)f->units);
            return sl__scenario_path_error(root, path, d, msg);
        }
    }
    return resolve_fabric(sc, d);
}
