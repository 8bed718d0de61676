/* seeds.c — writes the fuzzers' seed corpora, made here (no third-party
 * data): seeds OUT  ->  OUT/{csv,schema,config,rda,idx}/NAME.
 * The R data streams follow R's XDR serialisation (as tests/test_rda.c
 * writes them) and are stored plain and gzip/bzip2/xz-compressed; the IDX
 * seeds hold a 4-byte length, an image file and a label file, as
 * fuzz/fuzz_idx.c splits its input. The Makefile adds the committed
 * configs/ and data/schemas/ files (the project's own) to the corpora. */
#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char *out_dir;

static void put(const char *sub, const char *name, const void *b, size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", out_dir, sub);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void put_text(const char *sub, const char *name, const char *t)
{
    put(sub, name, t, strlen(t));
}

/* ---- a growing byte buffer with an XDR writer ---- */

typedef struct wbuf {
    unsigned char *b;
    size_t n, cap;
    const char *syms[32];
    int nsym;
} wbuf;

static void b_put(wbuf *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = 2 * (w->n + n) + 64;
        w->b = realloc(w->b, w->cap);
        if (!w->b)
            exit(1);
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void x_int(wbuf *w, int32_t v)
{
    uint32_t u = (uint32_t)v;
    unsigned char q[4] = {(unsigned char)(u >> 24), (unsigned char)(u >> 16), (unsigned char)(u >> 8),
                          (unsigned char)u};
    b_put(w, q, 4);
}

static void x_real(wbuf *w, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    unsigned char q[8];
    for (int k = 0; k < 8; k++)
        q[k] = (unsigned char)(u >> (56 - 8 * k));
    b_put(w, q, 8);
}

enum { SYM = 1, LIST = 2, CHARS = 9, LGL = 10, INT = 13, REAL = 14, STR = 16, VEC = 19, NIL = 254, REF = 255 };
#define NA_INT INT32_MIN

static void x_flags(wbuf *w, int type, int obj, int attr, int tag)
{
    x_int(w, type | (obj << 8) | (attr << 9) | (tag << 10));
}

static void x_chars(wbuf *w, const char *s)
{
    x_int(w, CHARS | (64 << 12));
    if (!s) {
        x_int(w, -1);
        return;
    }
    x_int(w, (int32_t)strlen(s));
    b_put(w, s, strlen(s));
}

static void x_sym(wbuf *w, const char *name)
{
    for (int k = 0; k < w->nsym; k++)
        if (!strcmp(w->syms[k], name)) {
            x_int(w, ((k + 1) << 8) | REF);
            return;
        }
    w->syms[w->nsym++] = name;
    x_int(w, SYM);
    x_chars(w, name);
}

static void x_strs(wbuf *w, size_t n, const char *const *s)
{
    x_flags(w, STR, 0, 0, 0);
    x_int(w, (int32_t)n);
    for (size_t i = 0; i < n; i++)
        x_chars(w, s[i]);
}

static void x_attr(wbuf *w, const char *tag)
{
    x_flags(w, LIST, 0, 0, 1);
    x_sym(w, tag);
}

static double na_real(void)
{
    uint64_t u = 0x7FF00000000007A2ULL;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* A data frame of n rows: a factor, an integer, a double, a logical and a
 * character column, each with an NA; `odd` adds awkward values. */
static void x_frame(wbuf *w, int odd)
{
    enum { N = 6 };
    static const char *const lev[] = {"low", "mid, quoted \"", "high"};
    const int32_t fac[N] = {1, 3, NA_INT, 2, 1, 3};
    const int32_t ints[N] = {4, -2, NA_INT, 7, 0, odd ? 2147483647 : 9};
    const double dbl[N] = {1.5, na_real(), -0.25, odd ? 5e-324 : 2.0, odd ? 1.7976931348623157e308 : 1e3,
                           (double)(float)0.06};
    const int32_t lgl[N] = {1, 0, NA_INT, 1, 1, 0};
    const char *const str[N] = {"pear", "apple", NULL, odd ? " padded " : "pear", "fig", odd ? "" : "kiwi"};
    static const char *const names[] = {"grade", "count", "score", "flag", "fruit"};
    x_flags(w, VEC, 1, 1, 0);
    x_int(w, 5);
    x_flags(w, INT, 1, 1, 0); /* factor */
    x_int(w, N);
    for (int i = 0; i < N; i++)
        x_int(w, fac[i]);
    x_attr(w, "levels");
    x_strs(w, 3, lev);
    x_attr(w, "class");
    x_strs(w, 1, (const char *const[]){"factor"});
    x_int(w, NIL);
    x_flags(w, INT, 0, 0, 0);
    x_int(w, N);
    for (int i = 0; i < N; i++)
        x_int(w, ints[i]);
    x_flags(w, REAL, 0, 0, 0);
    x_int(w, N);
    for (int i = 0; i < N; i++)
        x_real(w, dbl[i]);
    x_flags(w, LGL, 0, 0, 0);
    x_int(w, N);
    for (int i = 0; i < N; i++)
        x_int(w, lgl[i]);
    x_strs(w, N, str);
    x_attr(w, "names");
    x_strs(w, 5, names);
    x_attr(w, "row.names");
    x_flags(w, INT, 0, 0, 0); /* compact row names c(NA, -N) */
    x_int(w, 2);
    x_int(w, NA_INT);
    x_int(w, -N);
    x_attr(w, "class");
    x_strs(w, 1, (const char *const[]){"data.frame"});
    x_int(w, NIL);
}

static wbuf rda_file(int version, int odd, int rds)
{
    wbuf w = {0};
    if (!rds)
        b_put(&w, version == 3 ? "RDX3\n" : "RDX2\n", 5);
    b_put(&w, "X\n", 2);
    x_int(&w, version);
    x_int(&w, 0x040201);
    x_int(&w, version == 3 ? 0x030500 : 0x020300);
    if (version == 3) {
        x_int(&w, 5);
        b_put(&w, "UTF-8", 5);
    }
    if (rds) {
        x_frame(&w, odd);
        return w;
    }
    x_flags(&w, LIST, 0, 0, 1);
    x_sym(&w, "v");
    x_flags(&w, REAL, 0, 0, 0);
    x_int(&w, 2);
    x_real(&w, 3.0);
    x_real(&w, 4.0);
    x_flags(&w, LIST, 0, 0, 1);
    x_sym(&w, "people");
    x_frame(&w, odd);
    x_int(&w, NIL);
    return w;
}

static void put_compressed(const char *name, const wbuf *w)
{
    char nm[128];
    snprintf(nm, sizeof nm, "%s.plain", name);
    put("rda", nm, w->b, w->n);
    /* gzip */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&zs, w->n) + 64;
    unsigned char *o = malloc(cap);
    zs.next_in = w->b;
    zs.avail_in = (unsigned)w->n;
    zs.next_out = o;
    zs.avail_out = (unsigned)cap;
    deflate(&zs, Z_FINISH);
    snprintf(nm, sizeof nm, "%s.gz", name);
    put("rda", nm, o, cap - zs.avail_out);
    deflateEnd(&zs);
    free(o);
    /* bzip2 */
    unsigned bcap = (unsigned)(w->n + w->n / 100 + 700);
    o = malloc(bcap);
    if (BZ2_bzBuffToBuffCompress((char *)o, &bcap, (char *)w->b, (unsigned)w->n, 9, 0, 0) == BZ_OK) {
        snprintf(nm, sizeof nm, "%s.bz2", name);
        put("rda", nm, o, bcap);
    }
    free(o);
    /* xz */
    size_t xcap = lzma_stream_buffer_bound(w->n), pos = 0;
    o = malloc(xcap);
    if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, w->b, w->n, o, &pos, xcap) == LZMA_OK) {
        snprintf(nm, sizeof nm, "%s.xz", name);
        put("rda", nm, o, pos);
    }
    free(o);
}

