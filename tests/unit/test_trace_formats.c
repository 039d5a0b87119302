/*
 * test_trace_formats.c - traces/: the BurstGPT CSV, Mooncake JSONL and
 * native-CSV-with-every-column readers, gzip and zstd input, format
 * detection (TRACE_AUTO) and skip_bad_rows.
 *
 * BurstGPT (Wang et al., KDD 2025) data is not bundled: it was not
 * obtainable for this repository (only its schema was), so
 * tests/data/fmt_burstgpt.csv is written by hand in its exact format; its
 * first three rows are the ones quoted in BurstGPT's README.
 *
 * The Mooncake sample is the first 2,000 lines of the FAST'25
 * conversation trace (Qin et al., FAST 2025), traces/data/README.md.
 *
 * Runs with the repository root as the working directory; scratch files go
 * to /tmp.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "trace.h"
#include "check.h"

#define DATA     "tests/data/"
#define MOONCAKE "traces/data/mooncake_conversation_sample.jsonl"

static struct trace_cfg file_cfg(const char *path)
{
    struct trace_cfg c;
    memset(&c, 0, sizeof c);
    c.format = TRACE_AUTO;
    c.path = path;
    c.rate_scale = 1.0;
    return c;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

/* A scratch path unique to this process. */
static const char *tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "/tmp/lbsim_test_fmt_%ld_%s", (long)getpid(), name);
    return buf;
}

/* A digest of everything a reader returns, to compare two reads. */
struct digest {
    int rc;
    uint64_t n, skipped;
    uint64_t h;
    char err[512];
};

static void mix(uint64_t *h, uint64_t v)
{
    *h ^= v;
    *h *= 0x100000001b3ull;
}

static struct digest digest_of(const struct trace_cfg *cfg)
{
    struct digest d;
    memset(&d, 0, sizeof d);
    d.h = 0xcbf29ce484222325ull;
    d.rc = -99;
    struct trace_src *src = trace_open(cfg, 1, d.err, sizeof d.err);
    if (!src)
        return d;
    struct trace_rec r;
    while ((d.rc = trace_next(src, &r, d.err, sizeof d.err)) == 1) {
        mix(&d.h, (uint64_t)r.arrival_ns);
        mix(&d.h, (uint64_t)r.input_tokens);
        mix(&d.h, (uint64_t)r.output_tokens);
        mix(&d.h, r.session);
        mix(&d.h, r.priority);
        for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
            mix(&d.h, r.label[k]);
        mix(&d.h, r.line);
        mix(&d.h, (uint64_t)r.max_tokens);
        mix(&d.h, r.cache_key);
        mix(&d.h, r.flags);
        mix(&d.h, r.n_blocks);
        for (uint32_t i = 0; i < r.n_blocks; i++)
            mix(&d.h, r.blocks[i]);
        d.n++;
    }
    d.skipped = trace_skipped(src);
    trace_close(src);
    return d;
}

/* ---- BurstGPT ------------------------------------------------------------ */

