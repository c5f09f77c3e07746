/*
 * The fleet: cards in servers in racks, what each card is doing, and the IT
 * power that follows.
 *
 * Every card has an owner (the workload that claimed it, or none), a phase
 * (idle, prefill, decode, training compute or communication, or the
 * "mixed" blend of the synthetic load), an activity within that phase
 * (0..1) and a power limit.  Its board power is
 *     P = P_idle + (P_tdp - P_idle) * a_phase * activity,  limited by the cap
 * and its speed under the cap ((cap - P_idle) / (P - P_idle)) ^ alpha_phase
 * (catalog.h; the `phases.*` keys).  A server's power comes from the sum of
 * its cards' power and its host activity (the mean of its cards' load
 * shares a_phase * activity) through the server calculator (server.h); a
 * rack's input adds the chain's rack stages (a power shelf).
 *
 * Power is piecewise constant between events, so energy is integrated
 * exactly: every change first advances one vector meter (one dt, eight
 * multiply-adds) and then applies the change's deltas to the fleet totals.
 * Only the server whose cards changed and its rack are recomputed.  Rack
 * totals are kept incrementally and a rack changed at an instant is looked
 * at when time next advances, so the peak rack power is exact over every
 * state that lasted (like the IT extremes, a state that lasts no time is no
 * peak); sl_fleet_resum recomputes every total from the servers now and
 * then so rounding cannot drift over millions of updates.
 *
 * Pools.  A fleet may hold pools of different server models (the
 * scenario's `fleet.pools`; one pool for the shorthand).  Servers, cards
 * and racks are numbered pool after pool (struct sl_pool_res): pool p's
 * cards are [first_card, first_card + ncards), its server s holds cards
 * first_card + (s - first_server) * cards_per_server onwards, and its racks
 * hold its servers only, per_rack to a rack (the last may be partly
 * filled).  Each pool has its own server calculator, device power range,
 * per-phase server lines and rack stages (sized from a full rack of that
 * pool).  A server knows its pool (one load in its own cache line) and a
 * rack its pool; a card's pool is a binary search over the pools' first
 * cards, O(log pools), done once per call, not per card.
 *
 * Workloads use the fleet through claim / set_load / release; a power
 * manager through set_cap.  When a cap changes a card's speed, the card's
 * owner is told (one call per run of consecutive cards of one owner), so
 * it can reschedule its work.
 *
 * Tiers.  Every card has a priority tier (enum sl_tier), which its owner
 * sets when it takes the card (sl_fleet_set_tier): best-effort training,
 * training, batch inference, latency-critical inference; a free card is
 * tier 0 (and carries tier 0's limit; it draws idle power whatever its
 * limit).  A power manager limits whole tiers (sl_fleet_set_tier_limits):
 * each tier has a limit fraction x of its pool's idle-to-TDP range (x >=
 * 1: none), which every card of the tier carries and a card takes when its
 * owner moves it into the tier.  A manager with further limits (racks, a
 * card limit range) installs a cap function (sl_fleet_set_cap_fn) that
 * gives the limit of a card in a tier; then sl_fleet_retier re-evaluates a
 * range when those limits move.  The per-event paths (set_load) never read
 * the tiers; claim writes nothing more, release one byte and one limit per
 * card.
 */
#ifndef SUANLI_FLEET_FLEET_H
#define SUANLI_FLEET_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/server.h"
#include "power/stack.h"
#include "suanli/scenario.h"

/* One card's state (8 bytes, eight cards to a cache line).  owner 0 means
 * free; a free card is idle at activity 0.  The activity is kept to float
 * precision (2^-24 relative): a server's power is computed from the
 * caller's double when all its cards are set alike (the fast path), from
 * the stored floats otherwise.  Power limits live apart (struct sl_fleet,
 * cap_w), since most events never read them. */
struct sl_card {
    float activity; /* 0..1 of the phase's range */
    uint16_t owner; /* index into the fleet's owners; 0: free */
    uint8_t phase;  /* enum sl_phase */
    uint8_t moved;  /* scratch of sl_fleet_set_cap: limit changed */
};

