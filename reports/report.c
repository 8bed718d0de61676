/* report.c — privaudit report: finds the kinds of results a database holds
 * and assembles report.md from each kind's section (reports/report_kind.h). */
#define _GNU_SOURCE /* open_memstream */
#include "reports/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "reports/report_kind.h"

/* The sections of report.md, in this order. */
static const report_kind *const kinds[] = {
    &report_kind_audit,
    &report_kind_run,
    &report_kind_whitebox,
    &report_kind_recon,
    &report_kind_gradinv,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ---- helpers for the kinds ---- */

int rk_has_rows(sqlite3 *db, const char *table)
{
    sqlite3_stmt *s;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!yes)
        return 0;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" LIMIT 1", table);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return 0;
    yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return yes;
}

int rk_has_column(sqlite3 *db, const char *table, const char *col)
{
    sqlite3_stmt *s;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, col, -1, SQLITE_STATIC);
    yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return yes;
}

double rk_real(sqlite3_stmt *s, int k)
{
    return sqlite3_column_type(s, k) == SQLITE_NULL ? NAN : sqlite3_column_double(s, k);
}

const char *rk_text(sqlite3_stmt *s, int k)
{
    const unsigned char *t = sqlite3_column_text(s, k);
    return t ? (const char *)t : "";
}

int rk_figures_on(const report_ctx *c)
{
    return !c->figures_off;
}

int rk_figure(report_ctx *c, int rc, pa_err *err)
{
    if (rc == PA_ECHILD) {
        c->figures_off = 1;
        c->res->figures_failed = 1;
        snprintf(c->res->figures_msg, sizeof c->res->figures_msg, "%s", err ? err->msg : "gnuplot failed");
        return PA_OK;
    }
    return rc;
}

void rk_md_figure(report_ctx *c, FILE *f, const char *name, const char *caption)
{
    if (c->figures_off && !c->res->figures_failed)
        return; /* --no-figures */
    if (c->res->figures_failed) {
        fprintf(f, "*Figure `%s` not drawn (%s); its data and script are `%s.dat`, `%s.gp` if they were "
                   "written.*\n\n",
                name, "gnuplot missing or failed", name, name);
        return;
    }
    fprintf(f, "![%s](%s.png)\n\n*%s* ([PDF](%s.pdf), [SVG](%s.svg); data `%s.dat`, script `%s.gp`)\n\n", name,
            name, caption, name, name, name, name);
}

void rk_tty_table(report_ctx *c, const char *md, size_t len)
{
    if (!c->tty)
        return;
    const char *end = md;
    while (end < md + len && *end == '|') { /* table lines */
        const char *nl = memchr(end, '\n', (size_t)(md + len - end));
        end = nl ? nl + 1 : md + len;
    }
    fwrite(md, 1, (size_t)(end - md), c->tty);
}

int rk_selected(const char *list, const char *label)
{
    if (!list || !*list)
        return 1;
    size_t n = strlen(label);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !strncmp(p, label, n))
            return 1;
        p += k + (e ? 1 : 0);
    }
    return 0;
}

int rk_prepare(report_ctx *c, const char *sql, sqlite3_stmt **s, pa_err *err)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, s, NULL) != SQLITE_OK) {
        *s = NULL;
        return pa_errf(err, PA_EINPUT, "%s: unexpected database layout: %s", c->db_path, sqlite3_errmsg(c->db));
    }
    return PA_OK;
}

/* ---- opening the database ---- */

static int probe(sqlite3 *db, int *code)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, &msg);
    sqlite3_free(msg);
    *code = rc;
    return rc == SQLITE_OK;
}

/* "file:" URI of path with ?immutable=1 (reserved characters escaped). */
static void immutable_uri(const char *path, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < cap; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p >= 0x7f)
            k += (size_t)snprintf(buf + k, cap - k, "%%%02X", *p);
        else
            buf[k++] = (char)*p;
    }
    snprintf(buf + k, cap - k, "?immutable=1");
}

