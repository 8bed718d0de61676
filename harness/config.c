/* config.c — parse and validate experiment configs (docs/config.md). */
#include "harness/config.h"

#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/mia.h"
#include "core/json.h"
#include "core/util.h"
#include "generators/gen.h"

void config_free(config *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->path);
    free(c->util_tstr);
    free(c->json);
    free(c->hash);
    free(c->data_csv);
    free(c->data_schema);
    free(c->target_rows);
    for (size_t k = 0; k < c->n_cells; k++) {
        free(c->cells[k].generator);
        free(c->cells[k].params_json);
        cJSON_Delete(c->cells[k].params);
    }
    free(c->cells);
    for (size_t k = 0; k < c->n_attacks; k++) {
        free(c->attacks[k].name);
        free(c->attacks[k].label);
        cJSON_Delete(c->attacks[k].params);
    }
    free(c->attacks);
    free(c);
}

/* "JP.KEY" (or "KEY" at the root, jp = ""): a field's JSON path into buf. */
static const char *jpath(char *buf, size_t cap, const char *jp, const char *key)
{
    if (snprintf(buf, cap, "%s%s%s", jp, jp[0] ? "." : "", key) < 0) /* cut when too long */
        buf[0] = 0;
    return buf;
}

/* "PATH: JP" (or "PATH" at the root): where an object-level message points. */
static const char *jwhere(char *buf, size_t cap, const char *path, const char *jp)
{
    snprintf(buf, cap, "%s%s%s", path, jp[0] ? ": " : "", jp);
    return buf;
}

/* What v is, for "got ..." in messages: a number (%.17g), a string (quoted,
 * at most 40 bytes shown), true, false, null, a list, an object. */
static const char *jgot(char *buf, size_t cap, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%.17g", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, cap, "\"%.40s%s\"", v->valuestring, strlen(v->valuestring) > 40 ? "..." : "");
    else
        snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : cJSON_IsNull(v) ? "null"
                                 : cJSON_IsArray(v) ? "a list" : "an object");
    return buf;
}

#define JP_MAX 256 /* bytes of a JSON path in a message */

int config_check_label(const char *label, const char *path, const char *jp, pa_err *err)
{
    char f[JP_MAX];
    jpath(f, sizeof f, jp, "label");
    int cc = util_ctrl_char(label);
    if (cc)
        return pa_errf(err, PA_EINPUT, "%s: %s: contains a control character (0x%02x): expected printable text",
                       path, f, cc);
    size_t n = strlen(label);
    if (n > CONFIG_MAX_LABEL)
        return pa_errf(err, PA_EINPUT, "%s: %s: %zu bytes: expected at most %d (labels are kept whole; a shorter "
                       "one keeps reports readable)", path, f, n, CONFIG_MAX_LABEL);
    return PA_OK;
}

int config_check_name(const char *name, const char *path, const char *jp, pa_err *err)
{
    char f[JP_MAX];
    jpath(f, sizeof f, jp, "name");
    if (!name[0])
        return pa_errf(err, PA_EINPUT, "%s: %s: expected a non-empty name", path, f);
    int cc = util_ctrl_char(name);
    if (cc)
        return pa_errf(err, PA_EINPUT, "%s: %s: contains a control character (0x%02x): expected printable text",
                       path, f, cc);
    if (strchr(name, '/') || strchr(name, '\\') || !strcmp(name, ".") || !strcmp(name, ".."))
        return pa_errf(err, PA_EINPUT, "%s: %s: got \"%s\", expected a name without '/' or '\\' (and not \".\" or "
                       "\"..\"): it names the default database NAME.db beside the config", path, f, name);
    if (strlen(name) > CONFIG_MAX_NAME)
        return pa_errf(err, PA_EINPUT, "%s: %s: %zu bytes: expected at most %d", path, f, strlen(name),
                       CONFIG_MAX_NAME);
    return PA_OK;
}

