/*
 * The discrete-event engine: a pending-event set and a run loop.
 *
 * Events are ordered by (time in int64 microseconds, priority, insertion
 * sequence): earlier time first, then lower priority value, then the event
 * scheduled first.  The order is therefore total and independent of memory
 * layout, which is what makes runs byte-reproducible.
 *
 * The pending set is a ladder queue (unsorted buckets of decreasing width,
 * sorted only when their time comes) in front of a 4-ary heap, so that
 * scheduling and firing cost O(1) amortised, independent of how many
 * events are pending, for the spread-out times of simulation models; small
 * queues use the heap alone.  A slot table maps an event id
 * to where its event is stored, so cancel and reschedule go straight to
 * it.  Ids carry a generation counter: using the id of an event that
 * already fired or was cancelled returns SL_ESTALE instead of touching
 * another event.
 *
 * "O(1)*" below means O(1) amortised when pending times are spread out and
 * O(log n) amortised at worst: events in the near future, and many events
 * at one time, are ordered by the heap.
 *
 * The caller owns and embeds struct sl_engine (libuv style); its fields are
 * private.  Handlers run inside sl_engine_run and may schedule, cancel and
 * reschedule freely, including at the current time.
 */
#ifndef SUANLI_ENGINE_H
#define SUANLI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct sl_engine;

/* An event handler.  ctx and arg are what was given to sl_engine_schedule. */
typedef void (*sl_event_fn)(struct sl_engine *eng, void *ctx, uint64_t arg);
/* Progress callback, called every `every` fired events (see
 * sl_engine_set_progress). */
typedef void (*sl_progress_fn)(struct sl_engine *eng, void *ctx);

/* Priorities are limited to this range so they pack into the sort key. */
#define SL_PRIO_MIN (-32768)
#define SL_PRIO_MAX 32767

/* Why sl_engine_run returned. */
enum sl_run_status {
    SL_RUN_END_TIME = 0,   /* reached end_us; now == end_us */
    SL_RUN_EMPTY = 1,      /* no pending events remain at all; now == end_us */
    SL_RUN_STOPPED = 2,    /* a handler called sl_engine_stop */
    SL_RUN_EVENT_LIMIT = 3 /* the event limit was reached */
};

/* Private.  The caller embeds struct sl_engine, so its size is public; the
 * types it reaches only through pointers, the engine's constants and its
 * test hooks are in src/core/engine_int.h; the fields are described below
 * and in the opening comments of src/core/engine_heap.c (the heap) and
 * src/core/engine_ladder.c (the ladder). */
struct sl__heap_entry;
struct sl__ladder_entry;
struct sl__chunk;
struct sl__event_slot;

/* An unsorted bucket: a list of chunks (UINT32_MAX when empty). */
struct sl__bucket {
    uint32_t head;
    uint32_t n;
};

/* One rung: nb buckets of width 2^shift us from start; the last bucket runs
 * on to end.  Buckets before cur have been consumed; the rung holds exactly
 * the pending events in [cur_us, end). */
struct sl__rung {
    uint64_t start, end, cur_us;
    struct sl__bucket *b; /* nb_cap headers; all empty beyond nb */
    uint32_t nb, nb_cap, cur;
    unsigned shift;
};

#define SL__RUNGS 8

/* Thresholds of the ladder, set by sl_engine_init.  Tests lower them (and
 * spill_at with ladder_on) between init and the first schedule to build
 * deep ladders from few events. */
struct sl__engine_tuning {
    uint32_t ladder_on; /* heap size that moves the heap into a rung */
    uint32_t split;     /* a bucket with more events is split when reached */
    uint32_t occ;       /* events per bucket aimed at when a rung is built */
    uint32_t run_max;   /* largest bucket sorted into the run */
};

struct sl_engine {
    int64_t now_us;
    uint64_t seq; /* next insertion sequence */
    uint64_t fired;
    uint64_t event_limit;        /* UINT64_MAX = no limit */
    struct sl__heap_entry *heap; /* the bottom's heap; &heap[1] is 64-byte aligned */
    uint32_t *hslot;             /* heap index -> slot, parallel to heap */
    uint64_t *pos;               /* slot -> where its event is, UINT64_MAX when free */
    struct sl__event_slot *slots;
    size_t n, cap;            /* pending events (all tiers) and heap capacity */
    size_t hn;                /* events in the heap */
    size_t nslots, slots_cap; /* slots in use (ever) and capacity */
    uint32_t free_head;       /* free-slot list, UINT32_MAX when empty */
    int vacant;               /* heap[0] is a hole left by the event being fired */
    int stop;
    int running;
    void *heap_raw;           /* the allocation holding heap and hslot */
    uint64_t bottom_end;      /* the bottom holds exactly the pending events before this */
    uint64_t top_start;       /* the top holds exactly the pending events from this on */
    int64_t top_min, top_max; /* bounds on the top's times */
    size_t spill_at;          /* heap size above which the heap is moved into a rung */
    struct sl__engine_tuning tune;
    unsigned nrungs;
    struct sl__bucket top;
    struct sl__rung rung[SL__RUNGS];
    struct sl__ladder_entry *run; /* the bottom's sorted run, allocated on first use */
    uint32_t run_cur, run_end;    /* run[run_cur .. run_end) unconsumed; run[run_cur] is live */
    struct sl__chunk *chunks;     /* the pool, indexed by chunk id */
    uint32_t nchunks;             /* chunks allocated in the pool */
    uint32_t chunk_free;          /* free-chunk list, UINT32_MAX when empty */
    uint32_t chunks_free;         /* its length */
    sl_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_every;
    uint64_t progress_next; /* UINT64_MAX when disabled */
};

