/*
 * Tests for atomic output files and sl_mkdirs (src/core/outfile.c).
 *
 * Each test works in a fresh directory from mkdtemp under /tmp and removes
 * it afterwards.  The directory is listed at each stage to show the states a
 * reader can observe: before commit only the hidden ".<name>.tmp.XXXXXX"
 * exists, beside where the output will be; after commit only the output,
 * with all its bytes; after abort or a failed commit, nothing new.  Errors
 * are checked for their code and for a diagnostic that names the path.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "torture.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/outfile.h"

#define PATHSZ 4096

/* ---- Scratch directories. ---- */

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char sub[PATHSZ];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                remove_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int make_scratch(void **state)
{
    char *dir = malloc(PATHSZ);
    if (!dir)
        return -1;
    snprintf(dir, PATHSZ, "/tmp/suanli_test_outfile.XXXXXX");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int remove_scratch(void **state)
{
    sl_alloc_set_hook(NULL, NULL);
    char *dir = *state;
    remove_tree(dir);
    free(dir);
    return 0;
}

static void join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATHSZ, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATHSZ);
}

/* The names in dir other than . and .., sorted, joined by '|'. */
static void list_dir(const char *dir, char *out, size_t size)
{
    char names[16][256];
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < 16);
        snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[256];
            memcpy(t, names[j], sizeof t);
            memcpy(names[j], names[j - 1], sizeof t);
            memcpy(names[j - 1], t, sizeof t);
        }
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < n && used < size; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? "|" : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Does s match ".<base>.tmp." followed by six characters? */
static int is_temp_name(const char *s, const char *base)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, ".%s.tmp.", base);
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 && strlen(s + n) == 6;
}

/* ---- Output files. ---- */

static void test_commit(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096], buf[4096];
    join(path, dir, "summary.json");
    struct sl_outfile o;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_OK);
    assert_int_equal(d.code, SL_OK);
    assert_non_null(o.f);
    assert_string_equal(o.final_path, path);

    /* Before commit: no output, one hidden temp beside it. */
    assert_false(exists(path));
    list_dir(dir, listing, sizeof listing);
    assert_true(is_temp_name(listing, "summary.json"));
    char tmp[PATHSZ];
    join(tmp, dir, listing);
    assert_string_equal(o.tmp_path, tmp);
    assert_true(exists(tmp));

    fputs("{\n  \"ok\": 1\n}\n", o.f);
    for (int i = 0; i < 1000; i++)
        fprintf(o.f, "line %d\n", i); /* more than one stdio buffer */
    assert_false(exists(path));

    assert_int_equal(sl_outfile_commit(&o, &d), SL_OK);
    assert_int_equal(d.code, SL_OK);
    assert_null(o.f);
    assert_null(o.tmp_path);
    assert_null(o.final_path);

    /* After: the output with every byte, and no temp. */
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "summary.json");
    assert_false(exists(tmp));
    static char all[65536];
    read_all(path, all, sizeof all);
    assert_true(strncmp(all, "{\n  \"ok\": 1\n}\nline 0\n", 21) == 0);
    snprintf(buf, sizeof buf, "line 999\n");
    assert_string_equal(all + strlen(all) - strlen(buf), buf);
    assert_int_equal(strlen(all), 14 + 10 * 7 + 90 * 8 + 900 * 9);

    /* An ordinary file, not mkstemp's 0600. */
    mode_t mask = umask(0);
    umask(mask);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);

    sl_outfile_abort(&o); /* after commit: a no-op */
    assert_true(exists(path));
}

static void test_abort(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096];
    join(path, dir, "power.csv");
    struct sl_outfile o;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_OK);
    fputs("t,power_w\n0,100\n", o.f);
    list_dir(dir, listing, sizeof listing);
    assert_true(is_temp_name(listing, "power.csv"));
    sl_outfile_abort(&o);
    assert_null(o.f);
    assert_null(o.tmp_path);
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "");
    sl_outfile_abort(&o); /* twice is harmless */
    assert_int_equal(d.code, SL_OK);
}

