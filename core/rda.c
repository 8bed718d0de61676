/* rda.c — reader for R's saved data (see rda.h for the scope).
 *
 * n = records (data-frame rows), d = columns.
 *
 * The format is R's serialisation as documented in the comments and logic
 * of R's src/main/serialize.c (ReadItem, ReadBC, InStringVec) and the ALTREP
 * classes of src/main/altclasses.c; this is an independent implementation
 * written from that description. Every item starts with a 32-bit flags word:
 * bits 0-7 the type, bit 8 the object bit, bit 9 "has attributes", bit 10
 * "has tag", bits 12-31 the "levels" field (for a REFSXP, bits 8-31 hold the
 * reference index, 0 meaning "read it from the next word").
 *
 * The parser builds a small tree of every object (nodes chained in an arena
 * freed at once), so that back-references (REFSXP) to symbols and
 * environments resolve; vectors keep their payload, other objects keep only
 * their shape. Pairlist chains are read iteratively along the CDR, other
 * nesting recursively up to RDA_MAX_DEPTH.
 */
#include "core/rda.h"

#include <bzlib.h>
#include <limits.h>
#include <lzma.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/util.h"

#define RDA_MAX_DEPTH 2000
#define RDA_CODESET_MAX 63
#define RDA_MAX_CELLS ((size_t)1 << 28) /* n * d of one data frame */

/* R's SEXPTYPE codes and the serialisation's pseudo types. */
enum {
    NILSXP = 0, SYMSXP = 1, LISTSXP = 2, CLOSXP = 3, ENVSXP = 4, PROMSXP = 5, LANGSXP = 6,
    SPECIALSXP = 7, BUILTINSXP = 8, CHARSXP = 9, LGLSXP = 10, INTSXP = 13, REALSXP = 14,
    CPLXSXP = 15, STRSXP = 16, DOTSXP = 17, ANYSXP = 18, VECSXP = 19, EXPRSXP = 20,
    BCODESXP = 21, EXTPTRSXP = 22, WEAKREFSXP = 23, RAWSXP = 24, S4SXP = 25,
    ALTREP_SXP = 238, ATTRLISTSXP = 239, ATTRLANGSXP = 240, BASEENV_SXP = 241,
    EMPTYENV_SXP = 242, BCREPREF = 243, BCREPDEF = 244, GENERICREFSXP = 245,
    CLASSREFSXP = 246, PERSISTSXP = 247, PACKAGESXP = 248, NAMESPACESXP = 249,
    BASENAMESPACE_SXP = 250, MISSINGARG_SXP = 251, UNBOUNDVALUE_SXP = 252,
    GLOBALENV_SXP = 253, NILVALUE_SXP = 254, REFSXP = 255,
    UNKNOWN_ALTREP = 1000 /* an ALTREP class this reader does not expand */
};

#define NA_INT INT32_MIN

/* One parsed object. R_NilValue is the NULL pointer. */
typedef struct robj robj;
struct robj {
    int type;            /* SEXPTYPE (or a pseudo type for singletons) */
    int object;          /* R's object bit */
    size_t at;           /* offset of the item's flags word in the stream */
    robj *attr;          /* attribute pairlist, or NULL */
    robj *tag, *car, *cdr; /* pairlist-like nodes */
    size_t len;          /* vectors: length */
    int32_t *iv;         /* LGLSXP/INTSXP payload (len), or NULL if seq */
    double *rv;          /* REALSXP payload (len), or NULL if seq */
    robj **ev;           /* STRSXP/VECSXP/EXPRSXP elements (len) */
    int seq;             /* 1: compact sequence, value i = seq0 + i * seqby */
    double seq0, seqby;
    char *s;             /* CHARSXP bytes (NULL = NA_STRING); SYMSXP name; ALTREP class */
    robj *next;          /* arena chain */
};

typedef struct rd {
    const unsigned char *p; /* decompressed stream */
    size_t len, pos;
    const char *name;       /* file name for messages */
    pa_err *err;
    robj *all;              /* arena: every node */
    robj **refs;            /* reference table (1-based in the stream) */
    size_t nref, capref;
    int depth;
} rd;

