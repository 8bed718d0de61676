/* test_cli.c — bad input and faults through the privaudit binary (issue 13).
 *
 * Every case of the table runs in a fresh folder holding the fixtures below,
 * with that folder as the working directory, and must exit 2 with the given
 * substring on stderr, leave every file of the folder as it was and add none
 * (the captured .stdout/.stderr excepted). The other tests cover what a
 * table cannot: the default database beside the config, one writer per
 * database, the external generator interrupted by SIGINT/SIGTERM/SIGKILL,
 * failed trials under --quiet, the set-up scripts without root.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/resource.h>

#include "tests/testutil.h"

/* ---- fixtures ----------------------------------------------------------- */

#define FIX_N 300

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static const char SCHEMA[] =
    "{\"format\": \"privaudit-schema/1\", \"columns\": ["
    "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"red\", \"green\", \"blue\"], \"role\": \"qi\"},"
    "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\", \"west\"], \"role\": \"qi\"},"
    "{\"name\": \"sick\", \"type\": \"categorical\", \"labels\": [\"no\", \"yes\"], \"role\": \"secret\"},"
    "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100, \"integer\": true}]}";

#define CONFIG_DATA "{\"format\": \"privaudit-config/1\", \"seed\": 7, " \
                    "\"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"}, \"train_size\": 50, "
#define CONFIG_HEAD CONFIG_DATA "\"games\": 4, \"targets\": {\"select\": \"random\", \"count\": 1}, "
#define CONFIG_GOOD CONFIG_HEAD "\"name\": \"t\", \"generators\": [{\"name\": \"resample\"}], " \
                                "\"attacks\": [{\"name\": \"dcr\"}]}"

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char *p = tu_path(dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "%s", p);
    fwrite(text, 1, len, f);
    fclose(f);
    free(p);
}

static void write_fixtures(const char *dir)
{
    char *p = tu_path(dir, "data.csv");
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fprintf(f, "colour,region,sick,age\n");
    uint64_t s = 99;
    const char *col[] = {"red", "green", "blue"}, *reg[] = {"east", "west"}, *sk[] = {"no", "yes"};
    for (int i = 0; i < FIX_N; i++)
        fprintf(f, "%s,%s,%s,%d\n", col[lcg(&s) % 3], reg[lcg(&s) % 2], sk[lcg(&s) % 2], (int)(lcg(&s) % 90));
    fclose(f);
    free(p);
    write_file(dir, "schema.json", SCHEMA, strlen(SCHEMA));
    write_file(dir, "c.json", CONFIG_GOOD, strlen(CONFIG_GOOD));
    const char junk[] = "this is not a database, only text that happens to be called .db\n";
    write_file(dir, "corrupt.db", junk, strlen(junk));
    /* another program's SQLite file: a table, none of privaudit's */
    char *fp = tu_path(dir, "foreign.db");
    sqlite3 *fdb;
    cr_assert_eq(sqlite3_open(fp, &fdb), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(fdb, "CREATE TABLE patients(name TEXT); INSERT INTO patients VALUES ('x');", NULL,
                              NULL, NULL), SQLITE_OK);
    sqlite3_close(fdb);
    free(fp);
    /* one column with 2^31 - 1 codes (the domain form) and a CSV for it */
    write_file(dir, "big.json", "{\"x\": 2147483647, \"y\": 2}", 25);
    write_file(dir, "big.csv", "x,y\n0,0\n5,1\n", 12);
    char *sub = tu_path(dir, "sub");
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(sub);
}

/* ---- running the binary in a folder ------------------------------------- */

/* Runs privaudit with args (NULL-terminated) in folder dir as its working
 * directory, stdout and stderr captured into dir/.stdout and dir/.stderr. */
static tu_result run_in(const char *dir, const char *const *args)
{
    tu_result r = {.code = -1};
    char *argv[64];
    size_t k = 0;
    argv[k++] = (char *)tu_bin();
    for (; args[k - 1] && k < 63; k++)
        argv[k] = (char *)args[k - 1];
    argv[k] = NULL;
    char *out = tu_path(dir, ".stdout"), *err = tu_path(dir, ".stderr");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* not Criterion's own descriptors */
    pid_t pid;
    char bin[PATH_MAX];
    if (!realpath(argv[0], bin))
        snprintf(bin, sizeof bin, "%s", argv[0]);
    if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) == 0) {
        int st;
        waitpid(pid, &st, 0);
        r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    posix_spawn_file_actions_destroy(&fa);
    r.out = tu_slurp(out);
    r.err = tu_slurp(err);
    free(out);
    free(err);
    return r;
}

/* Starts privaudit in dir (output to dir/.bg-stdout, .bg-stderr); returns its pid. */
static pid_t spawn_in(const char *dir, const char *const *args)
{
    char *argv[64];
    size_t k = 0;
    argv[k++] = (char *)tu_bin();
    for (; args[k - 1] && k < 63; k++)
        argv[k] = (char *)args[k - 1];
    argv[k] = NULL;
    char *out = tu_path(dir, ".bg-stdout"), *err = tu_path(dir, ".bg-stderr");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    char bin[PATH_MAX];
    if (!realpath(argv[0], bin))
        snprintf(bin, sizeof bin, "%s", argv[0]);
    pid_t pid = -1;
    if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    free(out);
    free(err);
    return pid;
}

/* ---- a snapshot of a folder: every path with its bytes' hash ------------- */

typedef struct snap {
    size_t n;
    char path[256][256];
    uint64_t hash[256];
} snap;

static uint64_t file_hash(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return 0;
    uint64_t h = 14695981039346656037ULL;
    int c;
    while ((c = fgetc(f)) != EOF) {
        h ^= (unsigned char)c;
        h *= 1099511628211ULL;
    }
    fclose(f);
    return h;
}

static void snap_walk(snap *s, const char *root, const char *rel)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(full);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strncmp(e->d_name, ".std", 4) ||
            !strncmp(e->d_name, ".bg-", 4))
            continue;
        char r2[200];
        if (snprintf(r2, sizeof r2, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof r2)
            continue;
        char f2[PATH_MAX];
        snprintf(f2, sizeof f2, "%s/%s", root, r2);
        struct stat sb;
        if (lstat(f2, &sb) != 0 || s->n >= 256)
            continue;
        snprintf(s->path[s->n], sizeof s->path[0], "%s%s", r2, S_ISDIR(sb.st_mode) ? "/" : "");
        s->hash[s->n++] = S_ISDIR(sb.st_mode) ? 0 : file_hash(f2);
        if (S_ISDIR(sb.st_mode))
            snap_walk(s, root, r2);
    }
    closedir(d);
}

static snap *snap_take(const char *dir)
{
    snap *s = calloc(1, sizeof *s);
    snap_walk(s, dir, "");
    return s;
}

/* "" if equal, else what differs (static buffer). */
static const char *snap_diff(const snap *a, const snap *b)
{
    static char msg[512];
    for (size_t i = 0; i < b->n; i++) {
        size_t j = 0;
        while (j < a->n && strcmp(a->path[j], b->path[i]))
            j++;
        if (j == a->n) {
            snprintf(msg, sizeof msg, "new file %s", b->path[i]);
            return msg;
        }
        if (a->hash[j] != b->hash[i]) {
            snprintf(msg, sizeof msg, "%s was changed", b->path[i]);
            return msg;
        }
    }
    for (size_t j = 0; j < a->n; j++) {
        size_t i = 0;
        while (i < b->n && strcmp(a->path[j], b->path[i]))
            i++;
        if (i == b->n) {
            snprintf(msg, sizeof msg, "%s was removed", a->path[j]);
            return msg;
        }
    }
    return "";
}

/* ---- the table ---------------------------------------------------------- */

typedef struct cli_case {
    char args[18][100];  /* after "privaudit"; "-" ends the list ("" is an empty argument) */
    char msg[120];       /* substring expected on stderr */
    char fname[32];      /* extra file written before the run ("" = none) */
    char ftext[800];
    size_t flen;         /* its length (0 = strlen) */
} cli_case;

#define A(...) .args = {__VA_ARGS__, "-"}
#define GEN_OK "gen", "resample", "--data", "data.csv", "--schema", "schema.json", "--epsilon", "inf", "--rows", "10"
#define AUDIT_OK "audit", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--quiet"
#define GRAD_OK "gradinv", "--data", "data.csv", "--schema", "schema.json", "--label", "sick", "--batch", "2", \
                "--batches", "1", "--attack", "analytic"
#define WB_OK "whitebox", "--epsilon", "1", "--runs", "10", "--canaries", "2"
#define RECON_OK "recon", "--data", "data.csv", "--schema", "schema.json", "--generator", "resample", "--n", "50", \
                 "--m", "20", "--games", "2"
#define BADCFG(text) .fname = "bad.json", .ftext = text

