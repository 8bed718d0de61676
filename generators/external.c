/* external.c — a generator run as an external program (black-box audit).
 *
 * n = training records, m = synthetic records requested.
 *
 * Parameters:
 *   "argv"    array of strings (required): the program and its arguments,
 *             run directly (execve after a PATH search, no shell).
 *             Placeholders replaced in every element: {train} path of the
 *             training CSV privaudit writes (header + rows, core/table.h
 *             tbl_write_csv); {out} path where the program must write the
 *             synthetic CSV; {rows} m; {seed} an integer in [0, 2^31 − 1)
 *             drawn from the sampling stream; {epsilon}, {delta} the config's
 *             target (ε, δ) (%.17g, "inf" for ε = ∞). Other braces are left
 *             as they are.
 *   "timeout" seconds (default 600, in (0, 1e6]): the program and all it
 *             started are killed (SIGKILL) when it runs longer.
 *   "max_output_mb"  the largest file the program may write, in MB (10^6
 *             bytes; default 1 + 16·b·m/10^6 where b is the bytes per row of
 *             the training CSV): enforced while it runs (RLIMIT_FSIZE: a
 *             larger write kills it) and again when {out} is read.
 *   "max_rows" rows accepted in {out} (default m, the rows asked; below m
 *             it is refused, PA_EINPUT: by check when gen_config.rows gives
 *             m, else by sample): more is the program
 *             failing, found while reading (the rest is not read). Fewer
 *             than m rows is always the program failing.
 *   "epsilon", "delta"  the privacy the program declares; default the
 *             config's target. Reported with accountant "declared" and
 *             declared = 1: declared, not verified.
 *   "rho"     optional, in (0, 1e6]: the program also declares ρ-zCDP (it
 *             accounts in zCDP, as MST, AIM or Private-GSD do). Then the
 *             audit's profile test applies (audit/profile.h): the scores are
 *             tested against the whole ρ-zCDP privacy profile, not only the
 *             one (ε, δ) point. ρ must not promise less than (ε, δ): its CKS
 *             2020 conversion acct_zcdp_to_eps(ρ, δ) may not exceed ε (by
 *             more than 1e-9 relative), else PA_EINPUT naming both. Reported
 *             with accountant "declared-zcdp" and rho_spent = ρ. {rho} in argv
 *             is ρ (%.17g); without "rho" it is the ρ whose conversion is the
 *             config's (ε, δ) (acct_zcdp_rho), so a script can take its budget
 *             in zCDP.
 *   "gaussian_only"  optional boolean (default false; true needs "rho"):
 *             every private measurement of the program is a Gaussian
 *             mechanism (adaptive composition, then post-processing only),
 *             so its ρ-zCDP is μ-GDP with μ = √(2ρ) and the profile test uses
 *             the Gaussian trade-off curve (gen_gaussian_only; accountant
 *             "declared-gdp"). Not true of a program that also selects with
 *             the exponential mechanism or adds Laplace noise.
 *
 * fit only copies the training table; sample writes it to a private folder
 * $TMPDIR/privaudit-ext-PID-XXXXXX (mode 0700, train.csv 0600), runs the
 * program once and reads {out} back with the training schema, so one fit +
 * one sample = one run of the program. {out} is opened without following a
 * link and without blocking, and must be a regular file: a FIFO or a link
 * planted there is refused, never waited on. The folder is removed on every
 * path out of sample; gen_external_abort (called by the harness on SIGINT,
 * SIGTERM, SIGHUP) stops the running programs and removes their folders;
 * after a SIGKILL of privaudit, each program's reaper kills the program and
 * removes the folder itself, and gen_external_sweep removes any folder left
 * by a dead privaudit. A failure to start, a nonzero exit, a signal, a
 * timeout → PA_ECHILD; so is an output that breaks the program's contract,
 * even after exit status 0: {out} missing or not a regular file, too large,
 * a header that is not the schema's columns, a value outside the schema's
 * domain (naming the file, line and column), fewer rows than {rows} or more
 * than max_rows (naming both counts). The program failed, not the user's
 * input: the CLI exits 1 for it, as for a nonzero exit, and a run stores it
 * as a failed trial. Bad parameters are PA_EINPUT (exit 2).
 *
 * Containment. The program does not run as privaudit's child but as the
 * child of a reaper: a process privaudit forks with the raw clone system
 * call (no atfork handlers run, and the child only makes system calls: it
 * is async-signal-safe, so forking from the threaded harness is sound). The
 * reaper marks itself a child sub-reaper (prctl PR_SET_CHILD_SUBREAPER), so
 * every process the program starts that loses its parent — a setsid
 * daemon, a double fork — becomes the reaper's child instead of init's.
 * When the program exits (or must be stopped), the reaper kills its process
 * group, then repeatedly kills every child it has (found in /proc) and
 * reaps them until it has none left; only then does it report the
 * program's status to privaudit through a pipe. The reaper dies with
 * privaudit (PR_SET_PDEATHSIG, SIGUSR2): it then kills the tree the same
 * way and, once the report pipe shows that the whole of privaudit is gone
 * (parent_gone), execs rm -rf on the folder. The program gets its own process group,
 * default signal dispositions, an empty signal mask, stdin and stdout on
 * /dev/null and stderr in a file of the folder whose last lines enter the
 * error message.
 */