static int rd_fail(rd *r, int code, size_t at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int rd_fail(rd *r, int code, size_t at, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pa_errf(r->err, code, "%s: byte %zu: %s", r->name, at, msg);
}

static robj *node_new(rd *r, int type, size_t at)
{
    robj *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->type = type;
    o->at = at;
    o->next = r->all;
    r->all = o;
    return o;
}

static void arena_free(robj *o)
{
    while (o) {
        robj *nx = o->next;
        free(o->iv);
        free(o->rv);
        free(o->ev);
        free(o->s);
        free(o);
        o = nx;
    }
}

static int rd_nomem(rd *r)
{
    return rd_fail(r, PA_ENOMEM, r->pos, "out of memory");
}

static int rd_int(rd *r, int32_t *v, const char *what)
{
    *v = 0;
    if (r->len - r->pos < 4)
        return rd_fail(r, PA_EINPUT, r->pos, "expected %s (4 bytes), the stream ends (truncated file)", what);
    const unsigned char *q = r->p + r->pos;
    *v = (int32_t)(((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3]);
    r->pos += 4;
    return PA_OK;
}

static double be_double(const unsigned char *q)
{
    uint64_t u = 0;
    for (int k = 0; k < 8; k++)
        u = (u << 8) | q[k];
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static int add_ref(rd *r, robj *o)
{
    if (r->nref == r->capref) {
        size_t cap = r->capref ? 2 * r->capref : 64;
        robj **nr = realloc(r->refs, cap * sizeof *nr);
        if (!nr)
            return rd_nomem(r);
        r->refs = nr;
        r->capref = cap;
    }
    r->refs[r->nref++] = o;
    return PA_OK;
}

/* Reads a vector length (R's ReadLENGTH: -1 announces a 64-bit length in two
 * words) and checks that `elsize` bytes per element remain in the stream. */
static int rd_length(rd *r, size_t elsize, size_t *out, const char *what)
{
    size_t at = r->pos;
    int32_t l = 0;
    int rc = rd_int(r, &l, "a vector length");
    if (rc)
        return rc;
    uint64_t n;
    if (l == -1) {
        int32_t hi, lo;
        if ((rc = rd_int(r, &hi, "the upper word of a long vector length")) ||
            (rc = rd_int(r, &lo, "the lower word of a long vector length")))
            return rc;
        n = ((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo;
    } else if (l < 0) {
        return rd_fail(r, PA_EINPUT, at, "expected a %s length >= 0, got %d", what, (int)l);
    } else {
        n = (uint64_t)l;
    }
    size_t remain = r->len - r->pos;
    if (elsize && n > remain / elsize)
        return rd_fail(r, PA_EINPUT, at,
                       "%s of length %llu needs at least %llu bytes but only %zu remain (corrupt or truncated file)",
                       what, (unsigned long long)n, (unsigned long long)n * elsize, remain);
    *out = (size_t)n;
    return PA_OK;
}

static int rd_item(rd *r, robj **out);
static int rd_item_flags(rd *r, int32_t flags, size_t at, robj **out);

static int is_pairlist_type(int t)
{
    return t == LISTSXP || t == LANGSXP || t == CLOSXP || t == PROMSXP || t == DOTSXP;
}

static int rd_item(rd *r, robj **out)
{
    *out = NULL;
    size_t at = r->pos;
    int32_t flags = 0;
    int rc = rd_int(r, &flags, "an item's flags word");
    if (rc)
        return rc;
    if (++r->depth > RDA_MAX_DEPTH) {
        r->depth--;
        return rd_fail(r, PA_EINPUT, at, "objects nested deeper than %d levels (corrupt file?)", RDA_MAX_DEPTH);
    }
    rc = rd_item_flags(r, flags, at, out);
    r->depth--;
    return rc;
}

/* InStringVec: a 0 word, a length, then that many items (CHARSXPs). */
static int rd_string_vec(rd *r, robj *o)
{
    size_t at = r->pos;
    int32_t zero;
    int rc = rd_int(r, &zero, "the 0 word of a persistent string vector");
    if (rc)
        return rc;
    if (zero != 0)
        return rd_fail(r, PA_EINPUT, at, "expected 0 before a persistent string vector, got %d", (int)zero);
    size_t n;
    if ((rc = rd_length(r, 4, &n, "persistent string vector")))
        return rc;
    o->ev = calloc(n ? n : 1, sizeof *o->ev);
    if (!o->ev)
        return rd_nomem(r);
    o->len = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = rd_item(r, &o->ev[i])))
            return rc;
    return PA_OK;
}

/* Byte code (ReadBC1 / ReadBCConsts / ReadBCLang): parsed only to walk past it. */
static int rd_bc1(rd *r, int32_t nreps);

static int rd_bclang(rd *r, int32_t type, int32_t nreps)
{
    int rc;
    robj *dummy;
    for (;;) {
        size_t at = r->pos;
        if (type == BCREPREF) {
            int32_t idx;
            if ((rc = rd_int(r, &idx, "a byte-code repeat index")))
                return rc;
            if (idx < 0 || idx >= nreps)
                return rd_fail(r, PA_EINPUT, at, "byte-code repeat index %d outside [0, %d)", (int)idx, (int)nreps);
            return PA_OK;
        }
        if (type != BCREPDEF && type != LANGSXP && type != LISTSXP && type != ATTRLANGSXP &&
            type != ATTRLISTSXP)
            return rd_item(r, &dummy);
        if (type == BCREPDEF) {
            int32_t pos;
            if ((rc = rd_int(r, &pos, "a byte-code repeat position")) ||
                (rc = rd_int(r, &type, "a byte-code cell type")))
                return rc;
            if (pos < 0 || pos >= nreps)
                return rd_fail(r, PA_EINPUT, at, "byte-code repeat position %d outside [0, %d)", (int)pos,
                               (int)nreps);
            if (type != LANGSXP && type != LISTSXP && type != ATTRLANGSXP && type != ATTRLISTSXP)
                return rd_fail(r, PA_EINPUT, at, "expected a byte-code language cell type, got %d", (int)type);
        }
        if (type == ATTRLANGSXP || type == ATTRLISTSXP)
            if ((rc = rd_item(r, &dummy)))
                return rc;
        if ((rc = rd_item(r, &dummy))) /* tag */
            return rc;
        int32_t t;
        if ((rc = rd_int(r, &t, "a byte-code cell type")))
            return rc;
        if (++r->depth > RDA_MAX_DEPTH) {
            r->depth--;
            return rd_fail(r, PA_EINPUT, at, "byte code nested deeper than %d levels", RDA_MAX_DEPTH);
        }
        rc = rd_bclang(r, t, nreps); /* car */
        r->depth--;
        if (rc)
            return rc;
        if ((rc = rd_int(r, &type, "a byte-code cell type"))) /* cdr: loop */
            return rc;
    }
}

static int rd_bc1(rd *r, int32_t nreps)
{
    robj *dummy;
    int rc = rd_item(r, &dummy); /* code: an integer vector */
    if (rc)
        return rc;
    size_t n;
    if ((rc = rd_length(r, 4, &n, "byte-code constant pool")))
        return rc;
    for (size_t i = 0; i < n; i++) {
        int32_t type;
        if ((rc = rd_int(r, &type, "a byte-code constant type")))
            return rc;
        if (type == BCODESXP) {
            if (++r->depth > RDA_MAX_DEPTH) {
                r->depth--;
                return rd_fail(r, PA_EINPUT, r->pos, "byte code nested deeper than %d levels", RDA_MAX_DEPTH);
            }
            rc = rd_bc1(r, nreps);
            r->depth--;
        } else if (type == LANGSXP || type == LISTSXP || type == BCREPDEF || type == BCREPREF ||
                   type == ATTRLANGSXP || type == ATTRLISTSXP) {
            rc = rd_bclang(r, type, nreps);
        } else {
            rc = rd_item(r, &dummy);
        }
        if (rc)
            return rc;
    }
    return PA_OK;
}

/* ---- ALTREP expansion -------------------------------------------------- */

static int seq_state(robj *st, double v[3])
{
    if (!st || st->len != 3 || st->seq)
        return -1;
    for (int k = 0; k < 3; k++) {
        if (st->type == REALSXP)
            v[k] = st->rv[k];
        else if (st->type == INTSXP)
            v[k] = st->iv[k] == NA_INT ? NAN : st->iv[k];
        else
            return -1;
        if (!isfinite(v[k]))
            return -1;
    }
    return v[0] >= 0 && v[0] <= (double)INT32_MAX && v[0] == floor(v[0]) ? 0 : -1;
}

static void copy_vector(robj *dst, const robj *src)
{
    dst->type = src->type;
    dst->len = src->len;
    dst->iv = NULL;
    dst->rv = NULL;
    dst->ev = NULL;
    dst->seq = src->seq;
    dst->seq0 = src->seq0;
    dst->seqby = src->seqby;
}

/* as.character() of a double as R writes it: the fewest significant digits
 * (at most 15) that give the value to 15 digits, in fixed notation unless
 * scientific notation is narrower (R's formatReal with scipen = 0). */
static void r_double_string(double x, char *buf, size_t cap)
{
    if (isinf(x)) {
        snprintf(buf, cap, x > 0 ? "Inf" : "-Inf");
        return;
    }
    char ref[64], sci[64], fix[400];
    snprintf(ref, sizeof ref, "%.14e", x);
    double want = strtod(ref, NULL);
    int sig = 1;
    for (; sig < 15; sig++) {
        snprintf(sci, sizeof sci, "%.*e", sig - 1, x);
        if (strtod(sci, NULL) == want)
            break;
    }
    snprintf(sci, sizeof sci, "%.*e", sig - 1, x);
    const char *e = strchr(sci, 'e');
    int ex = e ? atoi(e + 1) : 0;
    int dec = sig - 1 - ex;
    if (dec < 0)
        dec = 0;
    snprintf(fix, sizeof fix, "%.*f", dec, x);
    snprintf(buf, cap, "%s", strlen(fix) <= strlen(sci) ? fix : sci);
}

/* Turns node o (already in the arena) into the expanded ALTREP object. */
static int altrep_expand(rd *r, robj *o, robj *info, robj *state, size_t at)
{
    if (!info || info->type != LISTSXP || !info->car || info->car->type != SYMSXP)
        return rd_fail(r, PA_EINPUT, at, "ALTREP object: expected its class information (a pairlist headed by a symbol)");
    const char *cls = info->car->s;
    double v[3];
    if (strcmp(cls, "compact_intseq") == 0 || strcmp(cls, "compact_realseq") == 0) {
        if (seq_state(state, v))
            return rd_fail(r, PA_EINPUT, at, "ALTREP %s: expected a state of 3 finite numbers (n, start, step)", cls);
        o->type = cls[8] == 'i' ? INTSXP : REALSXP;
        o->len = (size_t)v[0];
        o->seq = 1;
        o->seq0 = v[1];
        o->seqby = v[2];
        if (o->type == INTSXP && o->len > 0) {
            double last = v[1] + (double)(o->len - 1) * v[2];
            if (fabs(v[1]) > INT32_MAX || fabs(last) > INT32_MAX)
                return rd_fail(r, PA_EINPUT, at, "ALTREP compact_intseq: values leave the integer range");
        }
        return PA_OK;
    }
    if (strncmp(cls, "wrap_", 5) == 0) {
        if (!state || state->type != LISTSXP || !state->car)
            return rd_fail(r, PA_EINPUT, at, "ALTREP %s: expected a state pairlist holding the wrapped vector", cls);
        robj *w = state->car;
        if (w->type != LGLSXP && w->type != INTSXP && w->type != REALSXP && w->type != STRSXP &&
            w->type != VECSXP && w->type != CPLXSXP && w->type != RAWSXP)
            return rd_fail(r, PA_EINPUT, at, "ALTREP %s: expected a wrapped vector, got type %d", cls, w->type);
        copy_vector(o, w);
        /* share the payload: point at it through a copy to keep ownership simple */
        if (w->iv) {
            o->iv = malloc(w->len * sizeof *o->iv + 1);
            if (!o->iv)
                return rd_nomem(r);
            memcpy(o->iv, w->iv, w->len * sizeof *o->iv);
        }
        if (w->rv) {
            o->rv = malloc(w->len * sizeof *o->rv + 1);
            if (!o->rv)
                return rd_nomem(r);
            memcpy(o->rv, w->rv, w->len * sizeof *o->rv);
        }
        if (w->ev) {
            o->ev = malloc(w->len * sizeof *o->ev + 1);
            if (!o->ev)
                return rd_nomem(r);
            memcpy(o->ev, w->ev, w->len * sizeof *o->ev);
        }
        return PA_OK;
    }
    if (strcmp(cls, "deferred_string") == 0) {
        /* state: pairlist (argument vector . info); as.character of numbers
         * (R prints 15 significant digits). */
        robj *a = state && state->type == LISTSXP ? state->car : NULL;
        if (!a || (a->type != INTSXP && a->type != REALSXP))
            return rd_fail(r, PA_EINPUT, at, "ALTREP deferred_string: expected an integer or double vector in its state");
        o->type = STRSXP;
        o->len = a->len;
        o->ev = calloc(a->len ? a->len : 1, sizeof *o->ev);
        if (!o->ev)
            return rd_nomem(r);
        for (size_t i = 0; i < a->len; i++) {
            robj *c = node_new(r, CHARSXP, at);
            if (!c)
                return rd_nomem(r);
            double x = a->seq ? a->seq0 + (double)i * a->seqby
                              : (a->type == INTSXP ? (a->iv[i] == NA_INT ? NAN : a->iv[i]) : a->rv[i]);
            if (!isnan(x)) {
                char buf[400];
                if (a->type == INTSXP)
                    snprintf(buf, sizeof buf, "%.0f", x);
                else
                    r_double_string(x, buf, sizeof buf);
                if (!(c->s = pa_strdup(buf)))
                    return rd_nomem(r);
            }
            o->ev[i] = c;
        }
        return PA_OK;
    }
    /* Unknown class: kept, an error only if a data frame needs it. */
    o->type = UNKNOWN_ALTREP;
    if (!(o->s = pa_strdup(cls)))
        return rd_nomem(r);
    return PA_OK;
}

/* ---- items -------------------------------------------------------------- */

static int rd_item_flags(rd *r, int32_t flags, size_t at, robj **out)
{
    int type = flags & 0xff;
    int objf = (flags >> 8) & 1;
    int hasattr = (flags >> 9) & 1;
    int hastag = (flags >> 10) & 1;
    int rc;
    robj *o;
    *out = NULL;

    switch (type) {
    case NILVALUE_SXP:
        return PA_OK;
    case EMPTYENV_SXP: case BASEENV_SXP: case GLOBALENV_SXP: case UNBOUNDVALUE_SXP:
    case MISSINGARG_SXP: case BASENAMESPACE_SXP:
        if (!(*out = node_new(r, type, at)))
            return rd_nomem(r);
        return PA_OK;
    case REFSXP: {
        int32_t idx = (int32_t)((uint32_t)flags >> 8);
        if (idx == 0 && (rc = rd_int(r, &idx, "a reference index")))
            return rc;
        if (idx < 1 || (size_t)idx > r->nref)
            return rd_fail(r, PA_EINPUT, at, "back-reference %d: expected an index in [1, %zu]", (int)idx, r->nref);
        *out = r->refs[idx - 1];
        return PA_OK;
    }
    case PERSISTSXP: case PACKAGESXP: case NAMESPACESXP:
        if (!(o = node_new(r, type, at)))
            return rd_nomem(r);
        if ((rc = rd_string_vec(r, o)))
            return rc;
        if ((rc = add_ref(r, o)))
            return rc;
        *out = o;
        return PA_OK;
    case ALTREP_SXP: {
        robj *info, *state, *attr;
        if ((rc = rd_item(r, &info)) || (rc = rd_item(r, &state)) || (rc = rd_item(r, &attr)))
            return rc;
        if (!(o = node_new(r, type, at)))
            return rd_nomem(r);
        if ((rc = altrep_expand(r, o, info, state, at)))
            return rc;
        o->attr = attr;
        o->object = objf;
        *out = o;
        return PA_OK;
    }
    case SYMSXP: {
        robj *pn;
        if ((rc = rd_item(r, &pn)))
            return rc;
        if (!pn || pn->type != CHARSXP)
            return rd_fail(r, PA_EINPUT, at, "symbol: expected its name as a string (CHARSXP)");
        if (!(o = node_new(r, SYMSXP, at)))
            return rd_nomem(r);
        if (!(o->s = pa_strdup(pn->s ? pn->s : "NA")))
            return rd_nomem(r);
        if ((rc = add_ref(r, o)))
            return rc;
        *out = o;
        return PA_OK;
    }
    case ENVSXP: {
        int32_t locked;
        if ((rc = rd_int(r, &locked, "an environment's locked flag")))
            return rc;
        if (!(o = node_new(r, ENVSXP, at)))
            return rd_nomem(r);
        if ((rc = add_ref(r, o))) /* registered before it is filled in */
            return rc;
        robj *enclos, *frame, *hashtab;
        if ((rc = rd_item(r, &enclos)) || (rc = rd_item(r, &frame)) || (rc = rd_item(r, &hashtab)) ||
            (rc = rd_item(r, &o->attr)))
            return rc;
        o->car = frame;
        o->cdr = hashtab;
        *out = o;
        return PA_OK;
    }
    default:
        break;
    }

    if (is_pairlist_type(type)) {
        /* Read the chain iteratively along the CDR. */
        robj *head = NULL, **link = &head;
        for (;;) {
            robj *c = node_new(r, type, at);
            if (!c)
                return rd_nomem(r);
            c->object = objf;
            if (hasattr && (rc = rd_item(r, &c->attr)))
                return rc;
            if (hastag && (rc = rd_item(r, &c->tag)))
                return rc;
            if ((rc = rd_item(r, &c->car)))
                return rc;
            *link = c;
            link = &c->cdr;
            at = r->pos;
            if ((rc = rd_int(r, &flags, "an item's flags word")))
                return rc;
            type = flags & 0xff;
            if (!is_pairlist_type(type))
                break;
            objf = (flags >> 8) & 1;
            hasattr = (flags >> 9) & 1;
            hastag = (flags >> 10) & 1;
        }
        *out = head;
        return rd_item_flags(r, flags, at, link);
    }

    if (!(o = node_new(r, type, at)))
        return rd_nomem(r);
    o->object = objf;
    size_t n;
    switch (type) {
    case EXTPTRSXP: {
        robj *prot, *tag;
        if ((rc = add_ref(r, o)) || (rc = rd_item(r, &prot)) || (rc = rd_item(r, &tag)))
            return rc;
        break;
    }
    case WEAKREFSXP:
        if ((rc = add_ref(r, o)))
            return rc;
        break;
    case SPECIALSXP: case BUILTINSXP:
        if ((rc = rd_length(r, 1, &n, "primitive name")))
            return rc;
        r->pos += n;
        break;
    case CHARSXP: {
        int32_t l;
        if ((rc = rd_int(r, &l, "a string length")))
            return rc;
        if (l < -1)
            return rd_fail(r, PA_EINPUT, at, "string: expected a length >= -1, got %d", (int)l);
        if (l >= 0) {
            if ((size_t)l > r->len - r->pos)
                return rd_fail(r, PA_EINPUT, at, "string of %d bytes, but only %zu bytes remain (truncated file)",
                               (int)l, r->len - r->pos);
            if (!(o->s = malloc((size_t)l + 1)))
                return rd_nomem(r);
            memcpy(o->s, r->p + r->pos, (size_t)l);
            o->s[l] = '\0';
            r->pos += (size_t)l;
        } /* else NA_STRING: s stays NULL */
        break;
    }
    case LGLSXP: case INTSXP:
        if ((rc = rd_length(r, 4, &n, type == LGLSXP ? "logical vector" : "integer vector")))
            return rc;
        o->len = n;
        if (!(o->iv = malloc(n ? n * sizeof *o->iv : 1)))
            return rd_nomem(r);
        for (size_t i = 0; i < n; i++) {
            const unsigned char *q = r->p + r->pos + 4 * i;
            o->iv[i] = (int32_t)(((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3]);
        }
        r->pos += 4 * n;
        break;
    case REALSXP:
        if ((rc = rd_length(r, 8, &n, "double vector")))
            return rc;
        o->len = n;
        if (!(o->rv = malloc(n ? n * sizeof *o->rv : 1)))
            return rd_nomem(r);
        for (size_t i = 0; i < n; i++)
            o->rv[i] = be_double(r->p + r->pos + 8 * i);
        r->pos += 8 * n;
        break;
    case CPLXSXP:
        if ((rc = rd_length(r, 16, &n, "complex vector")))
            return rc;
        o->len = n;
        r->pos += 16 * n;
        break;
    case RAWSXP:
        if ((rc = rd_length(r, 1, &n, "raw vector")))
            return rc;
        o->len = n;
        r->pos += n;
        break;
    case STRSXP: case VECSXP: case EXPRSXP:
        if ((rc = rd_length(r, 4, &n, type == STRSXP ? "character vector" : "list")))
            return rc;
        o->len = n;
        if (!(o->ev = calloc(n ? n : 1, sizeof *o->ev)))
            return rd_nomem(r);
        for (size_t i = 0; i < n; i++) {
            if ((rc = rd_item(r, &o->ev[i])))
                return rc;
            if (type == STRSXP && (!o->ev[i] || o->ev[i]->type != CHARSXP))
                return rd_fail(r, PA_EINPUT, o->ev[i] ? o->ev[i]->at : at,
                               "character vector element %zu: expected a string (CHARSXP)", i + 1);
        }
        break;
    case BCODESXP: {
        int32_t nreps;
        if ((rc = rd_int(r, &nreps, "the byte-code repeat count")))
            return rc;
        if (nreps < 0 || (size_t)nreps > r->len)
            return rd_fail(r, PA_EINPUT, at, "byte code: expected a repeat count in [0, %zu], got %d", r->len,
                           (int)nreps);
        if ((rc = rd_bc1(r, nreps)))
            return rc;
        break;
    }
    case S4SXP:
        break;
    case CLASSREFSXP: case GENERICREFSXP:
        return rd_fail(r, PA_EINPUT, at, "class or generic-function references (type %d) cannot be read", type);
    default:
        return rd_fail(r, PA_EINPUT, at, "unknown object type %d (expected an R SEXPTYPE; written by a later R?)",
                       type);
    }
    if (hasattr) {
        robj *a;
        if ((rc = rd_item(r, &a)))
            return rc;
        if (type != CHARSXP)
            o->attr = a;
    }
    *out = o;
    return PA_OK;
}

/* ---- decompression ------------------------------------------------------ */

typedef struct growbuf {
    unsigned char *b;
    size_t len, cap;
} growbuf;

static int gb_room(growbuf *g, size_t want)
{
    if (g->cap - g->len >= want)
        return 0;
    size_t cap = g->cap ? g->cap : 65536;
    while (cap - g->len < want) {
        if (cap >= RDA_MAX_BYTES)
            return -1;
        cap *= 2;
    }
    if (cap > RDA_MAX_BYTES + 1)
        cap = RDA_MAX_BYTES + 1;
    if (cap - g->len < want)
        return -1;
    unsigned char *nb = realloc(g->b, cap);
    if (!nb)
        return -2;
    g->b = nb;
    g->cap = cap;
    return 0;
}

static int gb_fail(growbuf *g, const char *name, int why, pa_err *err)
{
    free(g->b);
    g->b = NULL;
    if (why == -2)
        return pa_errf(err, PA_ENOMEM, "%s: out of memory while decompressing", name);
    return pa_errf(err, PA_EINPUT, "%s: the decompressed stream exceeds %zu bytes (the reader's limit)", name,
                   RDA_MAX_BYTES);
}

#define CHUNK 65536

static int inflate_gzip(const unsigned char *buf, size_t len, const char *name, growbuf *g, pa_err *err)
{
    if (len > UINT_MAX)
        return pa_errf(err, PA_EINPUT, "%s: compressed file larger than %u bytes", name, UINT_MAX);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) /* 32: accept gzip or zlib headers */
        return pa_errf(err, PA_EINTERNAL, "%s: zlib initialisation failed", name);
    zs.next_in = (unsigned char *)(uintptr_t)buf;
    zs.avail_in = (unsigned)len;
    for (;;) {
        int why = gb_room(g, CHUNK);
        if (why) {
            inflateEnd(&zs);
            return gb_fail(g, name, why, err);
        }
        zs.next_out = g->b + g->len;
        zs.avail_out = CHUNK;
        int ret = inflate(&zs, Z_NO_FLUSH);
        g->len += CHUNK - zs.avail_out;
        if (ret == Z_STREAM_END) {
            /* another gzip member may follow */
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (ret == Z_BUF_ERROR || (ret == Z_OK && zs.avail_in == 0 && zs.avail_out > 0)) {
            inflateEnd(&zs);
            free(g->b);
            g->b = NULL;
            return pa_errf(err, PA_EINPUT, "%s: gzip stream ends early at compressed byte %zu (truncated file)",
                           name, len);
        }
        if (ret != Z_OK) {
            size_t at = len - zs.avail_in;
            const char *m = zs.msg ? zs.msg : "inflate error";
            char msg[128];
            snprintf(msg, sizeof msg, "%s", m);
            inflateEnd(&zs);
            free(g->b);
            g->b = NULL;
            return pa_errf(err, PA_EINPUT, "%s: gzip stream corrupt near compressed byte %zu (%s)", name, at, msg);
        }
    }
    inflateEnd(&zs);
    return PA_OK;
}

static int inflate_bzip2(const unsigned char *buf, size_t len, const char *name, growbuf *g, pa_err *err)
{
    if (len > UINT_MAX)
        return pa_errf(err, PA_EINPUT, "%s: compressed file larger than %u bytes", name, UINT_MAX);
    bz_stream bs;
    memset(&bs, 0, sizeof bs);
    if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK)
        return pa_errf(err, PA_EINTERNAL, "%s: bzip2 initialisation failed", name);
    size_t off = 0;
    int ret = BZ_OK;
    for (;;) {
        if (bs.avail_in == 0 && off < len) {
            size_t take = len - off > UINT_MAX ? UINT_MAX : len - off;
            bs.next_in = (char *)(uintptr_t)(buf + off);
            bs.avail_in = (unsigned)take;
            off += take;
        }
        int why = gb_room(g, CHUNK);
        if (why) {
            BZ2_bzDecompressEnd(&bs);
            return gb_fail(g, name, why, err);
        }
        bs.next_out = (char *)(g->b + g->len);
        bs.avail_out = CHUNK;
        ret = BZ2_bzDecompress(&bs);
        g->len += CHUNK - bs.avail_out;
        if (ret == BZ_STREAM_END)
            break;
        if (ret != BZ_OK) {
            size_t at = off - bs.avail_in;
            BZ2_bzDecompressEnd(&bs);
            free(g->b);
            g->b = NULL;
            return pa_errf(err, PA_EINPUT, "%s: bzip2 stream corrupt near compressed byte %zu (error %d)", name, at,
                           ret);
        }
        if (bs.avail_in == 0 && off >= len && bs.avail_out > 0) {
            BZ2_bzDecompressEnd(&bs);
            free(g->b);
            g->b = NULL;
            return pa_errf(err, PA_EINPUT, "%s: bzip2 stream ends early at compressed byte %zu (truncated file)",
                           name, len);
        }
    }
    BZ2_bzDecompressEnd(&bs);
    return PA_OK;
}

static int inflate_xz(const unsigned char *buf, size_t len, const char *name, growbuf *g, pa_err *err)
{
    lzma_stream xs = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&xs, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return pa_errf(err, PA_EINTERNAL, "%s: liblzma initialisation failed", name);
    xs.next_in = buf;
    xs.avail_in = len;
    lzma_ret ret;
    for (;;) {
        int why = gb_room(g, CHUNK);
        if (why) {
            lzma_end(&xs);
            return gb_fail(g, name, why, err);
        }
        xs.next_out = g->b + g->len;
        xs.avail_out = CHUNK;
        ret = lzma_code(&xs, LZMA_FINISH);
        g->len += CHUNK - xs.avail_out;
        if (ret == LZMA_STREAM_END)
            break;
        if (ret != LZMA_OK) {
            size_t at = len - xs.avail_in;
            lzma_end(&xs);
            free(g->b);
            g->b = NULL;
            if (ret == LZMA_BUF_ERROR)
                return pa_errf(err, PA_EINPUT, "%s: xz stream ends early at compressed byte %zu (truncated file)",
                               name, len);
            if (ret == LZMA_MEM_ERROR)
                return pa_errf(err, PA_ENOMEM, "%s: out of memory while decompressing xz", name);
            return pa_errf(err, PA_EINPUT, "%s: xz stream corrupt near compressed byte %zu (liblzma error %d)",
                           name, at, (int)ret);
        }
    }
    lzma_end(&xs);
    return PA_OK;
}

/* Decompresses (or copies) the file's bytes into *out (caller frees). */
static int rda_decompress(const unsigned char *buf, size_t len, const char *name, unsigned char **out,
                          size_t *outlen, pa_err *err)
{
    growbuf g = {0};
    int rc;
    *out = NULL;
    *outlen = 0;
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        rc = inflate_gzip(buf, len, name, &g, err);
    } else if (len >= 3 && memcmp(buf, "BZh", 3) == 0) {
        rc = inflate_bzip2(buf, len, name, &g, err);
    } else if (len >= 6 && memcmp(buf, "\xfd" "7zXZ\0", 6) == 0) {
        rc = inflate_xz(buf, len, name, &g, err);
    } else {
        if (len > RDA_MAX_BYTES)
            return pa_errf(err, PA_EINPUT, "%s: %zu bytes exceed the reader's limit of %zu", name, len,
                           RDA_MAX_BYTES);
        if (!(g.b = malloc(len ? len : 1)))
            return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
        memcpy(g.b, buf, len);
        g.len = len;
        rc = PA_OK;
    }
    if (rc)
        return rc;
    *out = g.b;
    *outlen = g.len;
    return PA_OK;
}

/* ---- the whole file ----------------------------------------------------- */

typedef struct parsed {
    rd r;
    unsigned char *data;   /* decompressed stream */
    robj *root;            /* the saved pairlist (or the single rds object) */
    int bare;              /* 1: saveRDS stream, root is one unnamed object */
    char *bare_name;       /* its name (file stem) */
    robj **objs;           /* (nobj) top-level objects */
    const char **names;    /* (nobj) their names (owned by the arena or bare_name) */
    size_t nobj;
} parsed;

static void parsed_free(parsed *ps)
{
    arena_free(ps->r.all);
    free(ps->r.refs);
    free(ps->data);
    free(ps->bare_name);
    free(ps->objs);
    free(ps->names);
    memset(ps, 0, sizeof *ps);
}

static char *file_stem(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char *s = pa_strdup(b);
    if (!s)
        return NULL;
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
}

static int collect_top(parsed *ps, const char *name, pa_err *err);

/* Decompresses and parses a whole file; on success ps owns everything. */
static int parse_mem(const unsigned char *buf, size_t len, const char *name, parsed *ps, pa_err *err)
{
    memset(ps, 0, sizeof *ps);
    size_t dlen;
    int rc = rda_decompress(buf, len, name, &ps->data, &dlen, err);
    if (rc)
        return rc;
    rd *r = &ps->r;
    r->p = ps->data;
    r->len = dlen;
    r->name = name;
    r->err = err;
    const unsigned char *p = ps->data;
    if (dlen >= 5 && (memcmp(p, "RDX2\n", 5) == 0 || memcmp(p, "RDX3\n", 5) == 0)) {
        r->pos = 5;
    } else if (dlen >= 5 && p[0] == 'R' && p[1] == 'D' && (p[2] == 'A' || p[2] == 'B') &&
               (p[3] == '2' || p[3] == '3') && p[4] == '\n') {
        rc = rd_fail(r, PA_EINPUT, 0, "header \"RD%c%c\": the %s save format is not supported; expected "
                     "\"RDX2\" or \"RDX3\" (XDR, R's default: save(..., ascii = FALSE))", p[2], p[3],
                     p[2] == 'A' ? "ASCII" : "native binary");
        parsed_free(ps);
        return rc;
    } else if (dlen >= 2 && p[0] == 'X' && p[1] == '\n') {
        ps->bare = 1;
    } else {
        rc = rd_fail(r, PA_EINPUT, 0, "expected an R data file: magic \"RDX2\\n\" or \"RDX3\\n\" (after gzip, bzip2 "
                     "or xz decompression) or a serialisation starting \"X\\n\"");
        parsed_free(ps);
        return rc;
    }
    if (r->len - r->pos < 2 || p[r->pos] != 'X' || p[r->pos + 1] != '\n') {
        const char *what = r->len - r->pos >= 2 && (p[r->pos] == 'A' || p[r->pos] == 'B')
                               ? " (the ASCII and native-binary serialisations are not supported)" : "";
        rc = rd_fail(r, PA_EINPUT, r->pos, "expected the XDR format mark \"X\\n\"%s", what);
        parsed_free(ps);
        return rc;
    }
    r->pos += 2;
    int32_t version, writer, minreader;
    size_t vat = r->pos;
    if ((rc = rd_int(r, &version, "the serialisation version")) ||
        (rc = rd_int(r, &writer, "the writer's R version")) ||
        (rc = rd_int(r, &minreader, "the minimal reader R version"))) {
        parsed_free(ps);
        return rc;
    }
    if (version != 2 && version != 3) {
        rc = rd_fail(r, PA_EINPUT, vat, "serialisation version %d: expected 2 or 3", (int)version);
        parsed_free(ps);
        return rc;
    }
    if (version == 3) {
        int32_t nelen;
        size_t at = r->pos;
        if ((rc = rd_int(r, &nelen, "the native-encoding name length"))) {
            parsed_free(ps);
            return rc;
        }
        if (nelen < 0 || nelen > RDA_CODESET_MAX || (size_t)nelen > r->len - r->pos) {
            rc = rd_fail(r, PA_EINPUT, at, "native-encoding name length %d: expected 0..%d within the stream",
                         (int)nelen, RDA_CODESET_MAX);
            parsed_free(ps);
            return rc;
        }
        r->pos += (size_t)nelen;
    }
    size_t at = r->pos;
    if ((rc = rd_item(r, &ps->root))) {
        parsed_free(ps);
        return rc;
    }
    if (ps->bare) {
        if (!(ps->bare_name = file_stem(name))) {
            parsed_free(ps);
            return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
        }
    } else if (ps->root && ps->root->type != LISTSXP) {
        rc = rd_fail(r, PA_EINPUT, at, "expected the saved objects as a pairlist (type 2), got type %d",
                     ps->root->type);
        parsed_free(ps);
        return rc;
    }
    if ((rc = collect_top(ps, name, err))) {
        parsed_free(ps);
        return rc;
    }
    return PA_OK;
}

/* Collects the top-level objects into ps->objs / ps->names (one pass). */
static int collect_top(parsed *ps, const char *name, pa_err *err)
{
    size_t m = 0;
    if (ps->bare)
        m = 1;
    else
        for (const robj *c = ps->root; c && c->type == LISTSXP; c = c->cdr)
            m++;
    ps->objs = pa_calloc(m, sizeof *ps->objs);
    ps->names = pa_calloc(m, sizeof *ps->names);
    if (!ps->objs || !ps->names)
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
    ps->nobj = m;
    if (ps->bare) {
        ps->objs[0] = ps->root;
        ps->names[0] = ps->bare_name;
        return PA_OK;
    }
    size_t k = 0;
    for (robj *c = ps->root; c && c->type == LISTSXP; c = c->cdr, k++) {
        ps->objs[k] = c->car;
        ps->names[k] = c->tag && c->tag->type == SYMSXP ? c->tag->s : "";
    }
    return PA_OK;
}

/* ---- attributes and vector access --------------------------------------- */

static robj *attr_get(const robj *o, const char *key)
{
    if (!o)
        return NULL;
    for (robj *a = o->attr; a; a = a->cdr)
        if (a->type == LISTSXP && a->tag && a->tag->type == SYMSXP && strcmp(a->tag->s, key) == 0)
            return a->car;
    return NULL;
}

static int inherits(const robj *o, const char *cls)
{
    robj *c = attr_get(o, "class");
    if (!c || c->type != STRSXP)
        return 0;
    for (size_t i = 0; i < c->len; i++)
        if (c->ev[i] && c->ev[i]->s && strcmp(c->ev[i]->s, cls) == 0)
            return 1;
    return 0;
}

static int32_t vec_int(const robj *o, size_t i)
{
    if (o->seq)
        return (int32_t)(o->seq0 + (double)i * o->seqby);
    return o->iv[i];
}

static double vec_real(const robj *o, size_t i)
{
    if (o->seq)
        return o->seq0 + (double)i * o->seqby;
    return o->rv[i];
}

static int is_data_frame(const robj *o)
{
    return o && o->type == VECSXP && inherits(o, "data.frame");
}

static const char *type_name(const robj *o)
{
    if (!o)
        return "NULL";
    if (is_data_frame(o))
        return "data.frame";
    if (o->type == INTSXP && inherits(o, "factor"))
        return "factor";
    switch (o->type) {
    case SYMSXP: return "symbol";
    case LISTSXP: return "pairlist";
    case CLOSXP: return "closure";
    case ENVSXP: case GLOBALENV_SXP: case BASEENV_SXP: case EMPTYENV_SXP: return "environment";
    case PROMSXP: return "promise";
    case LANGSXP: return "language";
    case SPECIALSXP: case BUILTINSXP: return "builtin";
    case CHARSXP: return "char";
    case LGLSXP: return "logical";
    case INTSXP: return "integer";
    case REALSXP: return "double";
    case CPLXSXP: return "complex";
    case STRSXP: return "character";
    case VECSXP: return "list";
    case EXPRSXP: return "expression";
    case BCODESXP: return "bytecode";
    case EXTPTRSXP: return "externalptr";
    case WEAKREFSXP: return "weakref";
    case RAWSXP: return "raw";
    case S4SXP: return "S4";
    case UNKNOWN_ALTREP: return "altrep";
    default: return "other";
    }
}

static size_t frame_nrow(const robj *df)
{
    robj *rn = attr_get(df, "row.names");
    if (rn && rn->type == INTSXP && rn->len == 2 && vec_int(rn, 0) == NA_INT) {
        int32_t v = vec_int(rn, 1);
        return v == NA_INT ? 0 : (size_t)(v < 0 ? -(int64_t)v : v);
    }
    if (rn && (rn->type == INTSXP || rn->type == REALSXP || rn->type == STRSXP))
        return rn->len;
    if (df->len > 0 && df->ev[0])
        return df->ev[0]->len;
    return 0;
}

/* ---- data frame -> table ------------------------------------------------ */

typedef struct strkey {
    const char *s;
    size_t row;
} strkey;

static int strkey_cmp(const void *a, const void *b)
{
    const strkey *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c)
        return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int set_labels(col_spec *c, size_t nlab, int na)
{
    c->size = nlab + (na ? 1 : 0);
    c->labels = pa_calloc(c->size, sizeof *c->labels);
    if (!c->labels)
        return -1;
    if (na) {
        c->has_missing = 1;
        c->missing_code = (int32_t)nlab;
        if (!(c->labels[nlab] = pa_strdup("NA")))
            return -1;
    }
    return 0;
}

/* Fills column spec c (name already set) from R vector v, and codes/values. */
static int convert_column(rd *r, const char *obj, robj *v, size_t n, col_spec *c, int32_t **codes, double **vals)
{
    const char *cn = c->name;
    *codes = NULL;
    *vals = NULL;
    if (!v)
        return rd_fail(r, PA_EINPUT, 0, "data frame \"%s\", column \"%s\": expected a vector, got NULL", obj, cn);
    if (v->type == UNKNOWN_ALTREP)
        return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", column \"%s\": ALTREP class \"%s\" is not supported "
                       "(expected compact_intseq, compact_realseq, wrap_* or deferred_string)", obj, cn, v->s);
    if (v->type != INTSXP && v->type != LGLSXP && v->type != REALSXP && v->type != STRSXP)
        return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", column \"%s\": type %s is not supported (expected "
                       "factor, logical, integer, double or character)", obj, cn, type_name(v));
    if (v->len != n)
        return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", column \"%s\": %zu values, expected %zu (the row count)",
                       obj, cn, v->len, n);
    if (attr_get(v, "dim"))
        return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", column \"%s\": matrix columns are not supported",
                       obj, cn);

    if (v->type == INTSXP && inherits(v, "factor")) {
        robj *lev = attr_get(v, "levels");
        if (!lev || lev->type != STRSXP)
            return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", factor \"%s\": expected a \"levels\" character vector",
                           obj, cn);
        size_t L = lev->len;
        int na = 0;
        for (size_t i = 0; i < n; i++) {
            int32_t x = vec_int(v, i);
            if (x == NA_INT)
                na = 1;
            else if (x < 1 || (size_t)x > L)
                return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", factor \"%s\", row %zu: code %d outside the "
                               "%zu levels", obj, cn, i + 1, (int)x, L);
        }
        if (L == 0 && !na)
            return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", factor \"%s\": no levels", obj, cn);
        c->kind = COL_CAT;
        if (set_labels(c, L, na))
            return rd_nomem(r);
        for (size_t k = 0; k < L; k++)
            if (!(c->labels[k] = pa_strdup(lev->ev[k]->s ? lev->ev[k]->s : "NA")))
                return rd_nomem(r);
        if (!(*codes = malloc(n ? n * sizeof **codes : 1)))
            return rd_nomem(r);
        for (size_t i = 0; i < n; i++) {
            int32_t x = vec_int(v, i);
            (*codes)[i] = x == NA_INT ? (int32_t)L : x - 1;
        }
        return PA_OK;
    }
    if (v->type == LGLSXP) {
        int na = 0;
        for (size_t i = 0; i < n; i++)
            if (v->iv[i] == NA_INT)
                na = 1;
        c->kind = COL_CAT;
        if (set_labels(c, 2, na) || !(c->labels[0] = pa_strdup("FALSE")) || !(c->labels[1] = pa_strdup("TRUE")))
            return rd_nomem(r);
        if (!(*codes = malloc(n ? n * sizeof **codes : 1)))
            return rd_nomem(r);
        for (size_t i = 0; i < n; i++)
            (*codes)[i] = v->iv[i] == NA_INT ? 2 : (v->iv[i] != 0);
        return PA_OK;
    }
    if (v->type == STRSXP) {
        strkey *keys = malloc(n ? n * sizeof *keys : 1);
        if (!keys)
            return rd_nomem(r);
        size_t m = 0;
        int na = 0;
        for (size_t i = 0; i < n; i++) {
            if (v->ev[i]->s) {
                keys[m].s = v->ev[i]->s;
                keys[m].row = i;
                m++;
            } else {
                na = 1;
            }
        }
        qsort(keys, m, sizeof *keys, strkey_cmp);
        size_t L = 0;
        for (size_t k = 0; k < m; k++)
            if (k == 0 || strcmp(keys[k].s, keys[k - 1].s) != 0)
                L++;
        if (L == 0 && !na) {
            free(keys);
            return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", column \"%s\": no values", obj, cn);
        }
        c->kind = COL_CAT;
        if (set_labels(c, L, na) || !(*codes = malloc(n ? n * sizeof **codes : 1))) {
            free(keys);
            return rd_nomem(r);
        }
        size_t code = 0;
        for (size_t k = 0; k < m; k++) {
            if (k > 0 && strcmp(keys[k].s, keys[k - 1].s) != 0)
                code++;
            if (!c->labels[code] && !(c->labels[code] = pa_strdup(keys[k].s))) {
                free(keys);
                return rd_nomem(r);
            }
            (*codes)[keys[k].row] = (int32_t)code;
        }
        free(keys);
        if (na)
            for (size_t i = 0; i < n; i++)
                if (!v->ev[i]->s)
                    (*codes)[i] = (int32_t)L;
        return PA_OK;
    }
    /* integer or double -> numeric */
    c->kind = COL_NUM;
    c->integer = v->type == INTSXP;
    if (!(*vals = malloc(n ? n * sizeof **vals : 1)))
        return rd_nomem(r);
    double lo = INFINITY, hi = -INFINITY;
    int na = 0;
    for (size_t i = 0; i < n; i++) {
        double x;
        if (v->type == INTSXP) {
            int32_t k = vec_int(v, i);
            x = k == NA_INT ? NAN : (double)k;
        } else {
            x = vec_real(v, i);
        }
        if (isnan(x)) {
            na = 1;
        } else if (isinf(x)) {
            return rd_fail(r, PA_EINPUT, v->at, "data frame \"%s\", column \"%s\", row %zu: infinite value (expected "
                           "finite numbers)", obj, cn, i + 1);
        } else {
            if (x < lo)
                lo = x;
            if (x > hi)
                hi = x;
        }
        (*vals)[i] = x;
    }
    if (lo > hi) { /* all NA (or no rows) */
        lo = 0;
        hi = 1;
    } else if (lo == hi) {
        hi = lo + 1 > lo ? lo + 1 : nextafter(lo, INFINITY); /* min < max even at 1e300 */
        if (!isfinite(hi)) {
            hi = lo;
            lo = nextafter(lo, -INFINITY);
        }
    }
    c->lo = lo;
    c->hi = hi;
    if (na) {
        c->has_missing = 1;
        c->missing_value = lo;
        for (size_t i = 0; i < n; i++)
            if (isnan((*vals)[i]))
                (*vals)[i] = lo;
    }
    return PA_OK;
}

