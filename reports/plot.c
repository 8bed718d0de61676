/* plot.c — figures and tables of every report (see plot.h).
 *
 * Geometry is worked out in inches: em = the font size in inches; a figure
 * is a legend strip above a grid of panels whose plot areas are placed with
 * `set [lrtb]margin at screen`, so small multiples line up exactly. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np, open_memstream */
#include "reports/plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

extern char **environ;

#define MANIFEST ".privaudit-report"

/* ---- styles ---- */

typedef struct style_dims {
    double font_pt;   /* text size */
    double width_in;  /* single-column width */
    double wide_in;   /* double-column width */
    double dpi;       /* PNG resolution */
    double lw;        /* line width (points) */
    double ps;        /* point size (gnuplot units) */
} style_dims;

static const style_dims dims[2] = {
    [PLOT_PAPER] = {.font_pt = 8, .width_in = 3.5, .wide_in = 7.0, .dpi = 200, .lw = 1.0, .ps = 0.45},
    [PLOT_SCREEN] = {.font_pt = 10, .width_in = 6.5, .wide_in = 9.5, .dpi = 120, .lw = 1.2, .ps = 0.6},
};

int plot_style_parse(const char *s, plot_style *out)
{
    if (s && !strcmp(s, "paper"))
        *out = PLOT_PAPER;
    else if (s && !strcmp(s, "screen"))
        *out = PLOT_SCREEN;
    else
        return -1;
    return 0;
}

static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
static const int markers[] = {7, 5, 9, 13, 11, 15, 6, 4, 8, 12};

const char *plot_colour(size_t k)
{
    return palette[k % (sizeof palette / sizeof palette[0])];
}

int plot_marker(size_t k)
{
    return markers[k % (sizeof markers / sizeof markers[0])];
}

/* ---- the output folder ---- */

struct plot_out {
    char *dir, *tmp;
    plot_style style;
    char **names;
    size_t nnames, cap;
    char *warn;
    size_t warnlen;
    size_t nfig;
    int committed;
};

char *plot_line(size_t k, char *buf, size_t cap)
{
    snprintf(buf, cap, "lc rgb '%s'", plot_colour(k));
    return buf;
}

char *plot_series(plot_out *po, size_t k, char *buf, size_t cap)
{
    snprintf(buf, cap, "lc rgb '%s' pt %d ps %.2f", plot_colour(k), plot_marker(k), dims[po->style].ps);
    return buf;
}

plot_style plot_out_style(const plot_out *po)
{
    return po->style;
}

const char *plot_out_dir(const plot_out *po)
{
    return po->dir;
}

const char *plot_out_warnings(const plot_out *po)
{
    return po->warn ? po->warn : "";
}

size_t plot_out_figures(const plot_out *po)
{
    return po->nfig;
}

