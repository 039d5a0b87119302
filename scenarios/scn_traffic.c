/*
 * scn_traffic.c - `traffic:`: a trace file or a synthetic generator, its
 * transforms and label overrides, or `sources:` to merge.
 */
#include "scn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The enum trace_format each of scn__format_names means. */
static const enum trace_format format_values[] = {TRACE_AUTO,      TRACE_NATIVE,   TRACE_AZURE2023,
                                                  TRACE_AZURE2023, TRACE_BURSTGPT, TRACE_MOONCAKE,
                                                  TRACE_SERVEGEN};
_Static_assert(SCN__NELEM(format_values) == N_FORMAT, "format_values");

/* The trace path, relative to the scenario file's directory, must name a
 * readable file. */
static int trace_file(struct scn__ctx *c, const yaml_node_t *n, struct trace_cfg *t,
                      struct scn_source *st)
{
    char q[64], eb[128];
    const char *rel = NULL;
    if (scn__get_str(c, n, "a trace file path", &rel))
        return -1;
    if (rel[0] == '\0')
        return scn__fail(c, n, "found an empty value, expected a trace file path");
    size_t dirlen = 0;
    if (rel[0] != '/') {
        const char *slash = strrchr(c->path, '/');
        dirlen = slash ? (size_t)(slash - c->path) + 1 : 0;
    }
    size_t rl = strlen(rel);
    if (dirlen + rl + 1 > sizeof st->path)
        return scn__fail(c, n, "found a trace path of %zu bytes, expected at most %zu", dirlen + rl,
                         sizeof st->path - 1);
    memcpy(st->path, c->path, dirlen);
    memcpy(st->path + dirlen, rel, rl + 1);
    t->path = st->path;
    /* A trace is read more than once (the fingerprint, then once per
       invocation into memory, or per trial when it is too big for that):
       a FIFO, a pipe or a terminal would give its rows to the first reader
       and block the next one forever (and opening a FIFO blocks until it
       has a writer), so only regular files are traces. */
    struct stat sb;
    if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return scn__fail(c, n,
                         "found %s, which is %s, expected a regular trace file (lbsim reads a "
                         "trace more than once: save the stream to a file first)",
                         scn__quote(rel, q, sizeof q),
                         S_ISFIFO(sb.st_mode)  ? "a FIFO or pipe"
                         : S_ISDIR(sb.st_mode) ? "a directory"
                         : S_ISCHR(sb.st_mode) ? "a character device"
                                               : "not a regular file");
    errno = 0;
    FILE *f = fopen(st->path, "r");
    int e = errno;
    if (f != NULL) {
        errno = 0;
        (void)fgetc(f);
        e = ferror(f) ? errno : 0;
        fclose(f);
    }
    if (f == NULL || e != 0) {
        if (strerror_r(e, eb, sizeof eb) != 0)
            snprintf(eb, sizeof eb, "error %d", e);
        return scn__fail(c, n, "found %s, expected a readable trace file ('%s': %s)",
                         scn__quote(rel, q, sizeof q), st->path, eb);
    }
    return 0;
}

/* MMPP states: [{rate, dwell}, ...] (Fischer and Meier-Hellstern, "The
 * Markov-modulated Poisson process (MMPP) cookbook", 1993; cycled in order). */
static int parse_states(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    if (scn__want_seq(c, n, "'states': a list of {rate, dwell}"))
        return -1;
    size_t count = scn__seq_len(n);
    if (count < 1 || count > TRACE_MMPP_MAX_STATES)
        return scn__fail(c, n, "found %zu states, expected 1 to %u", count, TRACE_MMPP_MAX_STATES);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *v[MS_N];
        int64_t dwell = 0;
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "an MMPP state", scn__state_keys, MS_N, v))
            return -1;
        if (v[MS_RATE] == NULL)
            return scn__missing(c, it, "an MMPP state", "rate",
                                "its arrival rate, e.g. 20/s or 0/s");
        if (v[MS_DWELL] == NULL)
            return scn__missing(c, it, "an MMPP state", "dwell", "its mean duration, e.g. 30s");
        if (scn__v_rate(c, v[MS_RATE], &sy->mmpp_rate_per_s[i]) ||
            scn__v_duration_ns(c, v[MS_DWELL], &dwell))
            return -1;
        if (dwell <= 0)
            return scn__fail(c, v[MS_DWELL], "found a dwell of 0, expected a duration > 0");
        sy->mmpp_dwell_s[i] = (double)dwell / 1e9;
    }
    sy->mmpp_states = (uint32_t)count;
    return 0;
}