static cli_case cases[] = {
    /* --- bad data: bounds too wide to scale, header-only CSVs --- */
#define WIDE_SCHEMA "{\"format\": \"privaudit-schema/1\", \"columns\": [" \
    "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"red\", \"green\", \"blue\"]}," \
    "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\", \"west\"]}," \
    "{\"name\": \"sick\", \"type\": \"categorical\", \"labels\": [\"no\", \"yes\"]}," \
    "{\"name\": \"age\", \"type\": \"numeric\", \"min\": -1e308, \"max\": 1e308}]}"
    {A("gen", "marginals", "--data", "data.csv", "--schema", "wide.json", "--epsilon", "1", "--rows", "10", "--out",
       "o.csv"),
     .msg = "column \"age\": bounds [-1e+308, 1e+308]: expected both within [-1e+100, 1e+100]", .fname = "wide.json",
     .ftext = WIDE_SCHEMA},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "wide.json"),
     .msg = "wide.json: column \"age\": bounds [-1e+308, 1e+308]: expected both within", .fname = "wide.json",
     .ftext = WIDE_SCHEMA},
    {A(AUDIT_OK, "--out", "aw", "--schema", "wide.json"),
     .msg = "wide.json: column \"age\": bounds [-1e+308, 1e+308]: expected both within", .fname = "wide.json",
     .ftext = WIDE_SCHEMA},
    {A("gen", "marginals", "--data", "hdr.csv", "--schema", "schema.json", "--epsilon", "1", "--rows", "10", "--out",
       "o.csv"),
     .msg = "generator \"marginals\": the training table has no records", .fname = "hdr.csv",
     .ftext = "colour,region,sick,age\n"},
    {A("utility", "--real", "data.csv", "--synth", "hdr.csv", "--schema", "schema.json"),
     .msg = "hdr.csv: a header without rows: expected at least one record", .fname = "hdr.csv",
     .ftext = "colour,region,sick,age\n"},
    {A("utility", "--real", "hdr.csv", "--synth", "data.csv", "--schema", "schema.json"),
     .msg = "hdr.csv: a header without rows", .fname = "hdr.csv", .ftext = "colour,region,sick,age\r\n"},
    /* --- run: paths and databases (items 3, 9, 10, 17) --- */
    {A("run", "c.json", "--db", ""), .msg = "--db: expected a path, got an empty string"},
    {A("run", "c.json", "--db", "nope/x.db"), .msg = "no such folder"},
    {A("run", "c.json", "--db", "sub"), .msg = "is a folder"},
    {A("run", "c.json", "--db", "corrupt.db", "--resume"), .msg = "is not an SQLite database"},
    {A("run", "c.json", "--db", "corrupt.db"), .msg = "is not an SQLite database"},
    {A("run", "c.json", "--db", "foreign.db", "--resume"), .msg = "foreign.db: an SQLite database privaudit did not write"},
    {A("run", "c.json", "--db", "data.csv", "--resume"), .msg = "refusing to overwrite"},
    {A("run", "c.json", "--db", "c.json"), .msg = "refusing to overwrite"},
    {A("run", "c.json", "--db", "new.db", "--resume"), .msg = "no such database to resume"},
    {A("run", ""), .msg = "CONFIG.json: expected a path, got an empty string"},
    {A("run", "sub"), .msg = "is a folder"},
    {A("run", "missing.json"), .msg = "missing.json: cannot open"},
    {A("run", "c.json", "c.json"), .msg = "unexpected argument"},
    {A("run", "c.json", "--jobs", ""), .msg = "--jobs: got \"\""},
    {A("run", "c.json", "--jobs", "257"), .msg = "--jobs: got \"257\""},
    {A("run", "c.json", "--seed", "-1"), .msg = "--seed: got \"-1\""},
    {A("run", "c.json", "--seed", "1.5"), .msg = "--seed: got \"1.5\""},
    {A("run", "c.json", "--seed"), .msg = "--seed: expected a value"},
    {A("run", "c.json", "--quiet=yes"), .msg = "unknown option"},
    /* config names (item 10) and labels (item 14) */
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"name\": \"../x\", \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "bad.json: name: got \"../x\""},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"name\": \"a/b\", \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "bad.json: name: got \"a/b\""},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"name\": \"..\", \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "bad.json: name: got \"..\""},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"name\": \"\", \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "bad.json: name: expected a non-empty name"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"name\": \"a\\nb\", \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "bad.json: name: contains a control character"},
    {A("run", "bad.json"),
     BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"attacks\": [{\"name\": \"dcr\", "
                        "\"label\": \"dcr\\n0.5 0.5\"}]}"),
     .msg = "bad.json: attacks[0].label: contains a control character"},
    {A("run", "bad.json"),
     BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"attacks\": [{\"name\": \"dcr\", \"label\": "
                        "\"dcr-with-a-label-that-goes-on-and-on-past-sixty-three-characters-A\"}, {\"name\": \"dcr\", "
                        "\"label\": \"dcr-with-a-label-that-goes-on-and-on-past-sixty-three-characters-B\"}]}"),
     .msg = "at most 63"},
    {A("run", "bad.json"),
     BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"attacks\": [{\"name\": \"dcr\", "
                        "\"label\": \"tab\\there\"}]}"),
     .msg = "control character"},
    {A("run", "bad.json"),
     BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"comment\": \"a\\u0000b\"}"),
     .msg = "\\u0000"},
    /* strict JSON (item 15) */
    {A("run", "bad.json"), BADCFG(CONFIG_GOOD " x"), .msg = "bad.json:1:"},
    {A("run", "bad.json"), BADCFG(CONFIG_GOOD " x"), .msg = "after the JSON document"},
    {A("run", "bad.json"), BADCFG(CONFIG_GOOD "\n{}"), .msg = "bad.json:2:1: unexpected text after the JSON document"},
    {A("run", "bad.json"), .fname = "bad.json", .ftext = CONFIG_GOOD "\0junk", .flen = sizeof(CONFIG_GOOD) + 4,
     .msg = "NUL byte"},
    {A("run", "bad.json"), .fname = "bad.json", .ftext = CONFIG_GOOD "\n\0", .flen = sizeof(CONFIG_GOOD) + 1,
     .msg = "bad.json:2:1: NUL byte"},
    {A("run", "bad.json"),
     BADCFG("{\"format\": \"privaudit-config/1\",\n \"seed\": 1,\n \"seed\": 2, \"data\": {\"csv\": \"data.csv\","
            " \"schema\": \"schema.json\"}, \"train_size\": 50, \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "bad.json:3:2: duplicate key \"seed\" at the top level (first at line 2)"},
    {A("run", "bad.json"),
     BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"marginals\", \"epsilon\": 1, \"params\": {\"bins\": 8,\n"
                        "\"bins\": 9}}]}"),
     .msg = "duplicate key \"bins\" in generators[0].params"},
    {A("run", "bad.json"),
     BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"\\u0073eed\": 3}"),
     .msg = "duplicate key \"seed\""},
    /* an epsilon the zCDP accountant cannot convert: refused before the database, not a failed trial each */
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"marginals\", \"epsilon\": 1e308}]}"),
     .msg = "bad.json: generators[0].epsilon (marginals at epsilon 1e+308): epsilon 1e+308 at delta 1.0000000000000001e-05"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"mst\", \"epsilon\": 1e-300}]}"),
     .msg = "bad.json: generators[0].epsilon (mst at epsilon 1e-300): epsilon 1e-300 at delta"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"aim\", \"epsilon\": 1e308}]}"),
     .msg = "bad.json: generators[0].epsilon (aim at epsilon 1e+308): epsilon 1e+308"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"gsd\", \"epsilon\": 1e308}]}"),
     .msg = "bad.json: generators[0].epsilon (gsd at epsilon 1e+308): epsilon 1e+308"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"shadow_games\": 04}"),
     .msg = "not valid JSON"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"shadow_games\": 1e999}"),
     .msg = "out of range"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"}], \"comment\": \"a\tb\"}"),
     .msg = "control character"},
    {A("run", "bad.json"), BADCFG(CONFIG_HEAD "\"generators\": [{\"name\": \"resample\"},]}"),
     .msg = "not valid JSON"},
    {A("run", "bad.json"), BADCFG(""), .msg = "bad.json:1:1: not valid JSON"},
    /* the config's data */
    {A("run", "bad.json"),
     BADCFG("{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"sub\", \"schema\": \"schema.json\"},"
            " \"train_size\": 50, \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "is a folder"},
    {A("run", "bad.json"),
     BADCFG("{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"data.csv\", \"schema\": \"trail.json\"},"
            " \"train_size\": 50, \"generators\": [{\"name\": \"resample\"}]}"),
     .msg = "trail.json: cannot open"},
    {A("run", "bad.json"),
     BADCFG("{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"big.csv\", \"schema\": \"big.json\"},"
            " \"train_size\": 1, \"games\": 4, \"split\": {\"aux\": 0, \"holdout\": 0}, \"targets\": {\"select\":"
            " \"random\"}, \"generators\": [{\"name\": \"marginals\", \"epsilon\": 1}]}"),
     .msg = "at most 16777216"},

    /* --- gen (items 4, 7, 16, 17) --- */
    {A(GEN_OK, "--out", ""), .msg = "--out: expected a path, got an empty string"},
    {A(GEN_OK, "--out", "."), .msg = "is a folder"},
    {A(GEN_OK, "--out", "sub"), .msg = "is a folder"},
    {A(GEN_OK, "--out", "data.csv"), .msg = "refusing to overwrite"},
    {A(GEN_OK, "--out", "./data.csv"), .msg = "refusing to overwrite"},
    {A(GEN_OK, "--out", "sub/../data.csv"), .msg = "refusing to overwrite"},
    {A(GEN_OK, "--out", "schema.json"), .msg = "refusing to overwrite"},
    {A(GEN_OK, "--out", "nope/x.csv"), .msg = "no such folder"},
    {A("gen", "resample", "--data", "", "--schema", "schema.json", "--epsilon", "inf", "--rows", "5", "--out", "o.csv"),
     .msg = "--data: expected a path, got an empty string"},
    {A("gen", "resample", "--data", "sub", "--schema", "schema.json", "--epsilon", "inf", "--rows", "5", "--out",
       "o.csv"),
     .msg = "is a folder"},
    {A("gen", "resample", "--data", "data.csv", "--schema", "sub", "--epsilon", "inf", "--rows", "5", "--out",
       "o.csv"),
     .msg = "is a folder"},
    {A("gen", "resample", "--data", "data.csv", "--schema", "", "--epsilon", "inf", "--rows", "5", "--out", "o.csv"),
     .msg = "--schema: expected a path"},
    {A("gen", "marginals", "--data", "big.csv", "--schema", "big.json", "--epsilon", "1", "--rows", "5", "--out",
       "o.csv"),
     .msg = "at most 16777216"},
    {A("gen", "resample", "--data", "big.csv", "--schema", "big.json", "--epsilon", "inf", "--rows", "5", "--out",
       "o.csv"),
     .msg = "at most 16777216"},
    {A(GEN_OK, "--out", "o.csv", "--schema", "bad.json"), BADCFG("{\"x\": 2} {\"y\": 3}"),
     .msg = "bad.json:1:10: unexpected text after the JSON document"},
    {A(GEN_OK, "--out", "o.csv", "--rows", "0"), .msg = "--rows: got \"0\""},
    {A(GEN_OK, "--out", "o.csv", "--seed", "x"), .msg = "--seed: got \"x\""},
    {A(GEN_OK, "--out", "o.csv", "--delta", "2"), .msg = "--delta: got \"2\""},
    {A(GEN_OK, "--out", "o.csv", "--param", "novalue"), .msg = "--param: got \"novalue\""},
    {A(GEN_OK, "--out", "o.csv", "--param", "=3"), .msg = "--param: got \"=3\""},
    {A(GEN_OK, "--out", "o.csv", "--param", "k\n=3"), .msg = "--param: contains a control character"},
    {A(GEN_OK, "--out", "o.csv", "--param", "shell=1"), .msg = "unknown parameter \"shell\""},
    {A(GEN_OK, "--out", "o.csv", "--epsilon", "0"), .msg = "--epsilon: got \"0\""},
    {A(GEN_OK, "--out", "o.csv", "--frobnicate"), .msg = "unknown option \"--frobnicate\""},
    {A("gen", "gpt", "--data", "data.csv", "--schema", "schema.json", "--epsilon", "1", "--rows", "5", "--out",
       "o.csv"),
     .msg = "unknown generator \"gpt\""},
    {A("gen", "marginals", "--data", "data.csv", "--schema", "schema.json", "--epsilon", "1", "--rows", "5", "--out",
       "o.csv", "--param", "bins=0"),
     .msg = "\"bins\""},
    {A("gen", "resample"), .msg = "expected NAME, --data"},

    /* --- utility --- */
    {A("utility", "--real", "data.csv", "--synth", "sub", "--schema", "schema.json"), .msg = "is a folder"},
    {A("utility", "--real", "", "--synth", "data.csv", "--schema", "schema.json"), .msg = "--real: expected a path"},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--holdout", ""),
     .msg = "--holdout: expected a path"},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--model", "svm"),
     .msg = "--model: got \"svm\""},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--target", "zz"),
     .msg = "--target zz"},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--bins", "0"),
     .msg = "--bins: got \"0\""},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--tstr-only"),
     .msg = "--tstr-only needs --target"},
    {A("utility", "--real", "data.csv"), .msg = "expected --real, --synth and --schema"},

    /* --- data (items 7, 13, 15, 17) --- */
    {A("data", "infer", "data.csv", "--out", "data.csv"), .msg = "refusing to overwrite"},
    {A("data", "infer", "data.csv", "--out", "./sub/../data.csv"), .msg = "refusing to overwrite"},
    {A("data", "infer", "data.csv", "--out", ""), .msg = "--out: expected a path, got an empty string"},
    {A("data", "infer", "data.csv", "--out", "sub"), .msg = "is a folder"},
    {A("data", "infer", "data.csv", "--out", "nope/s.json"), .msg = "no such folder"},
    {A("data", "infer", "sub"), .msg = "is a folder"},
    {A("data", "infer", ""), .msg = "CSV: expected a path, got an empty string"},
    {A("data", "infer", "bad.csv"), .fname = "bad.csv", .ftext = "a,b\n1,x\ny\n", .msg = "bad.csv:3:"},
    {A("data", "infer", "bad.csv"), .fname = "bad.csv", .ftext = "a,b\n1,\"x\ny\"\n", .msg = "control character"},
    {A("data", "check", "sub", "--schema", "schema.json"), .msg = "is a folder"},
    {A("data", "check", "data.csv", "--schema", ""), .msg = "--schema: expected a path"},
    {A("data", "check", "data.csv", "--schema", "sub"), .msg = "is a folder"},
    {A("data", "check", "data.csv", "--schema", "missing.json"), .msg = "missing.json: cannot open"},
    {A("data", "check", "data.csv", "--schema", "bad.json"),
     BADCFG("{\"colour\": 3, \"region\": 2,\n \"sick\": 2, \"age\": 100, \"colour\": 4}"),
     .msg = "bad.json:2:25: duplicate key \"colour\" at the top level (first at line 1)"},
    {A("data", "check", "data.csv", "--schema", "bad.json"),
     BADCFG("{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"colour\", \"type\": \"categorical\","
            " \"labels\": [\"red\", \"gr\\u0000een\", \"blue\"]}]}"),
     .msg = "\\u0000"},
    {A("data", "check", "data.csv", "--schema", "bad.json"),
     BADCFG("{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"colour\", \"type\": \"categorical\","
            " \"labels\": [\"red\", \"gr\\neen\", \"blue\"]}]}"),
     .msg = "control character"},
    {A("data", "check", "data.csv", "--schema", "bad.json"),
     BADCFG("{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"col\\rour\", \"type\": \"categorical\","
            " \"size\": 3}]}"),
     .msg = "control character"},
    {A("data", "check", "data.csv", "--schema", "bad.json"),
     BADCFG("{\"format\": \"privaudit-schema/1\", \"columns\": [{\"name\": \"colour\", \"type\": \"categorical\","
            " \"size\": 3, \"size\": 4}]}"),
     .msg = "duplicate key \"size\" in columns[0]"},
    {A("data", "check", "data.csv", "--schema", "bad.json"), .fname = "bad.json", .ftext = "{\"colour\": 3}\0",
     .flen = 14, .msg = "NUL byte"},
    {A("data", "check", "data.csv", "--schema", "bad.json"), BADCFG("{\"colour\": 3}\n]"),
     .msg = "after the JSON document"},
    {A("data", "check", "data.csv", "--schema", "schema.json", "--rows", "x"), .msg = "--rows: got \"x\""},
    {A("data", "check", "data.csv", "--schema", "schema.json", "--cols", "0"), .msg = "--cols: got \"0\""},
    {A("data", "check", "data.csv", "--schema", "schema.json", "--rows", "3"), .msg = "300 rows, expected 3"},
    {A("data", "check", "data.csv"), .msg = "expected CSV and --schema"},
    {A("data", "import", "", "--out", "o"), .msg = "FILE.rda: expected a path, got an empty string"},
    {A("data", "import", "x.rda", "--out", ""), .msg = "--out: expected a path, got an empty string"},
    {A("data", "import", "x.rda", "--out", "data.csv"), .msg = "exists and is not a folder"},
    {A("data", "import", "sub", "--out", "o"), .msg = "is a folder"},
    {A("data", "import", "data.csv", "--out", "o"), .msg = "data.csv"},
    {A("data", "import", "x.rda", "--name", "a/b", "--out", "o"), .msg = "--name: got \"a/b\""},
    {A("data", "import", "x.rda", "--name", "a\nb", "--out", "o"), .msg = "--name: got \"a\nb\""},
    {A("data", "import", "x.rda", "--object", "", "--out", "o"), .msg = "--object: expected a name"},
    {A("data", "import", "x.rda"), .msg = "--out: expected an output directory"},
    {A("data", "import-idx", "a", "b", "--name", "x", "--out", ""), .msg = "--out: expected a path"},
    {A("data", "import-idx", "sub", "sub", "--name", "x", "--out", "o"), .msg = "is a folder"},
    {A("data", "import-idx", "a", "b", "--name", "x", "--out", "o", "--classes", "1"), .msg = "--classes: got \"1\""},
    {A("data", "import-idx", "a", "b", "--name", "x", "--out", "o", "--label", ""), .msg = "--label: expected a"},
    {A("data", "import-idx", "a", "--name", "x", "--out", "o"), .msg = "expected IMAGES, LABELS"},
    {A("data", "frobnicate"), .msg = "unknown subcommand \"frobnicate\""},

    /* --- audit (items 3, 4, 17) --- */
    {A(AUDIT_OK, "--db", ""), .msg = "--db: expected a path, got an empty string"},
    {A(AUDIT_OK, "--out", ""), .msg = "--out: expected a path, got an empty string"},
    {A(AUDIT_OK, "--db", "corrupt.db"), .msg = "is not an SQLite database"},
    {A(AUDIT_OK, "--db", "foreign.db"), .msg = "foreign.db: an SQLite database privaudit did not write"},
    {A(AUDIT_OK, "--db", "nope/a.db"), .msg = "no such folder"},
    {A(AUDIT_OK, "--db", "sub"), .msg = "is a folder"},
    {A(AUDIT_OK, "--db", "data.csv"), .msg = "refusing to overwrite"},
    {A(AUDIT_OK, "--out", "data.csv"), .msg = "exists and is not a folder"},
    {A("audit", "--real", "sub", "--synth", "data.csv", "--schema", "schema.json", "--quiet"), .msg = "is a folder"},
    {A("audit", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--holdout", "sub"),
     .msg = "is a folder"},
    {A(AUDIT_OK, "--k", "9"), .msg = "--k"},
    {A(AUDIT_OK, "--scaling", "both"), .msg = "--scaling"},
    {A(AUDIT_OK, "--generator-cmd", ""), .msg = "--generator-cmd: empty command"},
    {A(AUDIT_OK, "--secret", "zz"), .msg = "--secret zz"},
    {A(AUDIT_OK, "--alpha", "2"), .msg = "--alpha: got \"2\""},
    {A(AUDIT_OK, "--games", "x"), .msg = "--games: got \"x\""},
    {A(AUDIT_OK, "--jobs", "0"), .msg = "--jobs: got \"0\""},

    /* --- gradinv (items 3, 4, 17) --- */
    {A(GRAD_OK, "--out", ""), .msg = "--out: expected a path, got an empty string"},
    {A(GRAD_OK, "--db", ""), .msg = "--db: expected a path, got an empty string"},
    {A(GRAD_OK, "--db", "nope/g.db"), .msg = "no such folder"},
    {A(GRAD_OK, "--db", "corrupt.db"), .msg = "is not an SQLite database"},
    {A(GRAD_OK, "--db", "foreign.db"), .msg = "foreign.db: an SQLite database privaudit did not write"},
    {A(GRAD_OK, "--db", "data.csv"), .msg = "refusing to overwrite"},
    {A(GRAD_OK, "--out", "data.csv"), .msg = "exists and is not a folder"},
    {A(GRAD_OK, "--tag", "a\nb"), .msg = "--tag: contains a control character"},
    {A("gradinv", "--data", "sub", "--schema", "schema.json", "--batch", "2"), .msg = "is a folder"},
    {A("gradinv", "--data", "data.csv", "--schema", "schema.json", "--label", "zz", "--batch", "2"),
     .msg = "--label: \"zz\""},
    {A(GRAD_OK, "--attack", "magic"), .msg = "--attack"},
    {A(GRAD_OK, "--act", "gelu"), .msg = "--act"},
    {A(GRAD_OK, "--sigma", "1"), .msg = "finite clipping norm"},
    {A(GRAD_OK, "--sigma", "1", "--eps", "1"), .msg = "not both"},
    {A("gradinv", "--data", "data.csv"), .msg = "required"},

    /* --- whitebox (items 3, 17) --- */
    {A(WB_OK, "--db", ""), .msg = "--db: expected a path, got an empty string"},
    {A(WB_OK, "--db", "nope/w.db"), .msg = "no such folder"},
    {A(WB_OK, "--db", "corrupt.db"), .msg = "is not an SQLite database"},
    {A(WB_OK, "--db", "foreign.db"), .msg = "foreign.db: an SQLite database privaudit did not write"},
    {A(WB_OK, "--db", "sub"), .msg = "is a folder"},
    {A(WB_OK, "--db", "schema.json"), .msg = "is not an SQLite database"},
    {A("whitebox", "--runs", "10"), .msg = "--epsilon: missing"},
    {A(WB_OK, "--threat", "some"), .msg = "--threat"},
    {A(WB_OK, "--canary", "bird"), .msg = "--canary"},
    {A(WB_OK, "--bug", "yes"), .msg = "--bug"},
    {A(WB_OK, "--canaries", "0"), .msg = "--canaries"},
    {A(WB_OK, "--q", "2"), .msg = "--q: got \"2\""},

    /* --- recon (items 3, 4, 17) --- */
    {A(RECON_OK, "--db", ""), .msg = "--db: expected a path, got an empty string"},
    {A(RECON_OK, "--out", ""), .msg = "--out: expected a path, got an empty string"},
    {A(RECON_OK, "--db", "corrupt.db"), .msg = "is not an SQLite database"},
    {A(RECON_OK, "--db", "foreign.db"), .msg = "foreign.db: an SQLite database privaudit did not write"},
    {A(RECON_OK, "--db", "nope/r.db"), .msg = "no such folder"},
    {A(RECON_OK, "--db", "data.csv"), .msg = "refusing to overwrite"},
    {A(RECON_OK, "--out", "data.csv"), .msg = "exists and is not a folder"},
    {A("recon", "--data", "sub", "--schema", "schema.json", "--generator", "resample", "--n", "50", "--m", "20",
       "--games", "2"),
     .msg = "is a folder"},
    {A(RECON_OK, "--generator", "gpt"), .msg = "unknown generator \"gpt\""},
    {A(RECON_OK, "--m", "0"), .msg = "--m"},
    {A(RECON_OK, "--secret", "zz"), .msg = "--secret: no column \"zz\""},
    {A(RECON_OK, "--qi", "colour,colour"), .msg = "given twice"},
    {A(RECON_OK, "--kmin", "4"), .msg = "--kmin 4 > --kmax 3"},

    /* --- every other option of the commands above: a value out of range --- */
    {A(GRAD_OK, "--iters", "0"), .msg = "--iters: got \"0\""},
    {A(GRAD_OK, "--restarts", "0"), .msg = "--restarts: got \"0\""},
    {A(GRAD_OK, "--lr", "0"), .msg = "--lr: got \"0\""},
    {A(GRAD_OK, "--tv", "-1"), .msg = "--tv: got \"-1\""},
    {A(GRAD_OK, "--epochs", "0"), .msg = "--epochs: got \"0\""},
    {A(GRAD_OK, "--delta", "1"), .msg = "--delta: got \"1\""},
    {A(GRAD_OK, "--hidden", "0"), .msg = "--hidden: got \"0\""},
    {A(GRAD_OK, "--batches", "0"), .msg = "--batches: got \"0\""},
    {A(GRAD_OK, "--jobs", "0"), .msg = "--jobs: got \"0\""},
    {A(GRAD_OK, "--seed", "-1"), .msg = "--seed: got \"-1\""},
    {A(GRAD_OK, "--clip", "0"), .msg = "--clip: got \"0\""},
    {A(GRAD_OK, "--eps", "0", "--clip", "1"), .msg = "--eps: got \"0\""},
    {A(GRAD_OK, "--batch", "0"), .msg = "--batch: got \"0\""},
    {A(GRAD_OK, "--schema", ""), .msg = "--schema: expected a path"},
    {A(GRAD_OK, "--label", ""), .msg = "--label: expected a name"},
    {A(AUDIT_OK, "--bins", "0"), .msg = "--bins: got \"0\""},
    {A(AUDIT_OK, "--seed", "x"), .msg = "--seed: got \"x\""},
    {A(AUDIT_OK, "--targets", "0"), .msg = "--targets: got \"0\""},
    {A(AUDIT_OK, "--train-size", "x"), .msg = "--train-size: got \"x\""},
    {A(AUDIT_OK, "--epsilon", "0"), .msg = "--epsilon: got \"0\""},
    {A(AUDIT_OK, "--delta", "1"), .msg = "--delta: got \"1\""},
    {A(AUDIT_OK, "--schema", "sub"), .msg = "is a folder"},
    {A(WB_OK, "--steps", "0"), .msg = "--steps: got \"0\""},
    {A(WB_OK, "--clip", "0"), .msg = "--clip: got \"0\""},
    {A(WB_OK, "--jobs", "0"), .msg = "--jobs: got \"0\""},
    {A(WB_OK, "--seed", "x"), .msg = "--seed: got \"x\""},
    {A(WB_OK, "--n", "0"), .msg = "--n: got \"0\""},
    {A(WB_OK, "--hidden", "0"), .msg = "--hidden: got \"0\""},
    {A(WB_OK, "--lr", "0"), .msg = "--lr: got \"0\""},
    {A(WB_OK, "--cal-frac", "1"), .msg = "--cal-frac: got \"1\""},
    {A(WB_OK, "--alpha", "1"), .msg = "--alpha: got \"1\""},
    {A(WB_OK, "--delta", "1"), .msg = "--delta: got \"1\""},
    {A(WB_OK, "--runs", "1"), .msg = "--runs: got \"1\""},
    {A(WB_OK, "--epsilon", "101"), .msg = "--epsilon: got \"101\""},
    {A(RECON_OK, "--epsilon", "0"), .msg = "--epsilon: got \"0\""},
    {A(RECON_OK, "--delta", "2"), .msg = "--delta: got \"2\""},
    {A(RECON_OK, "--param", "x"), .msg = "--param: got \"x\""},
    {A(RECON_OK, "--n", "1"), .msg = "--n: got \"1\""},
    {A(RECON_OK, "--games", "0"), .msg = "--games: got \"0\""},
    {A(RECON_OK, "--secret-code", "5"), .msg = "--secret-code 5"},
    {A(RECON_OK, "--bins", "0"), .msg = "--bins: got \"0\""},
    {A(RECON_OK, "--jobs", "0"), .msg = "--jobs: got \"0\""},
    {A(RECON_OK, "--seed", "x"), .msg = "--seed: got \"x\""},
    {A(RECON_OK, "--qi", "zz"), .msg = "--qi: \"zz\" is not a column"},
    {A(RECON_OK, "--schema", ""), .msg = "--schema: expected a path"},
    {A("epsilon", "--tp", "1", "--fn", "1", "--fp", "1", "--tn", "1", "--delta", "2"), .msg = "--delta: got \"2\""},
    {A("epsilon", "--tp", "1", "--fn", "1", "--fp", "1", "--tn", "1", "--alpha", "0"), .msg = "--alpha: got \"0\""},
    {A("epsilon", "--tp", "1", "--fn", "1", "--fp", "1", "--tn", "1", "--claimed", "-1"),
     .msg = "--claimed: got \"-1\""},
    {A("epsilon", "--tp", "0", "--fn", "0", "--fp", "0", "--tn", "0"), .msg = "expected at least one member"},
    {A("epsilon", "--tp", "1.5", "--fn", "1", "--fp", "1", "--tn", "1"), .msg = "--tp: got \"1.5\", expected a whole count"},
    {A("epsilon", "--tp", "1", "--fn", "1", "--fp", "1", "--tn", "0.25"), .msg = "--tn: got \"0.25\""},
    {A("account", "--sigma", "1", "--q", "0.1", "--steps", "10", "--delta", "1e-5", "--orders", "x"),
     .msg = "--orders"},
    {A("account", "--sigma", "1", "--q", "0.1", "--steps", "10", "--delta", "1e-5", "--conversion", "x"),
     .msg = "--conversion: expected balle or basic"},
    {A("account", "--sigma", "1", "--q", "0.1", "--steps", "10", "--delta", "1e-5", "--accountant", "x"),
     .msg = "--accountant: expected rdp, prv or gdp"},
    {A("account", "--sigma", "1", "--q", "0.1", "--steps", "10", "--delta", "0"), .msg = "--delta: got \"0\""},
    {A("account", "--target-epsilon", "0", "--q", "0.1", "--steps", "10", "--delta", "1e-5"),
     .msg = "--target-epsilon: got \"0\""},
    /* refused rather than printed as a number: an overflowing CLT mu, orders the conversion skips,
     * an order the series cannot reach, a fractional step count (QA, 2026-12-02) */
    {A("account", "--sigma", "0.01", "--q", "0.01", "--steps", "100", "--delta", "1e-5", "--accountant", "gdp"),
     .msg = "overflows a double at sigma = 0.01"},
    {A("account", "--sigma", "1", "--q", "0.01", "--steps", "100", "--delta", "1e-5", "--orders", "1.0000001,1.005"),
     .msg = "every order is at most 1.01"},
    {A("account", "--sigma", "1", "--q", "0.01", "--steps", "100", "--delta", "1e-5", "--orders", "2,1e6"),
     .msg = "--orders: orders: item 2 of \"2,1e6\": expected a number in (1, 10000]"},
    {A("account", "--sigma", "1", "--q", "0.01", "--steps", "1.5", "--delta", "1e-5"),
     .msg = "--steps: expected a whole number of steps"},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--max-sets", "x"),
     .msg = "--max-sets: got \"x\""},
    {A("utility", "--real", "data.csv", "--synth", "data.csv", "--schema", "schema.json", "--seed", "x"),
     .msg = "--seed: got \"x\""},
    {A("data", "check", "data.csv", "--schema", "schema.json", "--cols", "3"), .msg = "4 columns, expected 3"},
    {A("data", "import-idx", "a", "b", "--name", "x", "--out", "o", "--classes", "257"),
     .msg = "--classes: got \"257\""},
    {A("run", "--help=x"), .msg = "unknown option \"--help=x\""},
    {A("report", "--db", "x.db"), .msg = "expected --db FILE and --out DIR"},

    /* --- report, epsilon, account, the program --- */
    {A("report", "--db", "missing.db", "--out", "rep"), .msg = "missing.db: no such database"},
    {A("epsilon", "--tp", "-1", "--fn", "1", "--fp", "1", "--tn", "1"), .msg = "--tp"},
    {A("epsilon", "--tp", "1"), .msg = "--fn"},
    {A("account", "--sigma", "x", "--q", "0.1", "--steps", "10", "--delta", "1e-5"), .msg = "--sigma"},
    {A("account", "--sigma", "1", "--q", "2", "--steps", "10", "--delta", "1e-5"), .msg = "--q"},
    {A("frobnicate"), .msg = "unknown command \"frobnicate\""},
    {A(""), .msg = "unknown command \"\""},
};