int plot_out_open(const char *out_dir, plot_style style, plot_out **out, pa_err *err)
{
    *out = NULL;
    if (!out_dir || !*out_dir)
        return pa_errf(err, PA_EINPUT, "empty output folder name");
    int rc = util_mkdir_p(out_dir, err);
    if (rc)
        return rc;
    struct stat sb;
    if (stat(out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return pa_errf(err, PA_EINPUT, "%s: not a folder", out_dir);
    plot_out *po = calloc(1, sizeof *po);
    size_t n = strlen(out_dir) + 32;
    if (!po || !(po->dir = pa_strdup(out_dir)) || !(po->tmp = malloc(n))) {
        plot_out_free(po);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    po->style = style;
    snprintf(po->tmp, n, "%s/.privaudit-tmp-XXXXXX", out_dir);
    if (!mkdtemp(po->tmp)) {
        int e = errno;
        free(po->tmp);
        po->tmp = NULL;
        plot_out_free(po);
        return pa_errf(err, PA_EIO, "%s: cannot write into this folder: %s", out_dir, strerror(e));
    }
    *out = po;
    return PA_OK;
}

static int add_name(plot_out *po, const char *name)
{
    for (size_t i = 0; i < po->nnames; i++)
        if (!strcmp(po->names[i], name))
            return 0;
    if (po->nnames == po->cap) {
        size_t nc = po->cap ? 2 * po->cap : 32;
        char **nn = realloc(po->names, nc * sizeof *nn);
        if (!nn)
            return -1;
        po->names = nn;
        po->cap = nc;
    }
    if (!(po->names[po->nnames] = pa_strdup(name)))
        return -1;
    po->nnames++;
    return 0;
}

int plot_out_file(plot_out *po, const char *name, const void *buf, size_t len, pa_err *err)
{
    char path[4096];
    if (strchr(name, '/') || snprintf(path, sizeof path, "%s/%s", po->tmp, name) >= (int)sizeof path)
        return pa_errf(err, PA_EINPUT, "%s/%s: bad file name", po->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return pa_errf(err, PA_EIO, "%s/%s: cannot create: %s", po->dir, name, strerror(errno));
    const char *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            unlink(path);
            return pa_errf(err, PA_EIO, "%s/%s: write failed: %s", po->dir, name, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(path);
        return pa_errf(err, PA_EIO, "%s/%s: write failed: %s", po->dir, name, strerror(e));
    }
    if (add_name(po, name)) {
        unlink(path);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    return PA_OK;
}

static int in_names(const plot_out *po, const char *name)
{
    for (size_t i = 0; i < po->nnames; i++)
        if (!strcmp(po->names[i], name))
            return 1;
    return 0;
}

int plot_out_commit(plot_out *po, pa_err *err)
{
    char a[4096], b[4096];
    /* the manifest first (into the temporary folder, so a full disk stops us
     * before anything moved) */
    size_t cap = 256;
    for (size_t i = 0; i < po->nnames; i++)
        cap += strlen(po->names[i]) + 1;
    char *man = malloc(cap);
    if (!man)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t k = (size_t)snprintf(man, cap, "# files of the report privaudit wrote into this folder; the next report "
                                          "here replaces them\n");
    for (size_t i = 0; i < po->nnames; i++)
        k += (size_t)snprintf(man + k, cap - k, "%s\n", po->names[i]);
    /* the previous manifest: files of an older report this one does not replace */
    snprintf(a, sizeof a, "%s/" MANIFEST, po->dir);
    char *old = NULL;
    util_read_file(a, &old, NULL, NULL);
    int rc = plot_out_file(po, MANIFEST, man, k, err);
    free(man);
    if (rc) {
        free(old);
        return rc;
    }
    for (size_t i = 0; i < po->nnames; i++) {
        snprintf(a, sizeof a, "%s/%s", po->tmp, po->names[i]);
        snprintf(b, sizeof b, "%s/%s", po->dir, po->names[i]);
        if (rename(a, b) != 0) {
            free(old);
            return pa_errf(err, PA_EIO, "%s: cannot move into place: %s", b, strerror(errno));
        }
    }
    for (char *save = NULL, *line = old ? strtok_r(old, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '.' || strchr(line, '/') || in_names(po, line))
            continue;
        snprintf(b, sizeof b, "%s/%s", po->dir, line);
        unlink(b);
    }
    free(old);
    rmdir(po->tmp);
    po->committed = 1;
    return PA_OK;
}

void plot_out_free(plot_out *po)
{
    if (!po)
        return;
    if (po->tmp) {
        /* whatever is left in the temporary folder: our files, gnuplot's outputs */
        DIR *d = opendir(po->tmp);
        if (d) {
            struct dirent *e;
            char p[4096];
            while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                    snprintf(p, sizeof p, "%s/%s", po->tmp, e->d_name);
                    unlink(p);
                }
            closedir(d);
        }
        rmdir(po->tmp);
    }
    for (size_t i = 0; i < po->nnames; i++)
        free(po->names[i]);
    free(po->names);
    free(po->warn);
    free(po->tmp);
    free(po->dir);
    free(po);
}

static void add_warning(plot_out *po, const char *fig, const char *text)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n) {
            size_t need = po->warnlen + strlen(fig) + n + 8;
            char *nw = realloc(po->warn, need);
            if (!nw)
                return;
            po->warn = nw;
            po->warnlen += (size_t)snprintf(po->warn + po->warnlen, need - po->warnlen, "%s: %.*s\n", fig, (int)n,
                                            line);
        }
        line += n + (end ? 1 : 0);
    }
}

/* ---- strings ---- */

char *plot_quote(const char *s, char *buf, size_t cap)
{
    size_t k = 0;
    if (cap < 3) {
        if (cap)
            buf[0] = 0;
        return buf;
    }
    buf[k++] = '\'';
    for (; s && *s && k + 3 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\'') {
            buf[k++] = '\'';
            buf[k++] = '\'';
        } else {
            buf[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
        }
    }
    buf[k++] = '\'';
    buf[k] = 0;
    return buf;
}

/* A tic label for ε: %.3g below 10⁴, else m×10^k with superscripts. */
static void tic_label(double v, char *buf, size_t cap)
{
    static const char *const sup[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    if (v < 1e4) {
        snprintf(buf, cap, "%.3g", v);
        return;
    }
    int e = (int)floor(log10(v));
    double m = v / pow(10, e);
    char ex[32] = "";
    for (int d = e, k = 0, digits[8]; k < 8; k++) {
        digits[k] = d % 10;
        d /= 10;
        if (!d) {
            for (int j = k; j >= 0; j--)
                strncat(ex, sup[digits[j]], sizeof ex - strlen(ex) - 1);
            break;
        }
    }
    if (fabs(m - 1) < 1e-9)
        snprintf(buf, cap, "10%s", ex);
    else
        snprintf(buf, cap, "%.2g×10%s", m, ex);
}

char *plot_fmt_eps(double v, int ascii, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "%s", ascii ? "-" : "–");
    else if (isinf(v))
        snprintf(buf, cap, "%s%s", v < 0 ? "-" : "", ascii ? "inf" : "∞");
    else if (!ascii && v >= 1e4)
        tic_label(v, buf, cap);
    else
        snprintf(buf, cap, "%.3g", v);
    return buf;
}

/* ---- figures ---- */

#define MAX_PANELS 64

struct plot_fig {
    plot_out *po;
    char name[128];
    char *title;
    plot_layout L;
    plot_key *key;           /* deep copy */
    char *dat, *body;
    size_t datlen, bodylen;
    FILE *datf, *bodyf;
    size_t block;
    size_t terms;            /* terms of the plot command being written */
    /* geometry, inches */
    double W, H, em, key_h, pw, ph;
    size_t rows, cols, key_cols;
    double row_top[MAX_PANELS]; /* from the top of the canvas, of each row's plot area */
    double ml0, ml1, mr;
    int row_labels[MAX_PANELS]; /* 1: the row has a panel with nothing below it */
};

void plot_fig_abort(plot_fig *f)
{
    if (!f)
        return;
    if (f->datf)
        fclose(f->datf);
    if (f->bodyf)
        fclose(f->bodyf);
    free(f->dat);
    free(f->body);
    if (f->key)
        for (size_t i = 0; i < f->L.nkey; i++) {
            free((char *)f->key[i].title);
            free((char *)f->key[i].style);
        }
    free(f->key);
    free(f->title);
    free(f);
}

static int has_below(const plot_fig *f, size_t i)
{
    return i + f->cols < f->L.panels;
}

static void layout(plot_fig *f)
{
    const style_dims *d = &dims[f->po->style];
    const plot_layout *L = &f->L;
    f->em = d->font_pt / 72.0;
    double em = f->em;
    f->cols = L->cols ? L->cols : (L->panels < 3 ? L->panels : 3);
    if (f->cols > L->panels)
        f->cols = L->panels;
    f->rows = (L->panels + f->cols - 1) / f->cols;
    f->W = L->wide ? d->wide_in : d->width_in;
    f->ml0 = (L->left_em > 0 ? L->left_em : 5.2) * em;
    f->ml1 = L->ylabel_every ? 5.2 * em : 3.4 * em;
    f->mr = 1.3 * em;
    f->pw = (f->W - f->ml0 - (double)(f->cols - 1) * f->ml1 - (double)f->cols * f->mr) / (double)f->cols;
    f->ph = f->pw * (L->aspect > 0 ? L->aspect : 0.72);
    /* legend: entries of equal width, as many per row as fit */
    size_t maxlen = 1;
    for (size_t i = 0; i < L->nkey; i++) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)f->key[i].title; *p; p++)
            n += (*p & 0xC0) != 0x80; /* characters, not bytes */
        if (n > maxlen)
            maxlen = n;
    }
    double entry = (double)maxlen * 0.56 * em + 4.2 * em;
    f->key_cols = (size_t)fmax(1, floor((f->W - 1.0 * em) / entry));
    if (f->key_cols > L->nkey)
        f->key_cols = L->nkey ? L->nkey : 1;
    size_t key_rows = L->nkey ? (L->nkey + f->key_cols - 1) / f->key_cols : 0;
    f->key_h = key_rows ? (double)key_rows * 1.35 * em + 0.7 * em : 0.3 * em;
    double mt = 2.1 * em, mb_lab = 3.4 * em, mb = 2.3 * em;
    double y = f->key_h;
    for (size_t r = 0; r < f->rows && r < MAX_PANELS; r++) {
        int lab = 0;
        for (size_t c = 0; c < f->cols; c++) {
            size_t i = r * f->cols + c;
            if (i < L->panels && !has_below(f, i))
                lab = 1;
        }
        f->row_labels[r] = lab;
        f->row_top[r] = y + mt;
        y += mt + f->ph + (lab ? mb_lab : mb);
    }
    f->H = y + 0.2 * em;
}

