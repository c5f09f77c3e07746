/*
 * A stack of conversion stages: the stages of one chain at one scope, as
 * one instance (one server's PSUs and converters, one rack's power shelf,
 * the site's transformer and UPS), with each stage's installed capacity.
 *
 * Power flows up: the input of the stack for an output P is found stage by
 * stage from the load end, P_in(k) = sl_stage_input_w(stage k, cap k,
 * P_in(k+1)).  Capacities are sized once from the design output (every
 * server at full load) unless the stage has a rating.  A stack borrows its
 * stage specs: they must outlive it (they live in the scenario or in the
 * built-in presets).  Invariants: n <= SL_STACK_MAX; stage[0] is nearest the
 * grid; capacity_w[k] > 0 for every stage.
 */
#ifndef SUANLI_POWER_STACK_H
#define SUANLI_POWER_STACK_H

#include <stddef.h>

#include "suanli/chain.h"

#define SL_STACK_MAX  16
#define SL_FAST_TABLE 8

/* One stage prepared for fast evaluation (sl_stack_compile): the loss
 * model of sl_stage_input_w with divisions by constants turned into
 * products (results agree to a few ulps). */
struct sl_stage_fast {
    int kind;              /* 0 generic, 1 efficiency, 2 table, 3 loss terms */
    double inv_eff;        /* kind 1: 1 / efficiency */
    double inv_cap;        /* kind 3: 1 / capacity */
    double below0, below1; /* kind 2 below the first point: loss = below0 + below1 out */
    double nl, lin, sq;    /* kind 3: capacity x the loss terms */
    size_t n;              /* kind 2: points */
    /* kind 2: segment i covers out in [out_i, out_{i+1}) (the last one up);
     * there eff = a_i + b_i out, the table's line in watts. */
    double out[SL_FAST_TABLE], a[SL_FAST_TABLE], b[SL_FAST_TABLE];
};

struct sl_stage_stack {
    const struct sl_stage_spec *stage[SL_STACK_MAX]; /* grid first */
    double capacity_w[SL_STACK_MAX];
    size_t n;
    struct sl_stage_fast fast[SL_STACK_MAX];
};

/* Collects the stages of chain c at scope into s (capacities not yet
 * sized).  Returns SL_OK, or SL_ERANGE when there are more than
 * SL_STACK_MAX. */
int sl_stack_collect(struct sl_stage_stack *s, const struct sl_chain_spec *c, int scope);

/* Sizes every stage from the design output of the stack (its load end).
 * Returns the stack's input at design. */
double sl_stack_size(struct sl_stage_stack *s, double design_out_w);

/* Prepares the fast form of every stage; call after the capacities are
 * final (sl_stack_size does). */
void sl_stack_compile(struct sl_stage_stack *s);

/* Input power of the stack for an output power (identity for an empty
 * stack).  When loss_w is not NULL, loss_w[k] receives stage k's loss. */
double sl_stack_input_w(const struct sl_stage_stack *s, double out_w, double *loss_w);

#endif
