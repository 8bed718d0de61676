/* test_external.c — a generator run as an external command (generators/external.c).
 *
 * n = training records, m = synthetic records. The programs are /bin/sh
 * (argv form: the shell is only the program, its script one argument),
 * sleep and a missing path.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "core/rng.h"
#include "generators/gen.h"
#include "tests/testutil.h"

extern const gen_vtable gen_external;

static char *tmp;   /* TMPDIR of the suite: the generator's folders go here */

static void setup(void)
{
    tmp = tu_tmpdir();
    cr_assert(tmp);
    setenv("TMPDIR", tmp, 1);
}

static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

TestSuite(external, .init = setup, .fini = teardown);

/* Columns a (categorical, labels "no"/"yes") and b (numeric in [0, 100]),
 * n rows: a = i mod 2, b = i + 0.25. */
static table *small(size_t n)
{
    schema *s = schema_new(2);
    free(s->cols[0].name);
    free(s->cols[1].name);
    s->cols[0].name = pa_strdup("a");
    s->cols[0].kind = COL_CAT;
    s->cols[0].size = 2;
    s->cols[0].labels = pa_calloc(2, sizeof(char *));
    s->cols[0].labels[0] = pa_strdup("no");
    s->cols[0].labels[1] = pa_strdup("yes");
    s->cols[1].name = pa_strdup("b");
    s->cols[1].kind = COL_NUM;
    s->cols[1].lo = 0;
    s->cols[1].hi = 100;
    table *t = tbl_new(s, n);
    schema_free(s);
    for (size_t i = 0; i < n; i++) {
        t->cat[0][i] = (int32_t)(i % 2);
        t->num[1][i] = (double)i + 0.25;
    }
    return t;
}

/* Fits with params (JSON text) and samples m rows: returns the status, the
 * table in *out (NULL on error) and the message in err. */
static int run(const table *train, const char *params, size_t m, table **out, pa_err *err, gen_privacy *priv)
{
    cJSON *p = cJSON_Parse(params);
    cr_assert(p, "bad test JSON %s", params);
    gen_config cfg = {.epsilon = 2.5, .delta = 1e-6, .params = p};
    gsl_rng *r = rng_stream(1, 1);
    void *st = NULL;
    *out = NULL;
    int rc = gen_external.fit(train, &cfg, r, &st, err);
    if (!rc) {
        rc = gen_external.sample(st, m, r, out, err);
        if (priv)
            gen_external.privacy(st, priv);
        gen_external.free_state(st);
    }
    gsl_rng_free(r);
    cJSON_Delete(p);
    return rc;
}

/* Number of entries of folder tmp (the generator must leave none). */
static size_t entries(void)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", tmp);
    FILE *f = popen(cmd, "r");
    size_t k = 99;
    if (f) {
        if (fscanf(f, "%zu", &k) != 1)
            k = 99;
        pclose(f);
    }
    return k;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define COPY "{\"argv\": [\"/bin/sh\", \"-c\", \"cp \\\"$1\\\" \\\"$2\\\"\", \"sh\", \"{train}\", \"{out}\"]"

Test(external, a_copying_program_gives_the_training_rows_back_and_cleans_up)
{
    table *t = small(25), *o;
    pa_err err = {0};
    gen_privacy pv;
    int rc = run(t, COPY ", \"epsilon\": 3, \"delta\": 1e-7}", 25, &o, &err, &pv);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    cr_assert_eq(o->n, 25);
    cr_assert_eq(tbl_hash(o), tbl_hash(t), "the copy differs from the training table");
    cr_assert_eq(pv.epsilon, 3);
    cr_assert_eq(pv.delta, 1e-7);
    cr_assert_eq(pv.declared, 1);
    cr_assert_str_eq(pv.accountant, "declared");
    cr_assert(isnan(pv.rho));
    cr_assert_eq(entries(), 0, "temporary files left in %s", tmp);
    tbl_free(o);
    tbl_free(t);
}

Test(external, without_declared_privacy_the_config_target_is_reported_as_declared)
{
    table *t = small(4), *o;
    pa_err err = {0};
    gen_privacy pv;
    cr_assert_eq(run(t, COPY "}", 4, &o, &err, &pv), PA_OK, "%s", err.msg);
    cr_assert_eq(pv.epsilon, 2.5);
    cr_assert_eq(pv.delta, 1e-6);
    cr_assert_eq(pv.declared, 1);
    tbl_free(o);
    tbl_free(t);
}

