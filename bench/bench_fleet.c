/*
 * bench_fleet.c - per-request cost against fleet size (issue 16, item 3).
 *
 * A synthetic API scenario with n = 4, 16, 64, 256, 512, 1024 backends
 * (prices differ, so price_weighted has weights to draw by) at a fixed
 * total load: TOTAL_RATE requests/s whatever n is, and the capacity split
 * so the load per backend is constant: each backend gets TOTAL_SLOTS / n
 * concurrency slots (a FIFO of QUEUE_MAX behind them) and RPM/TPM limits of
 * LIMIT_HEADROOM times its share of the traffic.  A request holds a slot
 * ~1.8 s (TTFT lognormal median 300 ms + output lognormal median 100 tokens
 * at 100 tokens/s), so ~710 of the 2,048 slots are busy (utilisation ~0.35:
 * at 0.7 a 1,024-backend fleet has one slot each and random routing queues
 * and times out where 4 backends of 256 slots do not, which would measure
 * the workload, not the router) at every n, and the number of requests in
 * flight (hence the event heap) does not grow with n: what grows is routing
 * and per-backend bookkeeping, the thing measured.
 *
 * Per request is marginal: a run of C requests and a run of 2C requests
 * (C = REQUESTS, ~20 s of traffic, ten times the ~710 in flight),
 * cost(2C) - cost(C) divided by C.  That takes setup and
 * teardown (O(n) once per run) out of the figure.
 *
 * Figures:
 *  - thread-CPU ns per request (CLOCK_THREAD_CPUTIME_ID; noisy on a shared
 *    machine);
 *  - instructions per request, with --callgrind: each run under
 *    `valgrind --tool=callgrind` (the "Collected" total), the figure the
 *    targets are judged on;
 *  - bytes per backend: peak RSS of a child running the C-request run at
 *    n = 1024 minus that at n = 4, over 1020 backends.  The peak is taken
 *    over sim_run only (freed memory handed back with malloc_trim and the
 *    high-water mark reset through /proc/self/clear_refs after loading):
 *    libyaml's document of a 1,024-backend file (~6 MiB) is the load's
 *    peak, not the run's.  The scenario's own backend table counts.
 * Targets (printed met/MISSED, never failed on): instructions (or ns) per
 * request at 1024 / at 4 <= 1.2 for the O(1) and O(log n) strategies;
 * <= 8 KiB per backend; weighted_scorers, expected_latency and
 * prefix_affinity <= 3x random at 512.
 *
 * usage: bench_fleet [--callgrind] [--quick] [STRATEGY...]
 *        (--quick: n = 4, 64, 512 and 1024 only)
 *        bench_fleet one STRATEGY N REQUESTS   (one run; prints ns, RSS)
 */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sim.h"

#define TOTAL_RATE         400.0 /* requests/s, all backends */
#define TOTAL_SLOTS        2048u /* concurrency slots, all backends */
#define QUEUE_MAX          4096u /* a provider FIFO that never answers 429 here */
#define LIMIT_HEADROOM     5.0   /* RPM/TPM limit / a backend's share of the load */
#define TOKENS_PER_REQUEST 1600  /* mean input + output tokens of the traffic below */
#define REQUESTS           8192u
#define TARGET_GROWTH      1.2    /* cost at 1024 / cost at 4, O(1) and O(log n) strategies */
#define TARGET_BYTES       8192.0 /* per backend, outside strategies' own indexes */
#define TARGET_VS_RANDOM   3.0

static const unsigned sizes[] = {4, 16, 64, 256, 512, 1024};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

struct strat {
    const char *name;
    bool flat; /* O(1) or O(log n) pick: judged on growth */
    bool vs_random;
};

static const struct strat strats[] = {
    {"random", true, false},           {"round_robin", true, false},
    {"least_inflight", true, false},   {"power_of_two", true, false},
    {"price_weighted", true, false},   {"weighted_scorers", false, true},
    {"expected_latency", false, true}, {"prefix_affinity", false, true},
};
#define N_STRATS (sizeof strats / sizeof strats[0])

static unsigned requests_for(unsigned n)
{
    (void)n;
    return REQUESTS;
}

