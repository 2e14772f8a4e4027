#!/usr/bin/env python3
"""Tokenizer speed, quarry next to tiktoken and HF tokenizers, in one run on the same text.

Uses the anchors' own corpus cut and helpers (../shared/bench/tokenizer/tok_bench.py):
  1. training, vocab 8192, GPT-2 pre-tokenizer: HF (`tok_bench.py train`, RAYON_NUM_THREADS=1)
     and `quarry tokenizer train`, each timed for wall and CPU seconds and peak RSS;
  2. single-thread encoding MB/s with the HF-trained tokenizer: tiktoken (same merges) and
     quarry, interleaved; quarry's time includes reading JSONL and writing ids.

usage: tokenizer_speed.py QUARRY_BINARY CORPUS_DIR BENCH_DIR [--reps N]
ENC_SAMPLE_MB=N limits encoding to the first N million characters of each corpus file.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run_timed(argv, env=None):
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f'{argv[0]} failed: {p.stderr[-2000:]}')
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('corpus')
    ap.add_argument('bench')
    ap.add_argument('--reps', type=int, default=3)
    a = ap.parse_args()
    sys.path.insert(0, a.bench)
    from tok_bench import load_docs, tiktoken_from_hf  # noqa: E402

    work = tempfile.mkdtemp(prefix='quarry-tokspeed-')
    docs = load_docs(a.corpus)
    train_jsonl = os.path.join(work, 'train.jsonl')
    with open(train_jsonl, 'w') as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({'id': f'd{i}', 'text': d}) + '\n')
    mb = sum(len(d.encode('utf-8')) for d in docs) / 1e6
    print(f'corpus: {len(docs)} documents, {mb:.1f} MB')

    hf_json = os.path.join(work, 'hf8192.json')
    env = dict(os.environ, RAYON_NUM_THREADS='1')
    w, c, _, p = run_timed([sys.executable, os.path.join(a.bench, 'tok_bench.py'), 'train', a.corpus, '8192', hf_json], env)
    hf_rss = json.loads(p.stdout.strip().splitlines()[-1]).get('peak_rss_mb', 0) if p.stdout.strip() else 0
    print(f'train HF (1 thread):   {w:7.1f} s wall, {c:7.1f} CPU-s, peak RSS {hf_rss:.0f} MB')
    w2, c2, _, p2 = run_timed([a.binary, 'tokenizer', 'train', '--input', train_jsonl, '--vocab-size', '8192',
                               '--pre-tokenizer', 'gpt2', '--output', os.path.join(work, 'q8192')])
    print(f'train quarry:          {w2:7.1f} s wall, {c2:7.1f} CPU-s ({c / max(c2, 1e-9):.2f}x less CPU than HF)')
    print('  ' + p2.stderr.strip().splitlines()[-1])

    sample = int(os.environ.get('ENC_SAMPLE_MB', '0')) * 1_000_000 or None
    enc_docs = load_docs(a.corpus, max_chars_per_file=sample)
    enc_jsonl = os.path.join(work, 'encode.jsonl')
    with open(enc_jsonl, 'w') as f:
        for i, d in enumerate(enc_docs):
            f.write(json.dumps({'id': f'e{i}', 'text': d}) + '\n')
    enc_mb = sum(len(d.encode('utf-8')) for d in enc_docs) / 1e6
    enc = tiktoken_from_hf(hf_json)
    tk, qk = [], []
    for _ in range(a.reps):
        t = time.perf_counter()
        for d in enc_docs:
            enc.encode_ordinary(d)
        tk.append(time.perf_counter() - t)
        w, _, _, _ = run_timed([a.binary, 'tokenizer', 'encode', '--tokenizer', hf_json, '--input', enc_jsonl])
        qk.append(w)
    t_med, q_med = statistics.median(tk), statistics.median(qk)
    print(f'encode ({enc_mb:.1f} MB, one thread, median of {a.reps} interleaved runs):')
    print(f'  tiktoken {enc_mb / t_med:6.2f} MB/s')
    print(f'  quarry   {enc_mb / q_med:6.2f} MB/s  ({t_med / q_med:.2f}x tiktoken; includes JSONL in and ids out)')


if __name__ == '__main__':
    main()