/* A schedule: [{start, end, rate, spacing}, ...], sorted, not overlapping;
 * spacing poisson (default) or constant. */
static int parse_windows(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    if (scn__want_seq(c, n, "'windows': a list of {start, end, rate}"))
        return -1;
    size_t count = scn__seq_len(n);
    if (count < 1 || count > UINT32_MAX / 2)
        return scn__fail(c, n, "found %zu windows, expected at least 1", count);
    struct trace_window *w = scn__own_alloc(c, n, count * sizeof *w);
    if (w == NULL)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *v[WI_N];
        size_t sp = 0;
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "a schedule window", scn__sched_window_keys, WI_N, v))
            return -1;
        for (int k = WI_START; k <= WI_RATE; k++)
            if (v[k] == NULL)
                return scn__missing(c, it, "a schedule window", scn__sched_window_keys[k],
                                    k == WI_RATE ? "the arrival rate inside it, e.g. 5/s"
                                                 : "a time since the start, e.g. 10m");
        if (scn__v_duration_ns(c, v[WI_START], &w[i].start_ns) ||
            scn__v_duration_ns(c, v[WI_END], &w[i].end_ns) ||
            scn__v_rate(c, v[WI_RATE], &w[i].rate_per_s))
            return -1;
        if (v[WI_SPACING] &&
            scn__v_enum(c, v[WI_SPACING], "a spacing", scn__spacing_names, N_SPACING, &sp))
            return -1;
        w[i].constant = sp == 1;
        if (w[i].end_ns <= w[i].start_ns)
            return scn__fail(c, v[WI_END],
                             "found an end at %.9gs, expected an end after the start "
                             "(%.9gs)",
                             (double)w[i].end_ns / 1e9, (double)w[i].start_ns / 1e9);
        if (!(w[i].rate_per_s > 0))
            return scn__fail(c, v[WI_RATE], "found a rate of 0, expected a rate > 0");
        if (i > 0 && w[i].start_ns < w[i - 1].end_ns)
            return scn__fail(c, v[WI_START],
                             "found a start at %.9gs, expected windows in time order, each "
                             "starting at or after the end of the previous (%.9gs)",
                             (double)w[i].start_ns / 1e9, (double)w[i - 1].end_ns / 1e9);
    }
    sy->n_windows = (uint32_t)count;
    sy->windows = w;
    return 0;
}

/* A piecewise-constant rate table: [{at, rate}, ...], first at 0. */
static int parse_table(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy,
                       struct scn_source *st)
{
    if (scn__want_seq(c, n, "'table': a list of {at, rate}"))
        return -1;
    size_t count = scn__seq_len(n);
    if (count < 1 || count > UINT32_MAX / 2)
        return scn__fail(c, n, "found %zu table steps, expected at least 1", count);
    st->table_t_ns = calloc(count, sizeof *st->table_t_ns);
    st->table_rate = calloc(count, sizeof *st->table_rate);
    if (st->table_t_ns == NULL || st->table_rate == NULL)
        return scn__oom(c, n);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *v[ST_N];
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "a rate-table step", scn__step_keys, ST_N, v))
            return -1;
        if (v[ST_AT] == NULL || v[ST_RATE] == NULL)
            return scn__missing(c, it, "a rate-table step", v[ST_AT] ? "rate" : "at",
                                v[ST_AT] ? "the rate from then on, e.g. 20/s"
                                         : "its start, e.g. 8h");
        if (scn__v_duration_ns(c, v[ST_AT], &st->table_t_ns[i]) ||
            scn__v_rate(c, v[ST_RATE], &st->table_rate[i]))
            return -1;
        if (i == 0 && st->table_t_ns[0] != 0)
            return scn__fail(c, v[ST_AT],
                             "found a first step at %.9gs, expected the first step at 0s",
                             (double)st->table_t_ns[0] / 1e9);
        if (i > 0 && st->table_t_ns[i] <= st->table_t_ns[i - 1])
            return scn__fail(c, v[ST_AT],
                             "found a step at %.9gs, expected steps in increasing time",
                             (double)st->table_t_ns[i] / 1e9);
    }
    sy->n_table = (uint32_t)count;
    sy->table_t_ns = st->table_t_ns;
    sy->table_rate = st->table_rate;
    return 0;
}

