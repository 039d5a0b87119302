/*
 * png_colors.c - a test helper: count the distinct colours of a PNG
 * screenshot, so a browser test can tell a rendered page from a blank
 * one without python.  Decodes 8-bit RGB/RGBA non-interlaced PNGs (what
 * Chromium writes) with zlib.  Prints the count; exit 2 on a bad file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HASH_BITS 20

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: png_colors FILE.png\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n || n < 33 ||
        memcmp(buf, "\x89PNG\r\n\x1a\n", 8) != 0) {
        fprintf(stderr, "%s: not a PNG\n", argv[1]);
        return 2;
    }
    fclose(f);
    uint32_t w = be32(buf + 16), h = be32(buf + 20);
    int depth = buf[24], ctype = buf[25], inter = buf[28];
    int bpp = ctype == 6 ? 4 : ctype == 2 ? 3 : 0;
    if (depth != 8 || bpp == 0 || inter != 0 || w == 0 || h == 0 || w > 20000 || h > 40000) {
        fprintf(stderr, "%s: unsupported PNG (depth %d, colour type %d)\n", argv[1], depth, ctype);
        return 2;
    }
    /* concatenate the IDAT chunks */
    unsigned char *z = malloc((size_t)n);
    size_t zn = 0;
    for (long p = 8; p + 12 <= n;) {
        uint32_t len = be32(buf + p);
        if (p + 12 + (long)len > n)
            break;
        if (memcmp(buf + p + 4, "IDAT", 4) == 0) {
            memcpy(z + zn, buf + p + 8, len);
            zn += len;
        }
        p += 12 + (long)len;
    }
    size_t stride = (size_t)w * (size_t)bpp;
    uLongf rawn = (uLongf)((stride + 1) * h);
    unsigned char *raw = malloc(rawn);
    if (!z || !raw || uncompress(raw, &rawn, z, zn) != Z_OK || rawn != (stride + 1) * h) {
        fprintf(stderr, "%s: bad image data\n", argv[1]);
        return 2;
    }
    /* undo the filters in place */
    unsigned char *prev = NULL;
    for (uint32_t y = 0; y < h; y++) {
        unsigned char *row = raw + (size_t)y * (stride + 1), *px = row + 1;
        int ft = row[0];
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? px[i - bpp] : 0, b = prev ? prev[i] : 0;
            int c = prev && i >= (size_t)bpp ? prev[i - bpp] : 0, v = px[i];
            if (ft == 1)
                v += a;
            else if (ft == 2)
                v += b;
            else if (ft == 3)
                v += (a + b) / 2;
            else if (ft == 4) {
                int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
                v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            px[i] = (unsigned char)v;
        }
        prev = px;
    }
    /* distinct RGB values, counted in an open-addressing set */
    uint32_t *set = calloc((size_t)1 << HASH_BITS, sizeof *set);
    uint32_t distinct = 0, mask = (1u << HASH_BITS) - 1;
    for (uint32_t y = 0; y < h && set; y++) {
        const unsigned char *px = raw + (size_t)y * (stride + 1) + 1;
        for (uint32_t x = 0; x < w; x++) {
            uint32_t key = (uint32_t)px[x * bpp] << 16 | (uint32_t)px[x * bpp + 1] << 8 |
                           px[x * bpp + 2] | 0x1000000u;
            uint32_t k = (key * 2654435761u) & mask;
            while (set[k] && set[k] != key)
                k = (k + 1) & mask;
            if (!set[k] && distinct < mask / 2) {
                set[k] = key;
                distinct++;
            }
        }
    }
    printf("%u\n", distinct);
    free(set);
    free(raw);
    free(z);
    free(buf);
    return 0;
}