/* ---- the suite: a folder of fixtures for the tests after the table -------- */

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
    write_fixtures(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

/* The table's name sorts first on purpose: with --jobs 2, Criterion 2.4.1's
 * runner leaks 48 bytes (make asan fails) when a parameterized test starts
 * after a long test of the same suite is already running. */
ParameterizedTestParameters(cli, a_bad_input_exits_2_names_it_and_writes_nothing)
{
    return cr_make_param_array(cli_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(cli_case *c, cli, a_bad_input_exits_2_names_it_and_writes_nothing, .timeout = 60)
{
    char *cdir = tu_tmpdir();
    cr_assert_not_null(cdir);
    write_fixtures(cdir);
    if (c->fname[0])
        write_file(cdir, c->fname, c->ftext, c->flen ? c->flen : strlen(c->ftext));
    snap *before = snap_take(cdir);
    const char *args[20];
    size_t k = 0;
    for (; k < 18 && strcmp(c->args[k], "-"); k++)
        args[k] = c->args[k];
    args[k] = NULL;
    char shown[1024] = "";
    for (size_t q = 0; q < k; q++)
        snprintf(shown + strlen(shown), sizeof shown - strlen(shown), " '%s'", args[q]);
    tu_result r = run_in(cdir, args);
    snap *after = snap_take(cdir);
    const char *diff = snap_diff(before, after);
    cr_expect_eq(r.code, 2, "privaudit%s: exit %d, stderr: %s", shown, r.code, r.err);
    cr_expect(strstr(r.err, c->msg), "privaudit%s: stderr \"%s\" lacks \"%s\"", shown, r.err, c->msg);
    cr_expect_str_empty(diff, "privaudit%s: %s", shown, diff);
    tu_result_free(&r);
    free(before);
    free(after);
    tu_rmtree(cdir);
    free(cdir);
}


static int64_t query_int(const char *db_path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "%s", db_path);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* ---- item 10: the default database sits beside the config ---------------- */

Test(cli, the_default_database_is_NAME_db_beside_the_config)
{
    char *cdir = tu_path(dir, "cfgs");
    cr_assert_eq(mkdir(cdir, 0755), 0);
    free(tu_write(cdir, "c.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"beside\", \"seed\": 7,"
                  " \"data\": {\"csv\": \"../data.csv\", \"schema\": \"../schema.json\"}, \"train_size\": 50,"
                  " \"games\": 4, \"generators\": [{\"name\": \"resample\"}]}"));
    const char *args[] = {"run", "cfgs/c.json", "--quiet", NULL};
    tu_result r = run_in(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *beside = tu_path(cdir, "beside.db"), *cwd = tu_path(dir, "beside.db");
    cr_expect(tu_exists(beside), "no database at %s", beside);
    cr_expect_not(tu_exists(cwd), "the database went to the working directory: %s", cwd);
    free(beside);
    free(cwd);
    free(cdir);
}

/* core/blas.h, pa_blas_select_kernels: on a CPU with AVX2 + FMA, privaudit
 * never runs OpenBLAS's generic fallback kernels (Prescott & co., what
 * OpenBLAS picks when a hypervisor hides the CPU model: 4x slower sgemm).
 * On this kind of machine the check fails without the re-exec. */
Test(cli, blas_kernels_are_not_the_generic_fallback_on_an_avx2_cpu)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        cr_skip_test("no AVX2 + FMA: the generic kernels may be the right ones");
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("PRIVAUDIT_BLAS_KEEP");
    const char *args[] = {"--version", NULL};
    tu_result r = run_in(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    const char *k = strstr(r.out, "BLAS kernels: OpenBLAS ");
    cr_assert(k, "no BLAS line in: %s", r.out);
    char core[64] = "";
    cr_assert_eq(sscanf(k, "BLAS kernels: OpenBLAS %63s", core), 1);
    static const char *const generic[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
                                          "Barcelona", "Opteron", "Opteron_SSE3", NULL};
    for (size_t g = 0; generic[g]; g++)
        cr_expect(strcasecmp(core, generic[g]), "OpenBLAS runs its generic %s kernels on an AVX2 CPU", core);
    tu_result_free(&r);
}

/* ---- item 9: one writer per database ------------------------------------- */

/* A config whose external generator sleeps `secs` per trial. */
static void write_slow_config(const char *name, int games, double secs)
{
    char text[2048];
    snprintf(text, sizeof text,
             CONFIG_DATA "\"name\": \"slow\", \"games\": %d, \"synth_size\": 50, \"targets\": {\"select\": "
                         "\"random\"}, \"generators\": [{\"name\": \"external\", \"params\": {\"argv\": "
                         "[\"/bin/sh\", \"-c\", \"sleep %g; (head -n 1 \\\"$1\\\"; tail -n \\\"$3\\\" \\\"$1\\\") > "
                         "\\\"$2\\\"\", \"sh\", \"{train}\", \"{out}\", \"{rows}\"]}}]}",
             games, secs);
    free(tu_write(dir, name, text));
}

static int wait_for_file(const char *path, double secs)
{
    for (int k = 0; k < (int)(secs * 100); k++) {
        if (tu_exists(path))
            return 1;
        tu_sleep_ms(10);
    }
    return 0;
}

Test(cli, a_second_run_on_a_database_in_use_is_refused_with_exit_2)
{
    write_slow_config("slow.json", 40, 0.05);
    const char *a[] = {"run", "slow.json", "--db", "busy.db", "--quiet", NULL};
    pid_t first = spawn_in(dir, a);
    cr_assert_gt(first, 0);
    char *db = tu_path(dir, "busy.db");
    cr_assert(wait_for_file(db, 20), "the first run made no database");
    tu_sleep_ms(300);
    /* --resume on the database the first run is writing */
    const char *b[] = {"run", "slow.json", "--db", "busy.db", "--resume", "--quiet", NULL};
    tu_result r = run_in(dir, b);
    cr_expect_eq(r.code, 2, "exit %d, stderr: %s", r.code, r.err);
    cr_expect(strstr(r.err, "in use by another privaudit"), "%s", r.err);
    tu_result_free(&r);
    int st;
    cr_assert_eq(waitpid(first, &st, 0), first);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the first run failed (status %d)", st);
    cr_expect_eq(query_int(db, "SELECT count(*) FROM trial WHERE status = 'ok'"), 40);
    free(db);
}

Test(cli, of_two_runs_started_together_on_one_database_one_goes_ahead)
{
    write_slow_config("race.json", 4, 0);
    for (int k = 0; k < 10; k++) {
        char name[32];
        snprintf(name, sizeof name, "race%d.db", k);
        const char *a[] = {"run", "race.json", "--db", name, "--quiet", NULL};
        const char *b[] = {"run", "race.json", "--db", name, "--quiet", "--resume", NULL};
        pid_t p = spawn_in(dir, a), q = spawn_in(dir, k % 2 ? a : b);
        int sp, sq;
        waitpid(p, &sp, 0);
        waitpid(q, &sq, 0);
        int ok = (WIFEXITED(sp) && WEXITSTATUS(sp) == 0) + (WIFEXITED(sq) && WEXITSTATUS(sq) == 0);
        int two = (WIFEXITED(sp) && WEXITSTATUS(sp) == 2) + (WIFEXITED(sq) && WEXITSTATUS(sq) == 2);
        /* one wins; the other is refused, or (--resume after the first finished) finds it complete */
        cr_expect(ok >= 1, "try %d: neither run succeeded (%d, %d)", k, sp, sq);
        cr_expect(ok == 1 ? two == 1 : k % 2 == 0, "try %d: both went ahead (%d, %d)", k, sp, sq);
    }
}

/* ---- item 17: failed trials are reported under --quiet, exit codes ---- */

Test(cli, run_quiet_still_reports_failed_trials)
{
    free(tu_write(dir, "fail.json",
                  CONFIG_HEAD "\"name\": \"f\", \"generators\": [{\"name\": \"external\", \"params\": "
                              "{\"argv\": [\"/bin/sh\", \"-c\", \"echo the model diverged >&2; exit 3\"]}}]}"));
    const char *a[] = {"run", "fail.json", "--db", "fail.db", "--quiet", NULL};
    tu_result r = run_in(dir, a);
    cr_expect_eq(r.code, 1, "exit %d", r.code);
    cr_expect(strstr(r.err, "4 of 4 trials failed"), "stderr: \"%s\"", r.err);
    cr_expect(strstr(r.err, "the model diverged"), "stderr: \"%s\"", r.err);
    tu_result_free(&r);
}

/* An external program that exits 0 but writes fewer rows than {rows}: every
 * path refuses the release with the program, the file and both counts; gen
 * writes no --out and exits 1 (the program failed, as a nonzero exit); run
 * stores each trial as failed with that error, completes and exits 1. */
#define SHORT_PROG "(head -n 1 \"$1\"; tail -n 3 \"$1\") > \"$2\""

Test(cli, an_external_program_writing_fewer_rows_than_asked_fails_gen_run_and_audit)
{
    const char *g[] = {"gen", "external", "--data", "data.csv", "--schema", "schema.json", "--epsilon", "inf",
                       "--rows", "10", "--out", "short.csv", "--param",
                       "argv=[\"/bin/sh\", \"-c\", \"" "(head -n 1 \\\"$1\\\"; tail -n 3 \\\"$1\\\") > \\\"$2\\\""
                       "\", \"sh\", \"{train}\", \"{out}\"]", NULL};
    tu_result r = run_in(dir, g);
    cr_expect_eq(r.code, 1, "gen exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.err, "\"/bin/sh\" wrote 3 rows to ") && strstr(r.err, "expected 10 ({rows})"), "stderr: %s",
              r.err);
    char *sc = tu_path(dir, "short.csv");
    cr_expect_not(tu_exists(sc), "gen wrote a refused release");
    free(sc);
    tu_result_free(&r);
    /* the same program writing {rows} rows is accepted: the argv array reached it */
    g[13] = "argv=[\"/bin/sh\", \"-c\", \"" "(head -n 1 \\\"$1\\\"; tail -n \\\"$3\\\" \\\"$1\\\") > \\\"$2\\\""
            "\", \"sh\", \"{train}\", \"{out}\", \"{rows}\"]";
    r = run_in(dir, g);
    cr_expect_eq(r.code, 0, "gen exit %d: %s", r.code, r.err);
    tu_result_free(&r);
    const char *a[] = {AUDIT_OK, "--out", "ashort", "--games", "10", "--targets", "1", "--generator-cmd",
                       "/bin/sh -c '" SHORT_PROG "' sh {train} {out}", NULL};
    r = run_in(dir, a);
    cr_expect_eq(r.code, 1, "audit exit %d: %s", r.code, r.err);
    tu_result_free(&r);
    char *adb = tu_path(dir, "ashort/audit.db");
    cr_expect_eq(query_int(adb, "SELECT count(*) FROM trial WHERE status = 'ok'"), 0);
    cr_expect_gt(query_int(adb, "SELECT count(*) FROM trial WHERE status = 'failed' AND error LIKE "
                                "'%wrote 3 rows to %synth.csv ({out}): expected % ({rows})%'"), 0);
    free(adb);
    free(tu_write(dir, "short.json",
                  CONFIG_HEAD "\"name\": \"short\", \"generators\": [{\"name\": \"external\", \"params\": "
                              "{\"argv\": [\"/bin/sh\", \"-c\", \"" "(head -n 1 \\\"$1\\\"; tail -n 3 \\\"$1\\\") > "
                              "\\\"$2\\\"" "\", \"sh\", \"{train}\", \"{out}\"]}}]}"));
    const char *b[] = {"run", "short.json", "--db", "short.db", "--quiet", NULL};
    r = run_in(dir, b);
    cr_expect_eq(r.code, 1, "run exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.err, "4 of 4 trials failed"), "stderr: %s", r.err);
    cr_expect(strstr(r.err, "\"/bin/sh\" wrote 3 rows to ") && strstr(r.err, "expected 50 ({rows})"), "stderr: %s",
              r.err);
    tu_result_free(&r);
    char *db = tu_path(dir, "short.db");
    cr_expect_eq(query_int(db, "SELECT count(*) FROM trial WHERE status = 'failed'"), 4);
    cr_expect_eq(query_int(db, "SELECT count(*) FROM trial WHERE status = 'ok'"), 0);
    cr_expect_eq(query_int(db, "SELECT count(*) FROM score"), 0, "a refused release was scored");
    free(db);
}

/* gen aim reports its rounds on stderr in the harness's progress style
 * (harness/progress.h), and --quiet silences that but not the privacy spent. */
Test(cli, gen_aim_shows_its_rounds_unless_quiet)
{
    const char *a[] = {"gen", "aim", "--data", "data.csv", "--schema", "schema.json", "--epsilon", "1", "--rows",
                       "20", "--out", "aim.csv", NULL, NULL};
    tu_result r = run_in(dir, a);
    cr_expect_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.err, "[gen] aim: selection rounds (work estimated from the budget spent): done in "), "%s", r.err);
    cr_expect(strstr(r.err, "[gen] aim: final fit of the model: done in "), "%s", r.err);
    tu_result_free(&r);
    a[12] = "--quiet";
    r = run_in(dir, a);
    cr_expect_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    cr_expect_not(strstr(r.err, "[gen] aim: selection"), "--quiet printed progress: %s", r.err);
    cr_expect(strstr(r.err, "spent epsilon=1"), "%s", r.err);
    tu_result_free(&r);
}

/* utility's text output: a metric that does not exist (3-way TVD of 2
 * columns, an AUC on a test set of one class) says so instead of "nan" */
Test(cli, utility_prints_no_nan_for_metrics_that_do_not_exist)
{
    free(tu_write(dir, "two.json", "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                                   "{\"name\": \"c\", \"type\": \"categorical\", \"labels\": [\"x\", \"y\"]},"
                                   "{\"name\": \"v\", \"type\": \"numeric\", \"min\": 0, \"max\": 10}]}"));
    free(tu_write(dir, "mixed.csv", "c,v\nx,1\ny,2\nx,3\ny,4\nx,5\ny,6\n"));
    free(tu_write(dir, "onecls.csv", "c,v\nx,1\nx,2\nx,3\n"));
    const char *a[] = {"utility", "--real", "onecls.csv", "--synth", "mixed.csv", "--schema", "two.json", "--target",
                       "c", NULL};
    tu_result r = run_in(dir, a);
    cr_assert_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    cr_expect(!strstr(r.out, "nan") && !strstr(r.out, "NaN"), "%s", r.out);
    cr_expect(strstr(r.out, "3-way marginal TVD     n/a (the schema has 2 columns)"), "%s", r.out);
    cr_expect(strstr(r.out, "AUC n/a (the target has more than 2 classes, or the test set holds only one)"), "%s",
              r.out);
    tu_result_free(&r);
}

/* utility on a wide table (240 columns: 2,275,280 3-way subsets = C(240, 3)) without
 * --max-sets used to run for hours in silence: refused with exit 2 naming
 * the way out; with --max-sets it runs */
Test(cli, utility_refuses_all_3_way_marginals_of_a_wide_table_without_max_sets)
{
    enum { D = 240 };
    static char sch[D * 64 + 128], csv[D * 16 + 64];
    size_t o = (size_t)snprintf(sch, sizeof sch, "{\"format\": \"privaudit-schema/1\", \"columns\": [");
    size_t q = 0;
    for (int j = 0; j < D; j++) {
        o += (size_t)snprintf(sch + o, sizeof sch - o, "%s{\"name\": \"p%d\", \"type\": \"numeric\", \"min\": 0, "
                              "\"max\": 1}", j ? "," : "", j);
        q += (size_t)snprintf(csv + q, sizeof csv - q, "%sp%d", j ? "," : "", j);
    }
    snprintf(sch + o, sizeof sch - o, "]}");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < D; j++)
            q += (size_t)snprintf(csv + q, sizeof csv - q, "%s%d", j ? "," : "\n", (i + j) % 2);
    snprintf(csv + q, sizeof csv - q, "\n");
    free(tu_write(dir, "wide.json", sch));
    free(tu_write(dir, "wide.csv", csv));
    const char *a[] = {"utility", "--real", "wide.csv", "--synth", "wide.csv", "--schema", "wide.json", NULL, NULL,
                       NULL};
    tu_result r = run_in(dir, a);
    cr_expect_eq(r.code, 2, "exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.err, "wide.json: 240 columns have 2275280 3-way marginals") && strstr(r.err, "--max-sets"),
              "%s", r.err);
    cr_expect_eq(r.out[0], 0, "something was printed: %s", r.out);
    tu_result_free(&r);
    a[7] = "--max-sets";
    a[8] = "5";
    r = run_in(dir, a);
    cr_expect_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.out, "3-way marginal TVD     0.0000"), "%s", r.out);
    tu_result_free(&r);
}

