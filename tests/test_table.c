/* test_table.c — schema JSON, CSV reading/writing, schema drafting. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>

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
