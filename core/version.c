#include "core/version.h"

#ifndef PA_VERSION
#define PA_VERSION "unknown"
#endif

const char *pa_version(void)
{
    return PA_VERSION;
}