int plot_fig_begin(plot_out *po, const char *name, const char *title, const plot_layout *l, plot_fig **out,
                   pa_err *err)
{
    *out = NULL;
    plot_fig *f = calloc(1, sizeof *f);
    if (!f)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    f->po = po;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->L = *l;
    if (f->L.panels == 0)
        f->L.panels = 1;
    if (f->L.panels > MAX_PANELS) {
        plot_fig_abort(f);
        return pa_errf(err, PA_EINTERNAL, "figure %s: %zu panels (at most %d)", name, l->panels, MAX_PANELS);
    }
    f->title = title ? pa_strdup(title) : NULL;
    f->key = f->L.nkey ? calloc(f->L.nkey, sizeof *f->key) : NULL;
    int oom = (title && !f->title) || (f->L.nkey && !f->key);
    for (size_t i = 0; !oom && i < f->L.nkey; i++) {
        f->key[i].title = pa_strdup(l->key[i].title ? l->key[i].title : "");
        f->key[i].style = pa_strdup(l->key[i].style ? l->key[i].style : "lines");
        oom = !f->key[i].title || !f->key[i].style;
    }
    f->L.key = f->key;
    f->datf = oom ? NULL : open_memstream(&f->dat, &f->datlen);
    f->bodyf = f->datf ? open_memstream(&f->body, &f->bodylen) : NULL;
    if (!f->bodyf) {
        plot_fig_abort(f);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    layout(f);
    fprintf(f->datf, "# %s.dat — data of %s.gp (privaudit report)%s%s\n", name, name, title ? ": " : "",
            title ? title : "");
    *out = f;
    return PA_OK;
}

void plot_dat_comment(plot_fig *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    fprintf(f->datf, "# %s\n", buf);
}

void plot_dat_row(plot_fig *f, size_t n, const double *v)
{
    for (size_t k = 0; k < n; k++) {
        if (k)
            fputc(' ', f->datf);
        if (isnan(v[k]))
            fputs("nan", f->datf);
        else if (isinf(v[k]))
            fputs(v[k] > 0 ? "inf" : "-inf", f->datf);
        else
            fprintf(f->datf, "%.17g", v[k]);
    }
    fputc('\n', f->datf);
}

void plot_dat_gap(plot_fig *f)
{
    fputc('\n', f->datf);
}

size_t plot_dat_end_block(plot_fig *f)
{
    fputs("\n\n", f->datf);
    return f->block++;
}

void plot_gp(plot_fig *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f->bodyf, fmt, ap);
    va_end(ap);
    fputc('\n', f->bodyf);
}

