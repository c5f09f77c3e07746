/*
 * Request traces and token-length laws: what LLM services are asked to do.
 *
 * Readers (src/trace/) turn the published inference traces into one form:
 *   - request traces, one row per request: the Azure LLM inference CSV of
 *     2023 (`TIMESTAMP,ContextTokens,GeneratedTokens`) and Mooncake JSONL
 *     (`{"timestamp" (ms), "input_length", "output_length", "hash_ids"}`,
 *     hash ids being 512-token prefix blocks);
 *   - rate traces, per-client arrival processes in windows: ServeGen CSVs
 *     without header (`window_start_s,rate_rps,cv,dist,shape,scale`), one
 *     file per client or a folder of them.
 * A malformed row is an error naming file:line (SL_EINVAL), or with
 * `lenient` is skipped and counted.  Times are microseconds from the first
 * request (request traces) or from the start of the file (rate traces).
 *
 * Token-length laws (`prompt_tokens`, `output_tokens` of a generated
 * request source) are written as text: `512` (fixed), `lognormal(MU,
 * SIGMA)` (of ln tokens), or `trace` (the empirical law of the service's
 * request trace), optionally clipped: `lognormal(6.5, 1.1, max=32768)`.
 */
#ifndef SUANLI_TRACE_H
#define SUANLI_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct sl_diag;

enum sl_trace_format {
    SL_TRACE_AUTO = 0, /* from the content: header, JSON, or six-column rows */
    SL_TRACE_AZURE,
    SL_TRACE_MOONCAKE,
    SL_TRACE_SERVEGEN,
    SL_TRACE_FORMAT_COUNT
};
/* "auto", "azure", "mooncake", "servegen", NULL: the names of the formats. */
extern const char *const sl_trace_format_names[];

/* One request of a trace.  hash_first/hash_n index the trace's hash pool
 * (Mooncake prefix blocks; 0/0 when the format has none). */
struct sl_trace_req {
    int64_t t_us; /* arrival, from the trace's first request */
    int32_t prompt;
    int32_t output;
    uint32_t hash_first;
    uint32_t hash_n;
};

/* One window of a client's arrival process (ServeGen).  dist: 0 none (rate
 * 0), 1 gamma, 2 weibull, 3 exponential (also a positive rate with an
 * empty law); shape and scale of the inter-arrival law in seconds.  A
 * window lasts until the next one starts (the last: window_us). */
struct sl_trace_window {
    int64_t t_us;
    double rate; /* requests/s */
    double cv;
    int dist;
    double shape, scale;
};

/* A loaded trace, owned by whoever loaded it (sl_trace_release).
 * Invariants: request traces have n_req >= 1 rows sorted by t_us (stable;
 * the reader sorts), prompt >= 1, output >= 1; rate traces have n_clients
 * >= 1 and each client's windows sorted by t_us, window_first[c] ..
 * window_first[c + 1] in windows. */
struct sl_trace {
    char *path;
    int format; /* enum sl_trace_format, resolved (never AUTO) */
    /* request traces */
    struct sl_trace_req *req;
    size_t n_req;
    uint32_t *hash;
    size_t n_hash;
    int64_t span_us; /* last arrival - first arrival */
    /* rate traces */
    struct sl_trace_window *windows;
    size_t n_windows;
    size_t *window_first; /* n_clients + 1 */
    size_t n_clients;
    int64_t window_us; /* window length (from the first two windows) */
    size_t skipped;    /* malformed rows skipped (lenient) */
};

/* Reads path (a file, or for ServeGen a folder of *-trace.csv files, one
 * client each in byte order of the names) in format (AUTO: detected from a
 * folder, a TIMESTAMP/ContextTokens header, a leading '{' or six columns).
 * lenient skips malformed rows and counts them in skipped.  Rows out of
 * time order are sorted, stably.  Returns SL_OK, SL_ENOENT, SL_EINVAL
 * (file:line:column and what was expected in d) or SL_ENOMEM; on failure
 * out holds nothing.  Only regular files are read; files above
 * SL_LIM_TRACE_BYTES, traces above SL_LIM_TRACE_ROWS rows or
 * SL_LIM_TRACE_HASHES hash ids and folders above SL_LIM_TRACE_FILES files
 * are refused.  The caller owns out (sl_trace_release). */
int sl_trace_read(const char *path, int format, int lenient, struct sl_trace *out,
                  struct sl_diag *d);
void sl_trace_release(struct sl_trace *t);

/* Summary of a loaded trace, as docs/model.md ("Request traces") and
 * scripts/fit_traces.py give it.  Request traces: n rows over span_s, the
 * mean rate (n - 1) / span_s, the CV of the gaps between consecutive rows
 * (population standard deviation over mean), and per side the mean, the
 * largest value and the lognormal fit by the moments of the logs (mu the
 * mean of ln tokens, sigma their standard deviation with n - 1).  Rate
 * traces: n windows, span_s the period (the latest window end), rate the
 * total mean rate of all clients over it, and the first daily harmonic of
 * the total rate (window midpoints, time of day from the trace's time 0):
 * diurnal its amplitude over the mean and peak_time_s the time of day of
 * its maximum, the cosine that generated sources use (`diurnal`,
 * `peak_time`); the rest 0. */
struct sl_trace_stats {
    size_t n;
    double span_s;
    double rate; /* requests/s */
    double gap_cv;
    double prompt_mean, prompt_mu, prompt_sigma;
    double output_mean, output_mu, output_sigma;
    int32_t prompt_max, output_max;
    double diurnal, peak_time_s; /* rate traces */
};

/* Fills out from t (a loaded trace; borrowed).  O(rows). */
void sl_trace_stats(const struct sl_trace *t, struct sl_trace_stats *out);

/* A token-length law. */
enum sl_tokdist_kind { SL_TOK_FIXED = 0, SL_TOK_LOGNORMAL, SL_TOK_TRACE };
struct sl_tokdist {
    int kind;
    double value;     /* FIXED */
    double mu, sigma; /* LOGNORMAL, of ln(tokens) */
    double min, max;  /* clip range (>= 1) */
};

/* Parses the text form above (grammar and ranges in src/trace/tokdist.c:
 * counts whole in [1, SL_LIM_TRACE_TOKENS], MU in [0, ln limit], SIGMA in
 * [0, 5]; min and max default to 1 and the limit, a fixed count has both
 * equal to it).  SL_OK, or SL_EINVAL with a message in err naming what was
 * expected. */
int sl_tokdist_parse(const char *text, struct sl_tokdist *out, char *err, size_t errsize);

/* The mean tokens of a law: the value (FIXED); the mean of the lognormal
 * clipped to [min, max] (LOGNORMAL; the draws' rounding to integers moves
 * it by less than half a token); the mean of the trace's prompt (output
 * 0) or output (output 1) lengths (TRACE; t a loaded request trace, else
 * 0 is returned). */
double sl_tokdist_mean(const struct sl_tokdist *law, const struct sl_trace *t, int output);

#endif