/* An existing output is replaced whole, and stays intact until then. */
static void test_commit_replaces(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096], buf[256];
    join(path, dir, "summary.json");
    write_file(path, "old content that is longer than the new\n");
    struct sl_outfile o;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_OK);
    fputs("new\n", o.f);
    fflush(o.f);
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "old content that is longer than the new\n");
    assert_int_equal(sl_outfile_commit(&o, &d), SL_OK);
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "new\n");
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "summary.json");

    /* An aborted rewrite leaves the previous output as it was. */
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_OK);
    fputs("never seen\n", o.f);
    sl_outfile_abort(&o);
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "new\n");
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "summary.json");
}

/* Two writers of one name get distinct temps; the last commit wins. */
static void test_two_writers(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096], buf[256];
    join(path, dir, "x");
    struct sl_outfile a, b;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_outfile_open(&a, path, &d), SL_OK);
    assert_int_equal(sl_outfile_open(&b, path, &d), SL_OK);
    assert_string_not_equal(a.tmp_path, b.tmp_path);
    list_dir(dir, listing, sizeof listing);
    char *bar = strchr(listing, '|');
    assert_non_null(bar);
    *bar = '\0';
    assert_true(is_temp_name(listing, "x") && is_temp_name(bar + 1, "x"));
    fputs("from a", a.f);
    fputs("from b", b.f);
    assert_int_equal(sl_outfile_commit(&b, &d), SL_OK);
    assert_int_equal(sl_outfile_commit(&a, &d), SL_OK);
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "from a");
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "x");
}

/* A path without a directory part writes in the working directory. */
static void test_relative_name(void **state)
{
    const char *dir = *state;
    char cwd[PATHSZ], listing[4096] = "", buf[64];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    struct sl_outfile o;
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_outfile_open(&o, "plain.txt", &d);
    if (rc == SL_OK) {
        list_dir(".", listing, sizeof listing);
        fputs("here", o.f);
        rc = sl_outfile_commit(&o, &d);
    }
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, SL_OK);
    assert_true(is_temp_name(listing, "plain.txt"));
    char path[PATHSZ];
    join(path, dir, "plain.txt");
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "here");
}

static void test_open_missing_directory(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096], shown[2048];
    join(path, dir, "no/such/dir/summary.json");
    struct sl_outfile o;
    struct sl_diag d;
    sl_diag_clear(&d);
    memset(&o, 0xab, sizeof o);
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_EIO);
    assert_int_equal(d.code, SL_EIO);
    assert_null(o.f);
    assert_null(o.tmp_path);
    assert_null(o.final_path);
    assert_string_equal(d.file, path);
    sl_diag_format(&d, shown, sizeof shown);
    assert_non_null(strstr(shown, path));
    assert_non_null(strstr(shown, strerror(ENOENT)));
    sl_outfile_abort(&o); /* harmless after a failed open */
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "");
}

/* A commit that cannot rename (the name is taken by a directory) fails
 * with SL_EIO, names the path, and removes its temp. */
static void test_commit_failure_removes_temp(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], inner[PATHSZ], listing[4096], shown[2048];
    join(path, dir, "out");
    assert_int_equal(mkdir(path, 0777), 0);
    join(inner, path, "keep");
    write_file(inner, "k");
    struct sl_outfile o;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_OK);
    fputs("data", o.f);
    assert_int_equal(sl_outfile_commit(&o, &d), SL_EIO);
    assert_int_equal(d.code, SL_EIO);
    assert_string_equal(d.file, path);
    sl_diag_format(&d, shown, sizeof shown);
    assert_non_null(strstr(shown, path));
    assert_non_null(strstr(shown, "cannot write output file"));
    assert_null(o.f);
    assert_null(o.tmp_path);
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "out");
    assert_true(is_dir(path));
    assert_true(exists(inner));
}

