/*
 * The allocation hook (see include/suanli/alloc.h).  The default hook is a
 * thin wrapper over the C library; the hook pointer is process-global, like
 * Lua's per-state allocator but without a state to hang it on.
 */
#include "suanli/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static sl_alloc_fn hook = default_alloc;
static void *hook_ud;

void sl_alloc_set_hook(sl_alloc_fn fn, void *ud)
{
    hook = fn ? fn : default_alloc;
    hook_ud = fn ? ud : NULL;
}

void *sl_malloc(size_t size)
{
    return hook(hook_ud, NULL, size ? size : 1);
}

void *sl_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    void *p = sl_malloc(total);
    if (p)
        memset(p, 0, total ? total : 1);
    return p;
}

void *sl_realloc(void *ptr, size_t size)
{
    return hook(hook_ud, ptr, size ? size : 1);
}

void *sl_reallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return sl_realloc(ptr, n * size);
}

void sl_free(void *ptr)
{
    if (ptr)
        hook(hook_ud, ptr, 0);
}

char *sl_strndup(const char *s, size_t n)
{
    char *p = sl_malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *sl_strdup(const char *s)
{
    return sl_strndup(s, strlen(s));
}

/* The block handed out sits 64-aligned inside one larger allocation whose
 * start is stored in the pointer-sized word just before it. */
void *sl_calloc_aligned(size_t n, size_t size)
{
    if (size && n > (SIZE_MAX - 128) / size)
        return NULL;
    size_t total = n * size + 64 + sizeof(void *);
    unsigned char *raw = sl_calloc(1, total);
    if (!raw)
        return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63;
    memcpy((unsigned char *)p - sizeof(void *), &raw, sizeof raw);
    return (void *)p;
}

void sl_free_aligned(void *ptr)
{
    if (!ptr)
        return;
    void *raw;
    memcpy(&raw, (unsigned char *)ptr - sizeof(void *), sizeof raw);
    sl_free(raw);
}