Test(external, placeholders_rows_seed_epsilon_and_delta_reach_the_program)
{
    /* The script writes {rows} rows and fails only if the other
     * placeholders were not substituted as documented. */
    table *t = small(3), *o;
    pa_err err = {0};
    const char *params =
        "{\"argv\": [\"/bin/sh\", \"-c\", "
        "\"[ \\\"$3\\\" = 2.5 ] && [ \\\"$4\\\" = 9.9999999999999995e-07 ] && "
        "case $5 in ''|*[!0-9]*) exit 9;; esac && "
        "echo a,b > \\\"$1\\\" && i=0 && while [ $i -lt $2 ]; do echo yes,7 >> \\\"$1\\\"; i=$((i+1)); done\", "
        "\"sh\", \"{out}\", \"{rows}\", \"{epsilon}\", \"{delta}\", \"{seed}\"]}";
    int rc = run(t, params, 17, &o, &err, NULL);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    cr_assert_eq(o->n, 17);
    cr_assert_eq(o->cat[0][16], 1);
    cr_assert_eq(o->num[1][16], 7);
    tbl_free(o);
    tbl_free(t);
}

Test(external, a_failing_program_gives_its_status_and_stderr_in_the_error)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"echo first line >&2; echo model diverged: nan loss >&2; exit 3\"]}",
                 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD);
    cr_assert_null(o);
    cr_assert(strstr(err.msg, "/bin/sh"), "%s", err.msg);
    cr_assert(strstr(err.msg, "exited with status 3"), "%s", err.msg);
    cr_assert(strstr(err.msg, "first line | model diverged: nan loss"), "%s", err.msg);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

Test(external, a_program_killed_by_a_signal_is_reported_as_such)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"kill -SEGV $$\"]}", 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD);
    cr_assert(strstr(err.msg, "killed by signal 11"), "%s", err.msg);
    tbl_free(t);
}

Test(external, a_program_past_its_timeout_is_killed_before_its_children_end)
{
    table *t = small(3), *o;
    pa_err err = {0};
    double t0 = now_s();
    /* A child of the shell sleeps too: the whole process group must go. */
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"sleep 5 & sleep 5; wait\"], \"timeout\": 0.5}", 5, &o, &err,
                 NULL);
    double el = now_s() - t0;
    cr_assert_eq(rc, PA_ECHILD);
    cr_assert(strstr(err.msg, "timed out after 0.5 s"), "%s", err.msg);
    /* killed, not waited for: the children would return after 5 s (the
     * margin is for a loaded machine; an idle one returns in ~0.5 s) */
    cr_assert(el >= 0.5 && el < 4.0, "returned after %.3f s", el);
    tbl_free(t);
}

Test(external, a_missing_program_is_a_clear_error)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/nonexistent/synthesizer\", \"{train}\"]}", 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD);
    cr_assert(strstr(err.msg, "cannot run \"/nonexistent/synthesizer\""), "%s", err.msg);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

Test(external, a_malformed_output_names_the_file_and_the_line)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"printf 'a,b\\\\nyes,1\\\\nmaybe,2\\\\n' > \\\"$1\\\"\", \"sh\", "
                    "\"{out}\"]}", 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD, "%s", err.msg);
    cr_assert(strstr(err.msg, "synth.csv:3"), "%s", err.msg);
    cr_assert(strstr(err.msg, "\"maybe\""), "%s", err.msg);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

Test(external, a_program_that_writes_nothing_has_failed_like_a_nonzero_exit)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"exit 0\"]}", 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD);
    cr_assert(strstr(err.msg, "wrote no output CSV"), "%s", err.msg);
    tbl_free(t);
}

Test(external, a_header_without_rows_is_a_failure_of_the_program)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"echo a,b > \\\"$1\\\"\", \"sh\", \"{out}\"]}", 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD);
    cr_assert(strstr(err.msg, "wrote 0 rows") && strstr(err.msg, "header without rows"), "%s", err.msg);
    tbl_free(t);
}

typedef struct bad_case {
    char params[80];
    char needle[80];
} bad_case;