void plot_term(plot_fig *f, const char *fmt, ...)
{
    fputs(f->terms++ ? ", \\\n     " : "plot ", f->bodyf);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f->bodyf, fmt, ap);
    va_end(ap);
}

void plot_plot_end(plot_fig *f)
{
    if (f->terms)
        fputc('\n', f->bodyf);
    f->terms = 0;
}

void plot_panel(plot_fig *f, size_t i, const char *title, const char *xlabel, const char *ylabel)
{
    char q[512];
    plot_plot_end(f);
    size_t r = i / f->cols, c = i % f->cols;
    double left = f->ml0 + (double)c * (f->pw + f->mr + f->ml1), right = left + f->pw;
    double top = f->row_top[r < MAX_PANELS ? r : 0], bottom = top + f->ph;
    plot_gp(f, "# ---- panel %zu", i);
    plot_gp(f, "unset title; unset xlabel; unset ylabel; unset label; unset arrow; unset object; unset logscale");
    plot_gp(f, "set xtics autofreq; set ytics autofreq; set mxtics default; set mytics default");
    plot_gp(f, "set xrange [*:*] noreverse; set yrange [*:*] noreverse; set format x '%% h'; set format y '%% h'");
    plot_gp(f, "set border 3; set grid back lc rgb '#e4e4e4' lw 0.5; unset key");
    plot_gp(f, "set lmargin at screen %.5f; set rmargin at screen %.5f", left / f->W, right / f->W);
    plot_gp(f, "set tmargin at screen %.5f; set bmargin at screen %.5f", 1 - top / f->H, 1 - bottom / f->H);
    if (title && *title)
        plot_gp(f, "set title %s offset 0,-0.7", plot_quote(title, q, sizeof q));
    if (xlabel && *xlabel && !has_below(f, i))
        plot_gp(f, "set xlabel %s offset 0,0.6", plot_quote(xlabel, q, sizeof q));
    if (ylabel && *ylabel && (c == 0 || f->L.ylabel_every))
        plot_gp(f, "set ylabel %s offset 1.2,0", plot_quote(ylabel, q, sizeof q));
}

double plot_nice_step(double span, int n)
{
    if (!(span > 0) || n < 1)
        return 1;
    double raw = span / n, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* ---- the ε axis ---- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void plot_eps_axis_init(plot_eps_axis *a, const double *eps, size_t n)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        double e = eps[i];
        if (isinf(e) && e > 0) {
            a->has_inf = 1;
            continue;
        }
        if (!(e > 0) || !isfinite(e))
            continue;
        size_t k = 0;
        while (k < a->n && a->v[k] != e)
            k++;
        if (k == a->n && a->n < PLOT_EPS_MAX)
            a->v[a->n++] = e;
    }
    qsort(a->v, a->n, sizeof a->v[0], cmp_dbl);
    if (a->n == 0) {
        a->umin = a->umax = 0;
        a->uinf = 0;
        a->lo = -1;
        a->hi = 1;
        a->ubreak = NAN;
        return;
    }
    a->umin = log10(a->v[0]);
    a->umax = log10(a->v[a->n - 1]);
    double span = a->umax - a->umin;
    double pad = fmax(0.25, 0.1 * span);
    a->lo = a->umin - pad;
    if (a->has_inf) {
        double gap = fmax(0.7, 0.35 * span);
        a->uinf = a->umax + gap;
        a->ubreak = a->umax + 0.5 * gap;
        a->hi = a->uinf + pad;
    } else {
        a->uinf = a->umax + 1;
        a->ubreak = NAN;
        a->hi = a->umax + pad;
    }
}

