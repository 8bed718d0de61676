/* csv.c — CSV reading (RFC 4180 quotes, header, missing values) into
 * columnar tables, CSV writing, and schema drafting from a CSV.
 * n = records, d = columns. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/table.h"
#include "core/util.h"

/* ---- tokenizer: fields are unescaped in place inside the file buffer ---- */

typedef struct csv_reader {
    const char *path;
    char *buf;          /* whole file, modified in place */
    size_t len, pos;
    size_t line;        /* 1-based line of the next record */
    char **fields;      /* (cap) pointers into buf */
    size_t cap;
} csv_reader;

/* Reads the next record. Returns 1 with *nf fields, 0 at end of file, or
 * -1 on a malformed record (err filled). *rec_line gets its first line. */
static int csv_next(csv_reader *r, size_t *nf, size_t *rec_line, pa_err *err)
{
    if (r->pos >= r->len)
        return 0;
    *rec_line = r->line;
    size_t k = 0;
    for (;;) {
        if (k == r->cap) {
            size_t nc = r->cap ? r->cap * 2 : 16;
            char **nfp = realloc(r->fields, nc * sizeof *nfp);
            if (!nfp)
                return pa_errf(err, PA_ENOMEM, "%s: out of memory", r->path), -1;
            r->fields = nfp;
            r->cap = nc;
        }
        char *out = r->buf + r->pos;
        r->fields[k++] = out;
        char *w = out;
        if (r->pos < r->len && r->buf[r->pos] == '"') {
            size_t qline = r->line;
            r->pos++;
            for (;;) {
                if (r->pos >= r->len)
                    return pa_errf(err, PA_EINPUT, "%s:%zu: column %zu: quoted field never closed",
                                   r->path, qline, k), -1;
                char c = r->buf[r->pos++];
                if (c == '"') {
                    if (r->pos < r->len && r->buf[r->pos] == '"') {
                        *w++ = '"';
                        r->pos++;
                    } else {
                        break;
                    }
                } else {
                    if (c == '\n')
                        r->line++;
                    *w++ = c;
                }
            }
            if (r->pos < r->len && r->buf[r->pos] != ',' && r->buf[r->pos] != '\n' &&
                r->buf[r->pos] != '\r')
                return pa_errf(err, PA_EINPUT,
                               "%s:%zu: column %zu: expected ',' or end of line after a closing quote",
                               r->path, r->line, k), -1;
        } else {
            while (r->pos < r->len) {
                char c = r->buf[r->pos];
                if (c == ',' || c == '\n' || c == '\r')
                    break;
                if (c == '"')
                    return pa_errf(err, PA_EINPUT,
                                   "%s:%zu: column %zu: stray '\"' inside an unquoted field", r->path,
                                   r->line, k), -1;
                *w++ = c;
                r->pos++;
            }
        }
        char sep = r->pos < r->len ? r->buf[r->pos] : '\n';
        *w = 0; /* safe: w <= position of the separator */
        r->pos++;
        if (sep == ',')
            continue;
        if (sep == '\r' && r->pos < r->len && r->buf[r->pos] == '\n')
            r->pos++;
        r->line++;
        break;
    }
    *nf = k;
    return 1;
}

static int csv_open(csv_reader *r, const char *path, tbl_read_opts *o, pa_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->line = 1;
    int rc = o ? util_read_file_limited(path, o->max_bytes, o->regular_only, &r->buf, &r->len, &o->over_bytes,
                                        &o->not_regular, err)
               : util_read_file(path, &r->buf, &r->len, err);
    if (rc)
        return rc;
    if (memchr(r->buf, 0, r->len))
        return pa_errf(err, PA_EINPUT, "%s: contains a NUL byte: expected a text CSV file", path);
    if (r->len >= 3 && (unsigned char)r->buf[0] == 0xEF && (unsigned char)r->buf[1] == 0xBB &&
        (unsigned char)r->buf[2] == 0xBF)
        r->pos = 3; /* UTF-8 byte-order mark */
    return PA_OK;
}

