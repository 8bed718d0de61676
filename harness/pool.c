/* pool.c — see pool.h. */
#include "harness/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/blas.h"

/* OpenBLAS's own API (declared in its cblas.h, which clashes with GSL's) */
void openblas_set_num_threads(int num_threads);

void pool_serial_blas(void)
{
    openblas_set_num_threads(1);
    pa_blas_cap(1);
}

void pool_run(int jobs, void *(*fn)(void *), void *arg)
{
    if (jobs < 1)
        jobs = 1;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    int started = 0;
    for (int j = 1; th && j < jobs; j++)
        if (pthread_create(&th[j], NULL, fn, arg) == 0)
            started = j;
        else
            break;
    fn(arg);
    for (int j = 1; j <= started; j++)
        pthread_join(th[j], NULL);
    free(th);
}