static void test_burstgpt(void)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(DATA "fmt_burstgpt.csv");
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT_EQ(trace_format_of(src), TRACE_BURSTGPT);
    CHECK(strcmp(trace_format_name(TRACE_BURSTGPT), "burstgpt") == 0);
    /* Timestamps 5 .. 312 s, made relative to the first row */
    static const int64_t arr_ms[10] = {0,      40000,  113000, 116000, 128500,
                                       128500, 155000, 202250, 306000, 307000};
    static const int64_t in[10] = {472, 1087, 417, 1355, 238, 3051, 912, 64, 2788, 15};
    static const int64_t out[10] = {18, 230, 276, 0, 52, 612, 0, 129, 401, 7};
    static const uint32_t model[10] = {1, 1, 2, 1, 1, 2, 1, 2, 1, 1};
    static const uint32_t task[10] = {1, 1, 1, 1, 2, 2, 2, 1, 1, 2};
    struct trace_rec r;
    int failed = 0;
    for (int i = 0; i < 10; i++) {
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, arr_ms[i] * 1000000);
        CHECK_INT_EQ(r.input_tokens, in[i]);
        CHECK_INT_EQ(r.output_tokens, out[i]);
        CHECK_INT_EQ(r.label[TRACE_LABEL_MODEL_GROUP], model[i]);
        CHECK_INT_EQ(r.label[TRACE_LABEL_TASK], task[i]);
        CHECK_INT_EQ(r.line, i + 2);
        CHECK_INT_EQ(r.n_blocks, 0);
        /* failed requests (0 response tokens) are kept and flagged */
        CHECK_INT_EQ((r.flags & TRACE_REC_FAILED) != 0, out[i] == 0);
        failed += (r.flags & TRACE_REC_FAILED) != 0;
    }
    CHECK_INT_EQ(failed, 2);
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_MODEL_GROUP, 1), "ChatGPT") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_MODEL_GROUP, 2), "GPT-4") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_TASK, 1), "Conversation log") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_TASK, 2), "API log") == 0);
    trace_close(src);

    /* explicit format; rate_scale halves the times */
    c.format = TRACE_BURSTGPT;
    c.rate_scale = 2.0;
    src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (src) {
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, 20000000000LL);
        trace_close(src);
    }

    /* Total tokens != Request + Response: an error naming the line */
    c = file_cfg(DATA "fmt_burstgpt_bad_total.csv");
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_INT_EQ(d.n, 2);
    CHECK_STR_CONTAINS(d.err, "fmt_burstgpt_bad_total.csv:4:");
    CHECK_STR_CONTAINS(d.err, "Total tokens 690");
    CHECK_STR_CONTAINS(d.err, "417 + 276");
    /* ... or skipped and counted */
    c.skip_bad_rows = 1;
    d = digest_of(&c);
    CHECK_INT_EQ(d.rc, 0);
    CHECK_INT_EQ(d.n, 3);
    CHECK_INT_EQ(d.skipped, 1);

    /* BurstGPT reader on a native file; bad fields */
    char p[128];
    c = file_cfg(DATA "fmt_native_extra.csv");
    c.format = TRACE_BURSTGPT;
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "fmt_native_extra.csv:1:");
    CHECK_STR_CONTAINS(err, "Timestamp,Model,Request tokens");
    write_file(tmp_path(p, sizeof p, "bg_bad.csv"),
               "Log Type,Timestamp,Model,Request tokens,Response tokens,Total tokens\n"
               "API log,1.5,ChatGPT,10,5,15\n"
               "API log,x,ChatGPT,10,5,15\n");
    c = file_cfg(p);
    d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_INT_EQ(d.n, 1);
    CHECK_STR_CONTAINS(d.err, ":3: found Timestamp 'x'");
    remove(p);
}

/* ---- Mooncake ------------------------------------------------------------ */

static void test_mooncake_sample(void)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(MOONCAKE);
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT_EQ(trace_format_of(src), TRACE_MOONCAKE);
    struct trace_rec r;
    /* line 1: {"timestamp": 0, "input_length": 6758, "output_length": 500,
       "hash_ids": [0, 1, ..., 13]} */
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
    CHECK_INT_EQ(r.arrival_ns, 0);
    CHECK_INT_EQ(r.input_tokens, 6758);
    CHECK_INT_EQ(r.output_tokens, 500);
    CHECK_INT_EQ(r.n_blocks, 14);
    CHECK_INT_EQ(r.line, 1);
    int seq = r.blocks != NULL;
    for (uint32_t i = 0; seq && i < r.n_blocks; i++)
        seq = r.blocks[i] == i;
    CHECK(seq);
    /* line 2 shares block 0 (the system prompt) */
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
    CHECK_INT_EQ(r.n_blocks, 15);
    CHECK_INT_EQ(r.blocks[0], 0);
    CHECK_INT_EQ(r.blocks[1], 14);
    CHECK_INT_EQ(r.blocks[14], 27);

    /* every row: 512-token blocks, n_blocks == ceil(input / 512) (true of
       all 2,000 rows of the sample), sorted times, the last one 669000 ms */
    uint64_t n = 2, ceil_ok = 2, sum_blocks = 29;
    int64_t prev = 0, last = 0;
    int monotone = 1;
    int rc;
    while ((rc = trace_next(src, &r, err, sizeof err)) == 1) {
        n++;
        if ((int64_t)r.n_blocks == (r.input_tokens + 511) / 512)
            ceil_ok++;
        sum_blocks += r.n_blocks;
        if (r.arrival_ns < prev)
            monotone = 0;
        prev = last = r.arrival_ns;
        if ((uint64_t)r.line != n)
            monotone = 0;
    }
    CHECK_INT_EQ(rc, 0);
    CHECK_INT_EQ(n, 2000);
    CHECK_INT_EQ(ceil_ok, 2000);
    CHECK_INT_EQ(sum_blocks, 54559);
    CHECK_INT_EQ(last, 669000LL * 1000000);
    CHECK(monotone);
    trace_close(src);

    /* explicit format, rate_scale, limit */
    c.format = TRACE_MOONCAKE;
    c.rate_scale = 3.0;
    c.limit = 2000;
    struct digest d = digest_of(&c);
    CHECK_INT_EQ(d.rc, 0);
    CHECK_INT_EQ(d.n, 2000);
    src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (src) {
        int64_t lastv = 0;
        while (trace_next(src, &r, err, sizeof err) == 1)
            lastv = r.arrival_ns;
        CHECK_INT_EQ(lastv, 223000LL * 1000000);
        trace_close(src);
    }
}

