/* test_report.c — privaudit report on every kind of database: the files it
 * writes exist and parse (PDF through pdfinfo, SVG through xmllint, CSV
 * columns, LaTeX balanced), every plotted point sits at its stored value
 * (read back from the .dat files and compared with what the fixture stored
 * or with an independent computation), the report of an interrupted run says
 * so, a full disk leaves nothing half-written, a read-only database is read,
 * and databases of --jobs 1 and --jobs 2 give the same report.
 *
 * The membership fixture is written through the store's own API with known
 * numbers: 3 settings (resample at ε = ∞, marginals at ε = 1 and 4), 2
 * attacks, 2 targets, 40 games each. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/resource.h>

#include <gsl/gsl_cdf.h>

#include "audit/eps.h"
#include "harness/gradinv_store.h"
#include "harness/recon_store.h"
#include "harness/store.h"
#include "reports/plot.h"
#include "tests/testutil.h"

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers ---- */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Runs a shell command line; returns its exit status. */
static int sh(const char *cmd)
{
    pid_t pid;
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    if (posix_spawnp(&pid, "sh", NULL, NULL, argv, environ) != 0)
        return -1;
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int have_tool(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return sh(cmd) == 0;
}

/* The file's bytes parse as what its name says. */
static void assert_parses(const char *path)
{
    cr_assert(tu_exists(path), "%s missing", path);
    const char *ext = strrchr(path, '.');
    char cmd[8192];
    if (!strcmp(ext, ".svg")) {
        cr_assert(have_tool("xmllint"), "xmllint missing: apt-get install libxml2-utils");
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s' 2>/dev/null", path);
        cr_expect_eq(sh(cmd), 0, "%s does not parse as XML", path);
    } else if (!strcmp(ext, ".pdf")) {
        char *b = tu_slurp(path);
        cr_expect(!strncmp(b, "%PDF-", 5), "%s: no PDF header", path);
        free(b);
        if (have_tool("pdfinfo")) {
            snprintf(cmd, sizeof cmd, "pdfinfo '%s' >/dev/null 2>&1 && pdffonts '%s' | awk 'NR > 2 && $(NF-4) != "
                                      "\"yes\" {bad = 1} END {exit bad}'",
                     path, path);
            cr_expect_eq(sh(cmd), 0, "%s: pdfinfo fails or a font is not embedded", path);
        }
    } else if (!strcmp(ext, ".png")) {
        FILE *f = fopen(path, "rb");
        unsigned char h[24] = {0};
        size_t n = f ? fread(h, 1, sizeof h, f) : 0;
        if (f)
            fclose(f);
        cr_expect(n == 24 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8) && !memcmp(h + 12, "IHDR", 4), "%s: not a PNG",
                  path);
        unsigned w = (unsigned)h[16] << 24 | (unsigned)h[17] << 16 | (unsigned)h[18] << 8 | h[19];
        cr_expect(w >= 300, "%s: %u pixels wide", path, w);
    }
}

/* The fields of one CSV line (RFC 4180 quotes). */
static size_t csv_fields(const char *line, char fields[][128], size_t max)
{
    size_t n = 0, k = 0;
    int q = 0;
    if (max)
        fields[0][0] = 0;
    for (const char *p = line;; p++) {
        if (q) {
            if (*p == '"' && p[1] == '"') {
                if (n < max && k < 127)
                    fields[n][k++] = '"';
                p++;
            } else if (*p == '"') {
                q = 0;
            } else if (!*p) {
                break;
            } else if (n < max && k < 127) {
                fields[n][k++] = *p;
            }
            continue;
        }
        if (*p == '"') {
            q = 1;
        } else if (*p == ',' || !*p || *p == '\n') {
            if (n < max)
                fields[n][k] = 0;
            n++;
            k = 0;
            if (n < max)
                fields[n][0] = 0;
            if (*p != ',')
                break;
        } else if (n < max && k < 127) {
            fields[n][k++] = *p;
        }
    }
    return n;
}

/* Every line of the CSV has as many fields as its header; returns rows. */
static size_t assert_csv(const char *path)
{
    char *t = tu_slurp(path);
    cr_assert(*t, "%s empty or missing", path);
    char f[64][128];
    size_t ncol = 0, rows = 0;
    for (char *save = NULL, *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = csv_fields(line, f, 64);
        if (!ncol)
            ncol = n;
        else {
            cr_expect_eq(n, ncol, "%s row %zu: %zu fields, header has %zu", path, rows + 1, n, ncol);
            rows++;
        }
    }
    free(t);
    return rows;
}

/* Braces balance (escaped \{ \} aside), every \begin has its \end, the
 * booktabs rules are there, and each row has one & fewer than columns. */
static void assert_latex(const char *path)
{
    char *t = tu_slurp(path);
    cr_assert(*t, "%s empty or missing", path);
    long depth = 0, begins = 0, ends = 0;
    for (const char *p = t; *p; p++) {
        if (*p == '\\' && p[1]) { /* an escaped character (\{, \%, \&, \\) or a command's first letter */
            p++;
            continue;
        }
        if (*p == '%') { /* a comment runs to the end of the line */
            while (*p && *p != '\n')
                p++;
            if (!*p)
                break;
            continue;
        }
        depth += *p == '{';
        depth -= *p == '}';
        cr_assert_geq(depth, 0, "%s: a } closes nothing", path);
    }
    cr_expect_eq(depth, 0, "%s: unbalanced braces", path);
    for (const char *p = t; (p = strstr(p, "\\begin{")); p++)
        begins++;
    for (const char *p = t; (p = strstr(p, "\\end{")); p++)
        ends++;
    cr_expect_eq(begins, ends, "%s: %ld \\begin, %ld \\end", path, begins, ends);
    cr_expect(strstr(t, "\\toprule") && strstr(t, "\\midrule") && strstr(t, "\\bottomrule"), "%s: booktabs", path);
    const char *spec = strstr(t, "\\begin{tabular}{");
    cr_assert(spec, "%s: no tabular", path);
    spec += strlen("\\begin{tabular}{");
    size_t ncol = strcspn(spec, "}");
    const char *body = strstr(t, "\\toprule");
    for (char *save = NULL, *line = strtok_r((char *)body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t l = strlen(line);
        if (l < 2 || strcmp(line + l - 2, "\\\\"))
            continue;
        size_t amp = 0;
        for (size_t i = 0; i < l; i++)
            amp += line[i] == '&' && (i == 0 || line[i - 1] != '\\');
        cr_expect_eq(amp + 1, ncol, "%s: a row has %zu cells, the table %zu columns: %s", path, amp + 1, ncol, line);
    }
    free(t);
}

/* A block of a .dat file: its comment and rows. */
typedef struct dblock {
    char comment[512];
    size_t n, cols;
    double v[2048][8];
} dblock;

/* Reads the blocks of a gnuplot data file (separated by two blank lines). */
static size_t read_dat(const char *path, dblock *b, size_t max)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s missing", path);
    char line[65536];
    size_t nb = 0;
    int blank = 0, started = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n') {
            if (++blank == 2 && started && nb < max) {
                nb++;
                started = 0;
            }
            continue;
        }
        blank = 0;
        if (nb >= max)
            break;
        dblock *d = &b[nb];
        if (!started) {
            memset(d, 0, sizeof *d);
            started = 1;
        }
        if (line[0] == '#') {
            if (!d->comment[0] || !d->n)
                snprintf(d->comment, sizeof d->comment, "%.500s", line + 2);
            continue;
        }
        char *p = line, *end;
        size_t k = 0;
        while (k < 8) {
            double x = strtod(p, &end);
            if (end == p)
                break;
            if (d->n < 2048)
                d->v[d->n][k] = x;
            k++;
            p = end;
        }
        d->cols = k;
        if (d->n < 2048)
            d->n++;
    }
    if (started && nb < max)
        nb++;
    fclose(f);
    return nb;
}

static sqlite3 *db_open(const char *path)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return h;
}

