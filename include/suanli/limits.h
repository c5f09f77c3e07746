/*
 * The limits of the loader and of a run, as data.
 *
 * Every input path (scenario files, --set, variants' set:, weather files,
 * traces) and every output is bounded, so no input can crash the program,
 * hang it or fill a disk without a word.  Each limit has a value, a unit, a
 * sentence saying what it bounds and the message a user sees when it is
 * exceeded; docs/scenario.md prints this table (`suanli keys`), so the
 * documentation cannot drift from the code.  Code reads a limit through
 * SL_LIMIT(id).
 */
#ifndef SUANLI_LIMITS_H
#define SUANLI_LIMITS_H

#include <stdio.h>

enum sl_limit_id {
    SL_LIM_INPUT_BYTES = 0, /* one scenario file */
    SL_LIM_NODES,           /* YAML nodes after alias expansion */
    SL_LIM_ALIAS_BYTES,     /* bytes that alias expansion may copy */
    SL_LIM_DEPTH,           /* nesting depth, also of dotted keys */
    SL_LIM_KEYS_PER_MAP,    /* keys in one mapping */
    SL_LIM_NUMBER_CHARS,    /* characters of one number */
    SL_LIM_DURATION,        /* run.duration and every time value */
    SL_LIM_ROWS,            /* rows of one output file */
    SL_LIM_OUTPUT_BYTES,    /* bytes one run may write */
    SL_LIM_EPW_BYTES,       /* one EPW weather file */
    SL_LIM_TRACE_BYTES,     /* one request or rate trace file */
    SL_LIM_TRACE_ROWS,      /* rows of one trace (requests, or windows of all clients) */
    SL_LIM_TRACE_TOKENS,    /* prompt or output tokens of one request */
    SL_LIM_TRACE_HASHES,    /* prefix-block hash ids of one trace */
    SL_LIM_TRACE_FILES,     /* client files of one rate-trace folder */
    SL_LIM_TRACE_RATE,      /* requests/s of one rate-trace window */
    SL_LIM_JOB_ROWS,        /* jobs of one job trace */
    SL_LIM_JOB_CARDS,       /* cards of one job */
    SL_LIM_JOB_DURATION,    /* run time of one job */
    SL_LIM_COUNT
};

/* One limit.  value is in unit; message is printed (with the value) when
 * an input exceeds it.  Invariants: value > 0; every text is a literal. */
struct sl_limit {
    const char *name;
    double value;
    const char *unit;
    const char *what;
    const char *message;
};

extern const struct sl_limit sl_limits[SL_LIM_COUNT];

#define SL_LIMIT(id) (sl_limits[id].value)

/* Writes the limits as a markdown table. */
void sl_limits_doc(FILE *out);

/* Formats a limit's message with its value into buf, such as "nested too
 * deeply (limit: 256 levels)", and returns buf.  Always NUL-terminates. */
const char *sl_limit_text(enum sl_limit_id id, char *buf, size_t size);

#endif
