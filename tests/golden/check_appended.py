#!/usr/bin/env python3
"""Check that new outputs only append to the golden ones (issue 14).

usage: check_appended.py GOLDEN_DIR OUT_ROOT

OUT_ROOT/<name>/ holds a run's summary.json and timeseries.csv for every
tests/golden/<name>.summary.json.  timeseries.csv: every old column of
every row byte-identical (new columns only after them).  summary.json:
equal, key order included, once the keys added by issue 14 are removed
from the new one.  Exit 1 on the first difference.
"""
import json
import os
import sys

ADDED_RUN_KEYS = {"by_label", "goodput", "conversations", "cost_per_conversation_usd",
                  "pool_avg_batch_size", "pool_tokens_per_s_per_replica",
                  "pool_decode_tokens_per_s_per_replica", "pool_goodput_accel_share"}
# Keys appended to each pool's entry and each pool slot's backend entry
# (objects holding "busy_share"), docs/notes/pool-metrics.md.
ADDED_POOL_KEYS = {"avg_batch_size", "tokens_per_s_per_replica",
                   "decode_tokens_per_s_per_replica", "goodput_accel_share"}


def strip(o, depth=0):
    if isinstance(o, dict):
        return {k: strip(v, depth + 1) for k, v in o.items()}
    if isinstance(o, list):
        return [strip(v, depth + 1) for v in o]
    return o


def main():
    gold, root = sys.argv[1], sys.argv[2]
    n = 0
    for f in sorted(os.listdir(gold)):
        if not f.endswith(".summary.json"):
            continue
        name = f[: -len(".summary.json")]
        old_ts = open(os.path.join(gold, name + ".timeseries.csv"), "rb").read().split(b"\n")
        new_ts = open(os.path.join(root, name, "timeseries.csv"), "rb").read().split(b"\n")
        if len(old_ts) != len(new_ts):
            sys.exit(f"{name}: timeseries rows {len(old_ts)} -> {len(new_ts)}")
        ncol = old_ts[0].count(b",") + 1
        for i, (a, b) in enumerate(zip(old_ts, new_ts)):
            if b.split(b",")[:ncol] != a.split(b",") if a else b != a:
                sys.exit(f"{name}: timeseries line {i + 1} differs in the old columns")
        old = json.load(open(os.path.join(gold, f)), object_pairs_hook=lambda p: p)
        new = json.load(open(os.path.join(root, name, "summary.json")), object_pairs_hook=lambda p: p)

        def drop(o, in_run=False):
            if isinstance(o, list) and all(isinstance(x, tuple) for x in o) and o:
                keys = [k for k, _ in o]
                is_run = "strategy" in keys and "requests" in keys
                is_pool = "busy_share" in keys
                return [(k, drop(v)) for k, v in o
                        if not (is_run and k in ADDED_RUN_KEYS)
                        and not (is_pool and k in ADDED_POOL_KEYS)]
            if isinstance(o, list):
                return [drop(x) for x in o]
            return o

        if drop(old) != drop(new):
            sys.exit(f"{name}: summary.json differs beyond the added keys")
        n += 1
    print(f"{n} scenarios: old columns and old keys identical")


main()