static double q1(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *s;
    double v = NAN;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* The pooled bayes interval's lower (hi = 0) or upper end stored for
 * (generator, attack, claimed ε). */
static double est_col(sqlite3 *h, const char *gen, const char *att, double eps, int hi)
{
    sqlite3_stmt *s;
    double v = NAN;
    cr_assert_eq(sqlite3_prepare_v2(h,
                                    "SELECT e.lo, e.hi FROM estimate e JOIN cell c ON c.id = e.cell_id"
                                    " WHERE c.generator = ?1 AND e.attack = ?2 AND e.method = 'bayes'"
                                    " AND e.target_id IS NULL AND (c.epsilon = ?3 OR (?3 > 1e300 AND c.epsilon > 1e300))",
                                    -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(s, 1, gen, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, att, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, eps);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_double(s, hi);
    sqlite3_finalize(s);
    return v;
}

static void assert_figure(const char *out, const char *name)
{
    static const char *const ext[] = {"dat", "gp", "pdf", "svg", "png"};
    for (size_t k = 0; k < 5; k++) {
        char fn[256];
        snprintf(fn, sizeof fn, "%s.%s", name, ext[k]);
        char *p = tu_path(out, fn);
        if (k < 2)
            cr_expect(tu_exists(p), "%s missing", p);
        else
            assert_parses(p);
        free(p);
    }
}

static void assert_table(const char *out, const char *name)
{
    char fn[256];
    snprintf(fn, sizeof fn, "%s.csv", name);
    char *p = tu_path(out, fn);
    assert_csv(p);
    free(p);
    snprintf(fn, sizeof fn, "%s.tex", name);
    p = tu_path(out, fn);
    assert_latex(p);
    free(p);
}

/* ---- the membership fixture ---- */

#define GAMES 40
static const char *const ATT[2] = {"dcr", "query"};
static const double CELL_EPS[3] = {INFINITY, 1, 4};
static const char *const CELL_GEN[3] = {"resample", "marginals", "marginals"};

/* Score of target t in game g of cell c for attack a: members higher by a
 * shift that shrinks with the cell's privacy, ties included. */
static double fx_score(int c, int a, int g, int t, int member)
{
    uint64_t s = (uint64_t)(c * 1000003 + a * 10007 + g * 101 + t + 1);
    double noise = (double)(lcg(&s) % 1000) / 100.0;
    double shift = c == 0 ? 6 : c == 1 ? 0.5 : 1.5;
    return floor((noise + (member ? shift : 0) * (a ? 0.5 : 1)) * 4) / 4;
}

static int fx_member(int c, int g, int t)
{
    uint64_t s = (uint64_t)(c * 7919 + g * 31 + t * 3 + 5);
    return (int)(lcg(&s) & 1);
}

/* Mann-Whitney AUC of a (cell, attack) over all games and targets, ties ½. */
static double fx_auc(int c, int a)
{
    double pos[2 * GAMES], neg[2 * GAMES];
    size_t np = 0, nn = 0;
    for (int g = 0; g < GAMES; g++)
        for (int t = 0; t < 2; t++) {
            int m = fx_member(c, g, t);
            double v = fx_score(c, a, g, t, m);
            if (m)
                pos[np++] = v;
            else
                neg[nn++] = v;
        }
    double u = 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < nn; j++)
            u += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0;
    return u / ((double)np * (double)nn);
}

static double fx_tvd(int c, int g)
{
    return 0.05 + 0.04 * c + 0.001 * (g % 7);
}

/* Writes the fixture into path: games 0..stored-1 of every cell, planned
 * trials `planned`; estimates and metrics only when `estimates`. Every cell
 * has the same non-empty params, so the labels must stay the bare generator
 * names (no two settings of one generator differ in params). */
static void write_run_fixture(const char *path, long planned, int stored, int estimates)
{
    store *st;
    pa_err e;
    cr_assert_eq(store_open(path, &st, &e), PA_OK, "%s", e.msg);
    store_experiment ex = {.name = "fixture", .config_json = "{}", .config_hash = "c0ffee", .code_version = "test",
                           .data_path = "data.csv", .data_hash = "da7a", .schema_json = "{}", .seed = 3,
                           .n_trials = (size_t)planned};
    int existing;
    cr_assert_eq(store_put_experiment(st, &ex, &existing, &e), PA_OK, "%s", e.msg);
    for (int c = 0; c < 3; c++) {
        store_cell cl = {.id = c, .generator = CELL_GEN[c], .params_json = "{\"iters\": 5}", .epsilon = CELL_EPS[c],
                         .delta = 1e-5};
        cr_assert_eq(store_put_cell(st, &cl, &e), PA_OK, "%s", e.msg);
    }
    for (int t = 0; t < 2; t++) {
        store_target tg = {.id = t, .row = 10 + t, .how = t ? "random" : "isolated", .isolation = 1.5 + t};
        cr_assert_eq(store_put_target(st, &tg, &e), PA_OK, "%s", e.msg);
    }
    int64_t tid[2] = {0, 1};
    const char *un[1] = {"tvd2"};
    for (int c = 0; c < 3; c++)
        for (int g = 0; g < stored; g++) {
            int mem[2] = {fx_member(c, g, 0), fx_member(c, g, 1)};
            double sc[4];
            for (int a = 0; a < 2; a++)
                for (int t = 0; t < 2; t++)
                    sc[a * 2 + t] = fx_score(c, a, g, t, mem[t]);
            double uv[1] = {fx_tvd(c, g)};
            store_trial tr = {.id = c * 1000 + g, .cell_id = c, .game = g,
                              .split = g < GAMES / 2 ? "calibration" : "test", .stream_seed = (uint64_t)g,
                              .status = "ok", .eps_spent = CELL_EPS[c], .fit_s = 0.01, .sample_s = 0.02,
                              .attack_s = 0.03, .k = 2, .target_id = tid, .member = mem, .n_attacks = 2,
                              .attack = ATT, .score = sc, .n_util = 1, .util_name = un, .util_value = uv};
            cr_assert_eq(store_put_trial(st, &tr, &e), PA_OK, "%s", e.msg);
        }
    if (estimates) {
        cr_assert_eq(store_begin(st, &e), PA_OK);
        /* counts per (cell, attack); the query attack on marginals ε = 1 leaks: a violation */
        static const double counts[3][2][4] = {
            {{18, 2, 1, 19}, {12, 8, 6, 14}}, {{11, 9, 9, 11}, {19, 1, 0, 20}}, {{12, 8, 7, 13}, {10, 10, 9, 11}}};
        for (int c = 0; c < 3; c++)
            for (int a = 0; a < 2; a++) {
                store_metric m = {.cell_id = c, .attack = ATT[a], .target_id = -1, .name = "auc",
                                  .value = fx_auc(c, a)};
                cr_assert_eq(store_put_metric(st, &m, &e), PA_OK, "%s", e.msg);
                m.name = "tpr@0.01";
                m.value = 0.05 * (c + a);
                cr_assert_eq(store_put_metric(st, &m, &e), PA_OK, "%s", e.msg);
                eps_counts k = {.tp = counts[c][a][0], .fn = counts[c][a][1], .fp = counts[c][a][2],
                                .tn = counts[c][a][3]};
                double lo, hi, cpl, cph;
                cr_assert_eq(eps_bayes_interval(&k, 1e-5, 0.05, &lo, &hi, &e), PA_OK);
                eps_clopper_pearson(&k, 1e-5, 0.025, &cpl, &cph);
                double claimed = CELL_EPS[c];
                store_estimate es = {.cell_id = c, .attack = ATT[a], .target_id = -1, .method = "bayes", .lo = lo,
                                     .hi = hi, .alpha = 0.1, .delta = 1e-5, .threshold = 1, .tp = k.tp, .fn = k.fn,
                                     .fp = k.fp, .tn = k.tn, .claimed = claimed,
                                     .p_exceeds = isfinite(claimed) ? eps_bayes_p_exceeds(&k, 1e-5, claimed) : NAN,
                                     .violation = isfinite(claimed) && lo > claimed};
                cr_assert_eq(store_put_estimate(st, &es, &e), PA_OK, "%s", e.msg);
                store_estimate cp = es;
                cp.method = "clopper_pearson";
                cp.lo = cpl;
                cp.hi = cph;
                cp.p_exceeds = NAN;
                cp.violation = isfinite(claimed) && cpl > claimed;
                cr_assert_eq(store_put_estimate(st, &cp, &e), PA_OK, "%s", e.msg);
                /* a method the report has never heard of: drawn generically */
                store_estimate gd = cp;
                gd.method = "gdp_mu_fit";
                gd.lo = 0.5 * lo;
                gd.hi = INFINITY;
                gd.violation = 0;
                cr_assert_eq(store_put_estimate(st, &gd, &e), PA_OK, "%s", e.msg);
                for (int t = 0; t < 2; t++) {
                    store_estimate pt = es;
                    pt.target_id = t;
                    pt.lo = lo * (0.5 + 0.25 * t);
                    pt.violation = 0;
                    cr_assert_eq(store_put_estimate(st, &pt, &e), PA_OK, "%s", e.msg);
                }
            }
        cr_assert_eq(store_commit(st, &e), PA_OK);
    }
    store_close(st);
}

static tu_result report(const char *db, const char *out, const char *extra)
{
    const char *args[] = {"report", "--db", db, "--out", out, "--quiet", extra, NULL};
    return tu_run(dir, args);
}

/* ---- tests ---- */

Test(report, a_membership_run_draws_every_figure_and_table_at_its_stored_values)
{
    char *db = tu_path(dir, "run.db"), *out = tu_path(dir, "rep");
    write_run_fixture(db, 3 * GAMES, GAMES, 1);
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    cr_expect_str_eq(r.err, "", "nothing may reach stderr (gnuplot's warnings included)");
    tu_result_free(&r);
    char *log = tu_path(out, "gnuplot.log");
    cr_expect(!tu_exists(log), "gnuplot warned (see %s)", log);
    free(log);
    static const char *const figs[] = {"eps", "utility", "roc", "roc-log", "posterior"};
    for (size_t k = 0; k < 5; k++)
        assert_figure(out, figs[k]);
    static const char *const tabs[] = {"verdicts", "attacks", "estimates", "utility", "targets", "per_target",
                                       "trials", "timings"};
    for (size_t k = 0; k < 8; k++)
        assert_table(out, tabs[k]);
    sqlite3 *h = db_open(db);
    static dblock b[64];
    char *p;
    /* eps: each block is (generator, attack); its rows the stored bayes interval of each claimed ε */
    p = tu_path(out, "eps.dat");
    size_t nb = read_dat(p, b, 64), rows = 0;
    free(p);
    cr_expect_eq(nb, 4, "one block per (generator, attack): %zu", nb);
    for (size_t i = 0; i < nb; i++) {
        char gen[64], att[64];
        cr_assert_eq(sscanf(b[i].comment, "%63[^,], attack %63[^,]", gen, att), 2, "%s", b[i].comment);
        for (size_t j = 0; j < b[i].n; j++) {
            double eps = b[i].v[j][0];
            cr_expect_eq(b[i].v[j][1], est_col(h, gen, att, eps, 0), "eps.dat %s %s eps %g: lower end", gen, att, eps);
            cr_expect_eq(b[i].v[j][2], est_col(h, gen, att, eps, 1), "eps.dat %s %s eps %g: upper end %.17g, stored %.17g", gen, att, eps, b[i].v[j][2], est_col(h, gen, att, eps, 1));
            rows++;
        }
    }
    cr_expect_eq(rows, 6, "every (cell, attack) drawn once");
    /* the tics sit at the claimed values, ∞ on its own slot */
    char *gp = tu_path(out, "eps.gp"), *gpt = tu_slurp(gp);
    cr_expect(strstr(gpt, "'1' 0,") && strstr(gpt, "'4' 0.6020599913279624") && strstr(gpt, "'∞' EPS_INF"), "%s",
              gpt);
    free(gp);
    free(gpt);
    /* utility: the mean and standard error of tvd2 over each cell's trials */
    p = tu_path(out, "utility.dat");
    nb = read_dat(p, b, 64);
    free(p);
    size_t urows = 0;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < b[i].n; j++, urows++) {
            int c = isinf(b[i].v[j][0]) ? 0 : b[i].v[j][0] == 1 ? 1 : 2;
            double s1 = 0, s2 = 0;
            for (int g = 0; g < GAMES; g++) {
                s1 += fx_tvd(c, g);
                s2 += fx_tvd(c, g) * fx_tvd(c, g);
            }
            double mean = s1 / GAMES, se = sqrt((s2 / GAMES - mean * mean) * GAMES / (GAMES - 1) / GAMES);
            cr_expect(fabs(b[i].v[j][1] - mean) < 1e-12, "cell %d mean %.17g, expected %.17g", c, b[i].v[j][1], mean);
            cr_expect(fabs(b[i].v[j][2] - se) < 1e-9 * se + 1e-15, "cell %d se %.17g, expected %.17g", c,
                      b[i].v[j][2], se);
            cr_expect_eq(b[i].v[j][3], GAMES);
        }
    cr_expect_eq(urows, 3);
    /* roc: the area under each drawn curve is the Mann-Whitney AUC of the fixture's scores */
    p = tu_path(out, "roc.dat");
    nb = read_dat(p, b, 64);
    free(p);
    cr_expect_eq(nb, 6);
    for (size_t i = 0; i < nb; i++) {
        char gen[64], att[64];
        double eps;
        cr_assert_eq(sscanf(b[i].comment, "%63s eps=%lf, attack %63[^:]", gen, &eps, att), 3, "%s", b[i].comment);
        int c = isinf(eps) ? 0 : eps == 1 ? 1 : 2, a = !strcmp(att, "query");
        double area = 0;
        for (size_t j = 1; j < b[i].n; j++)
            area += (b[i].v[j][0] - b[i].v[j - 1][0]) * (b[i].v[j][1] + b[i].v[j - 1][1]) / 2;
        cr_expect(fabs(area - fx_auc(c, a)) < 1e-12, "%s: drawn area %.17g, AUC %.17g", b[i].comment, area,
                  fx_auc(c, a));
        cr_expect(b[i].v[0][0] == 0 && b[i].v[0][1] == 0 && b[i].v[b[i].n - 1][0] == 1 && b[i].v[b[i].n - 1][1] == 1);
    }
    /* posterior: shaded exactly inside the stored interval; the density over it integrates to 1 - α = 0.9 */
    p = tu_path(out, "posterior.dat");
    nb = read_dat(p, b, 64);
    free(p);
    cr_expect_eq(nb, 4, "two finite-claim cells x two attacks");
    for (size_t i = 0; i < nb; i++) {
        double lo, hi;
        const char *w = strstr(b[i].comment, "inside_[");
        cr_assert(w && sscanf(w, "inside_[%lf,%lf]", &lo, &hi) == 2, "%s", b[i].comment);
        double mass = 0;
        for (size_t j = 0; j < b[i].n; j++) {
            int in = b[i].v[j][0] >= lo && b[i].v[j][0] <= hi;
            cr_expect_eq(b[i].v[j][2], in ? b[i].v[j][1] : 0.0, "%s at %g", b[i].comment, b[i].v[j][0]);
            if (j && in && b[i].v[j - 1][0] >= lo)
                mass += (b[i].v[j][0] - b[i].v[j - 1][0]) * (b[i].v[j][1] + b[i].v[j - 1][1]) / 2;
        }
        double step = b[i].v[1][0] - b[i].v[0][0];
        if (hi < b[i].v[b[i].n - 1][0])
            cr_expect(fabs(mass - 0.9) < 0.02 + 2 * step, "%s: mass %.4f inside the interval", b[i].comment, mass);
    }
    /* report.md reads top-down and names every estimate method */
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    const char *v = strstr(md, "## Membership inference: verdict"), *u = strstr(md, "## Membership inference: privacy"),
               *pv = strstr(md, "## Completeness and provenance"), *tm = strstr(md, "## Timings");
    cr_expect(v && u && pv && tm && v < u && u < pv && pv < tm, "section order");
    cr_expect(strstr(md, "**1 of 2 settings with a claimed ε violate it**"), "%s", md);
    cr_expect(strstr(md, "VIOLATION") && strstr(md, "gdp_mu_fit ε") && strstr(md, "c0ffee") && strstr(md, "da7a") &&
                  strstr(md, "code version `test`"),
              "%s", md);
    cr_expect(strstr(md, "![eps](eps.png)") < u, "the lead figure is in the verdict");
    free(md);
    free(md_path);
    sqlite3_close(h);
    free(db);
    free(out);
}

/* A run of 12,000 games: the log-log ROC reaches down to the rates its
 * scores resolve (10⁻⁴ here, not the 10⁻³ of small runs), and its thinned
 * points keep the low-FPR corner, where an audit's bound comes from: the
 * drawn curve starts within the first few non-member scores. The linear ROC
 * keeps its area to 1e-3. */
Test(report, a_large_run_s_log_roc_reaches_the_rates_its_scores_resolve)
{
    char *db = tu_path(dir, "big.db"), *out = tu_path(dir, "bigrep");
    enum { G = 12000 };
    store *st;
    pa_err e;
    cr_assert_eq(store_open(db, &st, &e), PA_OK, "%s", e.msg);
    store_experiment ex = {.name = "big", .config_json = "{}", .config_hash = "b16", .code_version = "test",
                           .data_path = "data.csv", .data_hash = "da7a", .schema_json = "{}", .seed = 3,
                           .n_trials = G};
    int existing;
    cr_assert_eq(store_put_experiment(st, &ex, &existing, &e), PA_OK, "%s", e.msg);
    store_cell cl = {.id = 0, .generator = "marginals", .params_json = "{}", .epsilon = 4, .delta = 1e-5};
    cr_assert_eq(store_put_cell(st, &cl, &e), PA_OK, "%s", e.msg);
    store_target tg = {.id = 0, .row = 3, .how = "random", .isolation = 1};
    cr_assert_eq(store_put_target(st, &tg, &e), PA_OK, "%s", e.msg);
    static const char *const att[1] = {"marginal"};
    int64_t tid[1] = {0};
    uint64_t s = 11;
    size_t neg = 0;
    for (int g = 0; g < G; g++) {
        int mem[1] = {(int)(lcg(&s) & 1)};
        neg += !mem[0];
        /* distinct scores: a uniform sum (about normal) shifted for members */
        double sc[1] = {(double)(lcg(&s) % 100000) / 1e5 + (double)(lcg(&s) % 100000) / 1e5 + 0.3 * mem[0] +
                        1e-9 * g};
        store_trial tr = {.id = g, .cell_id = 0, .game = g, .split = g % 3 ? "test" : "calibration",
                          .stream_seed = (uint64_t)g, .status = "ok", .eps_spent = 4, .k = 1, .target_id = tid,
                          .member = mem, .n_attacks = 1, .attack = att, .score = sc};
        cr_assert_eq(store_put_trial(st, &tr, &e), PA_OK, "%s", e.msg);
    }
    store_close(st);
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    tu_result_free(&r);
    char *gp = tu_path(out, "roc-log.gp"), *gpt = tu_slurp(gp);
    cr_expect(strstr(gpt, "set xrange [1e-4:1]") && strstr(gpt, "'10⁻⁴' 1e-4"), "%s", gpt);
    static dblock b[4];
    char *p = tu_path(out, "roc-log.dat");
    size_t nb = read_dat(p, b, 4);
    cr_assert_eq(nb, 1);
    cr_expect(b[0].n > 200 && b[0].n < 1600, "%zu points drawn of about %d", b[0].n, G);
    double first = 1;
    for (size_t j = 0; j < b[0].n; j++)
        if (b[0].v[j][0] > 0 && b[0].v[j][1] > 0) {
            first = b[0].v[j][0];
            break;
        }
    cr_expect(first <= 5.0 / (double)neg, "the drawn curve starts at FPR %g, past the 5th of %zu non-members", first,
              neg);
    free(p);
    p = tu_path(out, "roc.dat");
    nb = read_dat(p, b, 4);
    cr_assert_eq(nb, 1);
    cr_expect(b[0].n < 1600, "%zu points", b[0].n);
    double area = 0, auc;
    for (size_t j = 1; j < b[0].n; j++)
        area += (b[0].v[j][0] - b[0].v[j - 1][0]) * (b[0].v[j][1] + b[0].v[j - 1][1]) / 2;
    cr_assert(sscanf(strstr(b[0].comment, "AUC ") + 4, "%lf", &auc) == 1, "%s", b[0].comment);
    cr_expect(fabs(area - auc) < 1e-3, "drawn area %.6f, AUC %.6f", area, auc);
    free(p);
    free(gp);
    free(gpt);
    free(db);
    free(out);
}

Test(report, paper_and_screen_styles_and_filters_change_the_figures_not_the_numbers)
{
    char *db = tu_path(dir, "run.db"), *o1 = tu_path(dir, "paper"), *o2 = tu_path(dir, "screen");
    write_run_fixture(db, 3 * GAMES, GAMES, 1);
    const char *a1[] = {"report", "--db", db, "--out", o1, "--quiet", "--attack", "query", "--generator",
                        "marginals", "--utility", "tvd2", NULL};
    tu_result r = tu_run(dir, a1);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    const char *a2[] = {"report", "--db", db, "--out", o2, "--quiet", "--style", "screen", "--no-figures", NULL};
    r = tu_run(dir, a2);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *p = tu_path(o1, "roc.dat");
    static dblock b[16];
    size_t nb = read_dat(p, b, 16);
    free(p);
    cr_expect_eq(nb, 2, "--attack query --generator marginals: two cells, one attack");
    for (size_t i = 0; i < nb; i++)
        cr_expect(strstr(b[i].comment, "marginals") && strstr(b[i].comment, "attack query"), "%s", b[i].comment);
    char *c1 = tu_path(o1, "verdicts.csv"), *c2 = tu_path(o2, "verdicts.csv");
    char *t1 = tu_slurp(c1), *t2 = tu_slurp(c2);
    cr_expect_str_eq(t1, t2, "tables do not depend on filters or style");
    free(t1);
    free(t2);
    free(c1);
    free(c2);
    p = tu_path(o2, "eps.png");
    cr_expect(!tu_exists(p), "--no-figures draws nothing");
    free(p);
    /* bad options: exit 2, nothing written */
    static const struct {
        const char *opt, *val, *msg;
    } bad[] = {{"--utility", "tvd9", "expected tvd1"},   {"--utility", "tvd3", "not stored in this run (stored: tvd2)"},
               {"--attack", "nope", "no such attack"}, {"--generator", "mst", "no such generator"},
               {"--style", "poster", "expected paper or screen"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *o3 = tu_path(dir, "bad");
        const char *a3[] = {"report", "--db", db, "--out", o3, "--quiet", bad[k].opt, bad[k].val, NULL};
        r = tu_run(dir, a3);
        cr_expect_eq(r.code, 2, "%s %s: exit %d", bad[k].opt, bad[k].val, r.code);
        cr_expect(strstr(r.err, bad[k].msg), "%s %s: %s", bad[k].opt, bad[k].val, r.err);
        char *md = tu_path(o3, "report.md");
        cr_expect(!tu_exists(md), "nothing written for %s %s", bad[k].opt, bad[k].val);
        free(md);
        tu_result_free(&r);
        free(o3);
    }
    free(db);
    free(o1);
    free(o2);
}

Test(report, an_interrupted_run_is_reported_incomplete_with_how_to_resume)
{
    char *db = tu_path(dir, "cut.db"), *out = tu_path(dir, "rep");
    write_run_fixture(db, 750, 62, 0); /* 3 cells x 62 games = 186 of 750 */
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_expect(strstr(r.err, "incomplete") && strstr(r.err, "186 of 750") && strstr(r.err, "564 missing") &&
                  strstr(r.err, "--resume"),
              "%s", r.err);
    tu_result_free(&r);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_expect(strstr(md, "**This run is incomplete: 186 of 750 planned trials are stored, 564 are missing.**") &&
                  strstr(md, "--resume") && strstr(md, "SELECT config_json FROM experiment"),
              "%s", md);
    cr_expect(!strstr(md, "No setting violates") && !strstr(md, "0 violations"), "no verdict from a partial run");
    free(md);
    free(md_path);
    free(db);
    free(out);
}

/* Commits the open transaction of st, closes it and reports db into out (exit 0). */
static void commit_and_report(store *st, const char *db, const char *out)
{
    pa_err e;
    cr_assert_eq(store_commit(st, &e), PA_OK, "%s", e.msg);
    store_close(st);
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
}

/* A verdict fixture: an experiment (config_json as given) with targets
 * 0..ntargets-1, open for cells and estimates. */
static store *verdict_fixture(const char *db, const char *name, const char *config_json, size_t ntargets)
{
    store *st;
    pa_err e;
    cr_assert_eq(store_open(db, &st, &e), PA_OK, "%s", e.msg);
    store_experiment ex = {.name = name, .config_json = config_json, .config_hash = "c0ffee",
                           .code_version = "test", .data_path = "data.csv", .data_hash = "da7a",
                           .schema_json = "{}", .seed = 3, .n_trials = 0};
    int existing;
    cr_assert_eq(store_put_experiment(st, &ex, &existing, &e), PA_OK, "%s", e.msg);
    for (size_t t = 0; t < ntargets; t++) {
        store_target tg = {.id = (int64_t)t, .row = (int64_t)t, .how = "crafted", .isolation = 1};
        cr_assert_eq(store_put_target(st, &tg, &e), PA_OK, "%s", e.msg);
    }
    return st;
}

/* Stores the bayes row of (cell, target) for counts k against a claim of 1
 * (α = 0.1, δ = 1e-5) with its own flag; returns the flag. */
static int put_bayes_row(store *st, int64_t cell, int64_t target, eps_counts k)
{
    pa_err e;
    double lo, hi;
    cr_assert_eq(eps_bayes_interval(&k, 1e-5, 0.05, &lo, &hi, &e), PA_OK);
    store_estimate es = {.cell_id = cell, .attack = "marginal", .target_id = target, .method = "bayes",
                         .lo = lo, .hi = hi, .alpha = 0.1, .delta = 1e-5, .threshold = 1, .tp = k.tp,
                         .fn = k.fn, .fp = k.fp, .tn = k.tn, .claimed = 1,
                         .p_exceeds = eps_bayes_p_exceeds(&k, 1e-5, 1), .violation = lo > 1};
    cr_assert_eq(store_put_estimate(st, &es, &e), PA_OK, "%s", e.msg);
    return es.violation;
}

Test(report, the_verdict_of_a_setting_corrects_for_its_number_of_tests)
{
    /* Two settings at ε = 1, one attack, 20 targets each and the pooled
     * row (21 tests), α = 0.1. In both, the pooled row and 19 targets are
     * at chance. Target 7 of setting 0 has counts (75, 25,
     * 18, 82): its Bayesian lower bound is above 1 (P(ε ≤ 1) = 0.014 <
     * α/2) but no edge of the region is below α/(8·21) (0.019): "ok", with
     * the lone flag named. Target 7 of setting 1 has (90, 10, 6, 94): an
     * edge at 9e-11, a violation after any correction. */
    char *db = tu_path(dir, "multi.db"), *out = tu_path(dir, "multi");
    pa_err e;
    store *st = verdict_fixture(db, "multi", "{}", 20);
    for (int c = 0; c < 2; c++) {
        store_cell cl = {.id = c, .generator = c ? "mst" : "marginals", .params_json = "{}", .epsilon = 1,
                         .delta = 1e-5};
        cr_assert_eq(store_put_cell(st, &cl, &e), PA_OK, "%s", e.msg);
    }
    cr_assert_eq(store_begin(st, &e), PA_OK);
    static const double hit[2][4] = {{75, 25, 18, 82}, {90, 10, 6, 94}};
    for (int c = 0; c < 2; c++)
        for (int t = -1; t < 20; t++) {
            eps_counts k = {10, 10, 10, 10};
            if (t < 0) /* the pooled row */
                k = (eps_counts){210, 190, 200, 200};
            if (t == 7)
                k = (eps_counts){hit[c][0], hit[c][1], hit[c][2], hit[c][3]};
            int flag = put_bayes_row(st, c, t, k);
            cr_assert_eq(flag, t == 7, "fixture: target %d flags alone: %d", t, flag);
        }
    commit_and_report(st, db, out);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_expect(strstr(md, "**1 of 2 settings with a claimed ε violate it**"), "%s", md);
    cr_expect(strstr(md, "ok (1 of 21 tests flag alone)"), "%s", md);
    cr_expect(strstr(md, "| VIOLATION |") || strstr(md, "| VIOLATION"), "%s", md);
    cr_expect(strstr(md, "Bonferroni"), "the verdict says how it weighs its tests");
    char *csv_path = tu_path(out, "verdicts.csv"), *csv = tu_slurp(csv_path);
    cr_expect(csv && strstr(csv, "tests") && strstr(csv, ",21,"), "%s", csv ? csv : "(no verdicts.csv)");
    free(csv);
    free(csv_path);
    free(md);
    free(md_path);
    free(db);
    free(out);
}

Test(report, an_add_remove_claim_in_a_replace_one_game_is_tested_at_twice_its_epsilon)
{
    /* Group privacy: an add/remove (ε, δ) claim bounds replacing a record at
     * (2ε, (1 + e^ε)δ). Two marginals settings at ε = 1 (their trials say
     * add/remove), played in a replace-one game, one target, bayes only,
     * α = 0.1 (k = 1). Counts (90, 10, 6, 94) violate ε = 1 (an edge of its
     * region holds 9e-11 of the posterior) but not ε = 2 at δ' = 3.7e-5
     * (0.023 > α/8); (99, 1, 1, 99) violate both (2.8e-6). */
    char *db = tu_path(dir, "group.db"), *out = tu_path(dir, "group");
    pa_err e;
    store *st = verdict_fixture(db, "group", "{\"neighbours\": \"replace-one\"}", 1);
    static const double cnt[2][4] = {{90, 10, 6, 94}, {99, 1, 1, 99}};
    for (int c = 0; c < 2; c++) {
        store_cell cl = {.id = c, .generator = "marginals", .params_json = c ? "{\"b\": 1}" : "{\"a\": 1}",
                         .epsilon = 1, .delta = 1e-5};
        cr_assert_eq(store_put_cell(st, &cl, &e), PA_OK, "%s", e.msg);
        int64_t tid = 0;
        int mem = 1;
        store_trial tr = {.id = c, .cell_id = c, .game = 0, .split = "test", .stream_seed = 1, .status = "ok",
                          .eps_spent = 1, .delta_spent = 1e-5, .rho_spent = NAN, .accountant = "zcdp",
                          .claim_nb = 1, .k = 1, .target_id = &tid, .member = &mem};
        cr_assert_eq(store_put_trial(st, &tr, &e), PA_OK, "%s", e.msg);
    }
    cr_assert_eq(store_begin(st, &e), PA_OK);
    for (int c = 0; c < 2; c++)
        cr_assert(put_bayes_row(st, c, -1, (eps_counts){cnt[c][0], cnt[c][1], cnt[c][2], cnt[c][3]}),
                  "fixture: setting %d flags against eps = 1", c);
    commit_and_report(st, db, out);
    char *csv_path = tu_path(out, "verdicts.csv"), *csv = tu_slurp(csv_path);
    cr_assert(csv);
    char *l1 = strchr(csv, '\n'), *l2 = l1 ? strchr(l1 + 1, '\n') : NULL;
    cr_assert(l1 && l2, "%s", csv);
    *l2 = 0;
    cr_expect(strstr(l1, "ok (1 of 1 tests flag alone) against 2ε"), "setting 0: %s", l1);
    cr_expect(strstr(l2 + 1, "VIOLATION against 2ε"), "setting 1: %s", l2 + 1);
    free(csv);
    free(csv_path);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_expect(strstr(md, "**1 of 2 settings with a claimed ε violate it**"), "%s", md);
    cr_expect(strstr(md, "2 settings have an add/remove claim played in a replace-one game"), "%s", md);
    free(md);
    free(md_path);
    free(db);
    free(out);
}

/* Runs privaudit with a file size limit of `limit` bytes and SIGXFSZ
 * ignored, so writes past it fail with EFBIG as on a full disk. */
static tu_result run_limited(const char *const *args, rlim_t limit)
{
    tu_result r = {.code = -1};
    char *out = tu_path(dir, ".lim-out"), *errp = tu_path(dir, ".lim-err");
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fo, 1);
        dup2(fe, 2);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        setrlimit(RLIMIT_FSIZE, &rl);
        char *argv[32];
        size_t k = 0;
        argv[k++] = (char *)tu_bin();
        for (; args[k - 1] && k < 31; k++)
            argv[k] = (char *)args[k - 1];
        argv[k] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = tu_slurp(out);
    r.err = tu_slurp(errp);
    free(out);
    free(errp);
    return r;
}

/* "name size\n" of every file in d (sorted), with the bytes' FNV hash. */
static char *snapshot(const char *d)
{
    struct dirent **ents;
    int n = scandir(d, &ents, NULL, alphasort);
    size_t cap = 1 << 16, k = 0;
    char *s = calloc(1, cap);
    if (n < 0)
        return s; /* no folder: nothing in it */
    for (int i = 0; i < n; i++) {
        if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
            char *p = tu_path(d, ents[i]->d_name), *t = tu_slurp(p);
            struct stat sb;
            stat(p, &sb);
            uint64_t h = 1469598103934665603ULL;
            for (off_t j = 0; j < sb.st_size && t[0]; j++)
                h = (h ^ (unsigned char)t[j]) * 1099511628211ULL;
            k += (size_t)snprintf(s + k, cap - k, "%s %lld %016llx\n", ents[i]->d_name, (long long)sb.st_size,
                                  (unsigned long long)h);
            free(t);
            free(p);
        }
        free(ents[i]);
    }
    free(ents);
    return s;
}

