/* test_tabgen_run.c — AIM and Private-GSD through `privaudit run`: targets of
 * every membership attack, results independent of --jobs. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

#include "tests/testutil.h"

static char *dir;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* 600 records of 3 categorical and 2 numeric columns, one outlier (row 0). */
static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
    char *p = tu_path(dir, "data.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "colour,size,region,age,income\n");
    fprintf(f, "violet,XL,north,99,250000\n");
    uint64_t s = 99;
    const char *colours[] = {"red", "green", "blue"}, *sizes[] = {"S", "M", "L"}, *regions[] = {"east", "west", "south"};
    for (int i = 1; i < 600; i++) {
        int c = (int)(lcg(&s) % 3);
        fprintf(f, "%s,%s,%s,%d,%d\n", colours[c], sizes[(c + lcg(&s) % 2) % 3], regions[lcg(&s) % 3],
                (int)(20 + lcg(&s) % 40), (int)(20000 + 1000 * (lcg(&s) % 60)));
    }
    fclose(f);
    free(p);
    free(tu_write(dir, "schema.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"red\",\"green\",\"blue\",\"violet\"]},"
                  "{\"name\": \"size\", \"type\": \"categorical\", \"labels\": [\"S\",\"M\",\"L\",\"XL\"]},"
                  "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\",\"west\",\"south\",\"north\"]},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100, \"integer\": true},"
                  "{\"name\": \"income\", \"type\": \"numeric\", \"min\": 0, \"max\": 300000}]}"));
    free(tu_write(dir, "c.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"tabgen\", \"seed\": 5,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                  " \"split\": {\"aux\": 0.4, \"holdout\": 0.1},"
                  " \"train_size\": 150, \"games\": 12, \"shadow_games\": 10,"
                  " \"targets\": {\"select\": \"isolated\", \"count\": 1},"
                  " \"generators\": [{\"name\": \"aim\", \"epsilon\": [1, 10], \"params\": {\"bins\": 8}},"
                  "                  {\"name\": \"gsd\", \"epsilon\": [1, 10], \"params\": {\"bins\": 8}}],"
                  " \"attacks\": [{\"name\": \"query\"}, {\"name\": \"dcr\"}, {\"name\": \"domias\"},"
                  "               {\"name\": \"ganleaks\"}, {\"name\": \"shadow\", \"params\": {\"classifier\": \"logreg\"}}]}"));
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(tabgen_run, .init = setup, .fini = teardown, .timeout = 300);

static char *dump(const char *db_path)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *queries[] = {
        "SELECT id, cell_id, game, status, eps_spent, synth_hash FROM trial ORDER BY id",
        "SELECT * FROM score ORDER BY trial_id, target_id, attack",
        "SELECT * FROM estimate ORDER BY cell_id, attack, target_id, method",
    };
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *s;
        cr_assert_eq(sqlite3_prepare_v2(db, queries[q], -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int k = 0; k < sqlite3_column_count(s); k++) {
                if (sqlite3_column_type(s, k) == SQLITE_FLOAT)
                    fprintf(f, "%.17g|", sqlite3_column_double(s, k));
                else
                    fprintf(f, "%s|", sqlite3_column_text(s, k) ? (const char *)sqlite3_column_text(s, k) : "NULL");
            }
            fputc('\n', f);
        }
        sqlite3_finalize(s);
    }
    fclose(f);
    sqlite3_close(db);
    return out;
}

static double query_real(const char *db_path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    double v = NAN;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Four cells (aim and gsd at ε = 1 and 10) × 12 games, every attack scoring
 * every trial; the stored results are the same for --jobs 1 and 2, and the
 * stored ε is the claim. */
Test(tabgen_run, aim_and_gsd_face_every_attack_and_do_not_depend_on_jobs)
{
    char *cfg = tu_path(dir, "c.json"), *db1 = tu_path(dir, "j1.db"), *db2 = tu_path(dir, "j2.db");
    const char *a1[] = {"run", cfg, "--db", db1, "--jobs", "1", "--quiet", NULL};
    const char *a2[] = {"run", cfg, "--db", db2, "--jobs", "2", "--quiet", NULL};
    tu_result r1 = tu_run(dir, a1);
    cr_assert_eq(r1.code, 0, "%s", r1.err);
    tu_result r2 = tu_run(dir, a2);
    cr_assert_eq(r2.code, 0, "%s", r2.err);
    cr_assert_eq(query_real(db1, "SELECT count(*) FROM trial WHERE status = 'ok'"), 48);
    cr_assert_eq(query_real(db1, "SELECT count(DISTINCT attack) FROM score"), 5);
    cr_assert_eq(query_real(db1, "SELECT count(*) FROM score"), 48 * 5);
    cr_assert(fabs(query_real(db1, "SELECT max(eps_spent) FROM trial WHERE cell_id = 1") - 10) < 1e-9);
    char *d1 = dump(db1), *d2 = dump(db2);
    cr_assert_gt(strlen(d1), 1000);
    cr_assert_str_eq(d1, d2);
    free(d1);
    free(d2);
    tu_result_free(&r1);
    tu_result_free(&r2);
    free(cfg);
    free(db1);
    free(db2);
}
