/*
 * Power-chain stages and the built-in chains (see include/suanli/chain.h).
 *
 * Stage losses are evaluated from the output side: given what a stage must
 * deliver, its input is output + loss(load fraction).  The presets encode
 * reference/power-cooling.md §1 and §6; every number is cited in
 * docs/model.md ("Power chain").  Loss-term fits are ours and say so.
 */
#include "suanli/chain.h"
#include "suanli/list.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t sl_stage_installed(const struct sl_stage_spec *s)
{
    int64_t u = s->units > 0 ? s->units : 1;
    switch (s->redundancy) {
    case SL_RED_N1:
        return u + 1;
    case SL_RED_2N:
        return 2 * u;
    default:
        return u;
    }
}

double sl_stage_capacity_w(const struct sl_stage_spec *s, double design_out_w)
{
    int64_t u = s->units > 0 ? s->units : 1;
    int64_t inst = sl_stage_installed(s);
    if (s->rating_w > 0)
        return s->rating_w * (double)inst;
    double per_unit = (s->sizing > 0 ? s->sizing : 1.0) * design_out_w / (double)u;
    return per_unit * (double)inst;
}

/* Piecewise-linear efficiency of a table at load fraction L (L within the
 * table's span). */
static double table_eff(const struct sl_eff_point *p, size_t n, double load)
{
    if (load >= p[n - 1].load)
        return p[n - 1].eff;
    for (size_t i = 1; i < n; i++) {
        if (load <= p[i].load) {
            double t = (load - p[i - 1].load) / (p[i].load - p[i - 1].load);
            return p[i - 1].eff + t * (p[i].eff - p[i - 1].eff);
        }
    }
    return p[n - 1].eff;
}

double sl_stage_efficiency(const struct sl_stage_spec *s, double load)
{
    /* Efficiency at a load fraction, from the same loss model as the input
     * computation (capacity 1). */
    if (load <= 0)
        return 0;
    return load / sl_stage_input_w(s, 1.0, load);
}

double sl_stage_input_w(const struct sl_stage_spec *s, double capacity_w, double out_w)
{
    if (out_w < 0)
        out_w = 0;
    if (s->efficiency > 0)
        return out_w / s->efficiency;
    double load = capacity_w > 0 ? out_w / capacity_w : 0;
    if (s->curve.n > 0) {
        const struct sl_eff_point *p = s->curve.items;
        size_t n = s->curve.n;
        if (load < p[0].load) {
            /* Below the table: half the loss at the first point is fixed
             * (no-load loss; Schneider: > 40 % of UPS losses) and half
             * falls with the load. */
            double loss0 = p[0].load * capacity_w * (1.0 / p[0].eff - 1.0);
            return out_w + loss0 * (0.5 + 0.5 * load / p[0].load);
        }
        return out_w / table_eff(p, n, load);
    }
    double loss =
        capacity_w * (s->loss_no_load + s->loss_linear * load + s->loss_square * load * load);
    return out_w + loss;
}

double sl_chain_board_efficiency(const struct sl_chain_spec *c)
{
    double eff = 1.0;
    const struct sl_stage_spec *st = c->stages.items;
    for (size_t i = 0; i < c->stages.n; i++)
        if (st[i].scope == SL_SCOPE_BOARD)
            eff *= 1.0 / sl_stage_input_w(&st[i], 1.0, 1.0);
    return eff;
}