void plot_eps_axis_emit(plot_fig *f, const plot_eps_axis *a)
{
    char lab[64];
    plot_gp(f, "EPS_INF = %.17g", a->uinf);
    plot_gp(f, "EX(e) = (e > 1e300) ? EPS_INF : log10(e)");
    plot_gp(f, "set xrange [%.17g:%.17g]", a->lo, a->hi);
    /* a tic at every claimed value; a label only where it does not crowd the
     * previous one (half of each label's width, characters of 0.6 em, and a gap) */
    double per = f->pw > 0 ? (a->hi - a->lo) / f->pw : 0; /* axis units per inch */
    double last = -INFINITY;
    size_t lastlen = 0;
    fprintf(f->bodyf, "set xtics (");
    for (size_t k = 0; k < a->n; k++) {
        double u = log10(a->v[k]);
        tic_label(a->v[k], lab, sizeof lab);
        size_t len = 0;
        for (const unsigned char *q = (const unsigned char *)lab; *q; q++)
            len += (*q & 0xC0) != 0x80;
        double need = ((double)(len + lastlen) * 0.3 + 0.8) * f->em * per;
        int show = u - last >= need;
        fprintf(f->bodyf, "%s'%s' %.17g", k ? ", " : "", show ? lab : "", u);
        if (show) {
            last = u;
            lastlen = len;
        }
    }
    if (a->has_inf)
        fprintf(f->bodyf, "%s'∞' EPS_INF", a->n ? ", " : "");
    fprintf(f->bodyf, ")\nset mxtics 1\nset grid noxtics\n");
    if (a->has_inf && a->n) {
        /* a break in the axis: a white gap over the border and two slashes */
        double w = 0.018 * (a->hi - a->lo), s = 0.012 * (a->hi - a->lo);
        plot_gp(f, "set object 90 rect from first %.17g, graph -0.03 to first %.17g, graph 0.03 fc rgb 'white' "
                   "fs solid 1.0 noborder front",
                a->ubreak - w, a->ubreak + w);
        plot_gp(f, "set arrow 90 from first %.17g, graph -0.035 to first %.17g, graph 0.035 nohead lc rgb 'black' "
                   "lw 0.8 front",
                a->ubreak - w - s, a->ubreak - w + s);
        plot_gp(f, "set arrow 91 from first %.17g, graph -0.035 to first %.17g, graph 0.035 nohead lc rgb 'black' "
                   "lw 0.8 front",
                a->ubreak + w - s, a->ubreak + w + s);
    }
}

/* ---- running gnuplot ---- */

static int run_gnuplot(plot_out *po, const char *name, char *log, size_t logcap, pa_err *err)
{
    char script[256], logname[256], logpath[4096];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(logname, sizeof logname, ".%s.log", name);
    snprintf(logpath, sizeof logpath, "%s/%s", po->tmp, logname);
    pid_t pid;
    char *argv[] = {"gnuplot", script, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, po->tmp);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, logname, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    log[0] = 0;
    if (e != 0)
        return pa_errf(err, PA_ECHILD, "cannot run gnuplot (%s): apt-get install gnuplot-nox", strerror(e));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return pa_errf(err, PA_ECHILD, "gnuplot: wait failed: %s", strerror(errno));
    FILE *lf = fopen(logpath, "r");
    if (lf) {
        size_t n = fread(log, 1, logcap - 1, lf);
        log[n] = 0;
        fclose(lf);
    }
    unlink(logpath);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return pa_errf(err, PA_ECHILD, "cannot run gnuplot: apt-get install gnuplot-nox");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* the last non-empty line of its messages says why */
        char *last = NULL;
        for (char *save = NULL, *t = strtok_r(log, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
            if (*t)
                last = t;
        return pa_errf(err, PA_ECHILD, "gnuplot failed on %s/%s: %s", po->dir, script, last ? last : "no message");
    }
    return PA_OK;
}

/* 1 when the file gnuplot wrote is whole: PDF ends with %%EOF, PNG with its
 * IEND chunk, SVG with </svg>. A full disk or a size limit truncates. */
static int complete_output(const char *path, const char *ext)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char tail[1025];
    long n = 0;
    int ok = 0;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 16) {
        long k = n < 1024 ? n : 1024;
        if (fseek(f, -k, SEEK_END) == 0 && fread(tail, 1, (size_t)k, f) == (size_t)k) {
            tail[k] = 0;
            if (!strcmp(ext, "png"))
                ok = !memcmp(tail + k - 8, "IEND\xAE\x42\x60\x82", 8);
            else if (!strcmp(ext, "pdf"))
                ok = memmem(tail, (size_t)k, "%%EOF", 5) != NULL;
            else
                ok = memmem(tail, (size_t)k, "</svg>", 6) != NULL;
        }
    }
    fclose(f);
    return ok;
}

/* With SOURCE_DATE_EPOCH set, the PDF's /CreationDate becomes that time (in
 * place, same length), so a report can be reproduced byte for byte. */
static void pdf_fix_date(const char *path)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end;
    if (!sde || !*sde)
        return;
    long long t = strtoll(sde, &end, 10);
    if (*end || t < 0)
        return;
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || tm.tm_year > 8000)
        return;
    char stamp[64];
    snprintf(stamp, sizeof stamp, "D:%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    FILE *f = fopen(path, "r+b");
    if (!f)
        return;
    char buf[1 << 16];
    long base = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        char *p = memmem(buf, n, "/CreationDate (D:", 17);
        if (p && (size_t)(p - buf) + 15 + strlen(stamp) < n) {
            /* "(D:YYYYMMDDhhmmssZ" of the same length, or leave it */
            char *q = p + 15;
            size_t len = 0;
            while (q + len < buf + n && q[len] != ')')
                len++;
            if (len == strlen(stamp) && fseek(f, base + (long)(q - buf), SEEK_SET) == 0)
                fwrite(stamp, 1, len, f);
            break;
        }
        if (n < sizeof buf)
            break;
        base += (long)n - 32;
        if (fseek(f, base, SEEK_SET) != 0)
            break;
    }
    fclose(f);
}