static int known_keys(const cJSON *o, const char *path, const char *jp, const char *const *keys, pa_err *err)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], it->string) != 0)
            k++;
        if (!keys[k]) {
            char list[512] = "", w[PATH_MAX + JP_MAX];
            for (size_t q = 0; keys[q]; q++) {
                if (q)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, keys[q], sizeof list - strlen(list) - 1);
            }
            return pa_errf(err, PA_EINPUT, "%s: unknown field \"%s\" (expected one of: %s)",
                           jwhere(w, sizeof w, path, jp), it->string, list);
        }
    }
    return PA_OK;
}

/* A number field in [lo, hi]; absent: def (if required is 0). */
static int get_num(const cJSON *o, const char *path, const char *jp, const char *key, int required, double def,
                   double lo, double hi, double *out, pa_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char f[JP_MAX], g[64], w[PATH_MAX + JP_MAX];
    if (!v) {
        if (required)
            return pa_errf(err, PA_EINPUT, "%s: missing field \"%s\"", jwhere(w, sizeof w, path, jp), key);
        *out = def;
        return PA_OK;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return pa_errf(err, PA_EINPUT, "%s: %s: expected a number in [%g, %g], got %s", path,
                       jpath(f, sizeof f, jp, key), lo, hi, jgot(g, sizeof g, v));
    *out = v->valuedouble;
    return PA_OK;
}

static int get_count(const cJSON *o, const char *path, const char *jp, const char *key, int required, size_t def,
                     size_t lo, size_t hi, size_t *out, pa_err *err)
{
    double v;
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    char f[JP_MAX], g[64];
    if (x && (!cJSON_IsNumber(x) || x->valuedouble != floor(x->valuedouble) || !(x->valuedouble >= (double)lo &&
                                                                                x->valuedouble <= (double)hi)))
        return pa_errf(err, PA_EINPUT, "%s: %s: expected an integer in [%zu, %zu], got %s", path,
                       jpath(f, sizeof f, jp, key), lo, hi, jgot(g, sizeof g, x));
    int rc = get_num(o, path, jp, key, required, (double)def, (double)lo, (double)hi, &v, err);
    if (rc)
        return rc;
    *out = (size_t)v;
    return PA_OK;
}

static int get_path(const cJSON *o, const char *path, const char *jp, const char *key, const char *base,
                    char **out, pa_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char f[JP_MAX], g[64];
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return pa_errf(err, PA_EINPUT, "%s: %s: expected a file path, got %s", path, jpath(f, sizeof f, jp, key),
                       v ? jgot(g, sizeof g, v) : "nothing");
    char buf[PATH_MAX];
    if (v->valuestring[0] == '/')
        snprintf(buf, sizeof buf, "%s", v->valuestring);
    else
        snprintf(buf, sizeof buf, "%s/%s", base, v->valuestring);
    *out = pa_strdup(buf);
    return *out ? PA_OK : pa_errf(err, PA_ENOMEM, "out of memory");
}

/* epsilon: number, "inf", or a list of them. */
static int get_epsilons(const cJSON *v, const char *path, const char *jp, double *eps, size_t *n, size_t cap,
                        pa_err *err)
{
    *n = 0;
    if (!v) {
        eps[(*n)++] = INFINITY;
        return PA_OK;
    }
    char f[JP_MAX], g[64];
    jpath(f, sizeof f, jp, "epsilon");
    const cJSON *one = cJSON_IsArray(v) ? v->child : v;
    if (cJSON_IsArray(v) && !one)
        return pa_errf(err, PA_EINPUT, "%s: %s: empty list", path, f);
    size_t k = 0;
    for (; one; one = cJSON_IsArray(v) ? one->next : NULL, k++) {
        if (*n == cap)
            return pa_errf(err, PA_EINPUT, "%s: %s: more than %zu values", path, f, cap);
        if (cJSON_IsNumber(one) && one->valuedouble > 0 && isfinite(one->valuedouble))
            eps[(*n)++] = one->valuedouble;
        else if (cJSON_IsString(one) && (strcmp(one->valuestring, "inf") == 0 ||
                                         strcmp(one->valuestring, "infinity") == 0))
            eps[(*n)++] = INFINITY;
        else if (cJSON_IsArray(v))
            return pa_errf(err, PA_EINPUT, "%s: %s[%zu]: expected a positive number or \"inf\", got %s", path, f, k,
                           jgot(g, sizeof g, one));
        else
            return pa_errf(err, PA_EINPUT, "%s: %s: expected a positive number or \"inf\", got %s", path, f,
                           jgot(g, sizeof g, one));
    }
    return PA_OK;
}

static int parse_generators(const cJSON *arr, const char *path, config *c, pa_err *err)
{
    if (!cJSON_IsArray(arr) || !arr->child)
        return pa_errf(err, PA_EINPUT, "%s: generators: expected a non-empty list", path);
    static const char *const keys[] = {"name", "epsilon", "delta", "params", NULL};
    size_t cap = 0;
    size_t gi = 0;
    for (const cJSON *g = arr->child; g; g = g->next, gi++) {
        char jp[JP_MAX];
        snprintf(jp, sizeof jp, "generators[%zu]", gi);
        if (!cJSON_IsObject(g))
            return pa_errf(err, PA_EINPUT, "%s: %s: expected an object", path, jp);
        int rc = known_keys(g, path, jp, keys, err);
        if (rc)
            return rc;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(g, "name");
        if (!cJSON_IsString(nm))
            return pa_errf(err, PA_EINPUT, "%s: %s.name: expected a generator name", path, jp);
        if (!gen_find(nm->valuestring)) {
            pa_err tmp;
            gen_config probe = {.epsilon = 1, .delta = 0};
            gen_check(nm->valuestring, NULL, &probe, &tmp);
            return pa_errf(err, PA_EINPUT, "%s: %s.name: %s", path, jp, tmp.msg);
        }
        double eps[64];
        size_t ne;
        if ((rc = get_epsilons(cJSON_GetObjectItemCaseSensitive(g, "epsilon"), path, jp, eps, &ne, 64, err)))
            return rc;
        double delta;
        if ((rc = get_num(g, path, jp, "delta", 0, 1e-5, 0, 0.999999, &delta, err)))
            return rc;
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(g, "params");
        if (params && !cJSON_IsObject(params))
            return pa_errf(err, PA_EINPUT, "%s: %s.params: expected an object", path, jp);
        for (size_t e = 0; e < ne; e++) {
            if (c->n_cells == cap) {
                cap = cap ? 2 * cap : 8;
                cfg_cell *nc = realloc(c->cells, cap * sizeof *nc);
                if (!nc)
                    return pa_errf(err, PA_ENOMEM, "out of memory");
                c->cells = nc;
            }
            cfg_cell *cell = &c->cells[c->n_cells++];
            memset(cell, 0, sizeof *cell);
            cell->generator = pa_strdup(nm->valuestring);
            cell->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
            cell->params_json = cell->params ? cJSON_PrintUnformatted(cell->params) : NULL;
            cell->epsilon = eps[e];
            cell->delta = delta;
            cell->gen_index = gi;
            if (!cell->generator || !cell->params || !cell->params_json)
                return pa_errf(err, PA_ENOMEM, "out of memory");
        }
    }
    return PA_OK;
}

static int parse_attacks(const cJSON *arr, const char *path, config *c, pa_err *err)
{
    if (!arr) { /* default: distance to closest record */
        c->attacks = calloc(1, sizeof *c->attacks);
        if (!c->attacks)
            return pa_errf(err, PA_ENOMEM, "out of memory");
        c->n_attacks = 1;
        c->attacks[0].name = pa_strdup("dcr");
        c->attacks[0].label = pa_strdup("dcr");
        return PA_OK;
    }
    if (!cJSON_IsArray(arr) || !arr->child)
        return pa_errf(err, PA_EINPUT, "%s: attacks: expected a non-empty list", path);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    c->attacks = calloc(n, sizeof *c->attacks);
    if (!c->attacks)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    static const char *const keys[] = {"name", "label", "params", NULL};
    size_t k = 0;
    for (const cJSON *a = arr->child; a; a = a->next, k++) {
        char jp[JP_MAX];
        snprintf(jp, sizeof jp, "attacks[%zu]", k);
        c->n_attacks = k + 1;
        if (!cJSON_IsObject(a))
            return pa_errf(err, PA_EINPUT, "%s: %s: expected an object", path, jp);
        int rc = known_keys(a, path, jp, keys, err);
        if (rc)
            return rc;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(a, "name");
        const cJSON *lb = cJSON_GetObjectItemCaseSensitive(a, "label");
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(a, "params");
        if (!cJSON_IsString(nm))
            return pa_errf(err, PA_EINPUT, "%s: %s.name: expected an attack name", path, jp);
        if (lb && (!cJSON_IsString(lb) || !lb->valuestring[0]))
            return pa_errf(err, PA_EINPUT, "%s: %s.label: expected a non-empty string", path, jp);
        if (lb && (rc = config_check_label(lb->valuestring, path, jp, err)))
            return rc;
        if (pr && !cJSON_IsObject(pr))
            return pa_errf(err, PA_EINPUT, "%s: %s.params: expected an object", path, jp);
        if (!mia_find(nm->valuestring)) {
            rc = mia_check(nm->valuestring, NULL, NULL, err);
            return pa_err_prefix(err, "%s: %s.name", path, jp), rc;
        }
        c->attacks[k].name = pa_strdup(nm->valuestring);
        c->attacks[k].label = pa_strdup(lb ? lb->valuestring : nm->valuestring);
        c->attacks[k].params = pr ? cJSON_Duplicate(pr, 1) : NULL;
        for (size_t q = 0; q < k; q++)
            if (strcmp(c->attacks[q].label, c->attacks[k].label) == 0)
                return pa_errf(err, PA_EINPUT, "%s: %s.label: \"%s\" used twice (by attacks[%zu] too): give each "
                               "attack its own \"label\"", path, jp, c->attacks[k].label, q);
    }
    return PA_OK;
}

static int parse_targets(const cJSON *t, const char *path, config *c, pa_err *err)
{
    c->select = SELECT_ISOLATED;
    c->n_targets = 1;
    if (!t)
        return PA_OK;
    const char *jp = "targets";
    if (!cJSON_IsObject(t))
        return pa_errf(err, PA_EINPUT, "%s: targets: expected an object", path);
    static const char *const keys[] = {"ids", "select", "count", NULL};
    int rc = known_keys(t, path, jp, keys, err);
    if (rc)
        return rc;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(t, "ids");
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(t, "select");
    if (ids && sel)
        return pa_errf(err, PA_EINPUT, "%s: targets: give either \"ids\" or \"select\", not both", path);
    if (ids) {
        if (!cJSON_IsArray(ids) || !ids->child)
            return pa_errf(err, PA_EINPUT, "%s: targets.ids: expected a non-empty list of row numbers", path);
        c->select = SELECT_GIVEN;
        c->n_targets = (size_t)cJSON_GetArraySize(ids);
        c->target_rows = calloc(c->n_targets, sizeof *c->target_rows);
        if (!c->target_rows)
            return pa_errf(err, PA_ENOMEM, "out of memory");
        size_t k = 0;
        char g[64];
        for (const cJSON *v = ids->child; v; v = v->next, k++) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) ||
                v->valuedouble > 9007199254740991.0)
                return pa_errf(err, PA_EINPUT, "%s: targets.ids[%zu]: expected a row number >= 0, got %s", path, k,
                               jgot(g, sizeof g, v));
            c->target_rows[k] = (int64_t)v->valuedouble;
            for (size_t q = 0; q < k; q++)
                if (c->target_rows[q] == c->target_rows[k])
                    return pa_errf(err, PA_EINPUT, "%s: targets.ids[%zu]: row %lld given twice", path, k,
                                   (long long)c->target_rows[k]);
        }
        return PA_OK;
    }
    if (sel) {
        char g[64];
        if (!cJSON_IsString(sel))
            return pa_errf(err, PA_EINPUT, "%s: targets.select: expected \"isolated\", \"random\" or \"crafted\", "
                           "got %s", path, jgot(g, sizeof g, sel));
        if (strcmp(sel->valuestring, "isolated") == 0)
            c->select = SELECT_ISOLATED;
        else if (strcmp(sel->valuestring, "random") == 0)
            c->select = SELECT_RANDOM;
        else if (strcmp(sel->valuestring, "crafted") == 0)
            c->select = SELECT_CRAFTED;
        else
            return pa_errf(err, PA_EINPUT,
                           "%s: targets.select: got \"%s\", expected \"isolated\", \"random\" or \"crafted\"",
                           path, sel->valuestring);
    }
    return get_count(t, path, jp, "count", 0, 1, 1, 10000, &c->n_targets, err);
}

