/*
 * Small helpers shared by the unit tests (include after <cmocka.h>).
 *
 * test_write_file writes text to dir/name and returns the path in a static
 * buffer (valid until the next call); assert_close fails when got is not
 * within rel * max(|want|, 1) of want, printing both to 17 digits;
 * test_rm_tree removes a file or a folder with everything in it (a test's
 * mkdtemp folder at teardown); TEST_TMPDIR_FIXTURES(dir) defines the group
 * setup and teardown of a test whose files live in the mkdtemp folder of
 * the template dir (a char array).
 */
#ifndef SUANLI_TESTS_TEST_UTIL_H
#define SUANLI_TESTS_TEST_UTIL_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *test_write_file(const char *dir, const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static inline void assert_close(double got, double want, double rel)
{
    double tol = rel * fmax(fabs(want), 1.0);
    if (!(fabs(got - want) <= tol))
        print_error("got %.17g, want %.17g (relative tolerance %g)\n", got, want, rel);
    assert_true(fabs(got - want) <= tol);
}

static inline int test_rm_tree(const char *path)
{
    DIR *dp = opendir(path);
    if (!dp)
        return remove(path);
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        test_rm_tree(sub);
    }
    closedir(dp);
    return remove(path);
}

#define TEST_TMPDIR_FIXTURES(dir)                                                                  \
    static int setup(void **state)                                                                 \
    {                                                                                              \
        (void)state;                                                                               \
        return mkdtemp(dir) ? 0 : -1;                                                              \
    }                                                                                              \
    static int teardown(void **state)                                                              \
    {                                                                                              \
        (void)state;                                                                               \
        test_rm_tree(dir);                                                                         \
        return 0;                                                                                  \
    }

#endif
