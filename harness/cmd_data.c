/* cmd_data.c — privaudit data import FILE.rda [--object NAME] [--name BASE] --out DIR
 *              privaudit data import FILE.rda --list
 *              privaudit data infer CSV [--out SCHEMA.json]
 *              privaudit data check CSV --schema JSON [--rows N] [--cols D]
 *              privaudit data import-idx IMAGES LABELS --name BASE --out DIR [--classes K] [--label COL]
 *
 * import turns one data frame of an R .rda file into DIR/BASE.csv and a
 * drafted DIR/BASE.schema.json (BASE defaults to the object's name); infer
 * drafts a schema from a CSV. Both drafts have "inferred": true — their
 * bounds and domains were read off the data, which leaks, and privaudit
 * refuses DP runs on them until public bounds replace them — and both say so
 * on stderr. check reads a CSV under a schema (every value within the
 * schema's domains and bounds) and optionally checks its shape. Exit codes: 0 ok, 2 bad usage or bad input, 1 other failures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/idx.h"
#include "core/rda.h"
#include "core/table.h"
#include "core/util.h"
#include "harness/args.h"
#include "harness/cli.h"

static const char LEAK_WARNING[] =
    "warning: the schema's bounds and domains were read off the data: they leak information about it and "
    "must be replaced by public bounds before a DP run (privaudit refuses DP runs on schemas with "
    "\"inferred\": true)";

static int exit_code(int rc)
{
    return rc == PA_OK ? 0 : rc == PA_EINPUT ? 2 : 1;
}

static void data_usage(FILE *f)
{
    fprintf(f, "usage: privaudit data import FILE.rda [--object NAME] [--name BASE] --out DIR\n"
               "       privaudit data import FILE.rda --list\n"
               "       privaudit data infer CSV [--out SCHEMA.json]\n"
               "       privaudit data check CSV --schema JSON [--rows N] [--cols D]\n"
               "       privaudit data import-idx IMAGES LABELS --name BASE --out DIR [--classes K] [--label COL]\n\n"
               "import-idx converts IDX image and label files (MNIST format, gzip'd or not) into\n"
               "        DIR/BASE.csv and DIR/BASE.schema.json (public bounds: pixels 0..255)\n"
               "import  converts a data frame saved by R (save(), .rda/.RData, gzip/bzip2/xz) into\n"
               "        DIR/BASE.csv and a drafted DIR/BASE.schema.json\n"
               "infer   drafts a schema from a CSV (stdout unless --out)\n"
               "check   reads a CSV under a schema and checks its shape\n\n"
               "Drafted schemas take their bounds from the data (\"inferred\": true); replace them by\n"
               "public bounds before a DP run. privaudit data COMMAND --help for details.\n");
}

static void import_usage(FILE *f)
{
    fprintf(f, "usage: privaudit data import FILE.rda [--object NAME] [--name BASE] --out DIR\n"
               "       privaudit data import FILE.rda --list\n\n"
               "Reads the data frame NAME (default: the first data frame) from an R data file written\n"
               "by save() (XDR format version 2 or 3, uncompressed or gzip/bzip2/xz; a saveRDS() file\n"
               "is read as one object named after the file) and writes DIR/BASE.csv and\n"
               "DIR/BASE.schema.json, BASE defaulting to NAME. Column types: factor, logical and\n"
               "character become categorical columns (labels = levels / FALSE,TRUE / sorted values);\n"
               "integer and double become numeric columns bounded by the observed min/max. An NA is\n"
               "the extra label \"NA\" in a categorical column, and the lower bound in a numeric one.\n"
               "--list prints each object's name, kind and shape instead.\n\n"
               "The schema is a draft (\"inferred\": true): its bounds leak the data; replace it with a\n"
               "schema of public bounds before a DP run.\n");
}

static void infer_usage(FILE *f)
{
    fprintf(f, "usage: privaudit data infer CSV [--out SCHEMA.json]\n\n"
               "Drafts a schema from a CSV with a header: columns whose values all parse as numbers\n"
               "become numeric with the observed min/max as bounds, others categorical with the sorted\n"
               "distinct values as labels. The draft has \"inferred\": true and privaudit refuses DP runs\n"
               "on it: replace the bounds and domains by public knowledge first.\n");
}

static void check_usage(FILE *f)
{
    fprintf(f, "usage: privaudit data check CSV --schema JSON [--rows N] [--cols D]\n\n"
               "Reads the CSV under the schema, so that every value must lie in its column's labels or\n"
               "[min, max] bounds, and prints its shape; with --rows/--cols the shape must match too.\n"
               "Exit code 2 if anything does not conform.\n");
}

static int is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

static char *join_path(const char *dir, const char *base, const char *suffix)
{
    size_t n = strlen(dir) + strlen(base) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, base, suffix);
    return p;
}

/* A base name usable as a file name: no '/', not empty, not "." or "..". */
static int base_ok(const char *b)
{
    return b[0] && !strchr(b, '/') && strcmp(b, ".") && strcmp(b, "..") && !util_ctrl_char(b);
}

