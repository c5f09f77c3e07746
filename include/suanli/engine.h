/*
 * The discrete-event engine: a pending-event set and a run loop.
 *
 * Events are ordered by (time in int64 microseconds, priority, insertion
 * sequence): earlier time first, then lower priority value, then the event
 * scheduled first.  The order is therefore total and independent of memory
 * layout, which is what makes runs byte-reproducible.
 *
 * The pending set is a 4-ary implicit min-heap of small entries plus a
 * slot table that maps an event id to its heap position, so cancel and
 * reschedule are O(log n) through the id.  Ids carry a generation counter:
 * using the id of an event that already fired or was cancelled returns
 * SL_ESTALE instead of touching another event.
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

/* Private: the fields below are described in src/core/engine.c. */
struct sl__heap_entry {
    int64_t t_us; /* >= 0: the clock starts at 0 and never runs backwards */
    uint64_t key; /* (priority + 32768) << 48 | insertion sequence (48 bits) */
};

struct sl__event_slot {
    sl_event_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen; /* bumped each time the slot is freed; never 0 */
    uint32_t next_free;
};

struct sl_engine {
    int64_t now_us;
    uint64_t seq; /* next insertion sequence */
    uint64_t fired;
    uint64_t event_limit;        /* UINT64_MAX = no limit */
    struct sl__heap_entry *heap; /* &heap[1] is 64-byte aligned inside heap_raw */
    uint32_t *hslot;             /* heap index -> slot, parallel to heap */
    uint32_t *pos;               /* slot -> heap index, UINT32_MAX when not pending */
    struct sl__event_slot *slots;
    size_t n, cap;            /* pending events and heap capacity */
    size_t nslots, slots_cap; /* slots in use (ever) and capacity */
    uint32_t free_head;       /* free-slot list, UINT32_MAX when empty */
    int vacant;               /* heap[0] is a hole left by the event being fired */
    int stop;
    int running;
    void *heap_raw; /* the allocation holding heap and hslot */
    sl_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_every;
    uint64_t progress_next; /* UINT64_MAX when disabled */
};

/* Initialises an empty engine at time 0.  Returns SL_OK or SL_ENOMEM (the
 * current implementation allocates nothing until the first schedule). */
int sl_engine_init(struct sl_engine *e);
/* Frees the engine's storage; pending events are dropped without calling
 * their handlers.  The engine may then be initialised again.  O(1). */
void sl_engine_release(struct sl_engine *e);

/* Schedules fn(ctx, arg) at absolute time t_us >= now with priority prio
 * (SL_PRIO_MIN..SL_PRIO_MAX, lower first).  ctx is borrowed: it must stay
 * valid until the event fires or is cancelled.  Stores the event id (never 0)
 * in *id when id is not NULL.  Returns SL_OK, SL_EINVAL (time in the past,
 * priority out of range, fn NULL), SL_ENOMEM (the engine is then unchanged)
 * or SL_ERANGE (2^48 schedules and reschedules used up, or 2^32 - 16 events
 * pending).  O(log n); O(1) expected for random times, and for the first
 * schedule from a handler, which takes the place of the event being fired. */
int sl_engine_schedule(struct sl_engine *e, int64_t t_us, int prio, sl_event_fn fn, void *ctx,
                       uint64_t arg, uint64_t *id);
/* Same, at now + delay_us (delay_us >= 0; SL_ERANGE if the sum overflows). */
int sl_engine_schedule_in(struct sl_engine *e, int64_t delay_us, int prio, sl_event_fn fn,
                          void *ctx, uint64_t arg, uint64_t *id);
/* Removes a pending event.  Returns SL_OK or SL_ESTALE (the id of an event
 * that fired, including the handler's own id while it runs, or was cancelled,
 * or was never issued).  O(log n). */
int sl_engine_cancel(struct sl_engine *e, uint64_t id);
/* Moves a pending event to time t_us >= now, keeping its priority and id; it
 * is ordered as if newly inserted (new sequence number).  Returns SL_OK,
 * SL_ESTALE, SL_EINVAL or SL_ERANGE (sequence used up).  O(log n). */
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
 * from a handler.  O(k log n) for k fired events. */
int sl_engine_run(struct sl_engine *e, int64_t end_us);
/* Asks sl_engine_run to return after the current handler (and progress
 * callback).  Outside a run it has no effect. */
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

/* Private: checks every invariant of the pending set in O(n + slots);
 * returns 0 when consistent, a negative number naming the broken one
 * otherwise.  For tests. */
int sl__engine_check(const struct sl_engine *e);

#endif