/* ---- IDX ---- */

static void idx_seed(const char *name, int n, int rows, int cols, int gzipped)
{
    wbuf img = {0}, lab = {0};
    unsigned char h[4] = {0, 0, 0x08, 3};
    b_put(&img, h, 4);
    x_int(&img, n);
    x_int(&img, rows);
    x_int(&img, cols);
    for (int i = 0; i < n * rows * cols; i++) {
        unsigned char v = (unsigned char)((i * 37) & 0xFF);
        b_put(&img, &v, 1);
    }
    unsigned char hl[4] = {0, 0, 0x08, 1};
    b_put(&lab, hl, 4);
    x_int(&lab, n);
    for (int i = 0; i < n; i++) {
        unsigned char v = (unsigned char)(i % 10);
        b_put(&lab, &v, 1);
    }
    wbuf all = {0};
    if (gzipped) { /* the image file gzip'd, as Fashion-MNIST ships */
        uLongf cap = compressBound(img.n) + 64;
        unsigned char *o = malloc(cap);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        zs.next_in = img.b;
        zs.avail_in = (unsigned)img.n;
        zs.next_out = o;
        zs.avail_out = (unsigned)cap;
        deflate(&zs, Z_FINISH);
        size_t gn = cap - zs.avail_out;
        deflateEnd(&zs);
        x_int(&all, (int32_t)gn);
        b_put(&all, o, gn);
        free(o);
    } else {
        x_int(&all, (int32_t)img.n);
        b_put(&all, img.b, img.n);
    }
    b_put(&all, lab.b, lab.n);
    put("idx", name, all.b, all.n);
    free(img.b);
    free(lab.b);
    free(all.b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seeds OUTDIR\n");
        return 2;
    }
    out_dir = argv[1];
    mkdir(out_dir, 0755);
    /* CSV */
    put_text("csv", "fixed", "a,b,c,d\nx,1.5,0,40\ny,NA,4,7\nNA,,3,0\n\"x\",1e3,2,120\n");
    put_text("csv", "quotes-crlf", "d,c,\"a\",b\r\n7,1,\"y\",\"0.5\"\r\n8,2,x,\r\n\r\n9,0,\"x\",-1e6\r\n");
    put_text("csv", "bom-missing", "\xEF\xBB\xBF" "a,b,c,d\n?,?,1,1\nNA,NA,2,2\n");
    put_text("csv", "labels-then-missing", "kind,rate\nx,0.059999998658895493\nNA,0.87000000476837158\n"
                                           "y,2.4666666984558105\n,42.993198394775391\n");
    put_text("csv", "wide", "c0,c1,c2,c3,c4,c5,c6,c7\n1,a,2,b,3,c,4,d\n5,e,6,f,7,g,8,h\n");
    put_text("csv", "extremes", "big,tiny,neg0\n1.7976931348623157e308,4.9406564584124654e-324,-0\n"
                                "1.7976931348623157e308,5e-324,0\n");
    /* schemas */
    put_text("schema", "own",
             "{\"format\": \"privaudit-schema/1\", \"missing\": [\"\", \"NA\"], \"columns\": ["
             "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 120, \"integer\": true, "
             "\"role\": \"qi\", \"missing_value\": 0},"
             "{\"name\": \"city\", \"type\": \"categorical\", \"labels\": [\"Bern\", \"Gen\\u00e8ve\", \"NA\"], "
             "\"role\": [\"qi\"], \"missing_label\": \"NA\"},"
             "{\"name\": \"sick\", \"type\": \"categorical\", \"size\": 2, \"role\": \"secret\", \"missing_code\": 1},"
             "{\"name\": \"w\", \"type\": \"numeric\", \"min\": -1, \"max\": 0.059999998658895493}]}");
    put_text("schema", "domain", "{\"age\": 85, \"workclass\": 9, \"sex\": 2, \"income>50K\": 2}");
    put_text("schema", "inferred",
             "{\"format\": \"privaudit-schema/1\", \"inferred\": true, \"comment\": \"draft\", \"columns\": ["
             "{\"name\": \"x\", \"type\": \"numeric\", \"min\": 4.9406564584124654e-324, \"max\": 1e308}]}");
    /* configs (the committed configs/ are added by the Makefile) */
    put_text("config", "full",
             "{\"format\": \"privaudit-config/1\", \"name\": \"fuzz\", \"seed\": 3, \"comment\": \"seed\","
             " \"data\": {\"csv\": \"d.csv\", \"schema\": \"d.json\"}, \"split\": {\"aux\": 0.2, \"holdout\": 0.1},"
             " \"train_size\": 100, \"synth_size\": 50, \"games\": 40, \"calibration\": 0.5,"
             " \"targets\": {\"select\": \"random\", \"count\": 2}, \"neighbours\": \"replace-one\","
             " \"generators\": [{\"name\": \"marginals\", \"epsilon\": [1, \"inf\"], \"delta\": 1e-6,"
             " \"params\": {\"bins\": 8}}, {\"name\": \"external\", \"params\": {\"argv\": [\"cp\", \"{train}\","
             " \"{out}\"], \"timeout\": 5, \"max_rows\": 200, \"max_output_mb\": 2}}],"
             " \"attacks\": [{\"name\": \"dcr\"}, {\"name\": \"dcr\", \"label\": \"dcr-cal\", \"params\":"
             " {\"calibrate\": true}}], \"audit\": {\"alpha\": 0.05, \"delta\": 1e-5},"
             " \"utility\": {\"tvd\": [1, 2], \"max_sets\": 5}}");
    put_text("config", "given-targets",
             "{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"/x.csv\", \"schema\": \"/x.json\"},"
             " \"train_size\": 10, \"targets\": {\"ids\": [0, 5, 9]}, \"generators\": [{\"name\": \"resample\"}]}");
    /* R data */
    for (int v = 2; v <= 3; v++)
        for (int odd = 0; odd < 2; odd++) {
            wbuf w = rda_file(v, odd, 0);
            char nm[64];
            snprintf(nm, sizeof nm, "frame-v%d%s", v, odd ? "-odd" : "");
            put_compressed(nm, &w);
            free(w.b);
        }
    wbuf r = rda_file(3, 0, 1);
    put_compressed("saverds-v3", &r);
    free(r.b);
    /* IDX */
    idx_seed("plain-4x3x3", 4, 3, 3, 0);
    idx_seed("gzip-5x2x4", 5, 2, 4, 1);
    idx_seed("one", 1, 1, 1, 0);
    return 0;
}
