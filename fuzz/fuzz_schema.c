/* fuzz_schema.c — schema JSON (core/schema.c, core/json.c) on arbitrary bytes.
 * Properties: a schema that reads is valid, and written back it reads again
 * to the same JSON text (a fixed point after one write). */
#include "fuzz/fuzz.h"

#include "core/table.h"

static int fuzz_schema(const uint8_t *data, size_t n)
{
    const char *p = fuzz_file(0, data, n);
    schema *s = NULL;
    pa_err e;
    if (schema_read(p, &s, &e) != PA_OK)
        return 0;
    if (schema_validate(s, &e) != PA_OK)
        FUZZ_FAIL("a schema that reads is invalid: %s", e.msg);
    char *a = schema_to_json(s);
    schema *t = NULL;
    if (!a || schema_parse(a, "written", &t, &e) != PA_OK)
        FUZZ_FAIL("a schema written back does not read: %s\n%s", e.msg, a ? a : "(null)");
    char *b = schema_to_json(t);
    if (!b || strcmp(a, b) != 0)
        FUZZ_FAIL("written twice, a schema changes:\n%s\n---\n%s", a, b ? b : "(null)");
    free(a);
    free(b);
    schema_free(s);
    schema_free(t);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    return fuzz_schema(data, n);
}
#endif