#define _GNU_SOURCE /* clone flags, pipe2, O_DIRECTORY; also nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "audit/acct.h"
#include "generators/external.h"
#include "generators/gen.h"

extern char **environ;

#define EXT_NAME "external"
#define EXT_TAIL_LINES 5
#define EXT_TAIL_BYTES 700
#define EXT_PREFIX "privaudit-ext-"
#define EXT_MAX_LIVE 256    /* programs running at once (threads) */
#define EXT_MB 1e6

typedef struct ext_state {
    table *train;        /* copy of the training table */
    char **argv;         /* (argc + 1) templates, NULL-terminated */
    size_t argc;
    double timeout;      /* seconds */
    double max_mb;       /* output cap in MB (10^6 bytes), 0 = the default */
    double max_rows;     /* rows accepted, 0 = the m asked */
    double epsilon, delta; /* the config's target, for {epsilon} {delta} */
    double rho_arg;        /* {rho}: the declared ρ, or the config's (ε, δ) as ρ */
    gen_privacy priv;
} ext_state;

static const char *const ext_keys[] = {"argv", "timeout", "epsilon", "delta", "max_output_mb", "max_rows", "rho",
                                       "gaussian_only", NULL};

/* The limits (0 = default); checked by ext_params. */
static int ext_limits(const gen_config *cfg, double *max_mb, double *max_rows, pa_err *err)
{
    int rc = gen_param_num(cfg->params, EXT_NAME, "max_output_mb", 0, 1e-6, 1e6, max_mb, err);
    if (!rc && cfg->params && cJSON_GetObjectItemCaseSensitive(cfg->params, "max_output_mb") && *max_mb <= 0)
        rc = pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"max_output_mb\": expected a number in "
                     "(0, 1e+06]");
    if (!rc)
        rc = gen_param_int(cfg->params, EXT_NAME, "max_rows", 0, 1, 1e12, max_rows, err);
    if (!rc && *max_rows > 0 && cfg->rows > 0 && *max_rows < (double)cfg->rows)
        rc = pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"max_rows\": %.0f is below the %zu rows "
                     "to be sampled ({rows}): expected at least %zu", *max_rows, cfg->rows, cfg->rows);
    return rc;
}

/* "rho" and "gaussian_only": *rho NAN when not declared; checked against the declared (eps, delta). */
static int ext_zcdp(const gen_config *cfg, double eps, double delta, double *rho, int *gaussian, pa_err *err)
{
    *rho = NAN;
    *gaussian = 0;
    const cJSON *rj = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "rho") : NULL;
    const cJSON *gj = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "gaussian_only") : NULL;
    if (gj && !cJSON_IsBool(gj))
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"gaussian_only\": expected true or "
                       "false");
    if (gj && cJSON_IsTrue(gj) && !rj)
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"gaussian_only\" needs \"rho\" (the "
                       "rho-zCDP the program spends, which is mu-GDP with mu = sqrt(2 rho) when every measurement "
                       "is Gaussian)");
    if (!rj)
        return PA_OK;
    if (!cJSON_IsNumber(rj) || !(rj->valuedouble > 0 && rj->valuedouble <= 1e6))
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"rho\": expected a number in (0, 1e+06]");
    if (!(isfinite(eps) && delta > 0))
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"rho\" needs a finite declared epsilon "
                       "and a delta in (0, 1] (got epsilon %g, delta %g)", eps, delta);
    double e_rho = acct_zcdp_to_eps(rj->valuedouble, delta);
    if (!isfinite(e_rho))
        return pa_errf(err, PA_EINTERNAL, "generator \"external\": the (epsilon, delta) of rho %.6g at delta %g "
                       "could not be computed", rj->valuedouble, delta);
    if (e_rho > eps * (1 + 1e-9)) {
        double r_max = acct_zcdp_rho(eps, delta);
        char alt[64] = "";
        if (isfinite(r_max))
            snprintf(alt, sizeof alt, " or rho <= %.6g", r_max);
        return pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"rho\": %.6g promises less than the "
                       "declared (epsilon, delta) = (%.6g, %g): %.6g-zCDP gives (%.6g, %g)-DP; declare epsilon >= %.6g%s",
                       rj->valuedouble, eps, delta, rj->valuedouble, e_rho, delta, e_rho, alt);
    }
    *rho = rj->valuedouble;
    *gaussian = gj && cJSON_IsTrue(gj);
    return PA_OK;
}

