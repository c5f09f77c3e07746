/*
 * Stacks of conversion stages (see stack.h).
 */
#include "power/stack.h"

#include "suanli/diag.h"

#include <string.h>

int sl_stack_collect(struct sl_stage_stack *s, const struct sl_chain_spec *c, int scope)
{
    memset(s, 0, sizeof *s);
    const struct sl_stage_spec *st = c->stages.items;
    for (size_t i = 0; i < c->stages.n; i++) {
        if (st[i].scope != scope)
            continue;
        if (s->n == SL_STACK_MAX)
            return SL_ERANGE;
        s->stage[s->n++] = &st[i];
    }
    return SL_OK;
}

double sl_stack_size(struct sl_stage_stack *s, double design_out_w)
{
    double p = design_out_w;
    for (size_t k = s->n; k-- > 0;) {
        s->capacity_w[k] = sl_stage_capacity_w(s->stage[k], p);
        p = sl_stage_input_w(s->stage[k], s->capacity_w[k], p);
    }
    sl_stack_compile(s);
    return p;
}

void sl_stack_compile(struct sl_stage_stack *s)
{
    for (size_t k = 0; k < s->n; k++) {
        const struct sl_stage_spec *st = s->stage[k];
        struct sl_stage_fast *f = &s->fast[k];
        double cap = s->capacity_w[k];
        memset(f, 0, sizeof *f);
        if (st->efficiency > 0) {
            f->kind = 1;
            f->eff = st->efficiency;
        } else if (!(cap > 0)) {
            f->kind = 0;
        } else if (st->curve.n > 0 && st->curve.n <= SL_FAST_TABLE) {
            const struct sl_eff_point *p = st->curve.items;
            f->kind = 2;
            f->inv_cap = 1.0 / cap;
            f->n = st->curve.n;
            f->loss0 = p[0].load * cap * (1.0 / p[0].eff - 1.0);
            f->inv_load0 = 1.0 / p[0].load;
            for (size_t i = 0; i < f->n; i++) {
                f->load[i] = p[i].load;
                f->eff0[i] = p[i].eff;
                f->slope[i] =
                    i + 1 < f->n ? (p[i + 1].eff - p[i].eff) / (p[i + 1].load - p[i].load) : 0;
            }
        } else if (st->curve.n == 0) {
            f->kind = 3;
            f->inv_cap = 1.0 / cap;
            f->nl = cap * st->loss_no_load;
            f->lin = cap * st->loss_linear;
            f->sq = cap * st->loss_square;
        }
    }
}

static inline double fast_input(const struct sl_stage_stack *s, size_t k, double out)
{
    const struct sl_stage_fast *f = &s->fast[k];
    if (out < 0)
        out = 0;
    switch (f->kind) {
    case 1:
        return out / f->eff;
    case 2: {
        double load = out * f->inv_cap;
        if (load < f->load[0])
            return out + f->loss0 * (0.5 + 0.5 * load * f->inv_load0);
        size_t i = 0;
        while (i + 1 < f->n && load > f->load[i + 1])
            i++;
        double eff = i + 1 < f->n ? f->eff0[i] + (load - f->load[i]) * f->slope[i] : f->eff0[i];
        return out / eff;
    }
    case 3: {
        double load = out * f->inv_cap;
        return out + (f->nl + f->lin * load + f->sq * load * load);
    }
    default:
        return sl_stage_input_w(s->stage[k], s->capacity_w[k], out);
    }
}

double sl_stack_input_w(const struct sl_stage_stack *s, double out_w, double *loss_w)
{
    double p = out_w;
    for (size_t k = s->n; k-- > 0;) {
        double in = fast_input(s, k, p);
        if (loss_w)
            loss_w[k] = in - p;
        p = in;
    }
    return p;
}
