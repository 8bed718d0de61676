/* schema.c — the schema's JSON form (docs/schema.md): reading, checking, writing. */
#include "core/table.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/json.h"
#include "core/util.h"

#define SCHEMA_FORMAT "privaudit-schema/1"

static int is_int_value(double v)
{
    return isfinite(v) && v == floor(v);
}

/* Parses the domain form {"col": size, ...} (every value a positive integer). */
static int parse_domain(const cJSON *root, const char *name, schema **out, pa_err *err)
{
    size_t d = (size_t)cJSON_GetArraySize(root);
    if (d == 0)
        return pa_errf(err, PA_EINPUT, "%s: empty domain object: expected {\"column\": size, ...}", name);
    schema *s = schema_new(d);
    if (!s)
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
    size_t j = 0;
    for (const cJSON *it = root->child; it; it = it->next, j++) {
        if (!cJSON_IsNumber(it) || !is_int_value(it->valuedouble) || it->valuedouble < 1 ||
            it->valuedouble > 2147483647.0) {
            schema_free(s);
            return pa_errf(err, PA_EINPUT,
                           "%s: field \"%s\": expected a positive integer domain size", name,
                           it->string);
        }
        col_spec *c = &s->cols[j];
        c->name = pa_strdup(it->string);
        c->kind = COL_CAT;
        c->size = (size_t)it->valuedouble;
        if (!c->name) {
            schema_free(s);
            return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
        }
    }
    int rc = schema_validate(s, err);
    if (rc) {
        pa_err_prefix(err, "%s", name);
        schema_free(s);
        return rc;
    }
    *out = s;
    return PA_OK;
}

static int parse_roles(const cJSON *v, const char *where, unsigned *roles, pa_err *err)
{
    const cJSON *items = v;
    int single = cJSON_IsString(v);
    if (!single && !cJSON_IsArray(v))
        return pa_errf(err, PA_EINPUT, "%s: field \"role\": expected \"qi\", \"secret\" or a list of them",
                       where);
    for (const cJSON *it = single ? v : items->child; it; it = single ? NULL : it->next) {
        if (!cJSON_IsString(it))
            return pa_errf(err, PA_EINPUT, "%s: field \"role\": expected strings \"qi\" or \"secret\"", where);
        if (strcmp(it->valuestring, "qi") == 0 || strcmp(it->valuestring, "quasi-identifier") == 0)
            *roles |= ROLE_QI;
        else if (strcmp(it->valuestring, "secret") == 0 || strcmp(it->valuestring, "sensitive") == 0)
            *roles |= ROLE_SECRET;
        else if (strcmp(it->valuestring, "none") != 0)
            return pa_errf(err, PA_EINPUT,
                           "%s: field \"role\": unknown role \"%s\": expected \"qi\", \"secret\" or \"none\"",
                           where, it->valuestring);
    }
    return PA_OK;
}

static int want_number(const cJSON *v, const char *where, const char *key, double *out, pa_err *err)
{
    if (!cJSON_IsNumber(v))
        return pa_errf(err, PA_EINPUT, "%s: field \"%s\": expected a number", where, key);
    *out = v->valuedouble;
    return PA_OK;
}

