/* pool.h — the one way harness code runs work on --jobs threads. */
#ifndef PA_POOL_H
#define PA_POOL_H

/* Calls fn(arg) on `jobs` threads, the calling one included (fewer if
 * threads cannot be started; jobs < 1 counts as 1), and returns when every
 * call has returned. fn shares arg between the threads: it typically takes
 * work items from an atomic counter in it. */
void pool_run(int jobs, void *(*fn)(void *), void *arg);

#endif
