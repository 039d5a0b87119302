/*
 * sweep.h - the points, outputs and shards of `lbsim sweep` and `lbsim
 * merge` (prefix sweep_).  CLI layer.
 *
 * Points.  Several `--vary` make a cartesian grid in row-major order: the
 * first --vary varies slowest, the last fastest (point index = the mixed
 * radix number of the value indices).  One-at-a-time: point 0 is the
 * scenario as written (plus its --set), then each value of the first
 * --vary alone, then each value of the second, and so on.
 *
 * Outputs.  Each point is two text fragments, its JSON object and its CSV
 * rows, written the same way whether the point ran in this process or in a
 * shard; the documents are a head, the fragments in point order and a
 * tail.  So `lbsim merge` of the shards gives byte-for-byte the files of
 * the unsharded sweep, and the plots and the table are drawn from the CSV
 * text (the same numbers either way).
 *
 * The grid builder, the "set" object and the fingerprint hashing are
 * meant for `lbsim plan` too.
 */
#ifndef LBSIM_SWEEP_H
#define LBSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "experiment.h"
#include "vary.h"

/* Most points one sweep may have: their JSON and CSV text stays in
 * memory until the documents are written (a few kB per run object). */
#define SWEEP_MAX_POINTS 100000u

/* Most --vary axes. */
#define SWEEP_MAX_AXES 16u

enum sweep_mode { SWEEP_GRID, SWEEP_ONE_AT_A_TIME };

/* The points of a sweep (sweep_grid_build). */
struct sweep_grid {
    const struct vary *axes; /* borrowed: the --vary lists, in order */
    uint32_t n_axes;
    enum sweep_mode mode;
    uint32_t n;                /* points */
    struct sim_exp_point *pts; /* n: the overrides of each point */
    struct scn_set *sets;      /* storage behind pts[].sets */
    int32_t *at;               /* n x n_axes: each axis' value index, -1 = the scenario's */
};

/* Build the points of axes[0..n_axes) (which must outlive g).  0, or -1
 * with a message: no axis, too many, a path given twice, too many points. */
int sweep_grid_build(struct sweep_grid *g, const struct vary *axes, uint32_t n_axes,
                     enum sweep_mode mode, char *err, size_t errlen);

void sweep_grid_free(struct sweep_grid *g);

/* Point p's overrides as a JSON object {"PATH": "VALUE", ...} (values as
 * strings, exactly as --set would take them; {} for the scenario as
 * written).  No newline. */
void sweep_json_set(FILE *f, const struct sweep_grid *g, uint32_t p);

/* 64-bit FNV-1a of data[0..n), continuing from h (start with
 * SWEEP_FNV_INIT): the fingerprint of a sweep. */
#define SWEEP_FNV_INIT 0xcbf29ce484222325ull
uint64_t sweep_fnv1a(uint64_t h, const void *data, size_t n);

/* sweep_fnv1a over a file's bytes.  0, or -1 (errno set). */
int sweep_hash_file(const char *path, uint64_t h, uint64_t *out);

/* What the documents' heads say. */
struct sweep_info {
    const char *scenario; /* the scenario's name */
    uint64_t seed;
    uint32_t reps;
    enum sweep_mode mode;
    const struct vary *axes;
    uint32_t n_axes;
    const char *fingerprint; /* scn_fingerprint of the scenario with the --set overrides */
};

/* The texts of a sweep: the heads and every point's fragments.  A
 * fragment is NULL until its point has been filled. */
struct sweep_texts {
    enum sweep_mode mode;
    char *head_json, *head_csv;
    uint32_t n;  /* points */
    char **json; /* n: "    {...}" (no separator) */
    char **csv;  /* n: the point's rows, each ending in a newline */
};

/* Allocate n empty fragments and write the heads.  0, or -1 (out of
 * memory). */
int sweep_texts_init(struct sweep_texts *t, const struct sweep_info *info, uint32_t n);

/* Fill point p's fragments from its results (global index p of g). */
int sweep_texts_point(struct sweep_texts *t, const struct sweep_grid *g, uint32_t p,
                      const struct sim_exp_result *r, uint32_t reps);

void sweep_texts_free(struct sweep_texts *t);

/*
 * The outputs of a complete sweep (every fragment filled): the JSON on
 * stdout when json, else a table; with out_dir, sweep.json, sweep.csv and
 * the plots in it.  Returns the exit status (0, or CLI_EXIT_USAGE after
 * printing the error).
 */
int sweep_finish(const struct sweep_texts *t, bool json, const char *out_dir);

/* ---- shards (sweep_shard.c) ------------------------------------------- */

/* A shard: which slice of the points, and the sweep it belongs to. */
struct sweep_shard {
    uint32_t k, n;     /* slice k of n, 1-based: points p with p % n == k - 1 */
    uint64_t fp;       /* fingerprint: scenario, plugins, canonical args, version, n */
    const char *canon; /* the canonical arguments, one "key=value" a line */
};

/* "K/N" or "auto" (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1 of
 * SLURM_ARRAY_TASK_COUNT, else JOB_COMPLETION_INDEX + 1 of
 * LBSIM_SHARD_COUNT).  0, or -1 with a message. */
int sweep_shard_parse(const char *spec, uint32_t *k, uint32_t *n, char *err, size_t errlen);

/* Write the shard directory dir: shard.txt, head.json, head.csv and
 * points.dat (the fragments of the shard's points).  Exit status. */
int sweep_shard_write(const char *dir, const struct sweep_shard *s, const struct sweep_texts *t);

/* Read the shard directories dirs[0..n_dirs) into *t (every point
 * filled), checking that they are all the shards of one sweep.  Exit
 * status; prints the error. */
int sweep_shard_merge(const char *const *dirs, uint32_t n_dirs, struct sweep_texts *t);

#endif /* LBSIM_SWEEP_H */