static bad_case bad_cases[] = {
    {.params = "{}", .needle = "\"argv\" is required"},
    {.params = "{\"argv\": \"cp a b\"}", .needle = "\"argv\": expected a non-empty array"},
    {.params = "{\"argv\": []}", .needle = "\"argv\": expected a non-empty array"},
    {.params = "{\"argv\": [\"\"]}", .needle = "\"argv\"[0]: expected a non-empty string"},
    {.params = "{\"argv\": [\"cp\", 3]}", .needle = "\"argv\"[1]: expected a string"},
    {.params = "{\"argv\": [\"cp\"], \"timeout\": 0}", .needle = "\"timeout\": expected a number"},
    {.params = "{\"argv\": [\"cp\"], \"epsilon\": -1}", .needle = "\"epsilon\": expected a number"},
    {.params = "{\"argv\": [\"cp\"], \"delta\": 2}", .needle = "\"delta\": expected a number"},
    {.params = "{\"argv\": [\"cp\"], \"shell\": true}", .needle = "unknown parameter \"shell\""},
};

ParameterizedTestParameters(external, a_bad_parameter_is_refused_with_a_message_naming_it)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(bad_case *c, external, a_bad_parameter_is_refused_with_a_message_naming_it)
{
    table *t = small(3);
    cJSON *p = cJSON_Parse(c->params);
    cr_assert(p);
    gen_config cfg = {.epsilon = 1, .delta = 1e-6, .params = p};
    pa_err err = {0};
    cr_assert_eq(gen_external.check(t->s, &cfg, &err), PA_EINPUT, "%s", c->params);
    cr_assert(strstr(err.msg, c->needle), "%s: \"%s\" lacks \"%s\"", c->params, err.msg, c->needle);
    gsl_rng *r = rng_stream(1, 1);
    void *st = (void *)1;
    cr_assert_eq(gen_external.fit(t, &cfg, r, &st, &err), PA_EINPUT);
    cr_assert_null(st);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}

typedef struct par_job {
    const table *t;
    int rc;
    uint64_t hash;
} par_job;

static void *par_run(void *arg)
{
    par_job *j = arg;
    table *o = NULL;
    pa_err err = {0};
    j->rc = run(j->t, COPY "}", 40, &o, &err, NULL);
    j->hash = o ? tbl_hash(o) : 0;
    tbl_free(o);
    return NULL;
}

Test(external, samples_run_in_parallel_threads_do_not_interfere)
{
    table *t = small(40);
    par_job jobs[4];
    pthread_t th[4];
    for (size_t k = 0; k < 4; k++) {
        jobs[k] = (par_job){.t = t};
        cr_assert_eq(pthread_create(&th[k], NULL, par_run, &jobs[k]), 0);
    }
    for (size_t k = 0; k < 4; k++) {
        pthread_join(th[k], NULL);
        cr_assert_eq(jobs[k].rc, PA_OK, "thread %zu", k);
        cr_assert_eq(jobs[k].hash, tbl_hash(t), "thread %zu", k);
    }
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

/* ---- issue 13, items 11-12: output, rows and children kept in bounds ---- */

Test(external, an_output_that_is_a_fifo_is_refused_without_hanging, .timeout = 20)
{
    table *t = small(3), *o;
    pa_err err = {0};
    double t0 = now_s();
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"mkfifo \\\"$1\\\"\", \"sh\", \"{out}\"], \"timeout\": 5}", 3,
                 &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD, "%s", err.msg);
    cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
    cr_assert_lt(now_s() - t0, 5, "took %.1f s", now_s() - t0);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

Test(external, an_output_that_is_a_symbolic_link_is_refused)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"ln -s \\\"$2\\\" \\\"$1\\\"\", \"sh\", \"{out}\", \"{train}\"]}",
                 3, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD, "%s", err.msg);
    cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
    tbl_free(t);
}

Test(external, an_endless_output_is_stopped_at_max_output_mb, .timeout = 30)
{
    table *t = small(3), *o;
    pa_err err = {0};
    double t0 = now_s();
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"cat /dev/zero > \\\"$1\\\"\", \"sh\", \"{out}\"],"
                    " \"max_output_mb\": 1}", 3, &o, &err, NULL);
    cr_assert_neq(rc, PA_OK);
    cr_assert(strstr(err.msg, "more than 1 MB"), "%s", err.msg);
    cr_assert_lt(now_s() - t0, 10);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

