/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: run the fuzz harness once on each input file (or on every
 * file of each directory) given on the command line, without libFuzzer:
 * built with gcc and ASan + UBSan, this replays the seed corpus and the
 * crashes found so far as a regression test.  Prints
 * "replayed N inputs" at the end; a failing input aborts with its name
 * printed first.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-hv.h"

static unsigned replayed;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0, n;

    if (!f) {
        perror(path);
        return 1;
    }
    do {
        if (size == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            if (!buf) {
                fclose(f);
                return 1;
            }
        }
        n = fread(buf + size, 1, cap - size, f);
        size += n;
    } while (n);
    fclose(f);
    fprintf(stderr, "# %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    replayed++;
    return 0;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_path(const char *path)
{
    struct dirent **names;
    struct stat st;
    int i, n, rc = 0;

    if (stat(path, &st)) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return replay_file(path);
    }
    n = scandir(path, &names, NULL, name_cmp);
    if (n < 0) {
        perror(path);
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char *p = malloc(strlen(path) + strlen(names[i]->d_name) + 2);

            sprintf(p, "%s/%s", path, names[i]->d_name);
            rc |= replay_path(p);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int i, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        rc |= replay_path(argv[i]);
    }
    printf("replayed %u inputs\n", replayed);
    return rc;
}
