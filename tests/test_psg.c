/* test_psg.c — private set generation (generators/psg.c): its accounting
 * against the accountant of `privaudit account`, the noise it really adds,
 * determinism, bad parameters, what it learns without noise, and its runs in
 * `privaudit run` (with dpmerf's private length scale) independent of --jobs.
 *
 * n = training records, K = classes, M = records per class ("ipc").
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "audit/acct.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "tests/genutil.h"
#include "tests/testutil.h"

/* Label y ∈ {0, 1, 2} (K = 3) uniform; numeric u, w ∈ [0, 10]: u ~ U(3y,
 * 3y + 3) (the class is read off u), w ~ U(0, 10) independent; a
 * categorical c (2 codes) = (y == 2) with probability 0.9. */
static table *planted(size_t n, uint64_t seed)
{
    schema *s = schema_new(4);
    const char *names[] = {"y", "u", "w", "c"};
    for (size_t j = 0; j < 4; j++) {
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(names[j]);
    }
    s->cols[0].kind = COL_CAT;
    s->cols[0].size = 3;
    s->cols[3].kind = COL_CAT;
    s->cols[3].size = 2;
    for (size_t j = 1; j < 3; j++) {
        s->cols[j].kind = COL_NUM;
        s->cols[j].lo = 0;
        s->cols[j].hi = 10;
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 3);
    for (size_t i = 0; i < n; i++) {
        int32_t y = (int32_t)rng_below(r, 3);
        t->cat[0][i] = y;
        t->num[1][i] = 3.0 * y + 3.0 * gsl_rng_uniform(r);
        t->num[2][i] = 10.0 * gsl_rng_uniform(r);
        t->cat[3][i] = gsl_rng_uniform(r) < 0.9 ? (y == 2) : (y != 2);
    }
    gsl_rng_free(r);
    return t;
}

static gen_model *fit(const table *t, double eps, const char *json, uint64_t seed, gen_noise *nz)
{
    return tu_gen_fit("psg", t, eps, 1e-5, json, seed, nz, PA_OK);
}

static table *sample(const gen_model *g, size_t m)
{
    return tu_gen_sample(g, m, 8);
}

TestSuite(psg, .timeout = 300);

/* T = restarts·inner DP steps at rate q: the reported ε is the accountant's
 * (acct_epsilon, the function behind `privaudit account --sigma S --q Q
 * --steps T --delta D`) for the σ the fit used, within 1e-6 relative of the
 * target (the calibration's tolerance); the fit reported exactly T
 * compositions at that q and σ, and its noise is N(0, (σC)²) per coordinate
 * (Σz² within 6 sd of its χ² mean). */
Test(psg, spends_the_target_epsilon_as_the_rdp_accountant_counts_it)
{
    table *t = planted(300, 1);
    static const struct { double eps; const char *json; double q; size_t T; } cases[] = {
        {1, "{\"label\": \"y\", \"ipc\": 2, \"hidden\": 8, \"restarts\": 3, \"inner\": 4, \"q\": 0.1}", 0.1, 12},
        {10, "{\"label\": \"y\", \"ipc\": 3, \"hidden\": 8, \"restarts\": 5, \"inner\": 2, \"q\": 0.05, \"clip\": 0.5}",
         0.05, 10},
    };
    for (size_t c = 0; c < 2; c++) {
        gen_noise nz = {0};
        gen_model *g = fit(t, cases[c].eps, cases[c].json, 2, &nz);
        gen_privacy pv;
        gen_privacy_of(g, &pv);
        cr_assert_str_eq(pv.accountant, "rdp");
        cr_assert_eq(pv.replace_one, 0);
        cr_assert(fabs(pv.epsilon - cases[c].eps) <= 1e-6 * cases[c].eps, "eps %.17g", pv.epsilon);
        cr_assert_eq(nz.sgd_comps, (double)cases[c].T);
        cr_assert_eq(nz.sgd_q, cases[c].q);
        double e2;
        pa_err e = {0};
        cr_assert_eq(acct_epsilon(ACCT_RDP, nz.sgd_sigma, nz.sgd_q, nz.sgd_comps, 1e-5, NULL, 0, &e2, &e), PA_OK);
        cr_assert(fabs(e2 - pv.epsilon) <= 1e-12 * pv.epsilon, "accountant %.17g, reported %.17g", e2, pv.epsilon);
        double k = (double)nz.n_sgd, z = (nz.ss_sgd - k) / sqrt(2 * k);
        cr_assert(fabs(z) <= 6, "sum z^2 %g over %g values", nz.ss_sgd, k);
        gen_free(g);
    }
    gen_model *g = fit(t, INFINITY, "{\"label\": \"y\", \"ipc\": 2, \"hidden\": 8, \"restarts\": 1, \"inner\": 2}", 2,
                       NULL);
    gen_privacy pv;
    gen_privacy_of(g, &pv);
    cr_assert(isinf(pv.epsilon));
    cr_assert_str_eq(pv.accountant, "none");
    gen_free(g);
    tbl_free(t);
}

