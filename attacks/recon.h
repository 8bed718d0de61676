/* recon.h — linear-reconstruction attribute inference against synthetic data
 * (Annamalai, Gadotti, Rocher, "A Linear Reconstruction Approach for
 * Attribute Inference Attacks against Synthetic Data", USENIX Security 2024;
 * REFERENCES.md), two comparators, and the paper's game.
 *
 * n = real records (the attacker knows all their quasi-identifiers),
 * m = synthetic records, q = queries (LP rows), d = columns,
 * k = query order counted WITH the secret: a k-way query is k-1
 * quasi-identifier equalities plus "secret = 1".
 *
 * The secret is a binary bit s_j = [real secret column of record j == code].
 * For a binary column code = 1; for a categorical secret with more codes the
 * bit is "secret = code" for the chosen code (docs/recon.md).
 * Quasi-identifier equality: COL_CAT columns compare codes; COL_NUM columns
 * compare bins of util_col_bin (audit/utility.h) with opts.bins bins over the
 * schema bounds (default RECON_DEFAULT_BINS).
 *
 * Query i is a (k-1)-subset of QI columns with a value tuple taken from a real
 * record (so it matches at least one real record). A[i][j] = 1 if real record
 * j matches query i's QI part; b[i] is the synthetic answer:
 *   RECON_SCALE_GLOBAL: b_i = (n/m) · #{synthetic rows matching QI part and bit = 1}
 *   RECON_SCALE_COND:   b_i = (#synth QI&bit=1 / #synth QI) · #{real matching QI part}
 *                       when #synth QI > 0, else the global value (= 0).
 * The attack solves   min Σ_i e_i  s.t.  -e_i ≤ (A x − b)_i ≤ e_i, 0 ≤ x ≤ 1, e ≥ 0
 * (in the split form of recon.c), and x_j is record j's score; x_j > ½ is the
 * reconstructed bit. By default (opts.aggregate) records whose columns of A are
 * equal — the same matches in every query, so interchangeable in the LP — are
 * one variable y_g ∈ [0, n_g] (n_g records), and each of them scores y_g / n_g:
 * an optimum of the same objective, symmetric within the group (docs/recon.md).
 * Solvers: COIN-OR Clp's dual simplex (default) or GLPK's dual or primal
 * simplex or interior point.
 *
 * All functions are deterministic functions of their arguments (random
 * queries and games draw from rng_stream(seed, ...), core/rng.h).
 * Thread safety: recon_attack may run concurrently in several threads (each
 * call builds and frees its own Clp model or GLPK problem; GLPK keeps
 * per-thread environments).
 */
#ifndef PA_RECON_H
#define PA_RECON_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/table.h"
#include "generators/gen.h"

#define RECON_DEFAULT_BINS 10
#define RECON_MAX_K 6

typedef enum recon_scaling {
    RECON_SCALE_GLOBAL = 0,  /* b = synthetic count × n/m (the paper's) */
    RECON_SCALE_COND = 1     /* b = synthetic conditional rate × real QI count */
} recon_scaling;

typedef enum recon_solver {
    RECON_SIMPLEX = 0,       /* GLPK glp_simplex, dual (primal if it fails), presolve on */
    RECON_INTERIOR = 1,      /* GLPK glp_interior (slower; may fail with GLP_EINSTAB on these LPs) */
    RECON_PRIMAL = 2,        /* GLPK glp_simplex, primal, presolve on */
    RECON_CLP = 3            /* COIN-OR Clp, dual simplex with presolve (default: fastest measured,
                              * docs/recon.md) */
} recon_solver;

typedef struct recon_opts {
    int k_min, k_max;        /* all queries of orders k_min..k_max (2 ≤ k_min ≤ k_max ≤ RECON_MAX_K,
                              * or k_max = 0 for none); default 2..3 */
    int k_rand;              /* order of the random queries; default 4 */
    size_t budget_rand;      /* number of random k_rand-way queries (distinct; at most 20 × budget draws,
                              * so fewer when the space is small; ignored when Q > 64), default 0 */
    size_t bins;             /* bins per numeric QI; 0 = RECON_DEFAULT_BINS */
    int scaling;             /* recon_scaling; default RECON_SCALE_GLOBAL */
    int solver;              /* recon_solver; default RECON_CLP */
    int aggregate;           /* 1 (default): one LP variable per group of records with equal columns of A;
                              * 0: one per record (the paper's LP; a vertex optimum may then split a
                              * group's records between 0 and 1 arbitrarily) */
    uint64_t seed;           /* stream for the random queries (rng_stream(seed, 0)) */
    const int *qi;           /* QI column indices into the real table, or NULL = every column with
                              * ROLE_QI in real->s (the secret column is never a QI) */
    size_t n_qi;             /* length of qi (ignored when qi is NULL) */
    double tol;              /* reserved; 0 */
} recon_opts;

