/*
 * html.h - report.html and report.md of `lbsim run --out DIR` (prefix
 * html_).  report.html is one self-contained page (inline CSS and SVG, no
 * external reference): the verdict per strategy first, the SLO and
 * summary tables, every plot, the scenario as run (its YAML text and the
 * --set overrides), the lbsim version and the scenario fingerprint.
 * report.md carries the same text for CI summaries, with links to the
 * PNGs.  CLI layer.
 */
#ifndef LBSIM_HTML_H
#define LBSIM_HTML_H

#include <stdint.h>

#include "report.h"
#include "sim.h"

/* A plot of the output directory: base name (NAME.svg, NAME.png) and
 * caption. */
struct html_plot {
    const char *name;
    const char *caption;
};

/* What the report shows besides the results. */
struct html_input {
    const struct scenario *scn;
    const struct report_origin *origin; /* NULL: version and fingerprint unknown */
    const struct scn_set *sets;         /* --set overrides */
    uint32_t n_sets;
    const struct html_plot *plots;
    uint32_t n_plots;
};

/* Write dir/report.html and dir/report.md.  0, or -1 with a message. */
int html_write(const char *dir, const struct html_input *in, const struct sim_result *res,
               uint32_t n, char *err, size_t errlen);

#endif /* LBSIM_HTML_H */
