/*
 * Memory allocation for all of suanli.
 *
 * Every allocation in the library goes through one hook, in the manner of
 * Lua's lua_Alloc: a single function that allocates, resizes and frees.  The
 * default hook wraps realloc/free.  Tests install a hook that fails after N
 * allocations to prove that every caller handles exhaustion by returning
 * SL_ENOMEM and freeing what it had built ("torture" tests, as curl does).
 *
 * None of these functions abort; a NULL return means the caller must report
 * SL_ENOMEM.  sl_free(NULL) is a no-op.
 */
#ifndef SUANLI_ALLOC_H
#define SUANLI_ALLOC_H

#include <stddef.h>

/* The hook: size == 0 frees ptr and returns NULL; otherwise it behaves like
 * realloc(ptr, size).  ud is the pointer given to sl_alloc_set_hook. */
typedef void *(*sl_alloc_fn)(void *ud, void *ptr, size_t size);

/* Installs a hook; NULL restores the default.  Not thread-safe: call it
 * before any allocation, or between runs. */
void sl_alloc_set_hook(sl_alloc_fn fn, void *ud);

/* Returns storage for size bytes (size 0 is treated as 1), or NULL. */
void *sl_malloc(size_t size);
/* Returns zeroed storage for n * size bytes, or NULL (also on overflow). */
void *sl_calloc(size_t n, size_t size);
/* Resizes ptr to size bytes (size 0 is treated as 1); on failure returns NULL
 * and leaves ptr untouched. */
void *sl_realloc(void *ptr, size_t size);
/* Like sl_realloc for an array of n elements of size bytes, NULL on overflow. */
void *sl_reallocarray(void *ptr, size_t n, size_t size);
void sl_free(void *ptr);
/* Like sl_calloc, but the storage starts on a 64-byte boundary (a cache
 * line), so arrays of 64-byte records put each on one line.  Free it with
 * sl_free_aligned, never sl_free. */
void *sl_calloc_aligned(size_t n, size_t size);
void sl_free_aligned(void *ptr);
/* Returns a copy the caller frees with sl_free, or NULL. */
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);

#endif
