/*
 * LLM inference services: the `workload.inference` source.
 *
 * Each service is `replicas` replicas of `tp` consecutive cards (a replica
 * never straddles a server) running one model, fed by a router from one
 * request source (src/workload/reqgen.h), and is simulated at one of two
 * fidelities sharing the performance model (suanli/llm.h):
 *
 * Request fidelity (serve_request.c).  Every request and every iteration.
 * A replica runs continuous batching as vLLM does: at each step boundary it
 * admits waiting requests first come first served while the batch has room
 * (`max_batch` sequences, `max_batch_tokens` prompt tokens in a step) and
 * the KV cache can hold the prompt; without chunked prefill a step is
 * either a prefill of the admitted prompts or a decode of every running
 * sequence, with chunked prefill every step decodes all running sequences
 * and fills the rest of the token budget with prompt chunks.  A prefill's
 * end emits the request's first token (TTFT).  When a decode step would
 * overflow the KV cache, the most recently admitted sequence is preempted:
 * its cache is dropped and it waits at the head of the queue to be
 * prefilled again over its prompt and the tokens it had generated
 * (recompute, vLLM's default).  KV is counted in tokens.
 *   Decode stretches: while a replica decodes with nothing to admit, its
 * steps differ only in context, so they are computed in a loop inside one
 * engine event, up to the next completion or KV overflow; an arrival that
 * the router sends to a replica in such a stretch cuts it at the first
 * step boundary at or after the arrival.  The event count is then a few
 * per request, whatever the batch size, and every step time is still
 * exact.
 *
 * Flow fidelity (serve_flow.c).  A fluid model per service: every
 * `flow_step` the arrivals of the step (count and mean lengths) join a
 * backlog; replicas are identical, so one equation for the class gives the
 * decode concurrency (Little's law with the decode step time at that
 * concurrency), the share of time spent in prefill, the throughput and the
 * backlog; TTFT and TPOT go to the same histograms, weighted by the
 * requests they stand for.
 *
 * Failures (issue #11): when a replica's server is powered off (the
 * fleet's availability seam, a FAILED server) the replica leaves the
 * router: at request fidelity its requests are rerouted (recomputed from
 * their prompt and the tokens they had), at flow fidelity the service
 * runs on its remaining replicas (R less the ones down; with none, the
 * step's arrivals wait and overflow the queue).  A server that is only
 * off the fabric keeps serving: a replica never spans servers.
 *
 * Power: a replica's cards are in the prefill, decode or idle phase of its
 * current step (sl_fleet_set_load; flow fidelity: the time shares of the
 * step as activity of a blend), so the facility sees the real load.  A cap
 * that changes a replica's speed (speed_changed) re-derives its performance
 * model from the next step on.
 */
#ifndef SUANLI_WORKLOAD_INFERENCE_H
#define SUANLI_WORKLOAD_INFERENCE_H

#include <stdint.h>
#include <stdio.h>

#include "suanli/hist.h"
#include "suanli/outfile.h"
#include "workload/pcache.h"
#include "workload/reqgen.h"
#include "world/world.h"

/* Metrics of one service (or of all). */
struct sl_inf_metrics {
    /* Counts are doubles: whole at request fidelity (exact below 2^53),
     * expectations at flow fidelity. */
    double requests, completed, rejected, preemptions;
    double tokens_in, tokens_out; /* prompt tokens prefilled (first time), tokens generated */
    double tokens_lost;           /* output tokens the power limits cost (docs/model.md) */
    double cached_tokens;         /* prompt tokens found in the prefix cache */
    double slo_weight;            /* completions meeting both SLOs */
    struct sl_hist ttft, tpot;
};

struct sl_inf_service;
struct sl_inference;
struct sl__flow;

/* One request in flight (request fidelity).  Pool index links the queues. */
struct sl_inf_req {
    int64_t arrive_us;
    int64_t first_us; /* first token; -1 before */
    uint64_t id;      /* arrival number within the service */
    uint64_t dstep0;  /* the replica's decode steps when it started decoding */
    int32_t prompt, output;
    int32_t need;      /* tokens to prefill: prompt (+ generated after a preemption) */
    int32_t prefilled; /* of need, done */
    int32_t generated; /* of a decoding sequence: gen0 + (replica dstep - dstep0) */
    int32_t gen0;
    int32_t chunk;    /* prompt tokens in the current step */
    uint32_t next;    /* queue link */
    uint32_t run_pos; /* index in the replica's run array */
    uint32_t version; /* bumps on preemption: stale heap entries are skipped */
    uint32_t preempted;
    uint64_t admit_seq;
    uint32_t hash_first, hash_n; /* prompt blocks in the trace's hash pool */
    uint32_t tile;               /* repetition of a tiled trace */
};

