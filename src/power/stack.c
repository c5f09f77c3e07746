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
            f->inv_eff = 1.0 / st->efficiency;
        } else if (!(cap > 0)) {
            f->kind = 0;
        } else if (st->curve.n > 0 && st->curve.n <= SL_FAST_TABLE) {
            const struct sl_eff_point *p = st->curve.items;
            f->kind = 2;
            f->n = st->curve.n;
            /* Below the first point: half the loss there is fixed, half
             * falls with the load (chain.h). */
            double loss0 = p[0].load * cap * (1.0 / p[0].eff - 1.0);
            f->below0 = 0.5 * loss0;
            f->below1 = 0.5 * loss0 / (p[0].load * cap);
            for (size_t i = 0; i < f->n; i++) {
                f->out[i] = p[i].load * cap;
                if (i + 1 < f->n) {
                    double slope = (p[i + 1].eff - p[i].eff) / (p[i + 1].load - p[i].load);
                    f->b[i] = slope / cap;
                    f->a[i] = p[i].eff - slope * p[i].load;
                } else {
                    f->a[i] = p[i].eff;
                    f->b[i] = 0;
                }
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
        return out * f->inv_eff;
    case 2: {
        if (out < f->out[0])
            return out + (f->below0 + f->below1 * out);
        size_t i = 0;
        while (i + 1 < f->n && out > f->out[i + 1])
            i++;
        return out / (f->a[i] + f->b[i] * out);
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
    if (s->n == 0)
        return out_w;
    double p = out_w;
    for (size_t k = s->n; k-- > 0;) {
        double in = fast_input(s, k, p);
        if (loss_w)
            loss_w[k] = in - p;
        p = in;
    }
    return p;
}