/* One bad JSONL line after a good one: error at line 2 naming `what`. */
static void expect_jsonl_error(const char *line2, const char *what)
{
    char p[128], text[512];
    tmp_path(p, sizeof p, "bad.jsonl");
    snprintf(text, sizeof text,
             "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 2, \"hash_ids\": []}\n"
             "%s\n",
             line2);
    write_file(p, text);
    struct trace_cfg c = file_cfg(p);
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_INT_EQ(d.n, 1);
    CHECK_STR_CONTAINS(d.err, ".jsonl:2: found ");
    CHECK_STR_CONTAINS(d.err, what);
    c.skip_bad_rows = 1;
    d = digest_of(&c);
    CHECK_INT_EQ(d.rc, 0);
    CHECK_INT_EQ(d.n, 1);
    CHECK_INT_EQ(d.skipped, 1);
    remove(p);
}

static void test_mooncake_syntax(void)
{
    char p[128];
    /* keys in any order, white space, CRLF, blank lines, no final newline */
    write_file(tmp_path(p, sizeof p, "ok.jsonl"),
               "\t{ \"hash_ids\" : [ 7 ,8,\n"
               "\r\n"
               "  {\"output_length\":3,\"timestamp\":1000,\"input_length\":2}\r\n"
               "\n"
               "{\"timestamp\": 1500, \"input_length\": 0, \"output_length\": 0, "
               "\"hash_ids\": [18446744073709551615]}");
    /* line 1 is broken on purpose (the object continues on no other line) */
    struct trace_cfg c = file_cfg(p);
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, ":1: found the end of the line");
    write_file(p, "\t{ \"hash_ids\" : [ 7 ,8 ],\"input_length\":1024,\"output_length\" :9,"
                  "\"timestamp\" :  250 }  \r\n"
                  "\r\n"
                  "  {\"output_length\":3,\"timestamp\":1000,\"input_length\":2}\r\n"
                  "\n"
                  "{\"timestamp\": 1500, \"input_length\": 0, \"output_length\": 0, "
                  "\"hash_ids\": [18446744073709551615]}\n"
                  "{\"time\\u0073tamp\": 1600, \"input_\\u006Cength\": 5, \"output_length\": 0}");
    char err[512] = "";
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (src) {
        struct trace_rec r;
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, 0);
        CHECK_INT_EQ(r.input_tokens, 1024);
        CHECK_INT_EQ(r.output_tokens, 9);
        CHECK_INT_EQ(r.n_blocks, 2);
        CHECK_INT_EQ(r.blocks[1], 8);
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, 750000000);
        CHECK_INT_EQ(r.line, 3);
        CHECK_INT_EQ(r.n_blocks, 0);
        CHECK(r.blocks == NULL);
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, 1250000000);
        CHECK_INT_EQ(r.line, 5);
        CHECK_INT_EQ(r.n_blocks, 1);
        CHECK(r.blocks[0] == UINT64_MAX);
        /* escaped keys; no final newline */
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, 1350000000);
        CHECK_INT_EQ(r.input_tokens, 5);
        CHECK_INT_EQ(r.line, 6);
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 0);
        trace_close(src);
    }
    remove(p);

    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": 1, \"output_length\": 2, \"x\": 1}",
                       "unknown key 'x'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": 1, \"output_length\": 2, "
                       "\"timestamp\": 7}",
                       "'timestamp' twice");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": 1}", "no key 'output_length'");
    expect_jsonl_error("{\"timestamp\": 6.5, \"input_length\": 1, \"output_length\": 2}",
                       "timestamp '6.5', expected a non-negative integer");
    expect_jsonl_error("{\"timestamp\": 1e3, \"input_length\": 1, \"output_length\": 2}",
                       "timestamp '1e3'");
    expect_jsonl_error("{\"timestamp\": 06, \"input_length\": 1, \"output_length\": 2}",
                       "timestamp '06'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": -1, \"output_length\": 2}",
                       "input_length '-1'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": \"1\", \"output_length\": 2}",
                       "input_length '\"1\"'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": 1, \"output_length\": 2, "
                       "\"hash_ids\": [1, 2,]}",
                       "hash_ids entry ']'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": 1, \"output_length\": 2, "
                       "\"hash_ids\": [1 2]}",
                       "found '2' in hash_ids, expected ',' or ']'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length\": 1, \"output_length\": 2} x",
                       "found 'x' after the object");
    expect_jsonl_error("{\"timestamp\": 6 \"input_length\": 1}", "expected ',' or '}'");
    expect_jsonl_error("[1, 2]", "found '[', expected '{'");
    expect_jsonl_error("{\"timestamp\": 6, \"input_length", "the end of the line inside a string");
    expect_jsonl_error("{\"timestamp\": 6,", "found the end of the line, expected a key");
    expect_jsonl_error("{\"timestamp\": 6, \"x\\ty\": 1}", "unknown key 'x?y'");
    expect_jsonl_error("{\"timestamp\": 6, \"x\\q\": 1}", "escape '\\q'");
    expect_jsonl_error("{\"timestamp\": 6, \"\\u00zz\": 1}", "\\u escape");
    expect_jsonl_error("{\"timestamp\": 4, \"input_length\": 1, \"output_length\": 2}",
                       "timestamp 4 earlier");
    expect_jsonl_error("{\"timestamp\": 99999999999999999999, \"input_length\": 1, "
                       "\"output_length\": 2}",
                       "expected an integer <=");
}

