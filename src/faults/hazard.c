/*
 * Failure hazards: a constant rate plus Weibull terms, their cumulative
 * hazard, inversion for sampling, and the hazards of the component
 * classes, a whole server and a synchronous job (see hazard.h for the
 * model; docs/model.md, "Failures in service", for the numbers).
 */
#include "faults/hazard.h"

#include <math.h>

#include "suanli/diag.h"

#define T_MAX_H 1e12 /* beyond this a failure is "never" */

const char *const sl_fault_class_names[] = {
    "gpu",     "hbm",  "sram",       "gsp",          "thermal", "sdc",       "cpu",
    "dram",    "ssd",  "psu",        "board",        "host",    "nic",       "leaf",
    "spine",   "link", "rack_power", "rack_cooling", "ups",     "rectifier", "sst",
    "chiller", "cdu",  "dry_cooler", "software",     NULL,
};

const int sl_fault_class_unit[SL_FC_COUNT] = {
    [SL_FC_GPU] = SL_FU_CARD,        [SL_FC_HBM] = SL_FU_CARD,
    [SL_FC_SRAM] = SL_FU_CARD,       [SL_FC_GSP] = SL_FU_CARD,
    [SL_FC_THERMAL] = SL_FU_CARD,    [SL_FC_SDC] = SL_FU_CARD,
    [SL_FC_CPU] = SL_FU_SERVER,      [SL_FC_DRAM] = SL_FU_SERVER,
    [SL_FC_SSD] = SL_FU_SERVER,      [SL_FC_PSU] = SL_FU_SERVER,
    [SL_FC_BOARD] = SL_FU_SERVER,    [SL_FC_HOST] = SL_FU_SERVER,
    [SL_FC_NIC] = SL_FU_SERVER,      [SL_FC_LEAF] = SL_FU_LEAF,
    [SL_FC_SPINE] = SL_FU_SPINE,     [SL_FC_LINK] = SL_FU_LINK,
    [SL_FC_RACK_POWER] = SL_FU_RACK, [SL_FC_RACK_COOLING] = SL_FU_RACK,
    [SL_FC_UPS] = SL_FU_FACILITY,    [SL_FC_RECTIFIER] = SL_FU_FACILITY,
    [SL_FC_SST] = SL_FU_FACILITY,    [SL_FC_CHILLER] = SL_FU_FACILITY,
    [SL_FC_CDU] = SL_FU_FACILITY,    [SL_FC_DRY_COOLER] = SL_FU_FACILITY,
    [SL_FC_SOFTWARE] = SL_FU_CARD,
};

const int sl_fault_class_pool[SL_FC_COUNT] = {
    [SL_FC_GPU] = SL_SP_CARD,        [SL_FC_HBM] = SL_SP_CARD,
    [SL_FC_SRAM] = SL_SP_CARD,       [SL_FC_GSP] = SL_SP_CARD,
    [SL_FC_THERMAL] = SL_SP_CARD,    [SL_FC_SDC] = SL_SP_CARD,
    [SL_FC_CPU] = SL_SP_HOST,        [SL_FC_DRAM] = SL_SP_HOST,
    [SL_FC_SSD] = SL_SP_HOST,        [SL_FC_PSU] = SL_SP_HOST,
    [SL_FC_BOARD] = SL_SP_HOST,      [SL_FC_HOST] = SL_SP_HOST,
    [SL_FC_NIC] = SL_SP_HOST,        [SL_FC_LEAF] = SL_SP_SWITCH,
    [SL_FC_SPINE] = SL_SP_SWITCH,    [SL_FC_LINK] = SL_SP_LINK,
    [SL_FC_RACK_POWER] = SL_SP_RACK, [SL_FC_RACK_COOLING] = SL_SP_RACK,
    [SL_FC_UPS] = SL_SP_FACILITY,    [SL_FC_RECTIFIER] = SL_SP_FACILITY,
    [SL_FC_SST] = SL_SP_FACILITY,    [SL_FC_CHILLER] = SL_SP_FACILITY,
    [SL_FC_CDU] = SL_SP_FACILITY,    [SL_FC_DRY_COOLER] = SL_SP_FACILITY,
    [SL_FC_SOFTWARE] = SL_SP_NONE,
};

const char *const sl_spare_pool_names[] = {"card", "host",     "switch", "link",
                                           "rack", "facility", NULL};

void sl_hazard_init(struct sl_hazard *h)
{
    h->rate_per_h = 0;
    h->nterms = 0;
}

