#!/usr/bin/env python3
"""Training speed, quarry next to PyTorch (torch_ref.py bench), in one run on this machine.

For MTP on/off and 1/2 threads, every round runs `torch_ref.py bench` and `quarry train
--bench` back to back on the reference configuration (vocab 8192, hidden 256, 4 layers, 8 heads,
2 KV heads, intermediate 704, seq 256, batch 8, fp32, MTP λ 0.3), so background load hits both
alike. The sgemm peak comes from ../shared/bench/train/sgemm_bench.c (1024³, same threads).

Prints tokens per CPU-second (the issue's ratio), tokens/s, MFU against the measured sgemm
peak, and quarry's 2-thread scaling.

usage: train_speed.py QUARRY_BINARY TORCH_PYTHON BENCH_TRAIN_DIR [--rounds N] [--steps N]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("no JSON result in:\n" + text[-2000:])


def sgemm_peak(bench_dir, threads):
    exe = "/tmp/quarry-sgemm-bench"
    if not os.path.exists(exe):
        inc = subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"], capture_output=True,
                             text=True).stdout.split()
        subprocess.run(["cc", "-O2", "-o", exe, os.path.join(bench_dir, "sgemm_bench.c")] + inc,
                       check=True)
    out = subprocess.run([exe, str(threads), "0.5"], capture_output=True, text=True, check=True).stdout
    best = 0.0
    for line in out.splitlines():
        if line.startswith("square 1024^3"):
            best = max(best, float(line.split()[-1]))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("torch_python")
    ap.add_argument("bench_dir")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    peaks = {t: sgemm_peak(a.bench_dir, t) for t in (1, 2)}
    print(f"sgemm peak (1024^3): 1 thread {peaks[1]:.1f} GFLOP/s, 2 threads {peaks[2]:.1f} GFLOP/s")
    combos = [(mtp, t) for mtp in (True, False) for t in (1, 2)]
    res = {}
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for rnd in range(a.rounds):
        for mtp, t in combos:
            targs = [a.torch_python, os.path.join(a.bench_dir, "torch_ref.py"), "bench", "--threads", str(t),
                     "--steps", str(a.steps), "--warmup", "2", "--peak-gflops", str(peaks[t])]
            if not mtp:
                targs.append("--no-mtp")
            tr = last_json(subprocess.run(targs, capture_output=True, text=True, env=env, check=True).stdout)
            qargs = [a.binary, "train", "--bench", "--threads", str(t), "--steps", str(a.steps), "--warmup", "2"]
            if not mtp:
                qargs.append("--no-mtp")
            qr = last_json(subprocess.run(qargs, capture_output=True, text=True, check=True).stdout)
            res.setdefault((mtp, t), []).append((tr, qr))
            print(f"  round {rnd + 1}: MTP {'on ' if mtp else 'off'} {t} thread(s): torch "
                  f"{tr['tokens_per_cpu_s']:.0f} tok/CPU-s, quarry {qr['tokens_per_cpu_s']:.0f} tok/CPU-s",
                  flush=True)
    print()
    print("| MTP | threads | torch tok/CPU-s | quarry tok/CPU-s | ratio | torch tok/s | quarry tok/s | quarry MFU | torch MFU |")
    print("|---|---|---|---|---|---|---|---|---|")
    med = {}
    for (mtp, t), v in res.items():
        tc = statistics.median(x[0]["tokens_per_cpu_s"] for x in v)
        qc = statistics.median(x[1]["tokens_per_cpu_s"] for x in v)
        ts = statistics.median(x[0]["tokens_per_s"] for x in v)
        qs = statistics.median(x[1]["tokens_per_s"] for x in v)
        qg = statistics.median(x[1]["gflops"] for x in v)
        tg = statistics.median(x[0]["gflops_achieved"] for x in v)
        med[(mtp, t)] = (ts, qs)
        print(f"| {'on' if mtp else 'off'} | {t} | {tc:.0f} | {qc:.0f} | {qc / tc:.2f}x | {ts:.0f} | {qs:.0f} | "
              f"{qg / peaks[t]:.2f} | {tg / peaks[t]:.2f} |")
    for mtp in (True, False):
        ts1, qs1 = med[(mtp, 1)]
        ts2, qs2 = med[(mtp, 2)]
        print(f"2-thread scaling (tokens/s), MTP {'on' if mtp else 'off'}: quarry {qs2 / qs1:.2f}x, torch {ts2 / ts1:.2f}x")


if __name__ == "__main__":
    main()
