/*
 * Declarative schemas that map a YAML tree onto C structs.
 *
 * A schema is a table of fields: key, type, unit kind, offset into the
 * struct, default (written as YAML text, exactly as a user would write it, so
 * defaults go through the same parser and appear verbatim in the docs),
 * allowed range and a one-line meaning.  From one table we get:
 *   - mapping with validation (sl_schema_map): every error names
 *     file:line:column; an unknown key suggests the nearest known one;
 *   - the fully resolved scenario as YAML (sl_schema_emit), which parses
 *     back to the same struct bit for bit;
 *   - the key reference in docs/scenario.md (sl_schema_doc), which a test
 *     compares with the checked-in file.
 *
 * Storage per type: INT int64_t; REAL double in the base unit of its kind;
 * TIME int64_t microseconds; BOOL int; STRING char * (owned, may be NULL when
 * the field is optional); ENUM int index into the names; SECTION an embedded
 * struct; LIST a struct sl_list of elements of the sub-schema's size, which it
 * owns (items and owned both point at the allocation, see suanli/list.h).
 */
#ifndef SUANLI_CONFIG_SCHEMA_H
#define SUANLI_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/ytree.h"
#include "suanli/diag.h"
#include "suanli/list.h"
#include "suanli/units.h"

enum sl_ftype {
    SL_FT_INT,
    SL_FT_REAL,
    SL_FT_TIME,
    SL_FT_BOOL,
    SL_FT_STRING,
    SL_FT_ENUM,
    SL_FT_SECTION,
    SL_FT_LIST,
    SL_FT_RAW /* handled by the loader (e.g. variants); documented only */
};

/* Field flags. */
#define SL_FF_MIN_EXCL 1u /* value must be > min rather than >= min */
#define SL_FF_MAX_EXCL 2u
#define SL_FF_OPTIONAL 4u  /* may be absent or null with no default */
#define SL_FF_REQUIRED 8u  /* must be given (list elements: name and such) */
#define SL_FF_NAME     16u /* a name: letters, digits, '-', '_', '.'; see name_problem */
#define SL_FF_AUTO     32u /* TIME: `auto` is also a value, stored as SL_TIME_AUTO */

/* The value of a TIME field with SL_FF_AUTO given as `auto`. */
#define SL_TIME_AUTO (-1)

struct sl_schema;

struct sl_field {
    const char *key;
    enum sl_ftype type;
    enum sl_unit_kind unit; /* REAL only */
    size_t offset;
    const char *def; /* default as YAML text; NULL: none */
    double min, max; /* inclusive unless flagged; in base units (TIME: seconds) */
    unsigned flags;
    const char *const *names;    /* ENUM: NULL-terminated */
    const struct sl_schema *sub; /* SECTION, LIST element */
    const char *doc;
};

struct sl_schema {
    const char *name; /* for docs: what one element is */
    size_t size;
    const struct sl_field *fields;
    size_t nfields;
};

#define SL_NO_MIN (-1e300)
#define SL_NO_MAX (1e300)

/* Fills obj (of schema->size bytes, zeroed by the caller) from a mapping node
 * (NULL: all defaults).  path is the dotted path of node for messages ("" at
 * top level).  Returns SL_OK, SL_EINVAL or SL_ENOMEM.  On error obj may be
 * partially filled: release it with sl_schema_release. */
int sl_schema_map(const struct sl_schema *schema, void *obj, const struct sl_ynode *node,
                  const char *path, struct sl_diag *d);

/* Frees the strings and lists inside obj (not obj itself). */
void sl_schema_release(const struct sl_schema *schema, void *obj);

/* Writes obj as YAML at the given indent. */
void sl_schema_emit(const struct sl_schema *schema, const void *obj, FILE *out, int indent);

/* Writes the markdown key reference (one table per section). */
void sl_schema_doc(const struct sl_schema *schema, FILE *out);

/* Finds the field for a dotted path through sections and lists (numeric
 * segments index lists).  Returns NULL if there is no such key. */
const struct sl_field *sl_schema_find(const struct sl_schema *schema, const char *path);

#endif