/* A line longer than the 16 MiB cap is a bad row. */
static void test_mooncake_long_line(void)
{
    char p[128];
    FILE *f = fopen(tmp_path(p, sizeof p, "long.jsonl"), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n", f);
    fputs("{\"timestamp\": 1, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [", f);
    for (int i = 0; i < 2200000; i++) /* 2.2M ids x 8 bytes > 16 MiB */
        fputs(i ? ",1234567" : "1234567", f);
    fputs("]}\n{\"timestamp\": 2, \"input_length\": 1, \"output_length\": 1}\n", f);
    fclose(f);
    struct trace_cfg c = file_cfg(p);
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_INT_EQ(d.n, 1);
    CHECK_STR_CONTAINS(d.err, "long.jsonl:2: found a line longer than 16777216 bytes");
    c.skip_bad_rows = 1;
    d = digest_of(&c);
    CHECK_INT_EQ(d.rc, 0);
    CHECK_INT_EQ(d.n, 2);
    CHECK_INT_EQ(d.skipped, 1);
    remove(p);
}

/* ---- native: the optional columns of the traffic issue ------------------- */

static void test_native_extra(void)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(DATA "fmt_native_extra.csv");
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT_EQ(trace_format_of(src), TRACE_NATIVE);
    struct trace_rec r[5];
    static const int64_t maxt[5] = {256, 0, 4096, 0, 0};
    static const uint32_t nb[5] = {2, 3, 3, 0, 3};
    static const uint64_t blk[5][3] = {{11, 12, 0}, {11, 12, 13}, {7, 8, 9}, {0}, {21, 22, 23}};
    for (int i = 0; i < 5; i++) {
        CHECK_INT_EQ(trace_next(src, &r[i], err, sizeof err), 1);
        CHECK_INT_EQ(r[i].max_tokens, maxt[i]);
        CHECK_INT_EQ(r[i].n_blocks, nb[i]);
        for (uint32_t k = 0; k < r[i].n_blocks && k < 3; k++)
            CHECK_INT_EQ(r[i].blocks[k], blk[i][k]);
        CHECK_INT_EQ(r[i].flags, 0);
    }
    struct trace_rec end;
    CHECK_INT_EQ(trace_next(src, &end, err, sizeof err), 0);
    /* cache_key: FNV-1a 64 of the text; equal text, equal key; empty = 0 */
    CHECK(r[0].cache_key != 0);
    CHECK(r[0].cache_key == r[2].cache_key);
    CHECK(r[4].cache_key != 0 && r[4].cache_key != r[0].cache_key);
    CHECK_INT_EQ(r[1].cache_key, 0);
    CHECK_INT_EQ(r[3].cache_key, 0);
    CHECK(r[0].session == r[1].session && r[0].session != 0);
    CHECK_INT_EQ(r[2].session, 0);
    CHECK(r[0].cache_key != r[0].session);
    trace_close(src);

    /* bad values, each at line 3 after a good line 2 */
    static const struct {
        const char *row, *what;
    } bad[] = {
        {"1,1,1,-3,,,", "max_tokens '-3'"},
        {"1,1,1,x,,,", "max_tokens 'x'"},
        {"1,1,1,,1 2 z,,", "prefix_hashes entry 'z'"},
        {"1,1,1,,1 -2,,", "prefix_hashes entry '-2'"},
        {"1,1,1,,18446744073709551616,,", "prefix_hashes entry '18446744073709551616'"},
    };
    char p[128], text[256];
    tmp_path(p, sizeof p, "native_bad.csv");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "arrival_s,input_tokens,output_tokens,max_tokens,prefix_hashes,cache_key,"
                 "session\n0,1,1,5,1;2,k,s\n%s\n2,2,2,,,,\n",
                 bad[i].row);
        write_file(p, text);
        c = file_cfg(p);
        struct digest d = digest_of(&c);
        CHECK(d.rc < 0);
        CHECK_INT_EQ(d.n, 1);
        CHECK_STR_CONTAINS(d.err, "native_bad.csv:3: found ");
        CHECK_STR_CONTAINS(d.err, bad[i].what);
        c.skip_bad_rows = 1;
        d = digest_of(&c);
        CHECK_INT_EQ(d.rc, 0);
        CHECK_INT_EQ(d.n, 2);
        CHECK_INT_EQ(d.skipped, 1);
    }
    /* the valid-column list names the new columns */
    write_file(p, "arrival_s,input_tokens,output_tokens,colour\n");
    c = file_cfg(p);
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "unknown column 'colour'");
    CHECK_STR_CONTAINS(err, "max_tokens, prefix_hashes, cache_key");

    /* 4096 prefix hashes per row at most */
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("arrival_s,input_tokens,output_tokens,prefix_hashes\n", f);
        for (int row = 0; row < 2; row++) {
            fprintf(f, "%d,1,1,", row);
            for (int k = 0; k < 4096 + row; k++)
                fprintf(f, "%s%d", k ? " " : "", k);
            fputc('\n', f);
        }
        fclose(f);
        struct digest d = digest_of(&c);
        CHECK(d.rc < 0);
        CHECK_INT_EQ(d.n, 1);
        CHECK_STR_CONTAINS(d.err, ":3: found more than 4096 prefix_hashes");
    }
    remove(p);
}

