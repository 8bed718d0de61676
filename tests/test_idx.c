/* test_idx.c — the IDX reader (core/idx.c).
 *
 * n = records, p = values per record. Fixture files are written by the tests
 * byte by byte from the format's definition (LeCun's MNIST page: two zero
 * bytes, type 0x08, number of dimensions, big-endian uint32 dimensions, data).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <zlib.h>

#include "core/idx.h"
#include "testutil.h"

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(idx, .init = setup, .fini = teardown);

/* Writes len bytes to dir/name (gzip'd when gz); returns the malloc'd path. */
static char *write_bytes(const char *name, const unsigned char *b, size_t len, int gz)
{
    char *path = tu_path(dir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        cr_assert(f);
        cr_assert_eq(gzwrite(f, b, (unsigned)len), (int)len);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        cr_assert(f);
        cr_assert_eq(fwrite(b, 1, len, f), len);
        fclose(f);
    }
    return path;
}

/* 3 images of 2x2 pixels, values 0..11, and their labels 2, 0, 1. */
static const unsigned char images3[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255};
static const unsigned char labels3[] = {0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1};

static void check_images(const idx_array *a)
{
    cr_assert_eq(a->ndim, 3);
    cr_assert_eq(a->dims[0], 3);
    cr_assert_eq(a->dims[1], 2);
    cr_assert_eq(a->dims[2], 2);
    cr_assert_eq(a->count, 12);
    cr_assert_eq(memcmp(a->data, images3 + 16, 12), 0);
}

