/* version.h — the code version baked in at build time (git describe). */
#ifndef PA_VERSION_H
#define PA_VERSION_H

/* "git describe --always --dirty" of the build, or "unknown". */
const char *pa_version(void);

#endif