static int parse_column(const cJSON *o, size_t j, const char *name, col_spec *c, pa_err *err)
{
    char where[256];
    snprintf(where, sizeof where, "%s: columns[%zu]", name, j);
    if (!cJSON_IsObject(o))
        return pa_errf(err, PA_EINPUT, "%s: expected an object", where);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
    if (!cJSON_IsString(nm) || !nm->valuestring[0])
        return pa_errf(err, PA_EINPUT, "%s: field \"name\": expected a non-empty string", where);
    if (!(c->name = pa_strdup(nm->valuestring)))
        return pa_errf(err, PA_ENOMEM, "out of memory");
    snprintf(where, sizeof where, "%s: column \"%s\"", name, c->name);
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (!cJSON_IsString(ty))
        return pa_errf(err, PA_EINPUT, "%s: field \"type\": expected \"categorical\" or \"numeric\"", where);
    if (strcmp(ty->valuestring, "categorical") == 0)
        c->kind = COL_CAT;
    else if (strcmp(ty->valuestring, "numeric") == 0)
        c->kind = COL_NUM;
    else
        return pa_errf(err, PA_EINPUT, "%s: field \"type\": got \"%s\", expected \"categorical\" or \"numeric\"",
                       where, ty->valuestring);
    int have_size = 0, have_lo = 0, have_hi = 0;
    const cJSON *missing_label = NULL;
    for (const cJSON *it = o->child; it; it = it->next) {
        const char *k = it->string;
        int rc = PA_OK;
        if (strcmp(k, "name") == 0 || strcmp(k, "type") == 0) {
            continue;
        } else if (strcmp(k, "role") == 0 || strcmp(k, "roles") == 0) {
            rc = parse_roles(it, where, &c->roles, err);
        } else if (c->kind == COL_CAT && strcmp(k, "size") == 0) {
            double v = 0;
            if ((rc = want_number(it, where, k, &v, err)) == PA_OK) {
                if (!is_int_value(v) || v < 1 || v > 2147483647.0)
                    return pa_errf(err, PA_EINPUT, "%s: field \"size\": expected a positive integer", where);
                if (have_size && c->size != (size_t)v)
                    return pa_errf(err, PA_EINPUT, "%s: field \"size\" (%g) disagrees with the %zu labels",
                                   where, v, c->size);
                c->size = (size_t)v;
                have_size = 1;
            }
        } else if (c->kind == COL_CAT && strcmp(k, "labels") == 0) {
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 1)
                return pa_errf(err, PA_EINPUT, "%s: field \"labels\": expected a non-empty list of strings", where);
            size_t m = (size_t)cJSON_GetArraySize(it);
            if (have_size && c->size != m)
                return pa_errf(err, PA_EINPUT, "%s: field \"size\" (%zu) disagrees with the %zu labels",
                               where, c->size, m);
            c->labels = pa_calloc(m, sizeof *c->labels);
            if (!c->labels)
                return pa_errf(err, PA_ENOMEM, "out of memory");
            c->size = m;
            have_size = 1;
            size_t q = 0;
            for (const cJSON *l = it->child; l; l = l->next, q++) {
                if (!cJSON_IsString(l))
                    return pa_errf(err, PA_EINPUT, "%s: labels[%zu]: expected a string", where, q);
                if (!(c->labels[q] = pa_strdup(l->valuestring)))
                    return pa_errf(err, PA_ENOMEM, "out of memory");
            }
        } else if (c->kind == COL_CAT && strcmp(k, "missing_label") == 0) {
            if (!cJSON_IsString(it))
                return pa_errf(err, PA_EINPUT, "%s: field \"missing_label\": expected a string", where);
            missing_label = it;
        } else if (c->kind == COL_CAT && strcmp(k, "missing_code") == 0) {
            double v = 0;
            if ((rc = want_number(it, where, k, &v, err)) == PA_OK) {
                if (!is_int_value(v) || v < 0)
                    return pa_errf(err, PA_EINPUT, "%s: field \"missing_code\": expected a code >= 0", where);
                c->has_missing = 1;
                c->missing_code = (int32_t)v;
            }
        } else if (c->kind == COL_NUM && (strcmp(k, "min") == 0 || strcmp(k, "max") == 0)) {
            double v = 0;
            if ((rc = want_number(it, where, k, &v, err)) == PA_OK) {
                if (k[1] == 'i') {
                    c->lo = v;
                    have_lo = 1;
                } else {
                    c->hi = v;
                    have_hi = 1;
                }
            }
        } else if (c->kind == COL_NUM && strcmp(k, "integer") == 0) {
            if (!cJSON_IsBool(it))
                return pa_errf(err, PA_EINPUT, "%s: field \"integer\": expected true or false", where);
            c->integer = cJSON_IsTrue(it);
        } else if (c->kind == COL_NUM && strcmp(k, "missing_value") == 0) {
            if ((rc = want_number(it, where, k, &c->missing_value, err)) == PA_OK)
                c->has_missing = 1;
        } else {
            return pa_errf(err, PA_EINPUT, "%s: unknown field \"%s\" for a %s column", where, k,
                           c->kind == COL_CAT ? "categorical" : "numeric");
        }
        if (rc)
            return rc;
    }
    if (c->kind == COL_CAT && !have_size)
        return pa_errf(err, PA_EINPUT, "%s: a categorical column needs \"labels\" or \"size\"", where);
    if (c->kind == COL_NUM && (!have_lo || !have_hi))
        return pa_errf(err, PA_EINPUT,
                       "%s: a numeric column needs \"min\" and \"max\" (public bounds, not read off the data)",
                       where);
    if (missing_label) {
        if (!c->labels)
            return pa_errf(err, PA_EINPUT, "%s: \"missing_label\" needs \"labels\"", where);
        size_t q = 0;
        while (q < c->size && strcmp(c->labels[q], missing_label->valuestring) != 0)
            q++;
        if (q == c->size)
            return pa_errf(err, PA_EINPUT, "%s: \"missing_label\" \"%s\" is not one of the labels", where,
                           missing_label->valuestring);
        c->has_missing = 1;
        c->missing_code = (int32_t)q;
    }
    return PA_OK;
}