/* The scenario for n backends and count requests, written to path. */
static int write_scenario(const char *path, unsigned n, unsigned count)
{
    FILE *f = fopen(path, "w");
    double rpm = LIMIT_HEADROOM * TOTAL_RATE * 60.0 / (double)n;
    if (f == NULL)
        return -1;
    fprintf(f,
            "seed: 1\ninterval: 60s\ntraffic:\n  synthetic:\n    rate: %.1f/s\n    count: %u\n"
            "    input_tokens: {dist: lognormal, median: 1000, p99: 8000}\n"
            "    output_tokens: {dist: lognormal, median: 100, p99: 600}\n"
            "backends:\n",
            TOTAL_RATE, count);
    for (unsigned i = 0; i < n; i++)
        fprintf(f,
                "  - name: b%u\n    prices: {input: %.2f, output: %.2f}\n"
                "    limits: {rpm: %.0f, tpm: %.0f}\n    concurrency: %u\n    queue_max: %u\n"
                "    latency: {ttft: {dist: lognormal, median: 300ms, p99: 2s}, "
                "output_rate: {dist: constant, value: 100}}\n"
                "    faults: {error_rate: 0.5%%}\n",
                i, 1.0 + 0.25 * (double)(i % 8), 4.0 + 1.0 * (double)(i % 8), rpm,
                rpm * TOKENS_PER_REQUEST, TOTAL_SLOTS / n, QUEUE_MAX);
    fprintf(f, "router:\n  timeout: 30s\n");
    return fclose(f);
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* VmHWM of this process, KiB, or -1. */
static long hwm_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* Peak RSS from here on: hand freed heap back, reset the high-water mark
 * (Linux >= 4.0: "5" to clear_refs). */
static void reset_hwm(void)
{
    FILE *f;
    malloc_trim(0);
    f = fopen("/proc/self/clear_refs", "w");
    if (f != NULL) {
        fputs("5", f);
        fclose(f);
    }
}

/* One run: prints "ns <cpu seconds> rss <peak KiB> requests <n>". */
static int run_one(const char *strategy, unsigned n, unsigned count)
{
    char path[] = "/tmp/bench_fleet_XXXXXX";
    char err[1024];
    struct scenario scn;
    struct scn_strategy st;
    struct sim_result res;
    int fd = mkstemp(path);
    if (fd < 0)
        return 2;
    close(fd);
    if (write_scenario(path, n, count) != 0 || scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "bench_fleet: %s\n", err);
        unlink(path);
        return 2;
    }
    unlink(path);
    if (scn_strategy_by_name(strategy, &st, err, sizeof err) != 0) {
        fprintf(stderr, "bench_fleet: %s\n", err);
        return 2;
    }
    reset_hwm();
    double t0 = thread_cpu_s();
    if (sim_run(&scn, &st, scn.seed, NULL, &res, err, sizeof err) != 0) {
        fprintf(stderr, "bench_fleet: %s\n", err);
        return 2;
    }
    double dt = thread_cpu_s() - t0;
    printf("cpu_s %.6f rss_kib %ld requests %llu completed %llu\n", dt, hwm_kib(),
           (unsigned long long)res.requests, (unsigned long long)res.completed);
    sim_result_free(&res);
    scn_free(&scn);
    return 0;
}

struct meas {
    double cpu_s;
    long rss_kib;
    double instr;
};

/* Runs `argv0 one strategy n count` in a child (under callgrind when asked)
 * and reads its figures. */
