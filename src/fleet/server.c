/*
 * Server power (see server.h).
 */
#include "fleet/server.h"

#include "suanli/diag.h"

#include <string.h>

static void loads(const struct sl_server_calc *c, double cards_w, double h, double liquid_share,
                  int immersion, struct sl_server_power *p)
{
    const struct sl_server_model *m = c->m;
    double cpu = c->cpu->idle_w + (c->cpu->tdp_w - c->cpu->idle_w) * h;
    double boards = cards_w + (double)m->cpus * cpu;
    double rest = m->memory_idle_w + (m->memory_w - m->memory_idle_w) * h + m->nic_idle_w +
                  (m->nic_w - m->nic_idle_w) * h + m->other_w;
    double liquid = immersion ? liquid_share * (boards + rest) : liquid_share * boards;
    double air = boards + rest - liquid;
    double fan = 0;
    if (!immersion) {
        double x = air * c->inv_air_design;
        if (x > 1)
            x = 1;
        fan = m->fan_idle_w + (m->fan_w - m->fan_idle_w) * x * x * x;
    }
    p->board_w = boards;
    p->silicon_w = c->board_eff * boards;
    p->fan_w = fan;
    p->dc_w = boards + rest + fan;
    p->liquid_heat_w = liquid;
}

/* The PSU stage's name: writable static storage, as a stage's `char *`
 * name wants (suanli/list.h); never written. */
static char psu_name[] = "psu";

int sl_server_calc_init(struct sl_server_calc *c, const struct sl_server_model *m,
                        const struct sl_device_model *dev, const struct sl_cpu_model *cpu,
                        const struct sl_chain_spec *chain, double liquid_share, int immersion,
                        struct sl_diag *d)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->dev = dev;
    c->cpu = cpu;
    c->full_cards_w = (double)m->cards * dev->tdp_w;
    c->liquid_share = liquid_share;
    c->immersion = immersion;
    c->board_eff = sl_chain_board_efficiency(chain);

    /* The server's PSUs as a stage on their 80 PLUS curve. */
    const double *lp, *ep;
    size_t np = sl_psu_curve(m->psu_grade, &lp, &ep);
    for (size_t i = 0; i < np; i++) {
        c->psu_curve[i].load = lp[i];
        c->psu_curve[i].eff = ep[i];
    }
    c->psu.name = psu_name;
    c->psu.scope = SL_SCOPE_SERVER;
    c->psu.units = m->psus;
    c->psu.rating_w = m->psu_rating_w;
    c->psu.curve.items = c->psu_curve;
    c->psu.curve.n = np;

    /* Air heat at full load with no liquid: what the fans are sized for
     * (air_design_w is still 0 here, so the fan term is its floor). */
    struct sl_server_power full;
    loads(c, c->full_cards_w, 1.0, 0, 0, &full);
    c->air_design_w = full.dc_w - full.fan_w;
    c->inv_air_design = c->air_design_w > 0 ? 1.0 / c->air_design_w : 0;

    const struct sl_stage_spec *st = chain->stages.items;
    for (size_t i = 0; i < chain->stages.n; i++) {
        if (st[i].scope != SL_SCOPE_SERVER)
            continue;
        if (c->stack.n == SL_MAX_SERVER_STAGES)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "power chain '%s' has more than %d server stages", chain->name,
                               SL_MAX_SERVER_STAGES);
        c->stack.stage[c->stack.n++] = st[i].from_server ? &c->psu : &st[i];
    }
    /* Size the server stages from the design (full-load) output, last
     * stage first, and check the PSUs can carry it without the spares. */
    loads(c, c->full_cards_w, 1.0, liquid_share, immersion, &full);
    double out = full.dc_w;
    for (size_t k = c->stack.n; k-- > 0;) {
        const struct sl_stage_spec *s = c->stack.stage[k];
        if (s == &c->psu) {
            c->stack.capacity_w[k] = m->psu_rating_w * (double)m->psus;
            double usable = m->psu_rating_w * (double)(m->psus - m->psus_spare);
            if (out > usable)
                return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                                   "server '%s': its %lld PSUs of %.0f W (%lld spare) cannot "
                                   "carry %.0f W at full load",
                                   m->name, (long long)m->psus, m->psu_rating_w,
                                   (long long)m->psus_spare, out);
        } else {
            c->stack.capacity_w[k] = sl_stage_capacity_w(s, out);
        }
        out = sl_stage_input_w(s, c->stack.capacity_w[k], out);
    }
    sl_stack_compile(&c->stack);
    return SL_OK;
}

