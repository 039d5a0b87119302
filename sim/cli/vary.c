/*
 * vary.c - expanding `--vary PATH=LIST` (see vary.h).
 */
#include "vary.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Longest suffix kept from a range end ("ms", "/s", "%", "k", "USD"). */
#define VARY_SUFFIX_MAX 16
/* Relative slack when counting the steps of a range, so that 0.1..0.3:0.1
 * includes 0.3 despite binary rounding. */
#define VARY_STEP_EPS 1e-9

/* A range end or step: a finite number and the text after it. */
struct vnum {
    double v;
    bool integral; /* written without '.', 'e' or 'E' */
    char suffix[VARY_SUFFIX_MAX];
};

static bool parse_vnum(const char *s, size_t len, struct vnum *out)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!(buf[0] == '-' || buf[0] == '+' || buf[0] == '.' || (buf[0] >= '0' && buf[0] <= '9')))
        return false;
    char *end;
    double v = strtod(buf, &end);
    if (end == buf || !isfinite(v))
        return false;
    size_t slen = strlen(end);
    if (slen >= VARY_SUFFIX_MAX || strchr(end, ' ') || strstr(end, ".."))
        return false;
    out->v = v;
    out->integral = strcspn(buf, ".eE") >= (size_t)(end - buf);
    memcpy(out->suffix, end, slen + 1);
    return true;
}

static int push(struct vary *v, uint32_t *cap, const char *s, size_t len)
{
    if (v->n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 8;
        char **nv = realloc(v->values, nc * sizeof *nv);
        if (nv == NULL)
            return -1;
        v->values = nv;
        *cap = nc;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    v->values[v->n++] = copy;
    return 0;
}

/* Expand item [s, s + len) into v: a range if it reads as one, else a
 * literal.  0, -1 (message) or -2 (out of memory). */
static int expand(const char *arg, const char *s, size_t len, struct vary *v, uint32_t *cap,
                  char *err, size_t errlen)
{
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '.' && s[i + 1] == '.') {
            dots = s + i;
            break;
        }
    struct vnum a, b, step;
    const char *colon = dots ? memchr(dots + 2, ':', (size_t)(s + len - (dots + 2))) : NULL;
    const char *b_end = colon ? colon : s + len;
    bool range = dots && parse_vnum(s, (size_t)(dots - s), &a) &&
                 parse_vnum(dots + 2, (size_t)(b_end - (dots + 2)), &b);
    if (!range)
        return push(v, cap, s, len) == 0 ? 0 : -2;
    if (strcmp(a.suffix, b.suffix) != 0) {
        base_errf(err, errlen, "--vary %s: found '%.*s', expected both ends of a range in one unit",
                  arg, (int)len, s);
        return -1;
    }
    if (colon) {
        if (!parse_vnum(colon + 1, (size_t)(s + len - (colon + 1)), &step) ||
            (step.suffix[0] != '\0' && strcmp(step.suffix, a.suffix) != 0)) {
            base_errf(err, errlen,
                      "--vary %s: found step '%.*s', expected a number in the range's unit ('%s')",
                      arg, (int)(s + len - (colon + 1)), colon + 1, a.suffix);
            return -1;
        }
    } else {
        step = (struct vnum){.v = 1.0, .integral = true};
    }
    if (!(step.v > 0.0)) {
        base_errf(err, errlen, "--vary %s: found step %g, expected a positive step", arg, step.v);
        return -1;
    }
    if (b.v < a.v) {
        base_errf(err, errlen, "--vary %s: found the empty range '%.*s', expected a <= b", arg,
                  (int)len, s);
        return -1;
    }
    double steps = floor((b.v - a.v) / step.v + VARY_STEP_EPS);
    if (steps + 1.0 > (double)VARY_MAX_VALUES) {
        base_errf(err, errlen, "--vary %s: found %.0f values in '%.*s', expected at most %u", arg,
                  steps + 1.0, (int)len, s, VARY_MAX_VALUES);
        return -1;
    }
    bool integral = a.integral && step.integral;
    for (uint32_t i = 0; i <= (uint32_t)steps; i++) {
        double x = a.v + step.v * i;
        char buf[64];
        int n = integral ? snprintf(buf, sizeof buf, "%.0f%s", x, a.suffix)
                         : snprintf(buf, sizeof buf, "%.10g%s", x, a.suffix);
        if (n < 0 || (size_t)n >= sizeof buf || push(v, cap, buf, (size_t)n) != 0)
            return -2;
        if (v->n > VARY_MAX_VALUES) {
            base_errf(err, errlen, "--vary %s: expected at most %u values", arg, VARY_MAX_VALUES);
            return -1;
        }
    }
    return 0;
}

int vary_parse(const char *arg, struct vary *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        base_errf(err, errlen,
                  "--vary %s: found no PATH=LIST, expected e.g. backends.gpu.replicas=1..8", arg);
        return -1;
    }
    out->path = malloc((size_t)(eq - arg) + 1);
    if (out->path == NULL)
        goto oom;
    memcpy(out->path, arg, (size_t)(eq - arg));
    out->path[eq - arg] = '\0';
    uint32_t cap = 0;
    const char *s = eq + 1;
    for (;;) {
        size_t len = strcspn(s, ",");
        if (len == 0) {
            base_errf(err, errlen,
                      "--vary %s: found an empty value, expected a value or a range a..b[:step]",
                      arg);
            vary_free(out);
            return -1;
        }
        int rc = expand(arg, s, len, out, &cap, err, errlen);
        if (rc == -2)
            goto oom;
        if (rc != 0) {
            vary_free(out);
            return -1;
        }
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    return 0;
oom:
    base_errf(err, errlen, "--vary %s: out of memory", arg);
    vary_free(out);
    return -1;
}

void vary_free(struct vary *v)
{
    for (uint32_t i = 0; v->values && i < v->n; i++)
        free(v->values[i]);
    free(v->values);
    free(v->path);
    memset(v, 0, sizeof *v);
}
