/*
 * scn_fingerprint.c - what a result was produced from, as one hash
 * (scn_fingerprint, scn.h): the scenario file's bytes, the --set overrides
 * applied to it, and the bytes of every trace file it reads.
 *
 * The fingerprint is SHA-256 (FIPS 180-4, "Secure Hash Standard", NIST,
 * 2015) of a small text manifest, one line each:
 *
 *   lbsim-fingerprint 1
 *   scenario <sha256 of the scenario file's bytes>
 *   set <PATH>=<VALUE>                    (each override, in order)
 *   router_config <sha256 of the file's bytes>  (router: {litellm|portkey: FILE})
 *   trace <sha256 of the trace file's bytes>   (each trace file, in order)
 *
 * written "sha256:<64 hex digits>".  File names are left out on purpose:
 * the same files checked out elsewhere give the same fingerprint, and the
 * manifest can be rebuilt with sha256sum to check it (tests/cli/test_gate.sh
 * does).  A servegen trace's companion dataset file is not hashed (only its
 * trace CSV); synthetic traffic has no trace line.
 */
#include "scn_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- SHA-256 (FIPS 180-4 section 6.2) ------------------------------------ */

struct sha256 {
    uint32_t h[8];
    unsigned char buf[64];
    size_t used;     /* bytes in buf */
    uint64_t length; /* bytes hashed so far */
};

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4 section 4.2.2). */
static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(struct sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 =
            h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[t] + w[t];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
    /* FIPS 180-4 section 5.3.3: square roots of the first 8 primes. */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->used = 0;
    s->length = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->length += n;
    while (n > 0) {
        size_t k = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->buf + s->used, p, k);
        s->used += k;
        p += k;
        n -= k;
        if (s->used == 64) {
            sha_block(s, s->buf);
            s->used = 0;
        }
    }
}

/* The digest as 64 lowercase hex digits and a NUL into hex[65]. */
static void sha_final_hex(struct sha256 *s, char hex[65])
{
    uint64_t bits = s->length * 8;
    unsigned char pad = 0x80, zero = 0, len[8];
    sha_update(s, &pad, 1);
    while (s->used != 56)
        sha_update(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, len, 8);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            hex[8 * i + j] = digits[(s->h[i] >> (28 - 4 * j)) & 0xf];
    hex[64] = '\0';
}

/* ---- the manifest ---------------------------------------------------------- */

/* SHA-256 of a file's bytes as hex.  0, or -1 with a message. */
static int hash_file(const char *what, const char *path, char hex[65], char *err, size_t errlen)
{
    char eb[128];
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        if (strerror_r(e, eb, sizeof eb) != 0)
            snprintf(eb, sizeof eb, "error %d", e);
        base_errf(err, errlen, "%s: found no readable file (%s), expected the %s to fingerprint",
                  path, eb, what);
        return -1;
    }
    struct sha256 s;
    sha_init(&s);
    unsigned char buf[1 << 16];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        sha_update(&s, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        base_errf(err, errlen, "%s: found an unreadable file, expected the %s to fingerprint", path,
                  what);
        return -1;
    }
    sha_final_hex(&s, hex);
    return 0;
}

static void manifest_line(struct sha256 *s, const char *key, const char *value, size_t vlen)
{
    sha_update(s, key, strlen(key));
    sha_update(s, " ", 1);
    sha_update(s, value, vlen);
    sha_update(s, "\n", 1);
}

static int trace_line(struct sha256 *s, const struct trace_cfg *t, char *err, size_t errlen)
{
    char hex[65];
    if (t->path == NULL) /* synthetic */
        return 0;
    if (hash_file("trace file", t->path, hex, err, errlen) != 0)
        return -1;
    manifest_line(s, "trace", hex, 64);
    return 0;
}

int scn_fingerprint(const struct scenario *s, const struct scn_set *sets, uint32_t n_sets,
                    char out[SCN_FINGERPRINT_LEN], char *err, size_t errlen)
{
    char local[256], hex[65];
    if (err == NULL || errlen == 0) {
        err = local;
        errlen = sizeof local;
    }
    out[0] = '\0';
    if (hash_file("scenario file", s->path, hex, err, errlen) != 0)
        return -1;
    struct sha256 m;
    sha_init(&m);
    static const char head[] = "lbsim-fingerprint 1\n";
    sha_update(&m, head, sizeof head - 1);
    manifest_line(&m, "scenario", hex, 64);
    for (uint32_t i = 0; i < n_sets; i++) {
        /* The PATH ends at its first '=' (or NUL): scn_set_parse points it
         * into the "PATH=VALUE" argument itself. */
        size_t pl = strcspn(sets[i].path, "=");
        sha_update(&m, "set ", 4);
        sha_update(&m, sets[i].path, pl);
        sha_update(&m, "=", 1);
        sha_update(&m, sets[i].value, strlen(sets[i].value));
        sha_update(&m, "\n", 1);
    }
    if (s->router_config[0] != '\0') {
        if (hash_file("router config", s->router_config, hex, err, errlen) != 0)
            return -1;
        manifest_line(&m, "router_config", hex, 64);
    }
    if (s->n_sources > 0) {
        for (uint32_t i = 0; i < s->n_sources; i++)
            if (trace_line(&m, &s->sources[i], err, errlen) != 0)
                return -1;
    } else if (trace_line(&m, &s->traffic, err, errlen) != 0) {
        return -1;
    }
    memcpy(out, "sha256:", 7);
    sha_final_hex(&m, out + 7);
    return 0;
}
