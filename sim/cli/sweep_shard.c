/*
 * sweep_shard.c - shard directories of `lbsim sweep --shard K/N` and
 * their merge (see sweep.h).
 *
 * A shard directory holds:
 *   shard.txt   the format line, the fingerprint, "shard K N", "points P",
 *               the mode, then the canonical arguments of the sweep (the
 *               hashes of the scenario and plugin files, every argument
 *               that changes a result, the lbsim version and N): merge
 *               compares them to name what differs between two sweeps;
 *   head.json, head.csv   the documents' heads (identical in every shard);
 *   points.dat  for each point of the slice, in order, a line
 *               "point INDEX JSON_BYTES CSV_BYTES" then the two fragments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "err.h"
#include "outdir.h"
#include "sweep.h"

#define SHARD_MAGIC  "lbsim sweep shard 1"
#define CANON_MARKER "--- canonical arguments"

/* An environment variable as a decimal integer: 0, 1 when unset, -1 bad. */
static int env_u64(const char *name, uint64_t *v)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0')
        return 1;
    return args_u64(s, v) == 0 ? 0 : -1;
}

int sweep_shard_parse(const char *spec, uint32_t *k, uint32_t *n, char *err, size_t errlen)
{
    uint64_t kk, nn;
    if (strcmp(spec, "auto") == 0) {
        uint64_t id, count, min = 0, step = 1;
        int rid = env_u64("SLURM_ARRAY_TASK_ID", &id);
        if (rid == 0) {
            if (env_u64("SLURM_ARRAY_TASK_COUNT", &count) != 0 ||
                env_u64("SLURM_ARRAY_TASK_MIN", &min) < 0 ||
                env_u64("SLURM_ARRAY_TASK_STEP", &step) < 0 || step == 0 || id < min ||
                (id - min) % step != 0) {
                base_errf(err, errlen,
                          "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT, "
                          "_MIN or _STEP is missing or does not fit it (submit with sbatch "
                          "--array=0-N)");
                return -1;
            }
            kk = (id - min) / step + 1;
            nn = count;
        } else {
            uint64_t idx;
            int rix = env_u64("JOB_COMPLETION_INDEX", &idx);
            if (rix != 0 || rid < 0) {
                base_errf(err, errlen,
                          "--shard auto: found neither SLURM_ARRAY_TASK_ID (a Slurm job array) "
                          "nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)%s",
                          rix < 0 || rid < 0 ? " as a non-negative integer" : "");
                return -1;
            }
            if (env_u64("LBSIM_SHARD_COUNT", &nn) != 0) {
                base_errf(err, errlen,
                          "--shard auto: JOB_COMPLETION_INDEX is set but LBSIM_SHARD_COUNT is "
                          "not: set it to the Job's completions (examples/k8s/sweep-job.yaml)");
                return -1;
            }
            kk = idx + 1;
        }
    } else {
        const char *slash = strchr(spec, '/');
        char kbuf[32];
        size_t kl = slash ? (size_t)(slash - spec) : 0;
        if (slash == NULL || kl == 0 || kl >= sizeof kbuf) {
            base_errf(err, errlen, "--shard: found '%s', expected K/N (e.g. 2/8) or auto", spec);
            return -1;
        }
        memcpy(kbuf, spec, kl);
        kbuf[kl] = '\0';
        if (args_u64(kbuf, &kk) != 0 || args_u64(slash + 1, &nn) != 0) {
            base_errf(err, errlen, "--shard: found '%s', expected K/N (e.g. 2/8) or auto", spec);
            return -1;
        }
    }
    if (nn < 1 || nn > SWEEP_MAX_POINTS || kk < 1 || kk > nn) {
        base_errf(err, errlen, "--shard: found shard %llu of %llu, expected 1 <= K <= N <= %u",
                  (unsigned long long)kk, (unsigned long long)nn, SWEEP_MAX_POINTS);
        return -1;
    }
    *k = (uint32_t)kk;
    *n = (uint32_t)nn;
    return 0;
}

static const char *mode_word(enum sweep_mode m)
{
    return m == SWEEP_GRID ? "grid" : "one-at-a-time";
}

