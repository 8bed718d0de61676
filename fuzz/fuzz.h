/* fuzz.h — shared by the libFuzzer harnesses in fuzz/ (docs/fuzzing.md).
 *
 * Each harness defines `static int fuzz_NAME(const uint8_t *data, size_t n)`
 * and, unless FUZZ_NO_MAIN is defined, the libFuzzer entry point calling it;
 * tests/test_fuzz.c includes every harness with FUZZ_NO_MAIN to replay the
 * committed regression inputs (tests/fuzz/NAME/) and the seeds in make test.
 * A harness returns 0; a broken property (not a mere input error) is
 * reported and abort()s, which libFuzzer records as a crash. */
#ifndef PA_FUZZ_H
#define PA_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A path whose file holds exactly data[0..n): a memfd, rewritten per call
 * (one per slot, so a harness can hold two files at once). */
static inline const char *fuzz_file(int slot, const uint8_t *data, size_t n)
{
    static int fd[4] = {-1, -1, -1, -1};
    static char path[4][64];
    if (fd[slot] < 0) {
        fd[slot] = memfd_create("privaudit-fuzz", MFD_CLOEXEC);
        if (fd[slot] < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
    }
    if (ftruncate(fd[slot], 0) != 0 || (n && pwrite(fd[slot], data, n, 0) != (ssize_t)n)) {
        perror("memfd write");
        abort();
    }
    return path[slot];
}

static char fuzz_dir_path[64];

/* At exit: the folder of fuzz_dir and the files the harnesses write in it. */
static inline void fuzz_dir_remove(void)
{
    static const char *const names[] = {"frame.csv", "frame.schema.json"};
    char p[128];
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_dir_path, names[k]);
        unlink(p);
    }
    rmdir(fuzz_dir_path);
}

/* A private folder for files a harness writes (in /dev/shm when there is
 * one), removed when the process exits. */
static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_path[0]) {
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/privaudit-fuzz-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fuzz_dir_path)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir_path;
}

#define FUZZ_FAIL(...)                                                                                               \
    do {                                                                                                             \
        fprintf(stderr, "fuzz property broken: " __VA_ARGS__);                                                       \
        fputc('\n', stderr);                                                                                         \
        abort();                                                                                                     \
    } while (0)

#endif
