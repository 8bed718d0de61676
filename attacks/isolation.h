/* isolation.h — the most isolated records of a table (target selection of
 * the membership game; docs/config.md "targets").
 *
 * The isolation of a candidate record is its mean distance (mia_distance:
 * Hamming on categorical columns + range-normalised L1 on numeric ones) to
 * its ISO_NEIGHBOURS nearest records of a reference table, itself excluded.
 */
#ifndef PA_ISOLATION_H
#define PA_ISOLATION_H

#include <stddef.h>

#include "core/err.h"
#include "core/table.h"

#define ISO_NEIGHBOURS 5

/* Isolation of row i of cand against ref, skipping row self of ref
 * (SIZE_MAX: none): the plain O(|ref| d) scan, the reference of
 * iso_select. 0 when ref has no other row. */
double iso_naive(const table *cand, size_t i, const table *ref, size_t self);

/* The k most isolated rows of cand (ties: the lower row first), scanned
 * on `jobs` threads: chosen[q] is the q-th (row of cand) and iso[q] its
 * isolation, exactly as iso_naive computes it. self[i] is candidate i's row
 * in ref (SIZE_MAX: not in ref), or self = NULL when no candidate is.
 * Exact pruning keeps the scan far below |cand| |ref| d: a distance sum
 * stops once it reaches the current ISO_NEIGHBOURS-th nearest, and a
 * candidate stops once the mean of its nearest so far (which only shrinks)
 * is below the k-th largest isolation already found. The result does not
 * depend on jobs. PA_EINPUT if k > cand->n or the schemas differ in width,
 * PA_ENOMEM. */
int iso_select(const table *cand, const table *ref, const size_t *self, size_t k, int jobs, size_t *chosen,
               double *iso, pa_err *err);

#endif
