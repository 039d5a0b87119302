/*
 * scn_keys.c - the key and name arrays of scn_keys.def, and the checks that
 * the lists indexed by an enum defined elsewhere follow that enum.
 */
#include "scn_int.h"

#include "dist.h"

/* clang-format off */
#define SCN_MAP(t) const char *const scn__##t[] = {
#define SCN_KEY(t, id, name) name,
#define SCN_MAP_END(t, count) };
#define SCN_LIST(t, count) const char *const scn__##t[] = {
#define SCN_ITEM(t, name) name,
#define SCN_LIST_END(t, count) };
/* clang-format on */
#include "scn_keys.def"
#undef SCN_MAP
#undef SCN_KEY
#undef SCN_MAP_END
#undef SCN_LIST
#undef SCN_ITEM
#undef SCN_LIST_END

_Static_assert((int)N_LABEL_KIND == (int)TRACE_LABEL_KINDS_,
               "label_kind_names: enum trace_label_kind");
_Static_assert(N_ARRIVAL == TRACE_ARR_SCHEDULE + 1, "arrival_names: enum trace_arrivals");
_Static_assert(N_DIST_KIND == DIST_EMPIRICAL + 1, "dist_kind_names: enum dist_kind");
_Static_assert(N_KIND == ROUTE_KIND_TOOL + 1, "kind_names: enum route_backend_kind");
_Static_assert(N_BILL == API_BILL_PARTIAL + 1, "bill_names: enum api_bill");
_Static_assert(N_LIMIT_STYLE == API_LIMITS_GEMINI + 1, "limit_style_names: enum api_limit_style");
_Static_assert(N_ON_KILL == SCN_KILL_MIGRATE + 1, "on_kill_names: enum scn_on_kill");
_Static_assert(N_AS_METRIC == SCN_AS_CONCURRENCY + 1, "as_metric_names: enum scn_as_metric");
_Static_assert(N_PRESET == ROUTE_BACKOFF_CUSTOM + 1, "preset_names: enum route_backoff");
_Static_assert((int)N_FB_CLASS == (int)ROUTE_EC_COUNT_, "fb_class_names: enum route_error_class");
_Static_assert((int)N_SLO == (int)SCN_SLO_COUNT_, "slo_keys: enum scn_slo_metric");