Test(external, the_default_output_cap_refuses_200_mb_for_100_rows, .timeout = 60)
{
    table *t = small(3), *o;
    pa_err err = {0};
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"(echo a,b; yes yes,1) | head -c 200000000 > \\\"$1\\\"\", "
                    "\"sh\", \"{out}\"]}", 100, &o, &err, NULL);
    cr_assert_neq(rc, PA_OK, "200 MB accepted for 100 rows");
    cr_assert(strstr(err.msg, "max_output_mb"), "%s", err.msg);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}

Test(external, more_rows_than_asked_are_refused)
{
    table *t = small(3), *o;
    pa_err err = {0};
    /* {rows} + 1 rows */
    int rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"echo a,b > \\\"$1\\\"; i=0; while [ $i -le $2 ]; do "
                    "echo yes,7 >> \\\"$1\\\"; i=$((i+1)); done\", \"sh\", \"{out}\", \"{rows}\"]}", 5, &o, &err, NULL);
    cr_assert_eq(rc, PA_ECHILD, "%s", err.msg);
    cr_assert(strstr(err.msg, "wrote more than 5 rows") && strstr(err.msg, "expected 5 ({rows}"), "%s", err.msg);
    cr_assert_null(o);
    /* with max_rows the same output is accepted */
    rc = run(t, "{\"argv\": [\"/bin/sh\", \"-c\", \"echo a,b > \\\"$1\\\"; i=0; while [ $i -le $2 ]; do "
                "echo yes,7 >> \\\"$1\\\"; i=$((i+1)); done\", \"sh\", \"{out}\", \"{rows}\"], \"max_rows\": 6}",
             5, &o, &err, NULL);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    cr_assert_eq(o->n, 6);
    tbl_free(o);
    tbl_free(t);
}

/* pid written by the program into a file outside its temporary folder */
static pid_t pid_in(const char *path)
{
    char *s = tu_slurp(path);
    pid_t p = (pid_t)atoi(s);
    free(s);
    return p;
}

Test(external, children_that_leave_the_process_group_are_killed_too)
{
    table *t = small(3), *o;
    pa_err err = {0};
    char *side = tu_tmpdir(), params[1024];
    char *pf = tu_path(side, "orphan.pid"), *bf = tu_path(side, "bg.pid");
    /* a setsid grandchild (own session and group) and a plain background child outlive the program */
    snprintf(params, sizeof params,
             "{\"argv\": [\"/bin/sh\", \"-c\", \"setsid sleep 60 & echo $! > %s; sleep 60 & echo $! > %s; "
             "cp \\\"$1\\\" \\\"$2\\\"\", \"sh\", \"{train}\", \"{out}\"], \"max_rows\": 10}", pf, bf);
    int rc = run(t, params, 3, &o, &err, NULL);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    pid_t orphan = pid_in(pf), bg = pid_in(bf);
    cr_assert_gt(orphan, 0);
    cr_assert_gt(bg, 0);
    int orphan_alive = kill(orphan, 0) == 0, bg_alive = kill(bg, 0) == 0;
    if (orphan_alive)
        kill(orphan, SIGKILL);
    if (bg_alive)
        kill(bg, SIGKILL);
    cr_expect_not(orphan_alive, "the setsid child %d survived the program", (int)orphan);
    cr_expect_not(bg_alive, "the background child %d survived the program", (int)bg);
    tbl_free(o);
    tbl_free(t);
    free(pf);
    free(bf);
    tu_rmtree(side);
    free(side);
}

Test(external, the_temporary_folder_is_private_to_the_user)
{
    table *t = small(3), *o;
    pa_err err = {0};
    char *side = tu_tmpdir(), params[1024];
    char *mf = tu_path(side, "mode");
    snprintf(params, sizeof params,
             "{\"argv\": [\"/bin/sh\", \"-c\", \"stat -c %%a \\\"$(dirname \\\"$1\\\")\\\" > %s; stat -c %%a "
             "\\\"$1\\\" >> %s; cp \\\"$1\\\" \\\"$2\\\"\", \"sh\", \"{train}\", \"{out}\"], \"max_rows\": 10}",
             mf, mf);
    int rc = run(t, params, 3, &o, &err, NULL);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    char *m = tu_slurp(mf);
    cr_expect_str_eq(m, "700\n600\n", "folder and train.csv modes: %s", m);
    free(m);
    tbl_free(o);
    tbl_free(t);
    free(mf);
    tu_rmtree(side);
    free(side);
}

