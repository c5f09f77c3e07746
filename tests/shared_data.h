/*
 * Tests that need the project's shared data (../shared/data, compiled in as
 * SL_SHARED_DATA: the CSWD weather files and other reference inputs that
 * are too large for the repository).
 *
 * On a developer's machine the data may be missing, and such a test is
 * skipped with a line saying so.  In continuous integration (the
 * environment variable CI is "true", as GitHub Actions and most CI systems
 * set it) a missing folder is a broken set-up, not a reason to pass: the
 * test fails and says where it looked.  Include after <cmocka.h>.
 */
#ifndef SUANLI_TESTS_SHARED_DATA_H
#define SUANLI_TESTS_SHARED_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Returns 1 when the folder path (under SL_SHARED_DATA) exists.  Otherwise
 * fails the current test when CI is "true", else prints why it is skipped
 * and returns 0; the caller then calls skip(). */
static inline int shared_data_present(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0)
        fail_msg("shared data missing: %s does not exist, and CI=true does not allow "
                 "skipping; provide the shared data folder next to the source tree "
                 "(../shared/data, described by its README.md)",
                 path);
    printf("skipped: shared data not found (looked for %s; set CI=true to make this "
           "a failure)\n",
           path);
    return 0;
}

#endif