Test(report, a_full_disk_fails_naming_the_file_and_leaves_the_folder_as_it_was)
{
    char *db = tu_path(dir, "run.db"), *out = tu_path(dir, "rep"), *fresh = tu_path(dir, "fresh");
    write_run_fixture(db, 3 * GAMES, GAMES, 1);
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *before = snapshot(out);
    /* 3 KB: report.md's tables fail; 40 KB: the figures fail */
    static const rlim_t limits[] = {3000, 40000};
    for (size_t k = 0; k < 2; k++) {
        const char *args[] = {"report", "--db", db, "--out", out, "--quiet", NULL};
        r = run_limited(args, limits[k]);
        cr_expect_eq(r.code, 1, "limit %llu: exit %d (%s)", (unsigned long long)limits[k], r.code, r.err);
        cr_expect(strstr(r.err, out) && (strstr(r.err, "write failed") || strstr(r.err, "could not write it whole")),
                  "limit %llu: the message names the file: %s", (unsigned long long)limits[k], r.err);
        tu_result_free(&r);
        char *after = snapshot(out);
        cr_expect_str_eq(after, before, "limit %llu: the folder changed", (unsigned long long)limits[k]);
        free(after);
        const char *args2[] = {"report", "--db", db, "--out", fresh, "--quiet", NULL};
        r = run_limited(args2, limits[k]);
        cr_expect_eq(r.code, 1);
        tu_result_free(&r);
        char *left = snapshot(fresh);
        cr_expect_str_eq(left, "", "a new folder holds nothing after a failure: %s", left);
        free(left);
    }
    free(before);
    free(db);
    free(out);
    free(fresh);
}

