/*
 * tmp.h - temporary directories and files for lbsim's tests (prefix tmp_).
 *
 * Every name is made unique by mkdtemp/mkstemp under $TMPDIR (or /tmp when
 * it is unset or empty), tagged with the test's name so that a leftover
 * says who left it: "<tmpdir>/lbsim_<tag>_XXXXXX".  Failures print why on
 * stderr and return -1; the test decides whether that is fatal.
 *
 * Header-only (static inline), like check.h: each test executable is one
 * translation unit.
 */
#ifndef LBSIM_TMP_H
#define LBSIM_TMP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sizes for the buffers handed to these helpers: a directory, and a file
 * inside one (room for its name). */
#define TMP_DIR_MAX  256
#define TMP_PATH_MAX 1024

/* "<tmpdir>/lbsim_<tag>_XXXXXX" into buf: 0, or -1 when it does not fit. */
static inline int tmp__template(char *buf, size_t len, const char *tag)
{
    const char *root = getenv("TMPDIR");
    if (root == NULL || root[0] == '\0')
        root = "/tmp";
    int n = snprintf(buf, len, "%s/lbsim_%s_XXXXXX", root, tag);
    if (n < 0 || (size_t)n >= len) {
        fprintf(stderr, "tmp: path for '%s' too long\n", tag);
        return -1;
    }
    return 0;
}

/* Create a new private directory; its path goes into dir (len bytes,
 * TMP_DIR_MAX).  0, or -1 (also when $TMPDIR is too long for it). */
static inline int tmp_dir(char *dir, size_t len, const char *tag)
{
    if (tmp__template(dir, len, tag) != 0)
        return -1;
    if (mkdtemp(dir) == NULL) {
        perror("tmp: mkdtemp");
        return -1;
    }
    return 0;
}

/* "dir/name" into buf: 0, or -1 when it does not fit (then empty). */
static inline int tmp_path(char *buf, size_t len, const char *dir, const char *name)
{
    /* by hand, not snprintf: gcc -O3 warns of the truncation this checks */
    size_t a = strlen(dir), b = strlen(name);
    if (len == 0 || a + 1 + b >= len) {
        if (len > 0)
            buf[0] = '\0';
        return -1;
    }
    memcpy(buf, dir, a);
    buf[a] = '/';
    memcpy(buf + a + 1, name, b + 1);
    return 0;
}

/* Write (replace) the file at path with len bytes of data.  0, or -1. */
static inline int tmp_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t k = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && k == len) ? 0 : -1;
}

/* tmp_write of a NUL-terminated text. */
static inline int tmp_write_str(const char *path, const char *text)
{
    return tmp_write(path, text, strlen(text));
}

/* Create a new file holding text; its path goes into path (len bytes,
 * TMP_DIR_MAX is enough).
 * 0, or -1 (nothing left behind).  The caller remove()s it. */
static inline int tmp_file(char *path, size_t len, const char *tag, const char *text)
{
    if (tmp__template(path, len, tag) != 0)
        return -1;
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("tmp: mkstemp");
        return -1;
    }
    FILE *f = fdopen(fd, "wb");
    if (f == NULL) {
        close(fd);
        remove(path);
        return -1;
    }
    size_t n = strlen(text);
    size_t k = fwrite(text, 1, n, f);
    if (fclose(f) != 0 || k != n) {
        remove(path);
        return -1;
    }
    return 0;
}

/* Remove the files directly inside dir, then dir itself (a test's
 * directories are flat).  0, or -1 if something is left. */
static inline int tmp_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        char path[TMP_PATH_MAX];
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            tmp_path(path, sizeof path, dir, e->d_name);
            remove(path);
        }
        closedir(d);
    }
    return rmdir(dir) == 0 ? 0 : -1;
}

#endif /* LBSIM_TMP_H */
