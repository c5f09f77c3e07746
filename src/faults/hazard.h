/*
 * Failure hazards of component classes: infant mortality, a constant rate
 * and wear-out, their cumulative hazard, and sampling by inversion.
 *
 * A hazard is the rate at which a unit alive at age t (hours) fails:
 *     h(t) = lambda + sum_k w_k (beta_k / eta_k) (t / eta_k)^(beta_k - 1),
 * a constant lambda plus Weibull terms, each with its cumulative hazard
 * w_k (t / eta_k)^beta_k (w_k = 1 is a plain Weibull lifetime; a
 * decreasing term, beta < 1, is infant mortality, an increasing one,
 * beta > 1, wear-out).  The cumulative hazard is
 *     H(t) = lambda t + sum_k w_k (t / eta_k)^beta_k,
 * so P(fail in (a, a + dt] | alive at a) = 1 - exp(-(H(a + dt) - H(a))),
 * and the time to the next failure from age a is the t solving
 * H(a + t) - H(a) = E for a standard exponential E (closed form for a
 * constant or a single term; otherwise bracketing and Newton steps
 * safeguarded by bisection, to 1e-12 relative).  Sums of hazards (a server
 * is the sum of its card and host classes; n alike units of a class are n
 * times one) add lambdas and merge terms of equal shape and scale, so a
 * superposed process stays one hazard (docs/model.md, "Failures in
 * service").  Burn-in of T hours is a unit that enters service aged T:
 * sampling from age T truncates the first T hours of every term
 * (failures-traces.md section 3).
 *
 * A class (struct sl_fault_class_cfg in suanli/scenario.h) turns into a
 * hazard by sl_fault_class_hazard: lambda = (1 - s) r per year, an infant
 * term with H(1 year) = s r and shape beta_i, and a wear-out term
 * (t / eta_w)^beta_w when configured.  Everything here is pure and
 * allocates nothing.
 */
#ifndef SUANLI_FAULTS_HAZARD_H
#define SUANLI_FAULTS_HAZARD_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/catalog.h"
#include "suanli/rng.h"
#include "suanli/scenario.h"

#define SL_FAULT_H_PER_YEAR 8766.0 /* a Julian year, 365.25 days */
#define SL_HAZARD_TERMS     16

/* One Weibull term of a hazard: cumulative hazard w (t / scale_h)^beta. */
struct sl_hazard_term {
    double w;       /* > 0 */
    double beta;    /* > 0 */
    double scale_h; /* > 0 */
};

/* A hazard: a plain value the caller owns (about 400 bytes; no storage
 * outside).  Invariants: rate_per_h >= 0; nterms <= SL_HAZARD_TERMS; each
 * term has w, beta, scale_h > 0 and no two terms share (beta, scale_h). */
struct sl_hazard {
    double rate_per_h; /* the constant component */
    size_t nterms;
    struct sl_hazard_term term[SL_HAZARD_TERMS];
};

/* Empties *h (no failures ever). */
void sl_hazard_init(struct sl_hazard *h);

/* Adds a Weibull term (merged into a term of equal beta and scale).
 * w == 0 is no change.  SL_OK, SL_EINVAL (w < 0, beta or scale <= 0, not
 * finite) or SL_ERANGE (SL_HAZARD_TERMS distinct terms already). */
int sl_hazard_add_term(struct sl_hazard *h, double w, double beta, double scale_h);

/* h += n * g (n >= 0 alike units superposed).  SL_OK, SL_EINVAL or
 * SL_ERANGE as sl_hazard_add_term (h is then partly added). */
int sl_hazard_add(struct sl_hazard *h, const struct sl_hazard *g, double n);

/* The hazard rate h(age) (per hour; +inf at age 0 for a term with beta <
 * 1) and the cumulative hazard H(age) (age >= 0 hours). */
double sl_hazard_rate(const struct sl_hazard *h, double age_h);
double sl_hazard_cum(const struct sl_hazard *h, double age_h);

/* P(fail in (age0, age0 + dt] | alive at age0) = 1 - exp(-(H(age0 + dt) -
 * H(age0))). */
double sl_hazard_fail_prob(const struct sl_hazard *h, double age0_h, double dt_h);

/* Hours from age0 to the next failure, INFINITY if the hazard never
 * reaches one (empty, or beyond 1e12 h).  One exponential draw from rng. */
