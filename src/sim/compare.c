/*
 * The comparison of variants: comparison.csv and the terminal table.
 *
 * The CSV is for programs: one row per variant, the summary keys as column
 * names, numbers exactly as in summary.json.  The table is for people:
 * planner's units (MW, MWh, hours over the cap, CNY), a units line under
 * the header and thousands separators.
 */
#include "suanli/sim.h"

#include "suanli/outfile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const struct sl_compare_column sl_compare_columns[] = {
    {"fleet.racks", "racks", "", 1, 0},
    {"rack_kw.peak", "rack peak", "kW", 1, 1},
    {"power_mw.it_mean", "IT", "MW", 1, 2},
    {"power_mw.facility_mean", "facility", "MW", 1, 2},
    {"power_mw.facility_peak", "peak", "MW", 1, 2},
    {"pue.mean", "PUE", "", 1, 3},
    {"chain_efficiency", "chain eff", "", 1, 3},
    {"grid_to_chip_efficiency", "grid-to-chip", "", 1, 3},
    {"energy_mwh.facility", "energy", "MWh", 1, 0},
    {"cost_cny", "cost", "CNY", 1, 0},
    {"co2_t", "CO2", "t", 1, 1},
    {"cap_exceeded_s", "over cap", "h", 1.0 / 3600.0, 1},
    {"capacity.cards_at_cap", "cards at cap", "", 1, 0},
    {"inference.tokens_per_s", "tokens/s", "tok/s", 1, 0},
    {"inference.tokens_per_kwh", "tokens/kWh", "tok/kWh", 1, 0},
    {"training.tokens", "train tokens", "Gtok", 1e-9, 1},
    {"training.pflop", "train compute", "PFLOP", 1, 0},
    {"compute.tokens_per_s_per_mw", "tokens/s per MW", "tok/s/MW", 1, 0},
    {"compute.train_pflops_per_mw", "train per MW", "PFLOP/s/MW", 1, 3},
};
const size_t sl_compare_ncolumns = sizeof sl_compare_columns / sizeof sl_compare_columns[0];

/* Formats v with decimals and a comma every three integer digits. */
static void grouped(double v, int decimals, char *buf, size_t size)
{
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, v);
    const char *digits = raw[0] == '-' ? raw + 1 : raw;
    size_t nint = strcspn(digits, ".");
    size_t o = 0;
    if (raw[0] == '-' && o + 1 < size)
        buf[o++] = '-';
    for (size_t i = 0; digits[i] && o + 2 < size; i++) {
        if (i > 0 && i < nint && (nint - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static void cell(const struct sl_summary *s, const struct sl_compare_column *c, char *buf,
                 size_t size)
{
    const struct sl_summary_entry *e = sl_summary_get(s, c->key);
    if (!e || e->type == SL_V_NULL)
        snprintf(buf, size, "-");
    else if (e->type == SL_V_STR)
        snprintf(buf, size, "%s", e->s);
    else
        grouped((e->type == SL_V_INT ? (double)e->i : e->x) * c->scale, c->decimals, buf, size);
}

static const char *name_of(const struct sl_scenario *sc)
{
    return sc->variant ? sc->variant : sc->name;
}

void sl_compare_print(const struct sl_scenario_set *set, const struct sl_summary *sums, FILE *out)
{
    size_t width[64];
    size_t ncol = sl_compare_ncolumns + 1;
    char buf[96];
    width[0] = strlen("variant");
    for (size_t r = 0; r < set->n; r++)
        if (strlen(name_of(&set->items[r])) > width[0])
            width[0] = strlen(name_of(&set->items[r]));
    for (size_t c = 1; c < ncol; c++) {
        const struct sl_compare_column *col = &sl_compare_columns[c - 1];
        width[c] = strlen(col->header);
        if (strlen(col->unit) > width[c])
            width[c] = strlen(col->unit);
        for (size_t r = 0; r < set->n; r++) {
            cell(&sums[r], col, buf, sizeof buf);
            if (strlen(buf) > width[c])
                width[c] = strlen(buf);
        }
    }
    fprintf(out, "%-*s", (int)width[0], "variant");
    for (size_t c = 1; c < ncol; c++)
        fprintf(out, "  %*s", (int)width[c], sl_compare_columns[c - 1].header);
    fprintf(out, "\n%-*s", (int)width[0], "");
    for (size_t c = 1; c < ncol; c++)
        fprintf(out, "  %*s", (int)width[c], sl_compare_columns[c - 1].unit);
    fputc('\n', out);
    for (size_t r = 0; r < set->n; r++) {
        fprintf(out, "%-*s", (int)width[0], name_of(&set->items[r]));
        for (size_t c = 1; c < ncol; c++) {
            cell(&sums[r], &sl_compare_columns[c - 1], buf, sizeof buf);
            fprintf(out, "  %*s", (int)width[c], buf);
        }
        fputc('\n', out);
    }
}

int sl_compare_write(const char *dir, const struct sl_scenario_set *set,
                     const struct sl_summary *sums, struct sl_diag *d)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/comparison.csv", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return sl_diag_set(d, SL_EUSAGE, NULL, 0, 0,
                           "the output path '%s/comparison.csv' is too long", dir);
    struct sl_outfile o;
    int rc = sl_outfile_open(&o, path, d);
    if (rc != SL_OK)
        return rc;
    fprintf(o.f, "variant");
    for (size_t c = 0; c < sl_compare_ncolumns; c++)
        fprintf(o.f, ",%s", sl_compare_columns[c].key);
    fputc('\n', o.f);
    for (size_t r = 0; r < set->n; r++) {
        fprintf(o.f, "%s", name_of(&set->items[r]));
        for (size_t c = 0; c < sl_compare_ncolumns; c++) {
            const struct sl_summary_entry *e = sl_summary_get(&sums[r], sl_compare_columns[c].key);
            char buf[64];
            if (!e || e->type == SL_V_NULL)
                buf[0] = '\0';
            else if (e->type == SL_V_INT)
                snprintf(buf, sizeof buf, "%lld", (long long)e->i);
            else if (e->type == SL_V_NUM)
                sl_format_number(e->x, buf, sizeof buf);
            else
                snprintf(buf, sizeof buf, "%s", e->s);
            fprintf(o.f, ",%s", buf);
        }
        fputc('\n', o.f);
    }
    return sl_outfile_commit(&o, d);
}
