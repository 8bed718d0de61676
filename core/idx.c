/* idx.c — IDX reader (see idx.h). n = records, p = values per record, K = classes. */
#include "core/idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* Reads exactly len bytes at *off of f; PA_EINPUT naming what was being read
 * when the stream ends early. */
static int read_exact(gzFile f, const char *path, void *buf, size_t len, size_t *off, const char *what, pa_err *err)
{
    size_t got = 0;
    while (got < len) {
        size_t want = len - got;
        if (want > (1u << 30))
            want = 1u << 30;
        int r = gzread(f, (char *)buf + got, (unsigned)want);
        if (r < 0) {
            int zerr;
            const char *m = gzerror(f, &zerr);
            return pa_errf(err, PA_EINPUT, "%s: offset %zu: cannot read %s: %s", path, *off + got, what, m);
        }
        if (r == 0)
            return pa_errf(err, PA_EINPUT, "%s: offset %zu: truncated: expected %zu more bytes of %s, the file ends",
                           path, *off + got, len - got, what);
        got += (size_t)r;
    }
    *off += len;
    return PA_OK;
}

int idx_read(const char *path, idx_array **out, pa_err *err)
{
    *out = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return pa_errf(err, PA_EIO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    gzbuffer(f, 1u << 17);
    idx_array *a = pa_calloc(1, sizeof *a);
    size_t off = 0;
    unsigned char h[4];
    int rc;
    if (!a) {
        rc = pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((rc = read_exact(f, path, h, 4, &off, "the magic number", err)))
        goto fail;
    if (h[0] != 0 || h[1] != 0) {
        rc = pa_errf(err, PA_EINPUT, "%s: offset 0: bad magic %02x %02x: an IDX file starts with two zero bytes", path,
                     h[0], h[1]);
        goto fail;
    }
    if (h[2] != 0x08) {
        rc = pa_errf(err, PA_EINPUT, "%s: offset 2: IDX type 0x%02x is not supported: expected 0x08 (unsigned byte)",
                     path, h[2]);
        goto fail;
    }
    if (h[3] < 1 || h[3] > IDX_MAX_DIMS) {
        rc = pa_errf(err, PA_EINPUT, "%s: offset 3: %u dimensions: expected 1 to %d", path, h[3], IDX_MAX_DIMS);
        goto fail;
    }
    a->type = h[2];
    a->ndim = h[3];
    a->count = 1;
    for (size_t k = 0; k < a->ndim; k++) {
        unsigned char b[4];
        char what[48];
        snprintf(what, sizeof what, "dimension %zu", k);
        size_t at = off;
        if ((rc = read_exact(f, path, b, 4, &off, what, err)))
            goto fail;
        a->dims[k] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | (size_t)b[3];
        if (a->dims[k] == 0 || a->count > ((size_t)1 << 40) / a->dims[k]) {
            rc = pa_errf(err, PA_EINPUT, "%s: offset %zu: dimension %zu is %zu: expected 1 to 2^40 values in all",
                         path, at, k, a->dims[k]);
            goto fail;
        }
        a->count *= a->dims[k];
    }
    /* The buffer grows with the data actually read (doubling from 1 MB), so
     * a header that declares 2^40 values in a small file costs no more
     * memory than the file holds. */
    size_t cap = a->count < ((size_t)1 << 20) ? a->count : ((size_t)1 << 20), got = 0;
    if (!(a->data = pa_malloc(cap, 1))) {
        rc = pa_errf(err, PA_ENOMEM, "%s: out of memory for %zu values", path, a->count);
        goto fail;
    }
    while (got < a->count) {
        if (got == cap) {
            size_t nc = cap > a->count / 2 ? a->count : 2 * cap;
            uint8_t *nd = realloc(a->data, nc);
            if (!nd) {
                rc = pa_errf(err, PA_ENOMEM, "%s: out of memory for %zu values", path, a->count);
                goto fail;
            }
            a->data = nd;
            cap = nc;
        }
        size_t before = off;
        if ((rc = read_exact(f, path, a->data + got, cap - got, &off, "data", err))) {
            /* read_exact counted from this chunk: say what the whole array misses */
            if (err && strstr(err->msg, "truncated")) {
                size_t at = before;
                const char *o = strstr(err->msg, "offset ");
                if (o)
                    at = (size_t)strtoull(o + 7, NULL, 10);
                rc = pa_errf(err, PA_EINPUT, "%s: offset %zu: truncated: expected %zu more bytes of data, the file "
                             "ends", path, at, a->count - (got + (at - before)));
            }
            goto fail;
        }
        got = cap;
    }
    if (gzread(f, h, 1) > 0) {
        rc = pa_errf(err, PA_EINPUT, "%s: offset %zu: trailing bytes after the %zu values the header declares", path,
                     off, a->count);
        goto fail;
    }
    gzclose(f);
    *out = a;
    return PA_OK;
fail:
    gzclose(f);
    idx_free(a);
    return rc;
}

void idx_free(idx_array *a)
{
    if (!a)
        return;
    free(a->data);
    free(a);
}

int idx_to_table(const idx_array *images, const idx_array *labels, size_t K, const char *label_name, table **out,
                 pa_err *err)
{
    *out = NULL;
    if (!images || !labels || !label_name || !*label_name)
        return pa_errf(err, PA_EINPUT, "idx_to_table: images, labels and a label column name are required");
    if (labels->ndim != 1)
        return pa_errf(err, PA_EINPUT, "idx_to_table: the label array has %zu dimensions: expected 1", labels->ndim);
    if (K < 2 || K > 256)
        return pa_errf(err, PA_EINPUT, "idx_to_table: %zu classes: expected 2 to 256", K);
    size_t n = images->dims[0];
    if (labels->dims[0] != n)
        return pa_errf(err, PA_EINPUT, "idx_to_table: %zu images but %zu labels: expected as many labels as images", n,
                       labels->dims[0]);
    size_t p = images->count / n;
    for (size_t i = 0; i < n; i++)
        if (labels->data[i] >= K)
            return pa_errf(err, PA_EINPUT, "idx_to_table: record %zu has label %u: expected 0 to %zu", i,
                           labels->data[i], K - 1);
    schema *s = schema_new(p + 1);
    if (!s)
        return pa_errf(err, PA_ENOMEM, "idx_to_table: out of memory");
    for (size_t j = 0; j < p; j++) {
        char name[32];
        snprintf(name, sizeof name, "px%zu", j);
        col_spec *c = &s->cols[j];
        c->name = pa_strdup(name);
        c->kind = COL_NUM;
        c->lo = 0;
        c->hi = 255;
        c->integer = 1;
        if (!c->name) {
            schema_free(s);
            return pa_errf(err, PA_ENOMEM, "idx_to_table: out of memory");
        }
    }
    col_spec *c = &s->cols[p];
    c->name = pa_strdup(label_name);
    c->kind = COL_CAT;
    c->size = K;
    if (!c->name) {
        schema_free(s);
        return pa_errf(err, PA_ENOMEM, "idx_to_table: out of memory");
    }
    if (schema_col(s, label_name) != (int)p) {
        schema_free(s);
        return pa_errf(err, PA_EINPUT, "idx_to_table: label column name \"%s\" clashes with a pixel column",
                       label_name);
    }
    s->inferred = 0;
    table *t = tbl_new(s, n);
    schema_free(s);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "idx_to_table: out of memory for %zu x %zu values", n, p + 1);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *row = images->data + i * p;
        for (size_t j = 0; j < p; j++)
            t->num[j][i] = row[j];
        t->cat[p][i] = labels->data[i];
    }
    *out = t;
    return PA_OK;
}
