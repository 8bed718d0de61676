/* fuzz_idx.c — the IDX reader (core/idx.c) on arbitrary bytes, plain or
 * gzip'd. Properties: never a crash; an array that reads has 1..8
 * dimensions whose product is its count; images and labels split from the
 * same bytes (a 4-byte length, then the two files) turn into a table of
 * one row per image or a clean error. */
#include "fuzz/fuzz.h"

#include "core/idx.h"

static int fuzz_idx(const uint8_t *data, size_t n)
{
    /* a 4-byte big-endian length splits the rest into two files: images | labels */
    size_t cut = 0, m = 0;
    const uint8_t *rest = data;
    if (n >= 4) {
        cut = (size_t)data[0] << 24 | (size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3];
        rest = data + 4;
        m = n - 4;
    }
    if (cut > m)
        cut = m;
    const char *pi = fuzz_file(0, rest, cut), *pl = fuzz_file(1, rest + cut, m - cut);
    idx_array *img = NULL, *lab = NULL;
    pa_err e;
    int ri = idx_read(pi, &img, &e);
    int rl = idx_read(pl, &lab, &e);
    for (int k = 0; k < 2; k++) {
        idx_array *a = k ? lab : img;
        if (!a)
            continue;
        size_t prod = 1;
        if (a->ndim < 1 || a->ndim > IDX_MAX_DIMS)
            FUZZ_FAIL("an IDX array with %zu dimensions", a->ndim);
        for (size_t d = 0; d < a->ndim; d++)
            prod *= a->dims[d];
        if (prod != a->count)
            FUZZ_FAIL("dimensions multiply to %zu, count %zu", prod, a->count);
    }
    if (ri == PA_OK && rl == PA_OK && img->count <= 1000000) {
        table *t = NULL;
        if (idx_to_table(img, lab, 10, "label", &t, &e) == PA_OK && t->n != img->dims[0])
            FUZZ_FAIL("a table of %zu rows from %zu images", t->n, img->dims[0]);
        tbl_free(t);
    }
    idx_free(img);
    idx_free(lab);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    return fuzz_idx(data, n);
}
#endif
