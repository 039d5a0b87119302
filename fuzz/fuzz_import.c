/*
 * fuzz_import.c - libFuzzer target: the router-config importers
 * (scn_import_text, as `lbsim import` calls them) on arbitrary bytes.
 * The first byte picks LiteLLM (even) or Portkey (odd); the rest is the
 * config file, written to the scratch directory (the importers read a
 * path).  A successful import's text is then loaded as a scenario
 * (scn_load_mem, from memory), so the keys an importer emits meet the
 * loader's checks; its trace is the fixture trace.csv.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "scn.h"
#include "scn_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static char trace[128], out[128]; /* the same names every time: set once */
    char cfg[128], err[1024];
    if (!trace[0]) {
        fuzz_path("trace.csv", trace, sizeof trace);
        fuzz_path("imported.yaml", out, sizeof out);
    }
    enum scn_import_kind kind = (data[0] & 1u) ? SCN_IMPORT_PORTKEY : SCN_IMPORT_LITELLM;
    if (fuzz_write((data[0] & 1u) ? "config.json" : "config.yaml", data + 1, size - 1, cfg,
                   sizeof cfg) != 0)
        return 0;
    struct scn_import_opts o;
    memset(&o, 0, sizeof o);
    o.trace = trace;
    o.replicas = (uint32_t)(data[0] >> 1) % 4u;
    char *text = NULL;
    size_t len = 0;
    struct scn_import_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = scn_import_text(kind, cfg, &o, &text, &len, &rep, err, sizeof err);
    char line[1024];
    for (size_t i = 0; i < rep.n; i++)
        scn_import_note_format(&rep.notes[i], line, sizeof line);
    scn_import_report_free(&rep);
    if (rc == 0) {
        if (!text || strlen(text) != len)
            abort(); /* scn_import_text: NUL-terminated, *len bytes */
        struct scenario s;
        memset(&s, 0, sizeof s);
        if (scn_load_mem(out, (const unsigned char *)text, len, NULL, NULL, 0, &s, err,
                         sizeof err) == 0)
            scn_free(&s);
    }
    free(text);
    return 0;
}