int schema_validate(const schema *s, pa_err *err)
{
    if (s->d == 0)
        return pa_errf(err, PA_EINPUT, "the schema has no columns");
    /* names: present, printable, unique (one hash index: linear in d) */
    char **names = pa_malloc(s->d, sizeof *names);
    if (!names)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t j = 0; j < s->d; j++) {
        const col_spec *c = &s->cols[j];
        if (!c->name || !c->name[0]) {
            free(names);
            return pa_errf(err, PA_EINPUT, "column %zu has no name", j);
        }
        int cc = util_ctrl_char(c->name);
        if (cc) {
            free(names);
            return pa_errf(err, PA_EINPUT, "column %zu: its name contains a control character (0x%02x): expected "
                           "printable text", j, cc);
        }
        names[j] = c->name;
    }
    size_t d1, d2;
    util_strindex *ix = util_strindex_new(names, s->d, &d1, &d2);
    free(names);
    if (!ix)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    util_strindex_free(ix);
    if (d2 != SIZE_MAX)
        return pa_errf(err, PA_EINPUT, "column \"%s\" appears twice", s->cols[d2].name);
    for (size_t j = 0; j < s->d; j++) {
        const col_spec *c = &s->cols[j];
        if (c->kind == COL_CAT) {
            if (c->size < 1 || c->size > 2147483647u)
                return pa_errf(err, PA_EINPUT, "column \"%s\": size must be a positive integer", c->name);
            if (c->has_missing && (c->missing_code < 0 || (size_t)c->missing_code >= c->size))
                return pa_errf(err, PA_EINPUT, "column \"%s\": missing code %d outside [0, %zu)", c->name,
                               (int)c->missing_code, c->size);
            if (c->labels) {
                for (size_t a = 0; a < c->size; a++) {
                    int cc = util_ctrl_char(c->labels[a]);
                    if (cc)
                        return pa_errf(err, PA_EINPUT, "column \"%s\": label %zu contains a control character "
                                       "(0x%02x): expected printable text", c->name, a, cc);
                }
                util_strindex *lx = util_strindex_new(c->labels, c->size, &d1, &d2);
                if (!lx)
                    return pa_errf(err, PA_ENOMEM, "out of memory");
                util_strindex_free(lx);
                if (d2 != SIZE_MAX)
                    return pa_errf(err, PA_EINPUT, "column \"%s\": label \"%s\" appears twice", c->name,
                                   c->labels[d2]);
            }
        } else {
            if (!isfinite(c->lo) || !isfinite(c->hi) || !(c->lo < c->hi))
                return pa_errf(err, PA_EINPUT, "column \"%s\": expected finite bounds with min < max (got %g, %g)",
                               c->name, c->lo, c->hi);
            if (c->has_missing && !(c->missing_value >= c->lo && c->missing_value <= c->hi))
                return pa_errf(err, PA_EINPUT, "column \"%s\": missing_value %g outside [%g, %g]", c->name,
                               c->missing_value, c->lo, c->hi);
        }
    }
    return PA_OK;
}

