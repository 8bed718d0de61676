/* blas.h — BLAS thread count chosen by problem size.
 *
 * OpenBLAS splits every GEMM over its thread pool. On a small GEMM (the
 * 256-row products of an MLP step) the split and the wake-up cost more than
 * the second core gives back, and on a shared machine a second thread may
 * wait for a busy core. pa_blas_threads_for(work) is called before each GEMM
 * with its multiply-add count M·N·K: below a threshold it runs single-
 * threaded, above it with the cap (the count OpenBLAS started with, or what
 * pa_blas_cap set). openblas_set_num_threads is called only when the count
 * changes. The state is atomic; concurrent callers with a cap above 1 would
 * still fight over OpenBLAS's global count, so harness/pool.c sets the cap
 * to 1 when it runs jobs in parallel (then nothing is ever set).
 */
#ifndef PA_BLAS_H
#define PA_BLAS_H

/* Sets the BLAS thread count for a GEMM of `work` multiply-adds. */
void pa_blas_threads_for(double work);

/* Caps the thread count (>= 1); 0 restores OpenBLAS's starting count. */
void pa_blas_cap(int threads);

/* The multiply-add count from which GEMMs use more than one thread
 * (default 3.2e7, about a 320³ product: the 256-row GEMMs of the benchmark MLP run single-threaded, the conv layers of bench_net on both cores). Values <= 0 restore it. */
void pa_blas_set_threshold(double work);
double pa_blas_threshold(void);

/* The cap: how many cores BLAS may use (1 when harness/pool.c runs jobs in
 * parallel). Other helpers (dpsgd_noise_prepare) use a second thread only if
 * this is > 1. */
int pa_blas_max(void);

/* 1 if a helper thread may be worth starting: pa_blas_max() > 1 and the
 * 1-minute load average is below (online cores − 0.5), re-read at most once
 * a second. On a machine shared with other jobs a helper thread waits for a
 * busy core and its join costs more than the work it takes over. */
int pa_idle_core(void);

/* The thread count of the last pa_blas_threads_for. */
int pa_blas_current(void);

#endif
