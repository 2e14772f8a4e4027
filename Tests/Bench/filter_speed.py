#!/usr/bin/env python3
"""Quality-filter speed, quarry next to datatrove 0.10.1, on the same documents, one core.

The documents are every third one of ../shared/corpus/filters/reference_decisions.jsonl.zst
(588 documents, as the corpus README's throughput table). quarry times each filter alone
(datatrove's forms) and each preset whole with `quarry filter --bench`. datatrove's filters
run in this process when datatrove and spaCy are importable (`make bench-env` installs them);
otherwise the rates of the corpus README stand in as the anchor, and the table says so.

usage: filter_speed.py QUARRY_BINARY REFERENCE.jsonl.zst BADWORDS.txt [--runs N]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import zstandard

# The corpus README's datatrove rates (docs/s, one pinned core, median of 3).
README_RATES = {
    "gopher_quality": 11.6, "gopher_repetition": 11.0, "c4_quality": 19.7, "c4_badwords": 182.9,
    "fineweb_quality": 27.9,
}


def documents(path):
    with open(path, "rb") as f:
        text = zstandard.ZstdDecompressor().stream_reader(f).read().decode("utf-8")
    lines = [l for l in text.split("\n") if l.strip()]
    return [json.loads(l) for i, l in enumerate(lines) if i % 3 == 0]


def datatrove_rates(docs, runs):
    try:
        from datatrove.data import Document
        from datatrove.pipeline.filters import (C4BadWordsFilter, C4QualityFilter, FineWebQualityFilter,
                                                GopherQualityFilter, GopherRepetitionFilter)
    except ImportError:
        return None
    filters = {
        "gopher_quality": GopherQualityFilter, "gopher_repetition": GopherRepetitionFilter,
        "c4_quality": C4QualityFilter, "fineweb_quality": FineWebQualityFilter,
    }
    rates = {}
    for name, cls in filters.items():
        times = []
        for _ in range(runs):
            f = cls()
            batch = [Document(text=d["text"], id=d["id"]) for d in docs]
            t = time.perf_counter()
            for doc in batch:
                f.filter(doc)
            times.append(time.perf_counter() - t)
        rates[name] = len(docs) / statistics.median(times)
    return rates


def quarry_rates(binary, docs, badwords):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "docs.jsonl")
        with open(path, "w") as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
        out = subprocess.run([binary, "filter", "--bench", path, "--bad-words", badwords],
                             check=True, capture_output=True, text=True).stdout
    rates = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        name = " ".join(parts[:-3])
        rates[name] = float(parts[-1])
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("quarry")
    ap.add_argument("reference")
    ap.add_argument("badwords")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    docs = documents(a.reference)
    size = sum(len(d["text"].encode()) for d in docs) / 1e6
    print(f"{len(docs)} documents, {size:.1f} MB of text, one core")
    q = quarry_rates(a.quarry, docs, a.badwords)
    dt = datatrove_rates(docs, a.runs)
    anchor = {**README_RATES, **(dt or {})}
    source = ("datatrove 0.10.1, this run (c4_badwords: corpus README)" if dt
              else "datatrove 0.10.1, corpus README (not importable here)")
    print(f"{'filter':26} {'quarry docs/s':>14} {'datatrove docs/s':>17} {'ratio':>8}   anchor: {source}")
    for name, rate in q.items():
        ref = anchor.get(name)
        if ref is None and name.startswith("preset"):
            # A preset runs every filter: datatrove's rate for the same chain.
            ref = 1 / sum(1 / r for r in anchor.values())
        print(f"{name:26} {rate:14.1f} {ref:17.1f} {rate / ref:7.0f}x")


if __name__ == "__main__":
    main()