/* Priority tiers of the cards' work, lowest first: a power manager caps
 * the lower tiers first (docs/model.md, "Power manager"). */
enum sl_tier {
    SL_TIER_BEST_EFFORT = 0, /* training with priority <= 0; free cards */
    SL_TIER_TRAINING,        /* training with priority > 0 */
    SL_TIER_BATCH,           /* batch inference */
    SL_TIER_INTERACTIVE,     /* latency-critical inference */
    SL_TIER_COUNT
};

/* The power limit (W, 0: none) of card i were it in tier (enum sl_tier):
 * a power manager's combination of its limits (sl_fleet_set_cap_fn). */
typedef double (*sl_cap_fn)(void *ctx, size_t i, int tier);

/* Told that the limit of cards [first, first + n) changed, so their speed
 * may have (now, or when they are next loaded). */
typedef void (*sl_speed_fn)(void *ctx, int64_t now_us, size_t first, size_t n);

/* Availability of a server (bits of struct sl_server_state's down; 0: in
 * service).  FAILED: broken, powered off until repaired; FABRIC: its
 * network is out (a leaf switch, a link, its NIC), it keeps its power and
 * can serve work that needs no other server; ABSENT: not installed yet
 * (rollout), powered off. */
enum { SL_DOWN_FAILED = 1u, SL_DOWN_FABRIC = 2u, SL_DOWN_ABSENT = 4u };
#define SL_DOWN_OFF (SL_DOWN_FAILED | SL_DOWN_ABSENT) /* bits that power a server off */

/* Told that the down bits of server s, on which the owner has cards,
 * changed from down_before to down_now at now_us (the fleet already in
 * its new state). */
typedef void (*sl_avail_fn)(void *ctx, int64_t now_us, size_t server, unsigned down_before,
                            unsigned down_now);

struct sl_fleet_owner {
    const char *name; /* borrowed; for messages */
    sl_speed_fn speed_changed;
    void *ctx;
    sl_avail_fn avail_changed; /* NULL: not told (sl_fleet_set_avail_fn) */
};

/* The totals the fleet meters. */
enum sl_fleet_q {
    SL_Q_IT = 0,      /* rack inputs: the IT power of ISO/IEC 30134-2 */
    SL_Q_RACK_LOSS,   /* rack stages */
    SL_Q_SERVER_LOSS, /* server stages (PSUs, converters) */
    SL_Q_DC,          /* server DC loads */
    SL_Q_BOARD,       /* card and CPU board input */
    SL_Q_BOARD_LOSS,  /* board stages (voltage regulators) */
    SL_Q_LIQUID,      /* heat leaving through liquid */
    SL_Q_LOAD,        /* sum of card load shares (dimensionless) */
    SL_Q_COUNT
};

/* Time-weighted sums of the fleet totals over a window (the current
 * facility step).  v holds the totals now, e their integrals from the start
 * of the window to last_us (W*s; load*s for SL_Q_LOAD).  it_max_w and
 * it_min_w are the extremes of v[SL_Q_IT] held for a positive time in the
 * window (-inf/+inf when none). */
struct sl_fleet_meter {
    int64_t last_us;
    double v[SL_Q_COUNT];
    double e[SL_Q_COUNT];
    double it_max_w, it_min_w;
};

/* Per-server state, one cache line: its power and the sums over its cards
 * it was computed from. */
struct sl_server_state {
    struct sl_server_power p;
    double load;     /* sum of its cards' load shares */
    uint8_t ncapped; /* its cards with a power limit (a server has at most 64) */
    uint8_t down;    /* SL_DOWN_* bits; 0: in service */
    uint16_t pool;   /* its pool */
    uint32_t rack;   /* its rack (saves a division per event) */
};

struct sl_rack_state {
    double servers_w; /* sum of its servers' inputs */
    double input_w;   /* its input: servers through the rack stages */
    uint32_t dirty;   /* changed since the meter's last time (in dirty_racks) */
    uint32_t pool;    /* its pool */
    float thermal;    /* thermal limit: share of TDP its cards may draw (>= 1: none) */
};

