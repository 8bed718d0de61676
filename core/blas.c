/* blas.c — see blas.h. */
#include "core/blas.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* OpenBLAS's own API (declared in its cblas.h; repeated here so that files
 * including GSL's cblas need not see OpenBLAS's). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

#define DEFAULT_THRESHOLD 3.2e7

static _Atomic int start = -1;  /* OpenBLAS's count at the first call */
static _Atomic int cap = -1;        /* -1: not yet read */
static _Atomic int cur = -1;        /* what we last set */
static double threshold = DEFAULT_THRESHOLD;

static void first(void)
{
    if (start < 0) {
        start = openblas_get_num_threads();
        if (start < 1)
            start = 1;
        if (cap < 0)
            cap = start;
    }
}

void pa_blas_threads_for(double work)
{
    first();
    int now = openblas_get_num_threads();
    if (cur >= 0 && now != cur)     /* someone else set it: that is the new cap */
        cap = now;
    int want = work < threshold ? 1 : cap;
    if (want != now)
        openblas_set_num_threads(want);
    cur = want;
}

void pa_blas_cap(int threads)
{
    first();
    cap = threads >= 1 ? threads : start;
    int now = openblas_get_num_threads();
    if (now > cap) {
        openblas_set_num_threads(cap);
        cur = cap;
    }
}

void pa_blas_set_threshold(double work)
{
    threshold = work > 0 ? work : DEFAULT_THRESHOLD;
}

double pa_blas_threshold(void) { return threshold; }

int pa_blas_max(void)
{
    first();
    int now = openblas_get_num_threads();
    if (cur >= 0 && now != cur)
        cap = now;
    else if (cur < 0 && now < cap)   /* set to fewer threads outside this module */
        return now;
    return cap;
}

int pa_blas_current(void)
{
    return cur >= 0 ? cur : openblas_get_num_threads();
}

int pa_idle_core(void)
{
    static double last = -10, load = 0;
    static long ncpu = 0;
    if (pa_blas_max() < 2)
        return 0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double now = (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
    if (now - last > 1.0) {
        double la[1];
        load = getloadavg(la, 1) == 1 ? la[0] : 1e9;
        ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        last = now;
    }
    return load < (double)ncpu - 0.5;
}

const char *pa_blas_corename(void)
{
    const char *c = openblas_get_corename();
    return c ? c : "unknown";
}

void pa_blas_select_kernels(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || getenv("PRIVAUDIT_BLAS_KEEP"))
        return;
    /* the cores OpenBLAS falls back to when it does not know the model */
    static const char *const generic[] = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom",
                                          "barcelona", "opteron", "opteron_sse3", "katmai", "coppermine",
                                          "northwood", "banias", NULL};
    const char *core = pa_blas_corename();
    int gen = 0;
    for (size_t k = 0; generic[k] && !gen; k++)
        gen = !strcasecmp(core, generic[k]);
    if (!gen)
        return;
    __builtin_cpu_init();
    const char *want = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        want = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        want = "Haswell";
    if (!want || setenv("OPENBLAS_CORETYPE", want, 1))
        return;
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE"); /* the exec failed: go on with the generic kernels */
}

/* ---- pa_par_for: one persistent helper thread, chunks taken dynamically ---- */

static pthread_mutex_t par_mu = PTHREAD_MUTEX_INITIALIZER;   /* one pa_par_for at a time */
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;   /* guards the job_* fields */
static pthread_cond_t job_go = PTHREAD_COND_INITIALIZER, job_done = PTHREAD_COND_INITIALIZER;
static int helper_state;            /* 0 not started, 1 running, −1 could not start */
static unsigned long job_gen;       /* bumped for each job */
static int job_open;                /* a job is running: the helper may join it */
static int helper_busy;             /* the helper is inside the current job */
static void (*job_fn)(void *, size_t);
static void *job_ctx;
static size_t job_n;
static atomic_size_t job_next;

/* takes chunks until none is left; fn, ctx, n are fixed while the job is open */
static void run_chunks(void (*fn)(void *, size_t), void *ctx, size_t n)
{
    for (;;) {
        size_t k = atomic_fetch_add(&job_next, 1);
        if (k >= n)
            return;
        fn(ctx, k);
    }
}

static void *helper_main(void *arg)
{
    (void)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&job_mu);
    for (;;) {
        while (job_gen == seen)
            pthread_cond_wait(&job_go, &job_mu);
        seen = job_gen;
        if (!job_open)   /* woke after the caller had finished alone */
            continue;
        void (*fn)(void *, size_t) = job_fn;
        void *ctx = job_ctx;
        size_t n = job_n;
        helper_busy = 1;
        pthread_mutex_unlock(&job_mu);
        run_chunks(fn, ctx, n);
        pthread_mutex_lock(&job_mu);
        helper_busy = 0;
        pthread_cond_signal(&job_done);
    }
    return NULL;
}

void pa_par_for(size_t n, void (*fn)(void *ctx, size_t k), void *ctx)
{
    int par = n >= 2 && pa_blas_max() > 1 && pthread_mutex_trylock(&par_mu) == 0;
    if (par && helper_state == 0) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        helper_state = pthread_create(&th, &at, helper_main, NULL) == 0 ? 1 : -1;
        pthread_attr_destroy(&at);
    }
    if (par && helper_state != 1) {
        pthread_mutex_unlock(&par_mu);
        par = 0;
    }
    if (!par) {
        for (size_t k = 0; k < n; k++)
            fn(ctx, k);
        return;
    }
    /* one BLAS thread per chunk; `cur` follows, so that a pa_blas_max() or
     * pa_blas_threads_for() on another thread meanwhile does not take the
     * temporary 1 for a new cap set outside this module */
    int was = openblas_get_num_threads(), was_cur = cur;
    cur = 1;
    if (was != 1)
        openblas_set_num_threads(1);
    pthread_mutex_lock(&job_mu);
    job_fn = fn, job_ctx = ctx, job_n = n;
    atomic_store(&job_next, 0);
    job_open = 1;
    job_gen++;
    pthread_cond_signal(&job_go);
    pthread_mutex_unlock(&job_mu);
    run_chunks(fn, ctx, n);
    /* every chunk is taken; wait only if the helper is still in one (a helper
     * that has not woken yet finds the job closed) */
    pthread_mutex_lock(&job_mu);
    job_open = 0;
    while (helper_busy)
        pthread_cond_wait(&job_done, &job_mu);
    pthread_mutex_unlock(&job_mu);
    if (was != 1)
        openblas_set_num_threads(was);
    cur = was_cur;
    pthread_mutex_unlock(&par_mu);
}
