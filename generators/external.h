/* external.h — process-wide controls of the external generator
 * (generators/external.c): what the harness calls when privaudit is
 * interrupted, and the clean-up of folders a killed privaudit left behind. */
#ifndef PA_EXTERNAL_H
#define PA_EXTERNAL_H

#include <stddef.h>

/* Stops every external program running now: each one's reaper is told to
 * kill the program and everything it started (process group, setsid
 * children and orphans included), and this call waits (at most ~10 s) until
 * the sampling threads have removed their temporary folders, removing any
 * that remain itself. From then on no sample returns: the ones stopped and
 * any new one wait for the end of the process (the caller is about to end
 * it), so no interrupted sample is stored as a failed trial. Safe to call
 * from any thread, but not from a signal handler. */
void gen_external_abort(void);

/* Removes the temporary folders "privaudit-ext-PID-*" under $TMPDIR (else
 * /tmp) that belong to this user and to a privaudit process PID that no
 * longer exists (killed by SIGKILL, say): they hold real training records.
 * Folders of live processes are left alone. Returns the number removed. */
size_t gen_external_sweep(void);

#endif
