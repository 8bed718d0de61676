/* bench_dcr_game.c — the membership game of bench/dcr-game.json (the
 * quickstart's: HealthInsurance, 3 cells × 1,000 games, one isolated target,
 * distance to the closest synthetic record, no per-trial utility) played by
 * privaudit (run_experiment, --jobs 1, into a fresh database) and by
 * bench/dcr_game_ref.py (numpy/scipy, the same steps; it stores nothing and
 * computes only the Clopper-Pearson bound, so the comparison favours it), in
 * the same run. Prints wall and CPU seconds of both and their ratios; the
 * goal (issue 16) is privaudit at least 3x faster. CPU time is the fairer
 * figure on a shared machine (both run on one thread).
 *
 * Usage (from the repository root, after make and make data):
 *   build/bench/bench_dcr_game [CONFIG [DATA.csv SCHEMA.json]]
 * Defaults: bench/dcr-game.json, build/data/healthinsurance.{csv,schema.json}.
 * Exit 1 if a step fails. This program prints; it is not library code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness/config.h"
#include "core/blas.h"
#include "harness/run.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_self(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_children(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* as privaudit: the fast kernels where a hypervisor hides the CPU (core/blas.h) */
    const char *cfg_path = argc > 1 ? argv[1] : "bench/dcr-game.json";
    const char *csv = argc > 3 ? argv[2] : "build/data/healthinsurance.csv";
    const char *sch = argc > 3 ? argv[3] : "build/data/healthinsurance.schema.json";
    if (access(csv, R_OK)) {
        printf("   skipped: %s not found (make data)\n", csv);
        return 0;
    }
    config *c = NULL;
    pa_err e = {0};
    if (config_read(cfg_path, NULL, &c, &e)) {
        fprintf(stderr, "bench_dcr_game: %s\n", e.msg);
        return 1;
    }
    char db[] = "/tmp/bench_dcr_game-XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0) {
        perror("bench_dcr_game: mkstemp");
        return 1;
    }
    close(fd);
    unlink(db);
    run_opts o = {.db_path = db, .jobs = 1, .resume = 0, .progress = 0};
    run_summary sum = {0};
    double w0 = wall(), c0 = cpu_self();
    int rc = run_experiment(c, &o, &sum, &e);
    double w1 = wall(), c1 = cpu_self();
    config_free(c);
    char side[4096];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    unlink(db);
    if (rc) {
        fprintf(stderr, "bench_dcr_game: %s\n", e.msg);
        return 1;
    }
    printf("   privaudit run_experiment (jobs 1): %zu trials, %.3f s wall, %.3f s CPU\n", sum.ran, w1 - w0, c1 - c0);
    char cmd[2048], line[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/dcr_game_ref.py %s %s 1000", csv, sch);
    double pc0 = cpu_children(), pw0 = wall(), secs = -1;
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p)) {
        double s;
        if (sscanf(line, "games %*d trials %*d seconds %lf", &s) == 1)
            secs = s;
        else
            printf("      numpy: %s", line);
    }
    if (!p || pclose(p) != 0 || secs < 0) {
        fprintf(stderr, "bench_dcr_game: `%s` failed\n", cmd);
        return 1;
    }
    double pw1 = wall(), pc1 = cpu_children();
    printf("   numpy/scipy (%s): %.3f s wall (%.3f s inside the script), %.3f s CPU\n", "bench/dcr_game_ref.py",
           pw1 - pw0, secs, pc1 - pc0);
    double rw = (pw1 - pw0) / (w1 - w0), rcpu = (pc1 - pc0) / (c1 - c0);
    printf("   privaudit faster by %.2fx (wall: %s) and %.2fx (CPU: %s); goal >= 3x\n", rw, rw >= 3 ? "met" : "missed",
           rcpu, rcpu >= 3 ? "met" : "missed");
    printf("   reproduce: make build/bench/bench_dcr_game && build/bench/bench_dcr_game\n");
    return 0;
}