int sl_chain_validate(const struct sl_chain_spec *c, struct sl_diag *d)
{
    const struct sl_stage_spec *st = c->stages.items;
    if (c->stages.n == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "power chain '%s' has no stages", c->name);
    int scope = SL_SCOPE_FACILITY;
    for (size_t i = 0; i < c->stages.n; i++) {
        const struct sl_stage_spec *s = &st[i];
        if (s->scope < scope)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "power chain '%s': stage '%s' is at a wider scope than the stage "
                               "before it; list stages from the grid to the silicon "
                               "(facility, rack, server, board)",
                               c->name, s->name);
        scope = s->scope;
        if (s->from_server && s->scope != SL_SCOPE_SERVER)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "power chain '%s': stage '%s' takes the server's PSUs "
                               "(from_server) and must be at server scope",
                               c->name, s->name);
        if (s->efficiency > 1)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "power chain '%s': stage '%s' has an efficiency above 100 %%",
                               c->name, s->name);
        const struct sl_eff_point *p = s->curve.items;
        for (size_t k = 0; k < s->curve.n; k++) {
            if (!(p[k].load > 0) || !(p[k].eff > 0) || p[k].eff > 1)
                return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                                   "power chain '%s': stage '%s': efficiency point %zu needs a "
                                   "load above 0 %% and an efficiency in (0, 100 %%]",
                                   c->name, s->name, k);
            if (k > 0 && !(p[k].load > p[k - 1].load))
                return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                                   "power chain '%s': stage '%s': efficiency points must be "
                                   "listed by increasing load",
                                   c->name, s->name);
        }
        if (s->efficiency <= 0 && s->curve.n == 0 && s->loss_no_load == 0 && s->loss_linear == 0 &&
            s->loss_square == 0 && !s->from_server)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "power chain '%s': stage '%s' has no efficiency: give "
                               "'efficiency', 'curve' or loss terms",
                               c->name, s->name);
    }
    return SL_OK;
}

/* ---- presets ---- */

/* A static list: nobody owns (frees) it. */
#define LIST(arr)                                                                                  \
    {                                                                                              \
        (arr), sizeof(arr) / sizeof((arr)[0]), NULL                                                \
    }

/* Transformer 10 kV -> 400 V: no-load 0.15 %, load loss 0.85 % of rating
 * at full load (power-cooling.md §6: P0 0.1-0.2 %, Pk 0.8-1 %; the split is
 * an assumption).  2N (A and B feeds), each side sized for the design load. */
#define TRANSFORMER                                                                                \
    {                                                                                              \
        .name = SL_TEXT("transformer"), .description = SL_TEXT("MV/LV transformer, 2N"),           \
        .scope = SL_SCOPE_FACILITY, .indoor = 0, .units = 1, .redundancy = SL_RED_2N,              \
        .sizing = 1.0, .loss_no_load = 0.0015, .loss_square = 0.0085,                              \
        .source = SL_TEXT("hubangpower; CDA transformer losses (power-cooling.md 1.1, 6)")         \
    }

#define PDU(eff)                                                                                   \
    {                                                                                              \
        .name = SL_TEXT("pdu"), .description = SL_TEXT("LV distribution and PDUs"),                \
        .scope = SL_SCOPE_FACILITY, .indoor = 1, .units = 1, .sizing = 1.0, .efficiency = (eff),   \
        .source = SL_TEXT("Lei & Masanet input ranges: 0-2 % / 2-5 % loss (power-cooling.md 6)")   \
    }

#define SERVER_PSU                                                                                 \
    {                                                                                              \
        .name = SL_TEXT("psu"),                                                                    \
        .description = SL_TEXT("server PSUs (units, rating, grade from the server model)"),        \
        .scope = SL_SCOPE_SERVER, .units = 1, .sizing = 1.0, .from_server = 1,                     \
        .source = SL_TEXT("80 PLUS 230 V internal redundant (server catalog)")                     \
    }

#define DCDC(eff, what)                                                                            \
    {                                                                                              \
        .name = SL_TEXT("dcdc"), .description = what, .scope = SL_SCOPE_SERVER, .units = 1,        \
        .sizing = 1.0, .efficiency = (eff),                                                        \
        .source = SL_TEXT("assumption 0.97-0.975 (power-cooling.md 6)")                            \
    }