static int parse_sessions(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    const yaml_node_t *v[SE_N];
    if (scn__check_map(c, n, "'sessions'", scn__session_keys, SE_N, v))
        return -1;
    if (v[SE_TURNS] == NULL)
        return scn__missing(c, n, "'sessions'", "turns", "a distribution of turns per session");
    if (v[SE_THINK] == NULL)
        return scn__missing(c, n, "'sessions'", "think", "a distribution of think times");
    if (scn__parse_dist(c, v[SE_TURNS], DU_TOKENS, "'turns'", &sy->turns) ||
        scn__parse_dist(c, v[SE_THINK], DU_SECONDS, "'think'", &sy->think_s))
        return -1;
    if (sy->turns.min < 1)
        sy->turns.min = 1;
    sy->sessions = 1;
    return 0;
}

/* Labels by share: [{kind, value, share}, ...]; per kind the shares sum to
 * at most 1 (the rest stays unlabelled). */
static int parse_shares(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    double sum[TRACE_LABEL_KINDS_] = {0};
    if (scn__want_seq(c, n, "'labels': a list of {kind, value, share}"))
        return -1;
    size_t count = scn__seq_len(n);
    if (count > TRACE_MAX_LABEL_SHARES)
        return scn__fail(c, n, "found %zu labels, expected at most %u", count,
                         TRACE_MAX_LABEL_SHARES);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *v[SH_N];
        struct trace_label_share *ls = &sy->labels[i];
        size_t kind = 0;
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "a label share", scn__share_keys, SH_N, v))
            return -1;
        for (int k = 0; k < SH_N; k++)
            if (v[k] == NULL)
                return scn__missing(c, it, "a label share", scn__share_keys[k],
                                    k == SH_KIND    ? "model_group, task, tenant or region"
                                    : k == SH_VALUE ? "the label value"
                                                    : "the share of requests, e.g. 30%");
        if (scn__v_enum(c, v[SH_KIND], "a label kind", scn__label_kind_names, N_LABEL_KIND,
                        &kind) ||
            scn__v_name(c, v[SH_VALUE], "a label value", false, 1, ls->value, sizeof ls->value) ||
            scn__v_fraction(c, v[SH_SHARE], &ls->share))
            return -1;
        ls->kind = (enum trace_label_kind)kind;
        sum[kind] += ls->share;
        if (sum[kind] > 1.0 + 1e-9)
            return scn__fail(c, v[SH_SHARE],
                             "found shares of %s adding up to %.6g, expected at most 100%%",
                             scn__label_kind_names[kind], sum[kind]);
    }
    sy->n_labels = (uint32_t)count;
    return 0;
}

/* Empirical length distributions of a trace, binned at this many quantiles:
 * 64 bins keep the fitted means within 0.1% on the Azure traces
 * (tests/validation/val_traffic.c). */
#define SCN_FIT_BINS 64u

/* `lengths_from: <trace>`: input/output token distributions fitted from a
 * trace (any format, read once at load). */
static int fit_lengths(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    struct scn_source *tmp = calloc(1, sizeof *tmp);
    struct trace_cfg cfg = {.format = TRACE_AUTO, .rate_scale = 1.0};
    char err[512];
    if (tmp == NULL)
        return scn__oom(c, n);
    int rc = trace_file(c, n, &cfg, tmp);
    if (rc == 0) {
        struct trace_src *src = trace_open(&cfg, 0, err, sizeof err);
        if (src == NULL) {
            rc = scn__fail(c, n,
                           "found a trace that cannot be read (%s), expected a trace to fit "
                           "token lengths from",
                           err);
        } else {
            if (trace_fit_lengths(src, SCN_FIT_BINS, &sy->input_tokens, &sy->output_tokens, err,
                                  sizeof err) != 0)
                rc = scn__fail(c, n,
                               "found a trace that cannot be fitted (%s), expected a trace with "
                               "rows",
                               err);
            trace_close(src);
        }
    }
    free(tmp);
    return rc;
}

