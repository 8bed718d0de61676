/* external.c — a generator run as an external program (black-box audit).
 *
 * n = training records, m = synthetic records requested.
 *
 * Parameters:
 *   "argv"    array of strings (required): the program and its arguments,
 *             run directly (posix_spawnp, no shell). Placeholders replaced in
 *             every element: {train} path of the training CSV privaudit
 *             writes (header + rows, core/table.h tbl_write_csv); {out} path
 *             where the program must write the synthetic CSV; {rows} m;
 *             {seed} an integer in [0, 2^31 − 1) drawn from the sampling
 *             stream; {epsilon}, {delta} the config's target (ε, δ) (%.17g,
 *             "inf" for ε = ∞). Other braces are left as they are.
 *   "timeout" seconds (default 600, in (0, 1e6]): the program's process
 *             group is killed (SIGKILL) when it runs longer.
 *   "epsilon", "delta"  the privacy the program declares; default the
 *             config's target. Reported with accountant "declared" and
 *             declared = 1: declared, not verified.
 *
 * fit only copies the training table; sample writes it to a private mkdtemp
 * folder, runs the program once and reads {out} back with the training
 * schema (tbl_read_csv), so one fit + one sample = one run of the program.
 * The folder is removed afterwards. The program's stdin and stdout are
 * /dev/null; its stderr goes to a file whose last lines enter the error
 * message. A failure to start, a nonzero exit, a signal, a timeout → PA_ECHILD;
 * a missing or malformed output CSV → PA_EINPUT naming the file and line.
 *
 * Thread safety: no global state, no chdir, posix_spawnp (safe to call from
 * a threaded harness, unlike fork + non-async-signal-safe work in the child);
 * the child gets its own process group (POSIX_SPAWN_SETPGROUP) so a timeout
 * kills the program and everything it started.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "generators/gen.h"

extern char **environ;

#define EXT_NAME "external"
#define EXT_TAIL_LINES 5
#define EXT_TAIL_BYTES 700

typedef struct ext_state {
    table *train;        /* copy of the training table */
    char **argv;         /* (argc + 1) templates, NULL-terminated */
    size_t argc;
    double timeout;      /* seconds */
    double epsilon, delta; /* the config's target, for {epsilon} {delta} */
    gen_privacy priv;
} ext_state;

static const char *const ext_keys[] = {"argv", "timeout", "epsilon", "delta", NULL};

/* Validates the parameters; *timeout, *eps, *delta get their values. */
static int ext_params(const gen_config *cfg, double *timeout, double *eps, double *delta, pa_err *err)
{
    int rc = gen_param_known(cfg->params, EXT_NAME, ext_keys, err);
    if (rc)
        return rc;
    const cJSON *a = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "argv") : NULL;
    if (!a)
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"argv\" is required (an array "
                       "of strings: the program and its arguments)");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"argv\": expected a non-empty "
                       "array of strings");
    int k = 0;
    for (const cJSON *it = a->child; it; it = it->next, k++)
        if (!cJSON_IsString(it) || (k == 0 && !it->valuestring[0]))
            return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"argv\"[%d]: expected a %s"
                           "string", k, k == 0 ? "non-empty " : "");
    if ((rc = gen_param_num(cfg->params, EXT_NAME, "timeout", 600, 1e-3, 1e6, timeout, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, EXT_NAME, "epsilon", cfg->epsilon, 0, INFINITY, eps, err)))
        return rc;
    return gen_param_num(cfg->params, EXT_NAME, "delta", cfg->delta, 0, 1, delta, err);
}

static int ext_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    double t, e, d;
    return ext_params(cfg, &t, &e, &d, err);
}

static void ext_free(void *state)
{
    ext_state *st = state;
    if (!st)
        return;
    if (st->argv)
        for (size_t k = 0; k < st->argc; k++)
            free(st->argv[k]);
    free(st->argv);
    tbl_free(st->train);
    free(st);
}

