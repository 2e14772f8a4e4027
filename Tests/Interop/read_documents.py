"""Reads every document step of a quarry run with datatrove's JsonlReader (default settings).

Checks, per step: datatrove reads exactly the documents the step kept (its stats say how
many) and nothing else, every document has an id, a text and metadata.url (datatrove's
DocStats needs it), and every raw line has dolma's required fields (id, text, source).
Prints "N passed, M failed".
"""
import json
import os
import sys

import zstandard
from datatrove.pipeline.readers import JsonlReader

run = sys.argv[1]
plan = json.load(open(os.path.join(run, "_quarry", "plan.json")))
passed = failed = 0
for step in plan["steps"]:
    if step["kind"] not in ("extract", "dedup", "annotate"):
        continue
    name = step["name"]
    stats = json.load(open(os.path.join(run, "_quarry", "steps", name, "stats.json")))
    phases = stats["phases"]
    kept = phases["filter" if "filter" in phases else "main"]["counters"].get("kept", 0)
    docs = list(JsonlReader(os.path.join(run, name)).run())
    problems = []
    if len(docs) != kept:
        problems.append(f"datatrove read {len(docs)} documents, the step kept {kept}")
    for d in docs:
        if not d.id or d.text is None or "url" not in d.metadata:
            problems.append(f"document {d.id!r} lacks id, text or metadata.url")
            break
    for f in sorted(os.listdir(os.path.join(run, name))):
        with open(os.path.join(run, name, f), "rb") as fh:
            raw = zstandard.ZstdDecompressor().stream_reader(fh).read().decode()
        for line in raw.splitlines():
            o = json.loads(line)
            if not all(k in o for k in ("id", "text", "source")):
                problems.append(f"{f}: a line lacks dolma's id/text/source")
                break
    if problems:
        failed += 1
        print(f"FAIL {name}: " + "; ".join(problems))
    else:
        passed += 1
        print(f"ok   {name}: {len(docs)} documents read by datatrove's JsonlReader, all with url and source")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