Test(report, a_database_on_a_read_only_folder_is_read)
{
    char *rodir = tu_path(dir, "ro"), *db = tu_path(rodir, "run.db"), *out = tu_path(dir, "rep");
    mkdir(rodir, 0755);
    write_run_fixture(db, 3 * GAMES, GAMES, 1);
    chmod(dir, 0755);
    mkdir(out, 0777);
    chmod(out, 0777);
    chmod(db, 0444);
    chmod(rodir, 0555);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", db);
    cr_assert(!tu_exists(wal), "the fixture closed its write-ahead log");
    /* as root, permissions do not bind: run as nobody */
    int as_nobody = geteuid() == 0;
    pid_t pid = fork();
    if (pid == 0) {
        if (as_nobody && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
            _exit(99);
        char *errp = tu_path(out, ".err");
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        dup2(fe, 2);
        int fo = open("/dev/null", O_WRONLY);
        dup2(fo, 1);
        char *argv[] = {(char *)tu_bin(), "report", "--db", db, "--out", out, NULL};
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    chmod(rodir, 0755);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 99, "could not drop to nobody");
    char *errp = tu_path(out, ".err"), *msg = tu_slurp(errp);
    cr_expect_eq(WEXITSTATUS(st), 0, "exit %d: %s", WEXITSTATUS(st), msg);
    cr_expect(strstr(msg, "read-only"), "says it opened the database read-only: %s", msg);
    cr_expect(!strstr(msg, "not a privaudit"), "%s", msg);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_expect(strstr(md, "opened read-only") && strstr(md, "## Membership inference: verdict"), "%s", md);
    free(md);
    free(md_path);
    free(msg);
    free(errp);
    free(rodir);
    free(db);
    free(out);
}

Test(report, files_that_are_not_privaudit_databases_are_refused_with_exit_2)
{
    char *txt = tu_write(dir, "notes.db", "just text, not SQLite\n"), *other = tu_path(dir, "other.db");
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(other, &h), SQLITE_OK);
    sqlite3_exec(h, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL);
    sqlite3_close(h);
    char *out = tu_path(dir, "rep");
    tu_result r = report(txt, out, NULL);
    cr_expect_eq(r.code, 2);
    cr_expect(strstr(r.err, "not a SQLite file"), "%s", r.err);
    tu_result_free(&r);
    r = report(other, out, NULL);
    cr_expect_eq(r.code, 2);
    cr_expect(strstr(r.err, "holds no privaudit results"), "%s", r.err);
    tu_result_free(&r);
    r = report(dir, out, NULL);
    cr_expect_eq(r.code, 2);
    cr_expect(strstr(r.err, "is a folder"), "%s", r.err);
    tu_result_free(&r);
    char *empty = tu_write(dir, "empty.db", "");
    r = report(empty, out, NULL);
    cr_expect_eq(r.code, 2);
    cr_expect(strstr(r.err, "is empty"), "%s", r.err);
    tu_result_free(&r);
    free(empty);
    free(txt);
    free(other);
    free(out);
}