/* epsilon --scores reads a spreadsheet's CSV (byte-order mark, CRLF) as the
 * plain one: the same output; the mark used to be refused as a bad header */
Test(cli, epsilon_scores_accepts_a_byte_order_mark_and_crlf)
{
    char plain[4096] = "score,member,split\n", bom[4096] = "\xef\xbb\xbfscore,member,split\r\n";
    uint64_t st = 5;
    for (int i = 0; i < 200; i++) {
        int m = i % 2;
        double sc = (double)(lcg(&st) % 1000) / 1000.0 + 0.3 * m;
        char row[64];
        snprintf(row, sizeof row, "%.3f,%d,%s", sc, m, i < 100 ? "calibration" : "test");
        strcat(plain, row);
        strcat(plain, "\n");
        strcat(bom, row);
        strcat(bom, "\r\n");
    }
    free(tu_write(dir, "plain.csv", plain));
    free(tu_write(dir, "bom.csv", bom));
    const char *a[] = {"epsilon", "--scores", "plain.csv", "--json", NULL};
    tu_result r1 = run_in(dir, a);
    a[2] = "bom.csv";
    tu_result r2 = run_in(dir, a);
    cr_expect_eq(r1.code, 0, "%s", r1.err);
    cr_expect_eq(r2.code, 0, "%s", r2.err);
    cr_expect(r1.out[0] && !strcmp(r1.out, r2.out), "plain: %s\nbom: %s", r1.out, r2.out);
    tu_result_free(&r1);
    tu_result_free(&r2);
}