/* Many rows with prefix hashes, across many libcsv slices and ring refills:
 * every row's blocks come back intact, also gzip- and zstd-compressed (in
 * two members / frames each). */
static void test_native_blocks_stream(void)
{
    char plain[128], gz[128], zs[128];
    tmp_path(plain, sizeof plain, "blocks.csv");
    tmp_path(gz, sizeof gz, "blocks.csv.gz");
    tmp_path(zs, sizeof zs, "blocks.csv.zst");
    const int rows = 60000;
    size_t cap = 8u << 20, len = 0;
    char *text = malloc(cap);
    CHECK(text != NULL);
    if (!text)
        return;
    len += (size_t)snprintf(text, cap, "prefix_hashes,arrival_s,input_tokens,output_tokens\n");
    size_t half = 0;
    for (int i = 0; i < rows; i++) {
        int nb = (i * 7919) % 23; /* 0..22 */
        if (i == 30000)
            nb = 4096;
        if (i == rows / 2)
            half = len;
        text[len++] = '"';
        for (int k = 0; k < nb; k++)
            len += (size_t)snprintf(text + len, cap - len, "%s%llu", k ? ";" : "",
                                    (unsigned long long)i * 100000ull + (unsigned long long)k);
        len += (size_t)snprintf(text + len, cap - len, "\",%d.%03d,%d,%d\n", i / 1000, i % 1000,
                                nb * 512, i % 100);
        CHECK(len < cap - 65536);
    }
    FILE *f = fopen(plain, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
    /* gzip: two members, split inside a row */
    gzFile g = gzopen(gz, "wb6");
    CHECK(g != NULL);
    if (g) {
        gzwrite(g, text, (unsigned)(half + 5));
        gzclose(g);
    }
    g = gzopen(gz, "ab6");
    CHECK(g != NULL);
    if (g) {
        gzwrite(g, text + half + 5, (unsigned)(len - half - 5));
        gzclose(g);
    }
    /* zstd: two frames */
    size_t zcap = ZSTD_compressBound(len) + 64;
    char *z = malloc(zcap);
    CHECK(z != NULL);
    if (z) {
        size_t a = ZSTD_compress(z, zcap, text, half, 3);
        size_t b = ZSTD_compress(z + a, zcap - a, text + half, len - half, 3);
        CHECK(!ZSTD_isError(a) && !ZSTD_isError(b));
        f = fopen(zs, "wb");
        CHECK(f != NULL);
        if (f) {
            fwrite(z, 1, a + b, f);
            fclose(f);
        }
        free(z);
    }
    free(text);

    char err[512] = "";
    struct trace_cfg c = file_cfg(plain);
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (src) {
        struct trace_rec r;
        int i = 0, ok = 1;
        while (trace_next(src, &r, err, sizeof err) == 1) {
            uint32_t nb = (uint32_t)((i * 7919) % 23);
            if (i == 30000)
                nb = 4096;
            if (r.n_blocks != nb || r.input_tokens != (int64_t)nb * 512 ||
                r.line != (uint64_t)i + 2)
                ok = 0;
            for (uint32_t k = 0; ok && k < nb; k++)
                if (r.blocks[k] != (uint64_t)i * 100000ull + k)
                    ok = 0;
            i++;
        }
        CHECK(ok);
        CHECK_INT_EQ(i, rows);
        trace_close(src);
    }
    struct digest dp = digest_of(&c);
    c = file_cfg(gz);
    struct digest dg = digest_of(&c);
    c = file_cfg(zs);
    struct digest dz = digest_of(&c);
    CHECK_INT_EQ(dp.rc, 0);
    CHECK_INT_EQ(dp.n, rows);
    CHECK_INT_EQ(dg.rc, 0);
    CHECK_INT_EQ(dz.rc, 0);
    CHECK(dg.h == dp.h && dg.n == dp.n);
    CHECK(dz.h == dp.h && dz.n == dp.n);
    remove(plain);
    remove(gz);
    remove(zs);
}

/* ---- compression ---------------------------------------------------------- */

static void test_compressed(void)
{
    struct trace_cfg c = file_cfg(DATA "fmt_native_extra.csv");
    struct digest plain = digest_of(&c);
    CHECK_INT_EQ(plain.rc, 0);
    CHECK_INT_EQ(plain.n, 5);
    /* committed fixtures: gzip -k -n -9, zstd -19, and the file cut after
       line 3 and compressed in two members / frames */
    static const char *const same[] = {
        DATA "fmt_native_extra.csv.gz",
        DATA "fmt_native_extra.csv.zst",
        DATA "fmt_native_2members.csv.gz",
        DATA "fmt_native_2frames.csv.zst",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        c = file_cfg(same[i]);
        struct digest d = digest_of(&c);
        CHECK_INT_EQ(d.rc, 0);
        CHECK_INT_EQ(d.n, plain.n);
        CHECK(d.h == plain.h);
        c.format = TRACE_NATIVE;
        d = digest_of(&c);
        CHECK(d.h == plain.h);
    }
    /* the Azure trace gzip-compressed: same rows */
    char p[128];
    gzFile g = gzopen(tmp_path(p, sizeof p, "azure.csv.gz"), "wb9");
    FILE *f = fopen("traces/data/AzureLLMInferenceTrace_conv.csv", "rb");
    CHECK(g != NULL && f != NULL);
    if (g && f) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            gzwrite(g, buf, (unsigned)n);
    }
    if (g)
        gzclose(g);
    if (f)
        fclose(f);
    c = file_cfg(p);
    struct digest dg = digest_of(&c);
    c = file_cfg("traces/data/AzureLLMInferenceTrace_conv.csv");
    struct digest da = digest_of(&c);
    CHECK_INT_EQ(dg.rc, 0);
    CHECK_INT_EQ(dg.n, 19366);
    CHECK(dg.h == da.h);
    remove(p);

    /* corrupt and truncated input: errors naming the file and the fault */
    char err[512] = "";
    c = file_cfg(DATA "fmt_corrupt.csv.gz");
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "fmt_corrupt.csv.gz: corrupt gzip data");
    c = file_cfg(DATA "fmt_truncated.csv.zst");
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "fmt_truncated.csv.zst: truncated zstd data");
    /* a gzip cut short after the header row */
    c = file_cfg(tmp_path(p, sizeof p, "cut.csv.gz"));
    g = gzopen(p, "wb1");
    CHECK(g != NULL);
    if (g) {
        gzputs(g, "arrival_s,input_tokens,output_tokens\n");
        for (int i = 0; i < 200000; i++)
            gzprintf(g, "%d,%d,%d\n", i, (i * 31) % 977, (i * 17) % 101);
        gzclose(g);
    }
    f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        CHECK(truncate(p, size / 2) == 0);
    }
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK(d.n > 1000 && d.n < 200000);
    CHECK_STR_CONTAINS(d.err, "cut.csv.gz: truncated gzip data");
    /* skip_bad_rows does not hide it */
    c.skip_bad_rows = 1;
    d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, "truncated gzip data");
    remove(p);
    /* zstd magic, then garbage */
    c = file_cfg(tmp_path(p, sizeof p, "bad.csv.zst"));
    write_file(p, "\x28\xb5\x2f\xfd garbage that is no zstd frame");
    d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, "bad.csv.zst: corrupt zstd data");
    remove(p);
    /* a corrupt Mooncake .jsonl.gz */
    c = file_cfg(tmp_path(p, sizeof p, "bad.jsonl.gz"));
    write_file(p, "\x1f\x8b\x08\x00garbage that is no deflate stream");
    d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, "bad.jsonl.gz: ");
    CHECK_STR_CONTAINS(d.err, "gzip data");
    remove(p);
}