/* Writes n bytes through a fresh outfile for path while files are limited to
 * limit bytes (RLIMIT_FSIZE, with SIGXFSZ ignored: writes past the limit fail
 * with EFBIG, as they would on a full disk with ENOSPC), then commits.
 * Returns the commit's result. */
static int commit_with_size_limit(const char *path, rlim_t limit, size_t n, struct sl_diag *d)
{
    struct sl_outfile o;
    assert_int_equal(sl_outfile_open(&o, path, d), SL_OK);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = limit;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (size_t i = 0; i < n; i++)
        fputc('a' + (int)(i % 26), o.f);
    int rc = sl_outfile_commit(&o, d);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_null(o.f);
    assert_null(o.tmp_path);
    return rc;
}

/* A write error fails the commit with SL_EIO naming the path, whether it
 * comes with the last buffer (fflush) or earlier (the stream's error flag,
 * its errno long gone); the temp is removed and the previous output stays
 * whole. */
static void test_commit_write_error(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096], shown[2048], buf[256];
    join(path, dir, "timeseries.csv");
    static const size_t sizes[] = {200, 1 << 20};
    for (size_t k = 0; k < 2; k++) {
        struct sl_diag d;
        sl_diag_clear(&d);
        assert_int_equal(commit_with_size_limit(path, 100, sizes[k], &d), SL_EIO);
        assert_int_equal(d.code, SL_EIO);
        assert_string_equal(d.file, path);
        sl_diag_format(&d, shown, sizeof shown);
        assert_non_null(strstr(shown, path));
        assert_non_null(strstr(shown, "cannot write output file"));
        /* The reason is EFBIG's, or says a write failed: never a stale
         * errno such as "Success". */
        assert_true(strstr(shown, strerror(EFBIG)) || strstr(shown, "a write failed"));
        list_dir(dir, listing, sizeof listing);
        assert_string_equal(listing, "");
    }
    /* At the limit exactly, everything fits. */
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(commit_with_size_limit(path, 100, 100, &d), SL_OK);
    read_all(path, buf, sizeof buf);
    assert_int_equal(strlen(buf), 100);
    /* A failed rewrite leaves it as it was. */
    assert_int_equal(commit_with_size_limit(path, 100, 4096, &d), SL_EIO);
    read_all(path, buf, sizeof buf);
    assert_int_equal(strlen(buf), 100);
    list_dir(dir, listing, sizeof listing);
    assert_string_equal(listing, "timeseries.csv");
}

/* ---- Directories. ---- */

static void test_mkdirs(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], probe[PATHSZ];
    struct sl_diag d;
    sl_diag_clear(&d);

    join(path, dir, "a/b/c");
    assert_int_equal(sl_mkdirs(path, &d), SL_OK);
    assert_true(is_dir(path));
    assert_int_equal(sl_mkdirs(path, &d), SL_OK); /* idempotent */
    join(probe, dir, "a/b");
    assert_int_equal(sl_mkdirs(probe, &d), SL_OK); /* an existing parent */

    join(path, dir, "x/y/");
    assert_int_equal(sl_mkdirs(path, &d), SL_OK);
    join(probe, dir, "x/y");
    assert_true(is_dir(probe));

    join(path, dir, "p//q///r");
    assert_int_equal(sl_mkdirs(path, &d), SL_OK);
    join(probe, dir, "p/q/r");
    assert_true(is_dir(probe));

    /* The scratch directory itself, which exists, and the root. */
    assert_int_equal(sl_mkdirs(dir, &d), SL_OK);
    assert_int_equal(sl_mkdirs("/", &d), SL_OK);
    assert_int_equal(d.code, SL_OK);

    /* A relative path, from the working directory. */
    char cwd[PATHSZ];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    int rc = sl_mkdirs("rel/one", &d);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, SL_OK);
    join(probe, dir, "rel/one");
    assert_true(is_dir(probe));

    /* The directories can hold an output. */
    join(path, dir, "a/b/c/summary.json");
    struct sl_outfile o;
    assert_int_equal(sl_outfile_open(&o, path, &d), SL_OK);
    assert_int_equal(sl_outfile_commit(&o, &d), SL_OK);
    assert_true(exists(path));
}