static int open_db(const char *path, sqlite3 **out, char *note, size_t ncap, pa_err *err)
{
    *out = NULL;
    note[0] = 0;
    struct stat sb;
    if (!path || !*path)
        return pa_errf(err, PA_EINPUT, "--db: empty file name");
    if (stat(path, &sb) != 0)
        return pa_errf(err, PA_EINPUT, "%s: no such database", path);
    if (S_ISDIR(sb.st_mode))
        return pa_errf(err, PA_EINPUT, "%s: is a folder, expected a privaudit database (a SQLite file)", path);
    if (sb.st_size == 0)
        return pa_errf(err, PA_EINPUT, "%s: is empty, expected a privaudit database (a SQLite file)", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return pa_errf(err, PA_EINPUT, "%s: cannot read: %s", path, strerror(errno));
    char magic[16] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (got < sizeof magic || memcmp(magic, "SQLite format 3", 16))
        return pa_errf(err, PA_EINPUT, "%s: not a SQLite file, expected a privaudit database", path);
    sqlite3 *db = NULL;
    int code = SQLITE_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK && probe(db, &code)) {
        if (access(path, W_OK) != 0)
            snprintf(note, ncap, "opened read-only (the file is read-only)");
        *out = db;
        return PA_OK;
    }
    sqlite3_close(db);
    db = NULL;
    /* A WAL database in a folder we cannot write: SQLite cannot create its
     * -shm index. Without a -wal file holding data the file itself is the
     * whole database, so it can be read as immutable. */
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
        return pa_errf(err, PA_EIO,
                       "%s: cannot read it here: its write-ahead log %s holds data and SQLite needs to write "
                       "beside it (copy both files to a writable folder and report from there)",
                       path, wal);
    char uri[8192];
    immutable_uri(path, uri, sizeof uri);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK && probe(db, &code)) {
        snprintf(note, ncap, "opened read-only as immutable (its folder is not writable: a read-only file system?)");
        *out = db;
        return PA_OK;
    }
    int rc = pa_errf(err, code == SQLITE_NOTADB ? PA_EINPUT : PA_EIO, "%s: cannot read the database: %s", path,
                     db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
    sqlite3_close(db);
    return rc;
}

/* ---- report.md ---- */

static int open_streams(report_ctx *c, char **buf, size_t *len)
{
    FILE **s[4] = {&c->head, &c->body, &c->prov, &c->timing};
    for (int k = 0; k < 4; k++)
        if (!(*s[k] = open_memstream(&buf[k], &len[k])))
            return -1;
    return 0;
}

static int close_streams(report_ctx *c)
{
    FILE **s[4] = {&c->head, &c->body, &c->prov, &c->timing};
    int bad = 0;
    for (int k = 0; k < 4; k++)
        if (*s[k]) {
            bad |= ferror(*s[k]);
            bad |= fclose(*s[k]) != 0;
            *s[k] = NULL;
        }
    return bad;
}

static void title_name(sqlite3 *db, const char *path, char *buf, size_t cap)
{
    sqlite3_stmt *s;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM experiment", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(buf, cap, "%s", rk_text(s, 0));
        sqlite3_finalize(s);
    }
    if (!buf[0]) {
        const char *b = strrchr(path, '/');
        snprintf(buf, cap, "%s", b ? b + 1 : path);
    }
}