void sl_server_eval(const struct sl_server_calc *c, double cards_w, double host,
                    struct sl_server_power *out)
{
    loads(c, cards_w, host, c->liquid_share, c->immersion, out);
    out->input_w = sl_stack_input_w(&c->stack, out->dc_w, NULL);
}

void sl_server_poly_init(const struct sl_server_calc *c, double cps, double idle_w, double range_w,
                         double share, struct sl_server_poly *q)
{
    const struct sl_server_model *m = c->m;
    double cpus = (double)m->cpus, cpu_range = c->cpu->tdp_w - c->cpu->idle_w;
    q->boards.c0 = cps * idle_w + cpus * c->cpu->idle_w;
    q->boards.c1 = cps * range_w + cpus * cpu_range * share;
    q->rest.c0 = m->memory_idle_w + m->nic_idle_w + m->other_w;
    q->rest.c1 = ((m->memory_w - m->memory_idle_w) + (m->nic_w - m->nic_idle_w)) * share;
    double ls = c->liquid_share;
    q->liquid.c0 = c->immersion ? ls * (q->boards.c0 + q->rest.c0) : ls * q->boards.c0;
    q->liquid.c1 = c->immersion ? ls * (q->boards.c1 + q->rest.c1) : ls * q->boards.c1;
    q->x.c0 = (q->boards.c0 + q->rest.c0 - q->liquid.c0) * c->inv_air_design;
    q->x.c1 = (q->boards.c1 + q->rest.c1 - q->liquid.c1) * c->inv_air_design;
    q->fans = !c->immersion;
    q->fan0 = m->fan_idle_w;
    q->fan1 = m->fan_w - m->fan_idle_w;
}

void sl_server_eval_poly(const struct sl_server_calc *c, const struct sl_server_poly *q, double a,
                         struct sl_server_power *out)
{
    double boards = q->boards.c0 + q->boards.c1 * a;
    double rest = q->rest.c0 + q->rest.c1 * a;
    double fan = 0;
    if (q->fans) {
        double x = q->x.c0 + q->x.c1 * a;
        if (x > 1)
            x = 1;
        fan = q->fan0 + q->fan1 * (x * x * x);
    }
    out->board_w = boards;
    out->silicon_w = c->board_eff * boards;
    out->fan_w = fan;
    out->dc_w = (boards + rest) + fan;
    out->liquid_heat_w = q->liquid.c0 + q->liquid.c1 * a;
    out->input_w = sl_stack_input_w(&c->stack, out->dc_w, NULL);
}

void sl_server_eval_full(const struct sl_server_calc *c, struct sl_server_power *out)
{
    sl_server_eval(c, c->full_cards_w, 1.0, out);
}

int sl_server_model_power(const struct sl_server_model *m, const struct sl_device_model *dev,
                          const struct sl_cpu_model *cpu, const struct sl_chain_spec *chain,
                          double *full_w, double *idle_w, struct sl_diag *d)
{
    struct sl_server_calc c;
    int rc = sl_server_calc_init(&c, m, dev, cpu, chain, 0, 0, d);
    if (rc != SL_OK)
        return rc;
    struct sl_server_power p;
    sl_server_eval_full(&c, &p);
    if (full_w)
        *full_w = p.input_w;
    sl_server_eval(&c, (double)m->cards * dev->idle_w, 0, &p);
    if (idle_w)
        *idle_w = p.input_w;
    return SL_OK;
}
