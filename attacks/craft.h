/* craft.h — crafted challenge records (config targets.select "crafted").
 *
 * A crafted target is not a row of the data: it is built from the schema to
 * stand out from a reference table D (the fixed game's D, or the population
 * split in the average game). With K_j cells of column j (its codes, or the
 * shared bins of audit/utility.h for a numeric column) ranked by their count
 * in D, rarest first (ties: lower cell first), target t takes
 *   - categorical column j: the code of rank t mod K_j (so target 0 has
 *     every column's least frequent code, a code absent from D if there is
 *     one; target 1 the next-rarest, ...);
 *   - numeric column j: a schema bound, lo or hi, the one whose bin is rarer
 *     in D for even t, the other for odd t.
 * Distinct t then differ in every column that has at least two cells.
 */
#ifndef PA_CRAFT_H
#define PA_CRAFT_H

#include <stddef.h>

#include "core/err.h"
#include "core/table.h"

/* k crafted records against ref (ref->n may be 0: every count is 0), with
 * numeric columns binned by `bins` (util_col_bins). PA_EINPUT if two of the
 * k records would be equal (the schema has too few cells for k distinct
 * ones), with a message naming k and the largest possible count. */
int craft_targets(const table *ref, size_t k, size_t bins, table **out, pa_err *err);

#endif