static int put_file(const char *dir, const char *name, const char *text)
{
    char path[SCN_PATH_MAX + 96];
    FILE *f = outdir_open(dir, name, path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_INTERNAL;
    fputs(text, f);
    return outdir_close(f, path);
}

static int write_shard(const char *dir, const struct sweep_shard *s, const struct sweep_texts *t);

int sweep_shard_write(const char *dir, const struct sweep_shard *s, const struct sweep_texts *t)
{
    struct outdir_tx tx;
    int rc = outdir_begin(&tx, dir);
    if (rc != 0)
        return rc;
    return outdir_commit(&tx, write_shard(tx.tmp, s, t));
}

/* The shard's files into dir (a transaction's temporary directory). */
static int write_shard(const char *dir, const struct sweep_shard *s, const struct sweep_texts *t)
{
    char *meta = NULL;
    size_t len;
    FILE *f = open_memstream(&meta, &len);
    if (f == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    fprintf(f,
            SHARD_MAGIC "\nfingerprint %016llx\nshard %u %u\npoints %u\nmode %s\n" CANON_MARKER
                        "\n%s",
            (unsigned long long)s->fp, s->k, s->n, t->n, mode_word(t->mode), s->canon);
    fclose(f);
    int rc = put_file(dir, "head.json", t->head_json);
    if (rc == 0)
        rc = put_file(dir, "head.csv", t->head_csv);
    char path[SCN_PATH_MAX + 96];
    FILE *pf = rc == 0 ? outdir_open(dir, "points.dat", path, sizeof path) : NULL;
    if (rc == 0 && pf == NULL)
        rc = CLI_EXIT_INTERNAL;
    for (uint32_t p = s->k - 1; rc == 0 && p < t->n; p += s->n)
        fprintf(pf, "point %u %zu %zu\n%s%s", p, strlen(t->json[p]), strlen(t->csv[p]), t->json[p],
                t->csv[p]);
    if (pf != NULL) {
        int crc = outdir_close(pf, path);
        if (rc == 0)
            rc = crc;
    }
    /* shard.txt last: a directory without it is not a finished shard */
    if (rc == 0)
        rc = put_file(dir, "shard.txt", meta);
    free(meta);
    return rc;
}

/* ---- merge -------------------------------------------------------------- */

/* The whole of dir/name, NUL-terminated; NULL after printing the error. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[SCN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "lbsim merge: %s: not a finished sweep shard (cannot read %s: %s)\n", dir,
                name, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (nb == NULL)
                free(buf);
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (buf == NULL || bad) {
        fprintf(stderr, "lbsim merge: cannot read '%s'\n", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

struct shard_meta {
    unsigned long long fp;
    uint32_t k, n, points;
    char mode[32];
    const char *canon; /* into the text */
    char *text;
};

static int read_meta(const char *dir, struct shard_meta *m)
{
    memset(m, 0, sizeof *m);
    m->text = slurp(dir, "shard.txt", NULL);
    if (m->text == NULL)
        return -1;
    const char *c = strstr(m->text, "\n" CANON_MARKER "\n");
    if (strncmp(m->text, SHARD_MAGIC "\n", strlen(SHARD_MAGIC) + 1) != 0 || c == NULL ||
        sscanf(m->text + strlen(SHARD_MAGIC) + 1,
               "fingerprint %llx shard %u %u points %u mode %31s", &m->fp, &m->k, &m->n, &m->points,
               m->mode) != 5 ||
        m->k < 1 || m->k > m->n || m->points == 0 || m->points > SWEEP_MAX_POINTS) {
        fprintf(stderr, "lbsim merge: %s/shard.txt: not a sweep shard of this lbsim version\n",
                dir);
        return -1;
    }
    m->canon = c + strlen(CANON_MARKER) + 2;
    return 0;
}

/* The first line where two canonical argument lists differ, as a
 * message. */
static void canon_diff(const char *a, const char *b, char *out, size_t len)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            snprintf(out, len, "'%.*s' vs '%.*s'", (int)la, a, (int)lb, b);
            return;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    snprintf(out, len, "(the same arguments)");
}