/* The white-box audit beside the membership run in one file: both
 * sections, the ratios and histograms at their stored values. */
Test(report, a_whitebox_audit_sharing_the_file_of_a_run_gets_its_own_section)
{
    char *db = tu_path(dir, "both.db"), *out = tu_path(dir, "rep");
    write_run_fixture(db, 3 * GAMES, GAMES, 1);
    static const char *const eps[] = {"1", "4"};
    for (int k = 0; k < 2; k++) {
        const char *a[] = {"whitebox", "--epsilon", eps[k], "--runs", "200", "--canaries", "8", "--db", db,
                           "--threat", k ? "final" : "all", NULL};
        tu_result r = tu_run(dir, a);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
    }
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    tu_result_free(&r);
    assert_figure(out, "whitebox_tightness");
    assert_figure(out, "whitebox_scores");
    assert_figure(out, "eps");
    assert_table(out, "whitebox_verdicts");
    assert_table(out, "whitebox_estimates");
    assert_table(out, "whitebox_settings");
    sqlite3 *h = db_open(db);
    static dblock b[64];
    char *p = tu_path(out, "whitebox_tightness.dat");
    size_t nb = read_dat(p, b, 64), rows = 0;
    free(p);
    for (size_t i = 0; i < nb; i++) {
        char meth[64];
        cr_assert_eq(sscanf(b[i].comment, "%63[^,]", meth), 1);
        for (size_t j = 0; j < b[i].n; j++, rows++) {
            char sql[512];
            /* the GDP fit's panel divides μ_lo by μ_theory, stored as its claimed */
            snprintf(sql, sizeof sql,
                     "SELECT e.lo / (CASE e.method WHEN 'gdp_fit' THEN e.claimed ELSE a.eps_theory END)"
                     " FROM whitebox_estimate e JOIN whitebox_audit a ON a.id = e.audit_id"
                     " WHERE a.epsilon = %.17g AND e.lo = %.17g",
                     b[i].v[j][0], b[i].v[j][1]);
            cr_expect_eq(b[i].v[j][3], q1(h, sql), "%s eps %g", b[i].comment, b[i].v[j][0]);
            cr_expect_eq(b[i].v[j][3], b[i].v[j][1] / b[i].v[j][2]);
        }
    }
    cr_expect_eq(rows, 2 * 6, "2 audits x 6 bounds (point excluded, the GDP fit included)");
    p = tu_path(out, "whitebox_scores.dat");
    nb = read_dat(p, b, 64);
    free(p);
    cr_expect_eq(nb, 2);
    for (size_t i = 0; i < nb; i++) {
        long long id;
        cr_assert_eq(sscanf(b[i].comment, "audit %lld", &id), 1);
        double in = 0, outn = 0;
        for (size_t j = 0; j < b[i].n; j++) {
            in += b[i].v[j][1];
            outn += b[i].v[j][2];
        }
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT sum(member) FROM whitebox_score WHERE audit_id = %lld", id);
        cr_expect_eq(in, q1(h, sql), "members counted once each");
        snprintf(sql, sizeof sql, "SELECT sum(1 - member) FROM whitebox_score WHERE audit_id = %lld", id);
        cr_expect_eq(outn, q1(h, sql));
    }
    sqlite3_close(h);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    const char *m = strstr(md, "## Membership inference: verdict"), *w = strstr(md, "## White-box DP-SGD audit: verdict"),
               *d = strstr(md, "## Membership inference: privacy");
    cr_expect(m && w && d && m < w && w < d, "verdicts of both kinds come first");
    free(md);
    free(md_path);
    free(db);
    free(out);
}

