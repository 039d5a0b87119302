/*
 * bench_trace.c - native CSV read throughput and memory flat in trace
 * length (issue "Traffic", Performance).
 *
 * (a) Writes a native CSV of ROWS rows (default 10^7: arrival_s with a
 *     6-digit fraction, input and output tokens, ~24 bytes a row) to a
 *     temporary file, or takes FILE, then times reading it to the end with
 *     trace_next (best of REPEATS): rows/s.  Target >= 5,000,000 rows/s.
 * (b) Peak resident memory (getrusage ru_maxrss, sent back on a pipe) of two child
 *     processes, forked from the same parent state, that replay the first
 *     10^5 rows and all the rows of the same file through trace_next and
 *     trace_stats_compute.  Target: the same memory, whatever the length.
 * It prints its figures; it never fails on them (wall-clock limits do not
 * belong in tests: machines are noisy).  Exit 2 only if it cannot run.
 *
 * usage: bench_trace [--rows N] [--repeats R] [FILE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "trace.h"

#define TARGET_ROWS_PER_S 5000000.0
#define SHORT_ROWS        100000ull

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* ROWS rows: arrivals 1/2000 s apart on average (a cheap LCG jitter),
 * tokens from the same LCG. */
static int write_trace(const char *path, uint64_t rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static char buf[1 << 16];
    size_t n = 0;
    const char hdr[] = "arrival_s,input_tokens,output_tokens\n";
    fwrite(hdr, 1, sizeof hdr - 1, f);
    uint64_t x = 88172645463325252ull, t_us = 0;
    for (uint64_t i = 0; i < rows; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t_us += 1 + (x & 1023); /* mean ~512 us: ~2,000 rows/s */
        if (n > sizeof buf - 64) {
            if (fwrite(buf, 1, n, f) != n) {
                fclose(f);
                return -1;
            }
            n = 0;
        }
        char *p = buf + n;
        p = put_u64(p, t_us / 1000000);
        *p++ = '.';
        uint64_t frac = t_us % 1000000;
        for (int d = 5; d >= 0; d--) {
            p[d] = (char)('0' + frac % 10);
            frac /= 10;
        }
        p += 6;
        *p++ = ',';
        p = put_u64(p, 1 + ((x >> 10) & 4095));
        *p++ = ',';
        p = put_u64(p, 1 + ((x >> 22) & 511));
        *p++ = '\n';
        n = (size_t)(p - buf);
    }
    if (fwrite(buf, 1, n, f) != n) {
        fclose(f);
        return -1;
    }
    return fclose(f);
}

static struct trace_cfg native_cfg(const char *path, uint64_t limit)
{
    struct trace_cfg c;
    memset(&c, 0, sizeof c);
    c.format = TRACE_NATIVE;
    c.path = path;
    c.rate_scale = 1.0;
    c.limit = limit;
    return c;
}

/* Read to the end: rows, or -1. */
static int64_t read_all(const char *path, uint64_t limit, int64_t *sum)
{
    struct trace_cfg c = native_cfg(path, limit);
    char err[1024];
    struct trace_src *src = trace_open(&c, 1, err, sizeof err);
    if (!src) {
        fprintf(stderr, "bench_trace: %s\n", err);
        return -1;
    }
    struct trace_rec r;
    int64_t n = 0, s = 0;
    int rc;
    while ((rc = trace_next(src, &r, err, sizeof err)) == 1) {
        n++;
        s += r.input_tokens;
    }
    trace_close(src);
    if (rc < 0) {
        fprintf(stderr, "bench_trace: %s\n", err);
        return -1;
    }
    *sum = s;
    return n;
}

/* A child replays `limit` rows (0 = all) twice (trace_next, then
 * trace_stats_compute); the parent reports its peak RSS in KiB. */
static long child_maxrss(const char *path, uint64_t limit, uint64_t *rows)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        int64_t sum;
        int64_t n = read_all(path, limit, &sum);
        struct trace_cfg c = native_cfg(path, limit);
        char err[1024];
        struct trace_src *src = trace_open(&c, 1, err, sizeof err);
        struct trace_stats st;
        if (n < 0 || !src || trace_stats_compute(src, 1000000000LL, &st, err, sizeof err) != 0)
            _exit(2);
        trace_close(src);
        uint64_t msg[2] = {(uint64_t)n, (uint64_t)bench_peak_rss_kib()};
        if (write(fd[1], msg, sizeof msg) != (ssize_t)sizeof msg)
            _exit(2);
        _exit(0);
    }
    close(fd[1]);
    uint64_t msg[2] = {0, 0};
    ssize_t got = read(fd[0], msg, sizeof msg);
    close(fd[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != (ssize_t)sizeof msg)
        return -1;
    *rows = msg[0];
    return (long)msg[1];
}

int main(int argc, char **argv)
{
    uint64_t rows = 10000000ull;
    int repeats = 3;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
            repeats = bench_repeats(argv[++i], repeats);
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else {
            fprintf(stderr, "usage: bench_trace [--rows N] [--repeats R] [FILE]\n");
            return 2;
        }
    }
    char tmp[] = "/tmp/lbsim_bench_trace_XXXXXX";
    const char *path = file;
    if (!file) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            fprintf(stderr, "bench_trace: mkstemp: %s\n", strerror(errno));
            return 2;
        }
        close(fd);
        path = tmp;
        double t0 = bench_now_s();
        if (write_trace(path, rows) != 0) {
            fprintf(stderr, "bench_trace: cannot write %s\n", path);
            unlink(path);
            return 2;
        }
        printf("wrote %llu rows to %s in %.2f s\n", (unsigned long long)rows, path,
               bench_now_s() - t0);
    }

    /* (a) throughput */
    struct bench_timer tm;
    bench_timer_init(&tm);
    int64_t n = 0, sum = 0;
    for (int k = 0; k < repeats; k++) {
        bench_start(&tm);
        n = read_all(path, 0, &sum);
        double dt = bench_stop(&tm);
        if (n < 0) {
            if (!file)
                unlink(path);
            return 2;
        }
        printf("read %lld rows in %.3f s: %.0f rows/s\n", (long long)n, dt,
               dt > 0 ? (double)n / dt : 0);
    }
    /* Every repetition reads the same n rows: the best rate is the best time's. */
    double best = tm.best_s > 0 ? (double)n / tm.best_s : 0;
    printf("native CSV read: best %.0f rows/s (target >= %.0f): %s\n", best, TARGET_ROWS_PER_S,
           best >= TARGET_ROWS_PER_S ? "met" : "NOT met");

    /* (b) memory flat in trace length */
    uint64_t rows_short = 0, rows_long = 0;
    long rss_short = child_maxrss(path, SHORT_ROWS, &rows_short);
    long rss_long = child_maxrss(path, 0, &rows_long);
    if (rss_short < 0 || rss_long < 0)
        printf("peak RSS: could not measure\n");
    else
        printf("peak RSS replaying %llu rows: %ld KiB; %llu rows: %ld KiB (ratio %.2f)\n",
               (unsigned long long)rows_short, rss_short, (unsigned long long)rows_long, rss_long,
               (double)rss_long / (double)rss_short);
    if (!file)
        unlink(path);
    return 0;
}