int report_write(const report_opts *o, report_result *res, pa_err *err)
{
    report_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    sqlite3 *db = NULL;
    int rc = open_db(o->db_path, &db, res->db_note, sizeof res->db_note, err);
    if (rc)
        return rc;
    unsigned present = 0;
    for (size_t k = 0; k < NKINDS; k++)
        if (kinds[k]->present(db))
            present |= kinds[k]->bit;
    unsigned want = o->kinds ? o->kinds & present : present;
    if (!present) {
        sqlite3_close(db);
        return pa_errf(err, PA_EINPUT,
                       "%s: holds no privaudit results (none of the tables of privaudit audit, run, whitebox, recon "
                       "or gradinv has a row)",
                       o->db_path);
    }
    if (!want) {
        sqlite3_close(db);
        return pa_errf(err, PA_EINPUT, "%s: holds no results of the kind asked for", o->db_path);
    }
    plot_out *po = NULL;
    if ((rc = plot_out_open(o->out_dir, o->style, &po, err))) {
        sqlite3_close(db);
        return rc;
    }
    char *buf[4] = {NULL, NULL, NULL, NULL}, *md = NULL;
    size_t len[4] = {0, 0, 0, 0}, mdlen = 0;
    report_ctx c = {.db = db, .db_path = o->db_path, .o = o, .po = po, .tty = o->table_out, .res = res,
                    .figures_off = !o->figures};
    if (open_streams(&c, buf, len)) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < NKINDS && !rc; k++)
        if (want & kinds[k]->bit) {
            rc = kinds[k]->write(&c, err);
            if (!rc)
                res->kinds |= kinds[k]->bit;
        }
    if (close_streams(&c) && !rc)
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    if (rc)
        goto out;
    FILE *f = open_memstream(&md, &mdlen);
    if (!f) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    char name[256];
    title_name(db, o->db_path, name, sizeof name);
    fprintf(f, "# privaudit report: %s\n\n", name);
    fprintf(f, "Drawn from the database alone (`privaudit report --db %s`); every table is also a CSV and a LaTeX "
               "(booktabs) file, every figure a PDF, an SVG and a PNG with its data (`.dat`) and gnuplot script "
               "(`.gp`) beside it.\n\n",
            o->db_path);
    fwrite(buf[0], 1, len[0], f);
    fwrite(buf[1], 1, len[1], f);
    char ver[128] = "";
    sqlite3_stmt *vs;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'code_version'", -1, &vs, NULL) == SQLITE_OK) {
        if (sqlite3_step(vs) == SQLITE_ROW)
            snprintf(ver, sizeof ver, "%s", rk_text(vs, 0));
        sqlite3_finalize(vs);
    }
    fprintf(f, "## Completeness and provenance\n\n- database: `%s`%s%s%s", o->db_path, res->db_note[0] ? " (" : "",
            res->db_note, res->db_note[0] ? ")" : "");
    if (ver[0])
        fprintf(f, "; last written by privaudit `%s`", ver);
    fprintf(f, "\n");
    fwrite(buf[2], 1, len[2], f);
    const char *w = plot_out_warnings(po);
    if (res->figures_failed)
        fprintf(f, "- figures: not drawn: %s\n", res->figures_msg);
    else if (!o->figures)
        fprintf(f, "- figures: not drawn (--no-figures)\n");
    else
        fprintf(f, "- figures: %zu drawn, as PDF, SVG and PNG (style %s)%s\n", plot_out_figures(po),
                o->style == PLOT_SCREEN ? "screen" : "paper",
                *w ? "; gnuplot's messages are in `gnuplot.log`" : "; gnuplot printed no warning");
    fprintf(f, "\n## Timings\n\nWall times and dates: the only lines that differ between two runs of the same "
               "experiment.\n\n");
    fwrite(buf[3], 1, len[3], f);
    fprintf(f, "\n");
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = plot_out_file(po, "report.md", md, mdlen, err)))
        goto out;
    if (*w && (rc = plot_out_file(po, "gnuplot.log", w, strlen(w), err)))
        goto out;
    snprintf(res->warnings, sizeof res->warnings, "%s", w);
    res->figures = plot_out_figures(po);
    rc = plot_out_commit(po, err);
out:
    close_streams(&c);
    for (int k = 0; k < 4; k++)
        free(buf[k]);
    free(md);
    plot_out_free(po);
    sqlite3_close(db);
    return rc;
}
