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

int config_check_label(const char *label, const char *where, pa_err *err)
{
    int cc = util_ctrl_char(label);
    if (cc)
        return pa_errf(err, PA_EINPUT, "%s: field \"label\": contains a control character (0x%02x): expected "
                       "printable text", where, cc);
    size_t n = strlen(label);
    if (n > CONFIG_MAX_LABEL)
        return pa_errf(err, PA_EINPUT, "%s: field \"label\": %zu bytes: expected at most %d (labels are kept "
                       "whole; a shorter one keeps reports readable)", where, n, CONFIG_MAX_LABEL);
    return PA_OK;
}

int config_check_name(const char *name, const char *where, pa_err *err)
{
    if (!name[0])
        return pa_errf(err, PA_EINPUT, "%s: field \"name\": expected a non-empty name", where);
    int cc = util_ctrl_char(name);
    if (cc)
        return pa_errf(err, PA_EINPUT, "%s: field \"name\": contains a control character (0x%02x): expected "
                       "printable text", where, cc);
    if (strchr(name, '/') || strchr(name, '\\') || !strcmp(name, ".") || !strcmp(name, ".."))
        return pa_errf(err, PA_EINPUT, "%s: field \"name\": got \"%s\", expected a name without '/' or '\\' "
                       "(and not \".\" or \"..\"): it names the default database NAME.db beside the config",
                       where, name);
    if (strlen(name) > CONFIG_MAX_NAME)
        return pa_errf(err, PA_EINPUT, "%s: field \"name\": %zu bytes: expected at most %d", where, strlen(name),
                       CONFIG_MAX_NAME);
    return PA_OK;
}

static int known_keys(const cJSON *o, const char *where, const char *const *keys, pa_err *err)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], it->string) != 0)
            k++;
        if (!keys[k]) {
            char list[512] = "";
            for (size_t q = 0; keys[q]; q++) {
                if (q)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, keys[q], sizeof list - strlen(list) - 1);
            }
            return pa_errf(err, PA_EINPUT, "%s: unknown field \"%s\" (expected one of: %s)", where, it->string,
                           list);
        }
    }
    return PA_OK;
}

/* A number field in [lo, hi]; absent: def (if required is 0). */
static int get_num(const cJSON *o, const char *where, const char *key, int required, double def, double lo,
                   double hi, double *out, pa_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required)
            return pa_errf(err, PA_EINPUT, "%s: missing field \"%s\"", where, key);
        *out = def;
        return PA_OK;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return pa_errf(err, PA_EINPUT, "%s: field \"%s\": expected a number in [%g, %g]", where, key, lo, hi);
    *out = v->valuedouble;
    return PA_OK;
}

static int get_count(const cJSON *o, const char *where, const char *key, int required, size_t def, size_t lo,
                     size_t hi, size_t *out, pa_err *err)
{
    double v;
    int rc = get_num(o, where, key, required, (double)def, (double)lo, (double)hi, &v, err);
    if (rc)
        return rc;
    if (v != floor(v))
        return pa_errf(err, PA_EINPUT, "%s: field \"%s\": expected an integer", where, key);
    *out = (size_t)v;
    return PA_OK;
}

static int get_path(const cJSON *o, const char *where, const char *key, const char *base, char **out,
                    pa_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return pa_errf(err, PA_EINPUT, "%s: field \"%s\": expected a file path", where, key);
    char buf[PATH_MAX];
    if (v->valuestring[0] == '/')
        snprintf(buf, sizeof buf, "%s", v->valuestring);
    else
        snprintf(buf, sizeof buf, "%s/%s", base, v->valuestring);
    *out = pa_strdup(buf);
    return *out ? PA_OK : pa_errf(err, PA_ENOMEM, "out of memory");
}

/* epsilon: number, "inf", or a list of them. */
static int get_epsilons(const cJSON *v, const char *where, double *eps, size_t *n, size_t cap, pa_err *err)
{
    *n = 0;
    if (!v) {
        eps[(*n)++] = INFINITY;
        return PA_OK;
    }
    const cJSON *one = cJSON_IsArray(v) ? v->child : v;
    if (cJSON_IsArray(v) && !one)
        return pa_errf(err, PA_EINPUT, "%s: field \"epsilon\": empty list", where);
    for (; one; one = cJSON_IsArray(v) ? one->next : NULL) {
        if (*n == cap)
            return pa_errf(err, PA_EINPUT, "%s: field \"epsilon\": more than %zu values", where, cap);
        if (cJSON_IsNumber(one) && one->valuedouble > 0 && isfinite(one->valuedouble))
            eps[(*n)++] = one->valuedouble;
        else if (cJSON_IsString(one) && (strcmp(one->valuestring, "inf") == 0 ||
                                         strcmp(one->valuestring, "infinity") == 0))
            eps[(*n)++] = INFINITY;
        else
            return pa_errf(err, PA_EINPUT, "%s: field \"epsilon\": expected a positive number or \"inf\"", where);
    }
    return PA_OK;
}

