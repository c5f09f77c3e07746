/*
 * Tests for "did you mean" suggestions (src/core/suggest.c).
 *
 * Edit distances are checked on textbook pairs (kitten/sitting = 3,
 * flaw/lawn = 2) and on the edge cases of the dynamic programme (empty
 * strings, one string a prefix of the other, the 64-character limit);
 * symmetry and the triangle inequality on every pair of a small word list.
 * Suggestions are checked for the threshold, ties (the first candidate
 * wins), the prefix fallback and case folding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "suanli/suggest.h"

static void test_distance_known(void **state)
{
    (void)state;
    assert_int_equal(sl_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(sl_edit_distance("flaw", "lawn"), 2);
    assert_int_equal(sl_edit_distance("", ""), 0);
    assert_int_equal(sl_edit_distance("", "abc"), 3);
    assert_int_equal(sl_edit_distance("abc", ""), 3);
    assert_int_equal(sl_edit_distance("servers", "sevrers"), 2);
    assert_int_equal(sl_edit_distance("dc-800", "dc-800-sst"), 4);
    assert_int_equal(sl_edit_distance("Chengde", "chengde"), 1);
    assert_int_equal(sl_edit_distance_nocase("Chengde", "chengde"), 0);
    assert_int_equal(sl_edit_distance_nocase("SHIJAZHUANG", "shijiazhuang"), 1);
    /* The limit: 64 characters are compared, 65 are never near. */
    char a[SL_SUGGEST_MAX_LEN + 2], b[SL_SUGGEST_MAX_LEN + 2];
    memset(a, 'a', SL_SUGGEST_MAX_LEN);
    a[SL_SUGGEST_MAX_LEN] = '\0';
    memcpy(b, a, sizeof a);
    b[0] = 'b';
    assert_int_equal(sl_edit_distance(a, b), 1);
    a[SL_SUGGEST_MAX_LEN] = 'a';
    a[SL_SUGGEST_MAX_LEN + 1] = '\0';
    assert_true(sl_edit_distance(a, b) == SIZE_MAX);
    assert_true(sl_edit_distance_nocase(b, a) == SIZE_MAX);
}

static void test_distance_metric(void **state)
{
    (void)state;
    static const char *const w[] = {"",        "a",       "ab",       "ba",       "chengde",
                                    "chengdu", "xinghua", "xinhua",   "gold",     "golden",
                                    "silver",  "Silver",  "hvdc-240", "hvdc-336", "ac-eco"};
    size_t n = sizeof w / sizeof w[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            size_t dij = sl_edit_distance(w[i], w[j]);
            assert_int_equal(dij, sl_edit_distance(w[j], w[i]));
            assert_int_equal(dij == 0, strcmp(w[i], w[j]) == 0);
            size_t li = strlen(w[i]), lj = strlen(w[j]);
            assert_true(dij >= (li > lj ? li - lj : lj - li));
            assert_true(dij <= (li > lj ? li : lj));
            for (size_t k = 0; k < n; k++)
                assert_true(dij <= sl_edit_distance(w[i], w[k]) + sl_edit_distance(w[k], w[j]));
        }
}

static void test_nearest(void **state)
{
    (void)state;
    static const char *const keys[] = {"servers", "racks", "server", "rack_power", "sites"};
    const size_t n = sizeof keys / sizeof keys[0];
    assert_int_equal(sl_suggest_threshold("abcd"), 1);
    assert_int_equal(sl_suggest_threshold("abcde"), 2);
    assert_int_equal(sl_suggest_threshold("abcdefgh"), 2);
    assert_int_equal(sl_suggest_threshold("abcdefghi"), 3);
    /* Within the threshold. */
    assert_string_equal(sl_suggest_nearest("sevrers", keys, n, 2, 0), "servers");
    assert_string_equal(sl_suggest_nearest("rakcs", keys, n, 2, 0), "racks");
    /* Ties go to the first candidate: "serverx" is 1 from both. */
    assert_string_equal(sl_suggest_nearest("serverx", keys, n, 2, 0), "servers");
    /* Too far: nothing, unless a prefix is shared. */
    assert_null(sl_suggest_nearest("zzz", keys, n, 1, 0));
    assert_null(sl_suggest_nearest("racks_total", keys, n, 3, 0));
    assert_string_equal(sl_suggest_nearest("racks_total", keys, n, 3, SL_SUGGEST_PREFIX), "racks");
    assert_null(sl_suggest_nearest("rack_pwr_limit", keys, n, 3, SL_SUGGEST_PREFIX));
    assert_string_equal(sl_suggest_nearest("rack_power_cap", keys, n, 3, SL_SUGGEST_PREFIX),
                        "rack_power");
    /* Two characters are not a prefix worth suggesting. */
    assert_null(sl_suggest_nearest("ra", keys, n, 0, SL_SUGGEST_PREFIX));
    /* Case. */
    assert_null(sl_suggest_nearest("SERVERS", keys, n, 2, 0));
    assert_string_equal(sl_suggest_nearest("SERVERS", keys, n, 2, SL_SUGGEST_NOCASE), "servers");
    assert_string_equal(
        sl_suggest_nearest("SERV", keys, n, 0, SL_SUGGEST_NOCASE | SL_SUGGEST_PREFIX), "servers");
    /* No candidates. */
    assert_null(sl_suggest_nearest("servers", keys, 0, 3, SL_SUGGEST_PREFIX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance_known),
        cmocka_unit_test(test_distance_metric),
        cmocka_unit_test(test_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