int config_read(const char *path, const uint64_t *seed_override, config **out, pa_err *err)
{
    return config_parse(path, NULL, seed_override, out, err);
}

int config_parse(const char *path, const char *text, const uint64_t *seed_override, config **out, pa_err *err)
{
    *out = NULL;
    config *c = calloc(1, sizeof *c);
    if (!c || !(c->path = pa_strdup(path))) {
        free(c);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    cJSON *root = NULL;
    int rc = !text                        ? json_read_file(path, &root, &c->json, err)
             : (c->json = pa_strdup(text)) ? json_parse_strict(c->json, strlen(c->json), path, &root, err)
                                           : pa_errf(err, PA_ENOMEM, "out of memory");
    if (rc)
        goto fail;
    if (!cJSON_IsObject(root)) {
        rc = pa_errf(err, PA_EINPUT, "%s: expected a JSON object", path);
        goto fail;
    }
    static const char *const keys[] = {"format", "name", "seed", "data", "split", "train_size", "synth_size",
                                       "games", "calibration", "targets", "generators", "attacks", "audit",
                                       "shadow_games", "utility", "neighbours", "game", "target_copies", "comment", NULL};
    if ((rc = known_keys(root, path, "", keys, err)))
        goto fail;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CONFIG_FORMAT) != 0) {
        char g[64];
        rc = pa_errf(err, PA_EINPUT, "%s: format: expected \"%s\", got %s", path, CONFIG_FORMAT,
                     fmt ? jgot(g, sizeof g, fmt) : "nothing");
        goto fail;
    }
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (nm && !cJSON_IsString(nm)) {
        rc = pa_errf(err, PA_EINPUT, "%s: name: expected a string", path);
        goto fail;
    }
    if (nm && (rc = config_check_name(nm->valuestring, path, "", err)))
        goto fail;
    c->name = pa_strdup(nm ? nm->valuestring : "experiment");
    double seed;
    if ((rc = get_num(root, path, "", "seed", 0, 1, 0, 9007199254740991.0, &seed, err)))
        goto fail;
    if (seed != floor(seed)) {
        rc = pa_errf(err, PA_EINPUT, "%s: seed: expected an integer, got %.17g", path, seed);
        goto fail;
    }
    c->seed = seed_override ? *seed_override : (uint64_t)seed;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *base = dirname(dir);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsObject(data)) {
        rc = pa_errf(err, PA_EINPUT, "%s: data: expected {\"csv\": ..., \"schema\": ...}", path);
        goto fail;
    }
    static const char *const dkeys[] = {"csv", "schema", NULL};
    if ((rc = known_keys(data, path, "data", dkeys, err)) ||
        (rc = get_path(data, path, "data", "csv", base, &c->data_csv, err)) ||
        (rc = get_path(data, path, "data", "schema", base, &c->data_schema, err)))
        goto fail;
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(root, "split");
    c->aux_frac = 0.25;
    c->holdout_frac = 0.1;
    if (split) {
        static const char *const skeys[] = {"aux", "holdout", NULL};
        if (!cJSON_IsObject(split)) {
            rc = pa_errf(err, PA_EINPUT, "%s: split: expected an object", path);
            goto fail;
        }
        if ((rc = known_keys(split, path, "split", skeys, err)) ||
            (rc = get_num(split, path, "split", "aux", 0, 0.25, 0, 0.9, &c->aux_frac, err)) ||
            (rc = get_num(split, path, "split", "holdout", 0, 0.1, 0, 0.9, &c->holdout_frac, err)))
            goto fail;
        if (c->aux_frac + c->holdout_frac > 0.9) {
            rc = pa_errf(err, PA_EINPUT, "%s: split: aux + holdout = %g leaves too little population (at most 0.9)", path,
                         c->aux_frac + c->holdout_frac);
            goto fail;
        }
    }
    if ((rc = get_count(root, path, "", "train_size", 1, 0, 1, 100000000, &c->train_size, err)) ||
        (rc = get_count(root, path, "", "synth_size", 0, c->train_size, 1, 100000000, &c->synth_size, err)) ||
        (rc = get_count(root, path, "", "games", 0, 200, 4, 10000000, &c->games, err)) ||
        (rc = get_num(root, path, "", "calibration", 0, 0.5, 0.05, 0.95, &c->calibration, err)))
        goto fail;
    if ((rc = parse_targets(cJSON_GetObjectItemCaseSensitive(root, "targets"), path, c, err)) ||
        (rc = parse_generators(cJSON_GetObjectItemCaseSensitive(root, "generators"), path, c, err)) ||
        (rc = parse_attacks(cJSON_GetObjectItemCaseSensitive(root, "attacks"), path, c, err)))
        goto fail;
    int has_shadow = 0;
    for (size_t a = 0; a < c->n_attacks; a++)
        has_shadow |= mia_find(c->attacks[a].name)->kind == MIA_SHADOW;
    if ((rc = get_count(root, path, "", "shadow_games", 0, has_shadow ? 200 : 0, 0, 10000000, &c->shadow_games, err)))
        goto fail;
    if (has_shadow && c->shadow_games < 10) {
        rc = pa_errf(err, PA_EINPUT, "%s: shadow_games: a shadow-model attack needs at least 10, got %zu",
                     path, c->shadow_games);
        goto fail;
    }
    const cJSON *nb = cJSON_GetObjectItemCaseSensitive(root, "neighbours");
    if (nb) {
        if (cJSON_IsString(nb) && !strcmp(nb->valuestring, "replace-one")) {
            c->replace_one = 1;
        } else if (!cJSON_IsString(nb) || strcmp(nb->valuestring, "add-remove")) {
            rc = pa_errf(err, PA_EINPUT, "%s: neighbours: expected \"add-remove\" or \"replace-one\"", path);
            goto fail;
        }
    }
    const cJSON *gm = cJSON_GetObjectItemCaseSensitive(root, "game");
    if (gm) {
        if (cJSON_IsString(gm) && !strcmp(gm->valuestring, "fixed")) {
            c->fixed_game = 1;
        } else if (!cJSON_IsString(gm) || strcmp(gm->valuestring, "average")) {
            rc = pa_errf(err, PA_EINPUT, "%s: game: expected \"average\" or \"fixed\"", path);
            goto fail;
        }
    }
    /* a worst-case D (fixed game): copies of each target among its records, so that no statistic the
     * target touches is near 0, where a generator's clipping and domain compression hide one record */
    if ((rc = get_count(root, path, "", "target_copies", 0, 0, 0, 1000000, &c->target_copies, err)))
        goto fail;
    if (c->target_copies && !c->fixed_game) {
        rc = pa_errf(err, PA_EINPUT, "%s: target_copies: %zu copies of each target in D need \"game\": \"fixed\" "
                     "(the average game draws a fresh D every trial)", path, c->target_copies);
        goto fail;
    }
    if (c->target_copies && c->n_targets * c->target_copies >= c->train_size) {
        rc = pa_errf(err, PA_EINPUT, "%s: target_copies: %zu targets x %zu copies must leave records of D "
                     "(train_size %zu)", path, c->n_targets, c->target_copies, c->train_size);
        goto fail;
    }
    const cJSON *ut = cJSON_GetObjectItemCaseSensitive(root, "utility");
    c->util_max_sets = 20;
    c->util_tvd[1] = 1; /* default: 2-way TVD of every release against its training set */
    if (ut) {
        static const char *const ukeys[] = {"tvd", "max_sets", "tstr", NULL};
        if (!cJSON_IsObject(ut)) {
            rc = pa_errf(err, PA_EINPUT, "%s: utility: expected an object", path);
            goto fail;
        }
        if ((rc = known_keys(ut, path, "utility", ukeys, err)) ||
            (rc = get_count(ut, path, "utility", "max_sets", 0, 20, 0, 100000, &c->util_max_sets, err)))
            goto fail;
        const cJSON *tv = cJSON_GetObjectItemCaseSensitive(ut, "tvd");
        if (tv) {
            c->util_tvd[1] = 0;
            if (!cJSON_IsArray(tv)) {
                rc = pa_errf(err, PA_EINPUT, "%s: utility.tvd: expected a list of marginal orders from 1, 2, 3", path);
                goto fail;
            }
            for (const cJSON *e = tv->child; e; e = e->next) {
                if (!cJSON_IsNumber(e) || (e->valuedouble != 1 && e->valuedouble != 2 && e->valuedouble != 3)) {
                    rc = pa_errf(err, PA_EINPUT, "%s: utility.tvd: expected orders 1, 2 or 3", path);
                    goto fail;
                }
                c->util_tvd[(int)e->valuedouble - 1] = 1;
            }
        }
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ut, "tstr");
        if (ts) {
            if (!cJSON_IsString(ts) || !ts->valuestring[0]) {
                rc = pa_errf(err, PA_EINPUT, "%s: utility.tstr: expected the name of the column to predict", path);
                goto fail;
            }
            c->util_tstr = pa_strdup(ts->valuestring);
        }
    }
    const cJSON *audit = cJSON_GetObjectItemCaseSensitive(root, "audit");
    c->alpha = 0.1;
    c->audit_delta = 1e-5;
    if (audit) {
        static const char *const akeys[] = {"alpha", "delta", NULL};
        if (!cJSON_IsObject(audit)) {
            rc = pa_errf(err, PA_EINPUT, "%s: audit: expected an object", path);
            goto fail;
        }
        if ((rc = known_keys(audit, path, "audit", akeys, err)) ||
            (rc = get_num(audit, path, "audit", "alpha", 0, 0.1, 1e-6, 0.5, &c->alpha, err)) ||
            (rc = get_num(audit, path, "audit", "delta", 0, 1e-5, 0, 0.5, &c->audit_delta, err)))
            goto fail;
    }
    /* hash of the canonical form, with the effective seed, so a --seed run is its own experiment */
    char *canon = cJSON_PrintUnformatted(root);
    if (!canon) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    uint64_t h = util_fnv(UTIL_FNV_INIT, canon, strlen(canon));
    h = util_fnv(h, &c->seed, sizeof c->seed);
    free(canon);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
    c->hash = pa_strdup(hex);
    cJSON_Delete(root);
    *out = c;
    return PA_OK;
