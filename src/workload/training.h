/*
 * Training jobs on the fleet: the `workload.training` source.
 *
 * The jobs of sc->jobs (resolved by the loader, by submit time) are
 * submitted one by one to the cluster scheduler (workload/sched.h), which
 * queues and places them on the cards of the servers that take training
 * and that no earlier source holds: the inference source starts first, so
 * training fills what inference leaves.  A job that starts claims its
 * cards, and its speed is the training performance model's
 * (suanli/train.h) for its placement: the scale-out bandwidth per card is
 * the fabric locality's (suanli/fabric.h) of the servers it spans.
 *
 * Run time.  The layout (tp, pp, dp) is the job's own or the fastest that
 * fits (sl_train_best_layout), chosen once per (model, cards, pool, given
 * layout) for the most compact placement and cached; the actual placement
 * re-evaluates that layout at its own bandwidth (one sl_train_eval).
 *   token job:    compute = tokens / tokens_per_s; a checkpoint write of
 *                 checkpoint_write after every checkpoint interval of
 *                 compute; run = compute + writes;
 *   duration job: run = duration * step(actual) / step(compact): the
 *                 trace measured it at a good placement; tokens =
 *                 tokens_per_s * run.
 * A duration job whose model fits no layout (a trace's model is a guess)
 * runs for its duration at a memory-agnostic compute-bound rate: cards *
 * peak BF16 * the device's training efficiency / (6 N_active) tokens/s.
 * A fractional job (share < 1, GPU sharing) holds whole cards but draws
 * and computes share of each.
 *
 * Power.  A training step alternates compute and exposed communication
 * every second or so, far below the facility step, so a job's cards take
 * the blend: phase train-compute at the activity that makes the card draw
 * the model's power_mean_w (checkpoint writes at power_comm_w, blended
 * over the run), times the share.  A cap (speed_changed) slows the job to
 * its slowest card's speed from then on; the fleet applies the cap to the
 * power.
 *
 * Failures (issue #11).  A job trains in checkpoint cycles (interval,
 * then a write that pauses it; the interval is Young/Daly's
 * sqrt(2 write MTTI) by default, MTTI from faults/hazard.h).  The source
 * registers an avail fn with the fleet: when a server holding a running
 * job's cards fails (or loses its fabric under a gang of several servers)
 * the job loses the work since its last checkpoint, its cards idle, and
 * after `detection` it replaces the bad servers (a hot spare or free cards
 * in service, sl_sched_move) or waits for them, then trains again
 * `restart` later.  The scheduler is kept in line with the fleet's down
 * bits, so nothing is placed on a down server.
 *
 * Outputs: jobs.csv (one row per job, in submit order), the `training.*`
 * summary (per pool too when there are several), and the time-series
 * columns training_cards_busy (mean over the row), jobs_queued and
 * jobs_running (at the row's end).  docs/model.md, "Training workload".
 */
#ifndef SUANLI_WORKLOAD_TRAINING_H
#define SUANLI_WORKLOAD_TRAINING_H

#include <stdint.h>

#include "suanli/outfile.h"
#include "suanli/train.h"
#include "faults/hazard.h"
#include "workload/sched.h"
#include "world/world.h"

/* One cached evaluation: the layout chosen for a (model, cards, pool,
 * given layout) at the compact placement, and the step times at the
 * compact and the worst bandwidth.  fit 0: no layout fits (fallback). */
struct sl_tr_layout {
    const struct sl_llm_model *model;
    int64_t cards, tp, pp, dp; /* key: tp, pp, dp as given (0: chosen) */
    size_t pool;
    int fit;
    struct sl_train_result ref; /* at the compact placement */
    double worst_step_s;        /* at the worst bandwidth of the pool */
};

enum sl_tr_state {
    SL_TR_FUTURE = 0, /* not submitted (yet, or after the run's end) */
    SL_TR_QUEUED,
    SL_TR_RUNNING,
    SL_TR_DONE,
    SL_TR_REJECTED /* larger than the cards its pool has for training */
};

/* One job's run.  Invariants while running: work_us is the run time left
 * at full speed from last_us; rate is the slowest card's speed. */