static void emit_key(plot_fig *f)
{
    if (!f->L.nkey)
        return;
    char q[512];
    plot_gp(f, "# ---- shared legend");
    plot_gp(f, "unset title; unset xlabel; unset ylabel; unset label; unset arrow; unset object; unset logscale; "
               "unset grid");
    plot_gp(f, "set lmargin at screen 0.005; set rmargin at screen 0.995");
    plot_gp(f, "set tmargin at screen %.5f; set bmargin at screen %.5f", 1 - 0.15 * f->em / f->H,
            1 - f->key_h / f->H);
    plot_gp(f, "unset border; unset tics; set xrange [0:1]; set yrange [0:1]");
    plot_gp(f, "set key center center horizontal Left reverse maxcols %zu samplen 2 spacing 1.05 width 1 "
               "noautotitle",
            f->key_cols);
    fprintf(f->bodyf, "plot ");
    for (size_t i = 0; i < f->L.nkey; i++)
        fprintf(f->bodyf, "%s2 with %s title %s", i ? ", \\\n     " : "", f->key[i].style,
                plot_quote(f->key[i].title, q, sizeof q));
    fprintf(f->bodyf, "\n");
}

int plot_fig_end(plot_fig *f, pa_err *err)
{
    plot_out *po = f->po;
    const style_dims *d = &dims[po->style];
    plot_plot_end(f);
    emit_key(f);
    int bad = ferror(f->datf) | ferror(f->bodyf);
    bad |= fclose(f->datf) != 0;
    f->datf = NULL;
    bad |= fclose(f->bodyf) != 0;
    f->bodyf = NULL;
    if (bad) {
        plot_fig_abort(f);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    char *gp = NULL, q[512];
    size_t gplen = 0;
    FILE *g = open_memstream(&gp, &gplen);
    if (!g) {
        plot_fig_abort(f);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    const char *nm = f->name;
    double W = f->W, H = f->H;
    fprintf(g, "# %s.gp — drawn by privaudit report%s%s\n", nm, f->title ? ": " : "", f->title ? f->title : "");
    fprintf(g, "# Reads %s.dat (this folder). Edit and run `gnuplot %s.gp` here to redraw %s.pdf, %s.svg and "
               "%s.png.\n# Style: %s (%.2f x %.2f in, %g pt text); colours: Okabe-Ito.\n",
            nm, nm, nm, nm, nm, po->style == PLOT_PAPER ? "paper" : "screen", W, H, d->font_pt);
    fprintf(g, "DAT = %s\n", plot_quote(nm, q, sizeof q));
    fprintf(g, "DAT = DAT.'.dat'\nNAME = %s\n", plot_quote(nm, q, sizeof q));
    fprintf(g, "if (!exists('FORMATS')) FORMATS = 'pdf svg png'\n");
    fprintf(g, "do for [fmt in FORMATS] {\n");
    fprintf(g, "reset\n");
    fprintf(g, "if (fmt eq 'pdf') { set terminal pdfcairo size %.3fin,%.3fin font 'DejaVu Sans,%g' fontscale 0.75 "
               "linewidth %g rounded noenhanced }\n",
            W, H, d->font_pt, d->lw * 2);
    fprintf(g, "if (fmt eq 'svg') { set terminal svg size %.0f,%.0f font 'DejaVu Sans,%g' linewidth %g rounded "
               "noenhanced background '#ffffff' }\n",
            W * 72, H * 72, d->font_pt, d->lw);
    fprintf(g, "if (fmt eq 'png') { set terminal pngcairo size %.0f,%.0f font 'DejaVu Sans,%g' fontscale %.4f "
               "linewidth %.4f pointscale %.4f rounded noenhanced background '#ffffff' }\n",
            W * d->dpi, H * d->dpi, d->font_pt, d->dpi / 96.0, d->lw * d->dpi / 72.0, d->dpi / 72.0 * 0.8);
    fprintf(g, "set encoding utf8\nset output NAME.'.'.fmt\nset multiplot\nset tics nomirror out scale 0.5\n"
               "set bars small\nset style fill transparent solid 0.25 noborder\n");
    fwrite(f->body, 1, f->bodylen, g);
    fprintf(g, "unset multiplot\nunset output\n}\n");
    bad = ferror(g);
    bad |= fclose(g) != 0;
    if (bad) {
        free(gp);
        plot_fig_abort(f);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    char fn[160];
    snprintf(fn, sizeof fn, "%s.dat", nm);
    int rc = plot_out_file(po, fn, f->dat, f->datlen, err);
    snprintf(fn, sizeof fn, "%s.gp", nm);
    if (!rc)
        rc = plot_out_file(po, fn, gp, gplen, err);
    free(gp);
    char log[8192];
    if (!rc)
        rc = run_gnuplot(po, nm, log, sizeof log, err);
    if (!rc && log[0])
        add_warning(po, fn, log);
    static const char *const ext[] = {"pdf", "svg", "png"};
    for (size_t k = 0; !rc && k < 3; k++) {
        char path[4096];
        snprintf(fn, sizeof fn, "%s.%s", nm, ext[k]);
        snprintf(path, sizeof path, "%s/%s", po->tmp, fn);
        if (!complete_output(path, ext[k])) {
            rc = pa_errf(err, PA_EIO, "%s/%s: gnuplot could not write it whole (disk full or a file size limit?)",
                         po->dir, fn);
            break;
        }
        if (k == 0)
            pdf_fix_date(path);
        if (add_name(po, fn))
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
    }
    if (!rc)
        po->nfig++;
    plot_fig_abort(f);
    return rc;
}

/* ---- tables ---- */

typedef struct cell {
    char *text;     /* PLOT_TEXT */
    double a, b;
    int set;
} cell;

struct plot_table {
    char *name, *caption;
    plot_col *cols;
    size_t ncols;
    cell *cells;
    size_t n, cap;  /* cells written */
    int oom;
};

plot_table *plot_table_new(const char *name, const char *caption, const plot_col *cols, size_t ncols)
{
    plot_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = pa_strdup(name);
    t->caption = pa_strdup(caption ? caption : "");
    t->cols = pa_calloc(ncols, sizeof *t->cols);
    if (!t->name || !t->caption || !t->cols) {
        plot_table_free(t);
        return NULL;
    }
    memcpy(t->cols, cols, ncols * sizeof *cols);
    t->ncols = ncols;
    return t;
}

void plot_table_free(plot_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t->cols);
    free(t->name);
    free(t->caption);
    free(t);
}

static cell *next_cell(plot_table *t)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 64;
        cell *n = realloc(t->cells, nc * sizeof *n);
        if (!n) {
            t->oom = 1;
            return NULL;
        }
        t->cells = n;
        t->cap = nc;
    }
    cell *c = &t->cells[t->n++];
    memset(c, 0, sizeof *c);
    c->a = c->b = NAN;
    return c;
}

