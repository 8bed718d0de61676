/* test_table.c — schema JSON, CSV reading/writing, schema drafting. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <time.h>

#include "core/table.h"
#include "tests/testutil.h"

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(table, .init = setup, .fini = teardown);

static const char *const SCHEMA =
    "{\"format\": \"privaudit-schema/1\", \"columns\": ["
    " {\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 120, \"integer\": true, \"role\": \"qi\","
    "  \"missing_value\": 0},"
    " {\"name\": \"city\", \"type\": \"categorical\", \"labels\": [\"Bern\", \"Gen\\u00e8ve\", \"a, b\", \"NA\"],"
    "  \"role\": [\"qi\"], \"missing_label\": \"NA\"},"
    " {\"name\": \"sick\", \"type\": \"categorical\", \"size\": 2, \"role\": \"secret\"},"
    " {\"name\": \"w\", \"type\": \"numeric\", \"min\": -1, \"max\": 1}]}";

static schema *parse(const char *json)
{
    schema *s = NULL;
    pa_err e = {0};
    cr_assert_eq(schema_parse(json, "t.json", &s, &e), PA_OK, "%s", e.msg);
    return s;
}

Test(table, schema_reads_kinds_roles_and_missing_rules)
{
    schema *s = parse(SCHEMA);
    cr_assert_eq(s->d, 4);
    cr_assert_eq(s->cols[0].kind, COL_NUM);
    cr_assert_eq(s->cols[0].roles, ROLE_QI);
    cr_assert(s->cols[0].integer);
    cr_assert_eq(s->cols[1].size, 4);
    cr_assert_str_eq(s->cols[1].labels[1], "Gen\xc3\xa8ve");
    cr_assert_eq(s->cols[1].missing_code, 3);
    cr_assert_eq(s->cols[2].roles, ROLE_SECRET);
    cr_assert_null(s->cols[2].labels);
    cr_assert_eq(schema_col(s, "w"), 3);
    cr_assert_eq(schema_col(s, "nope"), -1);
    schema_free(s);
}

Test(table, schema_domain_form_gives_code_columns)
{
    schema *s = parse("{\"age\": 85, \"sex\": 2, \"income>50K\": 2}");
    cr_assert_eq(s->d, 3);
    cr_assert_eq(s->cols[0].kind, COL_CAT);
    cr_assert_eq(s->cols[0].size, 85);
    cr_assert_str_eq(s->cols[2].name, "income>50K");
    schema_free(s);
}

Test(table, schema_survives_a_write_and_read_round_trip)
{
    schema *s = parse(SCHEMA);
    char *p = tu_path(dir, "s.json");
    pa_err e;
    cr_assert_eq(schema_write(s, p, &e), PA_OK, "%s", e.msg);
    schema *t = NULL;
    cr_assert_eq(schema_read(p, &t, &e), PA_OK, "%s", e.msg);
    char *a = schema_to_json(s), *b = schema_to_json(t);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    free(p);
    schema_free(s);
    schema_free(t);
}

/* Criterion copies parameters into the test's process: strings are held
 * in the struct, not pointed to. */
typedef struct bad_case {
    char json[300];
    char msg[80]; /* substring the message must contain */
} bad_case;

