/*
 * test_trace_mem.c - traces/trace_mem.c: a replay from memory gives, call
 * for call, what the stream gave (records with every field and block hash,
 * label strings and ids, skip counts, the sticky error of a bad row); the
 * stop at a duration; the byte cap; `repeat_to` replayed from memory equal
 * to the known pass arithmetic.  Runs from the repository root.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "trace.h"

#define CONV "traces/data/AzureLLMInferenceTrace_conv.csv"
#define MOON "traces/data/mooncake_conversation_sample.jsonl"
#define DATA "tests/data/"

static const int64_t S = 1000000000LL;

static int rec_equal(const struct trace_rec *a, const struct trace_rec *b)
{
    if (a->arrival_ns != b->arrival_ns || a->input_tokens != b->input_tokens ||
        a->output_tokens != b->output_tokens || a->session != b->session ||
        a->priority != b->priority || a->line != b->line || a->max_tokens != b->max_tokens ||
        a->cache_key != b->cache_key || a->flags != b->flags || a->n_blocks != b->n_blocks)
        return 0;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        if (a->label[k] != b->label[k])
            return 0;
    return a->n_blocks == 0 || memcmp(a->blocks, b->blocks, a->n_blocks * sizeof *a->blocks) == 0;
}

/* Stream cfg and replay its copy side by side; returns the rows compared
 * (all equal, else -1); *skipped the final skip count. */
static long long compare_replay(const struct trace_cfg *cfg, int64_t stop_at, uint64_t *skipped,
                                char *last_err)
{
    char err[512], e2[512];
    struct trace_src *a = trace_open(cfg, 7, err, sizeof err);
    struct trace_src *b = trace_open(cfg, 7, err, sizeof err);
    CHECK(a != NULL && b != NULL);
    if (!a || !b)
        return -1;
    struct trace_mem *m = NULL;
    CHECK_INT_EQ(trace_mem_build(b, stop_at, TRACE_MEM_CAP_BYTES, &m, err, sizeof err), 1);
    trace_close(b);
    struct trace_src *r = trace_open_mem(m, err, sizeof err);
    CHECK(r != NULL);
    CHECK_INT_EQ(trace_format_of(r), trace_format_of(a));
    long long n = 0;
    for (;;) {
        struct trace_rec x, y;
        int ra = trace_next(a, &x, err, sizeof err);
        int rb = trace_next(r, &y, e2, sizeof e2);
        if (ra != rb || trace_skipped(a) != trace_skipped(r)) {
            n = -1;
            break;
        }
        if (ra < 0) {
            if (strcmp(err, e2) != 0)
                n = -1;
            snprintf(last_err, 512, "%s", err);
            break;
        }
        if (ra == 0)
            break;
        if (!rec_equal(&x, &y)) {
            n = -1;
            break;
        }
        for (int k = 0; k < TRACE_LABEL_KINDS_; k++) {
            const char *la = trace_label(a, (enum trace_label_kind)k, x.label[k]);
            const char *lb = trace_label(r, (enum trace_label_kind)k, y.label[k]);
            if ((la == NULL) != (lb == NULL) || (la && strcmp(la, lb) != 0))
                n = -1;
        }
        if (n < 0)
            break;
        n++;
        if (stop_at > 0 && x.arrival_ns >= stop_at)
            break;
    }
    *skipped = trace_skipped(r);
    trace_close(a);
    trace_close(r);
    trace_mem_free(m);
    return n;
}