struct sl_tr_job {
    int64_t start_us, end_us, est_us;
    int64_t last_us;
    uint64_t end_ev;
    double work_us;
    double rate;
    double compute_share; /* of the run time: tokens accrue on it */
    double tokens_per_s;  /* whole job, share applied */
    double flops_per_s;   /* model FLOP/s of the whole job */
    double mfu;
    double activity; /* of its cards in train-compute */
    double card_w;   /* board power of each of its cards now */
    double tokens, flop, energy_j;
    double full_us; /* run time it has done at full speed (work done) */
    uint32_t servers, leaves;
    int32_t tp, pp, dp;
    uint32_t layout; /* index into the cache (set at start) */
    uint32_t pool;   /* the pool it runs on (its first server's); the
                      * requested one until it starts */
    uint8_t state;   /* enum sl_tr_state */
    uint8_t unfit;
    /* Riding through failures (docs/model.md, "Training through
     * failures").  Work is counted at full speed: a checkpoint cycle is
     * ckpt_us of training then write_us of writing, counted from
     * seg_base_us (full_us at the last (re)start).  down: 0 running, 1
     * interrupted (detection and restart under way), 2 waiting for healthy
     * servers.  While down, rate is 0 and the end event is cancelled. */
    uint8_t down;
    double ckpt_us;  /* checkpoint interval tau (0: the job never checkpoints) */
    double write_us; /* checkpoint write delta */
    double seg_base_us;
    double lost_us; /* work lost to interruptions */
    double ckpts;   /* checkpoints completed in earlier segments */
    int64_t down_since_us, down_us;
    uint64_t down_ev; /* the pending detection or resume event while down == 1 */
    uint32_t interruptions, restarts;
    uint8_t restart_refused; /* its restart waits for the admission hook */
    /* Its exposure to failures (faults/hazard.h) at its placement now,
     * updated whenever it (re)starts: the span, and per failure class the
     * interruptions an hour while it trains there (rate_ph) and those
     * expected over its training up to exposure_us (exposure). */
    struct sl_job_span span;
    double rate_ph[SL_FC_COUNT], exposure[SL_FC_COUNT];
    int64_t exposure_us;
};

/* The source's state.  Invariants: job has sc->njobs entries; job_of
 * has one entry per card (UINT32_MAX: no training job). */
struct sl_training {
    struct sl_world *w;
    const struct sl_scenario *sc;
    struct sl_fleet *fleet;
    uint16_t owner;
    struct sl_sched *sched;
    struct sl_tr_job *job;
    size_t njobs, next_submit;
    uint32_t *job_of;
    uint8_t *off; /* per server: cards before the schedulable ones */
    uint8_t *sched_cards;
    uint32_t *part;
    double *pool_cards; /* schedulable cards per pool */
    double *worst_bw;   /* per pool: the lowest scale-out bytes/s per card
                         * over the pools of its partition */
    struct sl_tr_layout *lay;
    size_t nlay, lay_cap;
    size_t *srv_scratch;
    uint32_t *dispatched;
    size_t busy_cards;
    double busy_card_us; /* integral of busy cards up to busy_last_us */
    int64_t busy_last_us;
    double busy_sampled;
    uint64_t evals; /* sl_train_* evaluations, for the summary */
    struct sl_outfile log;
    int logging;
    /* Admission control (`power.admission`): per job, when it was first
     * refused (-1: not waiting for power; NULL without admission); the
     * delay refusals caused; one retry pending at a time. */
    int64_t *power_refused_us;
    double power_wait_s;
    uint64_t power_delayed_jobs;
    uint64_t power_delayed_restarts; /* restarts the hook held back at least once */
    int power_retry;
    /* Failures: the jobs waiting for healthy servers (a list of njobs
     * capacity), one pending poll while any waits, and whether any server
     * was ever down (then the scheduler is synced with the fleet's down
     * bits before each placement). */
    uint32_t *waiting;
    size_t nwaiting;
    int poll_pending;
    int down_seen;
    uint64_t interruptions, restarts;
};

/* The Young/Daly checkpoint interval (us) of a job whose checkpoint write
 * takes write_us and whose mean time between interruptions is mtti_h:
 * sqrt(2 write MTTI), at least 1 us.  Pure. */
double sl_training_young_daly_us(double write_us, double mtti_h);

/* The interruptions by failures of class k (enum sl_fault_class; k < 0:
 * every class) job j should have seen by now_us (>= the last change of
 * its placement): the integral over the time it trained of the failure
 * library's rate at the placement it had then
 * (sl_faults_span_class_rate_ph), whether or not the failure source runs.
 * Pure. */
double sl_training_expected_interruptions(const struct sl_training *t, size_t j, int k,
                                          int64_t now_us);

/* Server `server` changed its down bits (SL_DOWN_* of fleet.h; the
 * fleet's are read, down_now is informative): what the source's avail fn
 * does.  A running job with cards on it is interrupted when the server
 * failed or is absent, or lost its fabric and the job spans several
 * servers. */
void sl_training_server_event(struct sl_training *t, int64_t now_us, size_t server,
                              unsigned down_before, unsigned down_now);

extern const struct sl_source_ops sl_training_source;

#endif