/* A recon database written row by row: accuracies and their 95%
 * Clopper-Pearson intervals (GSL's beta quantiles) at the stored counts. */
Test(report, a_reconstruction_sweep_draws_every_attack_at_its_stored_accuracy)
{
    char *db = tu_path(dir, "recon.db"), *out = tu_path(dir, "rep");
    store *st;
    recon_store *rs;
    pa_err e;
    cr_assert_eq(store_open(db, &st, &e), PA_OK);
    cr_assert_eq(recon_store_open(st, &rs, &e), PA_OK, "%s", e.msg);
    sqlite3 *h = store_db(st);
    static const char *const att[3] = {"lp", "classifier", "nearest"};
    int hits[2][2][3] = {{{9, 6, 5}, {14, 8, 7}}, {{6, 5, 5}, {7, 6, 4}}};
    for (int ei = 0; ei < 2; ei++)
        for (int mi = 0; mi < 2; mi++) {
            recon_point_row pr = {"mst", ei ? 10 : 1, 100, mi ? 1000 : 100, 16, "a,b", "s", 1, 3, 3, 10, 5};
            int64_t pid;
            cr_assert_eq(recon_store_put_point(rs, &pr, &pid, &e), PA_OK, "%s", e.msg);
            for (int g = 0; g < 16; g++)
                for (int a = 0; a < 3; a++) {
                    char sql[512];
                    snprintf(sql, sizeof sql,
                             "INSERT INTO recon_game(point_id, game, attack, target, target_bit, target_correct,"
                             " acc_all, majority, tvd3, lp_seconds, gen_seconds) VALUES (%lld, %d, '%s', 0, 1, %d,"
                             " 0.6, 0.55, %g, 0.01, 0.02)",
                             (long long)pid, g, att[a], g < hits[ei][mi][a], 0.3 - 0.1 * ei - 0.05 * mi);
                    cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
                }
        }
    recon_store_close(rs);
    store_close(st);
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    tu_result_free(&r);
    assert_figure(out, "recon_m");
    assert_figure(out, "recon_tvd");
    assert_table(out, "recon_points");
    static dblock b[16];
    char *p = tu_path(out, "recon_m.dat");
    size_t nb = read_dat(p, b, 16);
    free(p);
    cr_expect_eq(nb, 6, "2 settings x 3 attacks");
    for (size_t i = 0; i < nb; i++) {
        double eps;
        char a[32];
        cr_assert_eq(sscanf(b[i].comment, "mst, ε = %lf, attack %31[^:]", &eps, a), 2, "%s", b[i].comment);
        int ai = !strcmp(a, "lp") ? 0 : !strcmp(a, "classifier") ? 1 : 2, ei = eps == 10;
        for (size_t j = 0; j < b[i].n; j++) {
            int mi = b[i].v[j][0] == 1000;
            double k = hits[ei][mi][ai], lo = k ? gsl_cdf_beta_Pinv(0.025, k, 16 - k + 1) : 0,
                   hi = k < 16 ? gsl_cdf_beta_Pinv(0.975, k + 1, 16 - k) : 1;
            cr_expect_eq(b[i].v[j][1], k / 16, "%s m %g accuracy", b[i].comment, b[i].v[j][0]);
            cr_expect(fabs(b[i].v[j][2] - lo) < 1e-9 && fabs(b[i].v[j][3] - hi) < 1e-9, "%s: [%g, %g] vs [%g, %g]",
                      b[i].comment, b[i].v[j][2], b[i].v[j][3], lo, hi);
            cr_expect_eq(b[i].v[j][4], 16);
        }
    }
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_expect(strstr(md, "## Linear reconstruction: verdict") && strstr(md, "classifier") && strstr(md, "nearest"),
              "%s", md);
    free(md);
    free(md_path);
    free(db);
    free(out);
}