static int frame_to_table(rd *r, robj *df, const char *obj, table **out)
{
    size_t d = df->len;
    robj *names = attr_get(df, "names");
    if (!names || names->type != STRSXP || names->len != d)
        return rd_fail(r, PA_EINPUT, df->at, "data frame \"%s\": expected a \"names\" attribute with %zu strings", obj,
                       d);
    if (d == 0)
        return rd_fail(r, PA_EINPUT, df->at, "data frame \"%s\": no columns", obj);
    size_t n = frame_nrow(df);
    if (n > RDA_MAX_CELLS / d)
        return rd_fail(r, PA_EINPUT, df->at, "data frame \"%s\": %zu rows x %zu columns exceed the reader's limit "
                       "of %zu cells", obj, n, d, (size_t)RDA_MAX_CELLS);
    schema *s = schema_new(d);
    int32_t **codes = calloc(d, sizeof *codes);
    double **vals = calloc(d, sizeof *vals);
    int rc = PA_OK;
    if (!s || !codes || !vals) {
        rc = rd_nomem(r);
        goto done;
    }
    s->inferred = 1;
    for (size_t j = 0; j < d; j++) {
        const char *nm = names->ev[j]->s;
        if (!nm || !*nm) {
            rc = rd_fail(r, PA_EINPUT, names->at, "data frame \"%s\": column %zu has no name", obj, j + 1);
            goto done;
        }
        if (!(s->cols[j].name = pa_strdup(nm))) {
            rc = rd_nomem(r);
            goto done;
        }
        if ((rc = convert_column(r, obj, df->ev[j], n, &s->cols[j], &codes[j], &vals[j])))
            goto done;
    }
    pa_err verr;
    if (schema_validate(s, &verr) != PA_OK) {
        rc = rd_fail(r, PA_EINPUT, df->at, "data frame \"%s\": the drafted schema is invalid: %s", obj, verr.msg);
        goto done;
    }
    table *t = tbl_new(s, n);
    if (!t) {
        rc = rd_nomem(r);
        goto done;
    }
    for (size_t j = 0; j < d; j++) {
        if (codes[j] && n)
            memcpy(t->cat[j], codes[j], n * sizeof *codes[j]);
        if (vals[j] && n)
            memcpy(t->num[j], vals[j], n * sizeof *vals[j]);
    }
    *out = t;
done:
    if (codes)
        for (size_t j = 0; j < d; j++)
            free(codes[j]);
    if (vals)
        for (size_t j = 0; j < d; j++)
            free(vals[j]);
    free(codes);
    free(vals);
    schema_free(s);
    return rc;
}

