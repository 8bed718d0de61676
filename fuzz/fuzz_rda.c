/* fuzz_rda.c — the R data reader (core/rda.c) on arbitrary bytes.
 * Properties: listing and reading never crash; a data frame that reads is
 * written as `data import` writes it (schema JSON + CSV) and its drafted
 * schema accepts that CSV, back to the same table (issue 13, item 13). */
#include "fuzz/fuzz.h"

#include "core/rda.h"

static int fuzz_rda(const uint8_t *data, size_t n)
{
    pa_err e;
    rda_info *info = NULL;
    size_t ni = 0;
    if (rda_list_info_mem(data, n, "fuzz.rda", &info, &ni, &e) == PA_OK)
        rda_info_free(info, ni);
    table *t = NULL;
    if (rda_read_frame_mem(data, n, "fuzz.rda", NULL, &t, &e) != PA_OK)
        return 0;
    char sp[128], cp[128];
    snprintf(sp, sizeof sp, "%s/frame.schema.json", fuzz_dir());
    snprintf(cp, sizeof cp, "%s/frame.csv", fuzz_dir());
    schema *s = NULL;
    table *u = NULL;
    int w = schema_write(t->s, sp, &e);
    if (w == PA_OK)
        w = tbl_write_csv(t, cp, &e);
    if (w == PA_OK) {
        if (schema_read(sp, &s, &e) != PA_OK)
            FUZZ_FAIL("an imported draft does not read back: %s", e.msg);
        if (tbl_read_csv(cp, s, &u, &e) != PA_OK)
            FUZZ_FAIL("an imported draft rejects its CSV: %s", e.msg);
        if (tbl_hash(u) != tbl_hash(t))
            FUZZ_FAIL("an imported CSV does not read back to the frame");
    } else if (e.code != PA_EINPUT) {
        FUZZ_FAIL("writing an imported frame failed: %s", e.msg);
    }
    schema_free(s);
    tbl_free(u);
    tbl_free(t);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    return fuzz_rda(data, n);
}
#endif