static int parse_generators(const cJSON *arr, const char *path, config *c, pa_err *err)
{
    if (!cJSON_IsArray(arr) || !arr->child)
        return pa_errf(err, PA_EINPUT, "%s: field \"generators\": expected a non-empty list", path);
    static const char *const keys[] = {"name", "epsilon", "delta", "params", NULL};
    size_t cap = 0;
    size_t gi = 0;
    for (const cJSON *g = arr->child; g; g = g->next, gi++) {
        char where[PATH_MAX + 64];
        snprintf(where, sizeof where, "%s: generators[%zu]", path, gi);
        if (!cJSON_IsObject(g))
            return pa_errf(err, PA_EINPUT, "%s: expected an object", where);
        int rc = known_keys(g, where, keys, err);
        if (rc)
            return rc;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(g, "name");
        if (!cJSON_IsString(nm))
            return pa_errf(err, PA_EINPUT, "%s: field \"name\": expected a generator name", where);
        if (!gen_find(nm->valuestring)) {
            pa_err tmp;
            gen_config probe = {.epsilon = 1, .delta = 0};
            gen_check(nm->valuestring, NULL, &probe, &tmp);
            return pa_errf(err, PA_EINPUT, "%s: %s", where, tmp.msg);
        }
        double eps[64];
        size_t ne;
        if ((rc = get_epsilons(cJSON_GetObjectItemCaseSensitive(g, "epsilon"), where, eps, &ne, 64, err)))
            return rc;
        double delta;
        if ((rc = get_num(g, where, "delta", 0, 1e-5, 0, 0.999999, &delta, err)))
            return rc;
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(g, "params");
        if (params && !cJSON_IsObject(params))
            return pa_errf(err, PA_EINPUT, "%s: field \"params\": expected an object", where);
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
        return pa_errf(err, PA_EINPUT, "%s: field \"attacks\": expected a non-empty list", path);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    c->attacks = calloc(n, sizeof *c->attacks);
    if (!c->attacks)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    static const char *const keys[] = {"name", "label", "params", NULL};
    size_t k = 0;
    for (const cJSON *a = arr->child; a; a = a->next, k++) {
        char where[PATH_MAX + 64];
        snprintf(where, sizeof where, "%s: attacks[%zu]", path, k);
        c->n_attacks = k + 1;
        if (!cJSON_IsObject(a))
            return pa_errf(err, PA_EINPUT, "%s: expected an object", where);
        int rc = known_keys(a, where, keys, err);
        if (rc)
            return rc;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(a, "name");
        const cJSON *lb = cJSON_GetObjectItemCaseSensitive(a, "label");
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(a, "params");
        if (!cJSON_IsString(nm))
            return pa_errf(err, PA_EINPUT, "%s: field \"name\": expected an attack name", where);
        if (lb && (!cJSON_IsString(lb) || !lb->valuestring[0]))
            return pa_errf(err, PA_EINPUT, "%s: field \"label\": expected a non-empty string", where);
        if (lb && (rc = config_check_label(lb->valuestring, where, err)))
            return rc;
        if (pr && !cJSON_IsObject(pr))
            return pa_errf(err, PA_EINPUT, "%s: field \"params\": expected an object", where);
        if (!mia_find(nm->valuestring)) {
            rc = mia_check(nm->valuestring, NULL, NULL, err);
            return pa_err_prefix(err, "%s", where), rc;
        }
        c->attacks[k].name = pa_strdup(nm->valuestring);
        c->attacks[k].label = pa_strdup(lb ? lb->valuestring : nm->valuestring);
        c->attacks[k].params = pr ? cJSON_Duplicate(pr, 1) : NULL;
        for (size_t q = 0; q < k; q++)
            if (strcmp(c->attacks[q].label, c->attacks[k].label) == 0)
                return pa_errf(err, PA_EINPUT, "%s: label \"%s\" used twice: give each attack its own \"label\"",
                               where, c->attacks[k].label);
    }
    return PA_OK;
}

static int parse_targets(const cJSON *t, const char *path, config *c, pa_err *err)
{
    c->select = SELECT_ISOLATED;
    c->n_targets = 1;
    if (!t)
        return PA_OK;
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s: targets", path);
    if (!cJSON_IsObject(t))
        return pa_errf(err, PA_EINPUT, "%s: expected an object", where);
    static const char *const keys[] = {"ids", "select", "count", NULL};
    int rc = known_keys(t, where, keys, err);
    if (rc)
        return rc;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(t, "ids");
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(t, "select");
    if (ids && sel)
        return pa_errf(err, PA_EINPUT, "%s: give either \"ids\" or \"select\", not both", where);
    if (ids) {
        if (!cJSON_IsArray(ids) || !ids->child)
            return pa_errf(err, PA_EINPUT, "%s: field \"ids\": expected a non-empty list of row numbers", where);
        c->select = SELECT_GIVEN;
        c->n_targets = (size_t)cJSON_GetArraySize(ids);
        c->target_rows = calloc(c->n_targets, sizeof *c->target_rows);
        if (!c->target_rows)
            return pa_errf(err, PA_ENOMEM, "out of memory");
        size_t k = 0;
        for (const cJSON *v = ids->child; v; v = v->next, k++) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble))
                return pa_errf(err, PA_EINPUT, "%s: ids[%zu]: expected a row number >= 0", where, k);
            c->target_rows[k] = (int64_t)v->valuedouble;
            for (size_t q = 0; q < k; q++)
                if (c->target_rows[q] == c->target_rows[k])
                    return pa_errf(err, PA_EINPUT, "%s: ids[%zu]: row %lld given twice", where, k,
                                   (long long)c->target_rows[k]);
        }
        return PA_OK;
    }
    if (sel) {
        if (!cJSON_IsString(sel))
            return pa_errf(err, PA_EINPUT, "%s: field \"select\": expected \"isolated\", \"random\" or \"crafted\"",
                           where);
        if (strcmp(sel->valuestring, "isolated") == 0)
            c->select = SELECT_ISOLATED;
        else if (strcmp(sel->valuestring, "random") == 0)
            c->select = SELECT_RANDOM;
        else if (strcmp(sel->valuestring, "crafted") == 0)
            c->select = SELECT_CRAFTED;
        else
            return pa_errf(err, PA_EINPUT,
                           "%s: field \"select\": got \"%s\", expected \"isolated\", \"random\" or \"crafted\"",
                           where, sel->valuestring);
    }
    return get_count(t, where, "count", 0, 1, 1, 10000, &c->n_targets, err);
}