static int parse_synthetic(struct scn__ctx *c, const yaml_node_t *n, struct trace_synth *sy,
                           struct scn_source *st)
{
    const yaml_node_t *v[SY_N];
    char q[64];
    size_t idx = 0;
    if (scn__check_map(c, n, "'synthetic'", scn__synth_keys, SY_N, v))
        return -1;
    if (v[SY_ARRIVALS] &&
        scn__v_enum(c, v[SY_ARRIVALS], "an arrival process", scn__arrival_names, N_ARRIVAL, &idx))
        return -1;
    sy->arrivals = (enum trace_arrivals)idx;
    bool mmpp = sy->arrivals == TRACE_ARR_MMPP;
    bool diurnal = sy->arrivals == TRACE_ARR_DIURNAL;
    bool schedule = sy->arrivals == TRACE_ARR_SCHEDULE;
    bool renewal = sy->arrivals == TRACE_ARR_GAMMA || sy->arrivals == TRACE_ARR_WEIBULL;
    /* keys that belong to one process only */
    const struct {
        int key;
        bool ok;
        const char *with;
    } only[] = {{SY_CV, renewal, "gamma or weibull"}, {SY_STATES, mmpp, "mmpp"},
                {SY_AMPLITUDE, diurnal, "diurnal"},   {SY_PERIOD, diurnal, "diurnal"},
                {SY_PHASE, diurnal, "diurnal"},       {SY_TABLE, diurnal, "diurnal"},
                {SY_WINDOWS, schedule, "schedule"}};
    for (size_t i = 0; i < SCN__NELEM(only); i++)
        if (v[only[i].key] && !only[i].ok)
            return scn__fail(c, v[only[i].key],
                             "found '%s' with arrivals '%s', expected it only with %s",
                             scn__synth_keys[only[i].key], scn__arrival_names[idx], only[i].with);
    if (mmpp) {
        if (v[SY_STATES] == NULL)
            return scn__missing(c, n, "an mmpp 'synthetic'", "states", "a list of {rate, dwell}");
        if (v[SY_RATE])
            return scn__fail(c, v[SY_RATE],
                             "found 'rate' with arrivals 'mmpp', expected the rates in "
                             "'states'");
        if (parse_states(c, v[SY_STATES], sy))
            return -1;
    } else if (schedule) {
        if (v[SY_WINDOWS] == NULL)
            return scn__missing(c, n, "a schedule 'synthetic'", "windows",
                                "a list of {start, end, rate}");
        if (v[SY_RATE])
            return scn__fail(c, v[SY_RATE],
                             "found 'rate' with arrivals 'schedule', expected the rates in "
                             "'windows'");
        if (parse_windows(c, v[SY_WINDOWS], sy))
            return -1;
    } else if (diurnal && v[SY_TABLE]) {
        if (v[SY_RATE] || v[SY_AMPLITUDE] || v[SY_PHASE])
            return scn__fail(c, v[SY_TABLE],
                             "found 'table' with 'rate', 'amplitude' or 'phase', "
                             "expected either a rate table or a sinusoid");
        if (parse_table(c, v[SY_TABLE], sy, st))
            return -1;
    } else {
        if (v[SY_RATE] == NULL)
            return scn__missing(c, n, "'synthetic'", "rate", "an arrival rate such as 20/s");
        if (scn__v_rate(c, v[SY_RATE], &sy->rate_per_s))
            return -1;
        if (!(sy->rate_per_s > 0))
            return scn__fail(c, v[SY_RATE], "found %s, expected a rate > 0",
                             scn__quote(scn__scalar_str(v[SY_RATE]), q, sizeof q));
    }
    if (renewal) {
        if (v[SY_CV] == NULL)
            return scn__missing(c, n, "a gamma or weibull 'synthetic'", "cv",
                                "the coefficient of variation of inter-arrival times, e.g. 2");
        if (scn__v_number(c, v[SY_CV], &sy->cv))
            return -1;
        if (!(sy->cv > 0))
            return scn__fail(c, v[SY_CV], "found cv %g, expected a number > 0", sy->cv);
    }
    if (diurnal) {
        sy->diurnal_period_ns = 24LL * 3600 * 1000000000LL; /* a day */
        if (v[SY_AMPLITUDE] && scn__v_fraction(c, v[SY_AMPLITUDE], &sy->diurnal_amplitude))
            return -1;
        if (v[SY_PERIOD] && scn__v_duration_ns(c, v[SY_PERIOD], &sy->diurnal_period_ns))
            return -1;
        if (v[SY_PHASE] && scn__v_duration_ns(c, v[SY_PHASE], &sy->diurnal_phase_ns))
            return -1;
        if (sy->diurnal_period_ns <= 0)
            return scn__fail(c, v[SY_PERIOD], "found a period of 0, expected a duration > 0");
    }
    if (v[SY_COUNT] == NULL && v[SY_DURATION] == NULL && !schedule)
        return scn__missing(c, n, "'synthetic'", "count",
                            "a number of requests (or 'duration', or both)");
    if (v[SY_COUNT]) {
        int64_t cnt = 0;
        if (scn__v_count(c, v[SY_COUNT], &cnt))
            return -1;
        if (cnt > SCN_ARRIVALS_MAX)
            return scn__fail(c, v[SY_COUNT],
                             "found a count of %s, expected at most %lld requests (the cap on "
                             "generated arrivals, docs/limits.md)",
                             scn__quote(scn__scalar_str(v[SY_COUNT]), q, sizeof q),
                             (long long)SCN_ARRIVALS_MAX);
        sy->count = (uint64_t)cnt;
    }
    if (v[SY_DURATION] && scn__v_duration_ns(c, v[SY_DURATION], &sy->duration_ns))
        return -1;
    /* a constant-rate source without a count: its expected arrivals */
    double expect = sy->rate_per_s * ((double)sy->duration_ns * 1e-9);
    if (v[SY_COUNT] == NULL && v[SY_RATE] && v[SY_DURATION] && expect > (double)SCN_ARRIVALS_MAX)
        return scn__fail(c, v[SY_DURATION],
                         "found %s at %.6g/s, about %.3g requests, expected at most %lld (the cap "
                         "on generated arrivals, docs/limits.md; add 'count' or shorten it)",
                         scn__quote(scn__scalar_str(v[SY_DURATION]), q, sizeof q), sy->rate_per_s,
                         expect, (long long)SCN_ARRIVALS_MAX);
    if (v[SY_LENGTHS_FROM]) {
        if (v[SY_INPUT] || v[SY_OUTPUT])
            return scn__fail(c, v[SY_LENGTHS_FROM],
                             "found 'lengths_from' with 'input_tokens' or "
                             "'output_tokens', expected one or the other");
        if (fit_lengths(c, v[SY_LENGTHS_FROM], sy))
            return -1;
    } else {
        if (v[SY_INPUT] == NULL)
            return scn__missing(c, n, "'synthetic'", "input_tokens",
                                "a distribution of prompt sizes (or 'lengths_from': a trace)");
        if (v[SY_OUTPUT] == NULL)
            return scn__missing(c, n, "'synthetic'", "output_tokens",
                                "a distribution of output sizes (or 'lengths_from': a trace)");
        if (scn__parse_dist(c, v[SY_INPUT], DU_TOKENS, "'input_tokens'", &sy->input_tokens))
            return -1;
        if (scn__parse_dist(c, v[SY_OUTPUT], DU_TOKENS, "'output_tokens'", &sy->output_tokens))
            return -1;
    }
    if (v[SY_SESSIONS] && parse_sessions(c, v[SY_SESSIONS], sy))
        return -1;
    if (v[SY_LABELS] && parse_shares(c, v[SY_LABELS], sy))
        return -1;
    return 0;
}

