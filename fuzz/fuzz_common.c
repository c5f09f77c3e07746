/*
 * The private folder of a harness and the writing of inputs into it (see
 * fuzz_common.h).  Files are rewritten in place, one per purpose, so a run
 * of millions of inputs leaves a handful of files behind at most, and none
 * once the process exits normally.
 */
#define _POSIX_C_SOURCE 200809L

#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 8

static char dir[512];
static char paths[MAX_FILES][600];
static size_t npaths;

static void cleanup(void)
{
    for (size_t i = 0; i < npaths; i++)
        unlink(paths[i]);
    if (dir[0])
        rmdir(dir);
}

const char *fuzz_path(const char *name)
{
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/suanli-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(cleanup);
    }
    for (size_t i = 0; i < npaths; i++) {
        const char *base = strrchr(paths[i], '/') + 1;
        if (strcmp(base, name) == 0)
            return paths[i];
    }
    if (npaths == MAX_FILES) {
        fprintf(stderr, "fuzz: too many files\n");
        abort();
    }
    snprintf(paths[npaths], sizeof paths[npaths], "%s/%s", dir, name);
    return paths[npaths++];
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: writing the input file");
        abort();
    }
}
