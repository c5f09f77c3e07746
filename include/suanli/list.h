/*
 * A counted array owned by a configuration struct: items points at n
 * elements whose type the owner's schema defines.  Freed by the owner's
 * release function.
 */
#ifndef SUANLI_LIST_H
#define SUANLI_LIST_H

#include <stddef.h>

struct sl_list {
    void *items;
    size_t n;
};

#endif
