/*
 * cmd_trace.c - `lbsim trace`: look at a trace, convert it to lbsim's native
 * CSV, or write the traffic a scenario generates.  Returns the exit status:
 * 0 success, 2 bad usage or bad input, 3 internal error.
 *
 *   info FILE      rows, span, mean and peak rates, token percentiles,
 *                  inter-arrival CV and index of dispersion (trace_stats).
 *   convert FILE   the native CSV: arrival_s,input_tokens,output_tokens and
 *                  the optional columns some row uses, in the order model_group,
 *                  session, priority, task, tenant, region, max_tokens,
 *                  prefix_hashes, cache_key.  Two passes over the input: the
 *                  first finds the columns in use, the second writes.
 *   synth SCENARIO the same CSV of the scenario's traffic (its seed, or
 *                  --seed), up to its duration, as `lbsim run` replays it.
 *
 * The CSV is canonical, so converting a native file this command wrote gives
 * the same bytes: arrival_s is the exact nanosecond value, integer seconds
 * and up to 9 fraction digits with trailing zeros trimmed; unset values (0
 * priority, max_tokens, session, cache_key, label) are empty fields; labels
 * are quoted when they hold a comma, quote or line end; prefix hashes are
 * decimal, separated by one space.  The session and the cache key are
 * written as their 64-bit keys (16 hex digits): the reader hashes text, so
 * reading the output back keeps which rows share a session or key, not the
 * key values.  BurstGPT's failed flag has no native column (such rows keep
 * their 0 output tokens).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "scn.h"
#include "trace.h"

static const char *const usage_trace =
    "usage: lbsim trace <command> [options]\n"
    "\n"
    "commands:\n"
    "  info FILE          rows, span, mean and peak rate, token percentiles,\n"
    "                     burstiness (inter-arrival CV, index of dispersion)\n"
    "  convert FILE       rewrite a trace as lbsim's native CSV\n"
    "  synth SCENARIO     write the traffic a scenario generates as native CSV\n"
    "\n"
    "lbsim trace <command> --help for the options of a command.\n";

static const char *const usage_info =
    "usage: lbsim trace info FILE [--format F] [--rate-scale X] [--window START:END]\n"
    "                        [--idc-window D] [--skip-bad-rows] [--json]\n"
    "\n"
    "Reads the whole trace once, in fixed memory, and prints its statistics.\n"
    "\n"
    "  --format F         auto (default: by header or content), native, azure2023,\n"
    "                     burstgpt, mooncake, servegen\n"
    "  --rate-scale X     divide arrival times by X (> 0; 2 = twice the rate)\n"
    "  --window S:E       keep arrivals in [S, E) of the trace's own time, re-based\n"
    "                     to 0 (durations: 90, 90s, 10m, 1h; S or E may be empty)\n"
    "  --idc-window D     window of the index of dispersion of counts (default 1s)\n"
    "  --skip-bad-rows    skip and count bad rows instead of failing\n"
    "  --json             print JSON instead of the table\n"
    "\n"
    "exit status: 0 ok, 2 bad usage or bad input (the message names file:line).\n";

static const char *const usage_convert =
    "usage: lbsim trace convert FILE [--format F] [--rate-scale X] [--window START:END]\n"
    "                           [--skip-bad-rows] [-o OUT.csv]\n"
    "\n"
    "Writes the trace as lbsim's native CSV (arrival_s,input_tokens,output_tokens\n"
    "and the optional columns some row uses) to OUT.csv or stdout.  Converting a\n"
    "native file written by this command gives the same bytes.\n"
    "\n"
    "  --format F         auto (default), native, azure2023, burstgpt, mooncake,\n"
    "                     servegen\n"
    "  --rate-scale X     divide arrival times by X (> 0)\n"
    "  --window S:E       keep arrivals in [S, E), re-based to 0\n"
    "  --skip-bad-rows    skip and count bad rows instead of failing\n"
    "  -o, --out FILE     write to FILE instead of stdout\n"
    "\n"
    "exit status: 0 ok, 2 bad usage or bad input (the message names file:line).\n";

static const char *const usage_synth =
    "usage: lbsim trace synth SCENARIO [--set PATH=VALUE]... [--seed N] [-o OUT.csv]\n"
    "\n"
    "Writes the traffic the scenario's traffic: section generates (up to its\n"
    "duration:), as `lbsim run` replays it, as lbsim's native CSV.\n"
    "\n"
    "  --set PATH=VALUE   override a value of the scenario file (repeatable),\n"
    "                     as `lbsim run --set` does\n"
    "  --seed N           override the scenario's seed\n"
    "  -o, --out FILE     write to FILE instead of stdout\n"
    "\n"
    "exit status: 0 ok, 2 bad usage or bad input.\n";

/* ---- options ------------------------------------------------------------ */