/* One pool of the fleet: its models and its ranges in the numbering.
 * Invariants: the ranges of consecutive pools follow each other (the first
 * starts at 0); ncards = nservers * cards_per_server; nracks =
 * ceil(nservers / per_rack); rack_stack is sized from a full rack of this
 * pool; design_* are sl_fleet_design's for this pool alone. */
struct sl_fleet_pool {
    const struct sl_server_calc *calc; /* borrowed */
    const struct sl_device_model *dev;
    size_t first_server, nservers, first_card, ncards, first_rack, nracks;
    size_t per_rack, cards_per_server;
    double idle_w;                              /* the device's idle power */
    double range_w[SL_PHASE_COUNT];             /* per phase: (P_tdp - P_idle) * a_phase */
    struct sl_server_poly poly[SL_PHASE_COUNT]; /* a server of alike cards, per phase */
    struct sl_stage_stack rack_stack;
    double design_it_w, design_liquid_w, design_rack_w;
};

/* The fleet.  Invariants: the pools partition servers, cards and racks in
 * order (see the file comment; srv[s].pool and rack[r].pool name the
 * pool); srv and rack agree with card (up to rounding, until the next
 * resum); meter.v is the sum over racks and servers; owner[0] stands for
 * "no owner"; design_it_w and design_liquid_w are the sums over the pools,
 * design_rack_w their largest full rack.  per_rack and cards_per_server
 * are pool 0's (the whole fleet's with one pool). */
struct sl_fleet {
    struct sl_fleet_pool *pool;
    size_t npools;
    size_t nservers, nracks, per_rack, cards_per_server, ncards;
    double share[SL_PHASE_COUNT]; /* per phase: a_phase */
    double alpha[SL_PHASE_COUNT]; /* per phase */
    struct sl_card *card;
    float *cap_w;                     /* per card: board power limit, 0 = none */
    uint8_t *tier;                    /* per card: enum sl_tier; 0 when free */
    double tier_x[SL_TIER_COUNT];     /* per tier: limit fraction in force (>= 1: none) */
    size_t tier_cards[SL_TIER_COUNT]; /* per tier: owned cards */
    size_t ncapped;                   /* cards with a limit (sum of the servers' ncapped) */
    sl_cap_fn cap_of;                 /* NULL: the limit of x = tier_x[tier] */
    void *cap_ctx;
    struct sl_server_state *srv;
    struct sl_rack_state *rack;
    struct sl_fleet_owner *owner;
    size_t nowners, owners_cap;
    struct sl_fleet_meter m;
    size_t ndown;          /* servers with any down bit */
    size_t nthermal;       /* racks under a thermal limit (thermal < 1) */
    double rack_peak_w;    /* highest rack input held for a positive time */
    uint32_t *dirty_racks; /* racks changed at the meter's current instant */
    size_t ndirty;
    double design_it_w, design_liquid_w, design_rack_w;
};

/* Design loads of a fleet of nservers servers in racks of per_rack (every
 * card at TDP): IT power, heat to liquid, and the input of a full rack.
 * The rack stages of chain are sized from a full rack.  Pure. */
void sl_fleet_design(const struct sl_server_calc *calc, const struct sl_chain_spec *chain,
                     size_t nservers, size_t per_rack, double *it_w, double *liquid_w,
                     double *rack_w);

/* Builds the fleet of sc, every card free and idle, with the prepared
 * server calculators, one per pool of sc in order (borrowed; they must
 * outlive the fleet).  A scenario with no resolved pools (npools 0: one
 * built by hand) is one pool from its fleet section and calc[0].  Returns
 * SL_OK, SL_ERANGE (too many rack stages) or SL_ENOMEM. */
int sl_fleet_init(struct sl_fleet *f, const struct sl_scenario *sc,
                  const struct sl_server_calc *calc);
void sl_fleet_release(struct sl_fleet *f);

/* Servers of rack r: [first, first + count). */
size_t sl_fleet_rack_first(const struct sl_fleet *f, size_t r);
size_t sl_fleet_rack_count(const struct sl_fleet *f, size_t r);