static int ext_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    double timeout, eps, delta;
    int rc = ext_params(cfg, &timeout, &eps, &delta, err);
    if (rc)
        return rc;
    ext_state *st = calloc(1, sizeof *st);
    if (!st)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg->params, "argv");
    st->argc = (size_t)cJSON_GetArraySize(a);
    st->argv = pa_calloc(st->argc + 1, sizeof *st->argv);
    size_t *idx = pa_malloc(train->n ? train->n : 1, sizeof *idx);
    if (!st->argv || !idx) {
        free(idx);
        ext_free(st);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (const cJSON *it = a->child; it; it = it->next, k++)
        if (!(st->argv[k] = pa_strdup(it->valuestring))) {
            free(idx);
            ext_free(st);
            return pa_errf(err, PA_ENOMEM, "out of memory");
        }
    for (size_t i = 0; i < train->n; i++)
        idx[i] = i;
    st->train = tbl_rows(train, idx, train->n);
    free(idx);
    if (!st->train) {
        ext_free(st);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    st->timeout = timeout;
    st->epsilon = cfg->epsilon;
    st->delta = cfg->delta;
    st->priv.epsilon = eps;
    st->priv.delta = delta;
    st->priv.rho = NAN;
    st->priv.declared = isinf(eps) ? 0 : 1;
    strcpy(st->priv.accountant, isinf(eps) ? "none" : "declared");
    *state = st;
    return PA_OK;
}

/* Appends s to the growing buffer (*buf, *len, *cap); 0 on success. */
static int buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*cap ? *cap : 64);
        while (c < *len + n + 1)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

/* A new string: tmpl with the known placeholders replaced; NULL on ENOMEM. */
static char *expand(const char *tmpl, const char *const *keys, const char *const *vals)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (buf_add(&buf, &len, &cap, "", 0))
        return NULL;
    for (const char *p = tmpl; *p;) {
        size_t k = 0;
        if (*p == '{')
            for (; keys[k]; k++)
                if (strncmp(p, keys[k], strlen(keys[k])) == 0)
                    break;
        if (*p == '{' && keys[k]) {
            if (buf_add(&buf, &len, &cap, vals[k], strlen(vals[k])))
                goto fail;
            p += strlen(keys[k]);
        } else {
            if (buf_add(&buf, &len, &cap, p, 1))
                goto fail;
            p++;
        }
    }
    return buf;
fail:
    free(buf);
    return NULL;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

/* The last EXT_TAIL_LINES lines (at most EXT_TAIL_BYTES bytes) of the file at
 * path into out (size cap), newlines shown as " | "; "" if none. */
static void stderr_tail(const char *path, char *out, size_t cap)
{
    out[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char buf[EXT_TAIL_BYTES + 1];
    size_t got = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        long from = sz > EXT_TAIL_BYTES ? sz - EXT_TAIL_BYTES : 0;
        if (fseek(f, from, SEEK_SET) == 0)
            got = fread(buf, 1, EXT_TAIL_BYTES, f);
    }
    fclose(f);
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
        got--;
    buf[got] = 0;
    size_t start = 0, lines = 0;
    for (size_t i = got; i-- > 0;)
        if (buf[i] == '\n' && ++lines == EXT_TAIL_LINES) {
            start = i + 1;
            break;
        }
    size_t o = 0;
    for (size_t i = start; i < got && o + 4 < cap; i++) {
        if (buf[i] == '\n') {
            memcpy(out + o, " | ", 3);
            o += 3;
        } else if (buf[i] != '\r') {
            out[o++] = buf[i];
        }
    }
    out[o] = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs argv with stdin/stdout on /dev/null and stderr into errpath, killing
 * its process group after timeout seconds. PA_OK if it exited with status 0;
 * else PA_ECHILD with the program, status and stderr tail. */
static int run_program(char *const *argv, const char *errpath, double timeout, pa_err *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    if (posix_spawn_file_actions_init(&fa))
        return pa_errf(err, PA_ENOMEM, "out of memory");
    if (posix_spawnattr_init(&at)) {
        posix_spawn_file_actions_destroy(&fa);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    int e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!e)
        e = posix_spawnattr_setpgroup(&at, 0);
    if (!e)
        e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    pid_t pid = -1;
    if (!e)
        e = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e)
        return pa_errf(err, PA_ECHILD, "generator \"external\": cannot run \"%s\": %s", argv[0], strerror(e));
    int status = 0, timed_out = 0;
    double t0 = now_s();
    long nap_us = 500;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return pa_errf(err, PA_ECHILD, "generator \"external\": waiting for \"%s\": %s", argv[0],
                           strerror(errno));
        if (!timed_out && now_s() - t0 > timeout) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        struct timespec ts = {0, nap_us * 1000L};
        nanosleep(&ts, NULL);
        if (nap_us < 20000)
            nap_us *= 2;
    }
    /* Anything the program left running in its group goes too. */
    kill(-pid, SIGKILL);
    char tail[EXT_TAIL_BYTES + 64];
    if (timed_out) {
        stderr_tail(errpath, tail, sizeof tail);
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" timed out after %g s (killed); "
                       "stderr: %s", argv[0], timeout, tail[0] ? tail : "(empty)");
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return PA_OK;
    stderr_tail(errpath, tail, sizeof tail);
    if (WIFSIGNALED(status))
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" killed by signal %d (%s); stderr: %s",
                       argv[0], WTERMSIG(status), strsignal(WTERMSIG(status)), tail[0] ? tail : "(empty)");
    return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" exited with status %d; stderr: %s",
                   argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail[0] ? tail : "(empty)");
}