fail:
    cJSON_Delete(root);
    config_free(c);
    return rc ? rc : PA_EINPUT;
}

/* Rewrites err->msg, a message of generator or attack `name` (kind
 * "generator" or "attack") about entry jp of the config at path, into
 * "PATH: JP.params.KEY: ..." when it is about parameter KEY, else
 * "PATH: JP (DESC): ..." (desc: the name, and the epsilon for a cell). */
static int config_locate(pa_err *err, const char *path, const char *jp, const char *kind, const char *name,
                         const char *desc)
{
    if (!err)
        return PA_EINPUT;
    char pre[128], out[sizeof err->msg];
    snprintf(pre, sizeof pre, "%s \"%s\": ", kind, name);
    const char *m = err->msg, *rest = strncmp(m, pre, strlen(pre)) ? m : m + strlen(pre);
    const char *key = NULL, *tail = NULL;
    size_t klen = 0;
    int unknown = 0;
    if (!strncmp(rest, "parameter \"", 11) || !strncmp(rest, "unknown parameter \"", 19)) {
        unknown = rest[0] == 'u';
        key = rest + (unknown ? 19 : 11);
        const char *q = strchr(key, '"');
        if (q) {
            klen = (size_t)(q - key);
            tail = q + 1;
            if (!unknown && *tail == '[') { /* "argv"[1] */
                const char *e = strchr(tail, ']');
                tail = e ? e + 1 : tail;
            }
        } else {
            key = NULL;
        }
    }
    int w; /* cut when too long */
    if (key && unknown)
        w = snprintf(out, sizeof out, "%s: %s.params: unknown field \"%.*s\"%s", path, jp, (int)klen, key, tail);
    else if (key) {
        const char *idx = key + klen + 1; /* [i] or the tail */
        int ilen = (int)(tail - idx);
        while (*tail == ':' || *tail == ' ')
            tail++;
        w = snprintf(out, sizeof out, "%s: %s.params.%.*s%.*s: %s", path, jp, (int)klen, key, ilen, idx, tail);
    } else {
        /* a message about the entry's own delta or epsilon points at that field */
        const char *f = !strncmp(rest, "delta ", 6) ? ".delta" : !strncmp(rest, "epsilon ", 8) ? ".epsilon" : "";
        w = snprintf(out, sizeof out, "%s: %s%s (%s): %s", path, jp, f, desc, rest);
    }
    if (w < 0)
        return err->code;
    memcpy(err->msg, out, sizeof out);
    return err->code;
}

