/* args.h — small helpers for the subcommands' option parsing. Options are
 * "--name value" or "--name=value"; every parse error is reported as
 * "privaudit CMD: --name: what was expected" and yields exit code 2. */
#ifndef PA_ARGS_H
#define PA_ARGS_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* If argv[*i] is option `name`, stores its value in *val (advancing *i past a
 * separate value) and returns 1; returns 0 if it is another option; returns
 * -1 (message printed) if the value is missing. */
int args_opt(int argc, char **argv, int *i, const char *cmd, const char *name, const char **val);

/* Strict conversions; on failure print "privaudit CMD: NAME: expected ..." and return -1. */
int args_double(const char *cmd, const char *name, const char *s, double lo, double hi, double *out);
int args_u64(const char *cmd, const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* "key=value" (a --param) into obj: numbers and true/false typed, a value
 * starting with '[' parsed as a JSON array (strict), anything else a string;
 * a key given twice keeps the last value. -1 with a message ("privaudit CMD:
 * --param: ...") if there is no key or no '=', or a '[' value is not a JSON
 * array. */
int args_param(const char *cmd, cJSON *obj, const char *kv);

/* ---- paths: every command checks its files with these, before any work ----
 * Each prints "privaudit CMD: OPT: ..." on stderr and returns -1 on failure
 * (exit code 2), 0 otherwise. OPT names the option, or the positional
 * argument ("CONFIG.json", "CSV"). */

/* An input or output path that must not be empty. */
int args_path(const char *cmd, const char *opt, const char *path);

/* An input file: not empty and, if it exists, not a folder (a missing file
 * is left to the reader, whose message names it). */
int args_in_file(const char *cmd, const char *opt, const char *path);

/* One input of a command, for the checks below; lists end with {NULL, NULL}. */
typedef struct args_input {
    const char *opt;     /* "--data", "CONFIG.json", ... */
    const char *path;    /* NULL: skipped */
} args_input;

/* An output file: not empty, not an existing folder, in a folder that
 * exists, and not the same file as any of inputs (compared by device and
 * inode, so "./data.csv", "sub/../data.csv" and links are caught). */
int args_out_file(const char *cmd, const char *opt, const char *path, const args_input *inputs);

/* A database to write: args_out_file, and an existing non-empty file must
 * start with SQLite's header (a corrupt or foreign file is refused, not
 * opened). */
int args_db_file(const char *cmd, const char *opt, const char *path, const args_input *inputs);

/* An output folder: not empty and, if it exists, a folder (it is created
 * with its parents when the command writes). */
int args_out_dir(const char *cmd, const char *opt, const char *path);

/* A name or label from the command line: no control character; not empty
 * unless allow_empty. */
int args_text(const char *cmd, const char *opt, const char *s, int allow_empty);

#endif
