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

#include <stddef.h>

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

/* OpenBLAS (Debian's DYNAMIC_ARCH build) picks its kernels from the CPU's
 * model number. A hypervisor that hides it (lscpu: "Intel(R) Xeon(R)
 * Processor") gets the generic Prescott (SSE3) kernels: 1-thread sgemm 10
 * GFLOP/s against 44 with the SkylakeX kernels on the same AVX-512 machine
 * (1024³, measured 2026-12-02). OPENBLAS_CORETYPE picks them instead, but
 * only before the library initialises (at load time), so: when OpenBLAS
 * reports a generic core, OPENBLAS_CORETYPE is unset and the CPU (cpuid,
 * with the OS's AVX state) has AVX-512 F/BW/DQ/VL (-> SkylakeX) or AVX2 + FMA
 * (-> Haswell), the process sets it and re-executes itself (execv of
 * /proc/self/exe with the same argv; same PID). Call first in main, before
 * any thread or file. Returns only when nothing was to be done or the
 * re-exec failed (then with the generic kernels, OPENBLAS_CORETYPE unset).
 * PRIVAUDIT_BLAS_KEEP=1 turns it off. */
void pa_blas_select_kernels(char **argv);

/* Runs fn(ctx, k) for k = 0..n−1 on the calling thread and, if the cap
 * (pa_blas_max) is above 1, one helper thread: each takes the next k as it
 * finishes the last (on a shared machine the helper's core may be half
 * busy, and a static split, as OpenBLAS's own threading does, would wait for
 * it). fn must be safe to run concurrently for different k. BLAS calls in fn
 * run single-threaded (the count is set to 1 for the duration and then
 * restored). Serially, in order, when the cap is 1, n < 2, the helper
 * cannot be started, or another pa_par_for is running. Returns when all n
 * are done. */
void pa_par_for(size_t n, void (*fn)(void *ctx, size_t k), void *ctx);

/* OpenBLAS's name of the kernels in use (e.g. "SkylakeX", "Prescott"). */
const char *pa_blas_corename(void);

#endif