static int ext_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    const ext_state *st = state;
    *out = NULL;
    const char *base = getenv("TMPDIR");
    char dir[PATH_MAX - 32], train_p[PATH_MAX], out_p[PATH_MAX], err_p[PATH_MAX];
    if (base && strlen(base) + 32 > sizeof dir)
        return pa_errf(err, PA_EINPUT, "generator \"external\": TMPDIR is too long (%zu bytes)", strlen(base));
    snprintf(dir, sizeof dir, "%s/privaudit-ext-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        return pa_errf(err, PA_EIO, "generator \"external\": cannot create a temporary folder %s: %s", dir,
                       strerror(errno));
    snprintf(train_p, sizeof train_p, "%s/train.csv", dir);
    snprintf(out_p, sizeof out_p, "%s/synth.csv", dir);
    snprintf(err_p, sizeof err_p, "%s/stderr.txt", dir);
    char **argv = NULL;
    int rc = tbl_write_csv(st->train, train_p, err);
    if (rc) {
        pa_err_prefix(err, "generator \"external\": writing the training CSV");
        goto done;
    }
    char rows[32], seed[32], eps[40], delta[40];
    snprintf(rows, sizeof rows, "%zu", m);
    snprintf(seed, sizeof seed, "%lu", gsl_rng_uniform_int(r, 2147483647UL));
    snprintf(eps, sizeof eps, "%.17g", st->epsilon);
    snprintf(delta, sizeof delta, "%.17g", st->delta);
    const char *keys[] = {"{train}", "{out}", "{rows}", "{seed}", "{epsilon}", "{delta}", NULL};
    const char *vals[] = {train_p, out_p, rows, seed, eps, delta, NULL};
    argv = pa_calloc(st->argc + 1, sizeof *argv);
    if (!argv) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < st->argc; k++)
        if (!(argv[k] = expand(st->argv[k], keys, vals))) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto done;
        }
    if ((rc = run_program(argv, err_p, st->timeout, err)))
        goto done;
    struct stat sb;
    if (stat(out_p, &sb) != 0) {
        rc = pa_errf(err, PA_EINPUT, "generator \"external\": \"%s\" exited with status 0 but wrote no "
                     "output CSV at %s ({out})", argv[0], out_p);
        goto done;
    }
    table *t = NULL;
    if ((rc = tbl_read_csv(out_p, st->train->s, &t, err))) {
        pa_err_prefix(err, "generator \"external\": output of \"%s\"", argv[0]);
        if (rc != PA_ENOMEM) {
            rc = PA_EINPUT;
            if (err)
                err->code = PA_EINPUT;
        }
        goto done;
    }
    if (t->n == 0 && m > 0) {
        tbl_free(t);
        rc = pa_errf(err, PA_EINPUT, "generator \"external\": output of \"%s\" (%s) has a header but no "
                     "rows (%zu requested)", argv[0], out_p, m);
        goto done;
    }
    *out = t;
done:
    if (argv)
        for (size_t k = 0; k < st->argc; k++)
            free(argv[k]);
    free(argv);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

static void ext_privacy(const void *state, gen_privacy *out)
{
    *out = ((const ext_state *)state)->priv;
}

const gen_vtable gen_external = {
    .name = "external",
    .summary = "any program run as a command (argv, no shell): CSV in, CSV out; privacy declared, not verified",
    .check = ext_check,
    .fit = ext_fit,
    .sample = ext_sample,
    .privacy = ext_privacy,
    .free_state = ext_free,
};