/* `labels: {task: batch, tenant: nightly}`: every row of this source. */
static int parse_overrides(struct scn__ctx *c, const yaml_node_t *n, struct trace_cfg *t)
{
    const yaml_node_t *v[N_LABEL_KIND];
    if (scn__check_map(c, n, "'labels'", scn__label_kind_names, N_LABEL_KIND, v))
        return -1;
    for (int k = 0; k < N_LABEL_KIND; k++)
        if (v[k] && scn__v_name(c, v[k], "a label value", false, 1, t->set_label[k],
                                sizeof t->set_label[k]))
            return -1;
    return 0;
}

/* One source: a trace or a generator, with its transforms and overrides. */
static int parse_source(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                        struct trace_cfg *t, struct scn_source *st)
{
    char q[64];
    if (v[TR_TRACE] && v[TR_SYNTHETIC])
        return scn__fail(c, n,
                         "found both 'trace' and 'synthetic' in 'traffic', expected exactly one");
    if (!v[TR_TRACE] && !v[TR_SYNTHETIC])
        return scn__missing(c, n, "'traffic'", "trace",
                            "a trace file (or 'synthetic': a generated workload, or 'sources': a "
                            "list of them to merge)");
    t->rate_scale = 1.0;
    if (v[TR_RATE_SCALE]) {
        if (scn__v_number(c, v[TR_RATE_SCALE], &t->rate_scale))
            return -1;
        if (!(t->rate_scale > 0 && t->rate_scale <= SCN_RATE_SCALE_MAX))
            return scn__fail(
                c, v[TR_RATE_SCALE],
                "found %s, expected a rate_scale > 0 and at most %.0f (docs/limits.md)",
                scn__quote(scn__scalar_str(v[TR_RATE_SCALE]), q, sizeof q), SCN_RATE_SCALE_MAX);
    }
    if (v[TR_LIMIT] && scn__v_uint(c, v[TR_LIMIT], UINT64_MAX, &t->limit))
        return -1;
    if (v[TR_WINDOW]) {
        const yaml_node_t *w[WIN_N];
        if (scn__check_map(c, v[TR_WINDOW], "'window'", scn__window_keys, WIN_N, w))
            return -1;
        if (w[WIN_START] && scn__v_duration_ns(c, w[WIN_START], &t->window_start_ns))
            return -1;
        if (w[WIN_END] && scn__v_duration_ns(c, w[WIN_END], &t->window_end_ns))
            return -1;
        if (w[WIN_END] && t->window_end_ns <= t->window_start_ns)
            return scn__fail(c, w[WIN_END],
                             "found a window end at or before its start, expected end > start");
    }
    if (v[TR_SAMPLE]) {
        if (scn__v_fraction(c, v[TR_SAMPLE], &t->sample))
            return -1;
        if (!(t->sample > 0))
            return scn__fail(c, v[TR_SAMPLE], "found a sample of 0, expected a share > 0");
    }
    if (v[TR_REPEAT_TO] && scn__v_duration_ns(c, v[TR_REPEAT_TO], &t->repeat_to_ns))
        return -1;
    if (v[TR_SKIP_BAD]) {
        bool b = false;
        if (scn__v_bool(c, v[TR_SKIP_BAD], &b))
            return -1;
        t->skip_bad_rows = b;
    }
    if (v[TR_PRIORITY]) {
        uint64_t pr = 0;
        if (scn__v_uint(c, v[TR_PRIORITY], UINT32_MAX, &pr))
            return -1;
        t->set_priority = (uint32_t)pr;
    }
    if (v[TR_LABELS] && parse_overrides(c, v[TR_LABELS], t))
        return -1;
    if (v[TR_SYNTHETIC]) {
        if (v[TR_FORMAT])
            return scn__fail(c, v[TR_FORMAT],
                             "found 'format' with a synthetic source, expected 'format' only with "
                             "'trace'");
        t->format = TRACE_SYNTHETIC;
        t->path = NULL;
        return parse_synthetic(c, v[TR_SYNTHETIC], &t->synth, st);
    }
    t->format = TRACE_AUTO;
    if (v[TR_FORMAT]) {
        size_t f = 0;
        if (scn__v_enum(c, v[TR_FORMAT], "a trace format", scn__format_names, N_FORMAT, &f))
            return -1;
        t->format = format_values[f];
    }
    return trace_file(c, v[TR_TRACE], t, st);
}