Test(cli, the_audit_verdict_says_the_shadow_game_failed_instead_of_best_auc_nan)
{
    const char *a[] = {AUDIT_OK, "--out", "afail", "--games", "10", "--targets", "1", "--generator-cmd",
                       "/bin/sh -c 'echo boom >&2; exit 4' {train} {out}", NULL};
    tu_result r = run_in(dir, a);
    tu_result_free(&r);
    char *md = tu_path(dir, "afail/report.md");
    char *text = tu_slurp(md);
    cr_assert(text[0], "no report.md");
    /* no NaN printed as a number ("provenance" contains the letters) */
    cr_expect(!strstr(text, " nan") && !strstr(text, "nan%") && !strstr(text, "(nan") && !strstr(text, "[nan"),
              "%s", text);
    cr_expect(strstr(text, "every one of the 10 games failed"), "%s", text);
    cr_expect(strstr(text, "boom"), "%s", text);
    free(text);
    free(md);
}

/* ---- items 11-12: the external generator interrupted ------------------- */

/* Entries of folder d whose name starts with prefix. */
static size_t count_prefixed(const char *d, const char *prefix)
{
    DIR *h = opendir(d);
    size_t n = 0;
    struct dirent *e;
    while (h && (e = readdir(h)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (h)
        closedir(h);
    return n;
}

static pid_t read_pid(const char *path)
{
    char *t = tu_slurp(path);
    pid_t p = (pid_t)atoi(t);
    free(t);
    return p;
}

static int alive(pid_t p)
{
    return p > 0 && kill(p, 0) == 0;
}

/* Starts a run whose external generator records its pid (and that of a
 * setsid grandchild) in dir/prog.pid, dir/orphan.pid and sleeps; waits until
 * both files exist. TMPDIR is dir/tmp. Returns privaudit's pid. */
static pid_t start_sleeping_run(const char *db, pid_t *prog, pid_t *orphan)
{
    char *tmp = tu_path(dir, "tmp");
    mkdir(tmp, 0755);
    setenv("TMPDIR", tmp, 1);
    char *pp = tu_path(dir, "prog.pid"), *op = tu_path(dir, "orphan.pid");
    unlink(pp);
    unlink(op);
    char text[2048];
    snprintf(text, sizeof text,
             CONFIG_HEAD "\"name\": \"s\", \"generators\": [{\"name\": \"external\", \"params\": {\"argv\": "
                         "[\"/bin/sh\", \"-c\", \"setsid sleep 60 & echo $! > %s.tmp; mv %s.tmp %s; "
                         "echo $$ > %s.tmp; mv %s.tmp %s; exec sleep 60\", \"sh\", \"{train}\", \"{out}\"]}}]}",
             op, op, op, pp, pp, pp);
    free(tu_write(dir, "sleepy.json", text));
    const char *a[] = {"run", "sleepy.json", "--db", db, "--quiet", NULL};
    pid_t pa = spawn_in(dir, a);
    cr_assert_gt(pa, 0);
    cr_assert(wait_for_file(pp, 30) && wait_for_file(op, 30), "the generator did not start");
    *prog = read_pid(pp);
    *orphan = read_pid(op);
    cr_assert(alive(*prog) && alive(*orphan));
    cr_assert_eq(count_prefixed(tmp, "privaudit-ext-"), 1, "no temporary folder while the program runs");
    free(tmp);
    free(pp);
    free(op);
    return pa;
}

static void expect_all_gone(pid_t prog, pid_t orphan, const char *how)
{
    char *tmp = tu_path(dir, "tmp");
    /* the program and its setsid child must die; allow 30 s (the reaper is
     * scheduled late on a loaded machine, and later still under ASan) */
    for (int k = 0; k < 3000 && (alive(prog) || alive(orphan)); k++)
        tu_sleep_ms(10);
    cr_expect_not(alive(prog), "%s: the generator (pid %d) still runs", how, (int)prog);
    cr_expect_not(alive(orphan), "%s: its setsid child (pid %d) still runs", how, (int)orphan);
    for (int k = 0; k < 3000 && count_prefixed(tmp, "privaudit-ext-"); k++)
        tu_sleep_ms(10);
    cr_expect_eq(count_prefixed(tmp, "privaudit-ext-"), 0, "%s: the temporary folder with train.csv is left", how);
    if (alive(prog))
        kill(prog, SIGKILL);
    if (alive(orphan))
        kill(orphan, SIGKILL);
    free(tmp);
}

static void interrupted_run_cleans_up(int sig, const char *db)
{
    pid_t prog, orphan;
    pid_t pa = start_sleeping_run(db, &prog, &orphan);
    kill(pa, sig);
    int st = 0;
    int waited = 0;
    for (int k = 0; k < 1000 && !waited; k++) {
        if (waitpid(pa, &st, WNOHANG) == pa)
            waited = 1;
        else
            tu_sleep_ms(10);
    }
    if (!waited) {
        kill(pa, SIGKILL);
        waitpid(pa, &st, 0);
    }
    cr_expect(waited, "privaudit did not stop within 10 s of %s", strsignal(sig));
    cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == sig, "privaudit ended with status %d, expected death by %s", st,
              strsignal(sig));
    expect_all_gone(prog, orphan, strsignal(sig));
    /* the interrupted trial is not stored as a failure (--resume plays it again) */
    char *dbp = tu_path(dir, db);
    cr_expect_eq(query_int(dbp, "SELECT count(*) FROM trial"), 0, "an interrupted trial was stored");
    free(dbp);
}

Test(cli, sigint_stops_the_external_program_and_removes_its_training_records)
{
    interrupted_run_cleans_up(SIGINT, "int.db");
}

Test(cli, sigterm_stops_the_external_program_and_removes_its_training_records)
{
    interrupted_run_cleans_up(SIGTERM, "term.db");
}

Test(cli, after_a_sigkill_the_program_dies_and_no_training_records_stay_behind)
{
    pid_t prog, orphan;
    pid_t pa = start_sleeping_run("kill.db", &prog, &orphan);
    kill(pa, SIGKILL);
    waitpid(pa, NULL, 0);
    expect_all_gone(prog, orphan, "SIGKILL");
}

Test(cli, the_next_run_removes_the_folders_of_a_killed_privaudit)
{
    char *tmp = tu_path(dir, "tmp");
    mkdir(tmp, 0755);
    setenv("TMPDIR", tmp, 1);
    /* a pid that is surely dead: a child we have reaped */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char stale[1024], mine[1024], other[1024];
    snprintf(stale, sizeof stale, "%s/privaudit-ext-%d-AbC123", tmp, (int)dead);
    snprintf(mine, sizeof mine, "%s/privaudit-ext-%d-XyZ789", tmp, (int)getpid()); /* a live owner */
    snprintf(other, sizeof other, "%s/unrelated-%d", tmp, (int)dead);
    cr_assert_eq(mkdir(stale, 0700), 0);
    cr_assert_eq(mkdir(mine, 0700), 0);
    cr_assert_eq(mkdir(other, 0700), 0);
    free(tu_write(stale, "train.csv", "colour,region,sick,age\nred,east,yes,40\n"));
    const char *a[] = {"run", "c.json", "--db", "after.db", "--quiet", NULL};
    tu_result r = run_in(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_expect_not(tu_exists(stale), "the stale folder %s of a dead privaudit is still there", stale);
    cr_expect(tu_exists(mine), "the folder of a live privaudit was removed");
    cr_expect(tu_exists(other), "an unrelated folder was removed");
    free(tmp);
}

/* ---- item 13: a draft accepts its own CSV, through the binary ----------- */

Test(cli, data_infer_drafts_a_schema_that_accepts_its_own_csv)
{
    /* a label before a missing value; doubles that print differently at 15 digits */
    free(tu_write(dir, "tricky.csv",
                  "kind,rate,tiny\n"
                  "x,0.059999998658895493,4.9406564584124654e-324\n"
                  "NA,0.87000000476837158,1e-300\n"
                  "y,2.4666666984558105,-0\n"
                  "x,42.993198394775391,5\n"));
    const char *a[] = {"data", "infer", "tricky.csv", "--out", "tricky.json", NULL};
    tu_result r = run_in(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    const char *b[] = {"data", "check", "tricky.csv", "--schema", "tricky.json", NULL};
    r = run_in(dir, b);
    cr_expect_eq(r.code, 0, "the draft rejects its own CSV: %s", r.err);
    tu_result_free(&r);
}

/* ---- item 2: the set-up scripts without root ---------------------------- */

/* Runs `bash script args` with dir/stub first on PATH, where `id -u` says
 * 1000 and the given stubs stand in for dpkg-query and apt-get. */
static tu_result run_script(const char *script, const char *args, const char *dpkg_query, const char *apt_get)
{
    char *stub = tu_path(dir, "stub");
    mkdir(stub, 0755);
    char body[1024];
    snprintf(body, sizeof body, "#!/bin/sh\n[ \"$1\" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id \"$@\"\n");
    free(tu_write(stub, "id", body));
    free(tu_write(stub, "dpkg-query", dpkg_query));
    free(tu_write(stub, "apt-get", apt_get));
    const char *names[] = {"id", "dpkg-query", "apt-get"};
    for (int k = 0; k < 3; k++) {
        char *p = tu_path(stub, names[k]);
        chmod(p, 0755);
        free(p);
    }
    char root[PATH_MAX];
    cr_assert_not_null(realpath(".", root));
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "PATH='%s':\"$PATH\" bash '%s/%s' %s > '%s/.stdout' 2> '%s/.stderr'", stub, root,
             script, args, dir, dir);
    int st = system(cmd);
    tu_result r = {.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1};
    char *o = tu_path(dir, ".stdout"), *e = tu_path(dir, ".stderr");
    r.out = tu_slurp(o);
    r.err = tu_slurp(e);
    free(o);
    free(e);
    free(stub);
    return r;
}

Test(cli, install_deps_without_root_succeeds_when_everything_is_installed)
{
    if (access("scripts/install-deps.sh", R_OK) != 0)
        cr_skip_test("run from the repository (make test)");
    tu_result r = run_script("scripts/install-deps.sh", "", "#!/bin/sh\nprintf 'install ok installed'\n",
                             "#!/bin/sh\necho apt-get must not run >&2; exit 99\n");
    cr_expect_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.out, "already installed"), "%s", r.out);
    tu_result_free(&r);
}