/* Parses the len bytes at json (strict JSON, core/json.h). */
static int schema_parse_len(const char *json, size_t len, const char *name, schema **out, pa_err *err)
{
    *out = NULL;
    cJSON *root = NULL;
    int rc = json_parse_strict(json, len, name, &root, err);
    if (rc)
        return rc;
    if (!cJSON_IsObject(root)) {
        rc = pa_errf(err, PA_EINPUT, "%s: expected a JSON object", name);
        goto done;
    }
    if (!cJSON_GetObjectItemCaseSensitive(root, "columns") &&
        !cJSON_GetObjectItemCaseSensitive(root, "format")) {
        rc = parse_domain(root, name, out, err);
        goto done;
    }
    for (const cJSON *it = root->child; it; it = it->next) {
        if (strcmp(it->string, "format") && strcmp(it->string, "columns") && strcmp(it->string, "missing") &&
            strcmp(it->string, "inferred") && strcmp(it->string, "comment")) {
            rc = pa_errf(err, PA_EINPUT,
                         "%s: unknown field \"%s\": expected format, columns, missing, inferred, comment",
                         name, it->string);
            goto done;
        }
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, SCHEMA_FORMAT) != 0) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"format\": expected \"%s\"", name, SCHEMA_FORMAT);
        goto done;
    }
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(root, "columns");
    if (!cJSON_IsArray(cols) || cJSON_GetArraySize(cols) < 1) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"columns\": expected a non-empty list", name);
        goto done;
    }
    schema *s = schema_new((size_t)cJSON_GetArraySize(cols));
    if (!s) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto done;
    }
    const cJSON *inf = cJSON_GetObjectItemCaseSensitive(root, "inferred");
    if (inf && !cJSON_IsBool(inf)) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"inferred\": expected true or false", name);
        schema_free(s);
        goto done;
    }
    s->inferred = cJSON_IsTrue(inf);
    const cJSON *miss = cJSON_GetObjectItemCaseSensitive(root, "missing");
    if (miss) {
        if (!cJSON_IsArray(miss)) {
            rc = pa_errf(err, PA_EINPUT, "%s: field \"missing\": expected a list of strings", name);
            schema_free(s);
            goto done;
        }
        for (size_t k = 0; k < s->n_missing; k++)
            free(s->missing[k]);
        free(s->missing);
        s->n_missing = (size_t)cJSON_GetArraySize(miss);
        s->missing = pa_calloc(s->n_missing, sizeof *s->missing);
        size_t k = 0;
        for (const cJSON *it = miss->child; it && s->missing; it = it->next, k++) {
            if (!cJSON_IsString(it)) {
                s->n_missing = k;
                rc = pa_errf(err, PA_EINPUT, "%s: missing[%zu]: expected a string", name, k);
                schema_free(s);
                goto done;
            }
            s->missing[k] = pa_strdup(it->valuestring);
        }
    }
    size_t j = 0;
    for (const cJSON *it = cols->child; it; it = it->next, j++) {
        if ((rc = parse_column(it, j, name, &s->cols[j], err)) != PA_OK) {
            schema_free(s);
            goto done;
        }
    }
    if ((rc = schema_validate(s, err)) != PA_OK) {
        pa_err_prefix(err, "%s", name);
        schema_free(s);
        goto done;
    }
    *out = s;
    rc = PA_OK;
done:
    cJSON_Delete(root);
    return rc;
}

