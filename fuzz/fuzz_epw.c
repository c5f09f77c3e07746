/*
 * libFuzzer harness for the EPW reader (sl_weather_load_epw).
 *
 * The input bytes are an EPW file.  Bad input must give an error code,
 * never a crash or a sanitizer report.  A file that loads must give what
 * struct sl_weather promises: every hourly dry-bulb and wet-bulb value a
 * finite number (no NaN: a row without a moist-air state must be refused,
 * not turned into a NaN wet-bulb) and wet-bulb never above dry-bulb.  A
 * broken promise prints the hour and its values and aborts, so libFuzzer
 * saves the input.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "suanli/diag.h"
#include "suanli/weather.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* About 140 KB: static, not on the stack. */
static struct sl_weather wx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("input.epw");
    fuzz_write_file(path, data, size);

    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_weather_load_epw(&wx, path, &d) != SL_OK)
        return 0;
    for (int i = 0; i < SL_HOURS_PER_YEAR; i++) {
        double db = wx.t_db_c[i], wb = wx.t_wb_c[i];
        if (!isfinite(db) || !isfinite(wb)) {
            fprintf(stderr,
                    "fuzz_epw: hour %d of the loaded year is not a number: "
                    "dry bulb %g C, wet bulb %g C\n",
                    i, db, wb);
            abort();
        }
        if (wb > db) {
            fprintf(stderr, "fuzz_epw: hour %d: wet bulb %.17g C above dry bulb %.17g C\n", i, wb,
                    db);
            abort();
        }
    }
    return 0;
}