Test(idx, reads_a_plain_file_with_big_endian_dimensions)
{
    /* dimension 258 = 0x00000102 checks the byte order */
    unsigned char b[8 + 258];
    memcpy(b, (unsigned char[]){0, 0, 8, 1, 0, 0, 1, 2}, 8);
    for (size_t k = 0; k < 258; k++)
        b[8 + k] = (unsigned char)(k * 7);
    char *path = write_bytes("big.idx", b, sizeof b, 0);
    idx_array *a;
    pa_err e = {0};
    cr_assert_eq(idx_read(path, &a, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(a->dims[0], 258);
    cr_assert_eq(a->data[257], (unsigned char)(257 * 7));
    idx_free(a);
    free(path);
}

Test(idx, reads_a_gzipped_file_the_same_as_a_plain_one)
{
    char *pg = write_bytes("img.gz", images3, sizeof images3, 1);
    char *pp = write_bytes("img.idx", images3, sizeof images3, 0);
    idx_array *a, *b;
    pa_err e = {0};
    cr_assert_eq(idx_read(pg, &a, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(idx_read(pp, &b, &e), PA_OK, "%s", e.msg);
    check_images(a);
    check_images(b);
    idx_free(a);
    idx_free(b);
    free(pg);
    free(pp);
}

Test(idx, rejects_a_bad_magic_naming_file_and_offset_0)
{
    unsigned char b[sizeof images3];
    memcpy(b, images3, sizeof b);
    b[1] = 1;
    char *path = write_bytes("bad.idx", b, sizeof b, 0);
    idx_array *a = (idx_array *)1;
    pa_err e = {0};
    cr_assert_eq(idx_read(path, &a, &e), PA_EINPUT);
    cr_assert_null(a);
    cr_assert(strstr(e.msg, path) && strstr(e.msg, "offset 0") && strstr(e.msg, "magic"), "%s", e.msg);
    free(path);
}

Test(idx, rejects_an_unsupported_type_at_offset_2)
{
    unsigned char b[sizeof images3];
    memcpy(b, images3, sizeof b);
    b[2] = 0x0D; /* float32 */
    char *path = write_bytes("float.idx", b, sizeof b, 0);
    idx_array *a;
    pa_err e = {0};
    cr_assert_eq(idx_read(path, &a, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "offset 2") && strstr(e.msg, "0x0d"), "%s", e.msg);
    free(path);
}

Test(idx, rejects_truncated_data_with_the_offset_where_it_ends)
{
    /* header 16 bytes + 12 values; cut after 5 values: the file ends at offset 21 */
    char *path = write_bytes("cut.gz", images3, 21, 1);
    idx_array *a = (idx_array *)1;
    pa_err e = {0};
    cr_assert_eq(idx_read(path, &a, &e), PA_EINPUT);
    cr_assert_null(a);
    cr_assert(strstr(e.msg, path) && strstr(e.msg, "offset 21") && strstr(e.msg, "truncated") &&
                  strstr(e.msg, "7 more bytes"),
              "%s", e.msg);
    free(path);
}

Test(idx, rejects_a_truncated_header_and_trailing_bytes)
{
    char *p1 = write_bytes("hdr.idx", images3, 10, 0); /* ends inside dimension 1 (bytes 8..11) */
    idx_array *a;
    pa_err e = {0};
    cr_assert_eq(idx_read(p1, &a, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "offset 10") && strstr(e.msg, "dimension 1"), "%s", e.msg);
    unsigned char b[sizeof images3 + 1];
    memcpy(b, images3, sizeof images3);
    b[sizeof images3] = 9;
    char *p2 = write_bytes("long.idx", b, sizeof b, 0);
    cr_assert_eq(idx_read(p2, &a, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "offset 28") && strstr(e.msg, "trailing"), "%s", e.msg);
    free(p1);
    free(p2);
}

Test(idx, a_missing_file_is_an_io_error)
{
    char *path = tu_path(dir, "nope.idx");
    idx_array *a = (idx_array *)1;
    pa_err e = {0};
    cr_assert_eq(idx_read(path, &a, &e), PA_EIO);
    cr_assert_null(a);
    cr_assert(strstr(e.msg, path), "%s", e.msg);
    free(path);
}

Test(idx, makes_a_table_of_pixel_columns_and_a_label_column)
{
    char *pi = write_bytes("i.gz", images3, sizeof images3, 1);
    char *pl = write_bytes("l.gz", labels3, sizeof labels3, 1);
    idx_array *im, *lb;
    table *t;
    pa_err e = {0};
    cr_assert_eq(idx_read(pi, &im, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(idx_read(pl, &lb, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(idx_to_table(im, lb, 3, "label", &t, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(t->n, 3);
    cr_assert_eq(t->d, 5);
    cr_assert_str_eq(t->s->cols[3].name, "px3");
    cr_assert_eq(t->s->cols[0].kind, COL_NUM);
    cr_assert(t->s->cols[0].lo == 0 && t->s->cols[0].hi == 255 && t->s->cols[0].integer);
    cr_assert_eq(t->s->cols[4].kind, COL_CAT);
    cr_assert_eq(t->s->cols[4].size, 3);
    cr_assert_eq(t->s->inferred, 0);
    cr_assert(t->num[1][1] == 5 && t->num[3][2] == 255);
    cr_assert(t->cat[4][0] == 2 && t->cat[4][1] == 0 && t->cat[4][2] == 1);
    tbl_free(t);
    /* a label >= K names the record */
    t = (table *)1;
    cr_assert_eq(idx_to_table(im, lb, 2, "label", &t, &e), PA_EINPUT);
    cr_assert_null(t);
    cr_assert(strstr(e.msg, "record 0") && strstr(e.msg, "label 2"), "%s", e.msg);
    /* images as labels: not one-dimensional */
    cr_assert_eq(idx_to_table(im, im, 3, "label", &t, &e), PA_EINPUT);
    idx_free(im);
    idx_free(lb);
    free(pi);
    free(pl);
}

Test(idx, a_header_declaring_more_values_than_the_file_holds_costs_no_memory)
{
    /* found by make fuzz (tests/fuzz/idx/): a header declaring 4096^3 = 2^36
     * values in a file of 19 bytes made idx_read allocate them all first */
    unsigned char b[16 + 3] = {0, 0, 0x08, 3, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 1, 2, 3};
    char *path = write_bytes("huge.idx", b, sizeof b, 0);
    idx_array *a = (idx_array *)1;
    pa_err e = {0};
    cr_assert_eq(idx_read(path, &a, &e), PA_EINPUT, "%s", e.msg);
    cr_assert_null(a);
    cr_assert(strstr(e.msg, "offset 19") && strstr(e.msg, "truncated") && strstr(e.msg, "68719476733 more bytes"),
              "%s", e.msg);
    free(path);
}