Test(external, the_output_cap_and_row_limit_are_checked_parameters)
{
    table *t = small(3);
    const char *bad[] = {"{\"argv\": [\"cp\"], \"max_output_mb\": 0}", "{\"argv\": [\"cp\"], \"max_rows\": 0}",
                         "{\"argv\": [\"cp\"], \"max_rows\": 1.5}"};
    const char *needle[] = {"\"max_output_mb\": expected", "\"max_rows\": expected", "\"max_rows\": expected"};
    for (size_t k = 0; k < 3; k++) {
        cJSON *p = cJSON_Parse(bad[k]);
        gen_config cfg = {.epsilon = 1, .delta = 1e-6, .params = p};
        pa_err err = {0};
        cr_expect_eq(gen_external.check(t->s, &cfg, &err), PA_EINPUT, "%s", bad[k]);
        cr_expect(strstr(err.msg, needle[k]), "%s: %s", bad[k], err.msg);
        cJSON_Delete(p);
    }
    tbl_free(t);
}

/* "rho" declares ρ-zCDP: reported with accountant "declared-zcdp" (or
 * "declared-gdp" with "gaussian_only") and rho = ρ; gen_gaussian_only follows
 * the params. {rho} is the declared ρ, or without one the ρ whose CKS 2020
 * conversion is the config's (ε, δ) = (2.5, 1e-6): 0.13275329043546855 by
 * private-pgm's cdp_rho (bisection on its cdp_delta, run with Python in
 * /usr/bin/python3), checked to 1e-9 relative (the bisections' tolerance). */
Test(external, a_declared_rho_is_reported_and_reaches_the_program)
{
    table *t = small(4), *o;
    pa_err err = {0};
    gen_privacy pv;
    cr_assert_eq(run(t, COPY ", \"rho\": 0.05}", 4, &o, &err, &pv), PA_OK, "%s", err.msg);
    cr_assert_eq(pv.rho, 0.05);
    cr_assert_str_eq(pv.accountant, "declared-zcdp");
    cr_assert_eq(pv.epsilon, 2.5);
    tbl_free(o);
    cr_assert_eq(run(t, COPY ", \"rho\": 0.05, \"gaussian_only\": true}", 4, &o, &err, &pv), PA_OK, "%s", err.msg);
    cr_assert_str_eq(pv.accountant, "declared-gdp");
    tbl_free(o);
    const char *pj[] = {"{\"rho\": 0.05, \"gaussian_only\": true}", "{\"rho\": 0.05}", "{\"gaussian_only\": false}",
                        "{}"};
    for (int k = 0; k < 4; k++) {
        cJSON *p = cJSON_Parse(pj[k]);
        cr_expect_eq(gen_gaussian_only("external", p), k == 0, "%s", pj[k]);
        cJSON_Delete(p);
    }
    cr_expect_eq(gen_gaussian_only("marginals", NULL), 1);
    cr_expect_eq(gen_gaussian_only("mst", NULL), 0);
    /* {rho}: the script writes it as the value of column b, read back as a number */
    const char *script = "\"argv\": [\"/bin/sh\", \"-c\", \"printf 'a,b\\\\nyes,%s\\\\n' \\\"$2\\\" > \\\"$1\\\"\", "
                         "\"sh\", \"{out}\", \"{rho}\"]";
    char params[512];
    snprintf(params, sizeof params, "{%s, \"rho\": 0.0625}", script);
    cr_assert_eq(run(t, params, 1, &o, &err, NULL), PA_OK, "%s", err.msg);
    cr_expect_eq(o->num[1][0], 0.0625);
    tbl_free(o);
    snprintf(params, sizeof params, "{%s}", script);
    cr_assert_eq(run(t, params, 1, &o, &err, NULL), PA_OK, "%s", err.msg);
    cr_expect(fabs(o->num[1][0] / 0.13275329043546855 - 1) < 1e-9, "{rho} without a declared rho: %.17g",
              o->num[1][0]);
    tbl_free(o);
    tbl_free(t);
}