double sl_hazard_sample(const struct sl_hazard *h, double age0_h, struct sl_rng *rng);

/* The same for a given standard-exponential draw e (> 0): the t solving
 * H(age0 + t) - H(age0) = e.  Deterministic; what sl_hazard_sample uses. */
double sl_hazard_invert(const struct sl_hazard *h, double age0_h, double e);

/* ---- Component classes ---- */

/* Key names of the classes (enum sl_fault_class), NULL-terminated; the
 * unit kind (enum sl_fault_unit) and spares pool (enum sl_spare_pool) of
 * each; and the names of the pools. */
extern const char *const sl_fault_class_names[];
extern const int sl_fault_class_unit[SL_FC_COUNT];
extern const int sl_fault_class_pool[SL_FC_COUNT];
extern const char *const sl_spare_pool_names[];

/* The hazard of one unit of class c (see the file comment); an empty
 * hazard when c->rate is 0 and there is no wear-out.  SL_OK or SL_ERANGE
 * (never with the schema's limits). */
int sl_fault_class_hazard(const struct sl_fault_class_cfg *c, struct sl_hazard *out);

/* The hazard of one whole server with cards_per_server cards: the card
 * classes (and software, which is counted per card) times
 * cards_per_server plus the host classes (cpu ... nic) once.  Fabric,
 * rack and facility classes are not in it (they are not parts of the
 * server).  A server that entered service after a burn-in of T hours
 * fails at sl_hazard_sample(out, T + age, rng).  SL_OK or SL_ERANGE (more
 * distinct shapes than SL_HAZARD_TERMS). */
int sl_faults_server_hazard(const struct sl_failures_cfg *c, size_t cards_per_server,
                            struct sl_hazard *out);

/* The age (hours) of the fleet's original parts at the run's start: the
 * burn-in they went through before service plus the fleet's time in
 * service (failures.start_age).  A part replaced in service starts at the
 * burn-in age alone. */
double sl_faults_start_age_h(const struct sl_scenario *sc);

/* Where a synchronous job sits, as the units it is exposed to: its
 * cards, servers, the leaf switches its servers hang from, the pods they
 * are in and the racks that hold them (distinct units; doubles so a
 * planned placement may be a mean).  A job the scheduler moved after an
 * interruption keeps the replacement server wherever it was, so a gang
 * drifts over more leaves, pods and racks than a compact one
 * (docs/model.md, "Training through failures"). */
struct sl_job_span {
    double cards, servers, leaves, pods, racks;
};

/* The span of a compact job on cards cards in servers servers: leaves =
 * leaves_per_card * cards (at least one), pods = ceil(cards / pod_cards)
 * (1 without a known fabric), racks = ceil(servers / rack_servers). */
void sl_faults_job_span_compact(const struct sl_failures_cfg *c, size_t cards, size_t servers,
                                struct sl_job_span *out);

/* Events per hour of class k (enum sl_fault_class) that interrupt a
 * synchronous job spanning *sp, from the class's rate (infant and
 * constant parts at their first-year mean; wear-out ignored), as the
 * failure source's blast radius has it (src/workload/failures.c): card
 * classes and software times cards, host classes times servers, rack
 * classes times racks (a rack's power or cooling takes its servers down),
 * and, for a job on more than one server, the fabric it is exposed to:
 * its leaves (at least one) and, with the fabric known, its servers'
 * links, its leaves' uplinks, and the spines and spine-to-core links of
 * every pod it spans plus the site-wide switches; without it,
 * links_per_card * cards links and spines_per_card * cards spines.  A
 * one-server job needs no fabric.  Facility classes do not count (a
 * redundant facility unit interrupts nothing).  Pure. */
double sl_faults_span_class_rate_ph(const struct sl_failures_cfg *c, const struct sl_job_span *sp,
                                    int k);
/* The sum over the classes: the job's interruption rate (per hour). */
double sl_faults_span_rate_ph(const struct sl_failures_cfg *c, const struct sl_job_span *sp);

/* The rate and the MTTI (h; INFINITY when the rate is 0) of a compact
 * job on cards cards in servers servers (sl_faults_job_span_compact): the
 * planning figure, before the job has a placement. */
double sl_faults_job_rate_ph(const struct sl_failures_cfg *c, size_t cards, size_t servers);
double sl_faults_job_mtti_h(const struct sl_failures_cfg *c, size_t cards, size_t servers);

#endif