static void test_formats(void)
{
    uint64_t sk;
    char e[512] = "";
    /* Azure 2023 conversation trace: 19,366 rows (traces/data/README.md) */
    struct trace_cfg c = {.format = TRACE_AZURE2023, .path = CONV, .rate_scale = 4};
    CHECK_INT_EQ(compare_replay(&c, 0, &sk, e), 19366);
    /* stop at 60 s of (scaled) trace time: the rows before, plus the first after */
    long long to60 = compare_replay(&c, 60 * S, &sk, e);
    CHECK(to60 > 100 && to60 < 19366);
    /* native with max_tokens, prefix hashes, cache key and session */
    c = (struct trace_cfg){
        .format = TRACE_AUTO, .path = DATA "fmt_native_extra.csv", .rate_scale = 1};
    CHECK(compare_replay(&c, 0, &sk, e) > 0);
    /* Mooncake JSONL with block hashes, and overrides interning labels */
    c = (struct trace_cfg){.format = TRACE_MOONCAKE, .path = MOON, .rate_scale = 1};
    snprintf(c.set_label[TRACE_LABEL_TENANT], sizeof c.set_label[0], "acme");
    CHECK(compare_replay(&c, 0, &sk, e) > 100);
    /* bad rows skipped: 3 good rows of 5, 2 skipped, counted at the same calls */
    c = (struct trace_cfg){.format = TRACE_AUTO,
                           .path = DATA "cli_skip_rows.csv",
                           .rate_scale = 1,
                           .skip_bad_rows = 1};
    CHECK_INT_EQ(compare_replay(&c, 0, &sk, e), 3);
    CHECK_INT_EQ(sk, 2);
    /* a bad row: the replay fails at the same call with the same message */
    c = (struct trace_cfg){.format = TRACE_AUTO, .path = DATA "cli_bad_row.csv", .rate_scale = 1};
    CHECK_INT_EQ(compare_replay(&c, 0, &sk, e), 2);
    CHECK(strstr(e, "cli_bad_row.csv:4") != NULL);
    /* repeat_to (replayed from memory after the first pass) */
    c = (struct trace_cfg){
        .format = TRACE_AZURE2023, .path = CONV, .rate_scale = 1, .repeat_to_ns = 3 * 3600 * S};
    CHECK(compare_replay(&c, 0, &sk, e) > 3 * 19366 - 100);
}

static void test_cap(void)
{
    char err[256];
    struct trace_cfg c = {.format = TRACE_AZURE2023, .path = CONV, .rate_scale = 1};
    struct trace_src *s = trace_open(&c, 1, err, sizeof err);
    struct trace_mem *m = (struct trace_mem *)&c;
    /* 19,366 rows of 32 bytes do not fit in 64 KiB: 0, nothing built */
    CHECK_INT_EQ(trace_mem_build(s, 0, 64 << 10, &m, err, sizeof err), 0);
    CHECK(m == NULL);
    trace_close(s);
    s = trace_open(&c, 1, err, sizeof err);
    CHECK_INT_EQ(trace_mem_build(s, 0, 2 << 20, &m, err, sizeof err), 1);
    /* arrival, input, output, line: 32 bytes a row (rows rounded up to 32,768) */
    CHECK_INT_EQ(trace_mem_bytes(m), 32 * (32768 + 1));
    trace_close(s);
    trace_mem_free(m);
}

/* repeat_to: passes 2.. come from memory; the same rows as re-reading. */
static void test_repeat_rows(void)
{
    char err[256];
    struct trace_cfg c = {.format = TRACE_AZURE2023, .path = CONV, .rate_scale = 1};
    struct trace_src *s = trace_open(&c, 1, err, sizeof err);
    struct trace_rec r;
    uint64_t n = 0;
    int64_t last = 0;
    while (trace_next(s, &r, err, sizeof err) == 1) {
        n++;
        last = r.arrival_ns;
    }
    trace_close(s);
    CHECK_INT_EQ(n, 19366);
    int64_t pass = last + last / (int64_t)n;
    c.repeat_to_ns = 3 * pass; /* exactly three passes */
    s = trace_open(&c, 1, err, sizeof err);
    uint64_t m = 0;
    int64_t prev = -1;
    int mono = 1;
    uint64_t line_third = 0;
    while (trace_next(s, &r, err, sizeof err) == 1) {
        if (r.arrival_ns < prev)
            mono = 0;
        prev = r.arrival_ns;
        if (m == 2 * n)
            line_third = r.line;
        m++;
    }
    trace_close(s);
    CHECK_INT_EQ(m, 3 * n);
    CHECK(mono);
    CHECK_INT_EQ(line_third, 2); /* the first data row again, on line 2 */
}

int main(void)
{
    test_formats();
    test_cap();
    test_repeat_rows();
    return check_report("test_trace_mem");
}