/* Defaults listed above (k 2..3, no random queries, 10 bins, global scaling,
 * Clp, aggregated, seed 0, ROLE_QI columns). o must not be NULL. */
void recon_opts_default(recon_opts *o);

typedef struct recon_stats {
    size_t queries;          /* q: LP rows after dropping duplicates */
    size_t nonzeros;         /* non-zeros of A (one per record and query it matches) */
    size_t columns;          /* LP variables for x: n, or the number of record groups when aggregated */
    double objective;        /* optimal Σ e_i = ‖A x − b‖₁ as the solver reports it, clipped at 0
                              * (a solver's tolerance can make it −1e-13) */
    double seconds;          /* wall time of the solve only */
    double build_seconds;    /* wall time to build the queries and the LP (and the groups) */
    int glpk_status;         /* GLPK: glp_get_status / glp_ipt_status; Clp: 5 (= GLP_OPT) when it proves
                              * optimality, else 100 + Clp_status. 5 on success whichever the solver */
    int glpk_ret;            /* GLPK: return code of glp_simplex / glp_interior; Clp: its secondary
                              * status (0 on success) */
} recon_stats;

/* The linear-reconstruction attack. `real` holds the attacker's knowledge:
 * the QI columns of the n real records (its secret column, if any, is not
 * read). `synth` has the same schema and m ≥ 1 rows. secret_col is the index
 * of the secret column (COL_CAT), secret_code the code whose indicator is the
 * bit (1 for a binary secret). On success x (n) holds the LP solution in
 * [0, 1] and *st (if not NULL) the statistics. Errors: PA_EINPUT (schemas
 * differ, bad column/code/options, no QI, n or m = 0), PA_ENOMEM,
 * PA_EINTERNAL (the solver did not reach an optimum; st->glpk_* tell why). */
int recon_attack(const table *real, const table *synth, int secret_col, int32_t secret_code,
                 const recon_opts *o, double *x, recon_stats *st, pa_err *err);

/* Writes the attack's LP (same arguments as recon_attack) without solving it:
 * fmt "lp" (CPLEX LP, glp_write_lp), "mps" (free MPS, glp_write_mps),
 * "triplets" (text: "n q nnz", then nnz lines "i j 1" (0-based rows of A,
 * columns = records), then q lines with b_i; doubles %.17g). Variables are
 * x_1..x_n then e_1..e_q; the objective is min Σ e. These three write the
 * per-record LP (opts.aggregate is ignored). fmt "groups" writes the LP the
 * default solve uses: the triplet format over the record groups (column j =
 * group j), then one line per group with its size n_g (the bound of y_g).
 * *st (if not NULL) gets queries/nonzeros/columns/build_seconds. */
int recon_write_lp(const table *real, const table *synth, int secret_col, int32_t secret_code,
                   const recon_opts *o, const char *path, const char *fmt, recon_stats *st,
                   pa_err *err);

/* Comparator (a): L2-regularised logistic regression (penalty ‖w‖²/2 over
 * the mean log-loss scaled like scikit-learn's C = 1; intercept free) trained
 * on the synthetic rows, features = one-hot of the binned QIs, label = the
 * secret bit; applied to the real QIs. score (n) = P(bit = 1). Solved by
 * Newton's method (BLAS products, Cholesky). A synthetic table with a single
 * class gives that class's rate (0 or 1) for every record. */
int recon_classifier(const table *real, const table *synth, int secret_col, int32_t secret_code,
                     const recon_opts *o, double *score, pa_err *err);

