/* netd.c — the double-precision engine of core/net.h (the reference for the
 * double-backprop check); the body is core/net_impl.h. */
#include "core/net.h"

#define R double
#define NET netd
#define NS(name) netd_##name
#define GEMM cblas_dgemm
#define SYRK cblas_dsyrk
#define NET_WINO_DEFAULT 0   /* Winograd off by default: the double engine is the reference (net.h) */
#define GEMV cblas_dgemv
#include "core/net_impl.h"