struct file_opts {
    const char *file;
    const char *out;
    struct trace_cfg cfg;
    int64_t idc_window_ns;
    int json;
};

static int parse_format(const char *s, enum trace_format *f)
{
    static const enum trace_format all[] = {TRACE_AUTO,     TRACE_NATIVE,   TRACE_AZURE2023,
                                            TRACE_BURSTGPT, TRACE_MOONCAKE, TRACE_SERVEGEN};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, trace_format_name(all[i])) == 0) {
            *f = all[i];
            return 0;
        }
    if (strcmp(s, "azure2024") == 0 || strcmp(s, "azure") == 0) {
        *f = TRACE_AZURE2023;
        return 0;
    }
    return -1;
}

static int parse_window(const char *s, int64_t *start, int64_t *end, char *err, size_t errlen)
{
    const char *colon = strchr(s, ':');
    if (!colon || strchr(colon + 1, ':')) {
        snprintf(err, errlen, "--window: found '%s', expected START:END (e.g. 10m:20m, 600:)", s);
        return -1;
    }
    char a[64], b[64], e[256];
    size_t na = (size_t)(colon - s), nb = strlen(colon + 1);
    if (na >= sizeof a || nb >= sizeof b) {
        snprintf(err, errlen, "--window: found '%s', expected START:END (e.g. 10m:20m)", s);
        return -1;
    }
    memcpy(a, s, na);
    a[na] = '\0';
    memcpy(b, colon + 1, nb + 1);
    *start = 0;
    *end = 0;
    if (na && scn_parse_duration_ns(a, start, e, sizeof e) != 0) {
        snprintf(err, errlen, "--window: start: %s", e);
        return -1;
    }
    if (nb && scn_parse_duration_ns(b, end, e, sizeof e) != 0) {
        snprintf(err, errlen, "--window: end: %s", e);
        return -1;
    }
    if (nb && *end <= *start) {
        snprintf(err, errlen, "--window: found '%s', expected START < END", s);
        return -1;
    }
    return 0;
}

enum {
    OPT_FORMAT,
    OPT_RATE_SCALE,
    OPT_WINDOW,
    OPT_IDC_WINDOW,
    OPT_SKIP_BAD_ROWS,
    OPT_JSON,
    OPT_OUT,
    OPT_SEED,
    OPT_SET,
};

static const struct args_opt info_options[] = {
    {"--json", NULL, ARGS_FLAG, OPT_JSON},
    {"--skip-bad-rows", NULL, ARGS_FLAG, OPT_SKIP_BAD_ROWS},
    {"--format", NULL, ARGS_VALUE, OPT_FORMAT},
    {"--rate-scale", NULL, ARGS_VALUE, OPT_RATE_SCALE},
    {"--window", NULL, ARGS_VALUE, OPT_WINDOW},
    {"--idc-window", NULL, ARGS_VALUE, OPT_IDC_WINDOW},
};

static const struct args_opt convert_options[] = {
    {"--skip-bad-rows", NULL, ARGS_FLAG, OPT_SKIP_BAD_ROWS},
    {"--format", NULL, ARGS_VALUE, OPT_FORMAT},
    {"--rate-scale", NULL, ARGS_VALUE, OPT_RATE_SCALE},
    {"--window", NULL, ARGS_VALUE, OPT_WINDOW},
    {"--out", "-o", ARGS_VALUE, OPT_OUT},
};

static const struct args_opt synth_options[] = {
    {"--seed", NULL, ARGS_VALUE, OPT_SEED},
    {"--out", "-o", ARGS_VALUE, OPT_OUT},
    {"--set", NULL, ARGS_VALUE, OPT_SET},
};

static const struct args_spec trace_spec = {.who = "lbsim trace", .usage = usage_trace};
static const struct args_spec info_spec = {.who = "lbsim trace",
                                           .usage = usage_info,
                                           .opts = info_options,
                                           .n_opts = ARGS_COUNT(info_options)};
static const struct args_spec convert_spec = {.who = "lbsim trace",
                                              .usage = usage_convert,
                                              .opts = convert_options,
                                              .n_opts = ARGS_COUNT(convert_options)};