static int list_objects(const char *file)
{
    rda_info *info;
    size_t n;
    pa_err e = {0};
    int rc = rda_list_info(file, &info, &n, &e);
    if (rc) {
        fprintf(stderr, "privaudit data import: %s\n", e.msg);
        return exit_code(rc);
    }
    for (size_t k = 0; k < n; k++) {
        if (!strcmp(info[k].kind, "data.frame"))
            printf("%s\tdata.frame\t%zu x %zu\n", info[k].name, info[k].nrow, info[k].ncol);
        else
            printf("%s\t%s\t%zu\n", info[k].name, info[k].kind, info[k].nrow);
    }
    rda_info_free(info, n);
    return 0;
}

static int cmd_import(int argc, char **argv)
{
    const char *file = NULL, *object = NULL, *base = NULL, *out = NULL, *v;
    int list = 0, r;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            import_usage(stdout);
            return 0;
        }
        if ((r = args_opt(argc, argv, &i, "data import", "--object", &v)) != 0) {
            if (r < 0)
                return 2;
            object = v;
        } else if ((r = args_opt(argc, argv, &i, "data import", "--name", &v)) != 0) {
            if (r < 0)
                return 2;
            base = v;
        } else if ((r = args_opt(argc, argv, &i, "data import", "--out", &v)) != 0) {
            if (r < 0)
                return 2;
            out = v;
        } else if (!strcmp(argv[i], "--list")) {
            list = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "privaudit data import: unknown option \"%s\" (see privaudit data import --help)\n",
                    argv[i]);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "privaudit data import: unexpected argument \"%s\": expected one FILE.rda\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "privaudit data import: expected FILE.rda (see privaudit data import --help)\n");
        return 2;
    }
    if (args_in_file("data import", "FILE.rda", file) || (object && args_text("data import", "--object", object, 0)))
        return 2;
    if (list)
        return list_objects(file);
    if (!out) {
        fprintf(stderr, "privaudit data import: --out: expected an output directory\n");
        return 2;
    }
    if (args_out_dir("data import", "--out", out))
        return 2;
    if (base && !base_ok(base)) {
        fprintf(stderr, "privaudit data import: --name: got \"%s\", expected a file base name without '/' or "
                "control characters\n", base);
        return 2;
    }

    pa_err e = {0};
    table *t = NULL;
    char *objname = NULL;
    int rc = rda_read_frame_named(file, object, &t, &objname, &e);
    if (rc) {
        fprintf(stderr, "privaudit data import: %s\n", e.msg);
        return exit_code(rc);
    }
    if (!base) {
        if (!base_ok(objname)) {
            fprintf(stderr, "privaudit data import: %s: the object's name \"%s\" is not usable as a file name: "
                    "give --name BASE\n", file, objname);
            free(objname);
            tbl_free(t);
            return 2;
        }
        base = objname;
    }
    char *csv = join_path(out, base, ".csv");
    char *sch = join_path(out, base, ".schema.json");
    if (!csv || !sch) {
        fprintf(stderr, "privaudit data import: out of memory\n");
        rc = PA_ENOMEM;
        goto done;
    }
    {
        const args_input in[] = {{"FILE.rda", file}, {NULL, NULL}};
        if ((util_same_file(csv, file) && args_out_file("data import", "--out", csv, in)) ||
            (util_same_file(sch, file) && args_out_file("data import", "--out", sch, in))) {
            rc = PA_EINPUT;
            goto done;
        }
    }
    if ((rc = util_mkdir_p(out, &e))) {
        fprintf(stderr, "privaudit data import: --out %s: %s\n", out, e.msg);
        goto done;
    }
    /* The schema first, then the CSV; if the CSV fails the schema goes too,
     * so that an error leaves neither file behind (both are written to a
     * temporary file and renamed). */
    if ((rc = schema_write(t->s, sch, &e))) {
        fprintf(stderr, "privaudit data import: %s\n", e.msg);
        goto done;
    }
    if ((rc = tbl_write_csv(t, csv, &e))) {
        fprintf(stderr, "privaudit data import: %s\n", e.msg);
        unlink(sch);
        goto done;
    }
    fprintf(stderr, "privaudit data import: %s: wrote %s (%zu rows x %zu columns) and %s\n", file, csv, t->n, t->d,
            sch);
    fprintf(stderr, "privaudit data import: %s: %s\n", sch, LEAK_WARNING);