static void test_mkdirs_through_file(void **state)
{
    const char *dir = *state;
    char file[PATHSZ], path[PATHSZ], shown[2048];
    join(file, dir, "f");
    write_file(file, "i am a file");

    /* A file where a parent should be. */
    struct sl_diag d;
    sl_diag_clear(&d);
    join(path, dir, "f/sub/deeper");
    assert_int_equal(sl_mkdirs(path, &d), SL_EIO);
    assert_int_equal(d.code, SL_EIO);
    sl_diag_format(&d, shown, sizeof shown);
    assert_non_null(strstr(shown, file));
    assert_non_null(strstr(shown, "cannot create output directory"));

    /* A file where the directory itself should be. */
    sl_diag_clear(&d);
    assert_int_equal(sl_mkdirs(file, &d), SL_EIO);
    assert_string_equal(d.file, file);
    assert_non_null(strstr(d.msg, "not a directory"));

    /* The file is untouched either way. */
    char buf[64];
    read_all(file, buf, sizeof buf);
    assert_string_equal(buf, "i am a file");
}

/* An empty path is an error, not a read past the end of the copy. */
static void test_mkdirs_empty(void **state)
{
    (void)state;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_mkdirs("", &d), SL_EIO);
    assert_int_equal(d.code, SL_EIO);
}

static void test_alloc_failure(void **state)
{
    const char *dir = *state;
    char path[PATHSZ], listing[4096];
    join(path, dir, "out.json");
    int failures = 0;
    for (long budget = 0;; budget++) {
        struct torture t = {budget, 0, 0};
        struct sl_outfile o;
        struct sl_diag d;
        sl_diag_clear(&d);
        sl_alloc_set_hook(torture_alloc, &t);
        int rc = sl_outfile_open(&o, path, &d);
        if (rc == SL_OK) {
            fputs("x", o.f);
            rc = sl_outfile_commit(&o, &d);
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(rc, SL_OK);
            assert_int_equal(t.live, 0);
            break;
        }
        sl_alloc_set_hook(NULL, NULL);
        assert_int_equal(rc, SL_ENOMEM);
        assert_int_equal(d.code, SL_ENOMEM);
        assert_int_equal(t.live, 0);
        assert_null(o.f);
        list_dir(dir, listing, sizeof listing);
        assert_string_equal(listing, "");
        failures++;
        assert_true(budget < 10);
    }
    assert_int_equal(failures, 2); /* the temp name and the final name */
    assert_true(exists(path));

    struct torture t = {0, 0, 0};
    struct sl_diag d;
    sl_diag_clear(&d);
    join(path, dir, "never/made");
    sl_alloc_set_hook(torture_alloc, &t);
    int rc = sl_mkdirs(path, &d);
    sl_alloc_set_hook(NULL, NULL);
    assert_int_equal(rc, SL_ENOMEM);
    assert_int_equal(t.live, 0);
    join(path, dir, "never");
    assert_false(exists(path));
}

#define SCRATCH(fn) cmocka_unit_test_setup_teardown(fn, make_scratch, remove_scratch)

int main(void)
{
    const struct CMUnitTest tests[] = {
        SCRATCH(test_commit),
        SCRATCH(test_abort),
        SCRATCH(test_commit_replaces),
        SCRATCH(test_two_writers),
        SCRATCH(test_relative_name),
        SCRATCH(test_open_missing_directory),
        SCRATCH(test_commit_failure_removes_temp),
        SCRATCH(test_commit_write_error),
        SCRATCH(test_mkdirs),
        SCRATCH(test_mkdirs_through_file),
        cmocka_unit_test(test_mkdirs_empty),
        SCRATCH(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
