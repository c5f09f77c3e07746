/*
 * Calibration: efficiency factors of the inference performance model
 * (suanli/llm.h) fitted to measured step times.
 *
 * A measurement set is a CSV file with a header naming at least the columns
 * model, device, tp, batch, prompt_tokens, output_tokens, prefill_ms and
 * decode_ms_per_token, in any order; the optional columns weights and kv
 * (fp16, int8, fp8, int4; default fp16) give the number formats the
 * measurement ran with, and every other column is ignored.  Blank lines and
 * lines starting with `#` are skipped; a field may be double-quoted.  Rows
 * are grouped by (model, device, tp), the key of a profile entry; within a
 * group, rows with the same batch, prompt, output, weights and kv are one
 * point whose times are the means of the rows.
 *
 * For each group, sl_calib_fit chooses the compute efficiency eta_c, the
 * memory efficiency eta_m and the per-step overhead of struct sl_perf_eff
 * that minimise the sum over the points of
 *     ln(prefill_pred / prefill_meas)^2 + ln(decode_pred / decode_meas)^2
 * with the predictions of sl_perf_init + sl_perf_infer: squared log error
 * weighs a 10 % miss on a 5 ms decode step like one on a 2 s prefill.  The
 * method is Nelder-Mead on (ln eta_c, ln eta_m, ln overhead_s) within
 * bounds, started from the device's defaults and from 8 fixed points,
 * each run restarted from its best point until a restart no longer
 * improves, the best kept; docs/model.md, "Calibration",
 * gives the details.  Everything is deterministic: the same measurements
 * give the same bytes in the profile.
 */
#ifndef SUANLI_CALIBRATE_H
#define SUANLI_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#include "suanli/llm.h"

struct sl_diag;

/* One measured operating point of a replica.  batch, prompt_tokens and
 * output_tokens >= 1; the times > 0 and finite; rows >= 1. */
struct sl_calib_point {
    int64_t batch;
    int64_t prompt_tokens;
    int64_t output_tokens;
    int weights; /* enum sl_precision */
    int kv;      /* enum sl_precision */
    double prefill_ms;
    double decode_ms_per_token;
    int64_t rows; /* CSV rows averaged into this point */
    int line;     /* line of the first of them */
};

/* The points of one (model, device, tp), in the order of their first row.
 * line, model_col and device_col locate the group's first row, for a
 * message about an unknown model or device.  Owns its strings and points. */
struct sl_calib_group {
    char *model;
    char *device;
    int64_t tp;
    int line, model_col, device_col;
    struct sl_calib_point *points;
    size_t n, cap;
};

/* A loaded measurement set: groups in the order of their first row.  Owned
 * by whoever loaded it (sl_calib_set_release). */
struct sl_calib_set {
    char *path;
    struct sl_calib_group *groups;
    size_t n, cap;
    size_t rows; /* data rows read */
};

/* Reads the CSV file at path into *out.  SL_OK; SL_ENOENT or SL_EIO when it
 * cannot be read; SL_EINVAL with file:line:column in d for a missing
 * column, a short or long row, a value that is not what its column
 * expects, or a file without data rows; SL_ENOMEM.  On failure *out is
 * empty (releasing it is a no-op). */
int sl_calib_csv_load(const char *path, struct sl_calib_set *out, struct sl_diag *d);
/* The same for text of len bytes; name is used in messages. */
int sl_calib_csv_parse(const char *text, size_t len, const char *name, struct sl_calib_set *out,
                       struct sl_diag *d);
void sl_calib_set_release(struct sl_calib_set *s);

/* The spec of `suanli perf` for model on tp cards of dev: fp16 weights and
 * KV, no cap, the default phase model, the device's default factors,
 * 90 % of memory usable, 2 GB per card reserved for activations and the
 * runtime, 16-token KV pages.  Borrows model and dev. */
void sl_calib_spec_default(struct sl_perf_spec *spec, const struct sl_llm_model *model,
                           const struct sl_device_model *dev, int64_t tp);

/* The fit (or evaluation) error over a set of points. */
struct sl_calib_error {
    double prefill_mape; /* mean |pred - meas| / meas, percent */
    double decode_mape;
    double loss; /* sum of squared log errors, both phases */
    size_t points;
};

/* Evaluates spec (with its factors spec->eff) on the n points: the
 * weights and kv of each point replace those of spec.  SL_OK, or SL_EINVAL
 * with the library's message and the point's line in d when a point cannot
 * be compiled (the model does not fit).  n may be 0 (all errors 0). */
int sl_calib_eval(const struct sl_calib_point *pts, size_t n, const struct sl_perf_spec *spec,
                  struct sl_calib_error *err, struct sl_diag *d);

/* Fits compute, memory and overhead_s of spec->eff to the n >= 1 points
 * (the other fields of spec, link factors included, stay as given; spec->eff
 * is the starting point).  On SL_OK, *eff holds the fitted factors, rounded
 * to what a profile stores (factors to 4 decimals, overhead to a whole
 * microsecond), and *err their error.  SL_EINVAL as sl_calib_eval. */
int sl_calib_fit(const struct sl_calib_point *pts, size_t n, const struct sl_perf_spec *spec,
                 struct sl_perf_eff *eff, struct sl_calib_error *err, struct sl_diag *d);

/* Writes entries as a profile YAML (the format sl_perf_profile_load
 * reads) to path, atomically: a temporary file in the same directory,
 * renamed into place when complete.  source names the measurements in the
 * opening comment.  SL_OK, SL_EIO or SL_ENOMEM. */
int sl_calib_profile_write(const char *path, const char *source,
                           const struct sl_perf_profile_entry *entries, size_t n,
                           struct sl_diag *d);

#endif