/* ---- public API --------------------------------------------------------- */

/* The reader behind rda_read_frame_mem / rda_read_frame_named. */
static int read_frame_mem(const unsigned char *buf, size_t len, const char *name, const char *object,
                          table **out, char **found_name, pa_err *err)
{
    *out = NULL;
    if (found_name)
        *found_name = NULL;
    if (!name)
        name = "(memory)";
    parsed ps;
    int rc = parse_mem(buf, len, name, &ps, err);
    if (rc)
        return rc;
    size_t m = ps.nobj;
    robj *df = NULL;
    const char *found = NULL;
    for (size_t k = 0; k < m; k++) {
        const char *nm = ps.names[k];
        robj *o = ps.objs[k];
        if (object ? strcmp(nm, object) == 0 : is_data_frame(o)) {
            df = o;
            found = nm;
            break;
        }
    }
    if (!found) {
        if (object)
            rc = pa_errf(err, PA_EINPUT, "%s: no object named \"%s\" (the file holds %zu objects; list them with "
                         "`privaudit data import FILE --list`)", name, object, m);
        else
            rc = pa_errf(err, PA_EINPUT, "%s: expected a data frame, found none among the %zu objects", name, m);
    } else if (!is_data_frame(df)) {
        rc = rd_fail(&ps.r, PA_EINPUT, df ? df->at : 0, "object \"%s\" is a %s, expected a data.frame", found,
                     type_name(df));
    } else {
        rc = frame_to_table(&ps.r, df, found, out);
        if (rc == PA_OK && found_name && !(*found_name = pa_strdup(found))) {
            tbl_free(*out);
            *out = NULL;
            rc = pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
        }
    }
    parsed_free(&ps);
    return rc;
}

