/* pgm.h — shared helpers of the marginal-based generators (MST, PrivBayes).
 *
 * n = records, d = columns, c = cells of a marginal.
 *
 * Both generators work on a table of codes: every column becomes a discrete
 * attribute by the binning rule of audit/utility.h (categorical codes as they
 * are; one bin per integer for small integer ranges; equal-width plus
 * log-spaced bins over the schema bounds for non-negative columns,
 * equal-width for others). Sampling maps a bin back to a value drawn
 * uniformly within the bin.
 */
#ifndef PA_PGM_H
#define PA_PGM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/table.h"

typedef struct pgm_codes {
    size_t n;          /* records */
    size_t d;          /* attributes (== table columns) */
    size_t *card;      /* (d) number of codes of each attribute */
    int32_t *x;        /* (d, n) column-major: x[j*n + i] is record i's code for attribute j */
} pgm_codes;

/* Encodes t with `bins` bins for numeric columns (bins ≥ 1). On success
 * *out is new (free with pgm_codes_free); on error NULL. */
int pgm_encode(const table *t, size_t bins, pgm_codes **out, pa_err *err);

/* Frees c; accepts NULL. */
void pgm_codes_free(pgm_codes *c);

/* Writes column j of t (t->n records) from the codes in code[0..t->n-1]:
 * categorical codes are copied, one-bin-per-integer codes become their
 * integer, other numeric bins [edges[b], edges[b+1]) (util_col_edges) become
 * values drawn from r uniformly within the bin — for an integer column, an
 * integer drawn uniformly among those whose bin is b. PA_ENOMEM on failure
 * (the column is then left unwritten). */
int pgm_decode_column(table *t, size_t j, const int32_t *code, size_t bins, gsl_rng *r);

/* Product of card[cols[0..k-1]], or 0 if it overflows `limit`. */
size_t pgm_cells(const size_t *card, const size_t *cols, size_t k, size_t limit);

/* Counts of the k-way marginal over attributes cols[0..k-1] into
 * out[0..cells-1] (zeroed first); the cell index is row-major with cols[0]
 * slowest. */
void pgm_count(double *out, const pgm_codes *x, const size_t *cols, size_t k);

/* Euclidean projection of v[0..c-1] onto {w ≥ 0, Σ w = total} in place
 * (Duchi et al. 2008, sort-based). total ≥ 0. */
void pgm_project_simplex(double *v, size_t c, double total);

/* Turns the non-negative weights w[0..c-1] into a cumulative distribution in
 * place (last entry exactly 1). All-zero weights become uniform. */
void pgm_cumulate(double *w, size_t c);

/* Index drawn from the cumulative distribution cdf[0..c-1] (as
 * pgm_cumulate leaves it) with one uniform variate u from r: the first
 * index with cdf > u, c - 1 if none (a branch-free binary search; reads
 * cdf[0..c-2] only; 0 for c <= 1). */
size_t pgm_draw(const double *cdf, size_t c, gsl_rng *r);

#endif
