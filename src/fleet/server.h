/*
 * Server power: from card activity to the power at the server's input.
 *
 * For a server whose cards run at activity u (0..1 of their idle-to-TDP
 * range; the synthetic load's utilisation):
 *     cards  n_c * P_dev(u)            (board input power, catalog.h)
 *     CPUs   n_p * (P_idle + (P_tdp - P_idle) u)   (hosts busy with the cards)
 *     memory, NICs: idle + (max - idle) u;  other: constant
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

#include "suanli/catalog.h"
#include "suanli/chain.h"

#define SL_MAX_SERVER_STAGES 8

struct sl_server_power {
    double input_w;   /* at the input of the server's first stage */
    double dc_w;      /* loads: boards, memory, NICs, other, fans */
    double board_w;   /* cards + CPUs, board input */
    double silicon_w; /* reaching accelerator and CPU silicon */
    double fan_w;
    double liquid_heat_w; /* heat removed by liquid */
};

/* A server model combined with a chain and a cooling mode, precomputed. */
struct sl_server_calc {
    const struct sl_server_model *m;
    const struct sl_device_model *dev;
    const struct sl_cpu_model *cpu;
    const struct sl_phase_model *phases;
    const struct sl_stage_spec *stage[SL_MAX_SERVER_STAGES]; /* server scope, grid first */
    double capacity_w[SL_MAX_SERVER_STAGES];
    struct sl_stage_spec psu; /* the server's PSUs as a stage */
    struct sl_eff_point psu_curve[4];
    size_t nstages;
    double board_eff;
    double liquid_share; /* of card + CPU heat (cold plate), of all heat (immersion) */
    int immersion;
    double air_design_w; /* air heat without fans at full load, no liquid */
};

/* Prepares the calculator.  Returns SL_OK, or SL_EINVAL when the chain has
 * more server stages than supported or the PSUs cannot carry the server at
 * full load (message in d). */
int sl_server_calc_init(struct sl_server_calc *c, const struct sl_server_model *m,
                        const struct sl_device_model *dev, const struct sl_cpu_model *cpu,
                        const struct sl_chain_spec *chain, double liquid_share, int immersion,
                        struct sl_diag *d);

/* Power at card activity u with each card capped at cap_w (0 = no cap). */
void sl_server_eval(const struct sl_server_calc *c, double u, double cap_w,
                    struct sl_server_power *out);

#endif
