/*
 * Allocation-failure ("torture") hook shared by the unit tests.
 *
 * Installed with sl_alloc_set_hook(torture_alloc, &t), it lets `remaining`
 * allocations succeed (-1: all of them) and fails every later one, counts the
 * allocation calls, and counts live blocks so a test can assert that a failed
 * call freed everything it had built (live == 0).
 */
#ifndef SUANLI_TESTS_TORTURE_H
#define SUANLI_TESTS_TORTURE_H

#include <stdlib.h>

#include "suanli/alloc.h"

struct torture {
    long remaining;
    long live;
    long calls;
};

static inline void *torture_alloc(void *ud, void *ptr, size_t size)
{
    struct torture *t = ud;
    if (size == 0) {
        if (ptr) {
            t->live--;
            free(ptr);
        }
        return NULL;
    }
    t->calls++;
    if (t->remaining == 0)
        return NULL;
    if (t->remaining > 0)
        t->remaining--;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        t->live++;
    return p;
}

/* cmocka teardown: puts the default allocator back even if a test failed. */
static inline int restore_hook(void **state)
{
    (void)state;
    sl_alloc_set_hook(NULL, NULL);
    return 0;
}

#endif
