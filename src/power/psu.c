/*
 * 80 PLUS efficiency curves of server power supplies (see
 * include/suanli/chain.h, sl_psu_curve).
 *
 * A curve is the programme's required efficiency at its test loads for
 * 230 V internal redundant supplies (reference/power-cooling.md §1.1):
 * Titanium at 10/20/50/100 % of rated load, Platinum, Gold, Silver and
 * Bronze at 20/50/100 %.  Between and below those points the chain's stage
 * rules apply (linear interpolation; below the first point half the loss is
 * fixed).  The grades, their names and their curves all live here, in the
 * order of enum sl_psu_grade (include/suanli/chain.h); the catalog's server
 * models and the scenario schema refer to them.
 */
#include "suanli/chain.h"

#include <stddef.h>

/* The same spelling as the `psu_grade` values of a server model. */
const char *const sl_psu_grade_names[] = {"titanium", "platinum", "gold", "silver", "bronze", NULL};
_Static_assert(sizeof sl_psu_grade_names / sizeof sl_psu_grade_names[0] == SL_PSU_GRADE_COUNT + 1,
               "one name per grade");

static const double load4[] = {0.1, 0.2, 0.5, 1.0};
static const double load3[] = {0.2, 0.5, 1.0};
static const double titanium[] = {0.90, 0.94, 0.96, 0.91};
static const double platinum[] = {0.90, 0.94, 0.91};
static const double gold[] = {0.88, 0.92, 0.88};
static const double silver[] = {0.85, 0.89, 0.85};
static const double bronze[] = {0.81, 0.85, 0.81};

size_t sl_psu_curve(int grade, const double **loads, const double **effs)
{
    static const double *const tables[SL_PSU_GRADE_COUNT] = {
        [SL_PSU_TITANIUM] = titanium, [SL_PSU_PLATINUM] = platinum, [SL_PSU_GOLD] = gold,
        [SL_PSU_SILVER] = silver,     [SL_PSU_BRONZE] = bronze,
    };
    if (grade < 0 || grade >= SL_PSU_GRADE_COUNT)
        grade = SL_PSU_PLATINUM;
    *effs = tables[grade];
    if (grade == SL_PSU_TITANIUM) {
        *loads = load4;
        return 4;
    }
    *loads = load3;
    return 3;
}
