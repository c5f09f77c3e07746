/*
 * 80 PLUS efficiency curves of server power supplies (see
 * include/suanli/chain.h, sl_psu_curve).
 *
 * A curve is the programme's required efficiency at its test loads for
 * 230 V internal redundant supplies (reference/power-cooling.md §1.1):
 * Titanium at 10/20/50/100 % of rated load, Platinum, Gold, Silver and
 * Bronze at 20/50/100 %.  Between and below those points the chain's stage
 * rules apply (linear interpolation; below the first point half the loss is
 * fixed).  Grades are indices in the order of enum sl_psu_grade
 * (include/suanli/catalog.h): titanium 0, platinum 1, gold 2, silver 3,
 * bronze 4; the power layer sits below the catalog and does not include it,
 * so tests/test_chain.c checks that the two orders agree.
 */
#include "suanli/chain.h"

#include <stddef.h>

static const double load4[] = {0.1, 0.2, 0.5, 1.0};
static const double load3[] = {0.2, 0.5, 1.0};
static const double titanium[] = {0.90, 0.94, 0.96, 0.91};
static const double platinum[] = {0.90, 0.94, 0.91};
static const double gold[] = {0.88, 0.92, 0.88};
static const double silver[] = {0.85, 0.89, 0.85};
static const double bronze[] = {0.81, 0.85, 0.81};

#define GRADE_TITANIUM 0
#define GRADE_PLATINUM 1

size_t sl_psu_curve(int grade, const double **loads, const double **effs)
{
    static const double *const tables[] = {titanium, platinum, gold, silver, bronze};
    if (grade < 0 || grade >= (int)(sizeof tables / sizeof tables[0]))
        grade = GRADE_PLATINUM;
    *effs = tables[grade];
    if (grade == GRADE_TITANIUM) {
        *loads = load4;
        return 4;
    }
    *loads = load3;
    return 3;
}