/* Validates the parameters; *timeout, *eps, *delta, *rho (NAN when not declared) and *gaussian get their
 * values. */
static int ext_params(const gen_config *cfg, double *timeout, double *eps, double *delta, double *rho, int *gaussian,
                      pa_err *err)
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
    if ((rc = gen_param_num(cfg->params, EXT_NAME, "delta", cfg->delta, 0, 1, delta, err)))
        return rc;
    if ((rc = ext_zcdp(cfg, *eps, *delta, rho, gaussian, err)))
        return rc;
    double mb, mr;
    return ext_limits(cfg, &mb, &mr, err);
}

static int ext_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    double t, e, d, rho;
    int gaussian;
    return ext_params(cfg, &t, &e, &d, &rho, &gaussian, err);
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
    double timeout, eps, delta, rho;
    int gaussian;
    int rc = ext_params(cfg, &timeout, &eps, &delta, &rho, &gaussian, err);
    if (rc)
        return rc;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg->params, "argv");
    /* {rho}: the declared ρ, or the config's (ε, δ) converted; a failed conversion is an error where it is used */
    const double rho_arg = !isnan(rho) ? rho
                           : isfinite(cfg->epsilon) && cfg->delta > 0 ? acct_zcdp_rho(cfg->epsilon, cfg->delta)
                                                                      : INFINITY;
    for (const cJSON *it = a->child; it && isnan(rho_arg); it = it->next)
        if (strstr(it->valuestring, "{rho}"))
            return pa_errf(err, PA_EINTERNAL, "generator \"external\": {rho}: the rho of (epsilon %g, delta %g) "
                           "could not be computed", cfg->epsilon, cfg->delta);
    ext_state *st = calloc(1, sizeof *st);
    if (!st)
        return pa_errf(err, PA_ENOMEM, "out of memory");
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
    ext_limits(cfg, &st->max_mb, &st->max_rows, NULL);
    st->epsilon = cfg->epsilon;
    st->delta = cfg->delta;
    st->priv.epsilon = eps;
    st->priv.delta = delta;
    st->priv.rho = rho;
    st->priv.declared = isinf(eps) ? 0 : 1;
    strcpy(st->priv.accountant, isinf(eps) ? "none" : !isnan(rho) ? (gaussian ? "declared-gdp" : "declared-zcdp")
                                                      : "declared");
    st->rho_arg = rho_arg;
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

/* ---- the registry of live folders and reapers (for gen_external_abort) ---- */

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int used;
    pid_t reaper;            /* 0 until started */
    char dir[PATH_MAX];
} reg[EXT_MAX_LIVE];
static int reg_aborting;

/* A slot for dir, or -1 when privaudit is being stopped (or all are taken). */
static int reg_add(const char *dir)
{
    pthread_mutex_lock(&reg_mu);
    int slot = -1;
    for (int k = 0; !reg_aborting && k < EXT_MAX_LIVE && slot < 0; k++)
        if (!reg[k].used) {
            reg[k].used = 1;
            reg[k].reaper = 0;
            snprintf(reg[k].dir, sizeof reg[k].dir, "%s", dir);
            slot = k;
        }
    pthread_mutex_unlock(&reg_mu);
    return slot;
}

/* Records the reaper; 0, or -1 (and the reaper is told to stop) when aborting. */
static int reg_set_reaper(int slot, pid_t pid)
{
    pthread_mutex_lock(&reg_mu);
    reg[slot].reaper = pid;
    int ab = reg_aborting;
    pthread_mutex_unlock(&reg_mu);
    if (ab)
        kill(pid, SIGTERM);
    return ab ? -1 : 0;
}

static void reg_remove(int slot)
{
    pthread_mutex_lock(&reg_mu);
    reg[slot].used = 0;
    reg[slot].reaper = 0;
    pthread_mutex_unlock(&reg_mu);
}

static void remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* After gen_external_abort the process is about to end by its signal: a
 * sample that was stopped (or would start) must not return a failure that
 * the run would then store as a failed trial — on --resume that trial would
 * not be played again. It waits here for the end instead. */
static void hold_if_aborting(void)
{
    pthread_mutex_lock(&reg_mu);
    int ab = reg_aborting;
    pthread_mutex_unlock(&reg_mu);
    while (ab)
        pause();
}

