/* rda.h — reads data frames out of R's saved data (.rda / .RData / .rds).
 *
 * n = records (data-frame rows), d = columns.
 *
 * Scope. A file written by save() is an optionally compressed stream
 * (gzip, bzip2 or xz, detected by magic bytes; plain is accepted too) that
 * starts with "RDX2\n" or "RDX3\n" and continues with R's serialisation in
 * the XDR (big-endian) format "X\n", version 2 or 3 (version 3 carries the
 * writer's native-encoding name after the version header). The serialised
 * object is a pairlist whose tags are the object names. A bare serialisation
 * written by saveRDS() (no RDX header, starts with "X\n") is accepted too:
 * it holds one unnamed object, listed under the file's base name without
 * extension. The ASCII ("A\n") and native-binary ("B\n") formats are not.
 *
 * The reader parses every R object type that save() can write (so that it
 * can walk past them: closures, environments, byte code, S4 objects...) but
 * only converts data frames: a VECSXP with class "data.frame", "names" and
 * "row.names" (possibly compact c(NA, -n)), whose columns are factors
 * (ordered or not), logical, integer, double or character vectors. ALTREP
 * compact_intseq / compact_realseq / wrap_* / deferred_string objects are
 * expanded. Decompressed streams larger than RDA_MAX_BYTES are refused, and
 * every length read from the file is capped by the bytes that remain, so a
 * corrupt or hostile file yields an error, never a crash or a huge
 * allocation.
 *
 * Conversion to a table (schema->inferred = 1: every bound below is read off
 * the data, which leaks; replace the schema before a DP run):
 *   factor     -> COL_CAT, labels = levels (in level order)
 *   logical    -> COL_CAT, labels {"FALSE", "TRUE"}
 *   character  -> COL_CAT, labels = sorted (byte order) distinct strings
 *   integer    -> COL_NUM, integer = 1, [lo, hi] = observed min/max
 *   double     -> COL_NUM, integer = 0, [lo, hi] = observed min/max
 *                 (classed doubles such as Date are read as their numbers)
 * If lo == hi (constant column) hi becomes lo + 1 (the next double up where
 * lo + 1 rounds to lo; at the largest double, lo moves one double down); an
 * all-NA numeric column gets [0, 1]. NA: a categorical column with NAs gets one extra last label
 * "NA" with has_missing = 1 and missing_code = its code (so the CSV written
 * by tbl_write_csv holds "NA", which tbl_read_csv maps back to that code). A
 * numeric column with NAs gets has_missing = 1 and missing_value = lo, and
 * its NA cells hold lo (the table cannot store NA; the CSV then holds lo).
 * Any NaN is NA (R's NA_real_ is a NaN with payload 1954; NaN proper is
 * folded into NA too).
 *
 * Every error message names the file, the byte offset in the decompressed
 * stream and what was expected.
 */
#ifndef PA_RDA_H
#define PA_RDA_H

#include <stddef.h>

#include "core/err.h"
#include "core/table.h"

/* Largest decompressed stream accepted (bytes). */
#define RDA_MAX_BYTES ((size_t)1 << 30)

/* One top-level object of an .rda file, as listed by rda_list_info. */
typedef struct rda_info {
    char *name;       /* object name (tag in the saved pairlist) */
    char *kind;       /* "data.frame", or R's type name ("integer", "list", "closure", ...) */
    size_t nrow;      /* data frames: rows; vectors: length; else 0 */
    size_t ncol;      /* data frames: columns; else 0 */
} rda_info;

/* Reads the data frame named `object` (NULL: the first data frame in the
 * file) from the .rda file at `path` into a new table (*out, free with
 * tbl_free) with a schema drafted from R's types as described at the top of
 * this header (schema->inferred = 1). Returns PA_OK; PA_EINPUT if the file
 * cannot be opened (util_read_file), PA_EIO if reading it fails; PA_EINPUT for a malformed file, a missing object, an
 * object that is not a data frame or a column type that cannot be
 * converted; PA_ENOMEM. On error *out is NULL and err names the file, the
 * byte offset and what was expected. */
int rda_read_frame(const char *path, const char *object, table **out, pa_err *err);

/* Same, and *name (if name is not NULL) gets a new copy of the object's
 * name (free it), useful when object is NULL. On error *name is NULL. */
int rda_read_frame_named(const char *path, const char *object, table **out, char **name, pa_err *err);

/* Same as rda_read_frame, from the len bytes at buf (the file's bytes, possibly compressed);
 * `name` stands for the file name in messages and names the object of a
 * bare saveRDS stream. buf is not modified nor kept. */
int rda_read_frame_mem(const unsigned char *buf, size_t len, const char *name, const char *object,
                       table **out, pa_err *err);

/* Names of the top-level objects in the file, in file order: *names is a new
 * array of *n new strings (free with rda_names_free). On error *names is
 * NULL and *n is 0. */
int rda_list(const char *path, char ***names, size_t *n, pa_err *err);

/* Frees what rda_list returned; accepts NULL. */
void rda_names_free(char **names, size_t n);

/* Like rda_list, with each object's kind and shape: *out is a new array of
 * *n entries (free with rda_info_free). */
int rda_list_info(const char *path, rda_info **out, size_t *n, pa_err *err);

/* Same, from bytes in memory (see rda_read_frame_mem). */
int rda_list_info_mem(const unsigned char *buf, size_t len, const char *name, rda_info **out,
                      size_t *n, pa_err *err);

/* Frees what rda_list_info returned; accepts NULL. */
void rda_info_free(rda_info *info, size_t n);

#endif
