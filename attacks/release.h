/* release.h — the release audit: how much a synthetic data set exposes the
 * people in the real data it was made from, measured against control records
 * the generator never saw (docs/audit.md).
 *
 * n = training records (the real data the generator was fitted on),
 * m = synthetic records, h = control records (a holdout from the same source),
 * d = columns, K = codes of a secret column.
 *
 * Every attack runs twice: against the training records and against the
 * control records, and the risk is the excess of the first over the second,
 * risk = (r_train − r_control)/(1 − r_control), with Anonymeter's interval
 * (audit/risk.h). A naive attack that ignores the release guards against an
 * attack weaker than chance. The risks are the three of the Article 29
 * Working Party's opinion on anonymisation (WP216), as Anonymeter measures
 * them (Giomi et al., PoPETs 2023), plus membership:
 *
 * - singling out: predicates built from the synthetic data that match exactly
 *   one synthetic record (univariate: a column's minimum, maximum or a value
 *   seen once; multivariate: `so_cols` columns of a synthetic record, numeric
 *   ones as ≥ or ≤ its value on the far side of the median) succeed when they
 *   match exactly one real record. The sets compared have equal size s =
 *   min(n, h): the training records are cut into ⌊n/s⌋ disjoint slices of s
 *   (and the control into ⌊h/s⌋), each query is counted on every slice, and a
 *   rate is successes / (queries requested × slices). (Anonymeter instead
 *   evaluates on all n and extrapolates the control by a fitted model.)
 *   Naive attack: random predicates on random columns and values.
 * - linkability: the attacker holds two tables of the same people with the
 *   column sets A and B; a record is linked when some synthetic record is
 *   among its nearest on A and among its nearest on B (every tie counted).
 *   Naive attack: two random synthetic records. All n and all h records are
 *   attacked.
 * - inference, per secret column: guess the secret from the quasi-identifiers
 *   with three attacks (attacks/recon.h): the nearest synthetic record
 *   (Anonymeter's), a classifier trained on the synthetic data, and linear
 *   reconstruction. Success = the exact value. For the control, the
 *   per-record attacks score the h control records; the reconstruction, which
 *   solves for a whole set of people at once, solves for the training set
 *   with min(n, h) records replaced by control records, and scores those.
 *   Naive attack: the secret of a random synthetic record. The risk reported
 *   for the column is the attack with the largest lower end.
 * - membership: distance to the closest synthetic record (every column). Half
 *   of the training and half of the control records choose the threshold
 *   (roc_choose_threshold); the other halves count it: rate = true-positive
 *   rate, control rate = false-positive rate. Naive attack: claims at random
 *   as often as the attack did on the calibration half.
 * Singling out reports the stronger of its two modes. Every interval is at the
 * Bonferroni level 1 − α/A, A = the number of attacks (2 + 1 + 3 per secret
 * column + 1), so that, since a risk is flagged when the lower end of its
 * interval exceeds opts.threshold, a release that leaks nothing is flagged
 * with probability at most α/2 (for threshold 0). Without control records
 * every risk has status RISK_NO_CONTROL:
 * success against the training records alone cannot tell a leak from what
 * the release says about the population (docs/audit.md).
 *
 * rel_audit is a deterministic function of its arguments and opts.seed: the
 * same for any opts.jobs. It never prints; progress goes to opts.progress.
 */
#ifndef PA_RELEASE_H
#define PA_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "attacks/recon.h"
#include "audit/risk.h"
#include "core/err.h"
#include "core/table.h"

#define REL_MAX_SO_COLS 8      /* most columns in a multivariate predicate */
#define REL_N_BANDS 6          /* score bands of the reconstruction: [0,.05) [.05,.25) [.25,.5] (.5,.75] (.75,.95] (.95,1] */

typedef struct rel_opts {
    const int *secrets;        /* secret columns (categorical, ≥ 2 codes), or NULL = every ROLE_SECRET column */
    size_t n_secrets;
    const int *qi;             /* the attacker's quasi-identifiers, or NULL = ROLE_QI columns that are not secret */
    size_t n_qi;
    const int *link_a, *link_b; /* linkability column sets, or NULL = the QIs against every other column (if
                                * every column is a QI: the first half of them against the rest) */
    size_t n_link_a, n_link_b;
    size_t so_attacks;         /* singling-out predicates requested per mode (default 1000) */
    size_t so_cols;            /* columns of a multivariate predicate (default 3, at most REL_MAX_SO_COLS) */
    size_t so_max_attempts;    /* multivariate predicates tried at most (0 = default, 1000 × so_attacks) */
    int k;                     /* reconstruction: largest query order, secret included (default 3) */
    size_t bins;               /* reconstruction and classifier: bins per numeric QI (default RECON_DEFAULT_BINS) */
    int scaling;               /* recon_scaling (default global) */
    int solver;                /* recon_solver (default RECON_CLP) */
    double alpha;              /* intervals at level 1 − alpha (default 0.05) */
    double threshold;          /* a risk is flagged when its lower end exceeds this (default REL_DEFAULT_THRESHOLD) */
    uint64_t seed;             /* slices, splits, random predicates, naive attacks (default 1) */
    int jobs;                  /* worker threads (default 1) */
    /* Called with the step's name, work done and work in total (done ==
     * total at the end of a step), from one thread at a time, often; may be
     * NULL. */
    void (*progress)(void *ctx, const char *step, size_t done, size_t total);
    void *progress_ctx;
} rel_opts;

