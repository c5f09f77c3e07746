/*
 * The cluster scheduler of training jobs: a queue policy and a placement
 * over the servers that take training, with gang semantics (a job gets all
 * its cards at once or waits).  Passive: the training source submits jobs,
 * asks which can start (sl_sched_dispatch) after every submit and finish,
 * tells the scheduler when a started job will end, and frees its cards.
 *
 * Cards.  A server has up to 64 cards; the scheduler keeps a mask of the
 * free ones.  A job of c cards with c <= the server's cards sits on one
 * server; a larger one takes floor(c / k) whole servers of k cards, and the
 * remainder on one more server (so a gang spans as few servers as it can).
 * A job names a partition (the training source makes one per device, over
 * the pools of that device that take training) and is placed only on its
 * servers.
 *
 * Queue policies (enum sl_queue_policy in suanli/scenario.h):
 *   fifo           jobs start in submit order; the head blocks the rest;
 *   priority       highest priority first (ties: submit order), the head
 *                  blocks the rest;
 *   easy-backfill  fifo order; when the head cannot start it gets a
 *                  reservation at the earliest time the running jobs' ends
 *                  free enough cards for it (its "shadow" time, found by
 *                  placing it on the free map those ends would leave); a
 *                  later job may start now only if it ends by the shadow
 *                  time or if the head can still be placed at the shadow
 *                  time with the candidate's cards taken (Lifka 1995,
 *                  Mu'alem & Feitelson 2001).
 * Placements (enum sl_placement):
 *   first-fit      the lowest-numbered servers with room;
 *   pack           least fragmentation: a job of one server goes to the
 *                  fullest server it fits on (best fit); a multi-server
 *                  job takes whole servers from the fullest blocks first;
 *   topology       as few fabric blocks (leaves) and pods as possible
 *                  (sl_fabric_pick_blocks), then best fit inside them.
 * Partitions queue apart: each has its own queue and head (they share no
 * cards, so one pool's blocked head never holds up another pool's jobs).
 * In a partition of servers of different sizes, k above is its largest
 * server.  Backfilling looks at most at the first 4096 queued jobs after
 * the head (a bound on the cost, as Slurm's bf_max_job_test), and in one
 * scan, after a job running past the shadow failed the head's test, it
 * does not try jobs of as many cards or more that run past it (both only
 * skip backfills, so the head's reservation still holds).
 * Estimates.  Backfilling needs each running job's end: the caller gives an
 * upper bound of the run time at submit (est_runtime_us) and, once a job
 * started, its actual end (sl_sched_set_end).  A backfilled job is checked
 * against its upper bound, so with bounds that hold the head's reservation
 * is never delayed.
 */
#ifndef SUANLI_WORKLOAD_SCHED_H
#define SUANLI_WORKLOAD_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct sl_diag;
struct sl_fabric;

/* One server's cards a job holds: bit k of mask is card k of the server. */
struct sl_sched_alloc {
    uint32_t server;
    uint64_t mask;
};

struct sl_sched; /* opaque; sched.c */

/* A cluster of nservers servers: cards[s] (0..64) cards of server s are
 * schedulable (0: none, e.g. a server held by inference or of a pool that
 * does not train), in partition part[s].  fabric (borrowed, may be NULL:
 * then every server is its own block and topology placement is best fit)
 * must have been built for at least nservers servers.  njobs bounds the
 * job ids (0 .. njobs - 1).  policy and placement as in
 * suanli/scenario.h.  SL_OK, SL_EINVAL (d filled) or SL_ENOMEM. */
int sl_sched_new(struct sl_sched **out, int policy, int placement, struct sl_fabric *fabric,
                 size_t nservers, const uint8_t *cards, const uint32_t *part, size_t njobs,
                 struct sl_diag *d);
void sl_sched_free(struct sl_sched *s);

/* Queues job (< njobs, not queued before) of `cards` cards in partition
 * part, with a priority, at submit_us (non-decreasing over calls), whose
 * run time is at most est_runtime_us (> 0).  SL_OK, or SL_EINVAL when the
 * partition can never hold it (d filled: its largest job). */
int sl_sched_submit(struct sl_sched *s, uint32_t job, uint32_t cards, uint32_t part,
                    int64_t priority, int64_t submit_us, int64_t est_runtime_us, struct sl_diag *d);

/* Starts what the policy allows at now_us: writes the ids of the started
 * jobs to out, in start order, and returns their number (call again while
 * it returns cap).  A started job ends, until sl_sched_set_end says
 * otherwise, at now_us + its estimate. */