done:
    free(csv);
    free(sch);
    free(objname);
    tbl_free(t);
    return exit_code(rc);
}

static int cmd_infer(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *v;
    int r;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            infer_usage(stdout);
            return 0;
        }
        if ((r = args_opt(argc, argv, &i, "data infer", "--out", &v)) != 0) {
            if (r < 0)
                return 2;
            out = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "privaudit data infer: unknown option \"%s\" (see privaudit data infer --help)\n",
                    argv[i]);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "privaudit data infer: unexpected argument \"%s\": expected one CSV\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "privaudit data infer: expected CSV (see privaudit data infer --help)\n");
        return 2;
    }
    const args_input in[] = {{"CSV", file}, {NULL, NULL}};
    if (args_in_file("data infer", "CSV", file) || (out && args_out_file("data infer", "--out", out, in)))
        return 2;
    pa_err e = {0};
    schema *s = NULL;
    int rc = schema_infer(file, &s, &e);
    if (rc) {
        fprintf(stderr, "privaudit data infer: %s\n", e.msg);
        return exit_code(rc);
    }
    if (out) {
        rc = schema_write(s, out, &e);
        if (rc)
            fprintf(stderr, "privaudit data infer: %s\n", e.msg);
    } else {
        char *json = schema_to_json(s);
        if (!json) {
            fprintf(stderr, "privaudit data infer: out of memory\n");
            rc = PA_ENOMEM;
        } else {
            fputs(json, stdout);
            if (json[0] && json[strlen(json) - 1] != '\n')
                fputc('\n', stdout);
            free(json);
            if (fflush(stdout) != 0) {
                fprintf(stderr, "privaudit data infer: writing stdout: %s\n", strerror(errno));
                rc = PA_EIO;
            }
        }
    }
    if (rc == PA_OK)
        fprintf(stderr, "privaudit data infer: %s: %s\n", file, LEAK_WARNING);
    schema_free(s);
    return exit_code(rc);
}

