#include "harness/args.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/json.h"
#include "core/util.h"
#include "harness/store.h"

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
    if (util_ctrl_char(kv)) {
        fprintf(stderr, "privaudit %s: --param: contains a control character (0x%02x): expected key=value text\n",
                cmd, util_ctrl_char(kv));
        return -1;
    }
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    const char *v = eq + 1;
    double x;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (v[0] == '[') { /* a JSON array: the external generator's argv, say */
        cJSON *arr = NULL;
        pa_err e = {0};
        if (json_parse_strict(v, strlen(v), "--param", &arr, &e) || !cJSON_IsArray(arr)) {
            fprintf(stderr, "privaudit %s: --param %s: value starts with '[' but is not a JSON array (%s)\n", cmd,
                    key, e.msg[0] ? e.msg : "another JSON value");
            cJSON_Delete(arr);
            return -1;
        }
        cJSON_AddItemToObject(obj, key, arr);
    } else if (util_parse_double(v, &x) == 0)
        cJSON_AddNumberToObject(obj, key, x);
    else if (!strcmp(v, "true") || !strcmp(v, "false"))
        cJSON_AddBoolToObject(obj, key, !strcmp(v, "true"));
    else
        cJSON_AddStringToObject(obj, key, v);
    return 0;
}

/* ---- paths ---- */

int args_path(const char *cmd, const char *opt, const char *path)
{
    if (!path || !path[0]) {
        fprintf(stderr, "privaudit %s: %s: expected a path, got an empty string\n", cmd, opt);
        return -1;
    }
    if (util_ctrl_char(path)) {
        fprintf(stderr, "privaudit %s: %s: the path contains a control character (0x%02x)\n", cmd, opt,
                util_ctrl_char(path));
        return -1;
    }
    return 0;
}

int args_in_file(const char *cmd, const char *opt, const char *path)
{
    if (args_path(cmd, opt, path))
        return -1;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "privaudit %s: %s: \"%s\" is a folder: expected a file\n", cmd, opt, path);
        return -1;
    }
    return 0;
}

/* The folder of path ("." when it has none) into buf. */
static void folder_of(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') /* "a/b/" names b */
        buf[--n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(buf, cap, ".");
    else if (slash == buf)
        buf[1] = 0;
    else
        *slash = 0;
}

int args_out_file(const char *cmd, const char *opt, const char *path, const args_input *inputs)
{
    if (args_path(cmd, opt, path))
        return -1;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "privaudit %s: %s: \"%s\" is a folder: expected a file name\n", cmd, opt, path);
        return -1;
    }
    char dir[PATH_MAX];
    folder_of(path, dir, sizeof dir);
    if (stat(dir, &sb) != 0) {
        fprintf(stderr, "privaudit %s: %s: \"%s\": no such folder \"%s\" (%s)\n", cmd, opt, path, dir,
                strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "privaudit %s: %s: \"%s\": \"%s\" is not a folder\n", cmd, opt, path, dir);
        return -1;
    }
    for (const args_input *in = inputs; in && in->opt; in++)
        if (in->path && util_same_file(path, in->path)) {
            fprintf(stderr, "privaudit %s: %s: \"%s\" is the input %s (\"%s\"): refusing to overwrite it\n", cmd,
                    opt, path, in->opt, in->path);
            return -1;
        }
    return 0;
}

int args_db_file(const char *cmd, const char *opt, const char *path, const args_input *inputs)
{
    if (args_out_file(cmd, opt, path, inputs))
        return -1;
    struct stat sb;
    if (stat(path, &sb) != 0 || sb.st_size == 0)
        return 0; /* created, or an empty file SQLite fills */
    static const char magic[16] = "SQLite format 3";
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    if (!S_ISREG(sb.st_mode) || got != sizeof head || memcmp(head, magic, sizeof magic) != 0) {
        fprintf(stderr, "privaudit %s: %s: \"%s\" is not an SQLite database (it does not start with \"SQLite "
                "format 3\"): refusing to write into it\n", cmd, opt, path);
        return -1;
    }
    /* another program's database: tables, none of them privaudit's meta (which every privaudit
     * database has); store_open refuses it too, this says so before any output is made */
    sqlite3 *db = NULL;
    long long tables = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK ? store_foreign_tables(db) : 0;
    sqlite3_close(db);
    if (tables > 0) {
        fprintf(stderr, "privaudit %s: %s: %s: an SQLite database privaudit did not write (%lld tables, none of "
                "them privaudit's meta): refusing to write into it\n", cmd, opt, path, tables);
        return -1;
    }
    return 0;
}

int args_out_dir(const char *cmd, const char *opt, const char *path)
{
    if (args_path(cmd, opt, path))
        return -1;
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "privaudit %s: %s: \"%s\" exists and is not a folder\n", cmd, opt, path);
        return -1;
    }
    return 0;
}

int args_text(const char *cmd, const char *opt, const char *s, int allow_empty)
{
    if (!allow_empty && (!s || !s[0])) {
        fprintf(stderr, "privaudit %s: %s: expected a name, got an empty string\n", cmd, opt);
        return -1;
    }
    int cc = util_ctrl_char(s);
    if (cc) {
        fprintf(stderr, "privaudit %s: %s: contains a control character (0x%02x): expected printable text\n", cmd,
                opt, cc);
        return -1;
    }
    return 0;
}