void gen_external_abort(void)
{
    pthread_mutex_lock(&reg_mu);
    reg_aborting = 1;
    for (int k = 0; k < EXT_MAX_LIVE; k++)
        if (reg[k].used && reg[k].reaper > 0)
            kill(reg[k].reaper, SIGTERM);
    pthread_mutex_unlock(&reg_mu);
    /* the sampling threads see their reapers stop and remove their folders */
    for (int tries = 0; tries < 1000; tries++) {
        int live = 0;
        pthread_mutex_lock(&reg_mu);
        for (int k = 0; k < EXT_MAX_LIVE; k++)
            live += reg[k].used;
        pthread_mutex_unlock(&reg_mu);
        if (!live)
            return;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&reg_mu);
    for (int k = 0; k < EXT_MAX_LIVE; k++)
        if (reg[k].used) {
            if (reg[k].reaper > 0)
                kill(reg[k].reaper, SIGKILL);
            remove_tree(reg[k].dir);
        }
    pthread_mutex_unlock(&reg_mu);
}

static const char *tmp_base(void)
{
    const char *base = getenv("TMPDIR");
    return base && *base ? base : "/tmp";
}

size_t gen_external_sweep(void)
{
    DIR *d = opendir(tmp_base());
    if (!d)
        return 0;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, EXT_PREFIX, strlen(EXT_PREFIX)) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + strlen(EXT_PREFIX), &end, 10);
        if (pid <= 0 || *end != '-' || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to ask): leave it */
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", tmp_base(), e->d_name) >= (int)sizeof path)
            continue;
        struct stat sb;
        if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid())
            continue;
        remove_tree(path);
        removed += access(path, F_OK) != 0;
    }
    closedir(d);
    return removed;
}

/* ---- the reaper: only system calls from here to the end of reaper_main ---- */

static volatile sig_atomic_t reaper_stop;

static void reaper_on_signal(int sig)
{
    if (reaper_stop != SIGUSR2) /* the parent-death signal is never overwritten */
        reaper_stop = sig;
}

static size_t put_str(char *b, size_t at, const char *s)
{
    while (*s)
        b[at++] = *s++;
    b[at] = 0;
    return at;
}

static size_t put_uint(char *b, size_t at, unsigned long v)
{
    char t[24];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        b[at++] = t[--n];
    b[at] = 0;
    return at;
}

/* The parent pid in the text of /proc/PID/stat ("pid (comm) S ppid ..."), or -1. */
static long stat_ppid(const char *t, ssize_t n)
{
    ssize_t close_paren = -1;
    for (ssize_t i = 0; i < n; i++)
        if (t[i] == ')')
            close_paren = i;
    if (close_paren < 0 || close_paren + 4 >= n)
        return -1;
    ssize_t i = close_paren + 4; /* ") S " */
    long v = 0;
    int any = 0;
    while (i < n && t[i] >= '0' && t[i] <= '9') {
        v = v * 10 + (t[i++] - '0');
        any = 1;
    }
    return any ? v : -1;
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* SIGKILLs every process whose parent is `me`; returns how many. */
static int kill_children_of(pid_t me)
{
    int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192] __attribute__((aligned(8)));
    int killed = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
            off += de->d_reclen;
            unsigned long pid = 0;
            const char *p = de->d_name;
            if (*p < '1' || *p > '9')
                continue;
            while (*p >= '0' && *p <= '9')
                pid = pid * 10 + (unsigned long)(*p++ - '0');
            if (*p)
                continue;
            char path[64];
            size_t at = put_str(path, 0, "/proc/");
            at = put_uint(path, at, pid);
            put_str(path, at, "/stat");
            int sf = open(path, O_RDONLY | O_CLOEXEC);
            if (sf < 0)
                continue;
            char st[512];
            ssize_t got = read(sf, st, sizeof st);
            close(sf);
            if (got > 0 && stat_ppid(st, got) == (long)me) {
                kill((pid_t)pid, SIGKILL);
                killed++;
            }
        }
    }
    close(fd);
    return killed;
}

/* Kills the program's group and every descendant left (they are, or become,
 * children of this sub-reaper), reaping them until none is left (≤ ~10 s). */