Test(cli, install_deps_without_root_says_what_to_run_as_root)
{
    if (access("scripts/install-deps.sh", R_OK) != 0)
        cr_skip_test("run from the repository (make test)");
    tu_result r = run_script("scripts/install-deps.sh", "",
                             "#!/bin/sh\n[ \"$3\" = gnuplot-nox ] && exit 1\nprintf 'install ok installed'\n",
                             "#!/bin/sh\necho apt-get must not run >&2; exit 99\n");
    cr_expect_eq(r.code, 1, "exit %d: %s", r.code, r.err);
    cr_expect(strstr(r.err, "apt-get install") && strstr(r.err, "gnuplot-nox"), "%s", r.err);
    cr_expect_null(strstr(r.err, "must not run"), "%s", r.err);
    tu_result_free(&r);
}

Test(cli, fetch_without_apt_lists_says_to_run_apt_get_update_and_does_not_claim_to)
{
    if (access("data/fetch.sh", R_OK) != 0)
        cr_skip_test("run from the repository (make test)");
    char *out = tu_path(dir, "fetched");
    char args[PATH_MAX + 32];
    snprintf(args, sizeof args, "'%s' healthinsurance", out);
    tu_result r = run_script("data/fetch.sh", args, "#!/bin/sh\nexit 1\n",
                             "#!/bin/sh\n[ \"$1\" = update ] && { echo update ran >&2; exit 0; }\n"
                             "echo 'E: Unable to locate package r-cran-aer' >&2; exit 100\n");
    cr_expect_eq(r.code, 1, "exit %d: %s", r.code, r.err);
    cr_expect_null(strstr(r.err, "running apt-get update"), "%s", r.err);
    cr_expect_null(strstr(r.err, "update ran"), "%s", r.err);
    cr_expect(strstr(r.err, "apt-get update"), "%s", r.err);
    tu_result_free(&r);
    free(out);
}