/* Comparator (b): nearest-synthetic-record completion. For each real record
 * the synthetic rows at the smallest Hamming distance on the binned QIs are
 * found; score (n) = share of those tied rows whose bit is 1 (so the
 * prediction score > ½ is the majority among ties; an exact ½ predicts 0). */
int recon_nearest(const table *real, const table *synth, int secret_col, int32_t secret_code,
                  const recon_opts *o, double *score, pa_err *err);

/* ---- the game (Annamalai et al. §5) ---- */

enum { RECON_ATT_LP = 0, RECON_ATT_CLF = 1, RECON_ATT_NN = 2, RECON_N_ATT = 3 };

/* Name of attack a ("lp", "classifier", "nearest"), or "?". */
const char *recon_att_name(int a);

typedef struct recon_game_rec {
    size_t game;             /* game index g (stream rng_stream(seed, g)) */
    size_t target;           /* row of the target within the n sampled records */
    int target_bit;          /* the target's redrawn secret bit */
    int target_correct[RECON_N_ATT];  /* 1 if attack a guessed the target's bit */
    double target_score[RECON_N_ATT]; /* attack a's score of the target */
    double acc_all[RECON_N_ATT];      /* accuracy over all n records */
    double majority;         /* share of the majority bit among the n real records (all-records baseline) */
    double tvd3;             /* mean 3-way TVD of the synthetic set vs the n training records over
                              * all columns of pop (util_tvd, all subsets, opts.bins); NAN if not
                              * computed or d < 3 (project pop to QI + secret to restrict it) */
    recon_stats lp;          /* statistics of the LP solve */
    double gen_seconds;      /* wall time of fit + sample */
} recon_game_rec;

typedef struct recon_game_cfg {
    const char *generator;   /* gen_find name */
    const gen_config *gc;    /* ε, δ, generator parameters (required) */
    size_t n;                /* records per game (sampled without replacement from pop) */
    size_t m;                /* synthetic rows released */
    int secret_col;          /* secret column of pop */
    int32_t secret_code;     /* its "1" code */
    int attacks;             /* bit mask of (1 << RECON_ATT_*) to run; 0 = all */
    int want_tvd;            /* 1: fill rec->tvd3 */
    uint64_t seed;           /* experiment seed */
} recon_game_cfg;

/* Plays game g: samples n records of pop without replacement with
 * rng_stream(cfg->seed, g), picks uniformly a target among those whose binned
 * QI tuple is unique in the sample (PA_EINPUT if none is), redraws its secret
 * bit (½/½; bit 0 of a non-binary secret becomes a uniform code ≠ secret_code),
 * fits cfg->generator on the n records, samples m rows, runs the attacks, and
 * fills *out. Thread safe for distinct out. */
int recon_game_play(const table *pop, const recon_game_cfg *cfg, const recon_opts *o, size_t g,
                    recon_game_rec *out, pa_err *err);

typedef struct recon_summary {
    size_t games;
    size_t target_hits[RECON_N_ATT];  /* games where attack a guessed the target */
    double target_acc[RECON_N_ATT];   /* hits / games */
    double target_lo[RECON_N_ATT], target_hi[RECON_N_ATT]; /* 95% Clopper–Pearson interval */
    double acc_all_mean[RECON_N_ATT]; /* mean all-records accuracy */
    double acc_all_sd[RECON_N_ATT];   /* its standard deviation over games */
    double majority_mean;    /* mean majority-class baseline */
    double tvd3_mean;        /* mean 3-way TVD (NAN if not computed) */
    double lp_seconds_mean;  /* mean LP solve time */
} recon_summary;

/* Summary of `games` records (95% Clopper–Pearson intervals via GSL's beta
 * quantiles). Records with a NAN field are skipped for that field's mean. */
void recon_summarise(const recon_game_rec *recs, size_t games, recon_summary *out);

/* Exact (Clopper–Pearson) two-sided interval of level 1 − alpha for k
 * successes in n trials; n = 0 gives [0, 1]. */
void recon_binom_ci(size_t k, size_t n, double alpha, double *lo, double *hi);

/* Plays games 0..games-1 serially (recon_game_play) and summarises.
 * recs (games) receives each game when not NULL. */
int recon_game(const table *pop, const recon_game_cfg *cfg, const recon_opts *o, size_t games,
               recon_game_rec *recs, recon_summary *out, pa_err *err);

#endif
