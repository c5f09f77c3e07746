/*
 * Storage conventions of the configuration structs (scenario.h and the
 * catalog, chain and cooling structs it embeds).
 *
 * The same structs describe two kinds of data: entries a schema mapped from
 * a scenario file (src/config/schema.c), which own their strings and lists
 * and are freed by the schema, and the built-in tables (catalog, chain and
 * cooling presets), which are static and const.  Two rules let one type
 * serve both without casting a qualifier away:
 *   - a list's items are read through a const pointer; the allocation, when
 *     the list owns one, is kept apart in `owned`, which is what the owner
 *     writes through and frees;
 *   - a `char *` text field of a built-in table points at a writable static
 *     copy of its literal (SL_TEXT), never at the literal itself.
 */
#ifndef SUANLI_LIST_H
#define SUANLI_LIST_H

#include <stddef.h>

/* A counted array of n elements whose type the owner's schema defines.
 * Invariants: items is NULL exactly when n is 0 (for owned lists; a static
 * list may point anywhere when n is 0); owned is either NULL (the storage is
 * static or borrowed, nobody frees it) or equal to items (the list owns it;
 * the owner's release function frees it and the strings inside). */
struct sl_list {
    const void *items;
    size_t n;
    void *owned;
};

/* Text for a `char *` field of a built-in table, at file scope only: a
 * compound literal there is a static char array, so the field points at
 * storage of its own type.  (Inside a function it would be automatic
 * storage and dangle; use a static char array there.)  Nothing writes
 * through these fields; they are `char *` because a mapped entry's strings
 * are owned and freed by its schema. */
#define SL_TEXT(literal) ((char[]){literal})

#endif
