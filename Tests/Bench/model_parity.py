#!/usr/bin/env python3
"""Logits parity between quarry's MiMo model and transformers' Qwen2 (+ the MiMo MTP layer).

Both directions, on the same tokens:
  1. torch -> quarry: `torch_ref.py export` writes a random checkpoint, tokens and its logits;
     `quarry model logits` runs the same checkpoint and tokens.
  2. quarry -> torch: every quarry checkpoint given (by default a fresh `quarry model init`,
     plus the demo's trained checkpoint when `make demo` has run) is loaded with
     `Qwen2ForCausalLM.from_pretrained` (main logits) and by torch_ref.py's model with the
     MiMo MTP layer (MTP logits), and compared with `quarry model logits`.
  3. Hugging Face remote code: for every quarry checkpoint whose config.json has `auto_map`,
     AutoConfig / AutoModelForCausalLM (and AutoTokenizer, when the folder has tokenizer.json)
     with trust_remote_code load it with no missing or unexpected weights; its main logits and
     the MTP logits of its modeling_mimo.py (`model.mtp_logits`) match `quarry model logits`;
     HF greedy generation from --prompt equals quarry's plain greedy decoding token for token
     (`quarry generate --bench` ids and `quarry generate` text) and stops at <|endoftext|>
     when quarry's does.

Prints max |diff| and max relative error (max |diff| / max |ref|) for the main and the MTP
logits; exits non-zero when any relative error exceeds --tol (default 1e-4).

usage: model_parity.py QUARRY_BINARY TORCH_REF_PY [--ckpt DIR ...] [--tol 1e-4]
                       [--prompt TEXT] [--max-new-tokens N]
"""
import argparse
import importlib.util
import json
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


def quarry_generation(binary, ck, prompt, n):
    """quarry's plain greedy decoding: (prompt ids, new ids without stopping, printed text)."""
    r = subprocess.run([binary, "generate", "--checkpoint", ck, "--prompt", prompt, "--max-new-tokens",
                        str(n), "--bench", "--rounds", "1"], check=True, capture_output=True, text=True)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1]
    bench = json.loads(line)
    r = subprocess.run([binary, "generate", "--checkpoint", ck, "--prompt", prompt, "--max-new-tokens",
                        str(n), "--quiet"], check=True, capture_output=True, text=True)
    text = r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout
    return bench["prompt_ids"], bench["output_ids"], text


def check(label, ok, detail, failures):
    print(f"{label}: {detail} {'ok' if ok else 'FAIL'}")
    if not ok:
        failures.append(label)