int sl_hazard_add_term(struct sl_hazard *h, double w, double beta, double scale_h)
{
    if (!(w >= 0) || !isfinite(w) || !(beta > 0) || !isfinite(beta) || !(scale_h > 0) ||
        !isfinite(scale_h))
        return SL_EINVAL;
    if (w == 0)
        return SL_OK;
    for (size_t k = 0; k < h->nterms; k++) {
        if (h->term[k].beta == beta && h->term[k].scale_h == scale_h) {
            h->term[k].w += w;
            return SL_OK;
        }
    }
    if (h->nterms == SL_HAZARD_TERMS)
        return SL_ERANGE;
    h->term[h->nterms++] = (struct sl_hazard_term){w, beta, scale_h};
    return SL_OK;
}

int sl_hazard_add(struct sl_hazard *h, const struct sl_hazard *g, double n)
{
    if (!(n >= 0) || !isfinite(n))
        return SL_EINVAL;
    if (n == 0)
        return SL_OK;
    h->rate_per_h += n * g->rate_per_h;
    for (size_t k = 0; k < g->nterms; k++) {
        int rc = sl_hazard_add_term(h, n * g->term[k].w, g->term[k].beta, g->term[k].scale_h);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

double sl_hazard_rate(const struct sl_hazard *h, double age_h)
{
    double r = h->rate_per_h;
    for (size_t k = 0; k < h->nterms; k++) {
        const struct sl_hazard_term *t = &h->term[k];
        r += t->w * t->beta / t->scale_h * pow(age_h / t->scale_h, t->beta - 1);
    }
    return r;
}

double sl_hazard_cum(const struct sl_hazard *h, double age_h)
{
    double c = h->rate_per_h * age_h;
    for (size_t k = 0; k < h->nterms; k++) {
        const struct sl_hazard_term *t = &h->term[k];
        c += t->w * pow(age_h / t->scale_h, t->beta);
    }
    return c;
}

/* H(a0 + t) - H(a0), each term differenced on its own. */
static double cum_diff(const struct sl_hazard *h, double a0, double t)
{
    double c = h->rate_per_h * t;
    for (size_t k = 0; k < h->nterms; k++) {
        const struct sl_hazard_term *q = &h->term[k];
        c += q->w * (pow((a0 + t) / q->scale_h, q->beta) - pow(a0 / q->scale_h, q->beta));
    }
    return c;
}

double sl_hazard_fail_prob(const struct sl_hazard *h, double age0_h, double dt_h)
{
    if (!(dt_h > 0))
        return 0;
    return -expm1(-cum_diff(h, age0_h, dt_h));
}

double sl_hazard_invert(const struct sl_hazard *h, double age0_h, double e)
{
    if (h->nterms == 0)
        return h->rate_per_h > 0 ? e / h->rate_per_h : INFINITY;
    if (h->rate_per_h == 0 && h->nterms == 1) {
        const struct sl_hazard_term *q = &h->term[0];
        double h0 = q->w * pow(age0_h / q->scale_h, q->beta);
        double a1 = q->scale_h * pow((h0 + e) / q->w, 1 / q->beta);
        double t = a1 - age0_h;
        return t > T_MAX_H ? INFINITY : (t > 0 ? t : 0);
    }
    /* Bracket [lo, hi] with G(lo) < 0 <= G(hi), G(t) = H(a0 + t) - H(a0) - e. */
    double lo = 0, hi = 1;
    while (cum_diff(h, age0_h, hi) < e) {
        lo = hi;
        hi *= 4;
        if (hi > T_MAX_H)
            return INFINITY;
    }
    double t = 0.5 * (lo + hi);
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
        double g = cum_diff(h, age0_h, t) - e;
        if (g < 0)
            lo = t;
        else
            hi = t;
        if (g == 0)
            break;
        double r = sl_hazard_rate(h, age0_h + t);
        double nt = (r > 0 && isfinite(r)) ? t - g / r : -1;
        t = (nt > lo && nt < hi) ? nt : 0.5 * (lo + hi);
    }
    return t;
}

double sl_hazard_sample(const struct sl_hazard *h, double age0_h, struct sl_rng *rng)
{
    if (h->nterms == 0 && h->rate_per_h <= 0)
        return INFINITY;
    return sl_hazard_invert(h, age0_h, sl_rng_std_exponential(rng));
}

int sl_fault_class_hazard(const struct sl_fault_class_cfg *c, struct sl_hazard *out)
{
    sl_hazard_init(out);
    double s = c->infant_share > 0 ? c->infant_share : 0;
    out->rate_per_h = (1 - s) * c->rate / SL_FAULT_H_PER_YEAR;
    if (s > 0 && c->rate > 0 && c->infant_beta > 0) {
        int rc = sl_hazard_add_term(out, s * c->rate, c->infant_beta, SL_FAULT_H_PER_YEAR);
        if (rc != SL_OK)
            return rc;
    } else if (s > 0) {
        out->rate_per_h = c->rate / SL_FAULT_H_PER_YEAR;
    }
    if (c->wear_beta > 0 && c->wear_scale_y > 0)
        return sl_hazard_add_term(out, 1, c->wear_beta, c->wear_scale_y * SL_FAULT_H_PER_YEAR);
    return SL_OK;
}

int sl_faults_server_hazard(const struct sl_failures_cfg *c, size_t cards_per_server,
                            struct sl_hazard *out)
{
    sl_hazard_init(out);
    for (int k = 0; k < SL_FC_COUNT; k++) {
        int unit = sl_fault_class_unit[k];
        if (unit != SL_FU_CARD && unit != SL_FU_SERVER)
            continue;
        struct sl_hazard one;
        int rc = sl_fault_class_hazard(&c->cls[k], &one);
        if (rc == SL_OK)
            rc = sl_hazard_add(out, &one, unit == SL_FU_CARD ? (double)cards_per_server : 1.0);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

double sl_faults_start_age_h(const struct sl_scenario *sc)
{
    return (double)(sc->burnin.duration_us + sc->failures.start_age_us) / 3.6e9;
}

/* First-year mean events per unit-year of class k (infant and constant). */
static double class_rate_py(const struct sl_failures_cfg *c, int k)
{
    return c->cls[k].rate;
}

void sl_faults_job_span_compact(const struct sl_failures_cfg *c, size_t cards, size_t servers,
                                struct sl_job_span *out)
{
    out->cards = (double)cards;
    out->servers = (double)servers;
    out->leaves = fmax(c->leaves_per_card * (double)cards, 1);
    out->pods = c->fabric_known && c->pod_cards > 0 ? ceil((double)cards / c->pod_cards) : 1;
    out->racks = c->rack_servers > 0 ? ceil((double)servers / c->rack_servers) : 1;
}

double sl_faults_span_class_rate_ph(const struct sl_failures_cfg *c, const struct sl_job_span *sp,
                                    int k)
{
    int multi = sp->servers > 1;
    double leaves = multi ? fmax(sp->leaves, 1) : 0;
    double n = 0;
    switch (sl_fault_class_unit[k]) {
    case SL_FU_CARD:
        n = sp->cards;
        break;
    case SL_FU_SERVER:
        n = sp->servers;
        break;
    case SL_FU_RACK:
        n = sp->servers > 0 ? fmax(sp->racks, 1) : 0;
        break;
    case SL_FU_LEAF:
        n = leaves;
        break;
    case SL_FU_SPINE:
        /* A gang stops on any switch its collectives cross: every spine
         * of the pods it spans (ECMP spreads its traffic over all of
         * them), or of the site. */
        if (multi)
            n = c->fabric_known ? fmax(sp->pods, 1) * c->pod_spines + c->site_spines
                                : c->spines_per_card * sp->cards;
        break;
    case SL_FU_LINK:
        /* Its servers' links, its leaves' uplinks and its pods'
         * spine-to-core links. */
        if (multi)
            n = c->fabric_known
                    ? c->server_links_per_card * sp->cards + leaves * c->uplinks_per_leaf +
                          fmax(sp->pods, 1) * c->pod_links
                    : c->links_per_card * sp->cards;
        break;
    default:
        break;
    }
    return n * class_rate_py(c, k) / SL_FAULT_H_PER_YEAR;
}

double sl_faults_span_rate_ph(const struct sl_failures_cfg *c, const struct sl_job_span *sp)
{
    double r = 0;
    for (int k = 0; k < SL_FC_COUNT; k++)
        r += sl_faults_span_class_rate_ph(c, sp, k);
    return r;
}

double sl_faults_job_rate_ph(const struct sl_failures_cfg *c, size_t cards, size_t servers)
{
    struct sl_job_span sp;
    sl_faults_job_span_compact(c, cards, servers, &sp);
    return sl_faults_span_rate_ph(c, &sp);
}

double sl_faults_job_mtti_h(const struct sl_failures_cfg *c, size_t cards, size_t servers)
{
    double r = sl_faults_job_rate_ph(c, cards, servers);
    return r > 0 ? 1 / r : INFINITY;
}
