/*
 * Server power: from its cards' board power to the power at its input.
 *
 * The fleet (fleet.h) knows each card's phase, activity and cap, and hands
 * a server's calculator two numbers: the sum of its cards' board power and
 * the host activity h (0..1, the mean of its cards' load shares; the hosts
 * are as busy as the cards they feed).  Then
 *     CPUs   n_p * (P_idle + (P_tdp - P_idle) h)
 *     memory, NICs: idle + (max - idle) h;  other: constant
 *     fans   P_fan_idle + (P_fan - P_fan_idle) x^3,  x = air heat / air heat
 *            at full load without liquid cooling (fan affinity law: power
 *            goes with airflow cubed, airflow with the heat it carries);
 *            cold plates take `liquid_share` of card and CPU heat off the
 *            air; immersion takes liquid_share of all IT heat into the
 *            fluid (and the fans are removed).
 * The DC load then passes up through the chain's server stages (an
 * intermediate converter, the PSUs at their actual load share on the 80
 * PLUS curve) to the server input.  Board stages (voltage regulators) give
 * the silicon power: P_silicon = eta_board * (cards + CPUs).
 */
#ifndef SUANLI_FLEET_SERVER_H
#define SUANLI_FLEET_SERVER_H

#include "power/stack.h"
#include "suanli/catalog.h"
#include "suanli/chain.h"

#define SL_MAX_SERVER_STAGES 8

/* One server's power at one state.  Invariants: input_w >= dc_w >=
 * board_w >= silicon_w >= 0 and liquid_heat_w <= dc_w. */
struct sl_server_power {
    double input_w;       /* at the input of the server's first stage */
    double dc_w;          /* loads: boards, memory, NICs, other, fans */
    double board_w;       /* cards + CPUs, board input */
    double silicon_w;     /* reaching accelerator and CPU silicon */
    double fan_w;         /* part of dc_w */
    double liquid_heat_w; /* heat removed by liquid */
};

/* A server model combined with a chain and a cooling mode, precomputed
 * once per run and read-only afterwards (several fleets may share one).
 * Invariants: stack holds the chain's server stages, at most
 * SL_MAX_SERVER_STAGES, with the PSU stage pointing at psu; air_design_w >
 * 0; 0 < board_eff <= 1. */
struct sl_server_calc {
    const struct sl_server_model *m;
    const struct sl_device_model *dev;
    const struct sl_cpu_model *cpu;
    struct sl_stage_stack stack; /* server scope, grid first, sized */
    struct sl_stage_spec psu;    /* the server's PSUs as a stage */
    struct sl_eff_point psu_curve[4];
    double board_eff;
    double liquid_share; /* of card + CPU heat (cold plate), of all heat (immersion) */
    int immersion;
    double air_design_w;   /* air heat without fans at full load, no liquid */
    double inv_air_design; /* 1 / air_design_w, 0 before it is known */
    double full_cards_w;   /* the cards' board power at TDP */
};

/* Prepares the calculator.  Returns SL_OK, or SL_EINVAL when the chain has
 * more server stages than supported or the PSUs cannot carry the server at
 * full load (message in d). */
int sl_server_calc_init(struct sl_server_calc *c, const struct sl_server_model *m,
                        const struct sl_device_model *dev, const struct sl_cpu_model *cpu,
                        const struct sl_chain_spec *chain, double liquid_share, int immersion,
                        struct sl_diag *d);

/* Power of a server whose cards draw cards_w of board power in all, with
 * host activity host (0..1).  Pure; about 30 floating-point operations plus
 * the server stages. */
void sl_server_eval(const struct sl_server_calc *c, double cards_w, double host,
                    struct sl_server_power *out);

/* A server whose cards are all alike, as a function of their activity a in
 * one phase: every power is linear in a but the fans' cube, so a few
 * precomputed lines replace the general evaluation's dependent chain
 * (about half the latency of the hottest event).  value = c0 + c1 a. */
struct sl_server_lin {
    double c0, c1;
};
struct sl_server_poly {
    struct sl_server_lin boards, rest, liquid, x; /* x: air / design air */
    double fan0, fan1;                            /* fan = fan0 + fan1 min(x, 1)^3 */
    int fans;                                     /* 0: immersion, no fans */
};

/* Prepares the lines for cps cards of idle power idle_w and phase range
 * range_w (P = idle + range a) whose load share is share a. */
void sl_server_poly_init(const struct sl_server_calc *c, double cps, double idle_w, double range_w,
                         double share, struct sl_server_poly *out);

/* The same result as sl_server_eval for those cards at activity a (to a
 * few ulps). */
void sl_server_eval_poly(const struct sl_server_calc *c, const struct sl_server_poly *q, double a,
                         struct sl_server_power *out);

/* Power at full load: every card at TDP, hosts fully busy (the design
 * point that sizes racks, chains and plants). */
void sl_server_eval_full(const struct sl_server_calc *c, struct sl_server_power *out);

#endif
