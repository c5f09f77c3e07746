/*
 * What the libFuzzer harnesses share: the library reads files by path, so
 * each input is written to a file in a private folder the harness makes
 * once (under $TMPDIR, else /tmp) and removes at exit.  A relative path
 * inside a scenario (site.weather) therefore starts in that folder, never
 * in the source tree.
 */
#ifndef SUANLI_FUZZ_COMMON_H
#define SUANLI_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Returns the path of `name` inside the harness's private folder, making
 * the folder on first use; the string is static.  Aborts if the folder
 * cannot be made: the harness cannot run without it. */
const char *fuzz_path(const char *name);

/* Replaces the file at path with size bytes of data; aborts on failure. */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);

#endif