void plot_table_text(plot_table *t, const char *s)
{
    cell *c = next_cell(t);
    if (c) {
        c->text = pa_strdup(s ? s : "");
        c->set = 1;
        if (!c->text)
            t->oom = 1;
    }
}

void plot_table_num(plot_table *t, double x)
{
    cell *c = next_cell(t);
    if (c) {
        c->a = x;
        c->set = 1;
    }
}

void plot_table_interval(plot_table *t, double lo, double hi)
{
    cell *c = next_cell(t);
    if (c) {
        c->a = lo;
        c->b = hi;
        c->set = 1;
    }
}

void plot_table_end_row(plot_table *t)
{
    while (t->n % t->ncols)
        next_cell(t);
}

size_t plot_table_rows(const plot_table *t)
{
    return t->n / t->ncols;
}

enum { F_MD, F_CSV, F_TEX };

/* x printed with a column's format: "%.Nf" or "%.Ng" (others: %.3g). */
static void put_fmt(FILE *f, const char *fmt, double x)
{
    int prec = 3;
    char conv = 'g';
    if (fmt && fmt[0] == '%' && fmt[1] == '.' && fmt[2] >= '0' && fmt[2] <= '9') {
        prec = fmt[2] - '0';
        if (fmt[3] == 'f' || fmt[3] == 'g')
            conv = fmt[3];
    }
    if (conv == 'f')
        fprintf(f, "%.*f", prec, x);
    else
        fprintf(f, "%.*g", prec, x);
}

static void put_num(FILE *f, double x, const char *fmt, int form)
{
    if (isnan(x))
        fputs(form == F_MD ? "–" : form == F_TEX ? "--" : "", f);
    else if (isinf(x))
        fputs(form == F_MD ? (x > 0 ? "∞" : "−∞") : form == F_TEX ? (x > 0 ? "$\\infty$" : "$-\\infty$")
                                                                   : (x > 0 ? "inf" : "-inf"),
              f);
    else if (form == F_CSV)
        fprintf(f, "%.17g", x);
    else
        put_fmt(f, fmt, x);
}