int config_check_data(const config *c, const schema *s, size_t n_rows, pa_err *err)
{
    const char *path = c->path;
    for (size_t k = 0; k < c->n_cells; k++) {
        const cfg_cell *cell = &c->cells[k];
        char jp[JP_MAX], desc[128];
        snprintf(jp, sizeof jp, "generators[%zu]", cell->gen_index);
        snprintf(desc, sizeof desc, "%s at epsilon %g", cell->generator, cell->epsilon);
        if (isfinite(cell->epsilon) && s->inferred)
            return pa_errf(err, PA_EINPUT,
                           "%s: %s.epsilon: %g is a DP run of \"%s\", but the schema %s was inferred from the data "
                           "(\"inferred\": true): its bounds leak; give public bounds and remove \"inferred\"",
                           path, jp, cell->epsilon, cell->generator, c->data_schema);
        gen_config g = {.epsilon = cell->epsilon, .delta = cell->delta, .params = cell->params,
                        .rows = c->synth_size};
        int rc = gen_check(cell->generator, s, &g, err);
        if (rc)
            return config_locate(err, path, jp, "generator", cell->generator, desc), rc;
    }
    if (c->replace_one && c->n_targets > c->train_size)
        return pa_errf(err, PA_EINPUT, "%s: neighbours: \"replace-one\": %zu targets cannot replace records of a "
                       "training set of %zu (train_size)", path, c->n_targets, c->train_size);
    if (c->util_tstr) {
        int j = schema_col(s, c->util_tstr);
        if (j < 0 || s->cols[j].kind != COL_CAT)
            return pa_errf(err, PA_EINPUT, "%s: utility.tstr: \"%s\" is not a categorical column of %s", path,
                           c->util_tstr, c->data_schema);
        if (c->holdout_frac <= 0)
            return pa_errf(err, PA_EINPUT, "%s: utility.tstr: needs a holdout split (split.holdout > 0)", path);
    }
    for (size_t k = 0; k < c->n_attacks; k++) {
        int rc = mia_check(c->attacks[k].name, s, c->attacks[k].params, err);
        if (rc) {
            char jp[JP_MAX];
            snprintf(jp, sizeof jp, "attacks[%zu]", k);
            return config_locate(err, path, jp, "attack", c->attacks[k].name, c->attacks[k].name), rc;
        }
    }
    size_t pop = (size_t)((double)n_rows * (1 - c->aux_frac - c->holdout_frac));
    if (c->train_size + c->n_targets > pop)
        return pa_errf(err, PA_EINPUT,
                       "%s: train_size: %zu plus %zu targets exceeds the population split (%zu of the %zu rows of %s "
                       "after aux %g and holdout %g)",
                       path, c->train_size, c->n_targets, pop, n_rows, c->data_csv, c->aux_frac, c->holdout_frac);
    if (c->select == SELECT_GIVEN)
        for (size_t k = 0; k < c->n_targets; k++)
            if ((size_t)c->target_rows[k] >= n_rows)
                return pa_errf(err, PA_EINPUT, "%s: targets.ids[%zu]: row %lld, but %s has %zu rows", path, k,
                               (long long)c->target_rows[k], c->data_csv, n_rows);
    return PA_OK;
}
