/*
 * Quantities with units, as scenario files write them: "5.4 kW", "7d",
 * "100ms", "35 %", "0.62 CNY/kWh", "64 GiB", "20 C".
 *
 * Each kind has one base unit in which suanli computes: power W, energy J,
 * voltage V, time s (the engine converts to int64 microseconds), data bytes,
 * rate 1/s, money CNY, price CNY/kWh, temperature degC, percentage as a
 * fraction (35 % -> 0.35), compute FLOP/s, bandwidth bytes/s, pressure Pa,
 * temperature difference K.  A value of a kind other than SL_UNIT_NONE must
 * carry a unit: a bare "5.4" for a power is ambiguous and rejected.
 * Suffixes are case-sensitive where SI prefixes demand it (mW vs MW).
 */
#ifndef SUANLI_UNITS_H
#define SUANLI_UNITS_H

#include <stddef.h>
#include <stdint.h>

enum sl_unit_kind {
    SL_UNIT_NONE = 0,  /* a plain number */
    SL_UNIT_POWER,     /* W */
    SL_UNIT_ENERGY,    /* J (Wh = 3600 J) */
    SL_UNIT_VOLTAGE,   /* V */
    SL_UNIT_TIME,      /* s */
    SL_UNIT_DATA,      /* bytes */
    SL_UNIT_RATE,      /* per second */
    SL_UNIT_MONEY,     /* CNY */
    SL_UNIT_PRICE,     /* CNY per kWh */
    SL_UNIT_TEMP,      /* degrees Celsius */
    SL_UNIT_PERCENT,   /* fraction of one */
    SL_UNIT_FLOPS,     /* operations per second */
    SL_UNIT_BANDWIDTH, /* bytes per second */
    SL_UNIT_PRESSURE,  /* Pa */
    SL_UNIT_TEMP_DIFF, /* K */
    SL_UNIT_CARBON,    /* kg CO2 per kWh */
    SL_UNIT_KIND_COUNT
};

/* Name of a kind for messages and docs, e.g. "power". */
const char *sl_unit_kind_name(enum sl_unit_kind kind);
/* Base-unit symbol, e.g. "W"; "" for SL_UNIT_NONE. */
const char *sl_unit_base_symbol(enum sl_unit_kind kind);
/* An example value for messages, e.g. "5.4 kW". */
const char *sl_unit_example(enum sl_unit_kind kind);
/* The accepted suffixes, comma separated, e.g. "W, kW, MW, GW". */
const char *sl_unit_suffixes(enum sl_unit_kind kind);

/* Parses text as a quantity of the given kind into base units.  Returns SL_OK
 * or SL_EINVAL with a message in err (what was expected, with an example).
 * The number must be finite decimal; whitespace between number and unit is
 * optional. */
int sl_unit_parse(const char *text, enum sl_unit_kind kind, double *out, char *err, size_t errsize);

/* Parses a plain number (SL_UNIT_NONE) or integer; same rules. */
int sl_unit_parse_int(const char *text, long long *out, char *err, size_t errsize);

/* Formats a base-unit value with the most readable unit ("5.4 kW", "7d",
 * "35 %") such that parsing the text gives the value back exactly. */
char *sl_unit_format(double value, enum sl_unit_kind kind, char *buf, size_t size);

/* Parses a time (as sl_unit_parse with SL_UNIT_TIME) into whole
 * microseconds, the resolution of a run.  A time must be a whole number of
 * microseconds: "0.4us" or "23.99999999999h" (86,399,999,999.964 us) is
 * rejected rather than rounded, so a positive time never becomes 0 and what
 * runs is what was written; only the rounding of the decimal text to a
 * double (a few parts in 1e16) is tolerated.  Its magnitude must not exceed
 * the duration limit (SL_LIM_DURATION, suanli/limits.h).  Returns SL_OK or
 * SL_EINVAL with a message in err. */
int sl_unit_parse_time_us(const char *text, int64_t *out_us, char *err, size_t errsize);

/* Formats whole microseconds exactly: whole days, hours or minutes when one
 * divides the value ("7d", "90min"), else seconds or milliseconds with as
 * many decimals as needed ("1.5s", "0.25ms"... never more than 6), else
 * microseconds ("400us").  sl_unit_parse_time_us reads the text back to the
 * same integer. */
char *sl_unit_format_time_us(int64_t us, char *buf, size_t size);

#endif