/* A gradient-inversion database written through its store: the grid holds
 * the stored pixels where the header says, the per-image PSNR is labelled,
 * and the quality curve is the stored mean. */
Test(report, a_gradient_inversion_grid_shows_the_stored_pixels_and_scores)
{
    char *db = tu_path(dir, "gi.db"), *out = tu_path(dir, "rep");
    store *st;
    pa_err e;
    cr_assert_eq(store_open(db, &st, &e), PA_OK);
    void *h = store_db(st);
    cr_assert_eq(gistore_init(h, &e), PA_OK);
    cr_assert_eq(gistore_begin(h, &e), PA_OK);
    const double sig[2] = {0, 0.5};
    for (int c = 0; c < 2; c++) {
        gistore_cell gc = {.tag = "t", .data = "img.csv", .attack = "analytic", .act = "sigmoid", .hidden = 4,
                           .batch = 2, .sigma = sig[c], .clip = 1, .q = 0.1, .steps = 10, .epochs = 1,
                           .delta = 1e-5, .eps = c ? 3.5 : INFINITY, .image_h = 2, .image_w = 3};
        int64_t id;
        cr_assert_eq(gistore_put_cell(h, &gc, &id, &e), PA_OK, "%s", e.msg);
        for (int rec = 0; rec < 2; rec++) {
            double x[6], y[6];
            for (int k = 0; k < 6; k++) {
                x[k] = (double)(c * 100 + rec * 10 + k) / 200;
                y[k] = x[k] / 2;
            }
            cr_assert_eq(gistore_put_image(h, id, 0, (size_t)rec, "orig", x, 6, &e), PA_OK);
            cr_assert_eq(gistore_put_image(h, id, 0, (size_t)rec, "recon", y, 6, &e), PA_OK);
            gistore_score sc = {.cell_id = id, .batch_idx = 0, .rec = (size_t)rec, .method = "analytic",
                                .true_row = rec, .label_true = 1, .label_rec = 1, .mse = 0.01 * (rec + 1),
                                .psnr = 20 - 5.0 * rec - 8 * c, .ssim = 0.5, .exact = 0, .attr_acc = NAN,
                                .label_acc = 1, .seconds = 0.1};
            cr_assert_eq(gistore_put_score(h, &sc, &e), PA_OK, "%s", e.msg);
            sc.method = "guess-mean";
            sc.psnr = 9;
            cr_assert_eq(gistore_put_score(h, &sc, &e), PA_OK, "%s", e.msg);
        }
    }
    cr_assert_eq(gistore_commit(h, &e), PA_OK);
    store_close(st);
    tu_result r = report(db, out, NULL);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    tu_result_free(&r);
    assert_figure(out, "gradinv_grid");
    assert_figure(out, "gradinv_eps");
    assert_table(out, "gradinv");
    /* the grid: rows of 2 + 3 pixels per cell, columns of 3 + 1 per image, 3 between the halves */
    char *p = tu_path(out, "gradinv_grid.dat"), *t = tu_slurp(p);
    free(p);
    size_t cw = 2 * 2 * 4 + 3, x_rec = 2 * 4 + 3;
    double *g = calloc(cw * 10, sizeof *g);
    size_t row = 0;
    for (char *save = NULL, *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *q = line, *end;
        for (size_t k = 0; k < cw; k++, q = end)
            g[row * cw + k] = strtod(q, &end);
        row++;
    }
    free(t);
    cr_assert_eq(row, 10, "2 cells x (2 + 3) rows");
    /* cells are drawn in (attack, B, σ) order: σ = 0 first */
    for (int c = 0; c < 2; c++)
        for (int rec = 0; rec < 2; rec++)
            for (int k = 0; k < 6; k++) {
                double x = (double)(c * 100 + rec * 10 + k) / 200;
                size_t y = (size_t)c * 5 + (size_t)k / 3, xo = (size_t)rec * 4 + (size_t)k % 3;
                cr_expect_eq(g[y * cw + xo], x, "original of cell %d, image %d, pixel %d", c, rec, k);
                cr_expect_eq(g[y * cw + x_rec + xo], x / 2, "reconstruction of cell %d, image %d, pixel %d", c, rec,
                             k);
            }
    free(g);
    char *gp = tu_path(out, "gradinv_grid.gp"), *gpt = tu_slurp(gp);
    cr_expect(strstr(gpt, "'20.0'") && strstr(gpt, "'15.0'") && strstr(gpt, "'12.0'") && strstr(gpt, "'7.0'"),
              "each reconstruction's PSNR is labelled");
    cr_expect(strstr(gpt, "originals") && strstr(gpt, "reconstructions"), "column headers");
    free(gpt);
    free(gp);
    static dblock b[4];
    p = tu_path(out, "gradinv_eps.dat");
    size_t nb = read_dat(p, b, 4);
    free(p);
    cr_assert_eq(nb, 1);
    cr_assert_eq(b[0].n, 2);
    cr_expect_eq(b[0].v[0][0], 3.5);
    cr_expect_eq(b[0].v[0][1], (12.0 + 7.0) / 2);
    cr_expect(isinf(b[0].v[1][0]) && b[0].v[1][1] == (20.0 + 15.0) / 2, "∞ at no noise");
    free(db);
    free(out);
}

static void write_data(void)
{
    char *p = tu_path(dir, "data.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "colour,size,region,flag\n");
    uint64_t s = 99;
    for (int i = 0; i < 800; i++)
        fprintf(f, "c%d,s%d,r%d,%s\n", (int)(lcg(&s) % 6), (int)(lcg(&s) % 6), (int)(lcg(&s) % 6),
                lcg(&s) % 3 ? "no" : "yes");
    fclose(f);
    free(p);
    free(tu_write(dir, "schema.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"c0\",\"c1\",\"c2\",\"c3\",\"c4\","
                  "\"c5\"], \"role\": \"qi\"},"
                  "{\"name\": \"size\", \"type\": \"categorical\", \"labels\": [\"s0\",\"s1\",\"s2\",\"s3\",\"s4\","
                  "\"s5\"], \"role\": \"qi\"},"
                  "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"r0\",\"r1\",\"r2\",\"r3\",\"r4\","
                  "\"r5\"], \"role\": \"qi\"},"
                  "{\"name\": \"flag\", \"type\": \"categorical\", \"labels\": [\"no\",\"yes\"], \"role\": "
                  "\"secret\"}]}"));
    free(tu_write(dir, "c.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"jobs\", \"seed\": 5,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                  " \"split\": {\"aux\": 0.3, \"holdout\": 0.1}, \"train_size\": 200, \"games\": 40,"
                  " \"targets\": {\"select\": \"isolated\", \"count\": 2},"
                  " \"generators\": [{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": [1, 4]}],"
                  " \"attacks\": [{\"name\": \"dcr\"}, {\"name\": \"query\"}],"
                  " \"utility\": {\"tvd\": [1, 2], \"tstr\": \"flag\"}}"));
}

/* Must-show 4: databases written with --jobs 1 and --jobs 2 (a run, two
 * white-box audits and a recon sweep in each file) give byte-identical
 * reports apart from the timings. */