static const struct args_spec synth_spec = {.who = "lbsim trace",
                                            .usage = usage_synth,
                                            .opts = synth_options,
                                            .n_opts = ARGS_COUNT(synth_options)};

/* One option of info or convert.  0, or the exit status of a usage error
 * (already reported). */
static int file_option(const struct args_spec *spec, int id, const char *v, struct file_opts *o)
{
    char err[CLI_ERRLEN];
    switch (id) {
    case OPT_JSON:
        o->json = 1;
        break;
    case OPT_SKIP_BAD_ROWS:
        o->cfg.skip_bad_rows = 1;
        break;
    case OPT_FORMAT:
        if (parse_format(v, &o->cfg.format) != 0)
            return args_usage_error(spec,
                                    "--format: found '%s', expected auto, native, azure2023, "
                                    "burstgpt, mooncake or servegen",
                                    v);
        break;
    case OPT_RATE_SCALE: {
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end != '\0' || !(x > 0) || !isfinite(x))
            return args_usage_error(spec, "--rate-scale: found '%s', expected a number > 0", v);
        o->cfg.rate_scale = x;
        break;
    }
    case OPT_WINDOW:
        if (parse_window(v, &o->cfg.window_start_ns, &o->cfg.window_end_ns, err, sizeof err) != 0)
            return args_usage_error(spec, "%s", err);
        break;
    case OPT_IDC_WINDOW:
        if (scn_parse_duration_ns(v, &o->idc_window_ns, err, sizeof err) != 0 ||
            o->idc_window_ns <= 0)
            return args_usage_error(
                spec, "--idc-window: found '%s', expected a duration > 0 (e.g. 1s)", v);
        break;
    case OPT_OUT:
        o->out = v;
        break;
    default:
        break;
    }
    return 0;
}

/* Options of info and convert.  -1 = go on, else the exit status (0 after
 * --help). */
static int parse_file_opts(int argc, char **argv, const struct args_spec *spec, struct file_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cfg.format = TRACE_AUTO;
    o->cfg.rate_scale = 1.0;
    o->idc_window_ns = 1000000000LL;
    struct args a;
    args_init(&a, spec, argc, argv, 3);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (o->file != NULL)
                return args_usage_error(spec, "unexpected argument '%s' (one FILE)", a.arg);
            o->file = a.value;
            continue;
        }
        if (t != ARGS_OPTION)
            return args_stop(&a, t);
        int rc = file_option(spec, a.opt->id, a.value, o);
        if (rc != 0)
            return rc;
    }
    if (o->file == NULL)
        return args_usage_error(spec, "%s", "missing FILE");
    o->cfg.path = o->file;
    return -1;
}

