/*
 * Run summaries: an ordered set of named results written as summary.json.
 *
 * Each entry has a dotted key ("energy_mwh.it"); the JSON writer nests the
 * dots as objects, in first-insertion order, so the file's layout is stable
 * and the key names documented in docs/outputs.md are what users script
 * against.  Numbers are written with up to 12 significant digits (enough
 * for any physical quantity here, short enough to read) and always the same
 * way for the same double, so identical runs give identical bytes.
 */
#ifndef SUANLI_SUMMARY_H
#define SUANLI_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sl_value_type { SL_V_NULL, SL_V_INT, SL_V_NUM, SL_V_STR };

/* One named result.  type says which value holds: i for SL_V_INT, x for
 * SL_V_NUM (always finite: non-finite numbers become SL_V_NULL), s for
 * SL_V_STR; the others are meaningless.  key and s are the summary's own
 * copies; s is NULL unless type is SL_V_STR. */
struct sl_summary_entry {
    char *key;
    enum sl_value_type type;
    int64_t i;
    double x;
    char *s;
};

/* The results of one run, in first-insertion order.  The caller embeds it,
 * starts it with sl_summary_init and frees everything with
 * sl_summary_release.  Invariants: items holds cap entries of which the
 * first n are in use (n <= cap); keys are unique and none is a dotted
 * prefix of another ("a" and "a.b"), so the JSON nesting is well defined. */
struct sl_summary {
    struct sl_summary_entry *items;
    size_t n, cap;
};

void sl_summary_init(struct sl_summary *s);
void sl_summary_release(struct sl_summary *s);

/* Adders copy key and text.  A key given twice replaces the earlier value.
 * Keys are dotted words chosen in code; one key may not be a dotted prefix
 * of another ("a" and "a.b": asserted).
 * Non-finite numbers are stored as null.  Return SL_OK or SL_ENOMEM. */
int sl_summary_int(struct sl_summary *s, const char *key, int64_t v);
int sl_summary_num(struct sl_summary *s, const char *key, double v);
int sl_summary_str(struct sl_summary *s, const char *key, const char *v);

/* Returns the entry for key, or NULL. */
const struct sl_summary_entry *sl_summary_get(const struct sl_summary *s, const char *key);

/* Writes the summary as a JSON object (2-space indent, trailing newline). */
void sl_summary_write_json(const struct sl_summary *s, FILE *out);

/* Writes v with a fixed number of decimals (0..9) at p, without a
 * terminating NUL, and returns the end.  Rounds v * 10^decimals to the
 * nearest integer (halves away from zero); values beyond 1e15 in magnitude
 * and non-finite values fall back to printf's "%.*g".  p needs 32 bytes.
 * Several times faster than printf for the time series, and, like it, the
 * same bytes for the same double on every run. */
char *sl_fmt_fixed(char *p, double v, int decimals);

/* Formats a number the way the JSON writer does. */
char *sl_format_number(double v, char *buf, size_t size);

#endif
