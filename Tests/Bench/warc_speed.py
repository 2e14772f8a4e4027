#!/usr/bin/env python3
"""WARC read speed, FastWARC next to `quarry warc-stats`, interleaved in one run.

Both read every record of the file end to end on one thread; `--http` makes both parse the
HTTP responses (FastWARC: parse_http=True and the payload read; quarry: de-chunked and
gzip/deflate-decoded bodies). MB/s is the compressed file size over the median time.

usage: warc_speed.py QUARRY_BINARY FILE.warc.gz [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import time

from fastwarc.warc import ArchiveIterator


def fastwarc(path: str) -> int:
    n = 0
    with open(path, 'rb') as f:
        for rec in ArchiveIterator(f, parse_http=True):
            rec.reader.read()
            n += 1
    return n


def quarry(binary: str, path: str, http: bool) -> None:
    args = [binary, 'warc-stats'] + (['--http'] if http else []) + [path]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('file')
    ap.add_argument('--runs', type=int, default=5)
    a = ap.parse_args()
    size = os.path.getsize(a.file) / 1e6
    times = {'fastwarc (parse_http)': [], 'quarry warc-stats': [], 'quarry warc-stats --http': []}
    records = fastwarc(a.file)
    for _ in range(a.runs):
        t = time.perf_counter(); fastwarc(a.file); times['fastwarc (parse_http)'].append(time.perf_counter() - t)
        t = time.perf_counter(); quarry(a.binary, a.file, False); times['quarry warc-stats'].append(time.perf_counter() - t)
        t = time.perf_counter(); quarry(a.binary, a.file, True); times['quarry warc-stats --http'].append(time.perf_counter() - t)
    print(f'{a.file}: {size:.1f} MB compressed, {records} records, median of {a.runs} interleaved runs')
    ref = statistics.median(times['fastwarc (parse_http)'])
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f'  {name:28s} {size / m:7.1f} MB/s   {m:.3f} s   ({ref / m:.2f}x FastWARC)')


if __name__ == '__main__':
    main()
