/* test_fuzz.c — the fuzz harnesses of fuzz/ without libFuzzer: every seed
 * the project generates (fuzz/seeds.c) and every committed regression input
 * (tests/fuzz/NAME/: crashes `make fuzz` found, and inputs that broke a
 * harness property before a fix) is replayed through its harness. A broken
 * property abort()s, which Criterion reports as a crash. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#define FUZZ_NO_MAIN
#include "fuzz/fuzz_config.c"
#include "fuzz/fuzz_csv.c"
#include "fuzz/fuzz_idx.c"
#include "fuzz/fuzz_rda.c"
#include "fuzz/fuzz_schema.c"
int fuzz_seeds_main(int argc, char **argv);
#define main fuzz_seeds_main
#include "fuzz/seeds.c"
#undef main

#include "tests/testutil.h"

typedef int (*harness)(const uint8_t *, size_t);

/* Feeds every file of folder d to h; returns how many. */
static size_t replay(const char *d, harness h)
{
    DIR *dir = opendir(d);
    if (!dir)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        FILE *f = fopen(p, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
        size_t got = fread(b, 1, (size_t)len, f);
        fclose(f);
        cr_log_info("%s", p);
        h(b, got);
        free(b);
        n++;
    }
    closedir(dir);
    return n;
}

static char *seeds;

static void setup(void)
{
    seeds = tu_tmpdir();
    cr_assert_not_null(seeds);
    char *argv[] = {"seeds", seeds, NULL};
    cr_assert_eq(fuzz_seeds_main(2, argv), 0);
}

static void teardown(void)
{
    tu_rmtree(seeds);
    free(seeds);
}

TestSuite(fuzz, .init = setup, .fini = teardown, .timeout = 120);

static void check(const char *name, harness h, size_t min_seeds)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s/%s", seeds, name);
    size_t s = replay(d, h);
    cr_assert_geq(s, min_seeds, "%zu seeds in %s", s, d);
    snprintf(d, sizeof d, "tests/fuzz/%s", name);
    size_t r = replay(d, h);
    /* the empty input too */
    h((const uint8_t *)"", 0);
    cr_log_info("%s: %zu seeds and %zu regression inputs", name, s, r);
}

Test(fuzz, csv_seeds_and_regressions_keep_the_harness_properties)
{
    check("csv", fuzz_csv, 5);
}

Test(fuzz, schema_seeds_and_regressions_keep_the_harness_properties)
{
    check("schema", fuzz_schema, 3);
}

Test(fuzz, config_seeds_and_regressions_keep_the_harness_properties)
{
    check("config", fuzz_config, 2);
}

Test(fuzz, rda_seeds_and_regressions_keep_the_harness_properties)
{
    check("rda", fuzz_rda, 10);
}

Test(fuzz, idx_seeds_and_regressions_keep_the_harness_properties)
{
    check("idx", fuzz_idx, 3);
}

/* The seeds must exercise the readers' success paths, not only their errors. */
Test(fuzz, the_seeds_read_as_what_they_are)
{
    char p[PATH_MAX];
    pa_err e;
    table *t = NULL;
    snprintf(p, sizeof p, "%s/rda/frame-v3.plain", seeds);
    cr_assert_eq(rda_read_frame(p, "people", &t, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(t->n, 6);
    cr_assert_eq(t->d, 5);
    tbl_free(t);
    snprintf(p, sizeof p, "%s/rda/frame-v2-odd.xz", seeds);
    cr_assert_eq(rda_read_frame(p, NULL, &t, &e), PA_OK, "%s", e.msg);
    tbl_free(t);
    schema *s = NULL;
    snprintf(p, sizeof p, "%s/schema/own", seeds);
    cr_assert_eq(schema_read(p, &s, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(s->d, 4);
    snprintf(p, sizeof p, "%s/csv/fixed", seeds);
    schema *fx = NULL;
    cr_assert_eq(schema_parse(FIXED, "fixed", &fx, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(tbl_read_csv(p, fx, &t, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(t->n, 4);
    tbl_free(t);
    schema_free(fx);
    schema_free(s);
    config *c = NULL;
    snprintf(p, sizeof p, "%s/config/full", seeds);
    cr_assert_eq(config_read(p, NULL, &c, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(c->n_cells, 3);
    config_free(c);
    /* the IDX seed splits into 4 images of 3 x 3 and 4 labels */
    snprintf(p, sizeof p, "%s/idx/plain-4x3x3", seeds);
    FILE *f = fopen(p, "rb");
    uint8_t b[256];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    size_t cut = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
    idx_array *img = NULL, *lab = NULL;
    cr_assert_eq(idx_read(fuzz_file(0, b + 4, cut), &img, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(idx_read(fuzz_file(1, b + 4 + cut, n - 4 - cut), &lab, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(img->dims[0], 4);
    cr_assert_eq(lab->count, 4);
    idx_free(img);
    idx_free(lab);
}
