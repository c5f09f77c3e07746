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
    return p;
}

double sl_stack_input_w(const struct sl_stage_stack *s, double out_w, double *loss_w)
{
    double p = out_w;
    for (size_t k = s->n; k-- > 0;) {
        double in = sl_stage_input_w(s->stage[k], s->capacity_w[k], p);
        if (loss_w)
            loss_w[k] = in - p;
        p = in;
    }
    return p;
}
