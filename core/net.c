/* net.c — the float engine of core/net.h (its body is core/net_impl.h), the
 * spec check shared with the double engine, and the naive reference kernels.
 * Dimensions as in net.h. */
#include "core/net.h"

#define R float
#define NET net
#define NS(name) net_##name
#define GEMM cblas_sgemm
#define SYRK cblas_ssyrk
#define NET_WINO_DEFAULT 1   /* Winograd on by default (net.h, X_set_winograd) */
#define GEMV cblas_sgemv
#include "core/net_impl.h"

int net_spec_check(const net_spec *spec, pa_err *err)
{
    if (!spec || spec->L < 1 || !spec->layer)
        return pa_errf(err, PA_EINPUT, "net: spec.L must be >= 1 and spec.layer (L layers) given");
    if (spec->H < 1 || spec->W < 1 || spec->C < 1)
        return pa_errf(err, PA_EINPUT, "net: input shape H = %zu, W = %zu, C = %zu, expected >= 1 each",
                       spec->H, spec->W, spec->C);
    size_t H = spec->H, W = spec->W, C = spec->C;
    for (size_t l = 0; l < spec->L; l++) {
        const net_layer_spec *s = &spec->layer[l];
        size_t st = s->stride ? s->stride : 1;
        switch (s->kind) {
        case NET_DENSE:
            if (s->out < 1)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (dense): out = 0, expected >= 1", l);
            H = W = 1, C = s->out;
            break;
        case NET_CONV:
        case NET_CONVT:
            if (s->out < 1 || s->k < 1)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (conv): out = %zu, k = %zu, expected >= 1",
                               l, s->out, s->k);
            if (s->pad >= s->k)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (conv): pad = %zu, expected < k = %zu", l,
                               s->pad, s->k);
            if (s->kind == NET_CONV) {
                if (H + 2 * s->pad < s->k || W + 2 * s->pad < s->k)
                    return pa_errf(err, PA_EINPUT, "net: layer %zu (conv): kernel %zu larger than the "
                                   "padded input %zux%zu", l, s->k, H + 2 * s->pad, W + 2 * s->pad);
                H = (H + 2 * s->pad - s->k) / st + 1;
                W = (W + 2 * s->pad - s->k) / st + 1;
            } else {
                if (s->out_pad >= st)
                    return pa_errf(err, PA_EINPUT, "net: layer %zu (convT): out_pad = %zu, expected < "
                                   "stride = %zu", l, s->out_pad, st);
                if ((H - 1) * st + s->k + s->out_pad <= 2 * s->pad ||
                    (W - 1) * st + s->k + s->out_pad <= 2 * s->pad)
                    return pa_errf(err, PA_EINPUT, "net: layer %zu (convT): padding %zu leaves no output",
                                   l, s->pad);
                H = (H - 1) * st + s->k + s->out_pad - 2 * s->pad;
                W = (W - 1) * st + s->k + s->out_pad - 2 * s->pad;
            }
            C = s->out;
            break;
        case NET_AVGPOOL:
            if (s->k < 1 || s->k > H || s->k > W)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (avgpool): k = %zu, expected 1..%zu", l,
                               s->k, H < W ? H : W);
            H = (H - s->k) / st + 1;
            W = (W - s->k) / st + 1;
            break;
        case NET_GROUPNORM:
            if (s->groups < 1 || C % s->groups)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (groupnorm): groups = %zu, expected a "
                               "divisor of C = %zu", l, s->groups, C);
            if (H * W * (C / s->groups) < 2)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (groupnorm): a group of one value", l);
            break;
        case NET_ACT:
            if (s->act != NET_IDENTITY && s->act != NET_RELU && s->act != NET_LRELU &&
                s->act != NET_TANH && s->act != NET_SIGMOID)
                return pa_errf(err, PA_EINPUT, "net: layer %zu (act): act = %d, expected a net_act", l,
                               (int)s->act);
            if (s->act == NET_LRELU && !(s->slope > 0 && s->slope < 1))
                return pa_errf(err, PA_EINPUT, "net: layer %zu (lrelu): slope = %g, expected in (0, 1)",
                               l, s->slope);
            break;
        case NET_FLATTEN:
            C = H * W * C, H = W = 1;
            break;
        default:
            return pa_errf(err, PA_EINPUT, "net: layer %zu: kind = %d, expected a net_kind", l,
                           (int)s->kind);
        }
    }
    return PA_OK;
}

void net_conv_naive(double *Y, const double *X, const double *W, const double *b, size_t B,
                    size_t H, size_t Wd, size_t Cin, size_t Cout, size_t k, size_t s, size_t pad)
{
    size_t Ho = (H + 2 * pad - k) / s + 1, Wo = (Wd + 2 * pad - k) / s + 1;
    for (size_t i = 0; i < B; i++)
        for (size_t oy = 0; oy < Ho; oy++)
            for (size_t ox = 0; ox < Wo; ox++)
                for (size_t o = 0; o < Cout; o++) {
                    double acc = b[o];
                    for (size_t ky = 0; ky < k; ky++)
                        for (size_t kx = 0; kx < k; kx++) {
                            long iy = (long)(oy * s + ky) - (long)pad, ix = (long)(ox * s + kx) - (long)pad;
                            if (iy < 0 || ix < 0 || iy >= (long)H || ix >= (long)Wd)
                                continue;
                            for (size_t c = 0; c < Cin; c++)
                                acc += W[((o * k + ky) * k + kx) * Cin + c] *
                                       X[((i * H + (size_t)iy) * Wd + (size_t)ix) * Cin + c];
                        }
                    Y[((i * Ho + oy) * Wo + ox) * Cout + o] = acc;
                }
}

void net_convt_naive(double *Y, const double *X, const double *W, const double *b, size_t B,
                     size_t H, size_t Wd, size_t Cin, size_t Cout, size_t k, size_t s, size_t pad,
                     size_t out_pad)
{
    size_t Ho = (H - 1) * s + k + out_pad - 2 * pad, Wo = (Wd - 1) * s + k + out_pad - 2 * pad;
    for (size_t i = 0; i < B; i++)
        for (size_t t = 0; t < Ho * Wo; t++)
            for (size_t o = 0; o < Cout; o++)
                Y[(i * Ho * Wo + t) * Cout + o] = b[o];
    for (size_t i = 0; i < B; i++)
        for (size_t iy = 0; iy < H; iy++)
            for (size_t ix = 0; ix < Wd; ix++)
                for (size_t ky = 0; ky < k; ky++)
                    for (size_t kx = 0; kx < k; kx++) {
                        long oy = (long)(iy * s + ky) - (long)pad, ox = (long)(ix * s + kx) - (long)pad;
                        if (oy < 0 || ox < 0 || oy >= (long)Ho || ox >= (long)Wo)
                            continue;
                        for (size_t c = 0; c < Cin; c++) {
                            double x = X[((i * H + iy) * Wd + ix) * Cin + c];
                            for (size_t o = 0; o < Cout; o++)
                                Y[((i * Ho + (size_t)oy) * Wo + (size_t)ox) * Cout + o] +=
                                    x * W[((c * k + ky) * k + kx) * Cout + o];
                        }
                    }
}
