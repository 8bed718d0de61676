/* nearest.h — exact nearest records under the distance of the distance
 * attacks (mia_distance, attacks/mia.h), optionally restricted to a subset of
 * the columns: Hamming on categorical columns plus range-normalised L1
 * |a − b| / (hi − lo) on numeric ones, summed in column order.
 *
 * m = reference records (the synthetic data), n = query records,
 * C = categorical columns of the subset, P = numeric ones.
 *
 * The index groups the reference rows by their categorical values; within a
 * group the rows are sorted by one numeric column (the one with the largest
 * spread). A query visits the groups in increasing Hamming distance and, in a
 * group, the rows outward from its own value of that column, and stops where
 * the Hamming distance plus the gap on that column exceed the best distance
 * found (with a margin of 1e-12 for rounding): the answer is the brute-force
 * one (near_query_naive, tested), found in far fewer distance evaluations. Ties
 * are exact equality of the distance as near_distance computes it.
 *
 * An index is read-only once built: several threads may query it at once.
 * (Prefix near_: nanomsg, which Criterion links, exports nn_*.)
 */
#ifndef PA_NEAREST_H
#define PA_NEAREST_H

#include <stddef.h>

#include "core/err.h"
#include "core/table.h"

typedef struct near_index near_index;

/* Indexes the rows of ref on the columns cols[0..ncols-1] (strictly
 * increasing column indices), or on every column when cols is NULL. ref must
 * outlive the index. On success *out is the index (free with near_free); on
 * error *out is NULL: PA_EINPUT (bad or repeated column, ref has no rows),
 * PA_ENOMEM. */
int near_build(const table *ref, const int *cols, size_t ncols, near_index **out, pa_err *err);

/* Frees ix; accepts NULL. */
void near_free(near_index *ix);

/* Distance between row i of q and row r of the indexed table over the
 * index's columns, summed in column order (over every column it equals
 * mia_distance). q must have the indexed table's schema. */
double near_distance(const near_index *ix, const table *q, size_t i, size_t r);

/* Smallest distance from row i of q to the indexed rows. If ties is not NULL,
 * ties[0..min(cap, *n_ties)-1] receive reference rows at that distance, the
 * smallest row numbers first; *n_ties (if not NULL) gets how many rows are at
 * that distance (it may exceed cap). */
double near_query(const near_index *ix, const table *q, size_t i, size_t *ties, size_t cap, size_t *n_ties);

/* The same answer by scanning every reference row (the reference the index
 * is tested against). */
double near_query_naive(const near_index *ix, const table *q, size_t i, size_t *ties, size_t cap, size_t *n_ties);

#endif