int rda_read_frame_mem(const unsigned char *buf, size_t len, const char *name, const char *object,
                       table **out, pa_err *err)
{
    return read_frame_mem(buf, len, name, object, out, NULL, err);
}

static int read_whole(const char *path, unsigned char **buf, size_t *len, pa_err *err)
{
    char *b;
    int rc = util_read_file(path, &b, len, err);
    *buf = (unsigned char *)b;
    return rc;
}

int rda_read_frame_named(const char *path, const char *object, table **out, char **name, pa_err *err)
{
    *out = NULL;
    if (name)
        *name = NULL;
    unsigned char *buf;
    size_t len;
    int rc = read_whole(path, &buf, &len, err);
    if (rc)
        return rc;
    rc = read_frame_mem(buf, len, path, object, out, name, err);
    free(buf);
    return rc;
}

int rda_read_frame(const char *path, const char *object, table **out, pa_err *err)
{
    return rda_read_frame_named(path, object, out, NULL, err);
}

void rda_info_free(rda_info *info, size_t n)
{
    if (!info)
        return;
    for (size_t k = 0; k < n; k++) {
        free(info[k].name);
        free(info[k].kind);
    }
    free(info);
}

int rda_list_info_mem(const unsigned char *buf, size_t len, const char *name, rda_info **out, size_t *n,
                      pa_err *err)
{
    *out = NULL;
    *n = 0;
    if (!name)
        name = "(memory)";
    parsed ps;
    int rc = parse_mem(buf, len, name, &ps, err);
    if (rc)
        return rc;
    size_t m = ps.nobj;
    rda_info *info = pa_calloc(m, sizeof *info);
    if (!info) {
        parsed_free(&ps);
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
    }
    for (size_t k = 0; k < m; k++) {
        const char *nm = ps.names[k];
        robj *o = ps.objs[k];
        info[k].name = pa_strdup(nm);
        info[k].kind = pa_strdup(type_name(o));
        if (!info[k].name || !info[k].kind) {
            rda_info_free(info, m);
            parsed_free(&ps);
            return pa_errf(err, PA_ENOMEM, "%s: out of memory", name);
        }
        if (is_data_frame(o)) {
            info[k].nrow = frame_nrow(o);
            info[k].ncol = o->len;
        } else if (o && (o->iv || o->rv || o->ev || o->seq || o->type == CPLXSXP || o->type == RAWSXP)) {
            info[k].nrow = o->len;
        }
    }
    parsed_free(&ps);
    *out = info;
    *n = m;
    return PA_OK;
}

int rda_list_info(const char *path, rda_info **out, size_t *n, pa_err *err)
{
    *out = NULL;
    *n = 0;
    unsigned char *buf;
    size_t len;
    int rc = read_whole(path, &buf, &len, err);
    if (rc)
        return rc;
    rc = rda_list_info_mem(buf, len, path, out, n, err);
    free(buf);
    return rc;
}

void rda_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t k = 0; k < n; k++)
        free(names[k]);
    free(names);
}

int rda_list(const char *path, char ***names, size_t *n, pa_err *err)
{
    *names = NULL;
    *n = 0;
    rda_info *info;
    size_t m;
    int rc = rda_list_info(path, &info, &m, err);
    if (rc)
        return rc;
    char **nm = pa_calloc(m, sizeof *nm);
    if (!nm) {
        rda_info_free(info, m);
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
    }
    for (size_t k = 0; k < m; k++) {
        nm[k] = info[k].name; /* take ownership */
        info[k].name = NULL;
    }
    rda_info_free(info, m);
    *names = nm;
    *n = m;
    return PA_OK;
}