/* A native CSV of exactly `size` bytes, rows of "<arrival>,100,10\n": the
 * last arrival is padded with leading zeros to land on the size.  The row
 * count goes to *rows.  malloc'd, the caller frees. */
static char *exact_csv(size_t size, int *rows)
{
    static const char head[] = "arrival_s,input_tokens,output_tokens\n";
    char *t = malloc(size + 64);
    if (!t)
        return NULL;
    size_t len = strlen(head);
    memcpy(t, head, len);
    int n = 0;
    char row[64];
    for (;;) {
        int w = snprintf(row, sizeof row, "%d,100,10\n", n);
        if (len + (size_t)w + 32 > size)
            break;
        memcpy(t + len, row, (size_t)w);
        len += (size_t)w;
        n++;
    }
    /* the last row: "<zeros><n>,100,10\n" filling what is left */
    int w = snprintf(row, sizeof row, "%d,100,10\n", n);
    size_t pad = size - len - (size_t)w;
    memset(t + len, '0', pad);
    memcpy(t + len + pad, row, (size_t)w);
    len += pad + (size_t)w;
    *rows = n + 1;
    return t;
}

/* A zstd trace whose decompressed size is an exact multiple of the
 * reader's output buffer (256 KiB, trace_io.c OUT_SIZE) is whole, not
 * truncated: the decoder fills the buffer with the frame's last bytes and
 * says the frame is done only on the next, empty call.  One frame with a
 * content checksum and one without, at 1x and 2x the buffer. */