static void put_md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if ((unsigned char)*s < 0x20)
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void put_csv_text(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* LaTeX: the specials escaped, the Greek and maths symbols we use in maths mode. */
static void put_tex_text(FILE *f, const char *s)
{
    static const struct { const char *u, *tex; } sym[] = {
        {"ε", "$\\varepsilon$"}, {"∞", "$\\infty$"}, {"σ", "$\\sigma$"}, {"δ", "$\\delta$"}, {"μ", "$\\mu$"},
        {"≥", "$\\geq$"},        {"≤", "$\\leq$"},   {"±", "$\\pm$"},    {"×", "$\\times$"}, {"–", "--"},
        {"—", "---"},            {"−", "$-$"},       {"α", "$\\alpha$"}, {"ρ", "$\\rho$"},   {"Δ", "$\\Delta$"},
        {"κ", "$\\kappa$"},      {"θ", "$\\theta$"}, {"·", "$\\cdot$"},  {"≈", "$\\approx$"}, {"→", "$\\to$"},
    };
    while (*s) {
        size_t k = 0;
        for (; k < sizeof sym / sizeof sym[0]; k++) {
            size_t n = strlen(sym[k].u);
            if (!strncmp(s, sym[k].u, n)) {
                fputs(sym[k].tex, f);
                s += n;
                break;
            }
        }
        if (k < sizeof sym / sizeof sym[0])
            continue;
        switch (*s) {
        case '\\': fputs("\\textbackslash{}", f); break;
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            fputc('\\', f);
            fputc(*s, f);
            break;
        case '~': fputs("\\textasciitilde{}", f); break;
        case '^': fputs("\\textasciicircum{}", f); break;
        case '<': fputs("\\textless{}", f); break;
        case '>': fputs("\\textgreater{}", f); break;
        case '|': fputs("\\textbar{}", f); break;
        default:
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
        s++;
    }
}

static void put_cell(FILE *f, const plot_col *col, const cell *c, int form)
{
    if (col->kind == PLOT_TEXT) {
        const char *s = c->text ? c->text : "";
        if (form == F_MD)
            put_md_text(f, s);
        else if (form == F_CSV)
            put_csv_text(f, s);
        else
            put_tex_text(f, s);
    } else if (col->kind == PLOT_NUM) {
        put_num(f, c->a, col->fmt, form);
    } else if (form == F_CSV) {
        put_num(f, c->a, col->fmt, form);
        fputc(',', f);
        put_num(f, c->b, col->fmt, form);
    } else if (!c->set || isnan(c->a)) {
        put_num(f, NAN, NULL, form);
    } else if (col->kind == PLOT_PM) {
        /* mean ± se: finite values only (a non-finite mean is spelled out alone) */
        if (!isfinite(c->a)) {
            put_num(f, c->a, col->fmt, form);
        } else {
            fputs(form == F_TEX ? "$" : "", f);
            put_fmt(f, col->fmt, c->a);
            if (isfinite(c->b)) {
                fputs(form == F_TEX ? " \\pm " : " ± ", f);
                put_fmt(f, col->fmt, c->b);
            }
            fputs(form == F_TEX ? "$" : "", f);
        }
    } else {
        fputs("[", f);
        put_num(f, c->a, col->fmt, form);
        fputs(", ", f);
        put_num(f, c->b, col->fmt, form);
        fputs("]", f);
    }
}

int plot_table_write(plot_out *po, plot_table *t, FILE *md, pa_err *err)
{
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    if (t->oom) {
        plot_table_free(t);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    size_t rows = t->n / t->ncols;
    if (md) {
        fputs("|", md);
        for (size_t j = 0; j < t->ncols; j++) {
            fputc(' ', md);
            put_md_text(md, t->cols[j].head);
            fputs(" |", md);
        }
        fputs("\n|", md);
        for (size_t j = 0; j < t->ncols; j++)
            fputs(t->cols[j].kind == PLOT_TEXT ? "---|" : "--:|", md);
        fputc('\n', md);
        for (size_t r = 0; r < rows; r++) {
            fputs("|", md);
            for (size_t j = 0; j < t->ncols; j++) {
                fputc(' ', md);
                put_cell(md, &t->cols[j], &t->cells[r * t->ncols + j], F_MD);
                fputs(" |", md);
            }
            fputc('\n', md);
        }
        fprintf(md, "\n*Table: `%s.csv`, `%s.tex`.*\n\n", t->name, t->name);
    }
    char *buf[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    FILE *c = open_memstream(&buf[0], &len[0]), *x = c ? open_memstream(&buf[1], &len[1]) : NULL;
    if (!x) {
        if (c)
            fclose(c);
        free(buf[0]);
        plot_table_free(t);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < t->ncols; j++) {
        if (j)
            fputc(',', c);
        if (t->cols[j].kind == PLOT_INTERVAL)
            fprintf(c, "%s_lo,%s_hi", t->cols[j].key, t->cols[j].key);
        else if (t->cols[j].kind == PLOT_PM)
            fprintf(c, "%s_mean,%s_se", t->cols[j].key, t->cols[j].key);
        else
            put_csv_text(c, t->cols[j].key);
    }
    fputc('\n', c);
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < t->ncols; j++) {
            if (j)
                fputc(',', c);
            put_cell(c, &t->cols[j], &t->cells[r * t->ncols + j], F_CSV);
        }
        fputc('\n', c);
    }
    fprintf(x, "%% %s.tex — written by privaudit report; needs \\usepackage{booktabs}\n", t->name);
    fprintf(x, "\\begin{table}[t]\n\\centering\n\\small\n\\caption{");
    put_tex_text(x, t->caption);
    fprintf(x, "}\n\\label{tab:");
    put_tex_text(x, t->name);
    fprintf(x, "}\n\\begin{tabular}{");
    for (size_t j = 0; j < t->ncols; j++)
        fputc(t->cols[j].kind == PLOT_TEXT ? 'l' : 'r', x);
    fprintf(x, "}\n\\toprule\n");
    for (size_t j = 0; j < t->ncols; j++) {
        if (j)
            fputs(" & ", x);
        put_tex_text(x, t->cols[j].head);
    }
    fprintf(x, " \\\\\n\\midrule\n");
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < t->ncols; j++) {
            if (j)
                fputs(" & ", x);
            put_cell(x, &t->cols[j], &t->cells[r * t->ncols + j], F_TEX);
        }
        fprintf(x, " \\\\\n");
    }
    fprintf(x, "\\bottomrule\n\\end{tabular}\n\\end{table}\n");
    int bad = ferror(c) | ferror(x);
    bad |= fclose(c) != 0;
    bad |= fclose(x) != 0;
    int rc = bad ? pa_errf(err, PA_ENOMEM, "out of memory") : PA_OK;
    char fn[160];
    snprintf(fn, sizeof fn, "%s.csv", t->name);
    if (!rc)
        rc = plot_out_file(po, fn, buf[0], len[0], err);
    snprintf(fn, sizeof fn, "%s.tex", t->name);
    if (!rc)
        rc = plot_out_file(po, fn, buf[1], len[1], err);
    free(buf[0]);
    free(buf[1]);
    plot_table_free(t);
    return rc;
}
