/*
 * "Did you mean": the nearest of a set of known names to a misspelt one.
 *
 * Nearness is the Levenshtein edit distance (insertions, deletions and
 * substitutions of one character each cost 1), exact or with ASCII letters
 * compared without regard to case.  A suggestion is the nearest candidate
 * (the first of equally near ones, so the order of a table decides ties)
 * when it is within a threshold; sl_suggest_threshold gives the usual one,
 * which grows with the length of the word (1 edit up to 4 characters, 2 up
 * to 8, 3 beyond), so short words do not "match" unrelated short names.
 * Optionally a candidate that starts with what was typed, or that the typed
 * word starts with ("dc-800" for "dc-800-sst"), is accepted when nothing is
 * within the threshold.  Names longer than SL_SUGGEST_MAX_LEN characters are
 * never near anything.  Nothing here allocates.
 */
#ifndef SUANLI_SUGGEST_H
#define SUANLI_SUGGEST_H

#include <stddef.h>

#define SL_SUGGEST_MAX_LEN 64

enum sl_suggest_flags {
    SL_SUGGEST_NOCASE = 1, /* compare ASCII letters without regard to case */
    SL_SUGGEST_PREFIX = 2  /* fall back to a shared prefix of >= 3 characters */
};

/* Levenshtein distance between a and b, case-sensitive; SIZE_MAX if either
 * is longer than SL_SUGGEST_MAX_LEN.  O(|a| |b|) time, no allocation. */
size_t sl_edit_distance(const char *a, const char *b);

/* The same with ASCII letters folded to lower case. */
size_t sl_edit_distance_nocase(const char *a, const char *b);

/* The usual threshold for word: 1 for up to 4 characters, 2 up to 8, else 3. */
size_t sl_suggest_threshold(const char *word);

/* The candidate nearest to word if its distance is at most max_dist (the
 * first of equally near ones); else, with SL_SUGGEST_PREFIX, the first
 * candidate that shares a prefix of at least 3 characters with word, as
 * long as the shorter of the two; else NULL.  flags: enum sl_suggest_flags.
 * Returns one of cands (borrowed), or NULL. */
const char *sl_suggest_nearest(const char *word, const char *const *cands, size_t n,
                               size_t max_dist, unsigned flags);

#endif