static void reap_all(pid_t prog)
{
    pid_t me = getpid();
    kill(-prog, SIGKILL);
    for (int round = 0; round < 10000; round++) {
        kill_children_of(me);
        int w, st;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            ;
        if (w < 0 && errno == ECHILD)
            return;
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

enum { RP_EXITED = 1, RP_SIGNALED = 2, RP_EXEC_FAILED = 3, RP_STOPPED = 4, RP_START_FAILED = 5 };

typedef struct reaper_msg {
    int kind;     /* RP_* */
    int value;    /* exit status, signal, errno */
    pid_t prog;
} reaper_msg;

typedef struct reaper_args {
    const char *path;          /* resolved program */
    char *const *argv;
    const char *errpath;
    const char *dir;           /* the folder, removed if privaudit dies */
    rlim_t fsize;              /* RLIMIT_FSIZE of the program */
    int report_fd;             /* write end of the status pipe */
    pid_t parent;
} reaper_args;

static void send_msg(int fd, int kind, int value, pid_t prog)
{
    reaper_msg m = {.kind = kind, .value = value, .prog = prog};
    ssize_t w;
    do
        w = write(fd, &m, sizeof m);
    while (w < 0 && errno == EINTR);
}

/* Is privaudit gone? PR_SET_PDEATHSIG fires when the *thread* that forked
 * the reaper ends, not the process: when a SIGKILL takes privaudit's threads
 * down one by one, the reaper can be handed to a sibling thread of the same
 * process first, and getppid() still names privaudit (then the folder was
 * left behind). The report pipe tells instead: its read end lives in
 * privaudit alone (close-on-exec, and every reaper closes what it
 * inherited), so the write end polls POLLERR once the whole process has
 * gone. wait: poll for up to 30 s (the threads of a killed process end
 * within milliseconds on an idle machine; once, under a loaded make test,
 * the folder was still there after 30 s with a 10 s wait; a parent that is
 * merely missing one thread stays, and its reaper then lingers that long). */
static int parent_gone(const reaper_args *a, int wait)
{
    for (int k = 0;; k++) {
        if (getppid() != a->parent)
            return 1;
        struct pollfd p = {.fd = a->report_fd, .events = POLLOUT};
        if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
            return 1;
        if (!wait || k >= 3000)
            return 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static pid_t raw_fork(void)
{
    /* clone(SIGCHLD) is fork without glibc's atfork handlers */
    return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

static void program_main(const reaper_args *a, int exec_fd)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct rlimit rl = {a->fsize, a->fsize};
    setrlimit(RLIMIT_FSIZE, &rl);
    int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY),
        er = open(a->errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || er < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0) {
        int e = errno;
        ssize_t w = write(exec_fd, &e, sizeof e);
        (void)w;
        _exit(127);
    }
    if (in > 2)
        close(in);
    if (out > 2)
        close(out);
    if (er > 2)
        close(er);
    execve(a->path, a->argv, environ);
    int e = errno;
    ssize_t w = write(exec_fd, &e, sizeof e);
    (void)w;
    _exit(127);
}

static void reaper_main(const reaper_args *a)
{
    /* keep only the status pipe: privaudit's other descriptors (databases,
     * the pipes of other reapers) must not live on in this process */
    if (a->report_fd > 3)
        syscall(SYS_close_range, 3, a->report_fd - 1, 0);
    syscall(SYS_close_range, a->report_fd + 1, ~0U, 0);
    prctl(PR_SET_PDEATHSIG, SIGUSR2); /* its own signal: see parent_gone */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = reaper_on_signal; /* no SA_RESTART: waitpid returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN; /* a report to a privaudit that is gone must not kill us before rm */
    sigaction(SIGPIPE, &ign, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (getppid() != a->parent) /* privaudit died before PDEATHSIG was set */
        reaper_stop = SIGUSR2;
    int ep[2];
    if (syscall(SYS_pipe2, ep, O_CLOEXEC) != 0) {
        send_msg(a->report_fd, RP_START_FAILED, errno, 0);
        _exit(0);
    }
    pid_t prog = reaper_stop ? -1 : raw_fork();
    if (prog == 0) {
        close(ep[0]);
        program_main(a, ep[1]);
    }
    close(ep[1]);
    if (prog < 0) {
        send_msg(a->report_fd, reaper_stop ? RP_STOPPED : RP_START_FAILED, reaper_stop ? 0 : errno, 0);
        goto stopped;
    }
    send_msg(a->report_fd, 0, 0, prog); /* kind 0: the program's pid */
    int e = 0;
    ssize_t got;
    do
        got = read(ep[0], &e, sizeof e);
    while (got < 0 && errno == EINTR && !reaper_stop);
    close(ep[0]);
    int status = 0, done = 0;
    if (got == (ssize_t)sizeof e) { /* exec failed */
        waitpid(prog, &status, 0);
        send_msg(a->report_fd, RP_EXEC_FAILED, e, prog);
        _exit(0);
    }
    while (!done) {
        if (reaper_stop)
            kill(-prog, SIGKILL), kill(prog, SIGKILL);
        pid_t w = waitpid(prog, &status, 0);
        if (w == prog)
            done = 1;
        else if (w < 0 && errno != EINTR)
            break;
    }
    reap_all(prog);
    if (reaper_stop)
        goto stopped;
    if (WIFEXITED(status))
        send_msg(a->report_fd, RP_EXITED, WEXITSTATUS(status), prog);
    else
        send_msg(a->report_fd, RP_SIGNALED, WIFSIGNALED(status) ? WTERMSIG(status) : 0, prog);
    _exit(0);
stopped:
    if (prog > 0)
        reap_all(prog);
    send_msg(a->report_fd, RP_STOPPED, reaper_stop, prog);
    if (parent_gone(a, reaper_stop == SIGUSR2)) { /* privaudit is gone: nobody else will remove the records */
        char *const rm[] = {"rm", "-rf", "--", (char *)a->dir, NULL};
        execve("/bin/rm", rm, environ);
    }
    _exit(0);
}

/* ---- running the program (privaudit's side) ---- */

/* argv[0] resolved against PATH as execvp would (into buf); -1 with errno. */
static int resolve(const char *prog, char *buf, size_t cap)
{
    if (strchr(prog, '/')) {
        snprintf(buf, cap, "%s", prog);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/bin:/usr/bin";
    int saw_eacces = 0;
    for (const char *p = path;;) {
        const char *q = strchr(p, ':');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (snprintf(buf, cap, "%.*s%s%s", (int)len, p, len ? "/" : "", prog) < (int)cap) {
            struct stat sb;
            if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) {
                if (access(buf, X_OK) == 0)
                    return 0;
                saw_eacces = 1;
            }
        }
        if (!q)
            break;
        p = q + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    return -1;
}

static ssize_t read_msg(int fd, reaper_msg *m, double deadline)
{
    for (;;) {
        double left = deadline - now_s();
        int ms = isinf(deadline) ? -1 : left <= 0 ? 0 : left > 3600 ? 3600000 : (int)(left * 1000) + 1;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return -2; /* deadline */
        ssize_t got = read(fd, m, sizeof *m);
        if (got < 0 && errno == EINTR)
            continue;
        return got;
    }
}

/* Runs argv contained by a reaper (see the top of this file), killing it
 * all after timeout seconds. PA_OK if it exited with status 0; else
 * PA_ECHILD with the program, status and stderr tail (*xfsz = 1 when it was
 * killed for writing a file larger than the cap). */
static int run_program(char *const *argv, const char *errpath, const char *dir, double timeout, size_t cap,
                       int slot, int *xfsz, pa_err *err)
{
    *xfsz = 0;
    char path[PATH_MAX];
    if (resolve(argv[0], path, sizeof path) != 0)
        return pa_errf(err, PA_ECHILD, "generator \"external\": cannot run \"%s\": %s", argv[0], strerror(errno));
    int sp[2];
    if (pipe2(sp, O_CLOEXEC) != 0)
        return pa_errf(err, PA_ECHILD, "generator \"external\": cannot run \"%s\": pipe: %s", argv[0],
                       strerror(errno));
    reaper_args a = {.path = path, .argv = argv, .errpath = errpath, .dir = dir, .fsize = (rlim_t)cap + 1,
                     .report_fd = sp[1], .parent = getpid()};
    pid_t reaper = raw_fork();
    if (reaper == 0) {
        close(sp[0]);
        reaper_main(&a);
        _exit(0);
    }
    close(sp[1]);
    if (reaper < 0) {
        int e = errno;
        close(sp[0]);
        return pa_errf(err, PA_ECHILD, "generator \"external\": cannot run \"%s\": fork: %s", argv[0], strerror(e));
    }
    int aborted = reg_set_reaper(slot, reaper) != 0;
    double deadline = now_s() + timeout, kill_deadline = INFINITY;
    reaper_msg m = {0}, last = {0};
    pid_t prog = 0;
    int timed_out = 0, have = 0, reaped = 0, st = 0;
    /* Read until the final message. Other reapers forked meanwhile may hold
     * a copy of the pipe's write end, so its end of file is not awaited:
     * the reaper's own exit is checked every 0.2 s instead. */
    while (!have) {
        double t = now_s();
        if (!timed_out && t >= deadline) {
            timed_out = 1;
            kill(reaper, SIGTERM); /* it kills the program and its tree, then reports */
            kill_deadline = t + 10;
        }
        if (timed_out && t >= kill_deadline)
            break;
        double until = fmin(timed_out ? kill_deadline : deadline, t + 0.2);
        ssize_t got = read_msg(sp[0], &m, until);
        if (got == -2) {
            if (waitpid(reaper, &st, WNOHANG) == reaper) {
                reaped = 1;
                if (read_msg(sp[0], &m, 0) == (ssize_t)sizeof m && m.kind != 0) {
                    last = m;
                    have = 1;
                }
                break;
            }
            continue;
        }
        if (got != (ssize_t)sizeof m)
            break;
        if (m.kind == 0)
            prog = m.prog;
        else {
            last = m;
            have = 1;
        }
    }
    close(sp[0]);
    if (!have) { /* the reaper failed or hung: make sure nothing is left */
        kill(reaper, SIGKILL);
        if (prog > 0)
            kill(-prog, SIGKILL);
    }
    while (!reaped && waitpid(reaper, &st, 0) < 0 && errno == EINTR)
        ;
    char tail[EXT_TAIL_BYTES + 64];
    stderr_tail(errpath, tail, sizeof tail);
    const char *shown = tail[0] ? tail : "(empty)";
    if (!have)
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\": its reaper ended without a status "
                       "(status %d); stderr: %s", argv[0], st, shown);
    if (timed_out && last.kind == RP_STOPPED)
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" timed out after %g s (killed); "
                       "stderr: %s", argv[0], timeout, shown);
    switch (last.kind) {
    case RP_EXITED:
        if (last.value == 0)
            return PA_OK;
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" exited with status %d; stderr: %s", argv[0],
                       last.value, shown);
    case RP_SIGNALED:
        *xfsz = last.value == SIGXFSZ;
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" killed by signal %d (%s)%s; stderr: %s",
                       argv[0], last.value, strsignal(last.value),
                       last.value == SIGXFSZ ? ": it wrote a file larger than max_output_mb" : "", shown);
    case RP_EXEC_FAILED:
        return pa_errf(err, PA_ECHILD, "generator \"external\": cannot run \"%s\": %s", argv[0],
                       strerror(last.value));
    case RP_STOPPED:
        return pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" stopped: privaudit is %s", argv[0],
                       aborted ? "being interrupted" : "ending");
    default:
        return pa_errf(err, PA_ECHILD, "generator \"external\": cannot run \"%s\": %s", argv[0],
                       strerror(last.value));
    }
}

