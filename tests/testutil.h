/* testutil.h — helpers shared by the Criterion suites: temporary folders,
 * writing fixture files, running the privaudit binary and capturing its
 * output. Everything is static inline so that each suite uses what it needs. */
#ifndef PA_TESTUTIL_H
#define PA_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A fresh folder under $TMPDIR (or /tmp); the caller removes it with tu_rmtree. */
static inline char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/privaudit-test-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline void tu_rmtree(const char *dir)
{
    if (!dir)
        return;
    pid_t pid;
    char *argv[] = {"rm", "-rf", (char *)dir, NULL};
    if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0)
        waitpid(pid, NULL, 0);
}

/* Writes text to dir/name; returns the malloc'd path. */
static inline char *tu_write(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return strdup(path);
}

static inline char *tu_path(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return strdup(path);
}

static inline int tu_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* The privaudit binary: $PRIVAUDIT_BIN (set by make test), else ./privaudit. */
static inline const char *tu_bin(void)
{
    const char *b = getenv("PRIVAUDIT_BIN");
    return b && *b ? b : "./privaudit";
}

/* Reads a whole file (malloc'd, NUL-terminated), "" if absent. */
static inline char *tu_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    return buf;
}

typedef struct tu_result {
    int code;     /* exit code, or 128 + signal */
    char *out;    /* stdout */
    char *err;    /* stderr */
} tu_result;

static inline void tu_result_free(tu_result *r)
{
    free(r->out);
    free(r->err);
}

/* Runs privaudit with argv (NULL-terminated, without the program name) in
 * folder dir, capturing stdout and stderr into files of dir. */
static inline tu_result tu_run(const char *dir, const char *const *args)
{
    tu_result r = {.code = -1};
    char *argv[64];
    size_t k = 0;
    argv[k++] = (char *)tu_bin();
    for (; args[k - 1] && k < 63; k++)
        argv[k] = (char *)args[k - 1];
    argv[k] = NULL;
    char *out = tu_path(dir, ".stdout"), *err = tu_path(dir, ".stderr");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0) {
        int st;
        waitpid(pid, &st, 0);
        r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    posix_spawn_file_actions_destroy(&fa);
    r.out = tu_slurp(out);
    r.err = tu_slurp(err);
    free(out);
    free(err);
    return r;
}

/* Starts privaudit in the background (output to /dev/null); returns its pid. */
static inline pid_t tu_spawn(const char *const *args)
{
    char *argv[64];
    size_t k = 0;
    argv[k++] = (char *)tu_bin();
    for (; args[k - 1] && k < 63; k++)
        argv[k] = (char *)args[k - 1];
    argv[k] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static inline void tu_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
