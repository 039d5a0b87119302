/*
 * test_scn_load_mem.c - the from-memory entries of the fuzz targets
 * (fuzz/README.md) read as the file paths do: scn_load_mem against
 * scn_load on the same bytes (the same scenario, the same error message),
 * trace_cfg.data against the file (the same rows and the same error, plain,
 * gzip and zstd, through the same decoders).
 */
#include <stdlib.h>

#include "check.h"

#define CHECK_STR_EQ(a, b) CHECK(strcmp((a), (b)) == 0)
#include "scn.h"
#include "trace.h"

#define DATA "tests/data/"

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *b = malloc(1 << 20);
    *len = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    return b;
}

/* Load `path` both ways; the same rc, error text, and a few fields. */
static void same_scenario(const char *path, int want_rc)
{
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b != NULL);
    if (!b)
        return;
    struct scenario f, m;
    char ef[1024], em[1024];
    int rf = scn_load(path, &f, ef, sizeof ef);
    int rm = scn_load_mem(path, b, len, NULL, NULL, 0, &m, em, sizeof em);
    CHECK_INT_EQ(rf, want_rc);
    CHECK_INT_EQ(rm, want_rc);
    if (rf != 0 && rm != 0) {
        CHECK_STR_EQ(ef, em);
    } else if (rf == 0 && rm == 0) {
        CHECK_INT_EQ(f.n_backends, m.n_backends);
        CHECK_INT_EQ(f.seed, m.seed);
        CHECK_INT_EQ(f.traffic.format, m.traffic.format);
        CHECK_STR_EQ(f.path, m.path);
        CHECK_STR_EQ(f.backends[0].name, m.backends[0].name);
        if (f.traffic.path && m.traffic.path)
            CHECK_STR_EQ(f.traffic.path, m.traffic.path); /* relative to the file's folder */
        scn_free(&f);
        scn_free(&m);
    }
    free(b);
}

/* Read every row of `path` from the file and from memory: the same rows,
 * the same end (rc and message). */
static void same_rows(const char *path, enum trace_format fmt)
{
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b != NULL);
    if (!b)
        return;
    struct trace_cfg c = {.format = fmt, .path = path, .rate_scale = 1};
    struct trace_cfg d = c;
    d.data = b;
    d.data_len = len;
    char ef[512] = "", em[512] = "";
    struct trace_src *sf = trace_open(&c, 1, ef, sizeof ef);
    struct trace_src *sm = trace_open(&d, 1, em, sizeof em);
    CHECK_INT_EQ(sf != NULL, sm != NULL);
    CHECK_STR_EQ(ef, em);
    if (sf && sm) {
        struct trace_rec a, r;
        int ra, rr;
        uint64_t rows = 0;
        do {
            ra = trace_next(sf, &a, ef, sizeof ef);
            rr = trace_next(sm, &r, em, sizeof em);
            CHECK_INT_EQ(ra, rr);
            if (ra == 1 && rr == 1) {
                CHECK_INT_EQ(a.arrival_ns, r.arrival_ns);
                CHECK_INT_EQ(a.input_tokens, r.input_tokens);
                CHECK_INT_EQ(a.output_tokens, r.output_tokens);
                rows++;
            }
        } while (ra == 1 && rr == 1);
        if (ra < 0 && rr < 0)
            CHECK_STR_EQ(ef, em);
        CHECK(rows > 0 || ra < 0);
    }
    trace_close(sf);
    trace_close(sm);
    free(b);
}

int main(void)
{
    same_scenario(DATA "set_base.yaml", 0);
    same_scenario(DATA "cli_small.yaml", 0);
    same_scenario(DATA "cli_bad_syntax.yaml", -1);
    same_scenario(DATA "cli_bad_key.yaml", -1);
    same_scenario(DATA "cli_bad_unit.yaml", -1);

    /* the file's own cap on size, from memory too */
    struct scenario s;
    char err[256];
    static const unsigned char one[1] = {'a'};
    CHECK_INT_EQ(
        scn_load_mem(DATA "x.yaml", one, (size_t)1 << 30, NULL, NULL, 0, &s, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "larger than");
    CHECK_INT_EQ(scn_load_mem(DATA "x.yaml", NULL, 0, NULL, NULL, 0, &s, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "empty document");

    same_rows(DATA "fmt_native_extra.csv.gz", TRACE_AUTO);
    same_rows(DATA "fmt_native_extra.csv.zst", TRACE_AUTO);
    same_rows(DATA "fmt_native_2members.csv.gz", TRACE_NATIVE);
    same_rows(DATA "fmt_native_2frames.csv.zst", TRACE_NATIVE);
    same_rows(DATA "fmt_corrupt.csv.gz", TRACE_AUTO);
    same_rows(DATA "fmt_truncated.csv.zst", TRACE_AUTO);
    same_rows(DATA "cli_bad_row.csv", TRACE_AUTO);
    same_rows("traces/data/mooncake_conversation_sample.jsonl", TRACE_AUTO);
    same_rows(DATA "gen_sg_ok-trace.csv", TRACE_SERVEGEN);
    return check_report("test_scn_load_mem");
}
