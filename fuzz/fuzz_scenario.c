/*
 * libFuzzer harness for the scenario loader: load -> emit -> reload -> emit.
 *
 * The input bytes are a scenario file, loaded through the public API
 * (sl_scenario_load with load_opts.path), so the whole path runs: libyaml,
 * the tree with its limits, variants and their `set:`, the schema with its
 * units and ranges, the catalog and the cross-field checks.  Bad input must
 * give an error code, never a crash, a leak or a sanitizer report.
 *
 * Every scenario that loads is emitted (sl_scenario_emit promises YAML that
 * loads back to the same values), the text is loaded again and emitted
 * again, and the two texts must be byte-identical.  A reload that fails or
 * a difference is a bug: the harness prints the input's scenario, the
 * diagnostic or both texts, and aborts, so libFuzzer saves the input.  The
 * first emission of a variant starts with a "# variant:" comment line that
 * the reloaded scenario (which has no variants) cannot have; that line is
 * left out of the comparison.
 */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "suanli/diag.h"
#include "suanli/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns sc emitted as YAML, or aborts; the caller frees it with free(). */
static char *emit(const struct sl_scenario *sc, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) {
        perror("fuzz: open_memstream");
        abort();
    }
    sl_scenario_emit(sc, f);
    if (fclose(f) != 0) {
        perror("fuzz: emitting");
        abort();
    }
    return buf;
}

/* The text after a leading "# variant:" line, if any. */
static const char *skip_variant_line(const char *text)
{
    static const char tag[] = "# variant: ";
    if (strncmp(text, tag, sizeof tag - 1) != 0)
        return text;
    const char *nl = strchr(text, '\n');
    return nl ? nl + 1 : text + strlen(text);
}

static void round_trip(const struct sl_scenario *sc)
{
    size_t len1 = 0, len2 = 0;
    char *text1 = emit(sc, &len1);
    const char *rt_path = fuzz_path("emitted.yaml");
    fuzz_write_file(rt_path, (const uint8_t *)text1, len1);

    struct sl_load_opts o = {rt_path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    char msg[2048];
    sl_diag_clear(&d);
    int rc = sl_scenario_load(&o, &set, &d);
    if (rc != SL_OK) {
        fprintf(stderr,
                "fuzz_scenario: ROUND TRIP: the emitted scenario does not load again (%s): "
                "%s\n--- emitted ---\n%s--- end ---\n",
                sl_strerror(rc), sl_diag_format(&d, msg, sizeof msg), text1);
        abort();
    }
    if (set.n != 1 || set.has_variants) {
        fprintf(stderr,
                "fuzz_scenario: ROUND TRIP: the emitted scenario loads as %zu scenarios "
                "(variants: %d)\n--- emitted ---\n%s--- end ---\n",
                set.n, set.has_variants, text1);
        abort();
    }
    char *text2 = emit(&set.items[0], &len2);
    const char *a = skip_variant_line(text1);
    if (strlen(a) != len2 || memcmp(a, text2, len2) != 0) {
        fprintf(stderr,
                "fuzz_scenario: ROUND TRIP: emit(load(emit(s))) differs from emit(s)\n"
                "--- first emission ---\n%s--- second emission ---\n%s--- end ---\n",
                text1, text2);
        abort();
    }
    free(text2);
    sl_scenario_set_release(&set);
    free(text1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("input.yaml");
    fuzz_write_file(path, data, size);

    struct sl_load_opts o = {path, NULL, 0, NULL, NULL};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, &set, &d) != SL_OK)
        return 0; /* the loader released what it had built */
    for (size_t i = 0; i < set.n; i++)
        round_trip(&set.items[i]);
    sl_scenario_set_release(&set);
    return 0;
}
