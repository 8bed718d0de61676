/* main.c — the privaudit command line: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "core/blas.h"
#include "core/util.h"
#include "core/version.h"
#include "harness/cli.h"
#include "harness/sig.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "play the membership game of a config and store it in SQLite"},
    {"report", cmd_report, "draw figures and report.md from a run's database"},
    {"epsilon", cmd_epsilon, "empirical epsilon from attack counts or scores (every estimator)"},
    {"export-scores", cmd_export_scores, "a run's stored scores of one cell and attack as CSV, for epsilon --scores"},
    {"account", cmd_account, "theoretical epsilon of DP-SGD (RDP, PRV, GDP), or sigma for a target"},
    {"gen", cmd_gen, "fit a generator on a CSV and write a synthetic CSV"},
    {"utility", cmd_utility, "utility of a synthetic CSV against the real one (TVD, correlations, TSTR)"},
    {"audit", cmd_audit, "audit a synthetic data set before release: attribute inference, membership, report"},
    {"gradinv", cmd_gradinv, "gradient inversion of one DP-SGD / plain step: reconstruct batches, score them"},
    {"whitebox", cmd_whitebox, "white-box DP-SGD audit with canaries: all updates or final model, planted bugs"},
    {"data", cmd_data, "import R .rda data frames; draft a schema from a CSV"},
    {"recon", cmd_recon, "linear-reconstruction attribute inference game (Annamalai et al. 2024)"},
    {"merge", cmd_merge, "merge the shard databases of run --shard I/N into one run's database"},
    {"slurm", cmd_slurm, "write a SLURM job-array script that runs a config's shards and merges them"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "privaudit %s — privacy attacks and audits of synthetic data and DP training\n\n"
            "usage: privaudit COMMAND [options]   (privaudit COMMAND --help for its options)\n\n"
            "commands:\n",
            pa_version());
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        fprintf(f, "  %-13s %s\n", commands[k].name, commands[k].summary);
    fprintf(f, "\nexit codes: 0 success, 1 failure, 2 bad usage or bad input\n");
}

int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* OpenBLAS's fast kernels where a hypervisor hides the CPU model (core/blas.h) */
    util_malloc_keep();          /* trials reuse their multi-MB buffers (core/util.h) */
    gsl_set_error_handler_off(); /* GSL failures become statuses, never aborts */
    sig_guard_install();         /* SIGINT/SIGTERM: stop external programs, remove their records */
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("privaudit %s\nBLAS kernels: OpenBLAS %s\n", pa_version(), pa_blas_corename());
        return 0;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(argv[1], commands[k].name))
            return sig_guard_finish(commands[k].fn(argc - 1, argv + 1));
    fprintf(stderr, "privaudit: unknown command \"%s\" (see privaudit --help)\n", argv[1]);
    return 2;
}