/* `max_tokens: trace | model_max | N` (the reservation of rows without
 * max_tokens; see enum scn_max_tokens and docs/notes/data.md §3). */
static int parse_max_tokens(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    char q[64];
    const char *v = NULL;
    if (scn__get_str(c, n, "'max_tokens': trace, model_max or a token count such as 4096", &v))
        return -1;
    if (strcmp(v, "trace") == 0) {
        s->max_tokens_from = SCN_MAX_TOKENS_TRACE;
        return 0;
    }
    if (strcmp(v, "model_max") == 0) {
        s->max_tokens_from = SCN_MAX_TOKENS_MODEL_MAX;
        return 0;
    }
    int64_t x = 0;
    char m[256];
    if (scn__parse_count(v, &x, m, sizeof m) != 0 || x <= 0) {
        static const char *const words[] = {"trace", "model_max"};
        const char *sg = scn__suggest(v, words, 2);
        return scn__fail(c, n,
                         "found %s, expected 'max_tokens': trace, model_max or a token count > 0 "
                         "such as 4096%s%s%s",
                         scn__quote(v, q, sizeof q), sg ? "; did you mean '" : "", sg ? sg : "",
                         sg ? "'?" : "");
    }
    s->max_tokens_from = SCN_MAX_TOKENS_VALUE;
    s->max_tokens_value = x;
    return 0;
}

