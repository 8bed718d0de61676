/* sig.c — interruption: a self-pipe from the signal handler to a watcher
 * thread, which does the clean-up that a handler may not (see sig.h). */
#include "harness/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "generators/external.h"

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t sig_seen;
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int watcher_done;

static void on_signal(int sig)
{
    if (sig_seen) { /* a second signal: stop now */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    sig_seen = sig;
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t w = write(sig_pipe[1], &b, 1);
    (void)w;
    errno = saved;
}

static void *watcher(void *arg)
{
    unsigned char b;
    ssize_t got;
    do
        got = read(sig_pipe[0], &b, 1);
    while (got < 0 && errno == EINTR);
    if (got != 1)
        return NULL;
    int sig = b;
    fprintf(stderr, "\nprivaudit: %s: stopping the external programs and removing their temporary folders\n",
            strsignal(sig));
    gen_external_abort();
    pthread_mutex_lock(&done_mu);
    watcher_done = 1;
    pthread_cond_broadcast(&done_cv);
    pthread_mutex_unlock(&done_mu);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return NULL;
}

void sig_guard_install(void)
{
    if (pipe(sig_pipe) != 0)
        return;
    fcntl(sig_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(sig_pipe[1], F_SETFD, FD_CLOEXEC);
    pthread_t th;
    if (pthread_create(&th, NULL, watcher, NULL) != 0)
        return;
    pthread_detach(th);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        struct sigaction old;
        /* a signal ignored by whoever started us (nohup) stays ignored */
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[k], &sa, NULL);
    }
}

int sig_guard_finish(int rc)
{
    int sig = sig_seen;
    if (!sig)
        return rc;
    /* interrupted while the command was ending: let the clean-up finish, then
     * end by the signal as the watcher would */
    pthread_mutex_lock(&done_mu);
    while (!watcher_done)
        pthread_cond_wait(&done_cv, &done_mu);
    pthread_mutex_unlock(&done_mu);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return rc;
}
