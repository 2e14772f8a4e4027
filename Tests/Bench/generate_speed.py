#!/usr/bin/env python3
"""Decoding speed, quarry next to Hugging Face transformers, on the same checkpoint, one thread each.

Runs `quarry generate --bench` (plain and MTP speculative greedy decoding of N new tokens, median
of its rounds; prints the acceptance rate and whether both outputs are identical), then loads
the checkpoint with transformers' Qwen2ForCausalLM.from_pretrained (the main model; the MTP
tensors are ignored) and times greedy `generate` of the same N tokens after the same prompt ids
(KV cache, no stop token, torch on one thread), median of the same number of rounds. Checks that
transformers' tokens equal quarry's.

usage: generate_speed.py QUARRY_BINARY CHECKPOINT [--prompt TEXT] [--tokens N] [--rounds R]
       [--draft-tokens K]   (run with a Python that has torch and transformers: make torch-env)
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("checkpoint")
    ap.add_argument("--prompt", default="Exercise 7. Solve")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--draft-tokens", type=int, default=2)
    a = ap.parse_args()

    out = subprocess.run(
        [a.binary, "generate", "--checkpoint", a.checkpoint, "--prompt", a.prompt, "--bench",
         "--max-new-tokens", str(a.tokens), "--rounds", str(a.rounds), "--draft-tokens", str(a.draft_tokens)],
        capture_output=True, text=True, check=True).stdout
    print(out.rstrip())
    q = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])

    import torch
    from transformers import Qwen2ForCausalLM
    torch.set_num_threads(1)
    model = Qwen2ForCausalLM.from_pretrained(a.checkpoint, torch_dtype=torch.float32).eval()
    ids = torch.tensor([q["prompt_ids"]])
    kw = dict(max_new_tokens=a.tokens, min_new_tokens=a.tokens, do_sample=False, use_cache=True,
              eos_token_id=None, pad_token_id=0)
    times = []
    with torch.inference_mode():
        gen = model.generate(ids, **kw)  # warm-up
        for _ in range(a.rounds):
            t = time.perf_counter()
            gen = model.generate(ids, **kw)
            times.append(time.perf_counter() - t)
    hf_tps = a.tokens / statistics.median(times)
    hf_tokens = gen[0, ids.shape[1]:].tolist()

    same = q["output_ids"] == hf_tokens
    print()
    print(f"| decoding (greedy, {a.tokens} new tokens, one thread) | tokens/s | vs transformers |")
    print("|---|---|---|")
    print(f"| transformers {__import__('transformers').__version__} generate (torch {torch.__version__}) "
          f"| {hf_tps:.0f} | 1.00x |")
    print(f"| quarry plain | {q['plain_tokens_per_s']:.0f} | {q['plain_tokens_per_s'] / hf_tps:.2f}x |")
    print(f"| quarry MTP speculative, {a.draft_tokens} draft(s), acceptance {q['acceptance']:.1%} "
          f"| {q['speculative_tokens_per_s']:.0f} | {q['speculative_tokens_per_s'] / hf_tps:.2f}x |")
    print(f"speculative / plain: {q['speculative_tokens_per_s'] / q['plain_tokens_per_s']:.2f}x; "
          f"speculative output identical to plain: {q['identical']}; "
          f"transformers' tokens equal quarry's: {same}")
    if q["identical"] is not True or same is False:
        sys.exit(1)


if __name__ == "__main__":
    main()