Test(psg, is_deterministic_under_a_seed_and_releases_its_set)
{
    table *t = planted(300, 2);
    const char *p = "{\"label\": \"y\", \"ipc\": 4, \"hidden\": 8, \"restarts\": 3, \"inner\": 5, \"q\": 0.1}";
    gen_model *g1 = fit(t, 2, p, 9, NULL), *g2 = fit(t, 2, p, 9, NULL), *g3 = fit(t, 2, p, 10, NULL);
    table *s1 = sample(g1, 30), *s2 = sample(g2, 30), *s3 = sample(g3, 30);
    cr_assert_eq(tbl_hash(s1), tbl_hash(s2));
    cr_assert_neq(tbl_hash(s1), tbl_hash(s3));
    /* 30 records = the K·M = 12-record set, repeated: labels in turn, M per class */
    for (size_t i = 0; i < 30; i++) {
        cr_assert_eq(s1->cat[0][i], (int32_t)((i % 12) / 4), "row %zu", i);
        for (size_t j = 1; j < 3; j++) {
            cr_assert(s1->num[j][i] >= 0 && s1->num[j][i] <= 10);
            cr_assert_eq(s1->num[j][i], s1->num[j][i % 12]);
        }
        cr_assert(s1->cat[3][i] == 0 || s1->cat[3][i] == 1);
    }
    tbl_free(s1);
    tbl_free(s2);
    tbl_free(s3);
    gen_free(g1);
    gen_free(g2);
    gen_free(g3);
    tbl_free(t);
}