/* The pool of server s, of card i: O(log pools), without reading the
 * server's state. */
static inline size_t sl_fleet_server_pool(const struct sl_fleet *f, size_t s)
{
    size_t lo = 0, hi = f->npools;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->pool[mid].first_server <= s)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
static inline size_t sl_fleet_card_pool(const struct sl_fleet *f, size_t i)
{
    size_t lo = 0, hi = f->npools;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->pool[mid].first_card <= i)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The first card of server s; its cards are the pool's cards_per_server
 * from there. */
static inline size_t sl_fleet_server_card0(const struct sl_fleet *f, size_t s)
{
    const struct sl_fleet_pool *p = &f->pool[sl_fleet_server_pool(f, s)];
    return p->first_card + (s - p->first_server) * p->cards_per_server;
}

/* Registers a workload that can own cards; *id receives its owner id
 * (>= 1).  name and ctx are borrowed.  SL_OK, SL_ERANGE (65,535 owners) or
 * SL_ENOMEM. */
int sl_fleet_add_owner(struct sl_fleet *f, const char *name, sl_speed_fn speed_changed, void *ctx,
                       uint16_t *id);

/* Gives cards [first, first + n) to owner; SL_ESTATE (and no change) when
 * any of them is owned, SL_ERANGE when the range is outside the fleet. */
int sl_fleet_claim(struct sl_fleet *f, uint16_t owner, size_t first, size_t n);

/* Frees cards [first, first + n) (they must belong to owner: asserted) at
 * now_us; they become idle. */
void sl_fleet_release_cards(struct sl_fleet *f, int64_t now_us, uint16_t owner, size_t first,
                            size_t n);

/* Sets the phase and activity (clamped to 0..1) of cards [first, first +
 * n), which their owner calls, at now_us (>= the last change).  Cost: one
 * server evaluation per server touched. */
void sl_fleet_set_load(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, int phase,
                       double activity);

/* The same for every card of server s: the fast path of workloads that
 * drive whole servers (no division, one product for the card power when
 * the server has no capped card). */
void sl_fleet_set_server_load(struct sl_fleet *f, int64_t now_us, size_t s, int phase,
                              double activity);

/* Hints that server s will change soon: starts loading its state and cards
 * so the misses overlap with other work.  No effect on results. */
static inline void sl_fleet_prefetch_server(const struct sl_fleet *f, size_t s)
{
#if defined(__GNUC__)
    __builtin_prefetch(&f->srv[s], 1);
    __builtin_prefetch(&f->card[sl_fleet_server_card0(f, s)], 1);
#else
    (void)f;
    (void)s;
#endif
}

/* Sets the power limit of cards [first, first + n) (0: none) at now_us and
 * tells the owners whose cards' limit changed. */
void sl_fleet_set_cap(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, double cap_w);

/* Moves the owned cards [first, first + n) into tier (enum sl_tier) at
 * now_us and gives them the tier's limit (telling their owners when that
 * changes their speed; an owner that moves idle cards just claimed is not
 * told).  Cost: one pass over the cards; sl_fleet_set_cap
 * only for the runs whose limit changes. */
void sl_fleet_set_tier(struct sl_fleet *f, int64_t now_us, size_t first, size_t n, int tier);

/* Puts the limit fractions x[SL_TIER_COUNT] in force at now_us: every
 * owned card of tier t gets idle + x[t] (TDP - idle) of its pool (no limit
 * when x[t] >= 1; the cap function's limit when one is installed), through
 * sl_fleet_set_cap on each run of consecutive cards of one pool and one new
 * limit whose limit changes (so owners are told once per run).  Returns
 * the cards now under a limit (f->ncapped).  Cost: one pass over the
 * cards. */
size_t sl_fleet_set_tier_limits(struct sl_fleet *f, int64_t now_us, const double *x);

/* The same for one tier, the others unchanged. */
size_t sl_fleet_set_tier_limit(struct sl_fleet *f, int64_t now_us, int tier, double x);

