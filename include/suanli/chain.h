/*
 * Power chains: the conversion stages between the grid and the silicon.
 *
 * A chain is an ordered list of stages from the grid (first) to the silicon
 * (last).  Each stage sits at a scope that says what load it carries:
 *     facility  the whole site (transformer, UPS, PDU, SST, busway)
 *     rack      one rack (a rack power shelf)
 *     server    one server (PSUs, an intermediate DC-DC converter)
 *     board     one accelerator card or CPU (the voltage regulators)
 * Scopes never go back up along the chain.  Facility stages are outside the
 * IT equipment; the IT power of ISO/IEC 30134-2 (the PUE denominator) is
 * measured at the input of the first rack or server stage.  Board stages sit
 * inside the cards: catalog device power is board input power, and the board
 * stages say how much of it reaches the silicon.
 *
 * A stage has `units` units needed at design load, installed with N, N+1 or
 * 2N redundancy; all installed units share the load equally (a 2N UPS pair
 * runs each side below 50 %).  Its efficiency depends on the load fraction
 * L = output / (installed units * unit rating), given in one of three ways:
 *   - a constant efficiency;
 *   - a table of (L, efficiency) points, piecewise linear; below the first
 *     point half of the loss there is fixed (no-load) and half falls with
 *     the load; above the last the efficiency stays at the last point's;
 *   - loss terms in fractions of the installed rating:
 *     loss = rating * (no_load + linear L + square L^2).
 * A server stage marked from_server takes its units, redundancy, rating and
 * curve from the server model (its PSUs and their 80 PLUS grade).
 * A unit rating of 0 means "sized": installed capacity = sizing x design
 * output of the stage (for N redundancy).  Numbers: docs/model.md.
 */
#ifndef SUANLI_CHAIN_H
#define SUANLI_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/diag.h"
#include "suanli/list.h"

enum sl_scope { SL_SCOPE_FACILITY = 0, SL_SCOPE_RACK, SL_SCOPE_SERVER, SL_SCOPE_BOARD };
enum sl_redundancy { SL_RED_N = 0, SL_RED_N1, SL_RED_2N };

/* One point of a stage's efficiency table: a plain value.  In a valid
 * table 0 < load (above 1 allowed: overload), 0 < eff <= 1, and loads
 * strictly increase from point to point. */
struct sl_eff_point {
    double load; /* fraction of installed rating */
    double eff;  /* output / input */
};

/* One conversion stage of a chain (see the top of this file for the
 * equations).  A preset's stages are static and read-only; a scenario's
 * own chain owns its stages, their strings and curves (freed by the
 * schema); everything else borrows.  The efficiency is the first that
 * applies of: efficiency > 0, a non-empty curve, the loss terms (a stage
 * from_server takes the PSU curve instead).  Invariants after
 * sl_chain_validate: a way to compute the efficiency exists; efficiency <=
 * 1; the curve holds valid struct sl_eff_point rows; from_server only at
 * server scope; units >= 1, sizing > 0, rating_w and loss terms >= 0. */
struct sl_stage_spec {
    char *name;
    char *description;
    int scope;            /* enum sl_scope */
    int indoor;           /* its losses heat the cooled white space */
    int64_t units;        /* units needed at design load */
    int redundancy;       /* enum sl_redundancy */
    double rating_w;      /* per unit; 0 = sized from the design load */
    double sizing;        /* capacity / design output when sized */
    int from_server;      /* server PSUs: units, rating and curve from the server */
    double efficiency;    /* constant efficiency when > 0 */
    struct sl_list curve; /* struct sl_eff_point, by increasing load */
    double loss_no_load;  /* fractions of installed rating */
    double loss_linear;
    double loss_square;
    char *source;
};

/* A power chain: its stages from the grid (first) to the silicon (last).
 * Owned like its stages (a preset: static; a scenario's own chain: by the
 * scenario).  Invariant after sl_chain_validate: at least one stage, and
 * scopes never go back up along the list (facility, rack, server,
 * board). */
struct sl_chain_spec {
    char *name;
    char *description;
    struct sl_list stages; /* struct sl_stage_spec, grid first */
    char *source;
};

/* Installed units of a stage (units with redundancy). */
int64_t sl_stage_installed(const struct sl_stage_spec *s);

/* A stage resolved for one instance: its installed capacity in W, > 0 for
 * any stage that carries load.  A plain value. */
struct sl_stage_state {
    double capacity_w; /* installed units x unit rating */
};

/* Input power for a given output power of one stage instance with the given
 * installed capacity.  Output 0 still costs the no-load loss.  Pure. */
double sl_stage_input_w(const struct sl_stage_spec *s, double capacity_w, double out_w);

/* Efficiency at a load fraction (for reports and tests). */
double sl_stage_efficiency(const struct sl_stage_spec *s, double load);

/* Capacity of a stage instance: rating x installed, or, when sized,
 * sizing x design_out_w scaled by installed/units. */
double sl_stage_capacity_w(const struct sl_stage_spec *s, double design_out_w);

/* Checks a chain: at least one stage, scopes in order, efficiency tables
 * sorted with 0 < eff <= 1, loss terms >= 0, ratings and sizing sane.
 * Reports with the chain and stage names. */
int sl_chain_validate(const struct sl_chain_spec *c, struct sl_diag *d);

/* Product of the board stages' efficiencies at full load share (what reaches
 * the silicon per W of board input). */
double sl_chain_board_efficiency(const struct sl_chain_spec *c);

/* 80 PLUS grades of server power supplies, best first. */
enum sl_psu_grade {
    SL_PSU_TITANIUM = 0,
    SL_PSU_PLATINUM,
    SL_PSU_GOLD,
    SL_PSU_SILVER,
    SL_PSU_BRONZE,
    SL_PSU_GRADE_COUNT
};

/* "titanium", "platinum", "gold", "silver", "bronze", NULL: the grades'
 * names in scenario files and reports, indexed by enum sl_psu_grade. */
extern const char *const sl_psu_grade_names[];

/* 80 PLUS efficiency curve of a PSU grade (230 V internal redundant): sets
 * *loads and *effs to the programme's test points (load fractions,
 * increasing, and required efficiencies; static, borrowed) and returns how
 * many (4 for Titanium, 3 for the others).  grade is an enum sl_psu_grade;
 * others read as Platinum.  Below the lowest point the table rule above
 * applies (src/power/psu.c). */
size_t sl_psu_curve(int grade, const double **loads, const double **effs);

/* Built-in presets: ac-2n-ups, ac-eco, hvdc-240, hvdc-336, dc-800-sst. */
size_t sl_chain_preset_count(void);
const struct sl_chain_spec *sl_chain_preset(size_t i);
const struct sl_chain_spec *sl_chain_find_preset(const char *name);

#endif