/* Read dir's points.dat into t.  Exit status. */
static int read_points(const char *dir, const struct shard_meta *m, struct sweep_texts *t,
                       uint32_t *got)
{
    size_t len;
    char *buf = slurp(dir, "points.dat", &len);
    if (buf == NULL)
        return CLI_EXIT_USAGE;
    size_t o = 0;
    int rc = 0;
    *got = 0;
    while (o < len) {
        unsigned p;
        size_t lj, lc;
        int used = 0;
        /* no whitespace directive after the counts: a fragment starts with
         * spaces */
        if (sscanf(buf + o, "point %u %zu %zu%n", &p, &lj, &lc, &used) != 3 || used == 0 ||
            buf[o + (size_t)used] != '\n' || lj > len - o - (size_t)used - 1 ||
            lc > len - o - (size_t)used - 1 - lj) {
            fprintf(stderr, "lbsim merge: %s/points.dat: damaged at byte %zu\n", dir, o);
            rc = CLI_EXIT_USAGE;
            break;
        }
        o += (size_t)used + 1;
        if (p >= t->n || p % m->n != m->k - 1 || t->json[p] != NULL) {
            fprintf(stderr, "lbsim merge: %s/points.dat: point %u does not belong to shard %u/%u\n",
                    dir, p, m->k, m->n);
            rc = CLI_EXIT_USAGE;
            break;
        }
        t->json[p] = strndup(buf + o, lj);
        t->csv[p] = strndup(buf + o + lj, lc);
        if (t->json[p] == NULL || t->csv[p] == NULL) {
            fprintf(stderr, "lbsim: out of memory\n");
            rc = CLI_EXIT_INTERNAL;
            break;
        }
        o += lj + lc;
        (*got)++;
    }
    free(buf);
    return rc;
}

int sweep_shard_merge(const char *const *dirs, uint32_t n_dirs, struct sweep_texts *t)
{
    memset(t, 0, sizeof *t);
    struct shard_meta first;
    if (read_meta(dirs[0], &first) != 0) {
        free(first.text);
        return CLI_EXIT_USAGE;
    }
    int rc = 0;
    const char **seen = calloc(first.n, sizeof *seen);
    t->n = first.points;
    t->mode = strcmp(first.mode, "grid") == 0 ? SWEEP_GRID : SWEEP_ONE_AT_A_TIME;
    t->json = calloc(t->n, sizeof *t->json);
    t->csv = calloc(t->n, sizeof *t->csv);
    if (seen == NULL || t->json == NULL || t->csv == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    if ((t->head_json = slurp(dirs[0], "head.json", NULL)) == NULL ||
        (t->head_csv = slurp(dirs[0], "head.csv", NULL)) == NULL) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    for (uint32_t d = 0; d < n_dirs && rc == 0; d++) {
        struct shard_meta m;
        if (d == 0) {
            m = first;
        } else if (read_meta(dirs[d], &m) != 0) {
            rc = CLI_EXIT_USAGE;
            free(m.text);
            break;
        }
        if (m.fp != first.fp || m.n != first.n || m.points != first.points) {
            char what[512];
            canon_diff(first.canon, m.canon, what, sizeof what);
            fprintf(stderr,
                    "lbsim merge: %s and %s are shards of different sweeps (fingerprints "
                    "%016llx and %016llx): %s\n",
                    dirs[0], dirs[d], first.fp, m.fp, what);
            rc = CLI_EXIT_USAGE;
        } else if (seen[m.k - 1] != NULL) {
            fprintf(stderr, "lbsim merge: shard %u/%u given twice: %s and %s\n", m.k, m.n,
                    seen[m.k - 1], dirs[d]);
            rc = CLI_EXIT_USAGE;
        } else {
            seen[m.k - 1] = dirs[d];
            uint32_t got, want = (first.points - (m.k - 1) + m.n - 1) / m.n;
            rc = read_points(dirs[d], &m, t, &got);
            if (rc == 0 && got != want) {
                fprintf(stderr, "lbsim merge: %s: shard %u/%u holds %u of its %u points\n", dirs[d],
                        m.k, m.n, got, want);
                rc = CLI_EXIT_USAGE;
            }
        }
        if (d > 0)
            free(m.text);
    }
    if (rc == 0) {
        char missing[256] = "";
        size_t o = 0;
        uint32_t n_missing = 0;
        for (uint32_t k = 0; k < first.n; k++)
            if (seen[k] == NULL) {
                n_missing++;
                if (o < sizeof missing)
                    o += (size_t)snprintf(missing + o, sizeof missing - o, "%s%u",
                                          n_missing > 1 ? ", " : "", k + 1);
            }
        if (n_missing > 0) {
            fprintf(stderr, "lbsim merge: missing shard%s %s of %u (every shard 1..%u is needed)\n",
                    n_missing > 1 ? "s" : "", missing, first.n, first.n);
            rc = CLI_EXIT_USAGE;
        }
    }
done:
    free(seen);
    free(first.text);
    if (rc != 0)
        sweep_texts_free(t);
    return rc;
}