Test(external, rho_and_gaussian_only_are_checked_parameters)
{
    table *t = small(3);
    /* config (ε, δ) = (1, 1e-6): ρ = 0.5 converts to ε > 1 + 2√(0.5 · 13.8) ≈ 6 */
    const char *bad[] = {"{\"argv\": [\"cp\"], \"rho\": 0}", "{\"argv\": [\"cp\"], \"rho\": \"0.1\"}",
                         "{\"argv\": [\"cp\"], \"rho\": 0.5}", "{\"argv\": [\"cp\"], \"gaussian_only\": true}",
                         "{\"argv\": [\"cp\"], \"rho\": 0.01, \"gaussian_only\": 1}",
                         "{\"argv\": [\"cp\"], \"rho\": 0.01, \"epsilon\": \"inf\"}"};
    const char *needle[] = {"\"rho\": expected a number in (0", "\"rho\": expected a number in (0",
                            "promises less than the declared (epsilon, delta) = (1, 1e-06)",
                            "\"gaussian_only\" needs \"rho\"", "\"gaussian_only\": expected true or false",
                            "\"epsilon\""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cJSON *p = cJSON_Parse(bad[k]);
        cr_assert(p, "%s", bad[k]);
        gen_config cfg = {.epsilon = 1, .delta = 1e-6, .params = p};
        pa_err err = {0};
        cr_expect_eq(gen_external.check(t->s, &cfg, &err), PA_EINPUT, "%s", bad[k]);
        cr_expect(strstr(err.msg, needle[k]), "%s: %s", bad[k], err.msg);
        cJSON_Delete(p);
    }
    /* a ρ beside an infinite declared ε (the config's "inf") bounds nothing that is claimed */
    cJSON *pi = cJSON_Parse("{\"argv\": [\"cp\"], \"rho\": 0.01}");
    gen_config ci = {.epsilon = INFINITY, .delta = 1e-6, .params = pi};
    pa_err ei = {0};
    cr_expect_eq(gen_external.check(t->s, &ci, &ei), PA_EINPUT, "rho with epsilon inf accepted");
    cr_expect(strstr(ei.msg, "\"rho\" needs a finite declared epsilon"), "%s", ei.msg);
    cJSON_Delete(pi);
    /* the boundary: the ρ whose conversion is (1, 1e-6), 0.024355970359538372 by private-pgm's cdp_rho,
     * is accepted, and 1e-6 relative more is not */
    cJSON *p = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(p, "argv");
    cJSON_AddItemToArray(a, cJSON_CreateString("cp"));
    cJSON *rj = cJSON_AddNumberToObject(p, "rho", 0.024355970359538372 * (1 - 1e-9));
    gen_config cfg = {.epsilon = 1, .delta = 1e-6, .params = p};
    pa_err err = {0};
    cr_expect_eq(gen_external.check(t->s, &cfg, &err), PA_OK, "%s", err.msg);
    cJSON_SetNumberValue(rj, 0.024355970359538372 * (1 + 1e-6));
    cr_expect_eq(gen_external.check(t->s, &cfg, &err), PA_EINPUT, "rho 1e-6 above the boundary accepted");
    cJSON_Delete(p);
    tbl_free(t);
}

/* ---- the program's contract: {rows} rows of the schema's columns ---- */

/* Runs /bin/sh -c script sh {out} {rows} (the script as one argv element,
 * built with cJSON so it needs no escaping) and samples m rows. */
static int run_script(const table *train, const char *script, const char *extra, size_t m, table **out,
                      pa_err *err)
{
    cJSON *p = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(p, "argv");
    const char *words[] = {"/bin/sh", "-c", script, "sh", "{out}", "{rows}"};
    for (size_t k = 0; k < 6; k++)
        cJSON_AddItemToArray(a, cJSON_CreateString(words[k]));
    if (extra) {
        cJSON *x = cJSON_Parse(extra);
        cr_assert(x, "bad test JSON %s", extra);
        for (cJSON *it = x->child; it; it = it->next)
            cJSON_AddItemToObject(p, it->string, cJSON_Duplicate(it, 1));
        cJSON_Delete(x);
    }
    char *txt = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    int rc = run(train, txt, m, out, err, NULL);
    free(txt);
    return rc;
}

typedef struct contract_case {
    char script[200];
    size_t m;
    char needle[3][80];   /* all must be in the message */
} contract_case;