static void csv_close(csv_reader *r)
{
    free(r->buf);
    free(r->fields);
}

static int is_blank_record(csv_reader *r, size_t nf)
{
    return nf == 1 && r->fields[0][0] == 0;
}

/* ---- label lookup: open addressing on FNV hashes ---- */

typedef struct label_index {
    size_t cap;      /* power of two */
    int32_t *slot;   /* (cap) code + 1, 0 = empty */
} label_index;

static int index_build(label_index *ix, char *const *labels, size_t size)
{
    ix->cap = 16;
    while (ix->cap < 2 * size)
        ix->cap *= 2;
    ix->slot = calloc(ix->cap, sizeof *ix->slot);
    if (!ix->slot)
        return -1;
    for (size_t k = 0; k < size; k++) {
        size_t h = (size_t)util_fnv(UTIL_FNV_INIT, labels[k], strlen(labels[k])) & (ix->cap - 1);
        while (ix->slot[h])
            h = (h + 1) & (ix->cap - 1);
        ix->slot[h] = (int32_t)k + 1;
    }
    return 0;
}

static int32_t index_find(const label_index *ix, char *const *labels, const char *s)
{
    size_t h = (size_t)util_fnv(UTIL_FNV_INIT, s, strlen(s)) & (ix->cap - 1);
    while (ix->slot[h]) {
        int32_t k = ix->slot[h] - 1;
        if (strcmp(labels[k], s) == 0)
            return k;
        h = (h + 1) & (ix->cap - 1);
    }
    return -1;
}

static int is_missing_token(const schema *s, const char *v)
{
    for (size_t k = 0; k < s->n_missing; k++)
        if (strcmp(s->missing[k], v) == 0)
            return 1;
    return 0;
}

/* Shortens long values for messages. */
static const char *shown(const char *v, char *buf, size_t cap)
{
    size_t n = strlen(v);
    if (n < cap)
        return v;
    snprintf(buf, cap, "%.*s...", (int)(cap - 4), v);
    return buf;
}

static int parse_value(const schema *s, size_t j, const label_index *ix, const char *v, table *t, size_t i,
                       const char *path, size_t line, pa_err *err)
{
    const col_spec *c = &s->cols[j];
    char sb[64];
    if (c->kind == COL_CAT) {
        if (c->labels) {
            int32_t k = index_find(ix, c->labels, v);
            if (k >= 0) {
                t->cat[j][i] = k;
                return PA_OK;
            }
        } else {
            int64_t code;
            if (util_parse_i64(v, &code) == 0) {
                if (code < 0 || (uint64_t)code >= c->size)
                    return pa_errf(err, PA_EINPUT, "%s:%zu: column \"%s\": code %lld outside [0, %zu)", path,
                                   line, c->name, (long long)code, c->size);
                t->cat[j][i] = (int32_t)code;
                return PA_OK;
            }
        }
        if (is_missing_token(s, v)) {
            if (!c->has_missing)
                return pa_errf(err, PA_EINPUT,
                               "%s:%zu: column \"%s\": missing value, and the schema gives no missing_label/"
                               "missing_code for it",
                               path, line, c->name);
            t->cat[j][i] = c->missing_code;
            return PA_OK;
        }
        if (c->labels)
            return pa_errf(err, PA_EINPUT, "%s:%zu: column \"%s\": \"%s\" is not one of its %zu labels", path,
                           line, c->name, shown(v, sb, sizeof sb), c->size);
        return pa_errf(err, PA_EINPUT, "%s:%zu: column \"%s\": \"%s\": expected an integer code in [0, %zu)",
                       path, line, c->name, shown(v, sb, sizeof sb), c->size);
    }
    double x;
    if (util_parse_double(v, &x) == 0) {
        if (x < c->lo || x > c->hi)
            return pa_errf(err, PA_EINPUT, "%s:%zu: column \"%s\": %s is outside the schema's bounds [%g, %g]",
                           path, line, c->name, shown(v, sb, sizeof sb), c->lo, c->hi);
        if (c->integer && x != floor(x))
            return pa_errf(err, PA_EINPUT, "%s:%zu: column \"%s\": %s: expected an integer", path, line, c->name,
                           shown(v, sb, sizeof sb));
        t->num[j][i] = x;
        return PA_OK;
    }
    if (is_missing_token(s, v)) {
        if (!c->has_missing)
            return pa_errf(err, PA_EINPUT,
                           "%s:%zu: column \"%s\": missing value, and the schema gives no missing_value for it",
                           path, line, c->name);
        t->num[j][i] = c->missing_value;
        return PA_OK;
    }
    return pa_errf(err, PA_EINPUT, "%s:%zu: column \"%s\": \"%s\": expected a number", path, line, c->name,
                   shown(v, sb, sizeof sb));
}

