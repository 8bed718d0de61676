/* cli.h — the privaudit subcommands. Each takes the arguments after
 * "privaudit" (argv[0] is the subcommand's name) and returns the process exit
 * code: 0 on success, 2 on bad usage or bad input (message on stderr), 1 on
 * other failures. `--help` prints usage on stdout and returns 0. */
#ifndef PA_CLI_H
#define PA_CLI_H

int cmd_run(int argc, char **argv);      /* harness/cmd_run.c */
int cmd_report(int argc, char **argv);   /* reports/ via harness/cmd_report.c */
int cmd_data(int argc, char **argv);     /* harness/cmd_data.c */
int cmd_epsilon(int argc, char **argv);  /* harness/cmd_epsilon.c */
int cmd_epsilon_scores(int argc, char **argv); /* harness/cmd_scores.c: epsilon --scores */
int cmd_export_scores(int argc, char **argv);  /* harness/cmd_scores.c */
int cmd_account(int argc, char **argv);  /* harness/cmd_account.c */
int cmd_gen(int argc, char **argv);      /* harness/cmd_gen.c */
int cmd_utility(int argc, char **argv);  /* harness/cmd_gen.c */
int cmd_recon(int argc, char **argv);    /* harness/cmd_recon.c */
int cmd_audit(int argc, char **argv);    /* harness/cmd_audit.c */
int cmd_gradinv(int argc, char **argv);  /* harness/cmd_gradinv.c */
int cmd_whitebox(int argc, char **argv); /* harness/cmd_whitebox.c */
int cmd_merge(int argc, char **argv);    /* harness/cmd_merge.c */
int cmd_slurm(int argc, char **argv);    /* harness/cmd_slurm.c */

#endif
