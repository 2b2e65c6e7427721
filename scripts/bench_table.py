#!/usr/bin/env python3
"""Prints the Markdown table of scripts/bench.sh from hyperfine's JSON exports (medians)."""

import glob
import json
import os
import statistics
import sys

results, corpus_dir, size, cluster_size, copies = sys.argv[1:6]


def load():
    times = {}  # query -> label -> median seconds
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        name = os.path.basename(path)[: -len(".json")]
        query = ".".join(name.split(".")[:2])
        try:
            with open(path) as f:
                results_of = json.load(f)["results"]
        except (OSError, ValueError, KeyError):
            continue  # a run cut short
        for r in results_of:
            times.setdefault(query, {})[r["command"]] = r["median"]
    return times


def meta(name):
    try:
        with open(os.path.join(corpus_dir, name + ".meta")) as f:
            return json.load(f)
    except OSError:
        return {}


def fmt(t):
    if t is None:
        return "n/a"
    return f"{t * 1000:.0f} ms" if t < 1 else f"{t:.2f} s"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}×"


times = load()
rows = [
    ("json.job", f"{size} JSON", "tail --job <uuid>", "≤ 1.4× rg"),
    ("json.phase", f"{size} JSON", "tail --phase Prove", "≥ 2× hl, ≥ 20× jq"),
    ("json.level", f"{size} JSON", "tail --level warn", "≥ 2× hl, ≥ 20× jq"),
    ("zisk.job", f"{size} zisk", "tail --job <uuid>", "≤ 1.4× rg"),
    ("zisk.phase", f"{size} zisk", "tail --phase Prove", "≤ 2× rg regex"),
    ("zisk.level", f"{size} zisk", "tail --level warn", "≤ 2× rg regex"),
    ("full.job", f"{size} full", "tail --job <uuid>", "≤ 1.4× rg"),
    ("full.phase", f"{size} full", "tail --phase Prove", "≤ 2× rg regex"),
    ("full.level", f"{size} full", "tail --level warn", "≤ 2× rg regex"),
    ("cluster.job", f"{cluster_size} cluster, 65 files", "job <id> / tail --job <id>", "≤ 1.5× rg"),
]

print("| corpus | query | zisk-logs -o raw | zisk-logs -o json | rg | GNU grep | jq | hl | raw ÷ rg | jq ÷ raw | target |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for key, corpus, query, target in rows:
    t = times.get(key, {})
    if not t:
        continue
    raw = t.get("zl-raw")
    rg = t.get("rg")
    jq = t.get("jq")
    hl = t.get("hl")
    hl_fmt = t.get("hl-fmt")
    note = ""
    if key == "cluster.job":
        job = t.get("zl-job")
        if job is None:
            note = " (`job`: n/a in this build)"
        else:
            note = f" (`job`: {fmt(job)}, {ratio(job, rg)} rg)"
    hl_cell = fmt(hl) if hl_fmt is None else f"{fmt(hl)} raw, {fmt(hl_fmt)} formatted"
    hl_ratio = f", hl ÷ raw {ratio(hl, raw)}" if hl else ""
    if hl_fmt:
        hl_ratio += f", hl formatted ÷ json {ratio(hl_fmt, t.get('zl-json'))}"
    print(
        f"| {corpus} | `{query}`{note} | {fmt(raw)} | {fmt(t.get('zl-json'))} | {fmt(rg)} | "
        f"{fmt(t.get('grep'))} | {fmt(jq)} | {hl_cell} | {ratio(raw, rg)} | {ratio(jq, raw)}{hl_ratio} | {target} |"
    )

for key, m in (("json", meta("json.log")), ("cluster", meta("cluster"))):
    if m:
        print(f"\n{key} corpus: {m.get('total_lines')} lines, {m.get('total_bytes')} bytes, job {m.get('job_id')} ({m.get('lines')} lines)", end="")
print("\n")

startup = times.get("startup", {}).get("zl-raw")
print(f"- `zisk-logs --help`: {fmt(startup)} median (target < 20 ms)")


def kb(name):
    try:
        with open(os.path.join(results, f"mem.{name}.kb")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


for label, what in (("phase", "tail --phase Prove -o raw"), ("all", "tail -o raw (every event)")):
    one, many = kb(label + ".1"), kb(label + ".n")
    if one and many:
        print(
            f"- peak RSS, `{what}` from a pipe: {one / 1024:.1f} MiB for {size}, "
            f"{many / 1024:.1f} MiB for {copies}× {size} (target ≤ 64 MiB, ± 16 MiB)"
        )
try:
    with open(os.path.join(results, "follow.ms")) as f:
        ms = [int(x) for x in f.read().split()]
    print(
        f"- `tail -f`: an appended line shown after {statistics.median(ms):.0f} ms median, "
        f"{max(ms)} ms max over {len(ms)} appends (target ≤ 100 ms)"
    )
except (OSError, ValueError):
    pass