static bad_case bad_schemas[] = {
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [", .msg = "t.json:1:"},
    {.json = "{\"format\": \"x\", \"columns\": []}", .msg = "field \"format\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [], \"x\": 1}", .msg = "columns"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"colums\": [{}]}", .msg = "unknown field \"colums\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"numeric\", \"min\": 0}]}",
     .msg = "needs \"min\" and \"max\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"numeric\", \"min\": 2,"
             " \"max\": 1}]}",
     .msg = "min < max"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"text\"}]}",
     .msg = "expected \"categorical\" or \"numeric\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\"}]}",
     .msg = "needs \"labels\" or \"size\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
             " \"size\": 2}, {\"name\": \"a\", \"type\": \"categorical\", \"size\": 2}]}",
     .msg = "appears twice"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
             " \"labels\": [\"x\"], \"role\": \"boss\"}]}",
     .msg = "unknown role \"boss\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
             " \"labels\": [\"x\"], \"missing_label\": \"y\"}]}",
     .msg = "not one of the labels"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"numeric\","
             " \"min\": 0, \"max\": 1, \"bins\": 3}]}",
     .msg = "unknown field \"bins\""},
    {.json = "{\"age\": 0}", .msg = "positive integer domain size"},
    {.json = "[1, 2]", .msg = "expected a JSON object"},
};

ParameterizedTestParameters(table, malformed_schemas_are_rejected_with_a_message)
{
    return cr_make_param_array(bad_case, bad_schemas, sizeof bad_schemas / sizeof bad_schemas[0]);
}

ParameterizedTest(bad_case *c, table, malformed_schemas_are_rejected_with_a_message)
{
    schema *s = (schema *)0x1;
    pa_err e = {0};
    cr_assert_eq(schema_parse(c->json, "t.json", &s, &e), PA_EINPUT);
    cr_assert_null(s);
    cr_assert(strstr(e.msg, c->msg), "message \"%s\" lacks \"%s\"", e.msg, c->msg);
}

Test(table, csv_reads_quotes_crlf_missing_and_columns_in_any_order)
{
    schema *s = parse(SCHEMA);
    char *p = tu_write(dir, "d.csv",
                       "sick,w,\"city\",age\r\n"
                       "1,0.5,\"a, b\",34\r\n"
                       "0,-1,NA,\r\n"
                       "1,1e-1,\"Gen\xc3\xa8ve\",120\n"
                       "\n"
                       "0,0,Bern,7");
    table *t = NULL;
    pa_err e;
    cr_assert_eq(tbl_read_csv(p, s, &t, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(t->n, 4);
    cr_assert_eq(t->num[0][0], 34);
    cr_assert_eq(t->num[0][1], 0, "a missing age becomes missing_value");
    cr_assert_eq(t->cat[1][0], 2);
    cr_assert_eq(t->cat[1][1], 3, "NA is the missing label");
    cr_assert_eq(t->cat[1][2], 1);
    cr_assert_eq(t->cat[2][2], 1);
    cr_assert_float_eq(t->num[3][2], 0.1, 1e-15);
    /* round trip through the writer */
    char *q = tu_path(dir, "out.csv");
    cr_assert_eq(tbl_write_csv(t, q, &e), PA_OK, "%s", e.msg);
    table *u = NULL;
    cr_assert_eq(tbl_read_csv(q, s, &u, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(tbl_hash(t), tbl_hash(u));
    tbl_free(t);
    tbl_free(u);
    schema_free(s);
    free(p);
    free(q);
}

typedef struct csv_case {
    char text[120];
    char msg[100];
} csv_case;

static csv_case bad_csvs[] = {
    {.text = "", .msg = "d.csv:1: empty file"},
    {.text = "age,city,sick\n1,Bern,0\n", .msg = "lacks column \"w\""},
    {.text = "age,city,sick,w,zip\n", .msg = "header column 5 \"zip\" is not in the schema"},
    {.text = "age,city,sick,w\n1,Bern,0\n", .msg = "d.csv:2: 3 fields: expected 4"},
    {.text = "age,city,sick,w\n1,Bern,0,0\n1,Zurich,0,0\n", .msg = "d.csv:3: column \"city\": \"Zurich\" is not one of"},
    {.text = "age,city,sick,w\n130,Bern,0,0\n", .msg = "d.csv:2: column \"age\": 130 is outside the schema's bounds"},
    {.text = "age,city,sick,w\n1.5,Bern,0,0\n", .msg = "column \"age\": 1.5: expected an integer"},
    {.text = "age,city,sick,w\n1,Bern,2,0\n", .msg = "column \"sick\": code 2 outside [0, 2)"},
    {.text = "age,city,sick,w\n1,Bern,,0\n", .msg = "column \"sick\": missing value"},
    {.text = "age,city,sick,w\n1,Bern,0,abc\n", .msg = "column \"w\": \"abc\": expected a number"},
    {.text = "age,city,sick,w\n1,\"Bern,0,0\n", .msg = "quoted field never closed"},
    {.text = "age,city,sick,w\n1,\"Bern\"x,0,0\n", .msg = "after a closing quote"},
    {.text = "age,age,sick,w\n", .msg = "names column \"age\" twice"},
    {.text = "age,city,sick,w\n1,Bern,0,nan\n", .msg = "expected a number"},
};

ParameterizedTestParameters(table, malformed_csvs_are_rejected_naming_line_and_column)
{
    return cr_make_param_array(csv_case, bad_csvs, sizeof bad_csvs / sizeof bad_csvs[0]);
}

ParameterizedTest(csv_case *c, table, malformed_csvs_are_rejected_naming_line_and_column)
{
    schema *s = parse(SCHEMA);
    char *p = tu_write(dir, "d.csv", c->text);
    table *t = (table *)0x1;
    pa_err e = {0};
    cr_assert_eq(tbl_read_csv(p, s, &t, &e), PA_EINPUT, "%s", e.msg);
    cr_assert_null(t);
    cr_assert(strstr(e.msg, c->msg), "message \"%s\" lacks \"%s\"", e.msg, c->msg);
    schema_free(s);
    free(p);
}

Test(table, infer_drafts_kinds_and_marks_the_schema_inferred)
{
    char *p = tu_write(dir, "i.csv", "a,b,c\n1,x,2.5\n3,y,\n2,x,-1\n");
    schema *s = NULL;
    pa_err e;
    cr_assert_eq(schema_infer(p, &s, &e), PA_OK, "%s", e.msg);
    cr_assert(s->inferred);
    cr_assert_eq(s->cols[0].kind, COL_NUM);
    cr_assert(s->cols[0].integer);
    cr_assert_eq(s->cols[0].lo, 1);
    cr_assert_eq(s->cols[0].hi, 3);
    cr_assert_eq(s->cols[1].kind, COL_CAT);
    cr_assert_eq(s->cols[1].size, 2);
    cr_assert_str_eq(s->cols[1].labels[0], "x");
    cr_assert_eq(s->cols[2].kind, COL_NUM);
    cr_assert_not(s->cols[2].integer);
    cr_assert(s->cols[2].has_missing);
    /* the draft reads its own CSV */
    table *t = NULL;
    cr_assert_eq(tbl_read_csv(p, s, &t, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(t->n, 3);
    tbl_free(t);
    schema_free(s);
    free(p);
}

Test(table, rows_and_concat_gather_in_order)
{
    schema *s = parse(SCHEMA);
    table *t = tbl_new(s, 3);
    for (size_t i = 0; i < 3; i++) {
        t->num[0][i] = (double)(10 * i);
        t->cat[1][i] = (int32_t)i;
    }
    size_t idx[] = {2, 0, 2};
    table *r = tbl_rows(t, idx, 3);
    cr_assert_eq(r->num[0][0], 20);
    cr_assert_eq(r->cat[1][1], 0);
    cr_assert_eq(r->cat[1][2], 2);
    table *c = tbl_concat(t, r);
    cr_assert_eq(c->n, 6);
    cr_assert_eq(c->num[0][5], 20);
    cr_assert_eq(tbl_get(c, 4, 1), 0);
    cr_assert_neq(tbl_hash(t), tbl_hash(r));
    tbl_free(t);
    tbl_free(r);
    tbl_free(c);
    schema_free(s);
}

/* ---- issue 13, item 15: strict JSON in schemas ---------------------------- */

static bad_case strict_schemas[] = {
    {.json = "{\"a\": 2} x", .msg = "t.json:1:10: unexpected text after the JSON document"},
    {.json = "{\"a\": 2}\n\n  {\"b\": 3}", .msg = "t.json:3:3: unexpected text after the JSON document"},
    {.json = "{\"a\": 2,\n \"a\": 3}", .msg = "t.json:2:2: duplicate key \"a\" at the top level (first at line 1)"},
    {.json = "{\"a\": 2, \"\\u0061\": 3}", .msg = "duplicate key \"a\""},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
             " \"labels\": [\"x\", \"y\"], \"labels\": [\"z\"]}]}",
     .msg = "duplicate key \"labels\" in columns[0]"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\\u0000b\", \"type\": \"categorical\","
             " \"size\": 2}]}",
     .msg = "\\u0000"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
             " \"labels\": [\"x\", \"y\\u0000z\"]}]}",
     .msg = "in columns[0].labels[1]"},
    {.json = "{\"a\": 2, }", .msg = "not valid JSON"},
    {.json = "{\"a\": +2}", .msg = "not valid JSON"},
    {.json = "{\"a\": 2.}", .msg = "not valid JSON"},
    {.json = "{\"a\": 1e400}", .msg = "out of range"},
    {.json = "{\"a\": \"\\x41\"}", .msg = "not valid JSON"},
    {.json = "{\"a\": \"\\ud800\"}", .msg = "surrogate"},
    {.json = "{'a': 2}", .msg = "not valid JSON"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
             " \"labels\": [\"x\", \"y\\tz\"]}]}",
     .msg = "control character"},
    {.json = "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\\u001b[31m\", \"type\": \"categorical\","
             " \"size\": 2}]}",
     .msg = "control character"},
};

ParameterizedTestParameters(table, json_that_cjson_would_accept_loosely_is_refused_with_line_and_key)
{
    return cr_make_param_array(bad_case, strict_schemas, sizeof strict_schemas / sizeof strict_schemas[0]);
}

ParameterizedTest(bad_case *c, table, json_that_cjson_would_accept_loosely_is_refused_with_line_and_key)
{
    schema *s = (schema *)0x1;
    pa_err e = {0};
    cr_assert_eq(schema_parse(c->json, "t.json", &s, &e), PA_EINPUT, "%s accepted", c->json);
    cr_assert_null(s);
    cr_assert(strstr(e.msg, c->msg), "message \"%s\" lacks \"%s\"", e.msg, c->msg);
}

Test(table, a_nul_byte_after_the_schema_document_is_refused)
{
    char *p = tu_path(dir, "nul.json");
    FILE *f = fopen(p, "wb");
    fwrite("{\"a\": 2}\n\0{\"b\": 1}", 1, 18, f);
    fclose(f);
    schema *s = (schema *)0x1;
    pa_err e = {0};
    cr_assert_eq(schema_read(p, &s, &e), PA_EINPUT);
    cr_assert_null(s);
    cr_assert(strstr(e.msg, "nul.json:2:1: NUL byte"), "%s", e.msg);
    free(p);
}

/* ---- item 16: checks linear in columns and in labels -------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

Test(table, reading_40000_columns_takes_well_under_a_few_seconds)
{
    /* quadratic header matching and name checks took 27 s here */
    enum { D = 40000 };
    char *sch = malloc((size_t)D * 24 + 16), *csv = malloc((size_t)D * 16 + 16);
    size_t a = 0, b = 0;
    a += (size_t)sprintf(sch + a, "{");
    for (int j = 0; j < D; j++) {
        a += (size_t)sprintf(sch + a, "%s\"c%d\": 3", j ? ", " : "", j);
        b += (size_t)sprintf(csv + b, "%sc%d", j ? "," : "", D - 1 - j); /* header in reverse order */
    }
    sprintf(sch + a, "}");
    b += (size_t)sprintf(csv + b, "\n");
    for (int j = 0; j < D; j++)
        b += (size_t)sprintf(csv + b, "%s%d", j ? "," : "", j % 3);
    sprintf(csv + b, "\n");
    char *p = tu_write(dir, "wide.csv", csv);
    double t0 = now_s();
    schema *s = NULL;
    table *t = NULL;
    pa_err e;
    cr_assert_eq(schema_parse(sch, "wide.json", &s, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(tbl_read_csv(p, s, &t, &e), PA_OK, "%s", e.msg);
    double el = now_s() - t0;
    cr_assert_eq(t->d, (size_t)D);
    cr_assert_eq(t->cat[D - 1][0], 0, "column c%d holds the first CSV value", D - 1);
    cr_assert_eq(t->cat[0][0], (D - 1) % 3);
    cr_expect_lt(el, 5.0, "%d columns took %.2f s", D, el);
    tbl_free(t);
    schema_free(s);
    free(p);
    free(sch);
    free(csv);
}

Test(table, a_column_of_100000_labels_is_checked_in_well_under_a_few_seconds)
{
    enum { L = 100000 };
    char *sch = malloc((size_t)L * 12 + 200);
    size_t a = (size_t)sprintf(sch, "{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"id\", "
                                    "\"type\": \"categorical\", \"labels\": [");
    for (int k = 0; k < L; k++)
        a += (size_t)sprintf(sch + a, "%s\"L%d\"", k ? "," : "", k);
    sprintf(sch + a, "]}]}");
    double t0 = now_s();
    schema *s = NULL;
    pa_err e;
    cr_assert_eq(schema_parse(sch, "labels.json", &s, &e), PA_OK, "%s", e.msg);
    double el = now_s() - t0;
    cr_assert_eq(s->cols[0].size, (size_t)L);
    cr_expect_lt(el, 5.0, "%d labels took %.2f s", L, el);
    schema_free(s);
    /* and a duplicate among them is still found, naming it */
    sch[a - 2] = '0'; /* the last label "L99999" becomes "L99990" */
    cr_assert_eq(schema_parse(sch, "labels.json", &s, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "label \"L99990\" appears twice"), "%s", e.msg);
    free(sch);
}

/* ---- item 14: control characters in names and labels --------------------- */

Test(table, a_schema_built_in_code_with_a_control_character_is_invalid)
{
    schema *s = parse("{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"a\", \"type\": \"categorical\","
                      " \"labels\": [\"x\", \"y\"]}]}");
    pa_err e;
    cr_assert_eq(schema_validate(s, &e), PA_OK);
    s->cols[0].labels[1][0] = '\n';
    cr_assert_eq(schema_validate(s, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "control character"), "%s", e.msg);
    schema_free(s);
}

/* ---- item 13: a draft always accepts the CSV it came from ---------------- */

static uint64_t prop_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

/* A double chosen to be awkward: any finite bit pattern, a float widened to
 * double (the AER case: 0.059999998658895493), a small integer, ±0, a
 * subnormal, or the extremes. */
static double awkward(uint64_t *s)
{
    uint64_t r = prop_next(s);
    double x;
    switch (r % 8) {
    case 0: {
        uint64_t bits = prop_next(s) ^ (prop_next(s) << 40);
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x))
            x = 1.5;
        return x;
    }
    case 1: return (double)(float)((double)(prop_next(s) % 1000000) / 997.0);
    case 2: return (double)(int)(prop_next(s) % 200) - 100;
    case 3: return (prop_next(s) & 1) ? -0.0 : 0.0;
    case 4: return 4.9406564584124654e-324 * (double)(1 + prop_next(s) % 5);
    case 5: return (prop_next(s) & 1) ? 1.7976931348623157e308 : -1.7976931348623157e308;
    case 6: return (double)(prop_next(s) % 100000) / 100.0 + 0.1;
    default: return ldexp((double)(prop_next(s) % 1000), (int)(prop_next(s) % 200) - 100);
    }
}

static const char *const ALPHABET[] = {"a", "b", "z", " ", ",", "\"", "NA", "na", "é", "1", "-", "x y", "''"};

/* A random token for a categorical column (may be empty or "NA": missing). */
static void awkward_label(uint64_t *s, char *out, size_t cap)
{
    size_t len = prop_next(s) % 4, n = 0;
    out[0] = 0;
    for (size_t k = 0; k < len; k++)
        n += (size_t)snprintf(out + n, cap - n, "%s", ALPHABET[prop_next(s) % (sizeof ALPHABET / sizeof *ALPHABET)]);
}

/* field as CSV (quoted when needed) */
static void put_field(FILE *f, const char *v)
{
    int q = strpbrk(v, ",\"\n\r") != NULL;
    if (!q) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

Test(table, property_every_drafted_schema_accepts_the_csv_it_was_drafted_from)
{
    uint64_t seed = 20250101;
    for (int trial = 0; trial < 300; trial++) {
        size_t d = 1 + prop_next(&seed) % 5, n = 1 + prop_next(&seed) % 30;
        char *p = tu_path(dir, "prop.csv");
        FILE *f = fopen(p, "w");
        for (size_t j = 0; j < d; j++)
            fprintf(f, "%sc%zu", j ? "," : "", j);
        fputc('\n', f);
        int kind[5];
        for (size_t j = 0; j < d; j++)
            kind[j] = (int)(prop_next(&seed) % 4); /* 0 numeric, 1 labels, 2 mixed, 3 constant */
        double konst = awkward(&seed);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < d; j++) {
                if (j)
                    fputc(',', f);
                char tok[64];
                int miss = prop_next(&seed) % 6 == 0;
                if (miss) {
                    snprintf(tok, sizeof tok, "%s", prop_next(&seed) & 1 ? "NA" : "");
                } else if (kind[j] == 0 || (kind[j] == 2 && prop_next(&seed) & 1)) {
                    double x = awkward(&seed);
                    switch (prop_next(&seed) % 4) {
                    case 0: snprintf(tok, sizeof tok, "%.17g", x); break;
                    case 1: snprintf(tok, sizeof tok, "%.9g", x); break;
                    case 2: snprintf(tok, sizeof tok, "%g", x); break;
                    default: snprintf(tok, sizeof tok, "%.3e", x);
                    }
                } else if (kind[j] == 3) {
                    snprintf(tok, sizeof tok, "%.17g", konst);
                } else {
                    awkward_label(&seed, tok, sizeof tok);
                }
                put_field(f, tok);
            }
            fputc('\n', f);
        }
        fclose(f);
        schema *s = NULL, *back = NULL;
        table *t = NULL;
        pa_err e = {0};
        int rc = schema_infer(p, &s, &e);
        if (rc == PA_OK) {
            char *json = schema_to_json(s);
            cr_assert_not_null(json);
            rc = schema_parse(json, "draft.json", &back, &e);
            cr_assert_eq(rc, PA_OK, "trial %d: the draft does not parse back: %s\n%s", trial, e.msg, json);
            rc = tbl_read_csv(p, back, &t, &e);
            char *csv = tu_slurp(p);
            cr_assert_eq(rc, PA_OK, "trial %d: the draft rejects its own CSV: %s\n--- csv:\n%s--- draft:\n%s", trial,
                         e.msg, csv, json);
            cr_assert_eq(t->n, n, "trial %d", trial);
            free(csv);
            free(json);
        } else {
            char *csv = tu_slurp(p);
            cr_assert_fail("trial %d: infer failed: %s\n%s", trial, e.msg, csv);
            free(csv);
        }
        tbl_free(t);
        schema_free(s);
        schema_free(back);
        free(p);
    }
}

Test(table, property_a_table_with_exact_min_max_bounds_round_trips_through_schema_and_csv)
{
    /* the import path: bounds are the observed min/max, written to JSON and
     * the values to CSV; both must read back to the same table */
    uint64_t seed = 777;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + prop_next(&seed) % 20;
        schema *s = schema_new(2);
        free(s->cols[0].name);
        free(s->cols[1].name);
        s->cols[0].name = pa_strdup("x");
        s->cols[0].kind = COL_NUM;
        s->cols[1].name = pa_strdup("k");
        s->cols[1].kind = COL_CAT;
        s->cols[1].size = 2;
        s->cols[1].labels = pa_calloc(2, sizeof(char *));
        s->cols[1].labels[0] = pa_strdup("NA");
        s->cols[1].labels[1] = pa_strdup("");
        double *v = calloc(n, sizeof *v), lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            v[i] = awkward(&seed);
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
        }
        s->cols[0].lo = lo;
        s->cols[0].hi = hi > lo ? hi : (isfinite(lo + 1) && lo + 1 > lo ? lo + 1 : nextafter(lo, INFINITY));
        if (!isfinite(s->cols[0].hi)) {
            s->cols[0].hi = lo;
            s->cols[0].lo = nextafter(lo, -INFINITY);
        }
        table *t = tbl_new(s, n);
        for (size_t i = 0; i < n; i++) {
            t->num[0][i] = v[i];
            t->cat[1][i] = (int32_t)(prop_next(&seed) & 1);
        }
        char *sp = tu_path(dir, "rt.json"), *cp = tu_path(dir, "rt.csv");
        pa_err e = {0};
        cr_assert_eq(schema_write(s, sp, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(tbl_write_csv(t, cp, &e), PA_OK, "%s", e.msg);
        schema *back = NULL;
        table *u = NULL;
        cr_assert_eq(schema_read(sp, &back, &e), PA_OK, "trial %d: %s", trial, e.msg);
        cr_assert_eq(back->cols[0].lo, s->cols[0].lo, "trial %d: min %.17g read back as %.17g", trial, s->cols[0].lo,
                     back->cols[0].lo);
        cr_assert_eq(back->cols[0].hi, s->cols[0].hi, "trial %d: max %.17g read back as %.17g", trial, s->cols[0].hi,
                     back->cols[0].hi);
        cr_assert_eq(tbl_read_csv(cp, back, &u, &e), PA_OK, "trial %d: %s", trial, e.msg);
        cr_assert_eq(tbl_hash(t), tbl_hash(u), "trial %d", trial);
        tbl_free(t);
        tbl_free(u);
        schema_free(s);
        schema_free(back);
        free(v);
        free(sp);
        free(cp);
    }
}

/* tbl_digest: equal content, equal digest (also a copy, and -0 against +0);
 * one changed code or value, or one row fewer, another digest. */
Test(table, the_digest_follows_the_content)
{
    schema *s = parse(SCHEMA);
    table *t = tbl_new(s, 5);
    for (size_t i = 0; i < 5; i++) {
        t->num[0][i] = (double)(10 * i);
        t->cat[1][i] = (int32_t)(i % 3);
    }
    size_t all[] = {0, 1, 2, 3, 4}, four[] = {0, 1, 2, 3};
    table *c = tbl_rows(t, all, 5), *r = tbl_rows(t, four, 4);
    cr_assert_eq(tbl_digest(t), tbl_digest(c));
    cr_assert_neq(tbl_digest(t), tbl_digest(r));
    c->num[0][0] = -0.0;
    cr_assert_eq(tbl_digest(t), tbl_digest(c), "-0 and +0");
    c->cat[1][4] = 0;
    cr_assert_neq(tbl_digest(t), tbl_digest(c), "one code");
    c->cat[1][4] = t->cat[1][4];
    c->num[0][3] = 30.000000000000004;
    cr_assert_neq(tbl_digest(t), tbl_digest(c), "one value by one ulp");
    tbl_free(t);
    tbl_free(c);
    tbl_free(r);
    schema_free(s);
}
