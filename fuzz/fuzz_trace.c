/*
 * libFuzzer harness for the trace readers (sl_trace_read) and the token-law
 * parser (sl_tokdist_parse).
 *
 * The input bytes are a trace file, read with format detection, strictly
 * and then leniently.  Bad input must give an error code, never a crash or
 * a sanitizer report.  A trace that loads must keep what struct sl_trace
 * promises: request traces have rows sorted by time from 0 to span_us,
 * token counts in [1, the limit] and hash ranges inside the pool; rate
 * traces have clients whose windows are sorted with distinct starts,
 * finite non-negative rates and a positive window length.  The first line
 * of the input is also given to sl_tokdist_parse, whose accepted laws must
 * satisfy 1 <= min <= max <= the limit.  Each loaded trace then feeds a
 * request stream (src/workload/reqgen.c, tiled, twice the pace, with laws
 * for rate traces) for up to 500 requests, which must come in time order
 * with token counts in [1, the limit] and hash ranges inside the pool.  A
 * broken promise prints what broke and aborts, so libFuzzer saves the
 * input.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "suanli/diag.h"
#include "suanli/limits.h"
#include "suanli/scenario.h"
#include "suanli/trace.h"
#include "workload/reqgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, size_t i)
{
    fprintf(stderr, "fuzz_trace: %s (row or window %zu)\n", what, i);
    abort();
}

static void check(const struct sl_trace *t)
{
    double lim = SL_LIMIT(SL_LIM_TRACE_TOKENS);
    if (t->format == SL_TRACE_AUTO || t->format >= SL_TRACE_FORMAT_COUNT)
        broken("format not resolved", 0);
    if (t->format != SL_TRACE_SERVEGEN) {
        if (t->n_req < 1 || t->req[0].t_us != 0)
            broken("a request trace without rows or not starting at 0", 0);
        for (size_t i = 0; i < t->n_req; i++) {
            const struct sl_trace_req *q = &t->req[i];
            if (i > 0 && q->t_us < t->req[i - 1].t_us)
                broken("requests out of order", i);
            if (q->prompt < 1 || q->output < 1 || q->prompt > lim || q->output > lim)
                broken("a token count outside [1, limit]", i);
            if ((size_t)q->hash_first + q->hash_n > t->n_hash)
                broken("a hash range outside the pool", i);
        }
        if (t->span_us != t->req[t->n_req - 1].t_us)
            broken("span is not the last arrival", t->n_req - 1);
        return;
    }
    if (t->n_clients < 1 || t->window_first[0] != 0 ||
        t->window_first[t->n_clients] != t->n_windows || t->window_us <= 0)
        broken("rate trace bookkeeping", 0);
    for (size_t c = 0; c < t->n_clients; c++)
        for (size_t i = t->window_first[c]; i < t->window_first[c + 1]; i++) {
            const struct sl_trace_window *w = &t->windows[i];
            if (i > t->window_first[c] && w->t_us <= t->windows[i - 1].t_us)
                broken("windows not strictly increasing", i);
            if (!(w->rate >= 0 && isfinite(w->rate)) || w->t_us < 0)
                broken("a negative or non-finite rate or start", i);
            if (w->rate > 0 && (w->dist < 1 || w->dist > 3))
                broken("a positive rate without a law", i);
            if ((w->dist == 1 || w->dist == 2) && !(w->shape > 0 && w->scale > 0))
                broken("a law without a positive shape and scale", i);
        }
}

static void stream(struct sl_trace *t)
{
    static char law_in[] = "lognormal(6.5, 1.1, max=32768)", law_out[] = "200";
    struct sl_request_cfg c;
    memset(&c, 0, sizeof c);
    c.rate_scale = 2;
    c.tile = 1;
    if (t->n_req == 0) {
        c.prompt_tokens = law_in;
        c.output_tokens = law_out;
    }
    struct sl_service_res res;
    memset(&res, 0, sizeof res);
    res.trace = t;
    struct sl_reqgen g;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_reqgen_init(&g, &c, &res, "fuzz", 1, 3600000000, &d) != SL_OK)
        return;
    struct sl_request r;
    int64_t prev = INT64_MIN;
    double lim = SL_LIMIT(SL_LIM_TRACE_TOKENS);
    for (size_t i = 0; i < 500 && sl_reqgen_next(&g, &r); i++) {
        if (r.t_us < prev)
            broken("the request stream goes back in time", i);
        if (r.prompt < 1 || r.output < 1 || r.prompt > lim || r.output > lim)
            broken("a streamed token count outside [1, limit]", i);
        if ((size_t)r.hash_first + r.hash_n > t->n_hash)
            broken("a streamed hash range outside the pool", i);
        prev = r.t_us;
    }
    sl_reqgen_release(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("input.trace");
    fuzz_write_file(path, data, size);

    for (int lenient = 0; lenient <= 1; lenient++) {
        struct sl_trace t;
        struct sl_diag d;
        sl_diag_clear(&d);
        if (sl_trace_read(path, SL_TRACE_AUTO, lenient, &t, &d) == SL_OK) {
            check(&t);
            stream(&t);
            sl_trace_release(&t);
        }
    }

    char text[256];
    size_t n = 0;
    while (n < size && n + 1 < sizeof text && data[n] != '\n' && data[n] != '\0') {
        text[n] = (char)data[n];
        n++;
    }
    text[n] = '\0';
    struct sl_tokdist law;
    char err[300];
    if (sl_tokdist_parse(text, &law, err, sizeof err) == SL_OK) {
        if (!(law.min >= 1 && law.min <= law.max && law.max <= SL_LIMIT(SL_LIM_TRACE_TOKENS)))
            broken("a token law with a bad clip range", 0);
        if (law.kind == SL_TOK_LOGNORMAL && !(isfinite(law.mu) && law.sigma >= 0))
            broken("a lognormal law with bad parameters", 0);
    }
    return 0;
}