size_t sl_sched_dispatch(struct sl_sched *s, int64_t now_us, uint32_t *out, size_t cap);

/* Asked before a placed job starts (admission control): 1 start it, 0 not
 * now.  A refusal ends the dispatch: the job stays queued, nothing else
 * starts, and the next dispatch asks again. */
typedef int (*sl_sched_gate_fn)(void *ctx, uint32_t job, int64_t now_us);

/* Installs the gate (fn NULL: none); ctx is borrowed. */
void sl_sched_set_gate(struct sl_sched *s, sl_sched_gate_fn fn, void *ctx);

/* The cards a started job holds: *n allocations, one per server, in the
 * order placed (borrowed until the job finishes). */
const struct sl_sched_alloc *sl_sched_alloc_of(const struct sl_sched *s, uint32_t job, size_t *n);

/* The actual end of a started job (<= its start + estimate). */
void sl_sched_set_end(struct sl_sched *s, uint32_t job, int64_t end_us);

/* Frees a started job's cards at now_us. */
void sl_sched_finish(struct sl_sched *s, uint32_t job, int64_t now_us);

/* Servers out of service (issue #11).  A down server takes no new work:
 * its free cards are held out of the free map, and cards a job frees on
 * it are held too, until sl_sched_set_down(.., 0) gives them back.  Jobs
 * keep what they hold on it until they move it (sl_sched_move) or
 * finish.  A server that no partition schedules is ignored.  SL_OK or
 * SL_ENOMEM (the first call allocates a byte and a word per server). */
int sl_sched_set_down(struct sl_sched *s, size_t server, int down);
int sl_sched_server_down(const struct sl_sched *s, size_t server);

/* Hot spares: a whole free server in service held back from new jobs
 * (spare 1) or given back (0); only sl_sched_move takes its cards.
 * Returns 1 when the server changed state (a spare needs every card
 * free and the server in service), else 0. */
int sl_sched_set_spare(struct sl_sched *s, size_t server, int spare);
int sl_sched_is_spare(const struct sl_sched *s, size_t server);
/* Hot spares of partition part (0 for an unknown partition). */
size_t sl_sched_spares(struct sl_sched *s, uint32_t part);

/* Moves the cards a running job holds in its k-th allocation (k < its
 * number of allocations) to another server of its partition in service
 * with as many cards available: a spare first (lowest index), else the
 * best fit among the free cards of servers the job does not use.  The
 * cards left are freed (held again when their server is down).  Returns
 * the new server, or SIZE_MAX when none has room (nothing changes).
 * O(servers of the partition). */
size_t sl_sched_move(struct sl_sched *s, uint32_t job, size_t k);

/* The first reservation (shadow time) job got as a blocked head under
 * easy-backfill, or -1 when it never had one.  With estimates that hold,
 * the job starts at or before it. */
int64_t sl_sched_reservation(const struct sl_sched *s, uint32_t job);

/* Jobs waiting, jobs running, cards busy. */
size_t sl_sched_queued(const struct sl_sched *s);
size_t sl_sched_running(const struct sl_sched *s);
size_t sl_sched_busy_cards(const struct sl_sched *s);

/* Replay: a job list run through the scheduler by a small event loop of
 * its own (submits, and ends at start + runtime_us), for tests and
 * benchmarks; the engine's training source does not use it. */
struct sl_sched_job {
    uint32_t cards, part;
    int64_t priority;
    int64_t submit_us;  /* non-decreasing over the list */
    int64_t runtime_us; /* actual, 0 .. est_us */
    int64_t est_us;     /* the estimate the scheduler sees, > 0 */
};

struct sl_sched_replay_stats {
    int64_t makespan_us; /* first submit to last end */
    double mean_wait_s;  /* start - submit, over the jobs */
    double utilisation;  /* card-time run over schedulable card-time in the makespan */
    size_t max_queued;
};

/* Runs jobs[0 .. n) (job i is id i; n <= the scheduler's njobs) through a
 * fresh s to the end: at each instant the ends first, then the submits,
 * then dispatch.  Writes each job's start to start_us[i] and the figures
 * to *st.  Returns SL_OK, SL_EINVAL (d filled: a job the partition cannot
 * hold, times out of order) or SL_ENOMEM.  O(n log n) plus the
 * scheduler's work. */
int sl_sched_replay(struct sl_sched *s, const struct sl_sched_job *jobs, size_t n,
                    int64_t *start_us, struct sl_sched_replay_stats *st, struct sl_diag *d);

#endif