/* Installs the cap function (NULL: limits from tier_x alone); ctx is
 * borrowed.  Takes effect at the next retier. */
void sl_fleet_set_cap_fn(struct sl_fleet *f, sl_cap_fn fn, void *ctx);

/* Re-evaluates the limits of cards [first, first + n) from their tiers
 * (and the cap function) at now_us, as sl_fleet_set_tier_limits does. */
void sl_fleet_retier(struct sl_fleet *f, int64_t now_us, size_t first, size_t n);

/* ---- Availability (issue #11, contract C3) ----
 *
 * A failure source (src/workload/failures.c) or a rollout sets and clears
 * down bits per server; the owners of the server's cards that asked to be
 * told hear of every change once, after it.  Cards stay owned: an owner
 * stops using the cards of a down server (and may release them).  A
 * server with an OFF bit (FAILED, ABSENT) draws 0 W: its power leaves the
 * totals at the instant of the change (the meter is advanced first, so
 * energy stays exact), its cards' loads are ignored while it is off, and
 * when its last OFF bit clears it comes back with its cards idle (phase
 * idle, activity 0; owners keep them).  FABRIC alone changes no power. */

/* Asks that owner be told of availability changes on servers where it
 * has cards (fn NULL: no longer); the owner's ctx is passed.  SL_OK or
 * SL_ERANGE (no such owner). */
int sl_fleet_set_avail_fn(struct sl_fleet *f, uint16_t owner, sl_avail_fn fn);

/* The down bits of server s (0: in service). */
static inline unsigned sl_fleet_server_down(const struct sl_fleet *f, size_t s)
{
    return f->srv[s].down;
}

/* Sets (on != 0) or clears the down bits on server s at now_us (>= the
 * last change).  No change, no call.  Cost: one server evaluation when its
 * OFF state changes, and one call per distinct owner of its cards. */
void sl_fleet_set_down(struct sl_fleet *f, int64_t now_us, size_t s, unsigned bits, int on);

/* Servers with any down bit set. */
size_t sl_fleet_servers_down(const struct sl_fleet *f);

/* ---- Thermal limits ----
 *
 * The world's thermal model (src/world/world.c, docs/model.md "Cooling
 * loss and thermal throttling") limits the board power of every card of a
 * rack whose inlet is too warm to share y of its TDP (y >= 1: no limit).
 * A card's limit in force is the lower of its tier's (or the cap
 * function's) and its rack's thermal one, so owners see a thermal limit
 * like a power manager's: as a limit that changes their cards' speed. */

/* Sets rack r's thermal limit to y (share of TDP; >= 1 or NaN: none) at
 * now_us and re-evaluates its cards' limits (owners told as by
 * sl_fleet_set_cap).  No change, no work. */
void sl_fleet_set_thermal(struct sl_fleet *f, int64_t now_us, size_t r, double y);

/* Rack r's thermal limit (1: none). */
static inline double sl_fleet_rack_thermal(const struct sl_fleet *f, size_t r)
{
    return (double)f->rack[r].thermal;
}

/* Board power and speed (0..1] of card i now. */
double sl_fleet_card_power_w(const struct sl_fleet *f, size_t i);
double sl_fleet_card_speed(const struct sl_fleet *f, size_t i);

/* Integrates the meter up to now_us (>= its last time). */
void sl_fleet_advance(struct sl_fleet *f, int64_t now_us);

/* Advances to now_us, copies the window's integrals into e (SL_Q_COUNT
 * values) and its IT extremes, and starts a new window. */
void sl_fleet_take_window(struct sl_fleet *f, int64_t now_us, double *e, double *max_w,
                          double *min_w);

/* Recomputes every total from the servers (exact re-sum) at now_us. */
void sl_fleet_resum(struct sl_fleet *f, int64_t now_us);

/* Restarts the meter, the extremes and the rack peak from the current
 * state at time 0: call after the sources set their initial loads, so the
 * one-by-one set-up is neither energy nor a peak. */
void sl_fleet_start_meters(struct sl_fleet *f);

#endif