/* Initialises an empty engine at time 0.  Returns SL_OK or SL_ENOMEM (the
 * current implementation allocates nothing until the first schedule). */
int sl_engine_init(struct sl_engine *e);
/* Frees the engine's storage; pending events are dropped without calling
 * their handlers.  The engine may then be initialised again.  O(1) frees
 * (a fixed number of blocks). */
void sl_engine_release(struct sl_engine *e);

/* Schedules fn(ctx, arg) at absolute time t_us >= now with priority prio
 * (SL_PRIO_MIN..SL_PRIO_MAX, lower first).  ctx is borrowed: it must stay
 * valid until the event fires or is cancelled.  Stores the event id (never 0)
 * in *id when id is not NULL.  Returns SL_OK, SL_EINVAL (time in the past,
 * priority out of range, fn NULL), SL_ENOMEM (the engine is then unchanged)
 * or SL_ERANGE (2^48 schedules and reschedules used up, or 2^32 - 16 events
 * pending).  O(1)*. */
int sl_engine_schedule(struct sl_engine *e, int64_t t_us, int prio, sl_event_fn fn, void *ctx,
                       uint64_t arg, uint64_t *id);
/* Same, at now + delay_us (delay_us >= 0; SL_ERANGE if the sum overflows). */
int sl_engine_schedule_in(struct sl_engine *e, int64_t delay_us, int prio, sl_event_fn fn,
                          void *ctx, uint64_t arg, uint64_t *id);
/* Removes a pending event.  Returns SL_OK or SL_ESTALE (the id of an event
 * that fired, including the handler's own id while it runs, or was cancelled,
 * or was never issued).  O(1)*. */
int sl_engine_cancel(struct sl_engine *e, uint64_t id);
/* Moves a pending event to time t_us >= now, keeping its priority and id; it
 * is ordered as if newly inserted (new sequence number).  Returns SL_OK,
 * SL_ESTALE, SL_EINVAL or SL_ERANGE (sequence used up).  O(1)*. */
int sl_engine_reschedule(struct sl_engine *e, uint64_t id, int64_t t_us);
/* Returns nonzero if id names a pending event.  O(1). */
int sl_engine_is_pending(const struct sl_engine *e, uint64_t id);
/* Time of the earliest pending event, or INT64_MAX when none.  O(1). */
int64_t sl_engine_next_time(const struct sl_engine *e);

/* Runs events in order while their time is <= end_us.  Stops early when a
 * handler calls sl_engine_stop or when the event limit is reached.  On
 * SL_RUN_END_TIME and SL_RUN_EMPTY the clock is advanced to end_us.  Returns
 * an enum sl_run_status; it may be called again to continue.  The event limit
 * is checked before firing, so SL_RUN_EVENT_LIMIT means an event <= end_us
 * was held back.  Returns SL_EINVAL if end_us < now and SL_ESTATE if called
 * from a handler.  O(1)* per fired event. */
int sl_engine_run(struct sl_engine *e, int64_t end_us);
/* Asks sl_engine_run to return after the current handler (and progress
 * callback).  Outside a run it has no effect. */
/* A hint for prefetching: the handler, context and argument of the event
 * likely to fire `ahead` events after the current one (0: the next; taken
 * from the bottom's sorted run), or 0 when none is at hand.  Never a
 * promise: the heap may hold an earlier event.  O(1). */
int sl_engine_peek(const struct sl_engine *e, uint32_t ahead, sl_event_fn *fn, void **ctx,
                   uint64_t *arg);

void sl_engine_stop(struct sl_engine *e);
/* Limits the total number of fired events, counted over all runs
 * (0 = unlimited). */
void sl_engine_set_event_limit(struct sl_engine *e, uint64_t limit);
/* Calls fn after every `every` fired events, counted from this call (fn NULL
 * or every 0 disables).  ctx is borrowed. */
void sl_engine_set_progress(struct sl_engine *e, sl_progress_fn fn, void *ctx, uint64_t every);

static inline int64_t sl_engine_now(const struct sl_engine *e)
{
    return e->now_us;
}
static inline size_t sl_engine_pending(const struct sl_engine *e)
{
    return e->n;
}
static inline uint64_t sl_engine_fired(const struct sl_engine *e)
{
    return e->fired;
}

#endif
