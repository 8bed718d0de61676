#include "harness/args.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

int args_opt(int argc, char **argv, int *i, const char *cmd, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) != 0)
        return 0;
    if (a[len] == '=') {
        *val = a + len + 1;
        return 1;
    }
    if (a[len] != 0)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "privaudit %s: %s: expected a value after it\n", cmd, name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int args_double(const char *cmd, const char *name, const char *s, double lo, double hi, double *out)
{
    double v;
    if (!strcmp(s, "inf") || !strcmp(s, "infinity"))
        v = INFINITY;
    else if (util_parse_double(s, &v) != 0)
        v = NAN;
    if (!(v >= lo && v <= hi)) {
        fprintf(stderr, "privaudit %s: %s: got \"%s\", expected a number in [%g, %g]\n", cmd, name, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int args_u64(const char *cmd, const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v;
    if (util_parse_u64(s, &v) != 0 || v < lo || v > hi) {
        fprintf(stderr, "privaudit %s: %s: got \"%s\", expected an integer in [%llu, %llu]\n", cmd, name, s,
                (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

int args_param(const char *cmd, cJSON *obj, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "privaudit %s: --param: got \"%s\", expected key=value\n", cmd, kv);
        return -1;
    }
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    const char *v = eq + 1;
    double x;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (util_parse_double(v, &x) == 0)
        cJSON_AddNumberToObject(obj, key, x);
    else if (!strcmp(v, "true") || !strcmp(v, "false"))
        cJSON_AddBoolToObject(obj, key, !strcmp(v, "true"));
    else
        cJSON_AddStringToObject(obj, key, v);
    return 0;
}