static int grow_table(table *t, size_t cap)
{
    for (size_t j = 0; j < t->d; j++) {
        if (t->cat[j]) {
            int32_t *p = realloc(t->cat[j], cap * sizeof *p);
            if (!p)
                return -1;
            t->cat[j] = p;
        } else {
            double *p = realloc(t->num[j], cap * sizeof *p);
            if (!p)
                return -1;
            t->num[j] = p;
        }
    }
    return 0;
}

int tbl_read_csv(const char *path, const schema *s, table **out, pa_err *err)
{
    return tbl_read_csv_opts(path, s, NULL, out, err);
}

int tbl_read_csv_opts(const char *path, const schema *s, tbl_read_opts *o, table **out, pa_err *err)
{
    *out = NULL;
    if (o)
        o->over_rows = o->over_bytes = o->not_regular = 0;
    csv_reader r;
    int rc = csv_open(&r, path, o, err);
    if (rc) {
        csv_close(&r);
        return rc;
    }
    table *t = NULL;
    size_t *map = NULL;       /* (nf) CSV column -> schema column */
    label_index *ix = NULL;   /* (d) */
    size_t nf = 0, line = 0, ncsv = 0;
    int got = csv_next(&r, &nf, &line, err);
    if (got < 0) {
        rc = err ? err->code : PA_EINPUT;
        goto done;
    }
    if (got == 0 || is_blank_record(&r, nf)) {
        rc = pa_errf(err, PA_EINPUT, "%s:1: empty file: expected a header row naming the columns", path);
        goto done;
    }
    ncsv = nf;
    map = calloc(ncsv, sizeof *map);
    ix = calloc(s->d, sizeof *ix);
    int *seen = calloc(s->d, sizeof *seen);
    char **names = pa_malloc(s->d, sizeof *names);
    util_strindex *nx = NULL;
    for (size_t j = 0; names && j < s->d; j++)
        names[j] = s->cols[j].name;
    if (names)
        nx = util_strindex_new(names, s->d, NULL, NULL);
    if (!map || !ix || !seen || !nx) {
        free(seen);
        free(names);
        util_strindex_free(nx);
        rc = pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t k = 0; k < ncsv; k++) {
        int j = (int)util_strindex_find(nx, r.fields[k]);
        if (j < 0) {
            char sb[64];
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: header column %zu \"%s\" is not in the schema", path, line,
                         k + 1, shown(r.fields[k], sb, sizeof sb));
            break;
        }
        if (seen[j]++) {
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: header names column \"%s\" twice", path, line, r.fields[k]);
            break;
        }
        map[k] = (size_t)j;
    }
    for (size_t j = 0; j < s->d && !rc; j++) {
        if (!seen[j])
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: header lacks column \"%s\" of the schema", path, line,
                         s->cols[j].name);
    }
    free(seen);
    free(names);
    util_strindex_free(nx);
    if (rc)
        goto done;
    for (size_t j = 0; j < s->d; j++) {
        if (s->cols[j].kind == COL_CAT && s->cols[j].labels &&
            index_build(&ix[j], s->cols[j].labels, s->cols[j].size)) {
            rc = pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
            goto done;
        }
    }
    size_t cap = 1024;
    t = tbl_new(s, 0);
    if (!t || grow_table(t, cap)) {
        rc = pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t n = 0;
    while ((got = csv_next(&r, &nf, &line, err)) == 1) {
        if (is_blank_record(&r, nf) && ncsv > 1)
            continue; /* blank line */
        if (nf != ncsv) {
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: %zu fields: expected %zu as in the header", path, line, nf,
                         ncsv);
            goto done;
        }
        if (o && o->max_rows && n == o->max_rows) {
            o->over_rows = 1;
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: more than %zu rows", path, line, o->max_rows);
            goto done;
        }
        if (n == cap) {
            cap *= 2;
            if (grow_table(t, cap)) {
                rc = pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
                goto done;
            }
        }
        for (size_t k = 0; k < ncsv; k++) {
            size_t j = map[k];
            if ((rc = parse_value(s, j, &ix[j], r.fields[k], t, n, path, line, err)))
                goto done;
        }
        n++;
    }
    if (got < 0) {
        rc = err ? err->code : PA_EINPUT;
        goto done;
    }
    t->n = n;
    rc = PA_OK;