static int cmd_check(int argc, char **argv)
{
    const char *file = NULL, *sch = NULL, *v;
    uint64_t rows = 0, cols = 0;
    int want_rows = 0, want_cols = 0, r;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            check_usage(stdout);
            return 0;
        }
        if ((r = args_opt(argc, argv, &i, "data check", "--schema", &v)) != 0) {
            if (r < 0)
                return 2;
            sch = v;
        } else if ((r = args_opt(argc, argv, &i, "data check", "--rows", &v)) != 0) {
            if (r < 0 || args_u64("data check", "--rows", v, 0, UINT64_MAX, &rows) < 0)
                return 2;
            want_rows = 1;
        } else if ((r = args_opt(argc, argv, &i, "data check", "--cols", &v)) != 0) {
            if (r < 0 || args_u64("data check", "--cols", v, 1, UINT64_MAX, &cols) < 0)
                return 2;
            want_cols = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "privaudit data check: unknown option \"%s\" (see privaudit data check --help)\n",
                    argv[i]);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "privaudit data check: unexpected argument \"%s\": expected one CSV\n", argv[i]);
            return 2;
        }
    }
    if (!file || !sch) {
        fprintf(stderr, "privaudit data check: expected CSV and --schema JSON (see privaudit data check --help)\n");
        return 2;
    }
    if (args_in_file("data check", "CSV", file) || args_in_file("data check", "--schema", sch))
        return 2;
    pa_err e = {0};
    schema *s = NULL;
    table *t = NULL;
    int rc = schema_read(sch, &s, &e);
    if (rc == PA_OK)
        rc = tbl_read_csv(file, s, &t, &e);
    if (rc) {
        fprintf(stderr, "privaudit data check: %s\n", e.msg);
        schema_free(s);
        return exit_code(rc);
    }
    int bad = 0;
    if (want_rows && t->n != rows) {
        fprintf(stderr, "privaudit data check: %s: %zu rows, expected %llu\n", file, t->n, (unsigned long long)rows);
        bad = 1;
    }
    if (want_cols && t->d != cols) {
        fprintf(stderr, "privaudit data check: %s: %zu columns, expected %llu\n", file, t->d,
                (unsigned long long)cols);
        bad = 1;
    }
    if (!bad)
        printf("%s: %zu rows x %zu columns conform to %s%s\n", file, t->n, t->d, sch,
               s->inferred ? " (an inferred draft schema)" : "");
    tbl_free(t);
    schema_free(s);
    return bad ? 2 : 0;
}

static void import_idx_usage(FILE *f)
{
    fprintf(f, "usage: privaudit data import-idx IMAGES LABELS --name BASE --out DIR [--classes K] [--label COL]\n\n"
               "Reads an IDX file of unsigned-byte images (n, rows, cols) and an IDX file of n labels (the\n"
               "MNIST / Fashion-MNIST format; gzip'd files are read directly) and writes DIR/BASE.csv with\n"
               "columns px0..px{p-1} (pixel values 0..255) and COL (default \"label\", codes 0..K-1,\n"
               "K default 10), and DIR/BASE.schema.json. The schema's bounds are those of the format\n"
               "(pixels numeric integer in [0, 255], K label codes), not read off the data, so it is not a\n"
               "draft (\"inferred\": false).\n");
}