/* `stream`: true (every request streams, the default), false, or the share
 * that streams.  It decides which timeout of a router config applies
 * (router.stream_timeout to the first token, or router.request_timeout to
 * the whole response) and what a non-streamed client sees as its first
 * token: the whole response. */
static int parse_stream(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    const char *str = scn__scalar_str(n);
    if (str != NULL && (strcmp(str, "true") == 0 || strcmp(str, "false") == 0)) {
        s->stream_share = str[0] == 't' ? 1.0 : 0.0;
        return 0;
    }
    return scn__v_fraction(c, n, &s->stream_share);
}

int scn__parse_traffic(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    const yaml_node_t *v[TR_N];
    if (scn__check_map(c, n, "'traffic'", scn__traffic_keys, TR_N, v))
        return -1;
    if (v[TR_MAX_TOKENS] && parse_max_tokens(c, v[TR_MAX_TOKENS], s))
        return -1;
    if (v[TR_STREAM] && parse_stream(c, v[TR_STREAM], s))
        return -1;
    if (v[TR_SOURCES] == NULL) {
        if (parse_source(c, n, v, &s->traffic, &s->traffic_store))
            return -1;
        if (s->traffic.path != NULL) { /* the single source's path lives in trace_path */
            memcpy(s->trace_path, s->traffic_store.path, sizeof s->trace_path);
            s->traffic.path = s->trace_path;
        }
        return 0;
    }
    for (int k = 0; k < TR_N; k++)
        if (k != TR_SOURCES && k != TR_MAX_TOKENS && k != TR_STREAM && v[k] != NULL)
            return scn__fail(c, v[k],
                             "found '%s' beside 'sources', expected the sources' settings "
                             "inside each source",
                             scn__traffic_keys[k]);
    const yaml_node_t *list = v[TR_SOURCES];
    if (scn__want_seq(c, list, "'sources': a list of traffic sources to merge"))
        return -1;
    size_t count = scn__seq_len(list);
    if (count < 1 || count > 256)
        return scn__fail(c, list, "found %zu sources, expected 1 to 256", count);
    s->sources = calloc(count, sizeof *s->sources);
    s->source_store = calloc(count, sizeof *s->source_store);
    if (s->sources == NULL || s->source_store == NULL)
        return scn__oom(c, list);
    s->n_sources = (uint32_t)count;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, list, i), *w[TR_N];
        if (it == NULL)
            return scn__oom(c, list);
        if (scn__check_map(c, it, "a traffic source", scn__traffic_keys, TR_N, w))
            return -1;
        if (w[TR_MAX_TOKENS])
            return scn__fail(c, w[TR_MAX_TOKENS],
                             "found 'max_tokens' inside a source, expected it beside 'sources' "
                             "(one policy for all the traffic)");
        if (w[TR_STREAM])
            return scn__fail(c, w[TR_STREAM],
                             "found 'stream' inside a source, expected it beside 'sources' "
                             "(one share for all the traffic)");
        if (w[TR_SOURCES])
            return scn__fail(c, w[TR_SOURCES],
                             "found 'sources' inside a source, expected sources "
                             "one level deep");
        if (parse_source(c, it, w, &s->sources[i], &s->source_store[i]))
            return -1;
    }
    return 0;
}