/* ---- info ---------------------------------------------------------------- */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static int cmd_info(int argc, char **argv)
{
    struct file_opts o;
    int rc = parse_file_opts(argc, argv, &info_spec, &o);
    if (rc >= 0)
        return rc;
    char err[CLI_ERRLEN];
    struct trace_src *src = trace_open(&o.cfg, 1, err, sizeof err);
    if (!src) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct trace_stats st;
    if (trace_stats_compute(src, o.idc_window_ns, &st, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        trace_close(src);
        return CLI_EXIT_USAGE;
    }
    const char *fmt = trace_format_name(trace_format_of(src));
    unsigned long long skipped = (unsigned long long)trace_skipped(src);
    trace_close(src);

    double first = (double)st.first_ns * 1e-9, last = (double)st.last_ns * 1e-9;
    double idc_s = (double)st.idc_window_ns * 1e-9;
    if (o.json) {
        printf("{\"file\": ");
        json_string(stdout, o.file);
        printf(", \"format\": \"%s\", \"rows\": %llu, \"failed_rows\": %llu, "
               "\"skipped_rows\": %llu,\n",
               fmt, (unsigned long long)st.rows, (unsigned long long)st.failed_rows, skipped);
        printf(" \"first_s\": %.9f, \"last_s\": %.9f, \"span_s\": %.9f,\n", first, last,
               last - first);
        printf(" \"mean_rate_per_s\": %.6f, \"peak_rate_per_min\": %.0f,\n", st.mean_rate_per_s,
               st.peak_rate_per_min);
        printf(" \"input_tokens\": {\"mean\": %.3f, \"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, "
               "\"max\": %.0f},\n",
               st.in_mean, st.in_p50, st.in_p90, st.in_p99, st.in_max);
        printf(" \"output_tokens\": {\"mean\": %.3f, \"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, "
               "\"max\": %.0f},\n",
               st.out_mean, st.out_p50, st.out_p90, st.out_p99, st.out_max);
        printf(" \"interarrival_cv\": %.6f, \"idc\": %.6f, \"idc_window_s\": %.9g}\n",
               st.interarrival_cv, st.idc, idc_s);
        return 0;
    }
    printf("file              %s\n", o.file);
    printf("format            %s\n", fmt);
    printf("rows              %llu (failed %llu, skipped %llu)\n", (unsigned long long)st.rows,
           (unsigned long long)st.failed_rows, skipped);
    printf("span              %.3f s (first %.3f s, last %.3f s)\n", last - first, first, last);
    printf("mean rate         %.3f req/s\n", st.mean_rate_per_s);
    printf("peak rate         %.0f req/min (busiest minute)\n", st.peak_rate_per_min);
    printf("input tokens      mean %.1f  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n", st.in_mean,
           st.in_p50, st.in_p90, st.in_p99, st.in_max);
    printf("output tokens     mean %.1f  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n", st.out_mean,
           st.out_p50, st.out_p90, st.out_p99, st.out_max);
    printf("inter-arrival CV  %.3f\n", st.interarrival_cv);
    char label[48];
    snprintf(label, sizeof label, "IDC (%.9g s)", idc_s);
    printf("%-18s%.3f\n", label, st.idc);
    return 0;
}

/* ---- the native CSV writer -------------------------------------------------- */

enum wcol {
    W_MODEL_GROUP,
    W_SESSION,
    W_PRIORITY,
    W_TASK,
    W_TENANT,
    W_REGION,
    W_MAX_TOKENS,
    W_PREFIX_HASHES,
    W_CACHE_KEY,
    W_N_
};

static const char *const wcol_names[W_N_] = {"model_group", "session",       "priority",
                                             "task",        "tenant",        "region",
                                             "max_tokens",  "prefix_hashes", "cache_key"};

static const enum trace_label_kind wcol_label[W_N_] = {
    [W_MODEL_GROUP] = TRACE_LABEL_MODEL_GROUP,
    [W_TASK] = TRACE_LABEL_TASK,
    [W_TENANT] = TRACE_LABEL_TENANT,
    [W_REGION] = TRACE_LABEL_REGION,
};

static int wcol_is_label(int c)
{
    return c == W_MODEL_GROUP || c == W_TASK || c == W_TENANT || c == W_REGION;
}

/* Which optional columns some record uses. */
static void mark_used(const struct trace_rec *r, int used[W_N_])
{
    used[W_MODEL_GROUP] |= r->label[TRACE_LABEL_MODEL_GROUP] != 0;
    used[W_TASK] |= r->label[TRACE_LABEL_TASK] != 0;
    used[W_TENANT] |= r->label[TRACE_LABEL_TENANT] != 0;
    used[W_REGION] |= r->label[TRACE_LABEL_REGION] != 0;
    used[W_SESSION] |= r->session != 0;
    used[W_PRIORITY] |= r->priority != 0;
    used[W_MAX_TOKENS] |= r->max_tokens != 0;
    used[W_PREFIX_HASHES] |= r->n_blocks != 0;
    used[W_CACHE_KEY] |= r->cache_key != 0;
}

#define OUTBUF 65536

struct outbuf {
    FILE *f;
    size_t n;
    int failed;
    char buf[OUTBUF];
};

static void ob_flush(struct outbuf *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
        o->failed = 1;
    o->n = 0;
}

static void ob_put(struct outbuf *o, const char *s, size_t len)
{
    if (o->n + len > OUTBUF) {
        ob_flush(o);
        if (len > OUTBUF) {
            if (fwrite(s, 1, len, o->f) != len)
                o->failed = 1;
            return;
        }
    }
    memcpy(o->buf + o->n, s, len);
    o->n += len;
}

static void ob_char(struct outbuf *o, char c)
{
    if (o->n == OUTBUF)
        ob_flush(o);
    o->buf[o->n++] = c;
}

static void ob_u64(struct outbuf *o, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ob_put(o, tmp + i, sizeof tmp - (size_t)i);
}

static void ob_hex64(struct outbuf *o, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    for (int i = 15; i >= 0; i--) {
        tmp[i] = hex[v & 15];
        v >>= 4;
    }
    ob_put(o, tmp, sizeof tmp);
}

/* ns as decimal seconds, exactly: integer seconds, then up to 9 fraction
 * digits with trailing zeros trimmed. */
static void ob_seconds(struct outbuf *o, int64_t ns)
{
    uint64_t u = (uint64_t)ns;
    if (ns < 0) { /* never from a trace; kept exact anyway */
        ob_char(o, '-');
        u = (uint64_t)(-(ns + 1)) + 1;
    }
    ob_u64(o, u / 1000000000u);
    uint32_t frac = (uint32_t)(u % 1000000000u);
    if (frac == 0)
        return;
    char tmp[10];
    tmp[0] = '.';
    for (int i = 9; i >= 1; i--) {
        tmp[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    size_t len = 10;
    while (tmp[len - 1] == '0')
        len--;
    ob_put(o, tmp, len);
}

static void ob_text(struct outbuf *o, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        ob_put(o, s, strlen(s));
        return;
    }
    ob_char(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            ob_char(o, '"');
        ob_char(o, *s);
    }
    ob_char(o, '"');
}

static void write_header(struct outbuf *o, const int used[W_N_])
{
    static const char base[] = "arrival_s,input_tokens,output_tokens";
    ob_put(o, base, sizeof base - 1);
    for (int c = 0; c < W_N_; c++)
        if (used[c]) {
            ob_char(o, ',');
            ob_put(o, wcol_names[c], strlen(wcol_names[c]));
        }
    ob_char(o, '\n');
}

static void write_row(struct outbuf *o, const struct trace_src *src, const struct trace_rec *r,
                      const int used[W_N_])
{
    ob_seconds(o, r->arrival_ns);
    ob_char(o, ',');
    ob_u64(o, (uint64_t)r->input_tokens);
    ob_char(o, ',');
    ob_u64(o, (uint64_t)r->output_tokens);
    for (int c = 0; c < W_N_; c++) {
        if (!used[c])
            continue;
        ob_char(o, ',');
        if (wcol_is_label(c)) {
            const char *s = trace_label(src, wcol_label[c], r->label[wcol_label[c]]);
            if (s)
                ob_text(o, s);
            continue;
        }
        switch ((enum wcol)c) {
        case W_SESSION:
            if (r->session)
                ob_hex64(o, r->session);
            break;
        case W_PRIORITY:
            if (r->priority)
                ob_u64(o, r->priority);
            break;
        case W_MAX_TOKENS:
            if (r->max_tokens > 0)
                ob_u64(o, (uint64_t)r->max_tokens);
            break;
        case W_PREFIX_HASHES:
            for (uint32_t b = 0; b < r->n_blocks; b++) {
                if (b)
                    ob_char(o, ' ');
                ob_u64(o, r->blocks[b]);
            }
            break;
        case W_CACHE_KEY:
            if (r->cache_key)
                ob_hex64(o, r->cache_key);
            break;
        default:
            break;
        }
    }
    ob_char(o, '\n');
}

/* How to open the source again for the second pass. */
struct reopen {
    const struct trace_cfg *cfg; /* a single source, or */
    const struct scenario *scn;  /* the scenario's traffic */
    uint64_t seed;
    int64_t stop_ns; /* arrivals at or after this are not written (0 = all) */
};

static struct trace_src *do_open(const struct reopen *ro, char *err, size_t errlen)
{
    if (ro->scn)
        return scn_open_traffic(ro->scn, ro->seed, err, errlen);
    return trace_open(ro->cfg, ro->seed, err, errlen);
}

/* Two passes: find the columns in use, then write.  Exit status. */
static int write_native(const struct reopen *ro, const char *out_path)
{
    char err[CLI_ERRLEN];
    int used[W_N_] = {0};
    struct trace_src *src = do_open(ro, err, sizeof err);
    if (!src) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct trace_rec r;
    int rc;
    while ((rc = trace_next(src, &r, err, sizeof err)) == 1) {
        if (ro->stop_ns > 0 && r.arrival_ns >= ro->stop_ns)
            break;
        mark_used(&r, used);
    }
    trace_close(src);
    if (rc < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }

    src = do_open(ro, err, sizeof err);
    if (!src) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct outbuf *o = malloc(sizeof *o);
    if (!o) {
        trace_close(src);
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    o->n = 0;
    o->failed = 0;
    o->f = stdout;
    /* -o FILE: written to FILE.tmp-PID, renamed over FILE when complete
     * (docs/outputs.md) */
    char tmp[SCN_PATH_MAX + 32];
    if (out_path) {
        if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out_path, (long)getpid()) >= (int)sizeof tmp) {
            fprintf(stderr, "lbsim: %s: path too long\n", out_path);
            free(o);
            trace_close(src);
            return CLI_EXIT_USAGE;
        }
        o->f = fopen(tmp, "w");
        if (!o->f) {
            fprintf(stderr, "lbsim: cannot write %s: %s\n", out_path, strerror(errno));
            free(o);
            trace_close(src);
            return CLI_EXIT_USAGE;
        }
    }
    write_header(o, used);
    while ((rc = trace_next(src, &r, err, sizeof err)) == 1) {
        if (ro->stop_ns > 0 && r.arrival_ns >= ro->stop_ns)
            break;
        write_row(o, src, &r, used);
    }
    trace_close(src);
    ob_flush(o);
    int status = 0;
    if (rc < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        status = CLI_EXIT_USAGE;
    }
    errno = EIO; /* "an earlier write failed" unless a call below says why */
    if (out_path) {
        if (fclose(o->f) != 0 || (status == 0 && !o->failed && rename(tmp, out_path) != 0))
            o->failed = 1;
    } else {
        /* stdout's errors (a full disk, or EPIPE: a reader that went away)
         * are judged once, in main() */
        o->failed = 0;
    }
    if (o->failed && status == 0) {
        fprintf(stderr, "lbsim: cannot write %s: %s\n", out_path ? out_path : "standard output",
                strerror(errno));
        status = CLI_EXIT_INTERNAL;
    }
    if (status != 0 && out_path)
        unlink(tmp);
    free(o);
    return status;
}

static int cmd_convert(int argc, char **argv)
{
    struct file_opts o;
    int rc = parse_file_opts(argc, argv, &convert_spec, &o);
    if (rc >= 0)
        return rc;
    struct reopen ro = {.cfg = &o.cfg, .seed = 1};
    return write_native(&ro, o.out);
}

static int cmd_synth(int argc, char **argv)
{
    const char *scn_path = NULL, *out = NULL;
    struct scn_set sets[CLI_SET_MAX];
    uint32_t n_sets = 0;
    char err[CLI_ERRLEN];
    uint64_t seed = 0;
    int seed_set = 0;
    struct args a;
    args_init(&a, &synth_spec, argc, argv, 3);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (scn_path != NULL)
                return args_usage_error(&synth_spec, "unexpected argument '%s' (one SCENARIO)",
                                        a.arg);
            scn_path = a.value;
            continue;
        }
        if (t != ARGS_OPTION)
            return args_stop(&a, t);
        if (a.opt->id == OPT_SEED) {
            if (args_u64(a.value, &seed) != 0)
                return args_usage_error(
                    &synth_spec, "--seed: found '%s', expected a non-negative integer", a.value);
            seed_set = 1;
        } else if (a.opt->id == OPT_SET) {
            if (n_sets == CLI_SET_MAX)
                return args_usage_error(&synth_spec, "too many --set options (at most %s)",
                                        CLI_SET_MAX_STR);
            if (scn_set_parse(a.value, &sets[n_sets], err, sizeof err) != 0)
                return args_usage_error(&synth_spec, "%s", err);
            n_sets++;
        } else {
            out = a.value;
        }
    }
    if (scn_path == NULL)
        return args_usage_error(&synth_spec, "%s", "missing SCENARIO");
    struct scenario scn;
    if (scn_load_set(scn_path, NULL, sets, n_sets, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct reopen ro = {
        .scn = &scn, .seed = seed_set ? seed : scn.seed, .stop_ns = scn.duration_ns};
    int rc = write_native(&ro, out);
    scn_free(&scn);
    return rc;
}

/* The sub-commands of `lbsim trace`. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} trace_verbs[] = {
    {"info", cmd_info},
    {"convert", cmd_convert},
    {"synth", cmd_synth},
};

int cmd_trace(int argc, char **argv)
{
    if (argc < 3)
        return args_usage_error(&trace_spec, "%s", "missing command (info, convert or synth)");
    const char *cmd = argv[2];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_trace, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof trace_verbs / sizeof trace_verbs[0]; i++)
        if (strcmp(cmd, trace_verbs[i].name) == 0)
            return trace_verbs[i].fn(argc, argv);
    return args_usage_error(&trace_spec, "unknown command '%s' (info, convert or synth)", cmd);
}