/* A (finish step, request) entry of a replica's completion heap. */
struct sl_inf_due {
    uint64_t step;
    uint32_t req;
    uint32_t version;
};

/* One replica (request fidelity).  Invariants: run[0..nrun) are admitted
 * requests; ndecode of them are fully prefilled and decoding, ctx_sum the
 * sum of their contexts (need + generated after prefill... see code);
 * kv_used <= kv_cap tokens; the wait queue is a FIFO list through req.next. */
struct sl_inf_replica {
    size_t card0;
    struct sl_perf perf;
    uint32_t wait_head, wait_tail;
    uint64_t nwait;
    uint32_t *run;
    uint32_t nrun, caprun; /* run grows on demand up to max_batch */
    uint32_t ndecode;
    double ctx_sum;
    double kv_used;
    double outstanding;      /* tokens still to process (least-tokens router) */
    uint64_t dstep;          /* decode steps done */
    struct sl_pcache pcache; /* cap 0: no prefix cache */
    struct sl_inf_due *due;  /* min-heap on step */
    size_t ndue, capdue;
    /* the step in flight */
    int busy;
    int phase;
    uint64_t event;     /* engine id of the step's end */
    int64_t step_t0_us; /* start of the step (or stretch) */
    int64_t step_end_us;
    int kind;           /* 0 decode stretch, 1 prefill / mixed step */
    uint64_t stretch_k; /* decode steps in the stretch */
    int64_t prefill_tokens;
    int down; /* its server is powered off (a failure): out of the router */
};

/* One service. */
struct sl_inf_service {
    struct sl_inference *inf;
    const struct sl_service_res *res;
    const struct sl_service_cfg *cfg;
    size_t index;
    struct sl_perf perf; /* uncapped, at the device */
    double kv_cap;       /* KV tokens per replica */
    struct sl_reqgen gen;
    struct sl_request next; /* next arrival (pending event) */
    int has_next;
    uint64_t arrivals;
    uint64_t rr; /* round-robin cursor */
    size_t nrep;
    size_t card0;
    struct sl_inf_replica *rep;
    struct sl_inf_metrics m;
    double tokens_out_sampled; /* tokens_out at the last sample */
    /* flow fidelity */
    struct sl__flow *flow;
    double backlog;              /* requests waiting (fluid) */
    double fl_prompt, fl_output; /* mean lengths of the backlog's requests */
    double fl_prefill_share;     /* of the last step */
    size_t ndown;                /* replicas whose server is powered off */
};

/* The source's state. */
struct sl_inference {
    struct sl_world *w;
    struct sl_fleet *fleet;
    uint16_t owner;
    struct sl_inf_service *svc;
    size_t nsvc;
    struct sl_inf_req *req; /* pool */
    uint32_t nreq, capreq, free_head;
    uint64_t admit_seq;
    struct sl_outfile log; /* requests.csv when asked for */
    int logging;
    struct sl_inf_metrics total;
    int64_t last_sample_us;
    /* Arrivals shed by admission control (`power.admission`): the site was
     * forecast over its cap; also counted as rejected. */
    double shed;
};

extern const struct sl_source_ops sl_inference_source;

/* Request fidelity (serve_request.c). */
int sl__serve_request_start(struct sl_inf_service *s, struct sl_diag *d);
/* Flow fidelity (serve_flow.c): start (first step at 0), release, and a
 * new card power limit for the whole class. */
int sl__serve_flow_start(struct sl_inf_service *s, int64_t tod0_us, struct sl_diag *d);
void sl__serve_flow_release(struct sl_inf_service *s);
void sl__serve_flow_recap(struct sl_inf_service *s, double cap_w);
/* The service's replicas down (s->ndown) changed: the next step runs on
 * the others and sets every replica's load again (a server back on is
 * idle). */
void sl__serve_flow_avail(struct sl_inf_service *s);

/* Replica r of a request-fidelity service goes down (its server powered
 * off: its step is cancelled, its running and waiting requests go back
 * to the router, to be prefilled again over what they had generated on
 * another replica, or rejected when none can take them) or comes back up
 * (idle, in the router again) at now (serve_request.c). */
void sl__serve_request_avail(struct sl_inf_service *s, size_t r, int64_t now, int down);

/* Shared by both: record a completed request's latencies. */
void sl__inf_complete(struct sl_inf_service *s, int64_t arrive_us, int64_t first_us, int64_t end_us,
                      int32_t prompt, int32_t output, uint64_t id, size_t replica,
                      uint32_t preemptions);

#endif
