/* idx.h — the IDX array format (LeCun's MNIST files; Fashion-MNIST uses it too).
 *
 * n = records (the first dimension), p = values per record (product of the
 * other dimensions), K = classes.
 *
 * An IDX file is: two zero bytes, a type byte (0x08 unsigned byte, 0x09
 * signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), a byte
 * holding the number of dimensions, one big-endian uint32 per dimension, then
 * the values row-major in big-endian order. Files may be gzip-compressed
 * (read through zlib, which also reads uncompressed files unchanged); offsets
 * in error messages count bytes of the uncompressed stream.
 */
#ifndef PA_IDX_H
#define PA_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/table.h"

#define IDX_MAX_DIMS 8

typedef struct idx_array {
    uint8_t type;               /* 0x08 — the only type read so far */
    size_t ndim;                /* number of dimensions, 1..IDX_MAX_DIMS */
    size_t dims[IDX_MAX_DIMS];  /* dims[0] = n, ... */
    size_t count;               /* product of dims: number of values */
    uint8_t *data;              /* (count) values, row-major */
} idx_array;

/* Reads an IDX file of unsigned bytes (type 0x08), gzip'd or not.
 * On success *out is a new array (free with idx_free). On error *out is NULL
 * and PA_EINPUT names the file and the byte offset of the problem (bad magic,
 * unsupported type, zero or too many dimensions, truncated header or data,
 * trailing bytes), PA_EIO if the file cannot be opened, PA_ENOMEM. */
int idx_read(const char *path, idx_array **out, pa_err *err);

/* Frees a; accepts NULL. */
void idx_free(idx_array *a);

/* A table from an image array (n, ...) and a label array (n): p numeric
 * columns "px0".."px{p-1}" (integer values, bounds [0, 255] — the range of
 * the unsigned-byte format, public) and a categorical column `label_name`
 * with K codes 0..K-1 (no labels: the CSV holds codes). The schema has
 * "inferred" = 0. PA_EINPUT if the first dimensions differ, labels is not
 * one-dimensional, or a label is >= K (naming the record). On error *out is
 * NULL. */
int idx_to_table(const idx_array *images, const idx_array *labels, size_t K, const char *label_name,
                 table **out, pa_err *err);

#endif