int config_read(const char *path, const uint64_t *seed_override, config **out, pa_err *err)
{
    return config_parse(path, NULL, seed_override, out, err);
}

int config_parse(const char *path, const char *text, const uint64_t *seed_override, config **out, pa_err *err)
{
    *out = NULL;
    config *c = calloc(1, sizeof *c);
    if (!c)
        return pa_errf(err, PA_ENOMEM, "out of memory");
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
                                       "shadow_games", "utility", "neighbours", "game", "comment", NULL};
    if ((rc = known_keys(root, path, keys, err)))
        goto fail;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CONFIG_FORMAT) != 0) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"format\": expected \"%s\"", path, CONFIG_FORMAT);
        goto fail;
    }
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (nm && !cJSON_IsString(nm)) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"name\": expected a string", path);
        goto fail;
    }
    if (nm && (rc = config_check_name(nm->valuestring, path, err)))
        goto fail;
    c->name = pa_strdup(nm ? nm->valuestring : "experiment");
    double seed;
    if ((rc = get_num(root, path, "seed", 0, 1, 0, 9007199254740991.0, &seed, err)))
        goto fail;
    if (seed != floor(seed)) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"seed\": expected an integer", path);
        goto fail;
    }
    c->seed = seed_override ? *seed_override : (uint64_t)seed;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *base = dirname(dir);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s: data", path);
    if (!cJSON_IsObject(data)) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"data\": expected {\"csv\": ..., \"schema\": ...}", path);
        goto fail;
    }
    static const char *const dkeys[] = {"csv", "schema", NULL};
    if ((rc = known_keys(data, where, dkeys, err)) || (rc = get_path(data, where, "csv", base, &c->data_csv, err)) ||
        (rc = get_path(data, where, "schema", base, &c->data_schema, err)))
        goto fail;
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(root, "split");
    c->aux_frac = 0.25;
    c->holdout_frac = 0.1;
    if (split) {
        snprintf(where, sizeof where, "%s: split", path);
        static const char *const skeys[] = {"aux", "holdout", NULL};
        if (!cJSON_IsObject(split)) {
            rc = pa_errf(err, PA_EINPUT, "%s: expected an object", where);
            goto fail;
        }
        if ((rc = known_keys(split, where, skeys, err)) ||
            (rc = get_num(split, where, "aux", 0, 0.25, 0, 0.9, &c->aux_frac, err)) ||
            (rc = get_num(split, where, "holdout", 0, 0.1, 0, 0.9, &c->holdout_frac, err)))
            goto fail;
        if (c->aux_frac + c->holdout_frac > 0.9) {
            rc = pa_errf(err, PA_EINPUT, "%s: aux + holdout = %g leaves too little population (at most 0.9)", where,
                         c->aux_frac + c->holdout_frac);
            goto fail;
        }
    }
    if ((rc = get_count(root, path, "train_size", 1, 0, 1, 100000000, &c->train_size, err)) ||
        (rc = get_count(root, path, "synth_size", 0, c->train_size, 1, 100000000, &c->synth_size, err)) ||
        (rc = get_count(root, path, "games", 0, 200, 4, 10000000, &c->games, err)) ||
        (rc = get_num(root, path, "calibration", 0, 0.5, 0.05, 0.95, &c->calibration, err)))
        goto fail;
    if ((rc = parse_targets(cJSON_GetObjectItemCaseSensitive(root, "targets"), path, c, err)) ||
        (rc = parse_generators(cJSON_GetObjectItemCaseSensitive(root, "generators"), path, c, err)) ||
        (rc = parse_attacks(cJSON_GetObjectItemCaseSensitive(root, "attacks"), path, c, err)))
        goto fail;
    int has_shadow = 0;
    for (size_t a = 0; a < c->n_attacks; a++)
        has_shadow |= mia_find(c->attacks[a].name)->kind == MIA_SHADOW;
    if ((rc = get_count(root, path, "shadow_games", 0, has_shadow ? 200 : 0, 0, 10000000, &c->shadow_games, err)))
        goto fail;
    if (has_shadow && c->shadow_games < 10) {
        rc = pa_errf(err, PA_EINPUT, "%s: field \"shadow_games\": a shadow-model attack needs at least 10 (got %zu)",
                     path, c->shadow_games);
        goto fail;
    }
    const cJSON *nb = cJSON_GetObjectItemCaseSensitive(root, "neighbours");
    if (nb) {
        if (cJSON_IsString(nb) && !strcmp(nb->valuestring, "replace-one")) {
            c->replace_one = 1;
        } else if (!cJSON_IsString(nb) || strcmp(nb->valuestring, "add-remove")) {
            rc = pa_errf(err, PA_EINPUT, "%s: field \"neighbours\": expected \"add-remove\" or \"replace-one\"", path);
            goto fail;
        }
    }
    const cJSON *gm = cJSON_GetObjectItemCaseSensitive(root, "game");
    if (gm) {
        if (cJSON_IsString(gm) && !strcmp(gm->valuestring, "fixed")) {
            c->fixed_game = 1;
        } else if (!cJSON_IsString(gm) || strcmp(gm->valuestring, "average")) {
            rc = pa_errf(err, PA_EINPUT, "%s: field \"game\": expected \"average\" or \"fixed\"", path);
            goto fail;
        }
    }
    const cJSON *ut = cJSON_GetObjectItemCaseSensitive(root, "utility");
    c->util_max_sets = 20;
    c->util_tvd[1] = 1; /* default: 2-way TVD of every release against its training set */
    if (ut) {
        snprintf(where, sizeof where, "%s: utility", path);
        static const char *const ukeys[] = {"tvd", "max_sets", "tstr", NULL};
        if (!cJSON_IsObject(ut)) {
            rc = pa_errf(err, PA_EINPUT, "%s: expected an object", where);
            goto fail;
        }
        if ((rc = known_keys(ut, where, ukeys, err)) ||
            (rc = get_count(ut, where, "max_sets", 0, 20, 0, 100000, &c->util_max_sets, err)))
            goto fail;
        const cJSON *tv = cJSON_GetObjectItemCaseSensitive(ut, "tvd");
        if (tv) {
            c->util_tvd[1] = 0;
            if (!cJSON_IsArray(tv)) {
                rc = pa_errf(err, PA_EINPUT, "%s: field \"tvd\": expected a list of marginal orders from 1, 2, 3", where);
                goto fail;
            }
            for (const cJSON *e = tv->child; e; e = e->next) {
                if (!cJSON_IsNumber(e) || (e->valuedouble != 1 && e->valuedouble != 2 && e->valuedouble != 3)) {
                    rc = pa_errf(err, PA_EINPUT, "%s: field \"tvd\": expected orders 1, 2 or 3", where);
                    goto fail;
                }
                c->util_tvd[(int)e->valuedouble - 1] = 1;
            }
        }
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ut, "tstr");
        if (ts) {
            if (!cJSON_IsString(ts) || !ts->valuestring[0]) {
                rc = pa_errf(err, PA_EINPUT, "%s: field \"tstr\": expected the name of the column to predict", where);
                goto fail;
            }
            c->util_tstr = pa_strdup(ts->valuestring);
        }
    }
    const cJSON *audit = cJSON_GetObjectItemCaseSensitive(root, "audit");
    c->alpha = 0.1;
    c->audit_delta = 1e-5;
    if (audit) {
        snprintf(where, sizeof where, "%s: audit", path);
        static const char *const akeys[] = {"alpha", "delta", NULL};
        if (!cJSON_IsObject(audit)) {
            rc = pa_errf(err, PA_EINPUT, "%s: expected an object", where);
            goto fail;
        }
        if ((rc = known_keys(audit, where, akeys, err)) ||
            (rc = get_num(audit, where, "alpha", 0, 0.1, 1e-6, 0.5, &c->alpha, err)) ||
            (rc = get_num(audit, where, "delta", 0, 1e-5, 0, 0.5, &c->audit_delta, err)))
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

int config_check_data(const config *c, const schema *s, size_t n_rows, pa_err *err)
{
    for (size_t k = 0; k < c->n_cells; k++) {
        const cfg_cell *cell = &c->cells[k];
        if (isfinite(cell->epsilon) && s->inferred)
            return pa_errf(err, PA_EINPUT,
                           "%s: generator \"%s\" at epsilon %g is a DP run, but the schema was inferred from the "
                           "data (\"inferred\": true): its bounds leak; give public bounds and remove \"inferred\"",
                           c->data_schema, cell->generator, cell->epsilon);
        gen_config g = {.epsilon = cell->epsilon, .delta = cell->delta, .params = cell->params};
        int rc = gen_check(cell->generator, s, &g, err);
        if (rc)
            return pa_err_prefix(err, "config generators (%s)", cell->generator), rc;
    }
    if (c->replace_one && c->n_targets > c->train_size)
        return pa_errf(err, PA_EINPUT, "neighbours \"replace-one\": %zu targets cannot replace records of a "
                       "training set of %zu", c->n_targets, c->train_size);
    if (c->util_tstr) {
        int j = schema_col(s, c->util_tstr);
        if (j < 0 || s->cols[j].kind != COL_CAT)
            return pa_errf(err, PA_EINPUT, "config utility.tstr: \"%s\" is not a categorical column of %s",
                           c->util_tstr, c->data_schema);
        if (c->holdout_frac <= 0)
            return pa_errf(err, PA_EINPUT, "config utility.tstr needs a holdout split (split.holdout > 0)");
    }
    for (size_t k = 0; k < c->n_attacks; k++) {
        int rc = mia_check(c->attacks[k].name, s, c->attacks[k].params, err);
        if (rc)
            return pa_err_prefix(err, "config attacks[%zu]", k), rc;
    }
    size_t pop = (size_t)((double)n_rows * (1 - c->aux_frac - c->holdout_frac));
    if (c->train_size + c->n_targets > pop)
        return pa_errf(err, PA_EINPUT,
                       "train_size %zu plus %zu targets exceeds the population split (%zu of %zu rows after aux %g "
                       "and holdout %g)",
                       c->train_size, c->n_targets, pop, n_rows, c->aux_frac, c->holdout_frac);
    if (c->select == SELECT_GIVEN)
        for (size_t k = 0; k < c->n_targets; k++)
            if ((size_t)c->target_rows[k] >= n_rows)
                return pa_errf(err, PA_EINPUT, "targets.ids[%zu]: row %lld, but the data has %zu rows", k,
                               (long long)c->target_rows[k], n_rows);
    return PA_OK;
}
