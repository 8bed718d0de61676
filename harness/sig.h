/* sig.h — what privaudit does when it is interrupted (SIGINT, SIGTERM, SIGHUP). */
#ifndef PA_SIG_H
#define PA_SIG_H

/* Installs handlers for SIGINT, SIGTERM and SIGHUP. On the first of them a
 * watcher thread stops every external generator program (and all it
 * started) and removes their temporary folders of training records
 * (gen_external_abort), says so on stderr, and ends privaudit by the same
 * signal, so the shell sees the usual status. A second signal ends it at
 * once. Call once, from main, before any other thread starts. Databases need
 * no clean-up: a trial is committed whole or not at all (--resume). */
void sig_guard_install(void);

/* The exit code rc of a command, unless a signal came: then waits for the
 * watcher's clean-up and ends the process by that signal. main returns
 * through it. */
int sig_guard_finish(int rc);

#endif
