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

/* "key=value" (a --param) into obj: numbers and true/false typed, anything
 * else a string; a key given twice keeps the last value. -1 with a message
 * ("privaudit CMD: --param: ...") if there is no key or no '='. */
int args_param(const char *cmd, cJSON *obj, const char *kv);

#endif
