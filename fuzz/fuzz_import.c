/*
 * fuzz_import.c - libFuzzer target: the router-config importers
 * (scn_import_text, as `lbsim import` calls them) on arbitrary bytes.
 * The first byte picks LiteLLM (even) or Portkey (odd); the rest is the
 * config file.  A successful import's text is then loaded as a scenario
 * (scn_load), so the keys an importer emits meet the loader's checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "scn.h"
#include "scn_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The trace the imported scenario points at: three native rows. */
static const char fuzz__trace[] =
    "arrival_s,input_tokens,output_tokens\n0,10,5\n0.5,20,5\n1,30,5\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char cfg[128], trace[128], out[128], err[1024];
    if (fuzz_write("trace.csv", (const uint8_t *)fuzz__trace, sizeof fuzz__trace - 1, trace,
                   sizeof trace) != 0)
        return 0;
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
        if (fuzz_write("imported.yaml", (const uint8_t *)text, len, out, sizeof out) == 0) {
            struct scenario s;
            memset(&s, 0, sizeof s);
            if (scn_load(out, &s, err, sizeof err) == 0)
                scn_free(&s);
        }
    }
    free(text);
    return 0;
}
