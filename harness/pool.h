/* pool.h — the one way harness code runs work on --jobs threads. */
#ifndef PA_POOL_H
#define PA_POOL_H

/* Calls fn(arg) on `jobs` threads, the calling one included (fewer if
 * threads cannot be started; jobs < 1 counts as 1), and returns when every
 * call has returned. fn shares arg between the threads: it typically takes
 * work items from an atomic counter in it. */
void pool_run(int jobs, void *(*fn)(void *), void *arg);

/* Makes OpenBLAS compute on the calling thread only. Work runs in parallel
 * over trials instead, and results must not depend on --jobs: OpenBLAS's
 * threaded kernels split sums in an order that depends on its thread
 * count (a shadow classifier trained with 1 job and with 2 jobs differed in
 * the last bits before this was called whatever the jobs). */
void pool_serial_blas(void);

#endif