static int measure(const char *argv0, const char *strategy, unsigned n, unsigned count,
                   bool callgrind, struct meas *m)
{
    char cmd[2048], line[512];
    FILE *p;
    m->cpu_s = -1.0;
    m->rss_kib = -1;
    m->instr = -1.0;
    if (callgrind)
        snprintf(cmd, sizeof cmd,
                 "valgrind --tool=callgrind --callgrind-out-file=/dev/null %s one %s %u %u 2>&1",
                 argv0, strategy, n, count);
    else
        snprintf(cmd, sizeof cmd, "%s one %s %u %u 2>&1", argv0, strategy, n, count);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgets(line, sizeof line, p) != NULL) {
        const char *c = strstr(line, "Collected : ");
        if (c != NULL)
            m->instr = strtod(c + strlen("Collected : "), NULL);
        else if (strncmp(line, "cpu_s ", 6) == 0)
            sscanf(line, "cpu_s %lf rss_kib %ld", &m->cpu_s, &m->rss_kib);
        else if (strncmp(line, "bench_fleet:", 12) == 0)
            fputs(line, stderr);
    }
    return pclose(p) == 0 && m->cpu_s >= 0.0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    bool callgrind = false, quick = false;
    const char *only[N_STRATS];
    unsigned n_only = 0;
    if (argc == 5 && strcmp(argv[1], "one") == 0)
        return run_one(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--callgrind") == 0)
            callgrind = true;
        else if (strcmp(argv[a], "--quick") == 0)
            quick = true;
        else if (n_only < N_STRATS)
            only[n_only++] = argv[a];
    }
    double per_req[N_STRATS][N_SIZES]; /* instructions (callgrind) or ns */
    long rss[N_SIZES];
    int random_k = -1;
    printf("bench_fleet: per request (marginal over C..2C requests), %s\n",
           callgrind ? "instructions (callgrind)" : "thread-CPU ns");
    printf("%-18s", "strategy");
    for (unsigned j = 0; j < N_SIZES; j++)
        printf(" %10u", sizes[j]);
    printf("  1024/4\n");
    for (unsigned k = 0; k < N_STRATS; k++) {
        bool want = n_only == 0;
        for (unsigned q = 0; q < n_only; q++)
            want = want || strcmp(only[q], strats[k].name) == 0;
        for (unsigned j = 0; j < N_SIZES; j++)
            per_req[k][j] = -1.0;
        if (!want)
            continue;
        if (strcmp(strats[k].name, "random") == 0)
            random_k = (int)k;
        printf("%-18s", strats[k].name);
        fflush(stdout);
        for (unsigned j = 0; j < N_SIZES; j++) {
            unsigned c = requests_for(sizes[j]);
            if (quick && (sizes[j] == 16 || sizes[j] == 256)) {
                printf(" %10s", "-");
                continue;
            }
            struct meas m1, m2;
            if (measure(argv[0], strats[k].name, sizes[j], c, callgrind, &m1) != 0 ||
                measure(argv[0], strats[k].name, sizes[j], 2 * c, callgrind, &m2) != 0) {
                printf("  run failed\n");
                return 2;
            }
            per_req[k][j] =
                callgrind ? (m2.instr - m1.instr) / (double)c : (m2.cpu_s - m1.cpu_s) * 1e9 / c;
            rss[j] = m1.rss_kib;
            if (callgrind && (j == 0 || j + 1 == N_SIZES) && random_k == (int)k &&
                measure(argv[0], strats[k].name, sizes[j], c, false, &m1) == 0)
                rss[j] = m1.rss_kib; /* valgrind's own RSS says nothing */
            printf(" %10.0f", per_req[k][j]);
            fflush(stdout);
        }
        double g = per_req[k][N_SIZES - 1] / per_req[k][0];
        printf("  %5.2f", g);
        if (strats[k].flat)
            printf(" [<= %.1f: %s]", TARGET_GROWTH, g <= TARGET_GROWTH ? "met" : "MISSED");
        printf("\n");
        if (random_k == (int)k) {
            double bpb = (double)(rss[N_SIZES - 1] - rss[0]) * 1024.0 /
                         (double)(sizes[N_SIZES - 1] - sizes[0]);
            printf("  peak RSS: n=%u %ld KiB, n=%u %ld KiB: %.0f bytes per backend [<= %.0f: "
                   "%s]\n",
                   sizes[0], rss[0], sizes[N_SIZES - 1], rss[N_SIZES - 1], bpb, TARGET_BYTES,
                   bpb <= TARGET_BYTES ? "met" : "MISSED");
        }
    }
    for (unsigned k = 0; k < N_STRATS && random_k >= 0; k++) {
        unsigned j512 = 4; /* sizes[4] == 512 */
        if (!strats[k].vs_random || per_req[k][j512] < 0.0)
            continue;
        double r = per_req[k][j512] / per_req[random_k][j512];
        printf("%-18s at 512: %.2fx random [<= %.1f: %s]\n", strats[k].name, r, TARGET_VS_RANDOM,
               r <= TARGET_VS_RANDOM ? "met" : "MISSED");
    }
    return 0;
}