static void test_zstd_exact_buffer(void)
{
    static const size_t sizes[] = {1u << 18, 2u << 18};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (int checksum = 0; checksum <= 1; checksum++) {
            int rows = 0;
            char *text = exact_csv(sizes[si], &rows);
            CHECK(text != NULL);
            if (!text)
                return;
            size_t zcap = ZSTD_compressBound(sizes[si]);
            char *z = malloc(zcap);
            ZSTD_CCtx *cc = ZSTD_createCCtx();
            CHECK(z != NULL && cc != NULL);
            size_t zn = 0;
            if (z && cc) {
                ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum);
                zn = ZSTD_compress2(cc, z, zcap, text, sizes[si]);
                CHECK(!ZSTD_isError(zn));
            }
            char p[128];
            tmp_path(p, sizeof p, "exact.csv.zst");
            FILE *f = fopen(p, "wb");
            CHECK(f != NULL);
            if (f && z) {
                fwrite(z, 1, zn, f);
                fclose(f);
            }
            struct trace_cfg c = file_cfg(p);
            struct digest d = digest_of(&c);
            CHECK_INT_EQ(d.rc, 0);
            CHECK_INT_EQ(d.n, rows);
            if (d.rc != 0)
                fprintf(stderr, "  size %zu checksum %d: %s\n", sizes[si], checksum, d.err);
            remove(p);
            ZSTD_freeCCtx(cc);
            free(z);
            free(text);
        }
    }
}

/* ---- skip_bad_rows on the CSV readers ------------------------------------- */

static void test_skip_bad_rows(void)
{
    char p[128];
    write_file(tmp_path(p, sizeof p, "skip.csv"), "arrival_s,input_tokens,output_tokens,priority\n"
                                                  "0,1,1,0\n"
                                                  "2,1,1,0\n"
                                                  "3,x,1,0\n"   /* not a number */
                                                  "3,1,1\n"     /* too few fields */
                                                  "1.5,1,1,0\n" /* backwards */
                                                  "3,1,1,0,9\n" /* too many fields */
                                                  "4,1,1,-1\n"  /* bad priority */
                                                  "5,2,2,1\n");
    struct trace_cfg c = file_cfg(p);
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_INT_EQ(d.n, 2);
    CHECK_STR_CONTAINS(d.err, "skip.csv:4: found input_tokens 'x'");
    c.skip_bad_rows = 1;
    char err[512] = "";
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (src) {
        /* rows are read ahead, so the count is final only at the end */
        static const uint64_t line[3] = {2, 3, 9};
        static const int64_t arr[3] = {0, 2000000000LL, 5000000000LL};
        struct trace_rec r;
        for (int i = 0; i < 3; i++) {
            CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
            CHECK_INT_EQ(r.line, line[i]);
            CHECK_INT_EQ(r.arrival_ns, arr[i]);
        }
        CHECK_INT_EQ(r.priority, 1);
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 0);
        CHECK_INT_EQ(trace_skipped(src), 5);
        trace_close(src);
    }
    /* Azure rows too */
    write_file(p, "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
                  "2023-11-16 18:15:46.6805900,374,44\r\n"
                  "2023-13-16 18:15:47.0000000,1,1\r\n"
                  "2023-11-16 18:15:48.0000000,2,2");
    c = file_cfg(p);
    c.skip_bad_rows = 1;
    d = digest_of(&c);
    CHECK_INT_EQ(d.rc, 0);
    CHECK_INT_EQ(d.n, 2);
    CHECK_INT_EQ(d.skipped, 1);
    /* malformed CSV and header errors are never skipped */
    write_file(p, "arrival_s,input_tokens,output_tokens\n0,1,1\n1,\"2\"x,1\n2,1,1\n");
    d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, "malformed CSV");
    write_file(p, "arrival_s,input_tokens\n0,1\n");
    d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, "without column 'output_tokens'");
    remove(p);
}