static int cmd_import_idx(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *base = NULL, *out = NULL, *label = "label", *v;
    uint64_t K = 10;
    int nf = 0, r;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            import_idx_usage(stdout);
            return 0;
        }
        if ((r = args_opt(argc, argv, &i, "data import-idx", "--name", &v)) != 0) {
            if (r < 0)
                return 2;
            base = v;
        } else if ((r = args_opt(argc, argv, &i, "data import-idx", "--out", &v)) != 0) {
            if (r < 0)
                return 2;
            out = v;
        } else if ((r = args_opt(argc, argv, &i, "data import-idx", "--label", &v)) != 0) {
            if (r < 0)
                return 2;
            label = v;
        } else if ((r = args_opt(argc, argv, &i, "data import-idx", "--classes", &v)) != 0) {
            if (r < 0 || args_u64("data import-idx", "--classes", v, 2, 256, &K))
                return 2;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "privaudit data import-idx: unknown option \"%s\" (see privaudit data import-idx --help)\n",
                    argv[i]);
            return 2;
        } else if (nf < 2) {
            files[nf++] = argv[i];
        } else {
            fprintf(stderr, "privaudit data import-idx: unexpected argument \"%s\": expected IMAGES LABELS\n", argv[i]);
            return 2;
        }
    }
    if (nf != 2 || !base || !out) {
        fprintf(stderr, "privaudit data import-idx: expected IMAGES, LABELS, --name and --out (see privaudit data "
                "import-idx --help)\n");
        return 2;
    }
    if (!base_ok(base)) {
        fprintf(stderr, "privaudit data import-idx: --name: got \"%s\", expected a file base name without '/' or "
                "control characters\n", base);
        return 2;
    }
    if (args_in_file("data import-idx", "IMAGES", files[0]) || args_in_file("data import-idx", "LABELS", files[1]) ||
        args_out_dir("data import-idx", "--out", out) || args_text("data import-idx", "--label", label, 0))
        return 2;
    pa_err e = {0};
    idx_array *img = NULL, *lab = NULL;
    table *t = NULL;
    char *csv = NULL, *sch = NULL;
    int rc = idx_read(files[0], &img, &e);
    if (!rc)
        rc = idx_read(files[1], &lab, &e);
    if (!rc && (rc = idx_to_table(img, lab, (size_t)K, label, &t, &e)))
        pa_err_prefix(&e, "%s, %s", files[0], files[1]);
    idx_free(img);
    idx_free(lab);
    if (rc) {
        fprintf(stderr, "privaudit data import-idx: %s\n", e.msg);
        return exit_code(rc);
    }
    csv = join_path(out, base, ".csv");
    sch = join_path(out, base, ".schema.json");
    if (!csv || !sch) {
        fprintf(stderr, "privaudit data import-idx: out of memory\n");
        rc = PA_ENOMEM;
        goto done;
    }
    {
        const args_input in[] = {{"IMAGES", files[0]}, {"LABELS", files[1]}, {NULL, NULL}};
        if (((util_same_file(csv, files[0]) || util_same_file(csv, files[1])) &&
             args_out_file("data import-idx", "--out", csv, in)) ||
            ((util_same_file(sch, files[0]) || util_same_file(sch, files[1])) &&
             args_out_file("data import-idx", "--out", sch, in))) {
            rc = PA_EINPUT;
            goto done;
        }
    }
    if ((rc = util_mkdir_p(out, &e))) {
        fprintf(stderr, "privaudit data import-idx: --out %s: %s\n", out, e.msg);
        goto done;
    }
    if ((rc = schema_write(t->s, sch, &e))) {
        fprintf(stderr, "privaudit data import-idx: %s\n", e.msg);
        goto done;
    }
    if ((rc = tbl_write_csv(t, csv, &e))) {
        fprintf(stderr, "privaudit data import-idx: %s\n", e.msg);
        unlink(sch);
        goto done;
    }
    fprintf(stderr, "privaudit data import-idx: wrote %s (%zu rows x %zu columns) and %s\n", csv, t->n, t->d, sch);
done:
    free(csv);
    free(sch);
    tbl_free(t);
    return exit_code(rc);
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2) {
        data_usage(stderr);
        return 2;
    }
    if (is_help(argv[1]) || !strcmp(argv[1], "help")) {
        data_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "import"))
        return cmd_import(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import-idx"))
        return cmd_import_idx(argc - 1, argv + 1);
    if (!strcmp(argv[1], "infer"))
        return cmd_infer(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 1, argv + 1);
    fprintf(stderr, "privaudit data: unknown subcommand \"%s\": expected import, import-idx, infer or check (see privaudit data "
            "--help)\n", argv[1]);
    return 2;
}
