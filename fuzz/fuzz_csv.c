/* fuzz_csv.c — the CSV reader (core/csv.c) on arbitrary bytes.
 * Properties: reading under a fixed schema never crashes; when a schema can
 * be drafted from the bytes (data infer), the draft survives JSON and
 * accepts the very CSV it came from with as many rows (issue 13, item 13). */
#include "fuzz/fuzz.h"

#include "core/table.h"

static const char FIXED[] =
    "{\"format\": \"privaudit-schema/1\", \"missing\": [\"\", \"NA\", \"?\"], \"columns\": ["
    "{\"name\": \"a\", \"type\": \"categorical\", \"labels\": [\"x\", \"y\", \"NA\"], \"missing_label\": \"NA\"},"
    "{\"name\": \"b\", \"type\": \"numeric\", \"min\": -1e6, \"max\": 1e6, \"missing_value\": 0},"
    "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 5},"
    "{\"name\": \"d\", \"type\": \"numeric\", \"min\": 0, \"max\": 120, \"integer\": true}]}";

static int fuzz_csv(const uint8_t *data, size_t n)
{
    static schema *fixed;
    pa_err e;
    if (!fixed && schema_parse(FIXED, "fixed", &fixed, &e) != PA_OK)
        FUZZ_FAIL("the fixed schema does not parse: %s", e.msg);
    const char *p = fuzz_file(0, data, n);
    table *t = NULL;
    if (tbl_read_csv(p, fixed, &t, &e) == PA_OK && t->n > 0 && !t->cat[0])
        FUZZ_FAIL("a table without its categorical column");
    tbl_free(t);
    schema *s = NULL, *back = NULL;
    if (schema_infer(p, &s, &e) != PA_OK)
        return 0;
    char *json = schema_to_json(s);
    if (!json)
        FUZZ_FAIL("schema_to_json failed");
    if (schema_parse(json, "draft", &back, &e) != PA_OK)
        FUZZ_FAIL("a drafted schema does not parse back: %s\n%s", e.msg, json);
    t = NULL;
    if (tbl_read_csv(p, back, &t, &e) != PA_OK)
        FUZZ_FAIL("the draft rejects the CSV it was drafted from: %s\n%s", e.msg, json);
    tbl_free(t);
    schema_free(back);
    schema_free(s);
    free(json);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    return fuzz_csv(data, n);
}
#endif