/* The size of the regular file at path, or -1. */
static long long file_size(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (long long)sb.st_size : -1;
}

static int ext_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    const ext_state *st = state;
    *out = NULL;
    static pthread_once_t swept = PTHREAD_ONCE_INIT;
    pthread_once(&swept, (void (*)(void))gen_external_sweep);
    const char *base = tmp_base();
    char dir[PATH_MAX - 32], train_p[PATH_MAX], out_p[PATH_MAX], err_p[PATH_MAX];
    if (strlen(base) + 64 > sizeof dir)
        return pa_errf(err, PA_EINPUT, "generator \"external\": TMPDIR is too long (%zu bytes)", strlen(base));
    snprintf(dir, sizeof dir, "%s/" EXT_PREFIX "%ld-XXXXXX", base, (long)getpid());
    if (!mkdtemp(dir))
        return pa_errf(err, PA_EIO, "generator \"external\": cannot create a temporary folder %s: %s", dir,
                       strerror(errno));
    chmod(dir, 0700); /* mkdtemp's mode, whatever the umask */
    int slot = reg_add(dir);
    if (slot < 0) {
        remove_tree(dir);
        hold_if_aborting();
        return pa_errf(err, PA_ECHILD, "generator \"external\": not started: %d programs run already",
                       EXT_MAX_LIVE);
    }
    snprintf(train_p, sizeof train_p, "%s/train.csv", dir);
    snprintf(out_p, sizeof out_p, "%s/synth.csv", dir);
    snprintf(err_p, sizeof err_p, "%s/stderr.txt", dir);
    char **argv = NULL;
    int rc = tbl_write_csv(st->train, train_p, err);
    if (rc) {
        pa_err_prefix(err, "generator \"external\": writing the training CSV");
        goto done;
    }
    chmod(train_p, 0600);
    /* the output cap: given, or 1 MB + 16 x the training CSV's bytes per row x m */
    long long tb = file_size(train_p);
    double per_row = st->train->n && tb > 0 ? (double)tb / (double)st->train->n : 64;
    double cap_d = st->max_mb > 0 ? st->max_mb * EXT_MB : EXT_MB + 16 * per_row * (double)m;
    size_t cap = cap_d > 1e15 ? (size_t)1e15 : (size_t)cap_d;
    size_t max_rows = st->max_rows > 0 ? (size_t)st->max_rows : m;
    if (max_rows < m) {
        rc = pa_errf(err, PA_EINPUT, "generator \"external\": parameter \"max_rows\": %zu is below the %zu rows "
                     "asked ({rows}): expected at least %zu", max_rows, m, m);
        goto done;
    }
    char rows[32], seed[32], eps[40], delta[40], rho[40];
    snprintf(rows, sizeof rows, "%zu", m);
    snprintf(seed, sizeof seed, "%lu", gsl_rng_uniform_int(r, 2147483647UL));
    snprintf(eps, sizeof eps, "%.17g", st->epsilon);
    snprintf(delta, sizeof delta, "%.17g", st->delta);
    snprintf(rho, sizeof rho, "%.17g", st->rho_arg);
    const char *keys[] = {"{train}", "{out}", "{rows}", "{seed}", "{epsilon}", "{delta}", "{rho}", NULL};
    const char *vals[] = {train_p, out_p, rows, seed, eps, delta, rho, NULL};
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
    int xfsz = 0;
    rc = run_program(argv, err_p, dir, st->timeout, cap, slot, &xfsz, err);
    long long osz = file_size(out_p);
    char capmsg[160];
    snprintf(capmsg, sizeof capmsg, "more than %g MB (parameter \"max_output_mb\"%s)", (double)cap / EXT_MB,
             st->max_mb > 0 ? "" : "; its default is 1 MB + 16 x the training CSV's bytes per row x {rows}");
    if (osz > (long long)cap || (xfsz && (osz >= (long long)cap || file_size(err_p) >= (long long)cap))) {
        rc = pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" wrote %s", argv[0], capmsg);
        goto done;
    }
    if (rc)
        goto done;
    /* From here on the program exited with status 0 but may have broken its
     * contract ({rows} rows of the schema's columns in {out}): that is the
     * program failing, PA_ECHILD as a nonzero exit, never a release. */
    struct stat sb;
    if (lstat(out_p, &sb) != 0) {
        rc = pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" exited with status 0 but wrote no "
                     "output CSV at %s ({out}): expected a header and %zu rows ({rows})", argv[0], out_p, m);
        goto done;
    }
    table *t = NULL;
    tbl_read_opts ro = {.max_rows = max_rows, .max_bytes = cap, .regular_only = 1};
    if ((rc = tbl_read_csv_opts(out_p, st->train->s, &ro, &t, err))) {
        if (ro.not_regular)
            pa_errf(err, rc, "generator \"external\": {out} of \"%s\" (%s) is not a regular file (a %s): "
                    "expected the program to write its CSV there", argv[0], out_p,
                    S_ISFIFO(sb.st_mode) ? "FIFO" : S_ISLNK(sb.st_mode) ? "symbolic link" : "special file");
        else if (ro.over_bytes)
            pa_errf(err, rc, "generator \"external\": \"%s\" wrote %s", argv[0], capmsg);
        else if (ro.over_rows)
            pa_errf(err, rc, "generator \"external\": \"%s\" wrote more than %zu rows to %s ({out}): expected "
                    "%zu ({rows}; parameter \"max_rows\" accepts up to %zu)", argv[0], max_rows, out_p, m, max_rows);
        else
            pa_err_prefix(err, "generator \"external\": output of \"%s\"", argv[0]);
        if (rc != PA_ENOMEM) {
            rc = PA_ECHILD;
            if (err)
                err->code = PA_ECHILD;
        }
        goto done;
    }
    if (t->n < m) {
        rc = pa_errf(err, PA_ECHILD, "generator \"external\": \"%s\" wrote %zu rows to %s ({out}): expected "
                     "%zu ({rows})%s", argv[0], t->n, out_p, m,
                     t->n == 0 ? ", got a header without rows" : "");
        tbl_free(t);
        goto done;
    }
    *out = t;
done:
    if (argv)
        for (size_t k = 0; k < st->argc; k++)
            free(argv[k]);
    free(argv);
    remove_tree(dir);
    reg_remove(slot);
    hold_if_aborting();
    return rc;
}

static void ext_privacy(const void *state, gen_privacy *out)
{
    *out = ((const ext_state *)state)->priv;
}

static int ext_gaussian_of(const cJSON *params)
{
    const cJSON *g = params ? cJSON_GetObjectItemCaseSensitive(params, "gaussian_only") : NULL;
    return params && cJSON_GetObjectItemCaseSensitive(params, "rho") && cJSON_IsTrue(g);
}

const gen_vtable gen_external = {
    .name = "external",
    .summary = "any program run as a command (argv, no shell): CSV in, CSV out; privacy declared (epsilon, delta, "
               "rho), not verified",
    .check = ext_check,
    .fit = ext_fit,
    .sample = ext_sample,
    .privacy = ext_privacy,
    .free_state = ext_free,
    .gaussian_of = ext_gaussian_of,
};