#define REL_DEFAULT_THRESHOLD 0.0

/* The defaults above. */
void rel_opts_default(rel_opts *o);

/* One attack of the audit. */
typedef struct rel_attack {
    const char *risk;          /* "singling_out", "linkability", "inference", "membership" */
    const char *name;          /* "univariate", "multivariate", "nearest_pair", "nearest", "classifier", "lp", "dcr" */
    int secret;                /* inference: index into rel_result.secret_cols; else -1 */
    risk_result r;             /* rates, risk, interval, flag (audit/risk.h) */
    size_t family;             /* A, the attacks of the verdict: intervals at level 1 − alpha/A */
    int chosen;                /* 1: the attack the verdict reports for this risk (and secret) */
    char note[1280];           /* why it was not run, or what limits it ("" if nothing) */
    double seconds;            /* wall time */
} rel_attack;

/* One attack on one secret bit "column = code", against one part. */
typedef struct rel_part {
    int ran;                   /* 0: failed (msg says why) */
    char msg[1024];
    size_t n, ones;            /* records attacked; of them with bit 1 */
    size_t correct;            /* bits guessed right (prediction: score > ½) */
    double acc, lo, hi;        /* accuracy and its Clopper–Pearson interval at level 1 − alpha */
    size_t minority_correct;   /* records with the less common bit (of the training records) guessed right */
    size_t says_minority;      /* records given the less common bit */
    double min_lo, min_hi;     /* interval of minority_correct / says_minority */
    size_t conf_n, conf_correct;/* scores < 0.05 or > 0.95; of them right */
    size_t band_n[REL_N_BANDS], band_correct[REL_N_BANDS];
    recon_stats st;            /* lp only */
    double seconds;
    double *score;             /* (n) the attack's score of each record */
    int *bit;                  /* (n) each record's true bit */
    size_t *row;               /* (n) row of each record in its table (training or control) */
} rel_part;

typedef struct rel_bit {
    int col;                   /* secret column */
    int32_t code;              /* the bit is "column == code" */
    int majority_bit;          /* the training records' more common bit */
    double baseline;           /* its share among the training records */
    rel_part part[RECON_N_ATT][2]; /* [attack][0 = training, 1 = control] */
} rel_bit;

/* Singling out, one mode. */
typedef struct rel_so {
    size_t requested;          /* predicates asked for (the denominator, as in Anonymeter) */
    size_t generated;          /* predicates found that single out one synthetic record */
    size_t attempts;           /* predicates tried (multivariate) */
    size_t slice, slices_train, slices_control; /* slice size and counts */
    double hits_train, hits_control, hits_baseline; /* successes summed over slices */
    size_t n_queries;          /* = generated */
    char **query;              /* (n_queries) each predicate as text, e.g. "wage >= 2500 & region == 'west'" */
    uint32_t *q_train;         /* (n_queries) training slices it singles out in */
    uint32_t *q_control;       /* (n_queries) control slices it singles out in */
} rel_so;

typedef struct rel_link {
    size_t n_a, n_b;
    int *a, *b;                /* the column sets */
    size_t hits_train, hits_control, hits_baseline;
} rel_link;

typedef struct rel_dcr {
    int ran;
    size_t n, h;
    double auc, auc_sd;        /* real vs control, score = −distance; sd of the AUC without a leak */
    double tpr[3];             /* at FPR 0.1, 0.01, 0.001 */
    double beyond;             /* share of training records closer than every control record */
    double exact_real, exact_hold; /* shares at distance 0 */
    double med_real, med_hold; /* lower medians */
    double threshold;          /* chosen on the calibration halves: member when distance <= threshold */
    size_t cal_n, cal_h, test_n, test_h, tp, fp;
    double *d_real, *d_hold;   /* (n), (h) */
} rel_dcr;

typedef struct rel_result {
    size_t n, m, h;            /* training, synthetic and control records (h = 0: no control) */
    size_t n_qi;
    int *qi;                   /* (n_qi) */
    size_t n_secrets;
    int *secret_cols;          /* (n_secrets) */
    size_t n_bits;
    rel_bit *bits;             /* (n_bits) */
    size_t n_attacks;
    rel_attack *attacks;       /* (n_attacks), in the order singling out, linkability, inference, membership */
    rel_so so[2];              /* [0 univariate, 1 multivariate] */
    rel_link link;
    rel_dcr dcr;
    int flagged;               /* some chosen attack is flagged */
    double seconds;            /* wall time of rel_audit */
} rel_result;

/* Runs the audit. train and synth are required (same schema, n, m ≥ 1);
 * control may be NULL. On success *out is the result (free with
 * rel_result_free); on error *out is NULL: PA_EINPUT (schemas differ, no
 * secret or QI, a numeric or single-valued secret, bad options), PA_ENOMEM.
 * An attack that fails (an LP the solver cannot finish) does not fail the
 * audit: its part has ran = 0 and a message. */
int rel_audit(const table *train, const table *synth, const table *control, const rel_opts *o, rel_result **out,
              pa_err *err);

/* Frees r; accepts NULL. */
void rel_result_free(rel_result *r);

/* The chosen attack of `risk` ("singling_out", "linkability", "membership"),
 * or of "inference" for secret index `secret`; NULL if none. */
const rel_attack *rel_chosen(const rel_result *r, const char *risk, int secret);

#endif
