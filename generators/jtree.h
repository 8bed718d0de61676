/* jtree.h — discrete graphical models on a junction tree, fitted to noisy
 * marginal measurements by mirror descent (McKenna, Sheldon, Miklau, ICML
 * 2019, "Graphical-model based estimation and inference for differential
 * privacy", Algorithm 1; private-pgm's estimation.mirror_descent).
 *
 * d = attributes (at most 64: a clique is a bit mask of attributes),
 * c = cells of a clique, k = potential cliques, J = junction-tree cliques.
 *
 * A clique's table is row-major over its attributes in ascending index, the
 * lowest index slowest — the order pgm_count gives for ascending columns.
 *
 * The model is p(x) ∝ exp(Σ_k θ_k(x_k)) over the maximal measured cliques k;
 * its marginals come from exact belief propagation on a junction tree built
 * by greedy elimination (private-pgm's junction_tree.greedy_order) and a
 * maximum spanning tree of the triangulated graph's maximal cliques. The fit
 * minimises L(μ) = Σ_m ‖μ_m − y_m‖² / (2σ_m) over the marginal polytope
 * (private-pgm's loss, weight 1/(2σ)), with the Armijo step rule of
 * private-pgm (start 2/total; accepted: ×1.01, else ×0.5).
 */
#ifndef PA_JTREE_H
#define PA_JTREE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"

#define JT_MAX_ATTRS 64
#define JT_MAX_CELLS ((size_t)1 << 31) /* largest clique table held */

typedef uint64_t jt_clique; /* bit j set: attribute j is in the clique */

typedef struct jt_meas {
    jt_clique clique;  /* the marginal measured (non-empty) */
    const double *y;   /* (cells of clique) noisy counts; copied by jt_fit */
    double sigma;      /* noise standard deviation, > 0 (1 for exact counts) */
} jt_meas;

typedef struct jt_model jt_model;

/* Number of cells of clique cl (product of card over its attributes), or 0
 * when that exceeds `limit`. */
size_t jt_clique_cells(const size_t *card, jt_clique cl, size_t limit);

/* Total cells of the maximal cliques of the junction tree that cl[0..k-1]
 * triangulate to (attributes in no clique count once each), into *cells —
 * private-pgm's hypothetical_model_size times 2^20/8. PA_EINPUT when
 * d > JT_MAX_ATTRS. */
int jt_model_cells(const size_t *card, size_t d, const jt_clique *cl, size_t k, double *cells, pa_err *err);

/* Minimum-variance unbiased estimate of the record count from the
 * measurements' sums (each with variance σ²·cells), at least 1
 * (private-pgm's minimum_variance_unbiased_total). */
double jt_total_estimate(const size_t *card, const jt_meas *m, size_t nm);

/* Fits a model to the nm measurements m over attributes with cardinalities
 * card[0..d-1], with `iters` mirror-descent steps from the potentials of
 * `warm` (a model on a subset of the cliques; NULL: zero potentials), and
 * the total `total` (> 0). On success *out is new (jt_free); on error NULL.
 * PA_EINPUT on d > JT_MAX_ATTRS, an empty or out-of-range clique, a clique
 * table over JT_MAX_CELLS cells or σ ≤ 0. */
int jt_fit(const size_t *card, size_t d, const jt_meas *m, size_t nm, double total, const jt_model *warm,
           size_t iters, jt_model **out, pa_err *err);

/* The model's marginal over clique cl (non-empty) into out[0..cells-1],
 * summing to the model's total; exact (junction-tree elimination over the
 * smallest subtree that covers cl). PA_ENOMEM, or PA_EINPUT when the
 * intermediate table would exceed JT_MAX_CELLS. */
int jt_project(const jt_model *g, jt_clique cl, double *out, pa_err *err);

/* m records drawn independently from the model into x (d × m,
 * column-major: x[j*m + i]), by forward sampling on the junction tree. */
int jt_sample(const jt_model *g, size_t m, gsl_rng *r, int32_t *x, pa_err *err);

/* 1 if cl is inside one of the model's junction-tree cliques. */
int jt_covers(const jt_model *g, jt_clique cl);

/* The maximal measured cliques of the model, *k of them (borrowed). */
const jt_clique *jt_cliques(const jt_model *g, size_t *k);

/* The log-potential θ_k of potential clique k < *k of jt_cliques (its
 * cells in the clique's order; borrowed), for tests that recompute the
 * model's marginals by brute force. */
const double *jt_theta(const jt_model *g, size_t k);

/* Total cells of the model's junction-tree cliques. */
double jt_cells(const jt_model *g);

/* The loss L(μ) at the fitted model. */
double jt_loss(const jt_model *g);

/* Frees g; accepts NULL. */
void jt_free(jt_model *g);

#endif