#define VRM                                                                                        \
    {                                                                                              \
        .name = SL_TEXT("vrm"),                                                                    \
        .description = SL_TEXT("voltage regulators to the core (inside the cards)"),               \
        .scope = SL_SCOPE_BOARD, .units = 1, .sizing = 1.0, .efficiency = 0.90,                    \
        .source = SL_TEXT("assumption 0.88-0.92 (power-cooling.md 1.1)")                           \
    }

static const struct sl_stage_spec ac_2n_ups[] = {
    TRANSFORMER,
    /* Legacy double-conversion UPS: loss terms fitted to ~93 % at 35 % load
     * and ~95 % at full load (a 2N UPS of 94 % peak run at 30-40 %). */
    {.name = SL_TEXT("ups"),
     .description = SL_TEXT("double-conversion UPS, 2N"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .redundancy = SL_RED_2N,
     .sizing = 1.0,
     .loss_no_load = 0.014,
     .loss_linear = 0.030,
     .loss_square = 0.010,
     .source = SL_TEXT("fit to the 2N UPS case (limitedtoo.cn) and the Emerson part-load note")},
    PDU(0.98),
    SERVER_PSU,
    DCDC(0.97, SL_TEXT("on-board 12 V intermediate converter")),
    VRM,
};

static const struct sl_stage_spec ac_eco[] = {
    TRANSFORMER,
    /* Modern UPS in eco (eConversion) mode: ~99 % (Schneider "up to 99 %");
     * small no-load loss kept. */
    {.name = SL_TEXT("ups"),
     .description = SL_TEXT("modern UPS in eco mode, 2N"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .redundancy = SL_RED_2N,
     .sizing = 1.0,
     .loss_no_load = 0.002,
     .loss_linear = 0.007,
     .source = SL_TEXT("Schneider eConversion up to 99 % (power-cooling.md 1.1)")},
    PDU(0.985),
    SERVER_PSU,
    DCDC(0.975, SL_TEXT("on-board 54 V intermediate converter")),
    VRM,
};

static const struct sl_stage_spec hvdc_240[] = {
    TRANSFORMER,
    /* 240 V HVDC rectifier modules replacing the UPS: ~96 % at 40 % load
     * (power-cooling.md 1.4 uses 0.96; no module curve was found: the loss
     * terms are an assumption with the usual no-load + linear + square
     * shape). */
    {.name = SL_TEXT("rectifier"),
     .description = SL_TEXT("240 V HVDC rectifier system, 2N"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .redundancy = SL_RED_2N,
     .sizing = 1.0,
     .loss_no_load = 0.006,
     .loss_linear = 0.025,
     .loss_square = 0.005,
     .source = SL_TEXT("assumption shaped to 0.96 (power-cooling.md 1.2, 1.4)")},
    {.name = SL_TEXT("distribution"),
     .description = SL_TEXT("240 V DC distribution"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .sizing = 1.0,
     .efficiency = 0.985,
     .source = SL_TEXT("power-cooling.md 1.4 (0.985)")},
    SERVER_PSU,
    DCDC(0.975, SL_TEXT("on-board intermediate converter")),
    VRM,
};

static const struct sl_stage_spec hvdc_336[] = {
    TRANSFORMER,
    /* 336 V: lower current than 240 V; slightly better rectifier and
     * distribution (assumption, low confidence). */
    {.name = SL_TEXT("rectifier"),
     .description = SL_TEXT("336 V HVDC rectifier system, 2N"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .redundancy = SL_RED_2N,
     .sizing = 1.0,
     .loss_no_load = 0.005,
     .loss_linear = 0.022,
     .loss_square = 0.004,
     .source = SL_TEXT("assumption: 240 V shape, about 0.5 pp better")},
    {.name = SL_TEXT("distribution"),
     .description = SL_TEXT("336 V DC distribution"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .sizing = 1.0,
     .efficiency = 0.99,
     .source = SL_TEXT("assumption: lower current than 240 V")},
    SERVER_PSU,
    DCDC(0.975, SL_TEXT("on-board intermediate converter")),
    VRM,
};

static const struct sl_stage_spec dc_800_sst[] = {
    /* Solid-state transformer: MV AC straight to 800 V DC, ~98.5 % (SiC SST
     * claims ~99 %; power-cooling.md 1.3-1.4 use 0.985).  N+1 modules. */
    {.name = SL_TEXT("sst"),
     .description = SL_TEXT("solid-state transformer, MV AC to 800 V DC, N+1 modules"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 0,
     .units = 4,
     .redundancy = SL_RED_N1,
     .sizing = 1.0,
     .loss_no_load = 0.003,
     .loss_linear = 0.010,
     .loss_square = 0.002,
     .source = SL_TEXT("SST claims ~99 %; power-cooling.md 1.4 uses 0.985 (loss terms assumed)")},
    {.name = SL_TEXT("busway"),
     .description = SL_TEXT("800 V DC busway to the racks"),
     .scope = SL_SCOPE_FACILITY,
     .indoor = 1,
     .units = 1,
     .sizing = 1.0,
     .efficiency = 0.995,
     .source = SL_TEXT("power-cooling.md 1.4 (0.995)")},
    /* Rack power shelf 800 V -> 54 V busbar: ~97.5 % (power-cooling.md 1.4). */
    {.name = SL_TEXT("shelf"),
     .description = SL_TEXT("rack power shelf 800 V DC to 54 V, N+1"),
     .scope = SL_SCOPE_RACK,
     .units = 5,
     .redundancy = SL_RED_N1,
     .sizing = 1.0,
     .loss_no_load = 0.004,
     .loss_linear = 0.018,
     .loss_square = 0.004,
     .source = SL_TEXT("power-cooling.md 1.4 (0.975); loss terms assumed")},
    VRM,
};

static const struct sl_chain_spec presets[] = {
    {.name = SL_TEXT("ac-2n-ups"),
     .description =
         SL_TEXT("traditional AC: transformer, 2N double-conversion UPS, PDU, server PSU, "
                 "12 V, VRM"),
     .stages = LIST(ac_2n_ups),
     .source = SL_TEXT("power-cooling.md 1.4 legacy AC (0.74 grid to chip)")},
    {.name = SL_TEXT("ac-eco"),
     .description = SL_TEXT("modern AC: UPS in eco mode, PDU, server PSU, 54 V, VRM"),
     .stages = LIST(ac_eco),
     .source = SL_TEXT("power-cooling.md 1.4 modern AC (0.81)")},
    {.name = SL_TEXT("hvdc-240"),
     .description = SL_TEXT("China 240 V HVDC: rectifiers replace the UPS, DC distribution"),
     .stages = LIST(hvdc_240),
     .source = SL_TEXT("power-cooling.md 1.2, 1.4 (0.79)")},
    {.name = SL_TEXT("hvdc-336"),
     .description = SL_TEXT("China 336 V HVDC: as 240 V with lower distribution current"),
     .stages = LIST(hvdc_336),
     .source = SL_TEXT("assumption from 240 V")},
    {.name = SL_TEXT("dc-800-sst"),
     .description =
         SL_TEXT("800 V DC from a solid-state transformer: busway, rack power shelf to 54 V, "
                 "VRM"),
     .stages = LIST(dc_800_sst),
     .source = SL_TEXT("power-cooling.md 1.3-1.4 (0.86)")},
};

size_t sl_chain_preset_count(void)
{
    return sizeof presets / sizeof presets[0];
}

const struct sl_chain_spec *sl_chain_preset(size_t i)
{
    return i < sl_chain_preset_count() ? &presets[i] : NULL;
}

const struct sl_chain_spec *sl_chain_find_preset(const char *name)
{
    for (size_t i = 0; i < sl_chain_preset_count(); i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}
