/*
 * "Did you mean" suggestions (see include/suanli/suggest.h).
 *
 * The edit distance is the Wagner-Fischer dynamic programme over one row of
 * SL_SUGGEST_MAX_LEN + 1 cells: row[j] holds the distance between the first
 * i characters of a and the first j of b, and each step keeps the cell
 * diagonally above-left (diag) before overwriting it.  Names are short (keys,
 * catalog entries, sites), so the O(|a| |b|) cost is a few thousand steps.
 * One copy serves the configuration loader (unknown keys, enum values,
 * catalog names) and the weather (unknown sites).
 */
#include "suanli/suggest.h"

#include <stdint.h>
#include <string.h>

static int fold(int c, unsigned flags)
{
    if ((flags & SL_SUGGEST_NOCASE) && c >= 'A' && c <= 'Z')
        return c - 'A' + 'a';
    return c;
}

static size_t distance(const char *a, const char *b, unsigned flags)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SL_SUGGEST_MAX_LEN || lb > SL_SUGGEST_MAX_LEN)
        return SIZE_MAX;
    size_t row[SL_SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        int ca = fold((unsigned char)a[i - 1], flags);
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = ca == fold((unsigned char)b[j - 1], flags) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

size_t sl_edit_distance(const char *a, const char *b)
{
    return distance(a, b, 0);
}

size_t sl_edit_distance_nocase(const char *a, const char *b)
{
    return distance(a, b, SL_SUGGEST_NOCASE);
}

size_t sl_suggest_threshold(const char *word)
{
    size_t len = strlen(word);
    return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

/* 1 if a and b agree on their first min(|a|, |b|) >= 3 characters. */
static int shares_prefix(const char *a, const char *b, unsigned flags)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
    if (n < 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)a[i], flags) != fold((unsigned char)b[i], flags))
            return 0;
    return 1;
}

const char *sl_suggest_nearest(const char *word, const char *const *cands, size_t n,
                               size_t max_dist, unsigned flags)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t dist = distance(word, cands[i], flags);
        if (dist < bestd) {
            bestd = dist;
            best = cands[i];
        }
    }
    if (best && bestd <= max_dist)
        return best;
    if (flags & SL_SUGGEST_PREFIX)
        for (size_t i = 0; i < n; i++)
            if (shares_prefix(word, cands[i], flags))
                return cands[i];
    return NULL;
}