def check_remote_code(a, ck, j, ids, got, failures):
    """Section 3: the checkpoint through AutoConfig/AutoTokenizer/AutoModelForCausalLM."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    label = f"{ck} via AutoModelForCausalLM (remote code)"
    try:
        cfg = AutoConfig.from_pretrained(ck, trust_remote_code=True)
        model, info = AutoModelForCausalLM.from_pretrained(ck, trust_remote_code=True,
                                                           output_loading_info=True)
    except Exception as e:  # noqa: BLE001 - report any loading error as a failure
        check(label, False, f"loading raised {type(e).__name__}: {e}", failures)
        return
    model = model.float().eval()
    bad = {k: sorted(x for x in info.get(k, []) if "rotary_emb" not in x)
           for k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    bad = {k: v for k, v in bad.items() if v}
    if info.get("error_msgs"):
        bad["error_msgs"] = list(info["error_msgs"])
    check(f"{label} load", not bad and type(cfg).__name__ == "MiMoConfig",
          f"{type(cfg).__name__}/{type(model).__name__}, "
          f"{sum(p.numel() for p in model.parameters())} parameters, "
          + (f"loading problems {bad}" if bad else "no missing/unexpected weights"), failures)
    n_mtp = j.get("num_nextn_predict_layers", 0)
    n_have = len(getattr(model.model, "mtp_layers", []))
    check(f"{label} MTP layers", n_have == n_mtp, f"{n_have} (config {n_mtp})", failures)
    with torch.no_grad():
        main = model(input_ids=ids).logits
        report(label, "logits", main, got["logits"], a.tol, failures)
        if n_mtp > 0 and n_have > 0:
            report(label, "mtp_logits", model.mtp_logits(ids), got["mtp_logits"], a.tol, failures)

    if not os.path.exists(os.path.join(ck, "tokenizer.json")):
        print(f"{label} tokenizer/generation: skipped (no tokenizer.json)")
        return
    try:
        tok = AutoTokenizer.from_pretrained(ck, trust_remote_code=True)
    except Exception as e:  # noqa: BLE001
        check(f"{label} AutoTokenizer", False, f"loading raised {type(e).__name__}: {e}", failures)
        return
    with open(os.path.join(ck, "tokenizer.json")) as f:
        added = {t["content"]: t["id"] for t in json.load(f).get("added_tokens", [])}
    eot = added.get("<|endoftext|>")
    gcfg = model.generation_config
    check(f"{label} <|endoftext|>",
          eot is not None and tok.eos_token_id == eot and cfg.eos_token_id == eot
          and gcfg.eos_token_id == eot and tok.bos_token is None and tok.pad_token_id == eot,
          f"id {eot}: tokenizer eos {tok.eos_token_id} pad {tok.pad_token_id} bos {tok.bos_token!r}, "
          f"config eos {cfg.eos_token_id}, generation_config eos {gcfg.eos_token_id} "
          f"pad {gcfg.pad_token_id}", failures)

    q_prompt, q_out, q_text = quarry_generation(a.binary, ck, a.prompt, a.max_new_tokens)
    enc = tok(a.prompt, add_special_tokens=False)["input_ids"]
    check(f"{label} prompt ids", enc == q_prompt, f"HF {enc} quarry {q_prompt}", failures)
    # quarry --bench decodes max-new-tokens greedily without a stop token; plain generation
    # stops after the first <|endoftext|>, which it keeps.
    expect = q_out[: q_out.index(eot) + 1] if eot in q_out else q_out
    q_stops = eot in q_out
    check(f"{label} quarry generate text", tok.decode(q_prompt + expect) == q_text,
          f"`quarry generate` printed {len(q_text)} chars, --bench ids decode to the same text"
          if tok.decode(q_prompt + expect) == q_text else
          f"`quarry generate` {q_text!r} vs --bench ids {tok.decode(q_prompt + expect)!r}", failures)
    with torch.no_grad():
        out = model.generate(torch.tensor([enc]), attention_mask=torch.ones(1, len(enc), dtype=torch.long),
                             do_sample=False, max_new_tokens=a.max_new_tokens)
    hf_new = out[0, len(enc):].tolist()
    same = hf_new == expect
    first = next((i for i, (x, y) in enumerate(zip(hf_new, expect)) if x != y), min(len(hf_new), len(expect)))
    check(f"{label} greedy generate", same,
          f"{len(hf_new)} new tokens (quarry {len(expect)}), "
          + ("identical token for token" if same else f"first difference at new token {first}: "
             f"HF {hf_new[first:first + 8]} quarry {expect[first:first + 8]}"), failures)
    hf_stops = len(hf_new) < a.max_new_tokens and bool(hf_new) and hf_new[-1] == eot
    check(f"{label} stops at <|endoftext|>", hf_stops == q_stops,
          f"HF {'stopped at' if hf_stops else 'did not stop at'} <|endoftext|> after {len(hf_new)} of "
          f"{a.max_new_tokens} tokens, quarry {'stopped' if q_stops else 'did not stop'}", failures)
    hf_text = tok.decode(out[0].tolist())
    check(f"{label} decoded text", hf_text == q_text, repr(hf_text[-60:]), failures)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("torch_ref")
    ap.add_argument("--ckpt", action="append", default=[], help="quarry checkpoint folder(s)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--prompt", default="Exercise 7. Solve", help="prompt for the generation check")
    ap.add_argument("--max-new-tokens", type=int, default=64)
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
        # 3. The checkpoint's own remote code (configuration_mimo.py / modeling_mimo.py).
        if "auto_map" in j:
            check_remote_code(a, ck, j, ids, got, failures)
        else:
            print(f"{ck} via AutoModelForCausalLM (remote code): skipped (no auto_map in config.json)")
    print("PARITY OK" if not failures else f"PARITY FAILED: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