done:
    if (ix)
        for (size_t j = 0; j < s->d; j++)
            free(ix[j].slot);
    free(ix);
    free(map);
    csv_close(&r);
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return PA_OK;
}

/* ---- writing ---- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + len + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void sb_field(sbuf *b, const char *s)
{
    size_t len = strlen(s);
    int quote = len == 0 ? 0 : (isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]));
    for (size_t k = 0; k < len && !quote; k++)
        if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r')
            quote = 1;
    if (!quote) {
        sb_put(b, s, len);
        return;
    }
    sb_put(b, "\"", 1);
    for (size_t k = 0; k < len; k++) {
        if (s[k] == '"')
            sb_put(b, "\"\"", 2);
        else
            sb_put(b, s + k, 1);
    }
    sb_put(b, "\"", 1);
}

int tbl_write_csv(const table *t, const char *path, pa_err *err)
{
    sbuf b = {0};
    char num[64];
    for (size_t j = 0; j < t->d; j++) {
        if (j)
            sb_put(&b, ",", 1);
        sb_field(&b, t->s->cols[j].name);
    }
    sb_put(&b, "\n", 1);
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < t->d; j++) {
            const col_spec *c = &t->s->cols[j];
            if (j)
                sb_put(&b, ",", 1);
            if (c->kind == COL_CAT) {
                int32_t k = t->cat[j][i];
                if (c->labels && k >= 0 && (size_t)k < c->size) {
                    sb_field(&b, c->labels[k]);
                } else {
                    int len = snprintf(num, sizeof num, "%d", (int)k);
                    sb_put(&b, num, (size_t)len);
                }
            } else {
                int len = snprintf(num, sizeof num, "%.17g", t->num[j][i]);
                sb_put(&b, num, (size_t)len);
            }
        }
        sb_put(&b, "\n", 1);
    }
    if (b.oom) {
        free(b.p);
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
    }
    int rc = util_write_file_atomic(path, b.p ? b.p : "", b.n, err);
    free(b.p);
    return rc;
}

/* ---- schema drafting ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int schema_infer(const char *csv_path, schema **out, pa_err *err)
{
    *out = NULL;
    csv_reader r;
    int rc = csv_open(&r, csv_path, NULL, err);
    if (rc) {
        csv_close(&r);
        return rc;
    }
    schema *s = NULL;
    char ***vals = NULL; /* (d) arrays of (n) value pointers into r.buf */
    size_t nf, line, d = 0, n = 0, cap = 0;
    int got = csv_next(&r, &nf, &line, err);
    if (got <= 0 || is_blank_record(&r, nf)) {
        rc = got < 0 ? (err ? err->code : PA_EINPUT)
                     : pa_errf(err, PA_EINPUT, "%s:1: empty file: expected a header row", csv_path);
        goto done;
    }
    d = nf;
    s = schema_new(d);
    vals = calloc(d, sizeof *vals);
    if (!s || !vals) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < d; j++) {
        if (!r.fields[j][0]) {
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: header column %zu is empty: expected a name", csv_path, line,
                         j + 1);
            goto done;
        }
        s->cols[j].name = pa_strdup(r.fields[j]);
    }
    while ((got = csv_next(&r, &nf, &line, err)) == 1) {
        if (is_blank_record(&r, nf) && d > 1)
            continue;
        if (nf != d) {
            rc = pa_errf(err, PA_EINPUT, "%s:%zu: %zu fields: expected %zu as in the header", csv_path, line, nf,
                         d);
            goto done;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            for (size_t j = 0; j < d; j++) {
                char **p = realloc(vals[j], cap * sizeof *p);
                if (!p) {
                    rc = pa_errf(err, PA_ENOMEM, "out of memory");
                    goto done;
                }
                vals[j] = p;
            }
        }
        for (size_t j = 0; j < d; j++)
            vals[j][n] = r.fields[j];
        n++;
    }
    if (got < 0) {
        rc = err ? err->code : PA_EINPUT;
        goto done;
    }
    if (n == 0) {
        rc = pa_errf(err, PA_EINPUT, "%s: no data rows after the header", csv_path);
        goto done;
    }
    for (size_t j = 0; j < d; j++) {
        col_spec *c = &s->cols[j];
        int numeric = 1, integer = 1, any = 0, missing = 0;
        double lo = INFINITY, hi = -INFINITY, x;
        /* every value is looked at: a missing token after the first label
         * must still give the column its missing label */
        for (size_t i = 0; i < n; i++) {
            if (is_missing_token(s, vals[j][i])) {
                missing = 1;
                continue;
            }
            any = 1;
            if (!numeric)
                continue;
            if (util_parse_double(vals[j][i], &x) != 0) {
                numeric = 0;
                continue;
            }
            if (x != floor(x))
                integer = 0;
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
        if (numeric && any) {
            c->kind = COL_NUM;
            c->integer = integer;
            c->lo = lo;
            /* a constant column needs min < max: one above (or, at the top of
             * the doubles, one step below) */
            c->hi = hi > lo ? hi : lo + 1 > lo ? lo + 1 : nextafter(lo, INFINITY);
            if (!isfinite(c->hi)) {
                c->hi = lo;
                c->lo = nextafter(lo, -INFINITY);
            }
            if (missing) {
                c->has_missing = 1;
                c->missing_value = lo;
            }
            continue;
        }
        c->kind = COL_CAT;
        char **sorted = pa_malloc(n, sizeof *sorted);
        if (!sorted) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto done;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!is_missing_token(s, vals[j][i]))
                sorted[m++] = vals[j][i];
        qsort(sorted, m, sizeof *sorted, cmp_str);
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
            if (u == 0 || strcmp(sorted[u - 1], sorted[i]) != 0)
                sorted[u++] = sorted[i];
        size_t extra = missing ? 1 : 0;
        c->size = u + extra;
        c->labels = pa_calloc(c->size, sizeof *c->labels);
        if (!c->labels) {
            free(sorted);
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < u; k++)
            c->labels[k] = pa_strdup(sorted[k]);
        free(sorted);
        if (missing) {
            c->labels[u] = pa_strdup("NA");
            for (size_t k = 0; k < u; k++) /* "NA" may be a real label if the token list was changed */
                if (strcmp(c->labels[k], "NA") == 0) {
                    free(c->labels[u]);
                    c->labels[u] = pa_strdup("<missing>");
                }
            c->has_missing = 1;
            c->missing_code = (int32_t)u;
        }
    }
    s->inferred = 1;
    if ((rc = schema_validate(s, err)))
        pa_err_prefix(err, "%s", csv_path);
done:
    if (vals)
        for (size_t j = 0; j < d; j++)
            free(vals[j]);
    free(vals);
    csv_close(&r);
    if (rc) {
        schema_free(s);
        return rc;
    }
    *out = s;
    return PA_OK;
}
