#!/usr/bin/env python3
"""Logits parity between quarry's MiMo model and transformers' Qwen2 (+ the MiMo MTP layer).

Both directions, on the same tokens:
  1. torch -> quarry: `torch_ref.py export` writes a random checkpoint, tokens and its logits;
     `quarry model logits` runs the same checkpoint and tokens.
  2. quarry -> torch: every quarry checkpoint given (by default a fresh `quarry model init`,
     plus the demo's trained checkpoint when `make demo` has run) is loaded with
     `Qwen2ForCausalLM.from_pretrained` (main logits) and by torch_ref.py's model with the
     MiMo MTP layer (MTP logits), and compared with `quarry model logits`.

Prints max |diff| and max relative error (max |diff| / max |ref|) for the main and the MTP
logits; exits non-zero when any relative error exceeds --tol (default 1e-4).

usage: model_parity.py QUARRY_BINARY TORCH_REF_PY [--ckpt DIR ...] [--tol 1e-4]
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file


def load_torch_ref(path):
    spec = importlib.util.spec_from_file_location("torch_ref", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rel(ref, got):
    d = (ref.float() - got.float()).abs().max().item()
    return d, d / max(ref.float().abs().max().item(), 1e-12)


def report(label, name, ref, got, tol, failures):
    if ref.shape != got.shape:
        print(f"{label} {name}: SHAPE MISMATCH {tuple(ref.shape)} vs {tuple(got.shape)}")
        failures.append(label)
        return
    d, r = rel(ref, got)
    agree = (ref.argmax(-1) == got.argmax(-1)).float().mean().item()
    ok = r <= tol
    print(f"{label} {name}: max_abs={d:.3e} max_rel={r:.3e} argmax_agree={agree:.4f} "
          f"{'ok' if ok else 'FAIL'} (tol {tol:g})")
    if not ok:
        failures.append(f"{label} {name}")


def quarry_logits(binary, ckpt, tokens, out):
    subprocess.run([binary, "model", "logits", "--checkpoint", ckpt, "--tokens", tokens,
                    "--output", out], check=True, stdout=subprocess.DEVNULL)
    return load_file(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("torch_ref")
    ap.add_argument("--ckpt", action="append", default=[], help="quarry checkpoint folder(s)")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(1)
    tr = load_torch_ref(a.torch_ref)
    from transformers import Qwen2ForCausalLM
    failures = []
    work = tempfile.mkdtemp(prefix="quarry-parity-")

    # 1. torch -> quarry
    d1 = os.path.join(work, "torch_export")
    subprocess.run([sys.executable, a.torch_ref, "export", "--out", d1, "--seq", "64"], check=True)
    ref = load_file(os.path.join(d1, "logits.safetensors"))
    got = quarry_logits(a.binary, d1, os.path.join(d1, "tokens.safetensors"),
                        os.path.join(work, "q1.safetensors"))
    report("torch checkpoint in quarry", "logits", ref["logits"], got["logits"], a.tol, failures)
    report("torch checkpoint in quarry", "mtp_logits", ref["mtp_logits"], got["mtp_logits"], a.tol,
           failures)

    # 2. quarry -> torch
    ckpts = list(a.ckpt)
    if True:  # always also a fresh random checkpoint written by quarry
        d2 = os.path.join(work, "quarry_init")
        subprocess.run([a.binary, "model", "init", "--output", d2, "--seed", "7", "--init-std", "0.1"],
                       check=True, stdout=subprocess.DEVNULL)
        ckpts.insert(0, d2)
    g = torch.Generator().manual_seed(3)
    for ck in ckpts:
        cfg, j = tr.config_from_json(os.path.join(ck, "config.json"))
        ids = torch.randint(0, j["vocab_size"], (2, 48), generator=g)
        tok = os.path.join(work, "tokens.safetensors")
        save_file({"input_ids": ids}, tok)
        got = quarry_logits(a.binary, ck, tok, os.path.join(work, "q2.safetensors"))
        # Main logits straight from transformers' Qwen2ForCausalLM.from_pretrained.
        hf = Qwen2ForCausalLM.from_pretrained(ck, torch_dtype=torch.float32).eval()
        with torch.no_grad():
            main = hf(input_ids=ids).logits
        report(f"{ck} in Qwen2ForCausalLM", "logits", main, got["logits"], a.tol, failures)
        # MTP logits: torch_ref's MiMo MTP layer with the saved model.mtp_layers.0.* weights.
        if j.get("num_nextn_predict_layers", 0) > 0:
            model = tr.build_model(cfg).eval()
            sd = {k: v.float() for k, v in load_file(os.path.join(ck, "model.safetensors")).items()}
            missing, unexpected = model.load_state_dict(sd, strict=False)
            missing = [m for m in missing if "rotary_emb" not in m]
            if missing or unexpected:
                print("missing:", missing, "unexpected:", unexpected)
                failures.append(f"{ck} tensor names")
            with torch.no_grad():
                _, logits, mtp = tr.forward_all(model, ids, True)
            report(f"{ck} with the MiMo MTP layer", "logits", logits, got["logits"], a.tol, failures)
            report(f"{ck} with the MiMo MTP layer", "mtp_logits", mtp, got["mtp_logits"], a.tol,
                   failures)
    print("PARITY OK" if not failures else f"PARITY FAILED: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