Test(psg, rejects_bad_parameters_naming_them)
{
    table *t = planted(50, 3);
    static const struct {
        const char *json;
        double delta;
        const char *needle;
    } cases[] = {
        {"{}", 1e-5, "label"},
        {"{\"label\": \"u\"}", 1e-5, "categorical"},
        {"{\"label\": \"nope\"}", 1e-5, "nope"},
        {"{\"label\": 1}", 1e-5, "label"},
        {"{\"label\": \"y\", \"colour\": 1}", 1e-5, "colour"},
        {"{\"label\": \"y\", \"ipc\": 0}", 1e-5, "ipc"},
        {"{\"label\": \"y\", \"ipc\": 2.5}", 1e-5, "ipc"},
        {"{\"label\": \"y\", \"q\": 0}", 1e-5, "q"},
        {"{\"label\": \"y\", \"q\": 1.5}", 1e-5, "q"},
        {"{\"label\": \"y\", \"clip\": -1}", 1e-5, "clip"},
        {"{\"label\": \"y\", \"lr\": 0}", 1e-5, "lr"},
        {"{\"label\": \"y\", \"restarts\": 0}", 1e-5, "restarts"},
        {"{\"label\": \"y\"}", 0, "delta"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        tu_gen_refused("psg", t, cases[c].json, 1, cases[c].delta, cases[c].needle, 1, c);
    tbl_free(t);
}

/* Without noise the matched set carries the class: u of a synthetic record of
 * class y lies in the class's band [3y, 3y + 3] for at least 2/3 of the set
 * (a set that learnt nothing, u ~ U(0, 10) from the initialisation, is in its
 * band with probability 0.3; 30 records, so 20 hits are 4 sd above that),
 * and c = (y == 2) for at least 2/3 (chance 0.5). */
Test(psg, matches_the_class_structure_without_noise)
{
    table *t = planted(900, 4);
    gen_model *g = fit(t, INFINITY,
                       "{\"label\": \"y\", \"ipc\": 10, \"hidden\": 32, \"restarts\": 40, \"inner\": 10, \"q\": 0.2, "
                       "\"lr\": 0.03}", 5, NULL);
    table *s = sample(g, 30);
    size_t band = 0, cat = 0;
    for (size_t i = 0; i < 30; i++) {
        int32_t y = s->cat[0][i];
        band += s->num[1][i] >= 3.0 * y && s->num[1][i] <= 3.0 * y + 3;
        cat += s->cat[3][i] == (y == 2);
    }
    cr_assert_geq(band, 20, "%zu of 30 in their class's band", band);
    cr_assert_geq(cat, 20, "%zu of 30 with c = (y == 2)", cat);
    tbl_free(s);
    gen_free(g);
    tbl_free(t);
}

/* A 4x4 grey "image" table: label y ∈ {0, 1}, pixel p_j ∈ [0, 1]; class 0
 * bright on the left half, class 1 on the right half (plus U(0, 0.2) noise). */
static table *images(size_t n, uint64_t seed)
{
    schema *s = schema_new(17);
    for (size_t j = 0; j < 17; j++) {
        char nm[8];
        snprintf(nm, sizeof nm, j ? "p%zu" : "y", j - (j > 0));
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(nm);
        s->cols[j].kind = j ? COL_NUM : COL_CAT;
        s->cols[j].size = j ? 0 : 2;
        s->cols[j].lo = 0;
        s->cols[j].hi = 1;
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 5);
    for (size_t i = 0; i < n; i++) {
        int32_t y = (int32_t)rng_below(r, 2);
        t->cat[0][i] = y;
        for (size_t j = 0; j < 16; j++)
            t->num[1 + j][i] = (((j % 4) < 2) == (y == 0) ? 0.8 : 0.0) + 0.2 * gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    return t;
}

/* The ConvNet (net = conv, core/net.h): the same accounting and determinism
 * as the MLP, and without noise the matched images carry the class (the
 * bright half brighter than the other for at least 16 of the 20 records; an
 * unlearnt U(0, 1) start is right half the time, 16 of 20 is 2.7 sd above). */
Test(psg, convnet_accounts_is_deterministic_and_learns_the_class)
{
    table *t = images(400, 6);
    const char *p = "{\"label\": \"y\", \"net\": \"conv\", \"hidden\": 4, \"depth\": 1, \"ipc\": 3, "
                    "\"restarts\": 2, \"inner\": 3, \"q\": 0.1}";
    gen_noise nz = {0};
    gen_model *g1 = fit(t, 2, p, 3, &nz), *g2 = fit(t, 2, p, 3, NULL);
    gen_privacy pv;
    gen_privacy_of(g1, &pv);
    cr_assert(fabs(pv.epsilon - 2) <= 1e-6 * 2, "eps %.17g", pv.epsilon);
    cr_assert_eq(nz.sgd_comps, 6);
    double e2;
    pa_err e = {0};
    cr_assert_eq(acct_epsilon(ACCT_RDP, nz.sgd_sigma, nz.sgd_q, nz.sgd_comps, 1e-5, NULL, 0, &e2, &e), PA_OK);
    cr_assert(fabs(e2 - pv.epsilon) <= 1e-12 * pv.epsilon);
    table *s1 = sample(g1, 6), *s2 = sample(g2, 6);
    cr_assert_eq(tbl_hash(s1), tbl_hash(s2));
    tbl_free(s1);
    tbl_free(s2);
    gen_free(g1);
    gen_free(g2);
    gen_model *g = fit(t, INFINITY,
                       "{\"label\": \"y\", \"net\": \"conv\", \"hidden\": 4, \"depth\": 1, \"ipc\": 10, "
                       "\"restarts\": 20, \"inner\": 10, \"q\": 0.2, \"lr\": 0.03}", 4, NULL);
    table *s = sample(g, 20);
    size_t right = 0;
    for (size_t i = 0; i < 20; i++) {
        double left = 0, rt = 0;
        for (size_t j = 0; j < 16; j++)
            *((j % 4) < 2 ? &left : &rt) += s->num[1 + j][i];
        right += (left > rt) == (s->cat[0][i] == 0);
    }
    cr_assert_geq(right, 16, "%zu of 20 images brighter on their class's side", right);
    tbl_free(s);
    gen_free(g);
    /* bad ConvNet parameters */
    table *tab = planted(50, 7);
    static const struct { const char *json; const char *needle; } bad[] = {
        {"{\"label\": \"y\", \"net\": \"cnn\"}", "net"},
        {"{\"label\": \"y\", \"net\": \"conv\"}", "categorical"},
        {"{\"label\": \"y\", \"height\": 2}", "height"},
    };
    for (size_t c = 0; c < 3; c++) {
        cJSON *params = cJSON_Parse(bad[c].json);
        gen_config cfg = {.epsilon = 1, .delta = 1e-5, .params = params};
        cr_assert_eq(gen_check("psg", tab->s, &cfg, &e), PA_EINPUT, "case %zu", c);
        cr_assert(strstr(e.msg, bad[c].needle), "case %zu: %s", c, e.msg);
        cJSON_Delete(params);
    }
    cJSON *params = cJSON_Parse("{\"label\": \"y\", \"net\": \"conv\", \"height\": 3}");
    gen_config cfg = {.epsilon = 1, .delta = 1e-5, .params = params};
    cr_assert_eq(gen_check("psg", t->s, &cfg, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "height"), "%s", e.msg);
    cJSON_Delete(params);
    params = cJSON_Parse("{\"label\": \"y\", \"net\": \"conv\", \"depth\": 3}");
    cfg.params = params;
    cr_assert_eq(gen_check("psg", t->s, &cfg, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "depth"), "%s", e.msg);
    cJSON_Delete(params);
    tbl_free(tab);
    tbl_free(t);
}

/* ---- through `privaudit run`: every membership attack, --jobs 1 and 2 ---- */

static char *dump(const char *db_path)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *queries[] = {
        "SELECT id, cell_id, game, status, eps_spent, synth_hash FROM trial ORDER BY id",
        "SELECT * FROM score ORDER BY trial_id, target_id, attack",
    };
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(db, queries[q], -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int k = 0; k < sqlite3_column_count(st); k++) {
                if (sqlite3_column_type(st, k) == SQLITE_FLOAT)
                    fprintf(f, "%.17g|", sqlite3_column_double(st, k));
                else
                    fprintf(f, "%s|", sqlite3_column_text(st, k) ? (const char *)sqlite3_column_text(st, k) : "NULL");
            }
            fputc('\n', f);
        }
        sqlite3_finalize(st);
    }
    fclose(f);
    sqlite3_close(db);
    return out;
}