Test(report, jobs_1_and_jobs_2_databases_give_the_same_report_apart_from_timings)
{
    write_data();
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    const char *jobs[2] = {"1", "2"};
    char *sub[2];
    for (int k = 0; k < 2; k++) {
        sub[k] = tu_path(dir, jobs[k][0] == '1' ? "j1" : "j2");
        mkdir(sub[k], 0755);
        char *cfg = tu_path(dir, "c.json"), *db = tu_path(sub[k], "run.db");
        const char *a[] = {"run", cfg, "--db", db, "--jobs", jobs[k], "--quiet", NULL};
        tu_result r = tu_run(sub[k], a);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
        const char *w[] = {"whitebox", "--epsilon", "4", "--runs", "200", "--canaries", "16", "--db", db, "--jobs",
                           jobs[k], NULL};
        r = tu_run(sub[k], w);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
        char *data = tu_path(dir, "data.csv"), *sch = tu_path(dir, "schema.json"), *ro = tu_path(sub[k], "rout");
        const char *rc[] = {"recon", "--data", data, "--schema", sch, "--generator", "mst", "--epsilon", "1",
                            "--n", "150", "--m", "20,200", "--games", "4", "--db", db, "--out", ro, "--jobs",
                            jobs[k], NULL};
        r = tu_run(sub[k], rc);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
        /* the same relative names in both folders */
        const char *rep[] = {"report", "--db", "run.db", "--out", "rep", "--quiet", NULL};
        cr_assert_eq(chdir(sub[k]), 0);
        r = tu_run(sub[k], rep);
        cr_assert_eq(r.code, 0, "%s", r.err);
        cr_expect_str_eq(r.err, "");
        tu_result_free(&r);
        free(cfg);
        free(db);
        free(data);
        free(sch);
        free(ro);
    }
    char *r1 = tu_path(sub[0], "rep"), *r2 = tu_path(sub[1], "rep");
    struct dirent **ents;
    int n = scandir(r1, &ents, NULL, alphasort), compared = 0;
    cr_assert_gt(n, 30);
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (nm[0] == '.' || !strncmp(nm, "timings.", 8)) {
            free(ents[i]);
            continue;
        }
        char *p1 = tu_path(r1, nm), *p2 = tu_path(r2, nm);
        char *t1 = tu_slurp(p1), *t2 = tu_slurp(p2);
        struct stat s1, s2;
        stat(p1, &s1);
        cr_expect_eq(stat(p2, &s2), 0, "%s only in the --jobs 1 report", nm);
        if (!strcmp(nm, "report.md")) {
            char *c1 = strstr(t1, "## Timings"), *c2 = strstr(t2, "## Timings");
            cr_assert(c1 && c2);
            *c1 = *c2 = 0;
            cr_expect_str_eq(t1, t2, "report.md differs before its timings");
        } else {
            cr_expect(s1.st_size == s2.st_size && !memcmp(t1, t2, (size_t)s1.st_size), "%s differs", nm);
        }
        compared++;
        free(t1);
        free(t2);
        free(p1);
        free(p2);
        free(ents[i]);
    }
    free(ents);
    cr_expect_gt(compared, 30);
    char *md_path = tu_path(r1, "report.md"), *md = tu_slurp(md_path);
    cr_expect(strstr(md, "## Membership inference: verdict") && strstr(md, "## White-box DP-SGD audit: verdict") &&
                  strstr(md, "## Linear reconstruction: verdict"),
              "three kinds in one file");
    free(md);
    free(md_path);
    free(r1);
    free(r2);
    free(sub[0]);
    free(sub[1]);
}

Test(report, tables_escape_what_latex_markdown_and_csv_would_misread)
{
    plot_out *po;
    pa_err e;
    char *out = tu_path(dir, "t");
    cr_assert_eq(plot_out_open(out, PLOT_PAPER, &po, &e), PA_OK, "%s", e.msg);
    static const plot_col cols[] = {{"name", "name_ε", PLOT_TEXT, NULL},
                                    {"x", "x (%)", PLOT_NUM, "%.2f"},
                                    {"iv", "interval", PLOT_INTERVAL, "%.3g"},
                                    {"pm", "mean ± se", PLOT_PM, "%.3f"}};
    plot_table *t = plot_table_new("tab", "a & b_c {d} 50% ∞", cols, 4);
    cr_assert(t);
    plot_table_text(t, "a,b \"q\" & c_d | e # $ ~ ^ \\");
    plot_table_num(t, 1.0 / 3);
    plot_table_interval(t, 0.1, INFINITY);
    plot_table_interval(t, 0.25, 0.01);
    plot_table_end_row(t);
    plot_table_text(t, "plain");
    plot_table_num(t, NAN);
    plot_table_end_row(t); /* padded */
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    cr_assert_eq(plot_table_write(po, t, f, &e), PA_OK, "%s", e.msg);
    fclose(f);
    cr_assert_eq(plot_out_commit(po, &e), PA_OK, "%s", e.msg);
    plot_out_free(po);
    char *csv = tu_path(out, "tab.csv"), *tex = tu_path(out, "tab.tex");
    cr_expect_eq(assert_csv(csv), 2);
    assert_latex(tex);
    char *c = tu_slurp(csv), *x = tu_slurp(tex);
    char fields[8][128];
    cr_expect_eq(csv_fields(strchr(c, '\n') + 1, fields, 8), 6, "interval and mean ± se take two CSV columns each");
    cr_expect_str_eq(fields[0], "a,b \"q\" & c_d | e # $ ~ ^ \\");
    cr_expect_eq(strtod(fields[1], NULL), 1.0 / 3, "CSV keeps every digit");
    cr_expect_str_eq(fields[3], "inf");
    cr_expect(strstr(x, "name\\_$\\varepsilon$") && strstr(x, "x (\\%)") && strstr(x, "$\\infty$") &&
                  strstr(x, "$0.250 \\pm 0.010$") && strstr(x, "a \\& b\\_c \\{d\\} 50\\% $\\infty$"),
              "%s", x);
    cr_expect(strstr(md, "c_d \\| e") && strstr(md, "[0.1, ∞]") && strstr(md, "0.250 ± 0.010") && strstr(md, "| – |"),
              "%s", md);
    free(c);
    free(x);
    free(csv);
    free(tex);
    free(md);
    free(out);
}

/* Must-show 3: reports/ reads the store only — it includes no attack,
 * generator or harness header — and harness/ draws nothing itself. (Run
 * from the checkout, as make test does.) */
Test(report, reports_include_no_attack_generator_or_harness_header_and_harness_draws_nothing)
{
    static const char *const banned[] = {"#include \"attacks/", "#include \"generators/", "#include \"harness/"};
    DIR *d = opendir("reports");
    if (!d)
        cr_skip_test("not run from the checkout");
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || (strcmp(e->d_name + n - 2, ".c") && strcmp(e->d_name + n - 2, ".h")))
            continue;
        char *p = tu_path("reports", e->d_name), *t = tu_slurp(p);
        for (size_t k = 0; k < 3; k++)
            cr_expect(!strstr(t, banned[k]), "%s: %s...", p, banned[k]);
        files++;
        free(t);
        free(p);
    }
    closedir(d);
    cr_expect_geq(files, 8);
    d = opendir("harness");
    cr_assert(d);
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c"))
            continue;
        char *p = tu_path("harness", e->d_name), *t = tu_slurp(p);
        /* the release audit's report moves to reports/ with the audit (issue 14) */
        if (strcmp(e->d_name, "cmd_audit.c"))
            cr_expect(!strstr(t, "set terminal") && !strstr(t, "posix_spawnp(&pid, \"gnuplot\""),
                      "%s draws a figure itself", p);
        free(t);
        free(p);
    }
    closedir(d);
}

/* The ε axis: distinct finite claims ascending (NaN and duplicates
 * dropped), ∞ on its own slot past the break, the break between the
 * largest finite claim and ∞, the range around both. */
Test(report, the_eps_axis_puts_infinity_on_its_own_slot_past_a_break)
{
    plot_eps_axis a;
    const double e[] = {4, 1, INFINITY, NAN, 16, 1, -2};
    plot_eps_axis_init(&a, e, sizeof e / sizeof e[0]);
    cr_assert_eq(a.n, 3);
    cr_expect(a.v[0] == 1 && a.v[1] == 4 && a.v[2] == 16);
    cr_expect(a.has_inf);
    cr_expect_eq(a.umin, 0);
    cr_expect(fabs(a.umax - log10(16)) < 1e-15);
    cr_expect(a.ubreak > a.umax && a.uinf > a.ubreak && a.hi > a.uinf && a.lo < a.umin, "%g %g %g %g %g", a.lo,
              a.umax, a.ubreak, a.uinf, a.hi);
    /* the ∞ slot is at least as far from 16 as a factor of 4 (one claim step) */
    cr_expect_geq(a.uinf - a.umax, log10(4) - 1e-12);
    const double f[] = {2};
    plot_eps_axis_init(&a, f, 1);
    cr_expect(!a.has_inf && a.n == 1 && a.lo < log10(2) && a.hi > log10(2) && isnan(a.ubreak));
    const double g[] = {INFINITY};
    plot_eps_axis_init(&a, g, 1);
    cr_expect(a.has_inf && a.n == 0 && a.lo < a.uinf && a.hi > a.uinf);
}