static contract_case contract_cases[] = {
    /* fewer rows than {rows}: both counts and the file */
    {.script = "printf 'a,b\\nyes,1\\nno,2\\nyes,3\\n' > \"$1\"", .m = 5,
     .needle = {"\"/bin/sh\" wrote 3 rows to ", "synth.csv ({out})", "expected 5 ({rows})"}},
    {.script = "printf 'a,b\\nyes,1\\n' > \"$1\"", .m = 1000,
     .needle = {"wrote 1 rows", "expected 1000 ({rows})", "/bin/sh"}},
    /* a header naming another column, one lacking a column */
    {.script = "printf 'a,c\\nyes,1\\n' > \"$1\"", .m = 1,
     .needle = {"synth.csv:1", "header column 2 \"c\" is not in the schema", "output of \"/bin/sh\""}},
    {.script = "printf 'a\\nyes\\n' > \"$1\"", .m = 1,
     .needle = {"synth.csv:1", "lacks column \"b\"", "/bin/sh"}},
    /* values outside the schema's domain: line and column */
    {.script = "printf 'a,b\\nyes,1\\nno,100.5\\n' > \"$1\"", .m = 2,
     .needle = {"synth.csv:3", "column \"b\"", "outside the schema's bounds"}},
    {.script = "printf 'a,b\\nyes,1\\nno,nan\\n' > \"$1\"", .m = 2,
     .needle = {"synth.csv:3", "column \"b\"", "/bin/sh"}},
    {.script = "printf 'a,b\\nyes,1\\nmaybe,2\\n' > \"$1\"", .m = 2,
     .needle = {"synth.csv:3", "column \"a\"", "\"maybe\""}},
    /* an empty file */
    {.script = ": > \"$1\"", .m = 3, .needle = {"synth.csv:1", "empty file", "/bin/sh"}},
};

ParameterizedTestParameters(external, an_output_that_breaks_the_contract_is_a_failure_naming_program_and_file)
{
    return cr_make_param_array(contract_case, contract_cases, sizeof contract_cases / sizeof contract_cases[0]);
}

ParameterizedTest(contract_case *c, external, an_output_that_breaks_the_contract_is_a_failure_naming_program_and_file)
{
    table *t = small(3), *o = (table *)1;
    pa_err err = {0};
    int rc = run_script(t, c->script, NULL, c->m, &o, &err);
    cr_assert_eq(rc, PA_ECHILD, "%s: status %d: %s", c->script, rc, err.msg);
    cr_assert_null(o, "a table was returned");
    for (size_t k = 0; k < 3; k++)
        cr_assert(strstr(err.msg, c->needle[k]), "%s: \"%s\" lacks \"%s\"", c->script, err.msg, c->needle[k]);
    cr_assert_eq(entries(), 0, "temporary files left in %s", tmp);
    tbl_free(t);
}

Test(external, exactly_rows_rows_are_accepted_and_one_fewer_is_not)
{
    table *t = small(3), *o;
    pa_err err = {0};
    const char *script = "n=$2; [ -n \"$SHORT\" ] && n=$((n-1)); echo a,b > \"$1\"; i=0; "
                         "while [ $i -lt $n ]; do echo no,4 >> \"$1\"; i=$((i+1)); done";
    cr_assert_eq(run_script(t, script, NULL, 7, &o, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(o->n, 7);
    tbl_free(o);
    setenv("SHORT", "1", 1);
    int rc = run_script(t, script, NULL, 7, &o, &err);
    unsetenv("SHORT");
    cr_assert_eq(rc, PA_ECHILD, "%s", err.msg);
    cr_assert(strstr(err.msg, "wrote 6 rows") && strstr(err.msg, "expected 7 ({rows})"), "%s", err.msg);
    /* max_rows allows more, never fewer */
    rc = run_script(t, script, "{\"max_rows\": 20}", 7, &o, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    tbl_free(o);
    rc = run_script(t, script, "{\"max_rows\": 6}", 7, &o, &err);
    cr_assert_eq(rc, PA_EINPUT, "%s", err.msg);
    cr_assert(strstr(err.msg, "\"max_rows\": 6 is below the 7 rows asked"), "%s", err.msg);
    cr_assert_eq(entries(), 0);
    tbl_free(t);
}
