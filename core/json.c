/* json.c — strict JSON (see json.h): a validating pass over the text with
 * positions and key paths, then cJSON builds the tree.
 * n = bytes of the text, k = keys of one object. Time O(n + Σ k log k). */
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* the longest number cJSON reads exactly (it copies at most 63 characters) */
#define JSON_MAX_NUMBER 63

typedef struct jkey {
    char *s;        /* decoded key (malloc'd, NUL-free) */
    size_t len;
    size_t off;     /* offset of its opening quote */
} jkey;

typedef struct jp {
    const char *text;
    size_t len, pos;
    const char *name;
    pa_err *err;
    int failed;
    char path[256]; /* key path of the value being read, "" at the top */
    size_t plen;
    char *sbuf;     /* decoded string scratch */
    size_t slen, scap;
} jp;

static void where(const jp *j, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < j->len; i++) {
        if (j->text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

__attribute__((format(printf, 3, 4))) static int fail(jp *j, size_t off, const char *fmt, ...)
{
    if (j->failed)
        return -1;
    j->failed = 1;
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line, col;
    where(j, off, &line, &col);
    pa_errf(j->err, PA_EINPUT, "%s:%zu:%zu: %s", j->name, line, col, msg);
    return -1;
}

static int oom(jp *j)
{
    if (!j->failed) {
        j->failed = 1;
        pa_errf(j->err, PA_ENOMEM, "%s: out of memory", j->name);
    }
    return -1;
}

/* " in PATH" or " at the top level" */
static const char *in_path(const jp *j, char *buf, size_t cap)
{
    if (j->plen == 0)
        snprintf(buf, cap, " at the top level");
    else
        snprintf(buf, cap, " in %s", j->path);
    return buf;
}

static void path_push_key(jp *j, const char *k, size_t klen)
{
    size_t room = sizeof j->path - j->plen - 1;
    int n = snprintf(j->path + j->plen, room + 1, "%s%.*s", j->plen ? "." : "", (int)klen, k);
    j->plen += n < 0 ? 0 : (size_t)n > room ? room : (size_t)n;
}

static void path_push_index(jp *j, size_t i)
{
    size_t room = sizeof j->path - j->plen - 1;
    int n = snprintf(j->path + j->plen, room + 1, "[%zu]", i);
    j->plen += n < 0 ? 0 : (size_t)n > room ? room : (size_t)n;
}

static void path_pop(jp *j, size_t to)
{
    j->plen = to;
    j->path[to] = 0;
}

static void skip_ws(jp *j)
{
    while (j->pos < j->len) {
        char c = j->text[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        j->pos++;
    }
}

static int sbuf_put(jp *j, const char *p, size_t n)
{
    if (j->slen + n + 1 > j->scap) {
        size_t c = j->scap ? j->scap * 2 : 64;
        while (c < j->slen + n + 1)
            c *= 2;
        char *b = realloc(j->sbuf, c);
        if (!b)
            return oom(j);
        j->sbuf = b;
        j->scap = c;
    }
    memcpy(j->sbuf + j->slen, p, n);
    j->slen += n;
    j->sbuf[j->slen] = 0;
    return 0;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A string at j->pos (the opening quote); decoded into j->sbuf when decode
 * is set (keys). `what` names it in messages ("a key", "a string"). */
static int parse_string(jp *j, int decode)
{
    size_t open = j->pos++;
    j->slen = 0;
    if (decode && sbuf_put(j, "", 0))
        return -1;
    for (;;) {
        if (j->pos >= j->len)
            return fail(j, open, "not valid JSON: a string that is never closed");
        unsigned char c = (unsigned char)j->text[j->pos];
        if (c == '"') {
            j->pos++;
            return 0;
        }
        if (c < 0x20) {
            char pb[300];
            return fail(j, j->pos, "control character 0x%02x inside a string%s: expected it escaped (\\n, \\t, "
                        "\\u00%02x)", c, in_path(j, pb, sizeof pb), c);
        }
        if (c != '\\') {
            size_t run = j->pos;
            while (run < j->len && j->text[run] != '"' && j->text[run] != '\\' &&
                   (unsigned char)j->text[run] >= 0x20)
                run++;
            if (decode && sbuf_put(j, j->text + j->pos, run - j->pos))
                return -1;
            j->pos = run;
            continue;
        }
        size_t esc = j->pos;
        if (j->pos + 1 >= j->len)
            return fail(j, esc, "not valid JSON: a string that is never closed");
        char e = j->text[j->pos + 1];
        const char *simple = "\"\\/bfnrt", *value = "\"\\/\b\f\n\r\t";
        const char *s = strchr(simple, e);
        if (e && s) {
            j->pos += 2;
            if (decode && sbuf_put(j, value + (s - simple), 1))
                return -1;
            continue;
        }
        if (e != 'u')
            return fail(j, esc, "not valid JSON: unknown escape \"\\%c\" in a string", e ? e : '0');
        unsigned u;
        if (j->pos + 6 > j->len || hex4(j->text + j->pos + 2, &u))
            return fail(j, esc, "not valid JSON: \"\\u\" must be followed by 4 hexadecimal digits");
        j->pos += 6;
        if (u == 0) {
            char pb[300];
            return fail(j, esc, "\\u0000 (a NUL character) inside a string%s: NUL characters are not allowed",
                        in_path(j, pb, sizeof pb));
        }
        if (u >= 0xDC00 && u <= 0xDFFF)
            return fail(j, esc, "\\u%04x is a low surrogate without a high surrogate before it", u);
        if (u >= 0xD800 && u <= 0xDBFF) {
            unsigned lo;
            if (j->pos + 6 > j->len || j->text[j->pos] != '\\' || j->text[j->pos + 1] != 'u' ||
                hex4(j->text + j->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return fail(j, esc, "\\u%04x is a high surrogate without a low surrogate after it", u);
            j->pos += 6;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (decode) {
            char b[4];
            size_t n;
            if (u < 0x80) {
                b[0] = (char)u;
                n = 1;
            } else if (u < 0x800) {
                b[0] = (char)(0xC0 | (u >> 6));
                b[1] = (char)(0x80 | (u & 0x3F));
                n = 2;
            } else if (u < 0x10000) {
                b[0] = (char)(0xE0 | (u >> 12));
                b[1] = (char)(0x80 | ((u >> 6) & 0x3F));
                b[2] = (char)(0x80 | (u & 0x3F));
                n = 3;
            } else {
                b[0] = (char)(0xF0 | (u >> 18));
                b[1] = (char)(0x80 | ((u >> 12) & 0x3F));
                b[2] = (char)(0x80 | ((u >> 6) & 0x3F));
                b[3] = (char)(0x80 | (u & 0x3F));
                n = 4;
            }
            if (sbuf_put(j, b, n))
                return -1;
        }
    }
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_number(jp *j)
{
    size_t s = j->pos, p = s;
    const char *t = j->text;
    if (p < j->len && t[p] == '-')
        p++;
    if (p < j->len && t[p] == '0') {
        p++;
        if (p < j->len && is_digit(t[p]))
            return fail(j, s, "not valid JSON: a number with a leading zero");
    } else if (p < j->len && is_digit(t[p])) {
        while (p < j->len && is_digit(t[p]))
            p++;
    } else {
        return fail(j, s, "not valid JSON: expected a value");
    }
    if (p < j->len && t[p] == '.') {
        p++;
        if (p >= j->len || !is_digit(t[p]))
            return fail(j, s, "not valid JSON: expected digits after the decimal point");
        while (p < j->len && is_digit(t[p]))
            p++;
    }
    if (p < j->len && (t[p] == 'e' || t[p] == 'E')) {
        p++;
        if (p < j->len && (t[p] == '+' || t[p] == '-'))
            p++;
        if (p >= j->len || !is_digit(t[p]))
            return fail(j, s, "not valid JSON: expected digits in the exponent");
        while (p < j->len && is_digit(t[p]))
            p++;
    }
    char pb[300];
    if (p - s > JSON_MAX_NUMBER)
        return fail(j, s, "a number of %zu characters%s: expected at most %d", p - s, in_path(j, pb, sizeof pb),
                    JSON_MAX_NUMBER);
    char num[JSON_MAX_NUMBER + 1];
    memcpy(num, t + s, p - s);
    num[p - s] = 0;
    errno = 0;
    double v = strtod(num, NULL);
    if (!isfinite(v))
        return fail(j, s, "the number %s%s is out of range (larger than a double holds)", num,
                    in_path(j, pb, sizeof pb));
    j->pos = p;
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    const jkey *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return (x->off > y->off) - (x->off < y->off);
}

static int parse_value(jp *j, int depth);

static int parse_object(jp *j, int depth)
{
    size_t open = j->pos++;
    jkey *keys = NULL;
    size_t nk = 0, cap = 0, base = j->plen;
    int rc = 0;
    skip_ws(j);
    if (j->pos < j->len && j->text[j->pos] == '}') {
        j->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (j->pos >= j->len || j->text[j->pos] != '"') {
            rc = fail(j, j->pos, "not valid JSON: expected a key in double quotes");
            break;
        }
        size_t koff = j->pos;
        if ((rc = parse_string(j, 1)))
            break;
        if (nk == cap) {
            cap = cap ? 2 * cap : 8;
            jkey *nkp = realloc(keys, cap * sizeof *nkp);
            if (!nkp) {
                rc = oom(j);
                break;
            }
            keys = nkp;
        }
        keys[nk].s = malloc(j->slen + 1);
        if (!keys[nk].s) {
            rc = oom(j);
            break;
        }
        memcpy(keys[nk].s, j->sbuf, j->slen + 1);
        keys[nk].len = j->slen;
        keys[nk].off = koff;
        nk++;
        skip_ws(j);
        if (j->pos >= j->len || j->text[j->pos] != ':') {
            rc = fail(j, j->pos, "not valid JSON: expected ':' after the key");
            break;
        }
        j->pos++;
        path_push_key(j, keys[nk - 1].s, keys[nk - 1].len);
        rc = parse_value(j, depth + 1);
        path_pop(j, base);
        if (rc)
            break;
        skip_ws(j);
        if (j->pos < j->len && j->text[j->pos] == ',') {
            j->pos++;
            continue;
        }
        if (j->pos < j->len && j->text[j->pos] == '}') {
            j->pos++;
            break;
        }
        rc = fail(j, j->pos >= j->len ? open : j->pos, "not valid JSON: expected ',' or '}' in an object");
        break;
    }
    if (!rc && nk > 1) {
        /* duplicates: sort by (key, position); of the equal neighbours,
         * report the repeat that comes first in the text */
        qsort(keys, nk, sizeof *keys, cmp_key);
        size_t best = (size_t)-1, first = 0;
        for (size_t k = 1; k < nk; k++)
            if (keys[k].len == keys[k - 1].len && memcmp(keys[k].s, keys[k - 1].s, keys[k].len) == 0 &&
                (best == (size_t)-1 || keys[k].off < keys[best].off)) {
                best = k;
                size_t f = k - 1;
                while (f > 0 && keys[f - 1].len == keys[k].len && !memcmp(keys[f - 1].s, keys[k].s, keys[k].len))
                    f--;
                first = f;
            }
        if (best != (size_t)-1) {
            size_t fl, fc;
            where(j, keys[first].off, &fl, &fc);
            char pb[300];
            rc = fail(j, keys[best].off, "duplicate key \"%.*s\"%s (first at line %zu)", (int)keys[best].len,
                      keys[best].s, in_path(j, pb, sizeof pb), fl);
        }
    }
    for (size_t k = 0; k < nk; k++)
        free(keys[k].s);
    free(keys);
    return rc;
}

static int parse_array(jp *j, int depth)
{
    size_t open = j->pos++, base = j->plen;
    skip_ws(j);
    if (j->pos < j->len && j->text[j->pos] == ']') {
        j->pos++;
        return 0;
    }
    for (size_t i = 0;; i++) {
        path_push_index(j, i);
        int rc = parse_value(j, depth + 1);
        path_pop(j, base);
        if (rc)
            return rc;
        skip_ws(j);
        if (j->pos < j->len && j->text[j->pos] == ',') {
            j->pos++;
            continue;
        }
        if (j->pos < j->len && j->text[j->pos] == ']') {
            j->pos++;
            return 0;
        }
        return fail(j, j->pos >= j->len ? open : j->pos, "not valid JSON: expected ',' or ']' in a list");
    }
}

static int literal(jp *j, const char *word)
{
    size_t n = strlen(word);
    if (j->len - j->pos >= n && memcmp(j->text + j->pos, word, n) == 0) {
        j->pos += n;
        return 0;
    }
    return fail(j, j->pos, "not valid JSON: expected a value");
}

static int parse_value(jp *j, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(j, j->pos, "nested deeper than %d levels", JSON_MAX_DEPTH);
    skip_ws(j);
    if (j->pos >= j->len)
        return fail(j, j->pos, "not valid JSON: expected a value");
    switch (j->text[j->pos]) {
    case '{': return parse_object(j, depth);
    case '[': return parse_array(j, depth);
    case '"': return parse_string(j, 0);
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    default: return parse_number(j);
    }
}

int json_parse_strict(const char *text, size_t len, const char *name, cJSON **out, pa_err *err)
{
    *out = NULL;
    jp j = {.text = text, .len = len, .name = name ? name : "JSON", .err = err};
    const char *nul = memchr(text, 0, len);
    if (nul) {
        /* fail() needs the text up to the NUL only */
        return fail(&j, (size_t)(nul - text), "NUL byte in the file: expected JSON text only"), PA_EINPUT;
    }
    int rc = parse_value(&j, 0);
    if (!rc) {
        skip_ws(&j);
        if (j.pos < j.len)
            rc = fail(&j, j.pos, "unexpected text after the JSON document");
    }
    free(j.sbuf);
    if (rc)
        return err ? err->code : PA_EINPUT;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) /* valid by the checks above: cJSON can only have run out of memory */
        return pa_errf(err, PA_ENOMEM, "%s: out of memory reading the JSON", j.name);
    *out = root;
    return PA_OK;
}

int json_read_file(const char *path, cJSON **out, char **text, pa_err *err)
{
    *out = NULL;
    if (text)
        *text = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = util_read_file(path, &buf, &len, err);
    if (rc)
        return rc;
    rc = json_parse_strict(buf, len, path, out, err);
    if (rc || !text)
        free(buf);
    else
        *text = buf;
    return rc;
}