/* ---- format detection ------------------------------------------------------ */

static void expect_auto(const char *path, enum trace_format want)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(path);
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "  %s: %s\n", path, err);
        return;
    }
    CHECK_INT_EQ(trace_format_of(src), want);
    trace_close(src);
}

static void test_auto(void)
{
    expect_auto("traces/data/AzureLLMInferenceTrace_code.csv", TRACE_AZURE2023);
    expect_auto(DATA "fmt_burstgpt.csv", TRACE_BURSTGPT);
    expect_auto(DATA "fmt_native_extra.csv", TRACE_NATIVE);
    expect_auto(DATA "fmt_native_extra.csv.gz", TRACE_NATIVE);
    expect_auto(DATA "fmt_native_extra.csv.zst", TRACE_NATIVE);
    expect_auto(MOONCAKE, TRACE_MOONCAKE); /* by extension */

    /* by content: '{' first (after white space), whatever the name */
    char p[128], q[128];
    const char *obj = "{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 4}\n";
    write_file(tmp_path(p, sizeof p, "requests.log"), obj);
    expect_auto(p, TRACE_MOONCAKE);
    write_file(p, "\xEF\xBB\xBF \n{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 4}\n");
    expect_auto(p, TRACE_MOONCAKE);
    /* compressed JSONL, by content and by extension */
    gzFile g = gzopen(tmp_path(q, sizeof q, "requests.dat"), "wb");
    CHECK(g != NULL);
    if (g) {
        gzputs(g, obj);
        gzclose(g);
    }
    expect_auto(q, TRACE_MOONCAKE);
    remove(q);
    size_t zcap = ZSTD_compressBound(strlen(obj));
    char *z = malloc(zcap);
    if (z) {
        size_t zn = ZSTD_compress(z, zcap, obj, strlen(obj), 1);
        FILE *f = fopen(tmp_path(q, sizeof q, "requests.jsonl.zst"), "wb");
        CHECK(f != NULL);
        if (f) {
            fwrite(z, 1, zn, f);
            fclose(f);
        }
        free(z);
        expect_auto(q, TRACE_MOONCAKE);
        remove(q);
    }
    /* a .jsonl name wins over the content: a CSV in it is a JSONL error */
    write_file(tmp_path(q, sizeof q, "x.jsonl"), "arrival_s,input_tokens,output_tokens\n");
    struct trace_cfg c = file_cfg(q);
    struct digest d = digest_of(&c);
    CHECK(d.rc < 0);
    CHECK_STR_CONTAINS(d.err, "x.jsonl:1: found 'arrival_s");
    CHECK_STR_CONTAINS(d.err, "expected '{'");
    remove(q);
    /* a missing file is reported by the reader, whatever the guess */
    c = file_cfg("tests/data/no_such_file.jsonl");
    d = digest_of(&c);
    CHECK_STR_CONTAINS(d.err, "no_such_file.jsonl: cannot open");
    c = file_cfg("tests/data/no_such_file.csv.gz");
    d = digest_of(&c);
    CHECK_STR_CONTAINS(d.err, "no_such_file.csv.gz: cannot open");
    /* an unrecognised header lists the three CSV formats */
    write_file(p, "time,in,out\n1,2,3\n");
    c = file_cfg(p);
    d = digest_of(&c);
    CHECK_STR_CONTAINS(d.err, "(azure2023)");
    CHECK_STR_CONTAINS(d.err, "(burstgpt)");
    CHECK_STR_CONTAINS(d.err, "arrival_s");
    remove(p);
}

int main(void)
{
    test_burstgpt();
    test_mooncake_sample();
    test_mooncake_syntax();
    test_mooncake_long_line();
    test_native_extra();
    test_native_blocks_stream();
    test_compressed();
    test_zstd_exact_buffer();
    test_skip_bad_rows();
    test_auto();
    return check_report("test_trace_formats");
}