static double query_real(const char *db_path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* psg at ε = 1 and 10 and dpmerf with "lengthscale": "select" at ε = 10, 8
 * games each, every membership attack scoring every trial; the stored
 * results are identical for --jobs 1 and 2 and the stored ε is the claim. */
Test(psg, psg_and_dpmerf_select_face_every_attack_and_do_not_depend_on_jobs)
{
    char *dir = tu_tmpdir();
    cr_assert_not_null(dir);
    char *p = tu_path(dir, "data.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "y,u,w\n");
    gsl_rng *r = rng_stream(11, 0);
    for (int i = 0; i < 500; i++) {
        int y = (int)rng_below(r, 3);
        fprintf(f, "%d,%.3f,%.3f\n", y, 3.0 * y + 3.0 * gsl_rng_uniform(r), 10 * gsl_rng_uniform(r));
    }
    gsl_rng_free(r);
    fclose(f);
    free(p);
    free(tu_write(dir, "schema.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"y\", \"type\": \"categorical\", \"labels\": [\"0\",\"1\",\"2\"]},"
                  "{\"name\": \"u\", \"type\": \"numeric\", \"min\": 0, \"max\": 10},"
                  "{\"name\": \"w\", \"type\": \"numeric\", \"min\": 0, \"max\": 10}]}"));
    free(tu_write(dir, "c.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"psgrun\", \"seed\": 5,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                  " \"split\": {\"aux\": 0.4, \"holdout\": 0.1},"
                  " \"train_size\": 150, \"synth_size\": 150, \"games\": 8, \"shadow_games\": 10,"
                  " \"targets\": {\"select\": \"isolated\", \"count\": 1},"
                  " \"generators\": [{\"name\": \"psg\", \"epsilon\": [1, 10], \"delta\": 1e-5,"
                  "                   \"params\": {\"label\": \"y\", \"ipc\": 5, \"hidden\": 8, \"restarts\": 4,"
                  "                              \"inner\": 5, \"q\": 0.1}},"
                  "                  {\"name\": \"dpmerf\", \"epsilon\": 10, \"delta\": 1e-5,"
                  "                   \"params\": {\"label\": \"y\", \"lengthscale\": \"select\", \"features\": 40,"
                  "                              \"hidden\": 8, \"iters\": 20, \"batch\": 50}}],"
                  " \"attacks\": [{\"name\": \"query\"}, {\"name\": \"dcr\"}, {\"name\": \"domias\"},"
                  "               {\"name\": \"ganleaks\"}, {\"name\": \"shadow\", \"params\": {\"classifier\": \"logreg\"}}]}"));
    char *cfg = tu_path(dir, "c.json"), *db1 = tu_path(dir, "j1.db"), *db2 = tu_path(dir, "j2.db");
    const char *a1[] = {"run", cfg, "--db", db1, "--jobs", "1", "--quiet", NULL};
    const char *a2[] = {"run", cfg, "--db", db2, "--jobs", "2", "--quiet", NULL};
    tu_result r1 = tu_run(dir, a1);
    cr_assert_eq(r1.code, 0, "%s", r1.err);
    tu_result r2 = tu_run(dir, a2);
    cr_assert_eq(r2.code, 0, "%s", r2.err);
    cr_assert_eq(query_real(db1, "SELECT count(*) FROM trial WHERE status = 'ok'"), 24);
    cr_assert_eq(query_real(db1, "SELECT count(DISTINCT attack) FROM score"), 5);
    cr_assert(fabs(query_real(db1, "SELECT max(eps_spent) FROM trial") - 10) < 1e-5);
    char *d1 = dump(db1), *d2 = dump(db2);
    cr_assert_gt(strlen(d1), 500);
    cr_assert_str_eq(d1, d2);
    free(d1);
    free(d2);
    tu_result_free(&r1);
    tu_result_free(&r2);
    free(cfg);
    free(db1);
    free(db2);
    tu_rmtree(dir);
    free(dir);
}
