/* config.h — experiment configs (docs/config.md): parsing, validation,
 * expansion into cells (generator × ε). */
#ifndef PA_CONFIG_H
#define PA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/table.h"

#define CONFIG_FORMAT "privaudit-config/1"

typedef struct cfg_cell {
    char *generator;           /* registered generator name */
    char *params_json;         /* canonical JSON of its params ("{}" if none) */
    cJSON *params;             /* parsed params (owned) */
    double epsilon;            /* INFINITY for non-private */
    double delta;
    size_t gen_index;          /* its entry in the config's "generators" list (messages) */
} cfg_cell;

typedef struct cfg_attack {
    char *name;                /* registered attack */
    char *label;               /* name in the store (defaults to name) */
    cJSON *params;             /* owned, may be NULL */
} cfg_attack;

typedef enum cfg_select { SELECT_GIVEN, SELECT_ISOLATED, SELECT_RANDOM, SELECT_CRAFTED } cfg_select;

typedef struct config {
    char *name;
    char *path;                /* the config file's path as given (every message starts with it) */
    char *json;                /* the file's text */
    char *hash;                /* hex FNV-1a of the canonical (unformatted) JSON */
    uint64_t seed;
    char *data_csv;            /* resolved against the config's folder */
    char *data_schema;
    double aux_frac;           /* share of the data set given to the attacker */
    double holdout_frac;       /* share kept out of both (utility holdout) */
    size_t train_size;         /* n: records in D besides the targets */
    size_t synth_size;         /* m: synthetic records released */
    size_t games;              /* trials per cell */
    double calibration;        /* share of games used to choose thresholds */
    cfg_select select;
    size_t n_targets;
    int64_t *target_rows;      /* (n_targets) when SELECT_GIVEN */
    size_t n_cells;
    cfg_cell *cells;
    size_t n_attacks;
    cfg_attack *attacks;
    double alpha;              /* interval level (see docs/metrics.md) */
    double audit_delta;        /* δ used by the ε estimators */
    int replace_one;           /* neighbours: 1 = a member replaces a record of D, 0 = added to D */
    int fixed_game;            /* game: 1 = "fixed" (one D for every trial, given to the attacker), 0 = "average" */
    size_t target_copies;      /* fixed game: D holds this many copies of each target in place of as many rows */
    size_t shadow_games;       /* shadow releases per cell for MIA_SHADOW attacks (0 if none) */
    int util_tvd[3];           /* util_tvd[k-1]: store the k-way TVD of each release */
    size_t util_max_sets;      /* k-way marginals sampled per TVD (0 = all) */
    char *util_tstr;           /* column for TSTR accuracy on the holdout, or NULL */
} config;

/* Parses a config file and checks everything that can be checked without
 * the data (names, parameters, ranges). On error *out is NULL and err names
 * the file, the field and what was expected. `seed_override` replaces the
 * config's seed when non-NULL. */
int config_read(const char *path, const uint64_t *seed_override, config **out, pa_err *err);

/* The same from the config's text (e.g. experiment.config_json of a store):
 * path names it in messages, and relative data paths are resolved against
 * its folder, as if the text had been read from path. */
int config_parse(const char *path, const char *text, const uint64_t *seed_override, config **out, pa_err *err);

/* Checks the config against the data's schema: generator parameters,
 * attack parameters, sizes, and that DP runs do not use an inferred schema.
 * Every message starts with the config's path and the JSON path of the
 * field: "x.json: generators[1].params.rounds: expected ..., got 0"; a
 * generator's or attack's own message "generator \"G\": parameter \"K\": ..."
 * becomes "PATH: generators[i].params.K: ...", any other
 * "PATH: generators[i] (G at epsilon E): ...". */
int config_check_data(const config *c, const schema *s, size_t n_rows, pa_err *err);

void config_free(config *c);

#define CONFIG_MAX_LABEL 63   /* bytes of an attack label */
#define CONFIG_MAX_NAME 200   /* bytes of an experiment name */

/* An attack label: printable (no control character), at most
 * CONFIG_MAX_LABEL bytes. PA_EINPUT with "PATH: JP.label: ..." otherwise
 * (jp the JSON path of the object holding it, "" at the root). */
int config_check_label(const char *label, const char *path, const char *jp, pa_err *err);

/* An experiment name: non-empty, printable, no '/' or '\\', not "." or "..",
 * at most CONFIG_MAX_NAME bytes (it names the file NAME.db). */
int config_check_name(const char *name, const char *path, const char *jp, pa_err *err);

#endif