int schema_parse(const char *json, const char *name, schema **out, pa_err *err)
{
    return schema_parse_len(json, strlen(json), name, out, err);
}

int schema_read(const char *path, schema **out, pa_err *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = util_read_file(path, &text, &len, err);
    if (rc)
        return rc;
    rc = schema_parse_len(text, len, path, out, err);
    free(text);
    return rc;
}

/* v as the shortest of %.15g, %.16g, %.17g that reads back to v exactly
 * (cJSON's own printing keeps 15 digits whenever they come within a
 * relative 2^-52 of v, which moves bounds drawn from the data by an ulp). */
static void add_exact_number(cJSON *o, const char *key, double v)
{
    char b[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(b, sizeof b, "%.*g", digits, v);
        if (strtod(b, NULL) == v)
            break;
    }
    cJSON_AddRawToObject(o, key, b);
}

char *schema_to_json(const schema *s)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "format", SCHEMA_FORMAT);
    if (s->inferred) {
        cJSON_AddBoolToObject(root, "inferred", 1);
        cJSON_AddStringToObject(root, "comment",
                                "DRAFT inferred from data: bounds and domains leak; replace them with public "
                                "values and remove \"inferred\" before a DP run");
    }
    cJSON *miss = cJSON_AddArrayToObject(root, "missing");
    for (size_t k = 0; k < s->n_missing; k++)
        cJSON_AddItemToArray(miss, cJSON_CreateString(s->missing[k]));
    cJSON *cols = cJSON_AddArrayToObject(root, "columns");
    for (size_t j = 0; j < s->d; j++) {
        const col_spec *c = &s->cols[j];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "type", c->kind == COL_CAT ? "categorical" : "numeric");
        if (c->roles) {
            cJSON *r = cJSON_AddArrayToObject(o, "role");
            if (c->roles & ROLE_QI)
                cJSON_AddItemToArray(r, cJSON_CreateString("qi"));
            if (c->roles & ROLE_SECRET)
                cJSON_AddItemToArray(r, cJSON_CreateString("secret"));
        }
        if (c->kind == COL_CAT) {
            if (c->labels) {
                cJSON *l = cJSON_AddArrayToObject(o, "labels");
                for (size_t k = 0; k < c->size; k++)
                    cJSON_AddItemToArray(l, cJSON_CreateString(c->labels[k]));
                if (c->has_missing)
                    cJSON_AddStringToObject(o, "missing_label", c->labels[c->missing_code]);
            } else {
                cJSON_AddNumberToObject(o, "size", (double)c->size);
                if (c->has_missing)
                    cJSON_AddNumberToObject(o, "missing_code", c->missing_code);
            }
        } else {
            add_exact_number(o, "min", c->lo);
            add_exact_number(o, "max", c->hi);
            if (c->integer)
                cJSON_AddBoolToObject(o, "integer", 1);
            if (c->has_missing)
                add_exact_number(o, "missing_value", c->missing_value);
        }
        cJSON_AddItemToArray(cols, o);
    }
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    return txt;
}

int schema_write(const schema *s, const char *path, pa_err *err)
{
    char *txt = schema_to_json(s);
    if (!txt)
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
    int rc = util_write_file_atomic(path, txt, strlen(txt), err);
    free(txt);
    return rc;
}

int schema_check_scale(const schema *s, pa_err *err)
{
    for (size_t j = 0; s && j < s->d; j++) {
        const col_spec *c = &s->cols[j];
        if (c->kind == COL_NUM && !(fabs(c->lo) <= SCHEMA_MAX_BOUND && fabs(c->hi) <= SCHEMA_MAX_BOUND))
            return pa_errf(err, PA_EINPUT, "column \"%s\": bounds [%g, %g]: expected both within [-%g, %g] (a "
                           "wider range overflows when values, bins or noise are scaled by it)", c->name, c->lo,
                           c->hi, SCHEMA_MAX_BOUND, SCHEMA_MAX_BOUND);
    }
    return PA_OK;
}
