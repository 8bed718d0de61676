/* gradinv_store.h — gradient-inversion results in a run's SQLite database
 * (docs/gradinv.md lists the columns). Tables, created if missing:
 *   gradinv_cell  (id, tag, data, attack, act, hidden, batch, sigma, clip,
 *                  q, steps, epochs, delta, eps, image_h, image_w)
 *   gradinv_score (cell_id, batch_idx, rec, method, true_row, label_true,
 *                  label_rec, mse, psnr, ssim, exact, attr_acc, label_acc,
 *                  seconds)           method = the attack, "guess-mean" or
 *                                     "guess-gray" (data-independent baselines)
 *   gradinv_image (cell_id, batch_idx, rec, kind, values)  kind "orig" or
 *                  "recon"; values = the d inputs in [0,1], space-separated %.17g
 * Prepared statements with bound parameters only. Functions return PA_OK or
 * PA_EIO with err naming the statement and SQLite's message. Not thread-safe:
 * one writer (the CLI's main thread). */
#ifndef PA_GRADINV_STORE_H
#define PA_GRADINV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Creates the three tables (IF NOT EXISTS) in db (a sqlite3 *). */
int gistore_init(void *db, pa_err *err);

typedef struct gistore_cell {
    const char *tag, *data, *attack, *act;
    size_t hidden, batch;
    double sigma, clip, q;     /* clip = INFINITY: no clipping (stored as NULL) */
    size_t steps;
    double epochs, delta, eps; /* eps = INFINITY when sigma = 0 (stored as NULL) */
    size_t image_h, image_w;   /* 0, 0 for tables */
} gistore_cell;

/* Inserts a cell; *id receives its rowid. */
int gistore_put_cell(void *db, const gistore_cell *c, int64_t *id, pa_err *err);

typedef struct gistore_score {
    int64_t cell_id;
    size_t batch_idx, rec;
    const char *method;
    int64_t true_row;
    int label_true, label_rec;
    double mse, psnr, ssim;    /* psnr = INFINITY stored as NULL with mse = 0; NAN -> NULL */
    double exact, attr_acc, label_acc, seconds;
} gistore_score;

int gistore_put_score(void *db, const gistore_score *s, pa_err *err);

/* One stored vector x (d). */
int gistore_put_image(void *db, int64_t cell_id, size_t batch_idx, size_t rec, const char *kind,
                      const double *x, size_t d, pa_err *err);

/* BEGIN / COMMIT around a batch of puts. */
int gistore_begin(void *db, pa_err *err);
int gistore_commit(void *db, pa_err *err);

#endif
